import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '@palisade/engine';
import { SYNTH_CLASSES, synthDataset, synthRequests } from './synth.js';
import { readJsonl, readParquet } from '../testdata/read-back.mjs';

const dir = mkdtempSync(join(tmpdir(), 'pal-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synthRequests', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = synthRequests({ n: 300, seed: 42 });
    expect(synthRequests({ n: 300, seed: 42 })).toEqual(a);
    expect(synthRequests({ n: 300, seed: 43 })).not.toEqual(a);
    // A prefix of a longer run is the shorter run.
    expect(synthRequests({ n: 500, seed: 42 }).slice(0, 300)).toEqual(a);
  });

  it('covers every class, context and encoding with varied payloads', () => {
    const items = synthRequests({ n: 3000, seed: 1 });
    const classes = new Set(items.map((i) => i.class));
    expect([...classes].sort()).toEqual([...SYNTH_CLASSES, 'benign'].sort());
    const share = items.filter((i) => i.label === 'attack').length / items.length;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
    expect(new Set(items.map((i) => i.context))).toEqual(
      new Set(['query', 'form', 'json', 'header', 'cookie', 'path', 'xml']),
    );
    expect(new Set(items.map((i) => i.encoding))).toEqual(
      new Set(['url', 'plus', 'url-all', 'double', 'raw', 'json', 'json-unicode', 'path']),
    );
    for (const cls of SYNTH_CLASSES) {
      const distinct = new Set(
        items
          .filter((i) => i.class === cls)
          .map((i) => `${i.request.url}|${String(i.request.body)}|${JSON.stringify(i.request.headers)}`),
      );
      expect(distinct.size, cls).toBeGreaterThan(100);
    }
    for (const i of items) {
      expect(i.request.url.startsWith('/')).toBe(true);
      expect(i.request.url).not.toMatch(/[\s#]/);
      if (i.request.body !== undefined) expect(i.request.headers['content-type']).toBeDefined();
    }
    expect(() => synthRequests({ n: -1, seed: 1 })).toThrow(/--n/);
    expect(() => synthRequests({ n: 1, seed: 1.5 })).toThrow(/--seed/);
  });

  it('the engine blocks most synthetic attacks and allows most benign requests', () => {
    const engine = createEngine();
    const items = synthRequests({ n: 4000, seed: 7 });
    const per = new Map<string, { n: number; block: number; flag: number }>();
    for (const it of items) {
      const v = engine.inspect(it.request);
      const s = per.get(it.class) ?? { n: 0, block: 0, flag: 0 };
      s.n++;
      if (v.action === 'block') s.block++;
      if (v.action !== 'allow') s.flag++;
      per.set(it.class, s);
    }
    const lines = [...per].map(
      ([c, s]) =>
        `${c.padEnd(10)} n=${s.n} block=${(s.block / s.n).toFixed(3)} flagged=${(s.flag / s.n).toFixed(3)}`,
    );
    console.log(`engine on synth seed 7, n 4000:\n${lines.join('\n')}`);
    const attacks = [...per].filter(([c]) => c !== 'benign').map(([, s]) => s);
    const blocked = attacks.reduce((a, s) => a + s.block, 0) / attacks.reduce((a, s) => a + s.n, 0);
    expect(blocked).toBeGreaterThan(0.85);
    for (const [c, s] of per) if (c !== 'benign') expect(s.block / s.n, c).toBeGreaterThan(0.6);
    const benign = per.get('benign')!;
    expect(benign.block / benign.n).toBeLessThan(0.02);
    expect(benign.flag / benign.n).toBeLessThan(0.15);
  });
});

describe('synthDataset', () => {
  it('writes the export columns with label.source synthetic, reproducibly', async () => {
    const now = () => 0;
    const a = await synthDataset({ n: 1000, seed: 5, format: 'jsonl', outDir: join(dir, 'a'), now });
    const b = await synthDataset({ n: 1000, seed: 5, format: 'jsonl', outDir: join(dir, 'b'), now });
    expect(readFileSync(b.files.train)).toEqual(readFileSync(a.files.train));
    expect(readFileSync(b.files.datacard_json)).toEqual(readFileSync(a.files.datacard_json));
    const rows = [...readJsonl(a.files.train), ...readJsonl(a.files.test)];
    expect(rows.length + a.card.counts.duplicates_dropped).toBe(1000);
    expect(
      rows.every((r) => r['label.source'] === 'synthetic' && r['palisade.source.type'] === 'synthetic'),
    ).toBe(true);
    expect(a.card.counts.by_label_source).toEqual({
      synthetic: { train: a.card.counts.train, test: a.card.counts.test },
    });
    expect(Object.keys(a.card.counts.by_class).sort()).toEqual([...SYNTH_CLASSES, 'benign'].sort());
    for (const [c, v] of Object.entries(a.card.counts.by_class))
      expect(Math.abs(v.test - (v.train + v.test) * 0.2), c).toBeLessThanOrEqual(1);
    expect(a.card.parameters).toMatchObject({ kind: 'synthetic', n: 1000, seed: 5, format: 'jsonl' });
    const pq = await synthDataset({ n: 1000, seed: 5, format: 'parquet', outDir: join(dir, 'pq') });
    const back = await readParquet(pq.files.train);
    expect(back.rows.map((r) => r['event.id'])).toEqual(readJsonl(a.files.train).map((r) => r['event.id']));
    expect(back.rows.map((r) => r['http.request.body.content'])).toEqual(
      readJsonl(a.files.train).map((r) => r['http.request.body.content']),
    );
  });
});
