import { shuffleInPlace, createRng } from './split.js';

/**
 * Samples as one sparse matrix in CSR form: row `r` holds `ids[offsets[r]..offsets[r+1])` with their
 * values. Rows may share storage (duplicates point at the same range).
 */
export interface SparseRows {
  /** Number of columns (feature ids are `0 <= id < dim`). */
  readonly dim: number;
  readonly start: Uint32Array;
  readonly end: Uint32Array;
  readonly ids: Int32Array;
  readonly vals: Float32Array;
  /** 1 = attack, 0 = benign. */
  readonly labels: Uint8Array;
  /** Per-sample loss weight (class balance). */
  readonly weights: Float32Array;
}

export interface SgdOptions {
  epochs: number;
  /** Constant step size (averaging removes the noise a constant step leaves). */
  learningRate: number;
  /** L2 penalty λ (per step: w ← w·(1 − ηλ)). */
  l2: number;
  seed: number;
  /** Weights are averaged from this epoch on (0-based); earlier epochs are burn-in. */
  averageFrom: number;
}

export const DEFAULT_SGD: SgdOptions = Object.freeze({
  epochs: 5,
  learningRate: 0.5,
  l2: 1e-6,
  seed: 1,
  averageFrom: 1,
});

/** A trained linear model: `margin = bias + Σ weights[id]·value`. */
export interface LinearModel {
  weights: Float64Array;
  bias: number;
}

/** The margin of row `r`. */
export function marginOf(m: LinearModel, x: SparseRows, r: number): number {
  let s = m.bias;
  for (let k = x.start[r]!; k < x.end[r]!; k++) s += m.weights[x.ids[k]!]! * x.vals[k]!;
  return s;
}

/**
 * Trains L2-regularised logistic regression by averaged SGD (Polyak–Ruppert averaging, constant
 * step) over the given rows, in a seeded shuffled order each epoch. The L2 decay and the running
 * average are applied lazily (only when a feature is touched), so one step costs O(nonzeros).
 */
export function trainLogistic(x: SparseRows, rows: Int32Array, opts: SgdOptions = DEFAULT_SGD): LinearModel {
  if (!(opts.epochs >= 1) || !(opts.learningRate > 0) || !(opts.l2 >= 0) || opts.averageFrom >= opts.epochs)
    throw new Error('invalid SGD options (epochs >= 1, learningRate > 0, l2 >= 0, averageFrom < epochs)');
  const { dim } = x;
  const w = new Float64Array(dim);
  const sum = new Float64Array(dim);
  const last = new Float64Array(dim);
  const eta = opts.learningRate;
  const r = 1 - eta * opts.l2;
  const logR = Math.log(r);
  const t0 = opts.averageFrom * rows.length;
  let b = 0;
  let bSum = 0;
  let t = 0;
  // Brings feature j from step last[j] to step `to`: decay, and add the steps ≥ t0 to the average.
  const catchUp = (j: number, to: number) => {
    const from = last[j]!;
    if (from === to) return;
    const wj = w[j]!;
    if (wj !== 0) {
      const a = from > t0 ? from : t0;
      if (to > a) {
        const lead = from < a ? Math.exp((a - from) * logR) : 1;
        const d = to - a;
        sum[j]! += r === 1 ? wj * d : (wj * lead * (1 - Math.exp(d * logR))) / (1 - r);
      }
      w[j] = r === 1 ? wj : wj * Math.exp((to - from) * logR);
    }
    last[j] = to;
  };
  const rng = createRng(opts.seed);
  const order = Int32Array.from(rows);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffleInPlace(order, rng);
    for (let i = 0; i < order.length; i++, t++) {
      const row = order[i]!;
      const lo = x.start[row]!;
      const hi = x.end[row]!;
      let m = b;
      for (let k = lo; k < hi; k++) {
        const j = x.ids[k]!;
        catchUp(j, t);
        m += w[j]! * x.vals[k]!;
      }
      const y = x.labels[row]!;
      const p = m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m));
      const g = (p - y) * x.weights[row]! * eta;
      if (g !== 0) for (let k = lo; k < hi; k++) w[x.ids[k]!]! -= g * x.vals[k]!;
      b -= g;
      if (t >= t0) bSum += b;
    }
  }
  const n = t - t0;
  for (let j = 0; j < dim; j++) {
    catchUp(j, t);
    w[j] = sum[j]! / n;
  }
  return { weights: w, bias: bSum / n };
}
