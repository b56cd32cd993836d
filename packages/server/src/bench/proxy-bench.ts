/**
 * Proxy section of `palisade bench`: requests/s and latency of one upstream reached directly, through
 * Palisade's proxy without and with inspection, and through nginx without and with ModSecurity + CRS
 * PL1 — all driven by wrk with the same connections, duration and request mix, each proxy alone in its
 * own process. Without wrk it falls back to the proxy's built-in bench client (Palisade only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchProxy } from '../proxy/index.js';
import { formatTable } from '../cli/scan-command.js';
import { childScript, rssOf, startChild, type Child } from './processes.js';
import { baselineMissing, startBaseline } from './nginx-baseline.js';
import { MIX_DESCRIPTION, runWrk, writeMixScript, wrkVersion, type WrkLoad, type WrkResult } from './wrk.js';
import { mib, round } from './stats.js';

export type ScenarioName =
  'direct' | 'palisade-no-inspect' | 'palisade-inspect' | 'nginx' | 'nginx-modsecurity-crs';

export interface ProxyScenario extends WrkResult {
  name: ScenarioName;
  /** Peak resident memory of the proxy process(es) while under load, MiB (null: not measured). */
  rss_mb: number | null;
}

export interface ProxyBenchResult {
  client: string;
  connections: number;
  threads: number;
  duration_s: number;
  warmup_s: number;
  mix: string;
  scenarios: ProxyScenario[];
  /** Palisade with inspection ÷ the others (requests/s). */
  ratios: { inspect_vs_direct: number; inspect_vs_no_inspect: number; inspect_vs_modsecurity?: number };
  baseline: {
    status: 'measured' | 'not installed' | 'needs wrk' | 'failed';
    detail: string;
    nginx_workers?: number;
    versions?: string;
    sanity_ok?: boolean;
  };
}

export interface ProxyBenchOptions {
  connections?: number;
  durationS?: number;
  warmupS?: number;
  /** nginx worker_processes (default 1: the same one core Palisade's single-threaded proxy gets). */
  nginxWorkers?: number;
}

/** Samples `rss()` every 250 ms while `work` runs; resolves with its result and the peak. */
async function withPeakRss<T>(rss: () => number | null, work: Promise<T>): Promise<[T, number | null]> {
  let peak: number | null = null;
  const sample = () => {
    const v = rss();
    if (v !== null && (peak === null || v > peak)) peak = v;
  };
  const timer = setInterval(sample, 250);
  try {
    const r = await work;
    sample();
    return [r, peak === null ? null : mib(peak)];
  } finally {
    clearInterval(timer);
  }
}

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : 0);

export async function benchProxies(opts: ProxyBenchOptions = {}): Promise<ProxyBenchResult> {
  const load: WrkLoad = { connections: opts.connections ?? 32, threads: 1, durationS: opts.durationS ?? 5 };
  const warmupS = opts.warmupS ?? 1;
  const wrk = wrkVersion();
  const missing = baselineMissing();
  if (!wrk) return fallback(load, warmupS, missing);

  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-proxy-'));
  const children: Child[] = [];
  try {
    const script = writeMixScript(dir);
    const up = startChild(process.execPath, [childScript('bench/upstream-child.js')]);
    children.push(up);
    const upstreamPort = Number((await up.waitFor(/^upstream port (\d+)/))[1]);
    const upstream = `127.0.0.1:${upstreamPort}`;
    const scenarios: ProxyScenario[] = [];
    const measure = async (name: ScenarioName, port: number, rss: () => number | null) => {
      const [r, rssMb] = await withPeakRss(rss, runWrk(`http://127.0.0.1:${port}/`, script, load, warmupS));
      scenarios.push({ name, ...r, rss_mb: rssMb });
    };
    await measure('direct', upstreamPort, () => rssOf(up.proc.pid));
    for (const mode of ['no-inspect', 'inspect'] as const) {
      const proxy = startChild(process.execPath, [
        childScript('bench/proxy-child.js'),
        `http://${upstream}`,
        mode,
        String(load.connections * 2),
      ]);
      children.push(proxy);
      const port = Number((await proxy.waitFor(/^proxy port (\d+)/))[1]);
      await measure(mode === 'inspect' ? 'palisade-inspect' : 'palisade-no-inspect', port, () =>
        rssOf(proxy.proc.pid),
      );
      await proxy.stop();
    }
    const workers = opts.nginxWorkers ?? 1;
    let baseline: ProxyBenchResult['baseline'] = {
      status: 'not installed',
      detail: `missing ${missing ?? ''}`.trim(),
    };
    if (missing === null) {
      const rundir = join(dir, 'nginx');
      try {
        const nginx = await startBaseline(upstream, rundir, workers);
        try {
          await measure('nginx', nginx.plainPort, nginx.rss);
          await measure('nginx-modsecurity-crs', nginx.modsecPort, nginx.rss);
        } finally {
          await nginx.stop();
        }
        baseline = {
          status: 'measured',
          detail: nginx.sanity.ok
            ? 'sanity check passed (SQLi/XSS → 403, benign GET/POST → 200)'
            : `sanity check FAILED: ${nginx.sanity.output.slice(0, 500)}`,
          nginx_workers: workers,
          versions: nginx.versions,
          sanity_ok: nginx.sanity.ok,
        };
      } catch (e) {
        baseline = { status: 'failed', detail: (e as Error).message.slice(0, 500) };
      }
    }
    const rps = (n: ScenarioName) => scenarios.find((s) => s.name === n)?.rps ?? 0;
    const ratios: ProxyBenchResult['ratios'] = {
      inspect_vs_direct: ratio(rps('palisade-inspect'), rps('direct')),
      inspect_vs_no_inspect: ratio(rps('palisade-inspect'), rps('palisade-no-inspect')),
    };
    if (baseline.status === 'measured')
      ratios.inspect_vs_modsecurity = ratio(rps('palisade-inspect'), rps('nginx-modsecurity-crs'));
    return {
      client: `${wrk}, ${load.threads} thread, separate process`,
      connections: load.connections,
      threads: load.threads,
      duration_s: load.durationS,
      warmup_s: warmupS,
      mix: MIX_DESCRIPTION,
      scenarios,
      ratios,
      baseline,
    };
  } finally {
    for (const c of children) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** No wrk: the proxy's own bench (built-in client in a child process); nginx is not driven. */
async function fallback(load: WrkLoad, warmupS: number, missing: string | null): Promise<ProxyBenchResult> {
  const r = await benchProxy({
    connections: load.connections,
    durationMs: load.durationS * 1000,
    warmupMs: warmupS * 1000,
  });
  const names = {
    direct: 'direct',
    'proxy-no-inspect': 'palisade-no-inspect',
    'proxy-inspect': 'palisade-inspect',
  } as const;
  const scenarios: ProxyScenario[] = r.scenarios.map((s) => ({
    name: names[s.name],
    requests: s.requests,
    errors: s.errors,
    rps: s.rps,
    p50_ms: s.p50_ms,
    p99_ms: s.p99_ms,
    rss_mb: null,
  }));
  const rps = (n: ScenarioName) => scenarios.find((s) => s.name === n)?.rps ?? 0;
  return {
    client: `${r.tool} (wrk not installed; the proxy runs in the bench process)`,
    connections: r.connections,
    threads: 1,
    duration_s: load.durationS,
    warmup_s: warmupS,
    mix: 'alternating GET /products/42?… (cookie) and POST /comments (form)',
    scenarios,
    ratios: {
      inspect_vs_direct: ratio(rps('palisade-inspect'), rps('direct')),
      inspect_vs_no_inspect: ratio(rps('palisade-inspect'), rps('palisade-no-inspect')),
    },
    baseline: {
      status: missing === null ? 'needs wrk' : 'not installed',
      detail:
        missing === null
          ? 'nginx is installed but wrk is not: both must be driven by the same client (apt-get install -y wrk)'
          : `missing ${missing}`,
    },
  };
}

export function formatProxy(r: ProxyBenchResult): string {
  const rows = [['scenario', 'requests/s', 'p50', 'p99', 'errors', 'peak RSS']];
  for (const s of r.scenarios)
    rows.push([
      s.name,
      s.rps.toLocaleString('en'),
      `${s.p50_ms.toFixed(2)} ms`,
      `${s.p99_ms.toFixed(2)} ms`,
      String(s.errors),
      s.rss_mb === null ? '—' : `${s.rss_mb.toFixed(1)} MB`,
    ]);
  const lines = [
    `client: ${r.client}; ${r.connections} keep-alive connections, ${r.duration_s} s per scenario after ${r.warmup_s} s warm-up`,
    `mix: ${r.mix}; upstream: node:http, fixed 200 with a 27-byte JSON body`,
    '',
    formatTable(rows),
    '',
    `Palisade inspect ÷ direct ${r.ratios.inspect_vs_direct}×, ÷ no-inspect ${r.ratios.inspect_vs_no_inspect}×`,
  ];
  const b = r.baseline;
  if (b.status === 'measured') {
    const x = r.ratios.inspect_vs_modsecurity ?? 0;
    lines.push(
      `Palisade inspect ÷ nginx+ModSecurity+CRS PL1 ${x}× (goal ≥ 5×: ${x >= 5 ? 'met' : 'NOT met'}); nginx ${b.nginx_workers} worker(s); ${b.versions}`,
      `nginx+ModSecurity baseline: ${b.detail}`,
    );
  } else if (b.status === 'not installed')
    lines.push(
      `nginx+ModSecurity baseline: not installed (see scripts/proxy-baseline/README.md) — ${b.detail}`,
    );
  else lines.push(`nginx+ModSecurity baseline: ${b.status}: ${b.detail}`);
  return lines.join('\n');
}
