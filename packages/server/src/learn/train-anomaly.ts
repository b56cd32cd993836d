/**
 * Learning mode, server side: training the engine's anomaly model from a request file (the corpus
 * format, benign records only) and evaluating it on CSIC 2010.
 */
import {
  DEFAULT_LIMITS,
  parseRequest,
  scoreAnomaly,
  trainAnomalyModel,
  type AnomalyModel,
  type RequestRecord,
  type TrainAnomalyOptions,
} from '@palisade/engine';
import { rocAuc } from '../ml/metrics.js';
import { inHoldout } from '../ml/split.js';
import { readRequests, type LabelledRequest, type Rejection } from '../scan/read-records.js';

/** Counts of a training run over a file. */
export interface TrainFileStats {
  /** Lines turned into requests. */
  read: number;
  /** Benign (or unlabelled) requests trained on. */
  used: number;
  /** Records skipped because labelled `attack`. */
  attacks: number;
  rejected: number;
  /** The first rejections (line number and reason), at most 20. */
  rejections: Rejection[];
}

export interface TrainFileOptions extends TrainAnomalyOptions {
  /** Train on records without a label too (default true: a capture of live traffic has none). */
  includeUnlabelled?: boolean;
}

const MAX_KEPT_REJECTIONS = 20;

/**
 * Trains an anomaly model on the benign requests of a `.jsonl`/`.jsonl.gz` request file
 * (records labelled `attack` are skipped; unlabelled ones are used unless told otherwise).
 */
export async function trainAnomalyFromFile(
  path: string,
  opts: TrainFileOptions = {},
): Promise<{ model: AnomalyModel; stats: TrainFileStats }> {
  const stats: TrainFileStats = { read: 0, used: 0, attacks: 0, rejected: 0, rejections: [] };
  const onReject = (r: Rejection) => {
    stats.rejected++;
    if (stats.rejections.length < MAX_KEPT_REJECTIONS) stats.rejections.push(r);
  };
  const requests: RequestRecord[] = [];
  const includeUnlabelled = opts.includeUnlabelled ?? true;
  for await (const r of readRequests(path, 'requests', onReject)) {
    stats.read++;
    if (r.label === 'attack') stats.attacks++;
    else if (r.label === 'benign' || includeUnlabelled) requests.push(r.request);
  }
  stats.used = requests.length;
  return { model: trainAnomalyModel(requests, opts), stats };
}

/** True for the share `trainPercent` of ids: a fixed split by hash of seed and id. */
export function inTrainSplit(id: string, seed: number, trainPercent = 80): boolean {
  return !inHoldout(`${seed}:${id}`, 1 - trainPercent / 100);
}

/** Figures of one evaluation. */
export interface AnomalyEvaluation {
  trainRequests: number;
  testBenign: number;
  testAttacks: number;
  threshold: number;
  /** True-positive and false-positive rates at the model's own threshold. */
  tprAtThreshold: number;
  fprAtThreshold: number;
  /** The best TPR with FPR <= 1 % (ROC point) and the score cut that gives it. */
  tprAtFpr1: number;
  fprAtFpr1: number;
  cutAtFpr1: number;
  auc: number;
  trainMs: number;
  modelBytes: number;
  /** A few missed attacks with their scores and reasons, to guide feature work. */
  missed: { id: string; score: number; reasons: string[] }[];
  /** A few benign requests over the threshold. */
  falseAlarms: { id: string; score: number; reasons: string[] }[];
}

/** The lowest score cut whose FPR is <= maxFpr, with the TPR and FPR there. */
export function tprAtFpr(
  pos: readonly number[],
  neg: readonly number[],
  maxFpr: number,
): { tpr: number; fpr: number; cut: number } {
  const cuts = [...new Set([...pos, ...neg])].sort((a, b) => b - a);
  const negSorted = [...neg].sort((a, b) => b - a);
  const posSorted = [...pos].sort((a, b) => b - a);
  let best = { tpr: 0, fpr: 0, cut: Infinity };
  let ni = 0;
  let pi = 0;
  for (const c of cuts) {
    while (ni < negSorted.length && negSorted[ni]! >= c) ni++;
    while (pi < posSorted.length && posSorted[pi]! >= c) pi++;
    const fpr = ni / negSorted.length;
    if (fpr > maxFpr) break;
    best = { tpr: pi / posSorted.length, fpr, cut: c };
  }
  return best;
}

const SAMPLES = 10;

/**
 * CSIC 2010 evaluation: benign requests split 80/20 by a fixed hash of their ids; the model trains
 * on the 80 % only and scores the 20 % and every attack.
 */
export async function evaluateCsic(
  path: string,
  opts: TrainAnomalyOptions & { seed?: number } = {},
): Promise<AnomalyEvaluation> {
  const seed = opts.seed ?? 1;
  const train: RequestRecord[] = [];
  const testBenign: LabelledRequest[] = [];
  const attacks: LabelledRequest[] = [];
  let rejected = 0;
  for await (const r of readRequests(path, 'requests', () => rejected++)) {
    if (r.label === 'attack') attacks.push(r);
    else if (r.label !== 'benign') continue;
    else if (inTrainSplit(r.id, seed)) train.push(r.request);
    else testBenign.push(r);
  }
  if (rejected > 0) throw new Error(`${path}: ${rejected} lines could not be read`);
  const trainReqs = train;
  const t0 = performance.now();
  const model = trainAnomalyModel(trainReqs, { ...opts, seed });
  const trainMs = performance.now() - t0;
  const score = (r: LabelledRequest) => scoreAnomaly(model, parseRequest(r.request, DEFAULT_LIMITS));
  const negScored = testBenign.map((r) => ({ r, s: score(r) }));
  const posScored = attacks.map((r) => ({ r, s: score(r) }));
  const neg = negScored.map((x) => x.s.score);
  const pos = posScored.map((x) => x.s.score);
  const at1 = tprAtFpr(pos, neg, 0.01);
  const sample = (xs: typeof negScored) =>
    xs.slice(0, SAMPLES).map((x) => ({ id: x.r.id, score: x.s.score, reasons: x.s.reasons }));
  return {
    trainRequests: trainReqs.length,
    testBenign: neg.length,
    testAttacks: pos.length,
    threshold: model.threshold,
    tprAtThreshold: pos.filter((s) => s >= model.threshold).length / pos.length,
    fprAtThreshold: neg.filter((s) => s >= model.threshold).length / neg.length,
    tprAtFpr1: at1.tpr,
    fprAtFpr1: at1.fpr,
    cutAtFpr1: at1.cut,
    auc: rocAuc([...pos, ...neg], [...pos.map(() => 1), ...neg.map(() => 0)]) ?? Number.NaN,
    trainMs,
    modelBytes: Buffer.byteLength(JSON.stringify(model)),
    missed: sample(posScored.filter((x) => !x.s.anomalous)),
    falseAlarms: sample(negScored.filter((x) => x.s.anomalous)),
  };
}
