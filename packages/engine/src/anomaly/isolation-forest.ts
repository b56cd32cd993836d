/**
 * Isolation Forest (Liu, Ting & Zhou 2008): random trees over subsamples; points that are isolated
 * after few splits are anomalies. Score s(x) = 2^(-E[h(x)] / c(psi)), in (0, 1].
 *
 * One deliberate extension: a feature that is constant within a node is split over its training
 * *domain* (the range of that feature over the whole training set, at least `minDomain`) instead of
 * being skipped. Novelty features ("characters never seen for this parameter") are zero in almost
 * every benign request, so a 256-row subsample is often constant in them; the plain algorithm
 * could then never isolate a request that is non-zero there. With the domain split the request
 * falls into an empty branch and is isolated at that depth.
 */
import { createPrng, type Prng } from './prng.js';

/** One tree in preorder: `f[i]` is the split feature of node i, or -1 for a leaf; `s[i]` is the split
 * value (go left when x < s) or, for a leaf, the number of training rows that ended there. The left
 * child of an internal node is the next node; the right child follows the left subtree. */
export interface IsolationTree {
  f: number[];
  s: number[];
}

/** A trained forest: plain data, serialisable as JSON. */
export interface IsolationForest {
  dims: number;
  sampleSize: number;
  trees: IsolationTree[];
}

export interface ForestOptions {
  seed: number;
  /** Trees (default 100). */
  trees?: number;
  /** Rows per tree (default 256, the paper's psi). */
  sampleSize?: number;
  /** Lower bound of each feature's domain upper end (so a feature never seen non-zero can split). */
  minDomain?: readonly number[];
  /** Split constant features over their training domain (default true; false is the plain algorithm). */
  domainSplit?: boolean;
}

/** Limits for a decoded forest. */
export const FOREST_LIMITS = Object.freeze({ maxTrees: 1000, maxSampleSize: 4096, maxDims: 256 });

const EULER = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among n points: the c(n) normaliser. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

/** Rounds a split value to 6 significant digits so the JSON stays small. */
function compact(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(6));
}

/** Builds a forest over `rows` (each of length `dims`). */
export function buildIsolationForest(
  rows: readonly (readonly number[])[],
  opts: ForestOptions,
): IsolationForest {
  if (rows.length === 0) throw new Error('isolation forest needs at least one row');
  const dims = rows[0]!.length;
  const treeCount = opts.trees ?? 100;
  const psi = Math.min(opts.sampleSize ?? 256, rows.length);
  const rnd = createPrng(opts.seed);
  const lo = new Array<number>(dims).fill(Infinity);
  const hi = new Array<number>(dims).fill(-Infinity);
  for (const r of rows) {
    if (r.length !== dims) throw new Error('isolation forest rows differ in length');
    for (let d = 0; d < dims; d++) {
      const v = r[d]!;
      if (!Number.isFinite(v)) throw new Error(`isolation forest row has a non-finite value at ${d}`);
      if (v < lo[d]!) lo[d] = v;
      if (v > hi[d]!) hi[d] = v;
    }
  }
  for (let d = 0; d < dims; d++) hi[d] = Math.max(hi[d]!, opts.minDomain?.[d] ?? hi[d]!);
  // Without the domain split, a constant feature cannot split: an empty domain says so.
  if (opts.domainSplit === false) for (let d = 0; d < dims; d++) hi[d] = lo[d]!;
  const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
  const idx = Array.from({ length: rows.length }, (_, i) => i);
  const trees: IsolationTree[] = [];
  for (let t = 0; t < treeCount; t++) {
    // Partial Fisher-Yates: the first psi entries become a sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(rnd() * (idx.length - i));
      const tmp = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = tmp;
    }
    const sample = idx.slice(0, psi).map((i) => rows[i]!);
    const tree: IsolationTree = { f: [], s: [] };
    grow(tree, sample, 0, maxDepth, dims, lo, hi, rnd);
    trees.push(tree);
  }
  return { dims, sampleSize: psi, trees };
}

function grow(
  tree: IsolationTree,
  data: readonly (readonly number[])[],
  depth: number,
  maxDepth: number,
  dims: number,
  lo: readonly number[],
  hi: readonly number[],
  rnd: Prng,
): void {
  if (depth >= maxDepth || data.length <= 1) {
    tree.f.push(-1);
    tree.s.push(data.length);
    return;
  }
  // Try features in a random order until one can split.
  const start = Math.floor(rnd() * dims);
  for (let k = 0; k < dims; k++) {
    const f = (start + k) % dims;
    let min = Infinity;
    let max = -Infinity;
    for (const r of data) {
      const v = r[f]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    let split: number;
    if (max > min) split = min + rnd() * (max - min);
    else if (hi[f]! > lo[f]!) split = lo[f]! + rnd() * (hi[f]! - lo[f]!);
    else continue;
    if (split === min && max > min) continue; // a zero-width draw would send everything right
    const left: (readonly number[])[] = [];
    const right: (readonly number[])[] = [];
    for (const r of data) (r[f]! < split ? left : right).push(r);
    tree.f.push(f);
    tree.s.push(compact(split));
    const at = tree.s.length - 1;
    // compact() may move the split past a value: re-partition on the stored value.
    const sv = tree.s[at]!;
    if (sv !== split) {
      left.length = 0;
      right.length = 0;
      for (const r of data) (r[f]! < sv ? left : right).push(r);
    }
    grow(tree, left, depth + 1, maxDepth, dims, lo, hi, rnd);
    grow(tree, right, depth + 1, maxDepth, dims, lo, hi, rnd);
    return;
  }
  tree.f.push(-1);
  tree.s.push(data.length);
}

/** Right-child index of every internal node (preorder layout), or an error text. */
export function linkTree(tree: IsolationTree): Int32Array | string {
  const n = tree.f.length;
  if (n === 0) return 'tree has no nodes';
  const right = new Int32Array(n);
  // Internal nodes whose subtree is open; `inRight` says whether their left subtree is complete.
  const open: number[] = [];
  const inRight: boolean[] = [];
  let i = 0;
  for (;;) {
    if (i >= n) return 'tree ends inside a subtree';
    if (tree.f[i]! >= 0) {
      open.push(i);
      inRight.push(false);
      i++;
      continue;
    }
    i++;
    while (open.length > 0 && inRight[inRight.length - 1]) {
      open.pop();
      inRight.pop();
    }
    if (open.length === 0) break;
    right[open[open.length - 1]!] = i;
    inRight[inRight.length - 1] = true;
  }
  if (i !== n) return `tree has ${n - i} nodes after its end`;
  return right;
}

/** A forest ready to score: right-child links computed once. */
export interface CompiledForest {
  readonly forest: IsolationForest;
  readonly links: readonly Int32Array[];
  readonly norm: number;
}

/** Validates the tree layouts and links them; throws on a malformed forest. */
export function compileForest(forest: IsolationForest): CompiledForest {
  const links = forest.trees.map((t, k) => {
    const r = linkTree(t);
    if (typeof r === 'string') throw new Error(`tree ${k}: ${r}`);
    return r;
  });
  return { forest, links, norm: averagePathLength(forest.sampleSize) };
}

/** Path length of x in one tree, with c(size) added at the leaf. */
function pathLength(tree: IsolationTree, right: Int32Array, x: readonly number[]): number {
  let i = 0;
  let depth = 0;
  for (;;) {
    const f = tree.f[i]!;
    if (f < 0) return depth + averagePathLength(tree.s[i]!);
    i = x[f]! < tree.s[i]! ? i + 1 : right[i]!;
    depth++;
  }
}

/** Anomaly score in (0, 1]: near 1 is isolated at once, about 0.5 or less is ordinary. */
export function forestScore(c: CompiledForest, x: readonly number[]): number {
  const trees = c.forest.trees;
  if (trees.length === 0 || c.norm === 0) return 0;
  let sum = 0;
  for (let t = 0; t < trees.length; t++) sum += pathLength(trees[t]!, c.links[t]!, x);
  return Math.pow(2, -sum / trees.length / c.norm);
}
