/**
 * `palisade bench`: measures and prints, section by section — engine inspection speed, the store
 * writer's events/s, reverse-proxy requests/s (direct, Palisade without and with inspection, nginx
 * with and without ModSecurity + CRS when installed), the sensor's per-request overhead and the
 * resident memory of `palisade serve` at idle and under ingest load, and log ingest lines/s (parse,
 * inspect, full path into SQLite) beside fail2ban-regex when installed, and the classifier's cost per
 * request, its training time and size, and learning mode's costs, and the statistics endpoints'
 * response times over 1,000,000 stored events, and scale-out: events/s and consumer lag from NATS
 * JetStream through two `palisade worker` processes into PostgreSQL. Figures only (STYLE.md #17).
 * `--only a,b` runs some sections, `--quick` shortens every run, `--json` prints one JSON object.
 */
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { Engine } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { benchEngine, formatEngine } from '../bench/engine-bench.js';
import { benchStore, formatStore } from '../bench/store-bench.js';
import { benchProxies, formatProxy } from '../bench/proxy-bench.js';
import { benchSensor, formatSensor } from '../bench/sensor-bench.js';
import { benchServe, formatServe } from '../bench/serve-bench.js';
import { benchIngest, formatIngest } from '../bench/ingest-bench.js';
import { benchClassifier, formatClassifierBench } from '../bench/ml-bench.js';
import { benchLearning, formatLearning } from '../bench/learn-bench.js';
import { benchStats, formatStats } from '../bench/stats-bench.js';
import { benchBus, formatBus } from '../bench/bus-bench.js';

export { BUILTIN_MIX, worstCases } from '../bench/engine-bench.js';

export const BENCH_SECTIONS = [
  'engine',
  'store',
  'proxy',
  'sensor',
  'serve',
  'ingest',
  'ml',
  'stats',
  'stats-pg',
  'bus',
] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export interface BenchOptions {
  /** Sections to run, in BENCH_SECTIONS order (default: all). */
  only?: readonly BenchSection[];
  /** Short runs (seconds, not minutes): for smoke tests, figures are rough. */
  quick?: boolean;
  /** One JSON object on `out` instead of the tables. */
  json?: boolean;
  out?: NodeJS.WritableStream;
}

interface Section {
  title: string;
  run(): Promise<unknown>;
  format(r: unknown): string;
}

/** Parses `--only engine,proxy`: every name must be a section. */
export function parseSections(value: string): BenchSection[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(BENCH_SECTIONS as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0)
    throw new PalisadeError(
      'PAL_ERR_CLI_USAGE',
      `--only: unknown section ${JSON.stringify(bad[0] ?? value)} (sections: ${BENCH_SECTIONS.join(', ')})`,
    );
  return BENCH_SECTIONS.filter((s) => names.includes(s));
}

function machine() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Runs the selected sections and prints them; 1 when a section failed (its error is printed too). */
export async function runBench(
  engine: Engine,
  corpusDir: string | null,
  opts: BenchOptions = {},
): Promise<number> {
  const out = opts.out ?? process.stdout;
  const q = opts.quick === true;
  const sections: Record<BenchSection, Section> = {
    engine: {
      title: 'engine: inspection time per request (one thread)',
      run: () => benchEngine(engine, corpusDir, q ? { rounds: 1, perSet: 300, worstRepeats: 1 } : {}),
      format: (r) => formatEngine(r as Awaited<ReturnType<typeof benchEngine>>),
    },
    store: {
      title: 'store: batched writer into SQLite',
      run: () => benchStore(engine, { events: q ? 5_000 : 50_000 }),
      format: (r) => formatStore(r as Awaited<ReturnType<typeof benchStore>>),
    },
    proxy: {
      title: 'proxy: requests/s through one upstream',
      run: () => benchProxies(q ? { durationS: 1, warmupS: 0 } : {}),
      format: (r) => formatProxy(r as Awaited<ReturnType<typeof benchProxies>>),
    },
    sensor: {
      title: 'sensor: overhead per request (@palisade/sensor on node:http)',
      run: () => benchSensor(q ? { requests: 300, warmup: 50 } : {}),
      format: (r) => formatSensor(r as Awaited<ReturnType<typeof benchSensor>>),
    },
    serve: {
      title: 'serve: resident memory',
      run: () => benchServe(engine, q ? { idleS: 1, batches: 10, batchEvents: 100 } : {}),
      format: (r) => formatServe(r as Awaited<ReturnType<typeof benchServe>>),
    },
    ingest: {
      title:
        'ingest: log lines/s, parse → inspect → enrich, correlate, store (one thread), vs fail2ban-regex',
      run: () =>
        benchIngest(engine, {
          // Real logs sit beside the corpus (../shared/logs) when present.
          realLogsDir: corpusDir === null ? null : join(dirname(corpusDir), 'logs'),
          ...(q ? { lines: 20_000, realLines: 10_000, runs: 1 } : {}),
        }),
      format: (r) => formatIngest(r as Awaited<ReturnType<typeof benchIngest>>),
    },
    ml: {
      title: 'ml: classifier cost per request, training time and model size; learning mode',
      run: async () => ({
        inference: await benchClassifier({ corpusDir, quick: q }),
        learning: await benchLearning({ corpusDir, quick: q }),
      }),
      format: (r) => {
        const x = r as {
          inference: Awaited<ReturnType<typeof benchClassifier>>;
          learning: Awaited<ReturnType<typeof benchLearning>>;
        };
        return `${formatClassifierBench(x.inference)}
${formatLearning(x.learning)}`;
      },
    },
    stats: {
      title: 'stats: statistics endpoints over stored events (SQLite, through the API)',
      run: () => benchStats(q ? { events: 100_000, runs: 5 } : {}),
      format: (r) => formatStats(r as Awaited<ReturnType<typeof benchStats>>),
    },
    'stats-pg': {
      title: 'stats-pg: statistics endpoints over 10,000,000 events on PostgreSQL (through the API)',
      run: () =>
        benchStats({
          database: process.env.PALISADE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
          ...(q ? { events: 1_000_000, runs: 5 } : { events: 10_000_000 }),
        }),
      format: (r) => formatStats(r as Awaited<ReturnType<typeof benchStats>>),
    },
    bus: {
      title: 'bus: NATS JetStream → 2 palisade worker processes → PostgreSQL',
      run: () => benchBus(q ? { events: 5000, rate: 2000, seconds: 5 } : {}),
      format: (r) => formatBus(r as Awaited<ReturnType<typeof benchBus>>),
    },
  };
  const selected = opts.only && opts.only.length > 0 ? opts.only : BENCH_SECTIONS;
  const m = machine();
  const report: Record<string, unknown> = { machine: m, quick: q };
  if (!opts.json)
    out.write(
      `Palisade bench — ${m.date.slice(0, 10)}, Node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB${q ? ' (quick: rough figures)' : ''}\n`,
    );
  let failed = false;
  for (const name of selected) {
    const s = sections[name];
    const t0 = performance.now();
    let text: string;
    try {
      const r = await s.run();
      report[name] = r;
      text = s.format(r);
    } catch (e) {
      failed = true;
      const message = (e as Error).message;
      report[name] = { error: message };
      text = `failed: ${message}`;
    }
    if (!opts.json)
      out.write(`\n== ${s.title} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n${text}\n`);
  }
  if (opts.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
  return failed ? 1 : 0;
}

/**
 * `palisade bench [DIR] [--only SECTIONS] [--quick] [--json] [--config FILE] [--mode M] [--sensitivity S]`
 * from its arguments (everything after `bench`).
 */
