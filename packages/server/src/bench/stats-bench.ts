/**
 * Stats section of `palisade bench`: fills a fresh SQLite store with 1,000,000 events (100,000 with
 * `--quick`) spread over 7 days in time order, as a store fills — a skewed mix of 30,000 client
 * addresses in 40 countries, 30 % attacks over 10 classes and 25 rules with their severities,
 * blocked or logged — then times every statistics endpoint through the real app (`app.inject` with
 * an API key: routing, auth, validation and serialisation count) over the last 24 h and the whole
 * 7 d, several runs each, and prints median and p95.
 *
 * The fill is a bulk load (the store's insert function in transactions of 10,000 events without the
 * rollup, then one rebuildStats), so a 1,000,000-event run takes about a minute; the newest events
 * are then written through the real write path (batches of 500 like the writer, rollup included)
 * on the nearly full store, and its rate is printed so the rollup's cost on ingest stays visible.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createPrng, type Finding, type SecurityEvent, type Severity } from '@palisade/engine';
import { loadConfig } from '../config/config.js';
import { buildApp } from '../serve/app.js';
import { openPipeline } from '../serve/pipeline.js';
import { createApiKey } from '../store/index.js';
import { insertEvents } from '../store/events.js';
import { rebuildStats } from '../store/stats-rollup.js';
import { quantile, round } from './stats.js';

export interface StatsBenchOptions {
  /** Events stored. Default 1,000,000. */
  events?: number;
  /** A `postgres://` server to run on (in a schema of its own, dropped after); default a SQLite file. */
  database?: string;
  /** Timed requests per endpoint and range. Default 15. */
  runs?: number;
}

export interface StatsTiming {
  endpoint: string;
  range: '24h' | '7d';
  median_ms: number;
  p95_ms: number;
}

export interface StatsBenchResult {
  engine: 'sqlite' | 'postgres';
  events: number;
  /** Bulk load without the rollup, then the rollup rebuilt from the events. */
  fill_s: number;
  fill_events_per_s: number;
  rebuild_s: number;
  /** The newest events, written through the real write path (rollup included). */
  sample_events: number;
  sample_events_per_s: number;
  runs: number;
  timings: StatsTiming[];
}

const DAY_MS = 86_400_000;
const BULK_BATCH = 10_000;
/** The writer's default batch. */
const WRITE_BATCH = 500;
const SAMPLE_MAX = 20_000;
const IPS = 30_000;
const ENDPOINTS = [
  '/api/v1/stats/summary',
  '/api/v1/stats/timeline',
  '/api/v1/stats/classes',
  '/api/v1/stats/countries',
  '/api/v1/stats/sources',
  '/api/v1/stats/rules',
  '/api/v1/geo/points',
];
const CLASSES: readonly [string, readonly string[]][] = [
  ['sqli', ['sqli.union', 'sqli.tautology', 'sqli.stacked', 'sqli.comment']],
  ['xss', ['xss.script', 'xss.event_handler', 'xss.js_uri']],
  ['traversal', ['traversal.dotdot', 'traversal.encoded']],
  ['cmdi', ['cmdi.shell', 'cmdi.subst']],
  ['ssrf', ['ssrf.internal_host', 'ssrf.metadata']],
  ['scanner', ['scanner.ua', 'scanner.path']],
  ['sensitive_file', ['sensitive_file.env', 'sensitive_file.git', 'sensitive_file.backup']],
  ['log4shell', ['log4shell.jndi']],
  ['ssti', ['ssti.expression', 'ssti.jinja']],
  ['protocol', ['protocol.smuggling', 'protocol.bad_method']],
];
const SEVERITY_OF: readonly Severity[] = ['low', 'medium', 'medium', 'high', 'high', 'critical'];

/** Event `i` of `n`, in time order over the 7 days before `endMs`. */
export function makeEvent(rnd: () => number, i: number, n: number, endMs: number): SecurityEvent {
  // Skewed: a few addresses send much of the traffic, as scanners and busy clients do.
  const ip = Math.floor(IPS * rnd() ** 3);
  const country = ip % 40;
  const city = ip % 3;
  const base = {
    id: `sb-${i}`,
    ts: new Date(endMs - 7 * DAY_MS + Math.floor(((i + rnd()) * 7 * DAY_MS) / n)).toISOString(),
    kind: 'http' as const,
    source: { name: 'proxy:bench', type: 'proxy' as const },
    client: {
      ip: `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`,
      port: 1024 + (i % 60000),
      geo: {
        country: `C${country}`,
        city: `City ${country}-${city}`,
        lat: -60 + ((country * 7 + city) % 120),
        lon: -170 + ((country * 13 + city * 3) % 340),
      },
    },
    http: { method: 'GET', path: `/p/${i % 500}`, status: 200 },
  };
  if (rnd() >= 0.3) return { ...base, action: 'allow', score: 0, severity: 'info', findings: [] };
  const [cls, rules] = CLASSES[Math.floor(CLASSES.length * rnd() ** 2)]!;
  const severity = SEVERITY_OF[Math.floor(rnd() * SEVERITY_OF.length)]!;
  const findings: Finding[] = [];
  for (let k = rnd() < 0.25 ? 2 : 1; k > 0; k--)
    findings.push({
      rule: rules[Math.floor(rnd() * rules.length)]!,
      rule_version: 1,
      class: cls,
      severity,
      confidence: 0.9,
      location: 'query:q',
      evidence: 'matched text',
      decoded_by: ['url'],
    } as Finding);
  return { ...base, action: rnd() < 0.6 ? 'block' : 'log', score: 8, severity, findings };
}

export async function benchStats(opts: StatsBenchOptions = {}): Promise<StatsBenchResult> {
  const n = opts.events ?? 1_000_000;
  const runs = opts.runs ?? 15;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-stats-'));
  try {
    const config = loadConfig({ cwd: dir, env: {}, flags: { data_dir: dir } });
    config.enrich.geo = false;
    config.enrich.asn = false;
    const schema = `pal_bench_${process.pid}_${Date.now().toString(36)}`;
    if (opts.database) {
      const url = new URL(opts.database);
      url.searchParams.set('schema', schema);
      config.db = url.toString();
    }
    const pipeline = await openPipeline(config, { retention: false });
    try {
      const endMs = Date.now();
      const rnd = createPrng(42);
      const sample = Math.min(SAMPLE_MAX, Math.floor(n / 10));
      const write = async (from: number, to: number, size: number, stats: boolean) => {
        const t = performance.now();
        for (let i = from; i < to; i += size) {
          const batch: SecurityEvent[] = [];
          for (let k = i; k < Math.min(to, i + size); k++) batch.push(makeEvent(rnd, k, n, endMs));
          await insertEvents(pipeline.store, batch, { stats });
        }
        return (performance.now() - t) / 1000;
      };
      const fill = await write(0, n - sample, BULK_BATCH, false);
      const t0 = performance.now();
      await rebuildStats(pipeline.store.db);
      // After a bulk load, as a DBA would (autovacuum gets there in its own time, but never
      // analyzes a partitioned parent): statistics for the planner, and the visibility map that
      // lets the rollup's reads come from its indexes alone.
      if (opts.database)
        for (const statement of [
          sql`VACUUM ANALYZE stats_rollup`,
          sql`ANALYZE events`,
          sql`ANALYZE findings`,
        ])
          await statement.execute(pipeline.store.db);
      const rebuild = (performance.now() - t0) / 1000;
      const sampleS = await write(n - sample, n, WRITE_BATCH, true);
      const key = (await createApiKey(pipeline.store, 'bench', ['read'])).secret;
      const app = buildApp({ pipeline, maxEventsPerRequest: 100, maxBodyBytes: 64 * 1024, version: 'bench' });
      await app.ready();
      const timings: StatsTiming[] = [];
      try {
        for (const endpoint of ENDPOINTS)
          for (const [range, span] of [
            ['24h', DAY_MS],
            ['7d', 7 * DAY_MS],
          ] as const) {
            const url = `${endpoint}?from=${endMs - span}&to=${endMs + 1}`;
            const ms: number[] = [];
            for (let r = 0; r <= runs; r++) {
              const s = performance.now();
              const res = await app.inject({
                method: 'GET',
                url,
                headers: { authorization: `Bearer ${key}` },
              });
              if (res.statusCode !== 200)
                throw new Error(`${url}: HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
              // The first request warms the statement cache and the page cache; it is not counted.
              if (r > 0) ms.push(performance.now() - s);
            }
            ms.sort((a, b) => a - b);
            timings.push({
              endpoint,
              range,
              median_ms: round(quantile(ms, 0.5)),
              p95_ms: round(quantile(ms, 0.95)),
            });
          }
      } finally {
        await app.close();
      }
      return {
        engine: pipeline.store.dialect.name,
        events: n,
        fill_s: round(fill, 1),
        fill_events_per_s: Math.round((n - sample) / fill),
        rebuild_s: round(rebuild, 1),
        sample_events: sample,
        sample_events_per_s: Math.round(sample / sampleS),
        runs,
        timings,
      };
    } finally {
      if (opts.database)
        await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(pipeline.store.db);
      await pipeline.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStats(r: StatsBenchResult): string {
  const lines = [
    `${r.engine === 'postgres' ? 'PostgreSQL' : 'SQLite'}, ${r.events.toLocaleString('en')} events over 7 days: bulk load ${r.fill_s} s ` +
      `(${r.fill_events_per_s.toLocaleString('en')} events/s without the rollup), rollup rebuilt in ${r.rebuild_s} s; ` +
      `the newest ${r.sample_events.toLocaleString('en')} through the write path (batches of ${WRITE_BATCH}, ` +
      `rollup included): ${r.sample_events_per_s.toLocaleString('en')} events/s; ${r.runs} runs per row`,
    `${'endpoint'.padEnd(24)} ${'range'.padEnd(5)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(8)}`,
  ];
  for (const t of r.timings)
    lines.push(
      `${t.endpoint.padEnd(24)} ${t.range.padEnd(5)} ${String(t.median_ms).padStart(10)} ${String(t.p95_ms).padStart(8)}`,
    );
  return lines.join('\n');
}
