import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import {
  createEngine,
  DEFAULT_VECTORIZER,
  scoreParsed,
  parseRequest,
  DEFAULT_LIMITS,
} from '@palisade/engine';
import { trainLogistic, marginOf, DEFAULT_SGD, type SparseRows } from './sgd.js';
import { rocAuc, metricsAt, curves } from './metrics.js';
import { createRng, inHoldout, stratifiedSplit, stratifiedKFold } from './split.js';
import {
  trainClassifier,
  pickThresholds,
  hybridBlocks,
  hashRecords,
  type TrainingRecord,
} from './train-classifier.js';
import { writeTrainingReport } from './report.js';
import { loadDefaultModel, DEFAULT_MODEL_PATH } from './load-model.js';

const TOY = readFileSync(new URL('./testdata/toy-requests.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => {
    const o = JSON.parse(l) as {
      id: string;
      method: string;
      url: string;
      label: 'attack' | 'benign';
      class: string;
      set: string;
    };
    return {
      set: o.set,
      label: o.label,
      class: o.class,
      request: { id: o.id, method: o.method, url: o.url, headers: {} },
    };
  }) as TrainingRecord[];

describe('metrics', () => {
  it('ROC AUC of a known ranking', () => {
    expect(rocAuc([0.9, 0.8, 0.7, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    // One inversion out of 2×2 pairs: 3/4.
    expect(rocAuc([0.9, 0.6, 0.7, 0.1], [1, 1, 0, 0])).toBe(0.75);
    // Ties count one half.
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
    expect(rocAuc([0.5, 0.4], [1, 1])).toBeNull();
  });
  it('confusion, precision, recall, F1 and balanced accuracy at a threshold', () => {
    const m = metricsAt([0.9, 0.6, 0.7, 0.1], [1, 1, 0, 0], 0.65);
    expect(m).toMatchObject({ tp: 1, fn: 1, fp: 1, tn: 1, precision: 0.5, recall: 0.5, f1: 0.5, fpr: 0.5 });
    expect(m.balancedAccuracy).toBe(0.5);
  });
  it('curves run from (0,0) to (1,1) on ROC and end at full recall', () => {
    const { roc, pr } = curves([0.9, 0.8, 0.3, 0.2, 0.1], [1, 0, 1, 0, 0]);
    expect(roc[0]).toEqual({ x: 0, y: 0 });
    expect(roc.at(-1)).toEqual({ x: 1, y: 1 });
    expect(pr.at(-1)!.x).toBe(1);
    expect(pr[0]).toEqual({ x: 0.5, y: 1 });
  });
});

describe('splits', () => {
  it('the holdout is a fixed function of the content, about the asked fraction', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `GET /item?id=${i}`);
    const share = keys.filter((k) => inHoldout(k, 0.2)).length / keys.length;
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
    expect(keys.map((k) => inHoldout(k))).toEqual(keys.map((k) => inHoldout(k)));
  });
  it('stratified split keeps the label ratio; k-fold keeps groups together', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0));
    const { train, test } = stratifiedSplit(labels, 0.2, 3);
    expect(test.filter((i) => labels[i] === 1)).toHaveLength(6);
    expect(test).toHaveLength(20);
    expect(new Set([...train, ...test]).size).toBe(100);
    const groups = labels.map((_, i) => Math.floor(i / 4));
    const fold = stratifiedKFold(labels, 5, 3, groups);
    for (let i = 0; i < 100; i++) expect(fold[i]).toBe(fold[groups[i]! * 4]);
    const sizes = [0, 1, 2, 3, 4].map((f) => fold.filter((x) => x === f).length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(16);
  });
});

describe('SGD logistic regression', () => {
  it('learns a linearly separable toy set', () => {
    // Two features; the class is sign(x0 - x1), with margin.
    const rng = createRng(5);
    const n = 400;
    const ids = new Int32Array(2 * n);
    const vals = new Float32Array(2 * n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const y = i % 2;
      const a = rng();
      ids[2 * i] = 0;
      ids[2 * i + 1] = 1;
      vals[2 * i] = y ? a + 0.2 : a - 0.2;
      vals[2 * i + 1] = a;
      labels[i] = y;
    }
    const x: SparseRows = {
      dim: 2,
      start: Uint32Array.from({ length: n }, (_, i) => 2 * i),
      end: Uint32Array.from({ length: n }, (_, i) => 2 * i + 2),
      ids,
      vals,
      labels,
      weights: new Float32Array(n).fill(1),
    };
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const m = trainLogistic(x, rows, { ...DEFAULT_SGD, epochs: 30, l2: 1e-4 });
    let correct = 0;
    for (let i = 0; i < n; i++) if (marginOf(m, x, i) > 0 === (labels[i] === 1)) correct++;
    expect(correct).toBe(n);
    expect(m.weights[0]).toBeGreaterThan(0);
    expect(m.weights[1]).toBeLessThan(0);
    // Seeded: the same options give the same model.
    expect(trainLogistic(x, rows, { ...DEFAULT_SGD, epochs: 30, l2: 1e-4 }).weights).toEqual(m.weights);
    expect(() => trainLogistic(x, rows, { ...DEFAULT_SGD, epochs: 0 })).toThrow(/invalid SGD options/);
  });
});

describe('thresholds', () => {
  it('block threshold leaves at most targetFpr added benign blocks per set', () => {
    const recs = Array.from({ length: 1000 }, (_, i) => ({ set: i < 500 ? 'a' : 'b' }));
    const labels = new Uint8Array(1000);
    const scores = Array.from({ length: 1000 }, (_, i) => (i % 500) / 500);
    const engine = new Array<number>(1000).fill(0);
    const t = pickThresholds(recs, labels, scores, engine, 5, 0.01, 0.02);
    for (const set of ['a', 'b']) {
      const fp = scores.filter((s, i) => recs[i]!.set === set && s >= t.block).length;
      expect(fp).toBeLessThanOrEqual(5);
      expect(fp).toBeGreaterThanOrEqual(4);
    }
    expect(t.log).toBeLessThanOrEqual(t.block);
    expect(hybridBlocks(0, t.block, 5, t)).toBe(true);
    expect(hybridBlocks(3, t.log, 5, t)).toBe(true);
    expect(hybridBlocks(0, t.log, 5, t)).toBe(t.log >= t.block);
  });
});

describe('trainClassifier on a toy set', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'pal-ml-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains, cross-validates, and writes a model the engine uses', () => {
    const { bytes, model, report } = trainClassifier({
      records: TOY,
      name: 'toy',
      folds: 3,
      seed: 2,
      vectorizer: { ...DEFAULT_VECTORIZER, hashBits: 12 },
      sgd: { epochs: 8 },
      targetFpr: 0.02,
    });
    expect(report.samples).toBe(TOY.length);
    expect(report.cv.auc!).toBeGreaterThan(0.9);
    expect(Object.keys(report.perSet).sort()).toEqual(['toy-a', 'toy-b']);
    expect(report.perClass['toy-a/sqli']!.attacks).toBeGreaterThan(0);
    expect(report.trainingDataSha256).toBe(hashRecords(TOY));
    expect(model.meta.training_data_sha256).toBe(report.trainingDataSha256);
    expect(bytes.length).toBe(report.modelBytes);
    const engine = createEngine({ model, classes: [] });
    const attack = engine.inspect({ method: 'GET', url: "/shop/item?name=1'+or+'2'='2&page=1" });
    const benign = engine.inspect({ method: 'GET', url: '/shop/item?name=kitchen+table&page=2' });
    expect(attack.ml!.score).toBeGreaterThan(benign.ml!.score);
    expect(benign.action).toBe('allow');
    writeTrainingReport(dir, report, [], 1.5);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('toy@');
    expect(readFileSync(join(dir, 'roc.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<path d="M/);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).cv.auc).toBe(report.cv.auc);
  });

  it('refuses data with one label only', () => {
    expect(() => trainClassifier({ records: TOY.filter((r) => r.label === 'benign') })).toThrow(
      /both attack and benign/,
    );
  });
});

describe('the shipped default model', () => {
  it('loads, blocks an obvious attack and allows a plain request', () => {
    expect(existsSync(DEFAULT_MODEL_PATH)).toBe(true);
    const model = loadDefaultModel();
    expect(model.id).toMatch(/^default-classifier@/);
    const attack = {
      method: 'GET',
      url: "/products.php?id=1'%20UNION%20SELECT%20username,password%20FROM%20users--",
    };
    expect(scoreParsed(model, parseRequest(attack, DEFAULT_LIMITS))).toBeGreaterThanOrEqual(
      model.thresholds.block,
    );
    const engine = createEngine({ model });
    expect(engine.inspect(attack).action).toBe('block');
    const plain = engine.inspect({
      method: 'GET',
      url: '/tienda1/publico/anadir.jsp?id=3&nombre=Vino+Rioja&cantidad=2',
    });
    expect(plain.action).toBe('allow');
    expect(plain.ml!.score).toBeLessThan(model.thresholds.log);
  });
});

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');

describe.skipIf(!existsSync(join(CORPUS, 'payloads', 'httpparams-train.jsonl.gz')))(
  'default model on the corpus',
  () => {
    it('raises balanced accuracy on the httpparams holdout without adding benign blocks', async () => {
      const { readRequests } = await import('../scan/read-records.js');
      const model = loadDefaultModel();
      const without = createEngine();
      const withModel = createEngine({ model });
      const c = { a: [0, 0], b: [0, 0], n: [0, 0] };
      for await (const r of readRequests(
        join(CORPUS, 'payloads', 'httpparams-train.jsonl.gz'),
        'payloads',
        () => {},
      )) {
        if (!r.id.endsWith('#q') || !inHoldout(`httpparams\u0000GET\u0000${r.request.url}\u0000`)) continue;
        const k = r.label === 'attack' ? 1 : 0;
        c.n[k]!++;
        if (without.inspect(r.request).action === 'block') c.a[k]!++;
        if (withModel.inspect(r.request).action === 'block') c.b[k]!++;
      }
      const ba = (d: number[]) => (d[1]! / c.n[1]! + 1 - d[0]! / c.n[0]!) / 2;
      expect(c.n[0]).toBeGreaterThan(1000);
      expect(ba(c.b)).toBeGreaterThan(ba(c.a));
      expect(c.b[0]! - c.a[0]!).toBeLessThanOrEqual(Math.ceil(0.005 * c.n[0]!));
    });
  },
);
