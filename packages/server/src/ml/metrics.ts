/** Confusion counts and the rates derived from them at one threshold. */
export interface BinaryMetrics {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  fpr: number | null;
  balancedAccuracy: number | null;
}

/** Metrics of `scores` against 0/1 `labels` when `score >= threshold` predicts an attack. */
export function metricsAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i]! >= threshold;
    if (labels[i]) {
      if (p) tp++;
      else fn++;
    } else if (p) fp++;
    else tn++;
  }
  return fromCounts(tp, fp, tn, fn);
}

/** Rates from confusion counts (null where the denominator is 0). */
export function fromCounts(tp: number, fp: number, tn: number, fn: number): BinaryMetrics {
  const div = (a: number, b: number) => (b > 0 ? a / b : null);
  const precision = div(tp, tp + fp);
  const recall = div(tp, tp + fn);
  const fpr = div(fp, fp + tn);
  const f1 =
    precision !== null && recall !== null && precision + recall > 0
      ? (2 * precision * recall) / (precision + recall)
      : null;
  return {
    tp,
    fp,
    tn,
    fn,
    precision,
    recall,
    f1,
    fpr,
    balancedAccuracy: recall !== null && fpr !== null ? (recall + 1 - fpr) / 2 : null,
  };
}

/** Sample indices by descending score (ties keep index order, so results are deterministic). */
function byScoreDesc(scores: ArrayLike<number>): Int32Array {
  const idx = Int32Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx;
}

/**
 * Area under the ROC curve: the probability that a random attack scores above a random benign
 * sample (ties count one half). Null when one class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const idx = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) pos++;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return null;
  // Walk groups of tied scores: each benign sample is outranked by the attacks above its group and
  // ties with half of those in it.
  let area = 0;
  let posAbove = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    let p = 0;
    let n = 0;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) {
      if (labels[idx[j]!]) p++;
      else n++;
      j++;
    }
    area += n * (posAbove + p / 2);
    posAbove += p;
    i = j;
  }
  return area / (pos * neg);
}

/** A point of a curve. */
export interface Point {
  x: number;
  y: number;
}

/**
 * ROC curve (x = FPR, y = TPR) and precision–recall curve (x = recall, y = precision), each at
 * most `maxPoints` points (evenly spaced thresholds by rank), for plotting.
 */
export function curves(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  maxPoints = 200,
): { roc: Point[]; pr: Point[] } {
  const idx = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) pos++;
  const neg = labels.length - pos;
  const roc: Point[] = [{ x: 0, y: 0 }];
  const pr: Point[] = [];
  const every = Math.max(1, Math.floor(idx.length / maxPoints));
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (labels[idx[i]!]) tp++;
    else fp++;
    const tieNext = i + 1 < idx.length && scores[idx[i + 1]!] === scores[idx[i]!];
    if (tieNext || ((i + 1) % every !== 0 && i + 1 !== idx.length)) continue;
    roc.push({ x: neg ? fp / neg : 0, y: pos ? tp / pos : 0 });
    pr.push({ x: pos ? tp / pos : 0, y: tp / (tp + fp) });
  }
  return { roc, pr };
}
