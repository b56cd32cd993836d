/**
 * Learning mode: an unsupervised model of a site's benign traffic. Profiles per route and parameter
 * (profile.ts) turn a request into a small vector of deviations; an Isolation Forest over those
 * vectors gives the score; the profile facts give the reasons.
 *
 * Training uses cross-fitting: the training requests are split into `folds`; each request's vector
 * is computed against a profile built from the *other* folds, so the forest (and the threshold) see
 * how often benign traffic itself shows something new. A vector against the profile it helped build
 * would be all zeros.
 *
 * Threshold: the `threshold_quantile` (default 0.995) of those cross-fitted training scores plus
 * `threshold_margin` (default 0.01). The expected false-positive rate on traffic like the training
 * traffic is therefore at most about 0.5 %.
 */
import type { RequestRecord } from '../types.js';
import { DEFAULT_LIMITS, type Limits } from '../request/limits.js';
import { parseRequest, type ParsedRequest } from '../request/parse-request.js';
import {
  buildIsolationForest,
  compileForest,
  forestScore,
  FOREST_LIMITS,
  type CompiledForest,
  type IsolationForest,
} from './isolation-forest.js';
import { observeRequest, type ObservedRequest } from './observe.js';
import {
  DEFAULT_PROFILE_CAPS,
  FEATURE_MIN_DOMAIN,
  FEATURE_NAMES,
  inspect,
  ProfileBuilder,
  type ParamProfile,
  type Profile,
  type ProfileCaps,
  type RouteProfile,
} from './profile.js';
import { fnv1a } from './prng.js';
import { VALUE_TYPES } from './value-facts.js';

/** The model format's name and version in its JSON. */
export const ANOMALY_MODEL_FORMAT = 'palisade-anomaly';
export const ANOMALY_MODEL_VERSION = 1;

/** Invalid model JSON or training input: the message says what and where. */
export class AnomalyModelError extends Error {
  override readonly name = 'AnomalyModelError';
}

export interface TrainAnomalyOptions {
  /** Seed of every random choice (default 1): the same data and seed give the same model. */
  seed?: number;
  /** Trees in the forest (default 150). */
  trees?: number;
  /** Rows per tree (default 256). */
  sampleSize?: number;
  /** Cross-fitting folds (default 5). */
  folds?: number;
  /** Quantile of cross-fitted training scores the threshold starts from (default 0.995). */
  thresholdQuantile?: number;
  /** Added to that quantile (default 0.01). */
  thresholdMargin?: number;
  /** Requests used at most; the rest are counted and ignored (default 200,000). */
  maxRequests?: number;
  limits?: Limits;
  caps?: Partial<ProfileCaps>;
  /** Forest's domain split of constant features (default true; false for the plain algorithm, to compare). */
  domainSplit?: boolean;
}

/** The trained, ready-to-score model. `JSON.stringify(model)` gives its versioned JSON. */
export class AnomalyModel {
  constructor(
    readonly profile: Profile,
    readonly forest: CompiledForest,
    /** Scores at or above this are anomalous. */
    readonly threshold: number,
    readonly info: Readonly<AnomalyModelInfo>,
  ) {}

  toJSON(): AnomalyModelJson {
    return encodeAnomalyModel(this);
  }
}

/** How a model was trained (kept in its JSON). */
export interface AnomalyModelInfo {
  requests: number;
  ignored: number;
  seed: number;
  folds: number;
  threshold_quantile: number;
  threshold_margin: number;
  /** Share of cross-fitted training requests at or above the threshold. */
  train_flag_rate: number;
}

/** The score of one request. */
export interface AnomalyScore {
  /** 0..1 (Isolation Forest score). */
  score: number;
  /** score >= the model's threshold. */
  anomalous: boolean;
  /** What deviates from the learned profile, strongest first (at most 8). */
  reasons: string[];
}

const MAX_REASONS = 8;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function checkOption(name: string, v: number, lo: number, hi: number, int: boolean): number {
  if (!Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v)))
    throw new AnomalyModelError(
      `option ${name} must be ${int ? 'an integer ' : ''}from ${lo} to ${hi}, got ${v}`,
    );
  return v;
}

/** Learns a model from benign requests (see the module comment for the method and threshold). */
export function trainAnomalyModel(
  requests: Iterable<RequestRecord>,
  opts: TrainAnomalyOptions = {},
): AnomalyModel {
  const seed = checkOption('seed', opts.seed ?? 1, 0, 2 ** 32 - 1, true);
  const trees = checkOption('trees', opts.trees ?? 150, 1, FOREST_LIMITS.maxTrees, true);
  const sampleSize = checkOption('sampleSize', opts.sampleSize ?? 256, 2, FOREST_LIMITS.maxSampleSize, true);
  const folds = checkOption('folds', opts.folds ?? 5, 2, 20, true);
  const tq = checkOption('thresholdQuantile', opts.thresholdQuantile ?? 0.995, 0.5, 1, false);
  const tm = checkOption('thresholdMargin', opts.thresholdMargin ?? 0.01, 0, 0.5, false);
  const maxRequests = checkOption('maxRequests', opts.maxRequests ?? 200_000, 1, 10_000_000, true);
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const caps: ProfileCaps = { ...DEFAULT_PROFILE_CAPS, ...opts.caps };

  const obs: ObservedRequest[] = [];
  let ignored = 0;
  for (const r of requests) {
    if (obs.length >= maxRequests) {
      ignored++;
      continue;
    }
    obs.push(observeRequest(parseRequest(r, limits)));
  }
  if (obs.length < folds * 2)
    throw new AnomalyModelError(`training needs at least ${folds * 2} requests, got ${obs.length}`);

  // Cross-fitting: fold k is vectorised against a profile of the other folds.
  const foldOf = obs.map((_, i) => fnv1a(`${seed}:${i}`) % folds);
  const builders = Array.from({ length: folds }, () => new ProfileBuilder(caps));
  const full = new ProfileBuilder(caps);
  for (let i = 0; i < obs.length; i++) {
    full.add(obs[i]!);
    for (let k = 0; k < folds; k++) if (k !== foldOf[i]) builders[k]!.add(obs[i]!);
  }
  const foldProfiles = builders.map((b) => b.finish());
  const rows = obs.map((o, i) => inspect(foldProfiles[foldOf[i]!]!, o, false).x);
  const forest = buildIsolationForest(rows, {
    seed,
    trees,
    sampleSize,
    minDomain: FEATURE_MIN_DOMAIN,
    domainSplit: opts.domainSplit,
  });
  const compiled = compileForest(forest);
  const scores = rows.map((x) => forestScore(compiled, x)).sort((a, b) => a - b);
  const threshold = Math.min(1, quantile(scores, tq) + tm);
  let flagged = 0;
  for (const s of scores) if (s >= threshold) flagged++;
  return new AnomalyModel(full.finish(), compiled, threshold, {
    requests: obs.length,
    ignored,
    seed,
    folds,
    threshold_quantile: tq,
    threshold_margin: tm,
    train_flag_rate: flagged / scores.length,
  });
}

/** The feature vector of a parsed request under a model (for evaluation and tests). */
export function anomalyFeatures(model: AnomalyModel, parsed: ParsedRequest): number[] {
  return inspect(model.profile, observeRequest(parsed), false).x;
}

/** Scores a parsed request: 0..1, whether it crosses the threshold, and the reasons in words. */
export function scoreAnomaly(model: AnomalyModel, parsed: ParsedRequest): AnomalyScore {
  const { x, facts } = inspect(model.profile, observeRequest(parsed), true);
  const score = forestScore(model.forest, x);
  return {
    score,
    anomalous: score >= model.threshold,
    reasons: facts.slice(0, MAX_REASONS).map((f) => f.text),
  };
}

// ---- JSON ----

interface ParamJson {
  n: number;
  reqs: number;
  tokens: string[];
  types: string[];
  len: [number, number];
  ent_max: number;
  values: string[] | null;
}

/** The model's JSON form (versioned; maps as arrays of pairs so no key can touch a prototype). */
export interface AnomalyModelJson {
  format: typeof ANOMALY_MODEL_FORMAT;
  version: typeof ANOMALY_MODEL_VERSION;
  features: string[];
  threshold: number;
  info: AnomalyModelInfo;
  profile: {
    requests: number;
    path_tokens: string[];
    routes: [string, { n: number; params: [string, ParamJson][] }][];
    params: [string, ParamJson][];
  };
  forest: IsolationForest;
}

function round(x: number): number {
  return Number(x.toFixed(4));
}

function paramToJson(p: ParamProfile): ParamJson {
  return {
    n: p.n,
    reqs: p.reqs,
    tokens: [...p.tokens].sort(),
    types: VALUE_TYPES.filter((_, i) => (p.types & (1 << i)) !== 0),
    len: [p.lenMin, p.lenMax],
    ent_max: round(p.entMax),
    values: p.values ? [...p.values].sort() : null,
  };
}

/** The JSON form of a model. */
export function encodeAnomalyModel(m: AnomalyModel): AnomalyModelJson {
  const params = (map: ReadonlyMap<string, ParamProfile>): [string, ParamJson][] =>
    [...map.entries()].map(([k, p]) => [k, paramToJson(p)]);
  return {
    format: ANOMALY_MODEL_FORMAT,
    version: ANOMALY_MODEL_VERSION,
    features: [...FEATURE_NAMES],
    threshold: m.threshold,
    info: { ...m.info },
    profile: {
      requests: m.profile.requests,
      path_tokens: [...m.profile.pathTokens].sort(),
      routes: [...m.profile.routes.entries()].map(([k, r]) => [k, { n: r.n, params: params(r.params) }]),
      params: params(m.profile.global),
    },
    forest: m.forest.forest,
  };
}

/** Hard limits of a decoded model (beyond the training caps, so any trained model fits). */
export const DECODE_LIMITS = Object.freeze({
  maxRoutes: 10_000,
  maxParamsPerRoute: 1000,
  maxGlobalParams: 20_000,
  maxTokens: 256,
  maxValues: 256,
  maxStringChars: 4096,
  maxNodesPerTree: 2 * FOREST_LIMITS.maxSampleSize,
});

class Reader {
  constructor(private readonly path: string) {}
  fail(msg: string): never {
    throw new AnomalyModelError(`anomaly model: ${this.path}: ${msg}`);
  }
  at(sub: string | number): Reader {
    return new Reader(typeof sub === 'number' ? `${this.path}[${sub}]` : `${this.path}.${sub}`);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function obj(r: Reader, x: unknown, keys: readonly string[]): Record<string, unknown> {
  if (!isRecord(x)) r.fail('must be an object');
  for (const k of Object.keys(x)) if (!keys.includes(k)) r.fail(`unknown field "${k.slice(0, 40)}"`);
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(x, k)) r.at(k).fail('missing');
  return x;
}

function num(r: Reader, x: unknown, lo: number, hi: number, int = false): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi || (int && !Number.isInteger(x)))
    r.fail(`must be ${int ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
  return x;
}

function str(r: Reader, x: unknown, max = DECODE_LIMITS.maxStringChars): string {
  if (typeof x !== 'string' || x.length > max) r.fail(`must be a string of at most ${max} characters`);
  return x;
}

function arr(r: Reader, x: unknown, max: number): unknown[] {
  if (!Array.isArray(x) || x.length > max) r.fail(`must be an array of at most ${max} items`);
  return x;
}

function strings(r: Reader, x: unknown, max: number): string[] {
  return arr(r, x, max).map((s, i) => str(r.at(i), s));
}

function pairs<T>(r: Reader, x: unknown, max: number, value: (r: Reader, v: unknown) => T): Map<string, T> {
  const out = new Map<string, T>();
  arr(r, x, max).forEach((p, i) => {
    const ri = r.at(i);
    const a = arr(ri, p, 2);
    if (a.length !== 2) ri.fail('must be a [key, value] pair');
    const k = str(ri.at(0), a[0]);
    if (out.has(k)) ri.fail(`duplicate key "${k.slice(0, 40)}"`);
    out.set(k, value(ri.at(1), a[1]));
  });
  return out;
}

function decodeParam(r: Reader, x: unknown): ParamProfile {
  const o = obj(r, x, ['n', 'reqs', 'tokens', 'types', 'len', 'ent_max', 'values']);
  const n = num(r.at('n'), o.n, 1, Number.MAX_SAFE_INTEGER, true);
  const reqs = num(r.at('reqs'), o.reqs, 0, n, true);
  let types = 0;
  for (const [i, t] of strings(r.at('types'), o.types, VALUE_TYPES.length).entries()) {
    const k = (VALUE_TYPES as readonly string[]).indexOf(t);
    if (k < 0)
      r.at('types')
        .at(i)
        .fail(`unknown type "${t.slice(0, 40)}"`);
    types |= 1 << k;
  }
  const len = arr(r.at('len'), o.len, 2);
  if (len.length !== 2) r.at('len').fail('must be [min, max]');
  const lenMin = num(r.at('len').at(0), len[0], 0, 1e9, true);
  const lenMax = num(r.at('len').at(1), len[1], lenMin, 1e9, true);
  return {
    n,
    reqs,
    tokens: new Set(strings(r.at('tokens'), o.tokens, DECODE_LIMITS.maxTokens)),
    types,
    lenMin,
    lenMax,
    entMax: num(r.at('ent_max'), o.ent_max, 0, 64),
    values: o.values === null ? null : new Set(strings(r.at('values'), o.values, DECODE_LIMITS.maxValues)),
  };
}

function decodeForest(r: Reader, x: unknown): CompiledForest {
  const o = obj(r, x, ['dims', 'sampleSize', 'trees']);
  const dims = num(r.at('dims'), o.dims, FEATURE_NAMES.length, FEATURE_NAMES.length, true);
  const sampleSize = num(r.at('sampleSize'), o.sampleSize, 2, FOREST_LIMITS.maxSampleSize, true);
  const trees = arr(r.at('trees'), o.trees, FOREST_LIMITS.maxTrees).map((t, k) => {
    const rt = r.at('trees').at(k);
    const to = obj(rt, t, ['f', 's']);
    const f = arr(rt.at('f'), to.f, DECODE_LIMITS.maxNodesPerTree).map((v, i) =>
      num(rt.at('f').at(i), v, -1, dims - 1, true),
    );
    const s = arr(rt.at('s'), to.s, DECODE_LIMITS.maxNodesPerTree).map((v, i) =>
      f[i] === -1
        ? num(rt.at('s').at(i), v, 0, sampleSize, true)
        : num(rt.at('s').at(i), v, -Number.MAX_VALUE, Number.MAX_VALUE),
    );
    if (f.length !== s.length) rt.fail('f and s differ in length');
    return { f, s };
  });
  if (trees.length === 0) r.at('trees').fail('must hold at least one tree');
  try {
    return compileForest({ dims, sampleSize, trees });
  } catch (e) {
    return r.fail((e as Error).message);
  }
}

/** Validates model JSON (text or parsed) strictly and compiles it; throws AnomalyModelError. */
export function decodeAnomalyModel(json: unknown): AnomalyModel {
  const r = new Reader('$');
  let x = json;
  if (typeof json === 'string') {
    try {
      x = JSON.parse(json);
    } catch (e) {
      r.fail(`not JSON: ${(e as Error).message.slice(0, 100)}`);
    }
  }
  const o = obj(r, x, ['format', 'version', 'features', 'threshold', 'info', 'profile', 'forest']);
  if (o.format !== ANOMALY_MODEL_FORMAT) r.at('format').fail(`must be "${ANOMALY_MODEL_FORMAT}"`);
  if (o.version !== ANOMALY_MODEL_VERSION)
    r.at('version').fail(
      `unsupported version ${String(o.version).slice(0, 20)} (this build reads ${ANOMALY_MODEL_VERSION})`,
    );
  const features = strings(r.at('features'), o.features, 256);
  if (features.join(',') !== FEATURE_NAMES.join(','))
    r.at('features').fail('feature list differs from this build; retrain the model');
  const threshold = num(r.at('threshold'), o.threshold, 0, 1);
  const ri = r.at('info');
  const io = obj(ri, o.info, [
    'requests',
    'ignored',
    'seed',
    'folds',
    'threshold_quantile',
    'threshold_margin',
    'train_flag_rate',
  ]);
  const info: AnomalyModelInfo = {
    requests: num(ri.at('requests'), io.requests, 0, Number.MAX_SAFE_INTEGER, true),
    ignored: num(ri.at('ignored'), io.ignored, 0, Number.MAX_SAFE_INTEGER, true),
    seed: num(ri.at('seed'), io.seed, 0, 2 ** 32 - 1, true),
    folds: num(ri.at('folds'), io.folds, 2, 20, true),
    threshold_quantile: num(ri.at('threshold_quantile'), io.threshold_quantile, 0.5, 1),
    threshold_margin: num(ri.at('threshold_margin'), io.threshold_margin, 0, 0.5),
    train_flag_rate: num(ri.at('train_flag_rate'), io.train_flag_rate, 0, 1),
  };
  const rp = r.at('profile');
  const po = obj(rp, o.profile, ['requests', 'path_tokens', 'routes', 'params']);
  const routes = pairs(rp.at('routes'), po.routes, DECODE_LIMITS.maxRoutes, (rr, v): RouteProfile => {
    const ro = obj(rr, v, ['n', 'params']);
    return {
      n: num(rr.at('n'), ro.n, 1, Number.MAX_SAFE_INTEGER, true),
      params: pairs(rr.at('params'), ro.params, DECODE_LIMITS.maxParamsPerRoute, decodeParam),
    };
  });
  const profile: Profile = {
    requests: num(rp.at('requests'), po.requests, 0, Number.MAX_SAFE_INTEGER, true),
    pathTokens: new Set(strings(rp.at('path_tokens'), po.path_tokens, DECODE_LIMITS.maxTokens)),
    routes,
    global: pairs(rp.at('params'), po.params, DECODE_LIMITS.maxGlobalParams, decodeParam),
  };
  return new AnomalyModel(profile, decodeForest(r.at('forest'), o.forest), threshold, Object.freeze(info));
}
