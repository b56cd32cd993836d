import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeAnomalyModel,
  DEFAULT_LIMITS,
  parseRequest,
  scoreAnomaly,
  type SecurityEvent,
} from '@palisade/engine';
import { evaluateCsic, inTrainSplit, tprAtFpr, trainAnomalyFromFile } from './train-anomaly.js';
import { trainAnomalyFromStore } from './train-anomaly-store.js';
import { parseSince, runTrainAnomaly } from './train-anomaly-command.js';
import { insertEvents, openStore } from '../store/index.js';
import { makeEvent } from '../store/testdata/events.mjs';

const FILE = new URL('./testdata/requests.jsonl', import.meta.url).pathname;
const CSIC = new URL('../../../../../shared/corpus/requests/csic2010-dev.jsonl.gz', import.meta.url).pathname;

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

describe('training from a request file', () => {
  it('uses benign and unlabelled records, skips attacks, counts bad lines with their numbers', async () => {
    const { model, stats } = await trainAnomalyFromFile(FILE, { seed: 1 });
    expect(stats).toMatchObject({ read: 59, used: 58, attacks: 1, rejected: 2 });
    expect(stats.rejections).toEqual([
      { line: 32, reason: expect.stringMatching(/invalid JSON/) },
      { line: 61, reason: 'missing string field "url"' },
    ]);
    expect(model.info.requests).toBe(58);
    const attack = scoreAnomaly(
      model,
      parseRequest(
        { method: 'GET', url: "/shop/item?id=1'+UNION+SELECT+1--&qty=1", headers: {} },
        DEFAULT_LIMITS,
      ),
    );
    expect(attack.reasons[0]).toMatch(/^query arg 'id': \d+ characters never seen in training/);
  });

  it('can leave unlabelled records out', async () => {
    const { stats } = await trainAnomalyFromFile(FILE, { seed: 1, includeUnlabelled: false });
    expect(stats.used).toBe(30);
  });
});

describe('evaluation helpers', () => {
  it('computes the TPR at an FPR bound', () => {
    const neg = Array.from({ length: 100 }, (_, i) => i / 100);
    expect(tprAtFpr([0.995, 0.985, 0.5], neg, 0.01)).toEqual({ tpr: 2 / 3, fpr: 0.01, cut: 0.985 });
  });

  it('splits by a fixed hash of the id', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `r-${i}`);
    const share = ids.filter((id) => inTrainSplit(id, 1)).length / ids.length;
    expect(share).toBeGreaterThan(0.77);
    expect(share).toBeLessThan(0.83);
    expect(ids.map((id) => inTrainSplit(id, 1))).toEqual(ids.map((id) => inTrainSplit(id, 1)));
  });
});

describe('training from the store', () => {
  it('learns from allowed HTTP events since a time, decrypting raw requests', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pal-learn-'));
    const store = await openStore({ path: join(dir, 'p.db'), env: undefined });
    try {
      const events = [];
      for (let i = 0; i < 60; i++) {
        const raw = `GET /shop/item?id=${i + 1}&qty=${(i % 9) + 1} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t\r\n\r\n`;
        events.push(
          makeEvent(i, { action: 'allow', findings: [], score: 0, severity: 'info', labels: undefined, raw }),
        );
      }
      // Without a raw request: rebuilt from the row's fields.
      for (let i = 60; i < 70; i++)
        events.push(
          makeEvent(i, {
            action: 'allow',
            findings: [],
            score: 0,
            severity: 'info',
            labels: undefined,
            raw: undefined,
            http: {
              method: 'GET',
              path: '/shop/item',
              query: `id=${i}&qty=2`,
              host: 'shop.example',
              status: 200,
            },
          }),
        );
      events.push(makeEvent(70)); // blocked: not trained on
      events.push(
        makeEvent(71, { action: 'allow', findings: [], severity: 'info', ts: '2000-01-01T00:00:00Z' }),
      ); // too old
      await insertEvents(store, events as SecurityEvent[]);
      const { model, stats } = await trainAnomalyFromStore(store, {
        sinceMs: Date.parse('2025-12-31T00:00:00Z'),
        seed: 1,
      });
      expect(stats).toEqual({ events: 70, fromRaw: 60, fromFields: 10, unreadable: 0 });
      expect(model.info.requests).toBe(70);
      expect([...model.profile.routes.keys()]).toEqual(['GET /shop/item']);
    } finally {
      await store.close();
    }
  });
});

describe('palisade train anomaly', () => {
  it('trains from a file and writes a model that decodes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pal-learn-'));
    const out = join(dir, 'm', 'model.json');
    const lines: string[] = [];
    const code = await runTrainAnomaly(
      ['anomaly', '--requests', FILE, '--out', out, '--seed', '3', '--json'],
      {
        write: (t) => void lines.push(t),
      },
    );
    expect(code).toBe(0);
    const summary = JSON.parse(lines[0]!);
    expect(summary).toMatchObject({ used: 58, trained_on: 58, out, rejected: 2 });
    const model = decodeAnomalyModel(readFileSync(out, 'utf8'));
    expect(model.info.seed).toBe(3);
  });

  it('trains from the database with --since', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pal-learn-'));
    const db = join(dir, 'p.db');
    const store = await openStore({ path: db, env: undefined });
    const events = Array.from({ length: 20 }, (_, i) =>
      makeEvent(i, { action: 'allow', findings: [], severity: 'info', labels: undefined }),
    );
    await insertEvents(store, events as SecurityEvent[]);
    await store.close();
    const out = join(dir, 'model.json');
    const lines: string[] = [];
    const now = () => Date.parse('2026-01-02T00:00:00Z');
    const args = ['--from-db', '--since', '2d', '--db', db, '--out', out];
    expect(await runTrainAnomaly(args, { write: (t) => void lines.push(t), now, env: undefined })).toBe(0);
    expect(lines[0]).toMatch(/^anomaly model: 20 requests, 1 route, threshold 0\.\d+/);
    expect(existsSync(out)).toBe(true);
  });

  it('rejects bad usage with PAL_ERR_CLI_USAGE', async () => {
    const run = (a: string[]) => runTrainAnomaly(a, { write: () => {} });
    await expect(run([])).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    await expect(run(['--requests', FILE, '--from-db'])).rejects.toThrow(/exactly one/);
    await expect(run(['--from-db'])).rejects.toThrow(/needs --since/);
    await expect(run(['--requests', FILE, '--seed', 'x'])).rejects.toThrow(/--seed/);
    await expect(run(['--bogus'])).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    await expect(run(['--requests', '/nonexistent.jsonl'])).rejects.toMatchObject({
      code: 'PAL_ERR_CLI_INPUT',
    });
    expect(() => parseSince('7w')).toThrow(/unit/);
    expect(parseSince('7d')).toBe(7 * 86_400_000);
  });
});

describe.skipIf(!existsSync(CSIC))('CSIC 2010 evaluation (skipped without ../shared/corpus)', () => {
  it('detects the anomalous requests at a low false-positive rate', async () => {
    const r = await evaluateCsic(CSIC, { seed: 1 });
    // Measured (seed 1): AUC 0.996, TPR 99.2 % at FPR 0.17 %; floors are conservative.
    expect(r.auc).toBeGreaterThanOrEqual(0.97);
    expect(r.tprAtFpr1).toBeGreaterThanOrEqual(0.9);
    expect(r.fprAtThreshold).toBeLessThanOrEqual(0.01);
    expect(r.tprAtThreshold).toBeGreaterThanOrEqual(0.9);
  });
});
