import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../errors.js';
import { createEngine } from '@palisade/engine';
import { parseSections, runBench } from './bench-command.js';

const storeOnly = (json: boolean, out: Writable) =>
  runBench(createEngine(), '/nonexistent', { only: parseSections('store'), quick: true, json, out });

/** Collects what the bench prints. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

// The bench is not a test: these only check that it runs and reports its keys (no timing asserts).
describe('palisade bench', () => {
  it('--only store --quick --json prints one JSON object with the store figures', async () => {
    const out = capture();
    const code = await storeOnly(true, out.stream);
    expect(code).toBe(0);
    const report = JSON.parse(out.text()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(report).sort()).toEqual(['machine', 'quick', 'store']);
    expect(report.machine).toEqual(
      expect.objectContaining({ node: process.version, cores: expect.any(Number) as number }),
    );
    const store = report.store!;
    expect(store).toEqual(
      expect.objectContaining({
        events: 5000,
        inserted: 5000,
        dropped: 0,
        events_per_s: expect.any(Number) as number,
        seconds: expect.any(Number) as number,
        batches: expect.any(Number) as number,
      }),
    );
    expect(store.findings_per_event).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('--only ml --quick --json reports the classifier cost, training and learning mode', async () => {
    const out = capture();
    const code = await runBench(createEngine(), '/nonexistent', {
      only: parseSections('ml'),
      quick: true,
      json: true,
      out: out.stream,
    });
    expect(code).toBe(0);
    const ml = (JSON.parse(out.text()) as { ml: Record<string, Record<string, unknown>> }).ml;
    expect(ml.inference!.source).toMatch(/vectors/);
    expect((ml.inference!.rows as unknown[]).length).toBeGreaterThan(0);
    const learning = ml.learning as { classifier: Record<string, unknown>; anomaly: Record<string, unknown> };
    expect(learning.classifier).toEqual(
      expect.objectContaining({ samples: 10_000, folds: 5, model_bytes: expect.any(Number) as number }),
    );
    expect(learning.anomaly).toEqual(
      expect.objectContaining({
        source: 'synthetic benign requests',
        score_us: expect.any(Number) as number,
      }),
    );
  }, 180_000);

  it('prints the section as text without --json', async () => {
    const out = capture();
    expect(await storeOnly(false, out.stream)).toBe(0);
    expect(out.text()).toMatch(/^Palisade bench — /);
    expect(out.text()).toMatch(/== store: .*\n5,000 events .* events\/s/);
  }, 20_000);

  it('rejects an unknown section by name', () => {
    expect(() => parseSections('store,nope')).toThrow(PalisadeError);
    expect(() => parseSections('store,nope')).toThrow(/unknown section "nope"/);
    expect(parseSections('serve, engine')).toEqual(['engine', 'serve']);
  });
});
