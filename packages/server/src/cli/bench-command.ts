import { existsSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import type { Engine, RequestRecord } from '@palisade/engine';
import { readRequests } from '../scan/read-records.js';
import { formatTable } from './scan-command.js';

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
async function corpusMix(
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

/** Worst-case inputs: each must stay bounded (the issue's limit: 5 ms). */
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

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runBench(engine: Engine, corpusDir: string | null): Promise<number> {
  const out = process.stdout;
  const fromCorpus = corpusDir !== null && existsSync(corpusDir);
  const mix = fromCorpus
    ? await corpusMix(corpusDir, 4000, 3)
    : BUILTIN_MIX.map((request) => ({ set: 'built-in', request }));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  out.write(
    `Palisade bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu}, ${os.cpus().length} cores\n`,
  );
  out.write(
    `mix: ${mix.length} requests from ${fromCorpus ? `${corpusDir} (every 3rd of each set, ≤ 4000 per set)` : 'the built-in sample'}\n\n`,
  );
  // Warm up the JIT, then time each request. One thread: wall time of a synchronous call ≈ its CPU time.
  const rounds = fromCorpus ? 3 : 2000;
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
  const meanCpu = (cpuUsed.user + cpuUsed.system) / k;
  const row = (name: string, t: Float64Array, mean: string) => [
    name,
    `${quantile(t, 0.5).toFixed(1)} µs`,
    `${quantile(t, 0.9).toFixed(1)} µs`,
    `${quantile(t, 0.99).toFixed(1)} µs`,
    `${quantile(t, 0.999).toFixed(1)} µs`,
    `${t[t.length - 1]!.toFixed(1)} µs`,
    mean,
  ];
  const table = [['per request', 'median', 'p90', 'p99', 'p99.9', 'max', 'mean CPU']];
  table.push(row(`all (${k} inspections)`, times.sort(), `${meanCpu.toFixed(1)} µs`));
  for (const [set, list] of perSet) {
    const t = Float64Array.from(list).sort();
    table.push(row(`  ${set}`, t, ''));
  }
  out.write(`${formatTable(table)}\n`);
  out.write(`throughput: ${Math.round(1e6 / meanCpu).toLocaleString('en')} requests/s on one core\n\n`);
  const rows = [['worst case', 'median', 'max', 'action', 'findings']];
  for (const w of worstCases()) {
    const t = new Float64Array(7);
    let v = engine.inspect(w.request);
    for (let i = 0; i < t.length; i++) {
      const t0 = process.hrtime.bigint();
      v = engine.inspect(w.request);
      t[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    t.sort();
    rows.push([
      w.name,
      `${quantile(t, 0.5).toFixed(2)} ms`,
      `${t[t.length - 1]!.toFixed(2)} ms`,
      v.action,
      v.findings
        .map((f) => f.rule)
        .slice(0, 3)
        .join(' '),
    ]);
  }
  out.write(`${formatTable(rows)}\n`);
  return 0;
}
