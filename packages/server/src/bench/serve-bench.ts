/**
 * Serve section of `palisade bench`: resident memory of the real `palisade serve` (the built CLI in
 * its own process, on a fresh SQLite file, default configuration) at idle and under an ingest load of
 * batches of events posted by this process; also the ingest rate it sustained. RSS is VmRSS from
 * /proc/PID/status (Linux).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '@palisade/engine';
import { benchEvent, eventTemplates } from './bench-events.js';
import { childScript, rssOf, sleep, startChild } from './processes.js';
import { mib } from './stats.js';

export interface ServeBenchOptions {
  /** Seconds after start-up before the idle reading. Default 5. */
  idleS?: number;
  /** Ingest requests. Default 100. */
  batches?: number;
  /** Events per ingest request. Default 500. */
  batchEvents?: number;
  /** Ingest requests in flight at once. Default 4. */
  concurrency?: number;
}

export interface ServeBenchResult {
  idle_s: number;
  rss_idle_mb: number | null;
  rss_load_peak_mb: number | null;
  rss_after_load_mb: number | null;
  load: { batches: number; batch_events: number; concurrency: number; accepted: number; rejected: number };
  ingest_events_per_s: number;
}

/** The serve process's environment: ours without PALISADE_* so the default configuration is measured. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PALISADE_')) env[k] = v;
  return env;
}

export async function benchServe(engine: Engine, opts: ServeBenchOptions = {}): Promise<ServeBenchResult> {
  const idleS = opts.idleS ?? 5;
  const batches = opts.batches ?? 100;
  const batchEvents = opts.batchEvents ?? 500;
  const concurrency = opts.concurrency ?? 4;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-serve-'));
  const serve = startChild(
    process.execPath,
    [childScript('cli/main.js'), 'serve', '--listen', '127.0.0.1:0', '--db', join(dir, 'palisade.db')],
    { env: cleanEnv(), cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    const api = (await serve.waitFor(/serving on (http:\/\/\S+)/))[1]!;
    const keyFile = (await serve.waitFor(/first admin API key written to (\S+) /))[1]!;
    const key = readFileSync(keyFile, 'utf8').trim();
    const pid = serve.proc.pid;
    await sleep(idleS * 1000);
    const idle = rssOf(pid);

    const templates = eventTemplates(engine);
    const runId = Date.now().toString(36);
    let peak = idle ?? 0;
    const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid) ?? 0)), 200);
    let next = 0;
    let accepted = 0;
    let rejected = 0;
    const t0 = performance.now();
    const worker = async () => {
      for (let b = next++; b < batches; b = next++) {
        const events = Array.from({ length: batchEvents }, (_, i) =>
          benchEvent(templates, b * batchEvents + i, runId),
        );
        const res = await fetch(`${api}/api/v1/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        const body = (await res.json().catch(() => ({}))) as { accepted?: number };
        if (res.ok && typeof body.accepted === 'number') {
          accepted += body.accepted;
          rejected += batchEvents - body.accepted;
        } else rejected += batchEvents;
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      clearInterval(timer);
    }
    const seconds = (performance.now() - t0) / 1000;
    peak = Math.max(peak, rssOf(pid) ?? 0);
    await sleep(2000);
    const after = rssOf(pid);
    return {
      idle_s: idleS,
      rss_idle_mb: idle === null ? null : mib(idle),
      rss_load_peak_mb: idle === null ? null : mib(peak),
      rss_after_load_mb: after === null ? null : mib(after),
      load: { batches, batch_events: batchEvents, concurrency, accepted, rejected },
      ingest_events_per_s: Math.round(accepted / seconds),
    };
  } finally {
    await serve.stop(15_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatServe(r: ServeBenchResult): string {
  const mb = (x: number | null) => (x === null ? 'n/a (no /proc)' : `${x} MB`);
  const l = r.load;
  return [
    `palisade serve (built CLI, own process, fresh SQLite, default config): RSS idle after ${r.idle_s} s ${mb(r.rss_idle_mb)}` +
      (r.rss_idle_mb === null ? '' : ` (goal ≤ 150 MB: ${r.rss_idle_mb <= 150 ? 'met' : 'NOT met'})`),
    `under load (${l.batches} ingest requests × ${l.batch_events} events, ${l.concurrency} in flight): peak ${mb(r.rss_load_peak_mb)}, 2 s after ${mb(r.rss_after_load_mb)}`,
    `ingest: ${l.accepted.toLocaleString('en')} events accepted (${l.rejected} rejected), ${r.ingest_events_per_s.toLocaleString('en')} events/s end to end`,
  ].join('\n');
}
