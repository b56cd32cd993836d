/**
 * `palisade train classifier` end to end on a small corpus of its own (the toy requests as the
 * CSIC set; the other recipe files absent and skipped) plus the analysts' labels from a real store:
 * it writes a model that decodes, a report, and a summary that counts the store's records.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, type SecurityEvent } from '@palisade/engine';
import { insertEvents, openStore, setAnalystLabel } from '../store/index.js';
import { makeEvent } from '../store/testdata/events.mjs';
import { runTrainClassifier } from './train-classifier-command.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pal-train-'));
  mkdirSync(join(dir, 'corpus', 'requests'), { recursive: true });
  const toy = readFileSync(new URL('./testdata/toy-requests.jsonl', import.meta.url));
  writeFileSync(join(dir, 'corpus', 'requests', 'csic2010-dev.jsonl.gz'), gzipSync(toy));
  const store = await openStore({ path: join(dir, 'palisade.db'), env: undefined });
  await insertEvents(store, [
    makeEvent(1),
    makeEvent(2, { labels: undefined, action: 'allow' }),
  ] as SecurityEvent[]);
  await setAnalystLabel(store, 'evt-00000001', 'attack', 't');
  await setAnalystLabel(store, 'evt-00000002', 'benign', 't');
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('palisade train classifier', () => {
  it('trains on the corpus present, synthetic data and store labels, and writes model and report', async () => {
    const out: string[] = [];
    const logs: string[] = [];
    const model = join(dir, 'out', 'model.bin');
    const code = await runTrainClassifier(
      [
        '--corpus',
        join(dir, 'corpus'),
        '--out',
        model,
        '--labels',
        'analyst',
        '--db',
        join(dir, 'palisade.db'),
        '--json',
      ],
      { write: (t) => void out.push(t), log: (t) => void logs.push(t), env: undefined },
    );
    expect(code).toBe(0);
    const summary = JSON.parse(out.join(''));
    expect(summary.store_records).toBe(2);
    expect(summary.holdout.map((h: { set: string }) => h.set)).toEqual(
      expect.arrayContaining(['csic2010', 'synthetic']),
    );
    expect(logs.some((l) => /fwaf: .* is not in .*; skipped/.test(l))).toBe(true);
    const decoded = decodeModel(new Uint8Array(readFileSync(model)));
    expect(decoded.id).toBe(summary.model);
    expect(decoded.meta.extra_records).toBe(2);
    expect(existsSync(join(dir, 'out', 'report', 'report.md'))).toBe(true);
  }, 240_000);

  it('refuses a missing corpus, a bad seed and unknown label sources', async () => {
    const run = (...a: string[]) => runTrainClassifier(a, { write: () => undefined, log: () => undefined });
    await expect(run('--corpus', join(dir, 'nope'))).rejects.toMatchObject({ code: 'PAL_ERR_CLI_INPUT' });
    await expect(run('--corpus', join(dir, 'corpus'), '--seed', 'x')).rejects.toMatchObject({
      code: 'PAL_ERR_CLI_USAGE',
    });
    await expect(run('--corpus', join(dir, 'corpus'), '--labels', 'oracle')).rejects.toMatchObject({
      code: 'PAL_ERR_CLI_USAGE',
    });
  });
});
