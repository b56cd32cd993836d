/**
 * Profiles learned from benign traffic: per route (method + generalised path) the parameters and how
 * often each appears; per parameter its character tokens, value types, length range, highest
 * entropy and, for parameters with few distinct values, those values. Building is a pure fold over
 * observed requests; `inspect` turns a request into the forest's feature vector and the facts that
 * explain it.
 */
import type { ObservedRequest, ObservedValue } from './observe.js';
import { charTokens, entropy, tokenLabel, typeFits, valueType, VALUE_TYPES } from './value-facts.js';

/** Bounds on what a profile keeps (the model's size follows from them). */
export interface ProfileCaps {
  /** Routes kept (the most frequent). */
  maxRoutes: number;
  /** Parameters kept per route (the most frequent). */
  maxParamsPerRoute: number;
  /** Site-wide parameter, cookie and header profiles kept. */
  maxGlobalParams: number;
  /** Distinct values kept for a parameter with few values; more makes it free-form. */
  maxEnumValues: number;
  /** Longest value kept as an enumerated value. */
  maxEnumValueChars: number;
}

export const DEFAULT_PROFILE_CAPS: Readonly<ProfileCaps> = Object.freeze({
  maxRoutes: 500,
  maxParamsPerRoute: 64,
  maxGlobalParams: 1000,
  maxEnumValues: 16,
  maxEnumValueChars: 64,
});

/** Observations of a parameter before its profile says anything (fewer: the site-wide one is used). */
export const MIN_PARAM_COUNT = 5;
/** A value set is taken as an enumeration only with this many observations per distinct value. */
const ENUM_SUPPORT = 5;
/** A parameter in at least this share of a route's requests is expected there. */
const USUAL_SHARE = 0.95;
/** Requests of a route before missing parameters count. */
const MIN_ROUTE_FOR_MISSING = 10;
const MAX_TOKENS = 160;

/** A learned parameter. */
export interface ParamProfile {
  n: number;
  /** Requests (of the route) in which it appeared. */
  reqs: number;
  tokens: ReadonlySet<string>;
  /** Bit mask over VALUE_TYPES. */
  types: number;
  lenMin: number;
  lenMax: number;
  entMax: number;
  /** The distinct values when few (an enumeration), else null. */
  values: ReadonlySet<string> | null;
}

export interface RouteProfile {
  n: number;
  params: ReadonlyMap<string, ParamProfile>;
}

export interface Profile {
  requests: number;
  routes: ReadonlyMap<string, RouteProfile>;
  /** Parameters by key over all routes, cookies and headers. */
  global: ReadonlyMap<string, ParamProfile>;
  pathTokens: ReadonlySet<string>;
}

class ParamAcc {
  n = 0;
  reqs = 0;
  lastReq = -1;
  tokens = new Set<string>();
  types = 0;
  lenMin = Infinity;
  lenMax = 0;
  entMax = 0;
  values: Map<string, number> | null = new Map();

  add(v: string, req: number, caps: ProfileCaps): void {
    this.n++;
    if (this.lastReq !== req) {
      this.reqs++;
      this.lastReq = req;
    }
    charTokens(v, this.tokens, MAX_TOKENS);
    this.types |= 1 << valueType(v);
    if (v.length < this.lenMin) this.lenMin = v.length;
    if (v.length > this.lenMax) this.lenMax = v.length;
    const e = entropy(v);
    if (e > this.entMax) this.entMax = e;
    if (this.values) {
      if (v.length > caps.maxEnumValueChars) this.values = null;
      else {
        this.values.set(v, (this.values.get(v) ?? 0) + 1);
        if (this.values.size > caps.maxEnumValues) this.values = null;
      }
    }
  }

  finish(): ParamProfile {
    const enumOk = this.values !== null && this.n >= ENUM_SUPPORT * this.values.size;
    return {
      n: this.n,
      reqs: this.reqs,
      tokens: this.tokens,
      types: this.types,
      lenMin: this.lenMin === Infinity ? 0 : this.lenMin,
      lenMax: this.lenMax,
      entMax: this.entMax,
      values: enumOk ? new Set(this.values!.keys()) : null,
    };
  }
}

/** Accumulates observed requests into a profile. */
export class ProfileBuilder {
  private requests = 0;
  private readonly routes = new Map<string, { n: number; params: Map<string, ParamAcc> }>();
  private readonly global = new Map<string, ParamAcc>();
  private readonly pathTokens = new Set<string>();

  constructor(private readonly caps: ProfileCaps) {}

  add(o: ObservedRequest): void {
    const req = this.requests++;
    let r = this.routes.get(o.route);
    if (!r) this.routes.set(o.route, (r = { n: 0, params: new Map() }));
    r.n++;
    charTokens(o.path, this.pathTokens, MAX_TOKENS);
    for (const p of o.params) {
      if (!p.global) this.acc(r.params, p.key).add(p.value, req, this.caps);
      this.acc(this.global, p.key).add(p.value, req, this.caps);
    }
    for (const h of o.headers) this.acc(this.global, h.key).add(h.value, req, this.caps);
  }

  private acc(m: Map<string, ParamAcc>, key: string): ParamAcc {
    let a = m.get(key);
    if (!a) m.set(key, (a = new ParamAcc()));
    return a;
  }

  /** The profile, cut to the caps (most frequent first, ties by name for determinism). */
  finish(): Profile {
    const routes = new Map<string, RouteProfile>();
    const keptRoutes = [...this.routes.entries()]
      .sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1))
      .slice(0, this.caps.maxRoutes);
    for (const [route, r] of keptRoutes)
      routes.set(route, { n: r.n, params: topParams(r.params, this.caps.maxParamsPerRoute) });
    return {
      requests: this.requests,
      routes,
      global: topParams(this.global, this.caps.maxGlobalParams),
      pathTokens: new Set(this.pathTokens),
    };
  }
}

function topParams(m: Map<string, ParamAcc>, max: number): Map<string, ParamProfile> {
  const kept = [...m.entries()].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1)).slice(0, max);
  return new Map(kept.map(([k, a]) => [k, a.finish()]));
}

/** Names of the features, in vector order (stored in the model to catch a mismatch). */
export const FEATURE_NAMES = [
  'route_unknown',
  'param_unknown',
  'param_missing',
  'chars_new_sum',
  'chars_new_max',
  'len_over',
  'len_under',
  'type_mismatch',
  'enum_new',
  'entropy_over',
  'path_chars_new',
  'header_unknown',
  'header_chars_new',
  'header_len_over',
  'parse_notes',
] as const;

/** Domain floor of each feature for the forest's domain split (a count of one is already news). */
export const FEATURE_MIN_DOMAIN: readonly number[] = FEATURE_NAMES.map(() => 1);

/** One explained deviation; `weight` orders the reasons. */
export interface Fact {
  text: string;
  weight: number;
}

const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<
  (typeof FEATURE_NAMES)[number],
  number
>;

function list(tokens: readonly string[], max = 8): string {
  const shown = tokens.slice(0, max).map(tokenLabel).join(', ');
  return tokens.length > max ? `${shown}, ...` : shown;
}

function typeNames(mask: number): string {
  return VALUE_TYPES.filter((_, i) => (mask & (1 << i)) !== 0).join('|');
}

/** Compares one value with its profile; adds to the vector and, when `facts`, explains. */
function compareValue(
  p: ParamProfile,
  o: ObservedValue,
  x: number[],
  facts: Fact[] | null,
  header: boolean,
): void {
  const v = o.value;
  const seen = new Set<string>();
  charTokens(v, seen, MAX_TOKENS);
  const fresh: string[] = [];
  for (const t of seen) if (!p.tokens.has(t)) fresh.push(t);
  if (fresh.length > 0) {
    if (header) x[F.header_chars_new]! += fresh.length;
    else {
      x[F.chars_new_sum]! += fresh.length;
      x[F.chars_new_max] = Math.max(x[F.chars_new_max]!, fresh.length);
    }
    facts?.push({
      text: `${o.label}: ${fresh.length} character${fresh.length > 1 ? 's' : ''} never seen in training (${list(fresh)})`,
      weight: 2 + fresh.length,
    });
  }
  if (v.length > p.lenMax) {
    const over = Math.log2((v.length + 1) / (p.lenMax + 1));
    const i = header ? F.header_len_over : F.len_over;
    x[i] = Math.max(x[i]!, over);
    facts?.push({
      text: `${o.label}: length ${v.length} above the longest seen in training (${p.lenMax})`,
      weight: 1 + over,
    });
  } else if (v.length < p.lenMin && !header) {
    const under = Math.log2((p.lenMin + 1) / (v.length + 1));
    x[F.len_under] = Math.max(x[F.len_under]!, under);
    facts?.push({
      text: `${o.label}: length ${v.length} below the shortest seen in training (${p.lenMin})`,
      weight: 0.5 + under,
    });
  }
  if (header) return;
  const t = valueType(v);
  if (!typeFits(t, p.types)) {
    x[F.type_mismatch]!++;
    facts?.push({
      text: `${o.label}: value of type ${VALUE_TYPES[t]} where training saw ${typeNames(p.types)}`,
      weight: 2,
    });
  }
  if (p.values && !p.values.has(v)) {
    x[F.enum_new]!++;
    facts?.push({
      text: `${o.label}: value not among the ${p.values.size} seen in training`,
      weight: 1.5,
    });
  }
  const e = entropy(v);
  if (e > p.entMax) {
    x[F.entropy_over] = Math.max(x[F.entropy_over]!, e - p.entMax);
    facts?.push({
      text: `${o.label}: entropy ${e.toFixed(2)} bits/char above the highest seen (${p.entMax.toFixed(2)})`,
      weight: 0.5 + e - p.entMax,
    });
  }
}

function usable(p: ParamProfile | undefined): p is ParamProfile {
  return p !== undefined && p.n >= MIN_PARAM_COUNT;
}

/**
 * The feature vector of a request against a profile, and (when `explain`) the facts behind it,
 * strongest first.
 */
export function inspect(
  profile: Profile,
  o: ObservedRequest,
  explain: boolean,
): { x: number[]; facts: Fact[] } {
  const x = new Array<number>(FEATURE_NAMES.length).fill(0);
  const facts: Fact[] | null = explain ? [] : null;
  const route = profile.routes.get(o.route);
  if (!route) {
    x[F.route_unknown] = 1;
    facts?.push({ text: `route ${o.route} never seen in training`, weight: 4 });
  }
  const pathTokens = new Set<string>();
  charTokens(o.path, pathTokens, MAX_TOKENS);
  const freshPath: string[] = [];
  for (const t of pathTokens) if (!profile.pathTokens.has(t)) freshPath.push(t);
  if (freshPath.length > 0) {
    x[F.path_chars_new] = freshPath.length;
    facts?.push({
      text: `path: ${freshPath.length} character${freshPath.length > 1 ? 's' : ''} never seen in training (${list(freshPath)})`,
      weight: 2 + freshPath.length,
    });
  }
  const present = new Set<string>();
  for (const p of o.params) {
    present.add(p.key);
    const local = !p.global && route ? route.params.get(p.key) : undefined;
    const glob = profile.global.get(p.key);
    if (!p.global && route && !local) {
      x[F.param_unknown]!++;
      facts?.push({ text: `${p.label}: parameter never seen on this route`, weight: 3 });
    } else if (!glob) {
      x[F.param_unknown]!++;
      facts?.push({ text: `${p.label}: parameter never seen in training`, weight: 3 });
    }
    const prof = usable(local) ? local : usable(glob) ? glob : undefined;
    if (prof) compareValue(prof, p, x, facts, false);
  }
  if (route && route.n >= MIN_ROUTE_FOR_MISSING) {
    for (const [key, p] of route.params) {
      if (p.reqs / route.n >= USUAL_SHARE && !present.has(key)) {
        x[F.param_missing]!++;
        facts?.push({
          text: `parameter '${key.replace(/^[a-z]+:/, '')}' missing (present in ${Math.round((100 * p.reqs) / route.n)}% of training requests)`,
          weight: 1,
        });
      }
    }
  }
  for (const h of o.headers) {
    const prof = profile.global.get(h.key);
    if (!prof) {
      x[F.header_unknown]!++;
      facts?.push({ text: `${h.label}: header never seen in training`, weight: 1 });
    } else if (usable(prof)) compareValue(prof, h, x, facts, true);
  }
  if (o.notes > 0) {
    x[F.parse_notes] = o.notes;
    facts?.push({
      text: `${o.notes} parser note${o.notes > 1 ? 's' : ''} (encoding, body form or limits)`,
      weight: 1,
    });
  }
  facts?.sort((a, b) => b.weight - a.weight);
  return { x, facts: facts ?? [] };
}
