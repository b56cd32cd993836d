/**
 * Export speed and memory: `node packages/server/dist/dataset/bench-export.js [N]` fills a temporary
 * store with N events (a third of them attacks with findings, all with a sealed raw request), then
 * exports them in each format and prints rows/s and the peak RSS. Not a test: it asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecurityEvent } from '@palisade/engine';
import { Keyring } from '../store/crypto.js';
import { insertEvents } from '../store/events.js';
import { openStore } from '../store/store.js';
import { exportDataset } from './export-dataset.js';
import { DATASET_FORMATS } from './writers/row-writer.js';

function event(i: number): SecurityEvent {
  const attack = i % 3 === 0;
  const query = attack ? `id=${i}'+union+select+password+from+users--` : `q=item+${i}&page=${i % 40}`;
  return {
    id: `b${i}`,
    ts: new Date(Date.UTC(2026, 0, 1) + i * 100).toISOString(),
    kind: 'http',
    source: { name: 'proxy:bench', type: 'proxy' },
    client: { ip: `198.51.100.${i % 250}` },
    http: {
      method: 'GET',
      host: 'shop.example',
      path: `/p/${i % 5000}`,
      query,
      status: attack ? 403 : 200,
      user_agent: 'Mozilla/5.0 bench',
    },
    action: attack ? 'block' : 'allow',
    score: attack ? 5 : 0,
    severity: attack ? 'high' : 'info',
    findings: attack
      ? [
          {
            rule: 'sqli.union',
            rule_version: 1,
            class: 'sqli',
            severity: 'high',
            confidence: 0.9,
            location: 'query:id',
            evidence: 'union select',
            decoded_by: ['url'],
          },
        ]
      : [],
    labels: { detector: attack ? 'attack' : 'benign' },
    raw: `GET /p/${i % 5000}?${query} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0 bench\r\nAccept: */*\r\n\r\n`,
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'pal-bench-export-'));
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const store = await openStore({ path: join(dir, 'db.sqlite'), keyring: Keyring.generate() });
    for (let i = 0; i < n; i += 5000)
      await insertEvents(
        store,
        Array.from({ length: Math.min(5000, n - i) }, (_, k) => event(i + k)),
      );
    const rssAfterFill = process.memoryUsage().rss;
    process.stdout.write(`${n} events stored; RSS ${(rssAfterFill / 2 ** 20).toFixed(0)} MiB\n`);
    for (const format of DATASET_FORMATS) {
      peak = 0;
      const t = performance.now();
      const r = await exportDataset(store, { format, outDir: join(dir, format), includeRaw: true });
      const s = (performance.now() - t) / 1000;
      process.stdout.write(
        `${format.padEnd(8)} ${r.card.counts.rows} rows in ${s.toFixed(2)} s = ${Math.round(r.card.counts.rows / s)} rows/s (two passes), peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB\n`,
      );
    }
    await store.close();
  } finally {
    clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
