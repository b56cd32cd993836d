import { createHash } from 'node:crypto';
import { createPrng } from '@palisade/engine';

/** A seeded PRNG (the engine's mulberry32): the same seed gives the same shuffles on every machine. */
export const createRng: (seed: number) => () => number = createPrng;

/** Fisher–Yates shuffle with the given generator. */
export function shuffleInPlace(a: Int32Array | number[], rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/**
 * True when `key` falls in the fixed hash-based holdout (`fraction` of all keys). The key is the
 * request's content, so duplicates land on the same side and the split never depends on file order.
 */
export function inHoldout(key: string, fraction = 0.2): boolean {
  const h = createHash('sha256').update(key).digest();
  return h.readUInt32BE(0) / 4294967296 < fraction;
}

/**
 * Stratified train/test split: `testFraction` of each label goes to test (seeded).
 * Returns sample indices.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    let a = byLabel.get(l);
    if (!a) byLabel.set(l, (a = []));
    a.push(i);
  }
  const rng = createRng(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const l of [...byLabel.keys()].sort((a, b) => a - b)) {
    const a = byLabel.get(l)!;
    shuffleInPlace(a, rng);
    const k = Math.round(a.length * testFraction);
    test.push(...a.slice(0, k));
    train.push(...a.slice(k));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * Stratified k-fold assignment: returns the fold (0..k-1) of each sample. Samples with the same
 * `group` (e.g. identical documents) share a fold, so duplicates never sit on both sides; groups are
 * dealt round-robin per stratum (the group's majority label) after a seeded shuffle.
 */
export function stratifiedKFold(
  labels: ArrayLike<number>,
  k: number,
  seed: number,
  groups?: ArrayLike<number>,
): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new Error('k-fold needs k >= 2');
  const n = labels.length;
  const group = (i: number) => (groups ? groups[i]! : i);
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    let a = members.get(group(i));
    if (!a) members.set(group(i), (a = []));
    a.push(i);
  }
  const strata = new Map<number, number[]>();
  for (const [g, idx] of members) {
    let pos = 0;
    for (const i of idx) pos += labels[i]!;
    const s = pos * 2 >= idx.length ? 1 : 0;
    let a = strata.get(s);
    if (!a) strata.set(s, (a = []));
    a.push(g);
  }
  const rng = createRng(seed);
  const fold = new Int32Array(n);
  let next = 0;
  for (const s of [...strata.keys()].sort((a, b) => a - b)) {
    const gs = strata.get(s)!.sort((a, b) => a - b);
    shuffleInPlace(gs, rng);
    for (const g of gs) {
      for (const i of members.get(g)!) fold[i] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}
