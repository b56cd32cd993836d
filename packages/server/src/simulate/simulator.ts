/**
 * The traffic simulator: sends the seeded request sequence to a target at a fixed rate (open loop:
 * requests start on schedule whatever the answers do, at most `concurrency` in flight; when all slots
 * are busy, due requests wait for a free slot, and those still due when the duration ends are counted
 * as skipped, so a slow target shows as a lower achieved rate) over a keep-alive agent,
 * and counts what came back per kind, family and status, with latency percentiles. Building is
 * separate from running (STYLE.md #6): `createSimulator(options)`, then `start()`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { resolveSimulatorOptions, LATENCY_RESERVOIR, type SimulatorOptions } from './options.js';
import { createTrafficSource } from './traffic-source.js';
import { Rng } from './rng.js';
import { TRAFFIC_KINDS, type ScenarioName, type SimRequest, type TrafficKind } from './sim-request.js';

/** The answer to one simulated request. */
export interface SimResult {
  /** HTTP status, or null when no answer came (see `error`). */
  status: number | null;
  /** `ECONNREFUSED`, `ETIMEDOUT`, ... when the request failed. */
  error?: string;
  latencyMs: number;
}

export interface KindSummary {
  sent: number;
  /** Answers by status (`"200"`, `"403"`, ...) and `"error"`. */
  status: Record<string, number>;
  /** Answered 403 (the proxy's block answer). */
  blocked: number;
}

export interface SimulationSummary {
  target: string;
  seed: number;
  mix: Partial<Record<TrafficKind, number>>;
  scenario: ScenarioName | null;
  rate_per_sec: number;
  duration_secs: number;
  concurrency: number;
  elapsed_secs: number;
  /** Requests started. */
  sent: number;
  /** Requests answered (any status). */
  answered: number;
  /** Requests that got no answer, by error code. */
  errors: Record<string, number>;
  /** Requests due by the end but never sent: all `concurrency` slots were busy (the target is slower). */
  skipped: number;
  achieved_rps: number;
  status: Record<string, number>;
  by_kind: Partial<Record<TrafficKind, KindSummary>>;
  /** Per family (`sqli`, `xss.entities`, `bruteforce`, `page`, ...): how many were sent and blocked. */
  by_family: Record<string, { kind: TrafficKind; sent: number; blocked: number }>;
  /** Latency of answered requests, milliseconds (from a bounded reservoir sample). */
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number } | null;
}

export interface Simulator {
  /** Sends until the duration or request count is reached (or `stop()`); resolves with the summary. */
  start(): Promise<SimulationSummary>;
  /** Stops starting requests, waits for those in flight, resolves with the summary. */
  stop(): Promise<SimulationSummary>;
  /** The figures so far. */
  summary(): SimulationSummary;
}

export interface SimulatorHooks {
  /** Called after each request with its answer (tests, live output). */
  onResult?: (req: SimRequest, result: SimResult) => void;
}

/**
 * Sends one simulated request to `target` (its path is a prefix) and reads the answer to the end.
 * Never rejects: a failure is `{ status: null, error }`.
 */
export function sendSimRequest(
  target: URL,
  req: SimRequest,
  opts: { agent?: http.Agent; timeoutMs?: number } = {},
): Promise<SimResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<SimResult, 'latencyMs'>) => {
      if (done) return;
      done = true;
      resolve({ ...r, latencyMs: performance.now() - t0 });
    };
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string | number> = { ...req.headers };
    if (body) headers['content-length'] = body.length;
    let base = target.pathname;
    if (base.endsWith('/')) base = base.slice(0, -1);
    const r = http.request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || 80,
        method: req.method,
        path: base + req.path,
        headers,
        agent: opts.agent,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        res.on('data', noop);
        res.on('end', () => finish({ status: res.statusCode ?? 0 }));
        res.on('error', (e: NodeJS.ErrnoException) => finish({ status: null, error: e.code ?? 'ERESPONSE' }));
      },
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    r.on('error', (e: NodeJS.ErrnoException) => finish({ status: null, error: e.code ?? 'EREQUEST' }));
    r.end(body);
  });
}

function noop(): void {}

/** Percentile of sorted samples (nearest rank). */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Creates a simulator (nothing is sent until `start()`).
 * @example
 * const sim = createSimulator({ target: 'http://127.0.0.1:8080', ratePerSec: 200, durationSecs: 30, seed: 7 });
 * const summary = await sim.start();
 */
export function createSimulator(options: SimulatorOptions, hooks: SimulatorHooks = {}): Simulator {
  const o = resolveSimulatorOptions(options);
  const source = createTrafficSource({ seed: o.seed, mix: o.mix, scenario: o.scenario });
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: o.concurrency,
    maxFreeSockets: o.concurrency,
    scheduling: 'lifo',
  });
  const byKind: Partial<Record<TrafficKind, KindSummary>> = {};
  const byFamily: SimulationSummary['by_family'] = {};
  const status: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const samples = new Float64Array(LATENCY_RESERVOIR);
  const reservoirRng = new Rng((o.seed ^ 0x5eed) >>> 0);
  let sampled = 0;
  let latencySum = 0;
  let latencyMax = 0;
  let sent = 0;
  let answered = 0;
  let skipped = 0;
  let inFlight = 0;
  let scheduled = 0;
  let startedAt = 0;
  let endedAt = 0;
  let running: Promise<SimulationSummary> | null = null;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: (() => void) | undefined;

  function count(req: SimRequest, r: SimResult): void {
    const key = r.status === null ? 'error' : String(r.status);
    status[key] = (status[key] ?? 0) + 1;
    const k = (byKind[req.kind] ??= { sent: 0, status: {}, blocked: 0 });
    k.status[key] = (k.status[key] ?? 0) + 1;
    if (r.status === 403) {
      k.blocked++;
      byFamily[req.family]!.blocked++;
    }
    if (r.status === null) {
      const code = r.error ?? 'ERROR';
      errors[code] = (errors[code] ?? 0) + 1;
      return;
    }
    answered++;
    latencySum += r.latencyMs;
    if (r.latencyMs > latencyMax) latencyMax = r.latencyMs;
    // Reservoir sampling (Algorithm R): bounded memory however long the run.
    if (sampled < samples.length) samples[sampled++] = r.latencyMs;
    else {
      const j = Math.floor(reservoirRng.float() * answered);
      if (j < samples.length) samples[j] = r.latencyMs;
    }
  }

  function launch(): void {
    const req = source.next();
    sent++;
    inFlight++;
    (byKind[req.kind] ??= { sent: 0, status: {}, blocked: 0 }).sent++;
    (byFamily[req.family] ??= { kind: req.kind, sent: 0, blocked: 0 }).sent++;
    void sendSimRequest(o.target, req, { agent, timeoutMs: o.timeoutMs }).then((r) => {
      inFlight--;
      count(req, r);
      hooks.onResult?.(req, r);
      if (stopping) {
        if (inFlight === 0) resolveDone?.();
      } else pump();
    });
  }

  /** Starts every request that is due and has a free slot; at the end, what is still due is skipped. */
  function pump(): void {
    if (stopping) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const elapsedMs = performance.now() - startedAt;
    const endMs = o.durationSecs * 1000;
    // Requests due by now: the first at t = 0, then one every 1/rate seconds.
    const due = Math.min(o.maxRequests, Math.floor((Math.min(elapsedMs, endMs) / 1000) * o.ratePerSec) + 1);
    while (scheduled < due && inFlight < o.concurrency) {
      scheduled++;
      launch();
    }
    if (scheduled >= o.maxRequests || elapsedMs >= endMs) {
      skipped = due - scheduled;
      finishSending();
      return;
    }
    // Behind schedule (all slots busy): a completion calls pump again; else wake at the next due time.
    const nextAtMs = (scheduled / o.ratePerSec) * 1000;
    timer = setTimeout(pump, Math.max(1, Math.min(nextAtMs - elapsedMs, endMs - elapsedMs)));
  }

  function finishSending(): void {
    stopping = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (inFlight === 0) resolveDone?.();
  }

  function summary(): SimulationSummary {
    const end = endedAt || (startedAt ? performance.now() : 0);
    const elapsed = startedAt ? (end - startedAt) / 1000 : 0;
    const sorted = samples.slice(0, sampled).sort();
    return {
      target: o.target.href,
      seed: o.seed,
      mix: { ...o.mix },
      scenario: o.scenario ?? null,
      rate_per_sec: o.ratePerSec,
      duration_secs: o.durationSecs,
      concurrency: o.concurrency,
      elapsed_secs: round(elapsed, 3),
      sent,
      answered,
      errors: { ...errors },
      skipped,
      achieved_rps: elapsed > 0 ? round(sent / elapsed, 1) : 0,
      status: { ...status },
      by_kind: structuredClone(byKind),
      by_family: structuredClone(byFamily),
      latency_ms:
        sampled === 0
          ? null
          : {
              p50: round(percentile(sorted, 50), 3),
              p90: round(percentile(sorted, 90), 3),
              p99: round(percentile(sorted, 99), 3),
              max: round(latencyMax, 3),
              mean: round(latencySum / answered, 3),
            },
    };
  }

  function start(): Promise<SimulationSummary> {
    if (running) return running;
    running = new Promise<void>((resolve) => {
      resolveDone = resolve;
      startedAt = performance.now();
      pump();
    }).then(() => {
      endedAt = performance.now();
      agent.destroy();
      return summary();
    });
    return running;
  }

  return {
    start,
    stop() {
      if (!running) {
        stopping = true;
        agent.destroy();
        return Promise.resolve(summary());
      }
      finishSending();
      return running;
    },
    summary,
  };
}

/** The kinds in display order (for formatters). */
export const KIND_ORDER: readonly TrafficKind[] = TRAFFIC_KINDS;
