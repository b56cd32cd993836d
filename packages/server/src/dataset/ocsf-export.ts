/**
 * `dataset export --format ocsf`: stored events and incidents as OCSF 1.x JSON lines
 * (forward/ocsf.ts), for a SIEM or a data lake that reads OCSF. Unlike the labelled dataset it keeps
 * every event of the time range (no labels, no de-duplication, no split) and adds the incidents;
 * one object per line, events newest first, then incidents newest first. Events with no OCSF class
 * (system events without findings) are skipped and counted. Raw payloads are never read.
 * The file is written as `ocsf.jsonl.partial` and renamed at the end.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { listEvents, parseTimeBound } from '../store/events.js';
import { listIncidents } from '../store/incidents.js';
import type { Store } from '../store/store.js';
import { eventToOcsf, incidentToOcsf, ocsfClassOf } from '../forward/ocsf.js';
import { openTextStream } from './writers/text-stream.js';

export interface OcsfExportOptions {
  outDir: string;
  /** Inclusive lower bound on event time (incidents: last seen): ISO time or epoch ms. */
  since?: string | number;
  /** Exclusive upper bound (incidents: first seen). */
  until?: string | number;
  /** Add the incidents (Incident Finding). Default true. */
  incidents?: boolean;
  /** Product version in the metadata (tests pin it). */
  version?: string;
}

export interface OcsfExportResult {
  file: string;
  objects: number;
  /** Objects by OCSF class name. */
  by_class: Record<string, number>;
  /** Events without an OCSF class, by event kind. */
  skipped: Record<string, number>;
}

const PAGE = 500;

/** Writes `outDir/ocsf.jsonl`. */
export async function exportOcsf(store: Store, o: OcsfExportOptions): Promise<OcsfExportResult> {
  const from = o.since === undefined ? undefined : parseTimeBound(o.since, 'since');
  const to = o.until === undefined ? undefined : parseTimeBound(o.until, 'until');
  const version = o.version === undefined ? {} : { version: o.version };
  mkdirSync(o.outDir, { recursive: true });
  const file = join(o.outDir, 'ocsf.jsonl');
  const out = openTextStream(`${file}.partial`);
  const result: OcsfExportResult = { file, objects: 0, by_class: {}, skipped: {} };
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  try {
    let cursor: string | null = null;
    do {
      const page = await listEvents(store, {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        limit: PAGE,
        ...(cursor ? { cursor } : {}),
      });
      let text = '';
      for (const e of page.events) {
        const cls = ocsfClassOf(e);
        const obj = cls && eventToOcsf(e, version);
        if (!cls || !obj) {
          bump(result.skipped, e.kind);
          continue;
        }
        text += `${JSON.stringify(obj)}\n`;
        bump(result.by_class, cls);
        result.objects++;
      }
      if (text) await out.write(text);
      cursor = page.next_cursor;
    } while (cursor);
    if (o.incidents !== false) {
      let before: number | undefined;
      for (;;) {
        const list = await listIncidents(store, {
          ...(from !== undefined ? { sinceMs: from } : {}),
          ...(to !== undefined ? { untilMs: to } : {}),
          limit: 1000,
          ...(before !== undefined ? { beforeId: before } : {}),
        });
        if (list.length === 0) break;
        let text = '';
        for (const i of list) text += `${JSON.stringify(incidentToOcsf(i, version))}\n`;
        await out.write(text);
        result.by_class.incident_finding = (result.by_class.incident_finding ?? 0) + list.length;
        result.objects += list.length;
        before = list[list.length - 1]!.id;
      }
    }
    await out.end();
  } catch (e) {
    await out.end().catch(() => undefined);
    rmSync(`${file}.partial`, { force: true });
    throw e;
  }
  renameSync(`${file}.partial`, file);
  return result;
}
