import { createHash } from 'node:crypto';
import {
  createEngine,
  decodeModel,
  encodeModel,
  Featurizer,
  DEFAULT_VECTORIZER,
  DENSE_FEATURES,
  SEVERITY_POINTS,
  mlSeverity,
  sigmoid,
  type ClassifierModel,
  type EngineConfig,
  type RequestRecord,
  type VectorizerParams,
} from '@palisade/engine';
import {
  trainLogistic,
  marginOf,
  DEFAULT_SGD,
  type SgdOptions,
  type SparseRows,
  type LinearModel,
} from './sgd.js';
import { stratifiedKFold } from './split.js';
import { metricsAt, rocAuc, curves, fromCounts, type BinaryMetrics, type Point } from './metrics.js';

/** One labelled training request; `set` names the corpus file it came from. */
export interface TrainingRecord {
  set: string;
  request: RequestRecord;
  label: 'attack' | 'benign';
  class?: string;
  /**
   * The sets whose benign requests share one false-positive budget when the thresholds are picked
   * (default: the set alone).
   */
  thresholdGroup?: string;
}

export interface TrainClassifierOptions {
  records: readonly TrainingRecord[];
  /** Model name (kept in the file and in `verdict.ml.model`). */
  name?: string;
  seed?: number;
  /** Cross-validation folds (≥ 2); thresholds are picked on the out-of-fold scores. */
  folds?: number;
  vectorizer?: VectorizerParams;
  sgd?: Partial<SgdOptions>;
  /** Largest added benign block rate per set (out of fold) at the block threshold. */
  targetFpr?: number;
  /** Largest share of benign requests per set that the low (log-only) finding may touch. */
  logFpr?: number;
  /** Engine configuration the hybrid is tuned for (its block threshold). */
  engine?: EngineConfig;
  /** SHA-256 of the training data; computed from `records` when absent. */
  trainingDataSha256?: string;
  /** Extra fields for the model's meta. */
  meta?: Record<string, unknown>;
  log?: (message: string) => void;
}

/** Counts and rates of one set or class at the chosen block threshold (out-of-fold). */
export interface GroupReport {
  attacks: number;
  benign: number;
  auc: number | null;
  ml: BinaryMetrics;
  /** Engine alone, and engine + classifier (the hybrid verdict), detected = block. */
  engine: BinaryMetrics;
  hybrid: BinaryMetrics;
}

export interface TrainingReport {
  name: string;
  modelId: string;
  modelBytes: number;
  samples: number;
  uniqueDocuments: number;
  seconds: { inspect: number; featurize: number; crossValidation: number; fit: number; total: number };
  folds: number;
  sgd: SgdOptions;
  vectorizer: VectorizerParams;
  thresholds: { log: number; block: number; targetFpr: number; logFpr: number };
  trainingDataSha256: string;
  /** Out-of-fold metrics over all samples, per set and per corpus class. */
  cv: GroupReport;
  perSet: Record<string, GroupReport>;
  perClass: Record<string, GroupReport>;
  curves: { roc: Point[]; pr: Point[] };
}

export interface TrainClassifierResult {
  /** The model file. */
  bytes: Uint8Array;
  /** The model as the engine will use it (decoded from `bytes`, so quantised). */
  model: ClassifierModel;
  report: TrainingReport;
}

/** Standardised dense features are scaled down so that they weigh like the unit-norm n-gram block. */
const DENSE_SCALE = 0.25;

/** SHA-256 of records as canonical JSON lines, in the given order. */
export function hashRecords(records: readonly TrainingRecord[]): string {
  const h = createHash('sha256');
  for (const r of records) {
    const q = r.request;
    const body =
      typeof q.body === 'string' || q.body == null
        ? (q.body ?? null)
        : Buffer.from(q.body).toString('base64');
    h.update(
      JSON.stringify([r.set, r.label, r.class ?? null, q.method, q.url, q.headers ?? {}, body]) + '\n',
    );
  }
  return h.digest('hex');
}

/** Growable typed storage for the CSR matrix. */
class Grow {
  ids = new Int32Array(1 << 20);
  vals = new Float32Array(1 << 20);
  n = 0;
  push(id: number, v: number): void {
    if (this.n === this.ids.length) {
      const ids = new Int32Array(this.n * 2);
      ids.set(this.ids);
      this.ids = ids;
      const vals = new Float32Array(this.n * 2);
      vals.set(this.vals);
      this.vals = vals;
    }
    this.ids[this.n] = id;
    this.vals[this.n++] = v;
  }
}

/**
 * Trains the request classifier: features from the engine's parse of each request, TF-IDF with idf
 * learned here, logistic regression by averaged SGD, k-fold cross-validation, thresholds picked on
 * the out-of-fold scores so that the hybrid verdict adds at most `targetFpr` benign blocks per set.
 */
export function trainClassifier(opts: TrainClassifierOptions): TrainClassifierResult {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const name = opts.name ?? 'classifier';
  const seed = opts.seed ?? 1;
  const k = opts.folds ?? 5;
  const vz = opts.vectorizer ?? DEFAULT_VECTORIZER;
  const sgd: SgdOptions = { ...DEFAULT_SGD, seed, ...opts.sgd };
  const targetFpr = opts.targetFpr ?? 0.002;
  const logFpr = opts.logFpr ?? 0.02;
  const records = opts.records;
  const N = records.length;
  if (N < 4) throw new Error('trainClassifier needs at least 4 records');
  if (!records.some((r) => r.label === 'attack') || !records.some((r) => r.label === 'benign'))
    throw new Error('trainClassifier needs both attack and benign records');
  if (!Number.isInteger(k) || k < 2) throw new Error('folds must be an integer >= 2');

  // 1. The engine's parse and verdict (the hybrid is tuned against what the rules already catch).
  const engine = createEngine({ ...opts.engine, model: undefined });
  const blockThreshold = engine.config.blockThreshold;
  const labels = new Uint8Array(N);
  const engineScore = new Float64Array(N);
  const fz = new Featurizer(vz);
  const dim = 1 << vz.hashBits;
  const D = DENSE_FEATURES.length;
  const docIndex = new Map<string, number>();
  const docOf = new Int32Array(N);
  const rawIds = new Grow();
  const docStart: number[] = [];
  const docEnd: number[] = [];
  const docDense: Float64Array[] = [];
  const df = new Float64Array(dim);
  let tInspect = 0;
  let tFeat = 0;
  for (let i = 0; i < N; i++) {
    const r = records[i]!;
    labels[i] = r.label === 'attack' ? 1 : 0;
    let t = performance.now();
    const { verdict, parsed } = engine.inspectParsed(r.request);
    tInspect += performance.now() - t;
    engineScore[i] = verdict.score;
    t = performance.now();
    const raw = fz.featurize(parsed);
    for (let j = 0; j < raw.n; j++) df[raw.ids[j]!]! += 1;
    // Identical documents share storage (CSIC repeats many requests).
    const key = raw.doc.length < vz.maxDocChars ? raw.doc : null;
    let d = key === null ? undefined : docIndex.get(key);
    if (d === undefined) {
      d = docStart.length;
      if (key !== null) docIndex.set(key, d);
      docStart.push(rawIds.n);
      for (let j = 0; j < raw.n; j++) rawIds.push(raw.ids[j]!, raw.counts[j]!);
      docEnd.push(rawIds.n);
      docDense.push(Float64Array.from(raw.dense));
    }
    docOf[i] = d;
    tFeat += performance.now() - t;
  }
  const U = docStart.length;
  log(`featurized ${N} requests (${U} distinct documents) in ${((tInspect + tFeat) / 1000).toFixed(1)} s`);

  // 2. idf (smooth, as in scikit-learn) and the dense features' mean and standard deviation.
  const idf = new Float32Array(dim);
  for (let j = 0; j < dim; j++) idf[j] = Math.log((1 + N) / (1 + df[j]!)) + 1;
  const mean = new Float64Array(D);
  const std = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const x = docDense[docOf[i]!]!;
    for (let q = 0; q < D; q++) mean[q]! += x[q]!;
  }
  for (let q = 0; q < D; q++) mean[q]! /= N;
  for (let i = 0; i < N; i++) {
    const x = docDense[docOf[i]!]!;
    for (let q = 0; q < D; q++) std[q]! += (x[q]! - mean[q]!) ** 2;
  }
  for (let q = 0; q < D; q++) std[q] = Math.max(Math.sqrt(std[q]! / N), 1e-3);

  // 3. The CSR matrix: per document, L2-normalised TF-IDF then the scaled standardised dense block.
  const nnz = rawIds.n + U * D;
  const ids = new Int32Array(nnz);
  const vals = new Float32Array(nnz);
  const uStart = new Uint32Array(U);
  const uEnd = new Uint32Array(U);
  let o = 0;
  for (let u = 0; u < U; u++) {
    uStart[u] = o;
    let norm = 0;
    for (let j = docStart[u]!; j < docEnd[u]!; j++) {
      const x = rawIds.vals[j]! * idf[rawIds.ids[j]!]!;
      norm += x * x;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = docStart[u]!; j < docEnd[u]!; j++, o++) {
      ids[o] = rawIds.ids[j]!;
      vals[o] = rawIds.vals[j]! * idf[rawIds.ids[j]!]! * inv;
    }
    const x = docDense[u]!;
    for (let q = 0; q < D; q++, o++) {
      const z = Math.max(-8, Math.min(8, (x[q]! - mean[q]!) / std[q]!));
      ids[o] = dim + q;
      vals[o] = z * DENSE_SCALE;
    }
    uEnd[u] = o;
  }
  // Per-(set, label) balance: each set and each side weigh alike, whatever their sizes.
  const groupCount = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const g = `${records[i]!.set}\u0000${labels[i]}`;
    groupCount.set(g, (groupCount.get(g) ?? 0) + 1);
  }
  const weights = new Float32Array(N);
  let wsum = 0;
  for (let i = 0; i < N; i++) {
    const c = groupCount.get(`${records[i]!.set}\u0000${labels[i]}`)!;
    weights[i] = N / (groupCount.size * c);
    wsum += weights[i]!;
  }
  for (let i = 0; i < N; i++) weights[i] = Math.min(10, Math.max(0.1, (weights[i]! * N) / wsum));
  const x: SparseRows = {
    dim: dim + D,
    start: Uint32Array.from(docOf, (d) => uStart[d]!),
    end: Uint32Array.from(docOf, (d) => uEnd[d]!),
    ids,
    vals,
    labels,
    weights,
  };

  // 4. k-fold cross-validation (folds by document, so duplicates never straddle a fold).
  let t = performance.now();
  const fold = stratifiedKFold(labels, k, seed, docOf);
  const oof = new Float64Array(N);
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    for (let i = 0; i < N; i++) if (fold[i] !== f) train.push(i);
    const m = trainLogistic(x, Int32Array.from(train), sgd);
    for (let i = 0; i < N; i++) if (fold[i] === f) oof[i] = sigmoid(marginOf(m, x, i));
    log(`fold ${f + 1}/${k} done`);
  }
  const tCv = performance.now() - t;

  // 5. The final fit on every sample.
  t = performance.now();
  const all = Int32Array.from({ length: N }, (_, i) => i);
  const final: LinearModel = trainLogistic(x, all, sgd);
  const tFit = performance.now() - t;

  // 6. Thresholds on the out-of-fold scores.
  const sets = [...new Set(records.map((r) => r.set))].sort();
  const thresholds = pickThresholds(records, labels, oof, engineScore, blockThreshold, targetFpr, logFpr);
  log(`thresholds log ${thresholds.log.toFixed(4)} block ${thresholds.block.toFixed(4)}`);

  const hashed = new Float32Array(dim);
  for (let j = 0; j < dim; j++) hashed[j] = final.weights[j]!;
  const denseWeights = new Float64Array(D);
  for (let q = 0; q < D; q++) denseWeights[q] = final.weights[dim + q]! * DENSE_SCALE;
  const sha = opts.trainingDataSha256 ?? hashRecords(records);
  const group = (pick: (i: number) => boolean): GroupReport =>
    groupReport(pick, N, labels, oof, engineScore, blockThreshold, thresholds);
  const cv = group(() => true);
  const perSet: Record<string, GroupReport> = {};
  for (const s of sets) perSet[s] = group((i) => records[i]!.set === s);
  const perClass: Record<string, GroupReport> = {};
  for (const c of [...new Set(records.map((r) => `${r.set}/${r.class ?? r.label}`))].sort())
    perClass[c] = group((i) => `${records[i]!.set}/${records[i]!.class ?? records[i]!.label}` === c);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 1e4);
  const bytes = encodeModel(
    {
      vectorizer: vz,
      denseNames: DENSE_FEATURES,
      denseMean: mean,
      denseStd: std,
      denseWeights,
      idf,
      weights: hashed,
      bias: final.bias,
      thresholds,
      meta: {
        training_data_sha256: sha,
        samples: N,
        sets: Object.fromEntries(
          sets.map((s) => [s, { attacks: perSet[s]!.attacks, benign: perSet[s]!.benign }]),
        ),
        seed,
        folds: k,
        sgd,
        target_fpr: targetFpr,
        log_fpr: logFpr,
        cv: {
          auc: round(cv.auc),
          precision: round(cv.ml.precision),
          recall: round(cv.ml.recall),
          f1: round(cv.ml.f1),
          fpr: round(cv.ml.fpr),
        },
        ...opts.meta,
      },
    },
    name,
  );
  const model = decodeModel(bytes);
  const c = curves(oof, labels);
  return {
    bytes,
    model,
    report: {
      name,
      modelId: model.id,
      modelBytes: bytes.length,
      samples: N,
      uniqueDocuments: U,
      seconds: {
        inspect: tInspect / 1000,
        featurize: tFeat / 1000,
        crossValidation: tCv / 1000,
        fit: tFit / 1000,
        total: (performance.now() - t0) / 1000,
      },
      folds: k,
      sgd,
      vectorizer: vz,
      thresholds: { ...thresholds, targetFpr, logFpr },
      trainingDataSha256: sha,
      cv,
      perSet,
      perClass,
      curves: c,
    },
  };
}

/** Whether the hybrid verdict blocks, from the engine's score and the classifier's. */
export function hybridBlocks(
  engineScore: number,
  mlScore: number,
  blockThreshold: number,
  t: { log: number; block: number },
): boolean {
  const sev = mlSeverity(mlScore, t);
  return engineScore + (sev ? SEVERITY_POINTS[sev] : 0) >= blockThreshold;
}

function groupReport(
  pick: (i: number) => boolean,
  N: number,
  labels: Uint8Array,
  oof: Float64Array,
  engineScore: Float64Array,
  blockThreshold: number,
  t: { log: number; block: number },
): GroupReport {
  const s: number[] = [];
  const l: number[] = [];
  const e = [0, 0, 0, 0];
  const h = [0, 0, 0, 0];
  const add = (c: number[], pred: boolean, y: number) => c[(y ? 0 : 2) + (pred === (y === 1) ? 0 : 1)]!++;
  for (let i = 0; i < N; i++) {
    if (!pick(i)) continue;
    s.push(oof[i]!);
    l.push(labels[i]!);
    add(e, engineScore[i]! >= blockThreshold, labels[i]!);
    add(h, hybridBlocks(engineScore[i]!, oof[i]!, blockThreshold, t), labels[i]!);
  }
  // c = [tp, fn, tn, fp]
  const m = (c: number[]) => fromCounts(c[0]!, c[3]!, c[2]!, c[1]!);
  const attacks = l.filter((y) => y === 1).length;
  return {
    attacks,
    benign: l.length - attacks,
    auc: rocAuc(s, l),
    ml: metricsAt(s, l, t.block),
    engine: m(e),
    hybrid: m(h),
  };
}

/**
 * Picks the block threshold as the lowest score at which, in every set (or threshold group), at most `targetFpr` of the
 * benign requests would be newly blocked; then the log threshold as the lowest score at which at
 * most `logFpr` of each set's benign requests get the low finding and at most another `targetFpr`
 * are tipped into a block by it (the rules scored them just under the block threshold).
 */
export function pickThresholds(
  records: readonly { set: string; thresholdGroup?: string }[],
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  engineScore: ArrayLike<number>,
  blockThreshold: number,
  targetFpr: number,
  logFpr: number,
): { log: number; block: number } {
  const sets = new Map<string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) continue;
    const g = records[i]!.thresholdGroup ?? records[i]!.set;
    let a = sets.get(g);
    if (!a) sets.set(g, (a = []));
    a.push(i);
  }
  // A score strictly above the `allowed`-th highest benign score of the candidates.
  const above = (xs: number[], allowed: number): number => {
    xs.sort((a, b) => b - a);
    if (allowed >= xs.length) return 0;
    const v = xs[allowed]!;
    return Math.min(0.999999, v + Math.max(1e-9, v * 1e-7));
  };
  let block = 0.5;
  for (const idx of sets.values()) {
    const cand = idx.filter((i) => engineScore[i]! < blockThreshold).map((i) => scores[i]!);
    block = Math.max(block, above(cand, Math.floor(targetFpr * idx.length)));
  }
  let log = 0.5;
  // Requests the rules block already are not the classifier's to log.
  for (const idx of sets.values())
    log = Math.max(
      log,
      above(
        idx.filter((i) => engineScore[i]! < blockThreshold).map((i) => scores[i]!),
        Math.floor(logFpr * idx.length),
      ),
    );
  log = Math.min(log, block);
  // Raise `log` until no set gets more than `targetFpr` added blocks from the two findings together.
  const lowPts = SEVERITY_POINTS.low;
  for (const idx of sets.values()) {
    const tipped = idx.filter(
      (i) => engineScore[i]! < blockThreshold && engineScore[i]! + lowPts >= blockThreshold,
    );
    const cand = tipped.filter((i) => scores[i]! < block).map((i) => scores[i]!);
    log = Math.max(log, Math.min(block, above(cand, Math.floor(targetFpr * idx.length))));
  }
  return { log, block };
}
