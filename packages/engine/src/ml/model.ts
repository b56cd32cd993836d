import type { ParsedRequest } from '../request/parse-request.js';
import { Featurizer, type DocSpan, type RawFeatures, type VectorizerParams } from './features.js';

/** What the model file says about its training (JSON, kept for the audit trail). */
export interface ModelMeta {
  /** SHA-256 (hex) of the training records, in the order they were read. */
  training_data_sha256: string;
  /** Free-form: sets, sample counts, seed, metrics of the run. */
  [key: string]: unknown;
}

/**
 * A decoded request classifier: a linear model over TF-IDF-weighted hashed n-grams and tokens plus
 * standardised lexical features. `score = sigmoid(bias + w·tfidf/‖tfidf‖ + v·(x-mean)/std)`.
 */
export interface ClassifierModel {
  readonly kind: 'palisade-classifier';
  /** `name@sha` of the file: goes into `verdict.ml.model`. */
  readonly id: string;
  readonly vectorizer: VectorizerParams;
  readonly denseNames: readonly string[];
  readonly denseMean: Float64Array;
  readonly denseStd: Float64Array;
  readonly denseWeights: Float64Array;
  /** Inverse document frequency per hashed id. */
  readonly idf: Float32Array;
  /** Weight per hashed id. */
  readonly weights: Float32Array;
  readonly bias: number;
  /** Scores at or above `log` add a low finding, at or above `block` a blocking one. */
  readonly thresholds: { readonly log: number; readonly block: number };
  readonly meta: Readonly<ModelMeta>;
}

/** Clip of standardised dense features: one odd request must not dominate the margin. */
export const DENSE_CLIP = 8;

/**
 * Writes the L2-normalised TF-IDF values of `raw`'s hashed ids into `out` (same order as `raw.ids`).
 * Shared by training and inference so both weigh terms identically.
 */
export function tfidf(raw: RawFeatures, idf: Float32Array, out: Float32Array): void {
  let norm = 0;
  for (let i = 0; i < raw.n; i++) {
    const x = raw.counts[i]! * idf[raw.ids[i]!]!;
    out[i] = x;
    norm += x * x;
  }
  if (norm === 0) return;
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < raw.n; i++) out[i]! *= inv;
}

/** Standardises and clips dense features into `out`. */
export function standardize(
  dense: Float64Array,
  mean: Float64Array,
  std: Float64Array,
  out: Float64Array,
): void {
  for (let k = 0; k < dense.length; k++) {
    const z = (dense[k]! - mean[k]!) / std[k]!;
    out[k] = z > DENSE_CLIP ? DENSE_CLIP : z < -DENSE_CLIP ? -DENSE_CLIP : z;
  }
}

export function sigmoid(m: number): number {
  return m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m));
}

/** Per-model scratch: a featurizer and value buffers (the model object itself stays frozen). */
interface Scratch {
  fz: Featurizer;
  /** idf and weight per id, interleaved: one cache line serves both lookups. */
  iw: Float32Array;
  vals: Float32Array;
  z: Float64Array;
  /**
   * The request last scored, its features and score: `explainParsed` right after `scoreParsed` on
   * the same request (what the engine does for a flagged request) reuses them instead of a second
   * pass. Holds one request at most.
   */
  last: ParsedRequest | undefined;
  lastRaw: RawFeatures | undefined;
  lastScore: number;
}
const SCRATCH = new WeakMap<ClassifierModel, Scratch>();
function scratchOf(model: ClassifierModel): Scratch {
  let s = SCRATCH.get(model);
  if (!s) {
    const fz = new Featurizer(model.vectorizer);
    const probe = fz.featurize(EMPTY);
    const iw = new Float32Array(2 * model.idf.length);
    for (let j = 0; j < model.idf.length; j++) {
      iw[2 * j] = model.idf[j]!;
      iw[2 * j + 1] = model.weights[j]!;
    }
    s = {
      fz,
      iw,
      vals: new Float32Array(probe.ids.length),
      z: new Float64Array(model.denseNames.length),
      last: undefined,
      lastRaw: undefined,
      lastScore: 0,
    };
    SCRATCH.set(model, s);
  }
  return s;
}
const EMPTY: ParsedRequest = {
  method: 'GET',
  url: '/',
  rawPath: '/',
  path: '/',
  rawQuery: '',
  headers: new Map(),
  contentType: '',
  bodyFormat: 'none',
  body: '',
  bodyBytes: 0,
  bodyTruncated: false,
  values: [],
  notes: [],
  header: () => '',
};

function margin(model: ClassifierModel, raw: RawFeatures, s: Scratch): number {
  // Same arithmetic as `tfidf` followed by a dot product, in one pass over the interleaved table.
  const iw = s.iw;
  const ids = raw.ids;
  const counts = raw.counts;
  const vals = s.vals;
  const n = raw.n;
  let norm = 0;
  let dot = 0;
  for (let i = 0; i < n; i++) {
    const j = 2 * ids[i]!;
    const x = counts[i]! * iw[j]!;
    vals[i] = x;
    norm += x * x;
    dot += x * iw[j + 1]!;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < n; i++) vals[i]! *= inv;
  let m = model.bias + dot * inv;
  standardize(raw.dense, model.denseMean, model.denseStd, s.z);
  const dw = model.denseWeights;
  const z = s.z;
  for (let k = 0; k < z.length; k++) m += dw[k]! * z[k]!;
  return m;
}

/** Featurizes and scores `parsed` with the scratch, remembering it for `explainParsed`. */
function scoreWith(model: ClassifierModel, parsed: ParsedRequest, s: Scratch): number {
  s.last = undefined; // a throw below must not leave stale features attached to the request
  const raw = s.fz.featurize(parsed);
  const score = sigmoid(margin(model, raw, s));
  s.last = parsed;
  s.lastRaw = raw;
  s.lastScore = score;
  return score;
}

/**
 * The model's probability (0..1) that the request is an attack.
 *
 * @example
 * scoreParsed(model, parseRequest({ method: 'GET', url: "/?q=1'or'1'='1" }, DEFAULT_LIMITS)); // ~0.99
 */
export function scoreParsed(model: ClassifierModel, parsed: ParsedRequest): number {
  return scoreWith(model, parsed, scratchOf(model));
}

/** Why a request scored as it did: its score, the value that contributed most, the top n-grams. */
export interface Explanation {
  score: number;
  /** Location of the value whose n-grams added the most (`query:id`, `path`), or `request`. */
  location: string;
  /** The decoded text of that value (as in the document). */
  text: string;
  /** The features that pushed the score up most, with their contribution to the margin. */
  top: { feature: string; contribution: number }[];
}

/**
 * Explains a score. Right after `scoreParsed` on the same request it reuses that pass (the
 * featurizer keeps each feature's text position), so it costs a walk over the features; otherwise
 * it scores first.
 */
export function explainParsed(model: ClassifierModel, parsed: ParsedRequest, topN = 5): Explanation {
  const s = scratchOf(model);
  if (s.last !== parsed || !s.lastRaw) scoreWith(model, parsed, s);
  const raw = s.lastRaw!;
  const score = s.lastScore;
  const fz = s.fz;
  const spans = raw.spans;
  const perSpan = new Float64Array(spans.length);
  // The topN positive contributions, highest first; ties keep feature order (as a stable sort would).
  const topIdx: number[] = [];
  const topC: number[] = [];
  const iw = s.iw; // the weights as `margin` just read them (in cache)
  for (let i = 0; i < raw.n; i++) {
    const c = iw[2 * raw.ids[i]! + 1]! * s.vals[i]!;
    if (!(c > 0)) continue;
    let at = topC.length;
    while (at > 0 && topC[at - 1]! < c) at--;
    if (at < topN) {
      topIdx.splice(at, 0, i);
      topC.splice(at, 0, c);
      if (topC.length > topN) {
        topIdx.pop();
        topC.pop();
      }
    }
    const start = fz.featureStart(i);
    if (start >= 0) {
      const k = spanAt(spans, start);
      if (k >= 0) perSpan[k]! += c;
    }
  }
  const top = topIdx.map((i, r) => ({
    feature: fz.featureText(i),
    contribution: Math.round(topC[r]! * 1000) / 1000,
  }));
  let best = -1;
  for (let k = 0; k < perSpan.length; k++) if (best < 0 || perSpan[k]! > perSpan[best]!) best = k;
  const span = best >= 0 && perSpan[best]! > 0 ? spans[best]! : undefined;
  return {
    score,
    location: span ? span.location : 'request',
    text: span ? raw.doc.slice(span.start, span.end) : '',
    top,
  };
}

/** Index of the span holding document position `pos` (spans are ordered and disjoint), or -1. */
function spanAt(spans: readonly DocSpan[], pos: number): number {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const sp = spans[mid]!;
    if (pos < sp.start) hi = mid - 1;
    else if (pos >= sp.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}
