/**
 * Store section of `palisade bench`: how many events per second the batched writer commits into a
 * fresh SQLite file (WAL, synchronous=FULL, raw payloads encrypted), with every event carrying
 * findings. The submitter respects the writer's back-pressure (waits for room) like file ingest does.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '@palisade/engine';
import { createWriter, openStore } from '../store/index.js';
import { benchEvent, eventTemplates } from './bench-events.js';
import { mib, round } from './stats.js';

export interface StoreBenchOptions {
  /** Events to write. Default 50,000. */
  events?: number;
  /** Writer batch size (default: the writer's own, 500). */
  batchSize?: number;
}

export interface StoreBenchResult {
  events: number;
  inserted: number;
  batches: number;
  seconds: number;
  events_per_s: number;
  findings_per_event: number;
  db_mb: number;
  dropped: number;
}

/** Writes `events` events through `createWriter` into a tmp database, then removes it. */
export async function benchStore(engine: Engine, opts: StoreBenchOptions = {}): Promise<StoreBenchResult> {
  const n = opts.events ?? 50_000;
  const templates = eventTemplates(engine);
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-store-'));
  try {
    const store = await openStore({ path: join(dir, 'bench.db'), env: undefined });
    try {
      const writer = createWriter(store, opts.batchSize ? { batchSize: opts.batchSize } : {});
      const runId = Date.now().toString(36);
      const pending: Promise<void>[] = [];
      let dropped = 0;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        if (!writer.writable()) await writer.drained();
        pending.push(writer.submit(benchEvent(templates, i, runId)).catch(() => void dropped++));
      }
      await Promise.all(pending);
      await writer.close();
      const seconds = (performance.now() - t0) / 1000;
      const s = writer.stats();
      const findings = templates.reduce((a, t) => a + t.findings.length, 0) / templates.length;
      return {
        events: n,
        inserted: s.inserted,
        batches: s.batches,
        seconds: round(seconds, 2),
        events_per_s: Math.round(s.written / seconds),
        findings_per_event: round(findings, 1),
        db_mb: mib(statSync(join(dir, 'bench.db')).size + walSize(join(dir, 'bench.db-wal'))),
        dropped,
      };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function walSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function formatStore(r: StoreBenchResult): string {
  return (
    `${r.events.toLocaleString('en')} events (${r.findings_per_event} findings each on average, raw request ` +
    `encrypted) in ${r.seconds} s: ${r.events_per_s.toLocaleString('en')} events/s, ${r.batches} transactions, ` +
    `${r.db_mb} MB on disk${r.dropped ? `, ${r.dropped} dropped` : ''}`
  );
}
