/**
 * The engine section of `palisade bench`: inspection time per request over a corpus mix (or a built-in
 * sample when the corpus is absent), single-threaded, plus worst-case inputs that must stay bounded.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine, RequestRecord } from '@palisade/engine';
import { readRequests } from '../scan/read-records.js';
import { formatTable } from '../cli/scan-command.js';
import { quantile } from './stats.js';

/** Requests used when `shared/corpus` is absent: a small mix of everyday and attack traffic. */
export const BUILTIN_MIX: readonly RequestRecord[] = [
  {
    method: 'GET',
    url: '/',
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', accept: 'text/html' },
  },
  {
    method: 'GET',
    url: '/products?category=shoes&page=2&sort=price_asc',
    headers: { 'user-agent': 'Mozilla/5.0', cookie: 'sid=8f2a9c; theme=dark' },
  },
  {
    method: 'GET',
    url: '/search?q=red+running+shoes+size+42',
    headers: { 'user-agent': 'Mozilla/5.0', referer: 'https://shop.example/' },
  },
  {
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'user=alice&password=s3cr3t%21',
  },
  {
    method: 'POST',
    url: '/api/orders',
    headers: { 'content-type': 'application/json' },
    body: '{"items":[{"sku":"A-12","qty":2}],"note":"leave at the door"}',
  },
  { method: 'GET', url: '/item?id=1%27%20OR%20%271%27%3D%271', headers: {} },
  { method: 'GET', url: '/q?x=%3Cscript%3Ealert(1)%3C%2Fscript%3E', headers: {} },
  { method: 'GET', url: '/download?file=..%2F..%2F..%2Fetc%2Fpasswd', headers: {} },
];

const SETS = [
  ['requests/csic2010-dev.jsonl.gz', 'requests'],
  ['requests/fwaf-dev.jsonl.gz', 'requests'],
  ['payloads/httpparams-train.jsonl.gz', 'payloads'],
  ['payloads/libinjection.jsonl.gz', 'payloads'],
  ['payloads/payloadsallthethings.jsonl.gz', 'payloads'],
] as const;

/** Every `stride`-th request of each corpus set, up to `perSet` each, with the set's name. */
export async function corpusMix(
  dir: string,
  perSet: number,
  stride: number,
): Promise<{ set: string; request: RequestRecord }[]> {
  const out: { set: string; request: RequestRecord }[] = [];
  for (const [file, kind] of SETS) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const set = file.replace(/^.*\//, '').replace(/\.jsonl\.gz$/, '');
    let i = 0;
    let taken = 0;
    for await (const r of readRequests(path, kind, () => {})) {
      if (i++ % stride !== 0) continue;
      out.push({ set, request: r.request });
      if (++taken >= perSet) break;
    }
  }
  return out;
}

/** Worst-case inputs: each must stay bounded (the limit: 5 ms). */
export function worstCases(): { name: string; request: RequestRecord }[] {
  const MiB = 1024 * 1024;
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit ';
  return [
    {
      name: '1 MiB text body',
      request: {
        method: 'POST',
        url: '/upload',
        headers: { 'content-type': 'text/plain' },
        body: words.repeat(Math.ceil(MiB / words.length)).slice(0, MiB),
      },
    },
    {
      name: '1 MiB form value',
      request: {
        method: 'POST',
        url: '/f',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `a=${'x'.repeat(MiB)}`,
      },
    },
    {
      name: '10,000 parameters',
      request: {
        method: 'GET',
        url: `/?${Array.from({ length: 10000 }, (_, i) => `p${i}=v${i}`).join('&')}`,
        headers: {},
      },
    },
    {
      name: '10,000 form parameters',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Array.from({ length: 10000 }, (_, i) => `p${i}=v'${i}`).join('&'),
      },
    },
    {
      name: 'JSON nested 1,000 deep',
      request: {
        method: 'POST',
        url: '/api',
        headers: { 'content-type': 'application/json' },
        body: `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`,
      },
    },
    {
      name: '100 KB of quotes',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${"'".repeat(100 * 1024)}`,
      },
    },
    {
      name: '100 KB of double quotes',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${'"'.repeat(100 * 1024)}`,
      },
    },
    {
      name: '100 KB of < brackets',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${'<'.repeat(100 * 1024)}`,
      },
    },
    {
      name: '100 KB of ( brackets',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${'('.repeat(100 * 1024)}`,
      },
    },
    {
      name: '100 KB of {{ ${',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${'{{${'.repeat(34 * 1024)}`,
      },
    },
    { name: '100 KB of %25', request: { method: 'GET', url: `/?q=${'%25'.repeat(2700)}`, headers: {} } },
    {
      name: '100 KB of &#',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'text/plain' },
        body: '&#'.repeat(50 * 1024),
      },
    },
    {
      name: '100 KB of ../',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `q=${'../'.repeat(34 * 1024)}`,
      },
    },
    {
      name: '100 KB XML with DOCTYPE',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/xml' },
        body: `<!DOCTYPE a [${'<!ENTITY x "y">'.repeat(6000)}]><a>&x;</a>`,
      },
    },
    {
      name: '100 KB multipart',
      request: {
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
        body:
          Array.from(
            { length: 100 },
            (_, i) => `--XyZ\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${"x'<".repeat(330)}\r\n`,
          ).join('') + '--XyZ--\r\n',
      },
    },
  ];
}

export interface LatencyRow {
  name: string;
  count: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
}

export interface EngineBenchResult {
  mix: { requests: number; source: string };
  all: LatencyRow & { mean_cpu_us: number; rps_one_core: number };
  per_set: LatencyRow[];
  worst_cases: { name: string; median_ms: number; max_ms: number; action: string; rules: string[] }[];
}

export interface EngineBenchOptions {
  /** Timed rounds over the corpus mix (default 3; the built-in sample gets 2000 × this / 3). */
  rounds?: number;
  /** Requests per corpus set (default 4000). */
  perSet?: number;
  /** Timed repetitions of each worst case (default 7). */
  worstRepeats?: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function row(name: string, t: Float64Array): LatencyRow {
  return {
    name,
    count: t.length,
    p50_us: r1(quantile(t, 0.5)),
    p90_us: r1(quantile(t, 0.9)),
    p99_us: r1(quantile(t, 0.99)),
    p999_us: r1(quantile(t, 0.999)),
    max_us: r1(t[t.length - 1] ?? 0),
  };
}

/** Times `engine.inspect` over the mix (after a warm-up) and over each worst case. */
export async function benchEngine(
  engine: Engine,
  corpusDir: string | null,
  opts: EngineBenchOptions = {},
): Promise<EngineBenchResult> {
  const fromCorpus = corpusDir !== null && existsSync(corpusDir);
  const perSetMax = opts.perSet ?? 4000;
  const mix = fromCorpus
    ? await corpusMix(corpusDir, perSetMax, 3)
    : BUILTIN_MIX.map((request) => ({ set: 'built-in', request }));
  // Warm up the JIT, then time each request. One thread: wall time of a synchronous call ≈ its CPU time.
  const baseRounds = opts.rounds ?? 3;
  const rounds = fromCorpus ? baseRounds : Math.max(1, Math.round((2000 * baseRounds) / 3));
  for (let r = 0; r < 2; r++) for (const m of mix) engine.inspect(m.request);
  const times = new Float64Array(mix.length * rounds);
  const perSet = new Map<string, number[]>();
  let k = 0;
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    for (const m of mix) {
      const t0 = process.hrtime.bigint();
      engine.inspect(m.request);
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      times[k++] = us;
      let list = perSet.get(m.set);
      if (!list) perSet.set(m.set, (list = []));
      list.push(us);
    }
  }
  const cpuUsed = process.cpuUsage(cpu0);
  const meanCpu = (cpuUsed.user + cpuUsed.system) / Math.max(1, k);
  const worst: EngineBenchResult['worst_cases'] = [];
  for (const w of worstCases()) {
    const t = new Float64Array(opts.worstRepeats ?? 7);
    let v = engine.inspect(w.request);
    for (let i = 0; i < t.length; i++) {
      const t0 = process.hrtime.bigint();
      v = engine.inspect(w.request);
      t[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    t.sort();
    worst.push({
      name: w.name,
      median_ms: Math.round(quantile(t, 0.5) * 100) / 100,
      max_ms: Math.round((t[t.length - 1] ?? 0) * 100) / 100,
      action: v.action,
      rules: v.findings.slice(0, 3).map((f) => f.rule),
    });
  }
  return {
    mix: {
      requests: mix.length,
      source: fromCorpus
        ? `${corpusDir} (every 3rd of each set, ≤ ${perSetMax} per set)`
        : 'the built-in sample',
    },
    all: {
      ...row(`all (${k} inspections)`, times.sort()),
      mean_cpu_us: r1(meanCpu),
      rps_one_core: Math.round(1e6 / meanCpu),
    },
    per_set: [...perSet].map(([set, list]) => row(set, Float64Array.from(list).sort())),
    worst_cases: worst,
  };
}

/** The engine section as text (the tables `palisade bench` always printed). */
export function formatEngine(r: EngineBenchResult): string {
  const us = (x: number) => `${x.toFixed(1)} µs`;
  const line = (l: LatencyRow, mean: string) => [
    l.name,
    us(l.p50_us),
    us(l.p90_us),
    us(l.p99_us),
    us(l.p999_us),
    us(l.max_us),
    mean,
  ];
  const table = [['per request', 'median', 'p90', 'p99', 'p99.9', 'max', 'mean CPU']];
  table.push(line(r.all, us(r.all.mean_cpu_us)));
  for (const s of r.per_set) table.push(line({ ...s, name: `  ${s.name}` }, ''));
  const rows = [['worst case', 'median', 'max', 'action', 'findings']];
  for (const w of r.worst_cases)
    rows.push([
      w.name,
      `${w.median_ms.toFixed(2)} ms`,
      `${w.max_ms.toFixed(2)} ms`,
      w.action,
      w.rules.join(' '),
    ]);
  return [
    `mix: ${r.mix.requests} requests from ${r.mix.source}`,
    '',
    formatTable(table),
    `throughput: ${r.all.rps_one_core.toLocaleString('en')} requests/s on one core`,
    '',
    formatTable(rows),
  ].join('\n');
}
