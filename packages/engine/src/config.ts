import type { AttackClass } from './types.js';
import { DEFAULT_LIMITS, type Limits } from './request/limits.js';
import { isClassifierModel } from './ml/codec.js';
import type { ClassifierModel } from './ml/model.js';
import { AnomalyModel } from './anomaly/anomaly-model.js';

export type Mode = 'block' | 'monitor';
export type Sensitivity = 'low' | 'balanced' | 'high' | 'paranoid';

/** Anomaly-score threshold at which a request is blocked, per sensitivity level. */
export const BLOCK_THRESHOLDS: Readonly<Record<Sensitivity, number>> = Object.freeze({
  low: 10,
  balanced: 5,
  high: 4,
  paranoid: 2,
});

/**
 * A rule exclusion, like a CRS exclusion: the findings it matches are dropped before scoring.
 * Every field given must match; patterns end in `*` for a prefix match, otherwise they are exact.
 * `{ path: '/api/posts', location: 'body.json:$.markdown', class: 'xss', reason: 'markdown may hold code' }`
 */
export interface Exclusion {
  /** Rule ids or prefixes: `sqli.union`, `sqli.*`. */
  rule?: string | string[];
  class?: AttackClass | AttackClass[];
  /** Finding location: `body.json:$.markdown`, `query:*`. */
  location?: string;
  /** Request path: `/api/posts`, `/api/*`. */
  path?: string;
  /** Method, upper case. */
  method?: string;
  /** Why (kept with the config for the audit trail). */
  reason?: string;
}

export interface EngineConfig {
  /** `block` acts on the verdict; `monitor` never blocks but reports the same findings. Default `block`. */
  mode?: Mode;
  /** Default `balanced` (block at score 5, like CRS paranoia level 1). */
  sensitivity?: Sensitivity;
  /** Override the block threshold of the sensitivity level. */
  block_threshold?: number;
  limits?: Partial<Limits>;
  /**
   * A body over `limits.max_body_bytes`: `inspect_partial` (default, ModSecurity's ProcessPartial)
   * inspects its first part and reports `protocol.limit_exceeded` (low); `block` also reports
   * `protocol.body_limit_rejected` (critical), like `SecRequestBodyLimitAction Reject`. Multipart
   * uploads and binary bodies are exempt (like SecRequestBodyNoFilesLimit).
   */
  body_limit_action?: 'inspect_partial' | 'block';
  exclusions?: Exclusion[];
  /** Rules switched off everywhere (ids or `prefix.*`). */
  disabled_rules?: string[];
  /** Detector classes to run; default all. */
  classes?: AttackClass[];
  /** Methods the site accepts; others are `protocol.method_not_allowed`. */
  allowed_methods?: string[];
  /** The site's own origins (`https://shop.example`) for CSRF checks; empty means same-host only. */
  origins?: string[];
  /** A trained classifier (`decodeModel(bytes)`): its score joins the findings (`ml.classifier`). */
  model?: ClassifierModel;
  /**
   * Learning mode: a site's anomaly model (`decodeAnomalyModel(json)`). A request at or over its
   * threshold gets an `anomaly.request` finding. `action: 'log'` (default) makes it a signal that
   * never blocks on its own; `'block'` blocks it in block mode.
   */
  anomaly?: { model: AnomalyModel; id?: string; action?: 'log' | 'block' };
}

/** The validated, frozen configuration that detectors and the engine read. */
export interface CompiledConfig {
  readonly mode: Mode;
  readonly sensitivity: Sensitivity;
  readonly blockThreshold: number;
  readonly limits: Readonly<Limits>;
  readonly bodyLimitAction: 'inspect_partial' | 'block';
  readonly exclusions: readonly CompiledExclusion[];
  readonly isDisabled: (rule: string) => boolean;
  readonly classes: ReadonlySet<AttackClass> | null;
  readonly allowedMethods: ReadonlySet<string>;
  readonly origins: readonly string[];
  readonly model: ClassifierModel | null;
  readonly anomaly: {
    readonly model: AnomalyModel;
    readonly id: string;
    readonly action: 'log' | 'block';
  } | null;
}

export interface CompiledExclusion {
  readonly matches: (rule: string, cls: string, location: string, path: string, method: string) => boolean;
}

export const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Thrown by `createEngine` for an invalid configuration; the message names the field. */
export class ConfigError extends Error {
  readonly code = 'PAL_ERR_ENGINE_CONFIG';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid engine config: ${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

function matcher(pattern: string): (s: string) => boolean {
  if (pattern.endsWith('*')) {
    const pre = pattern.slice(0, -1);
    return (s) => s.startsWith(pre);
  }
  return (s) => s === pattern;
}

function anyMatcher(field: string, p: string | string[] | undefined): ((s: string) => boolean) | null {
  if (p === undefined) return null;
  const list = Array.isArray(p) ? p : [p];
  if (list.length === 0 || list.some((x) => typeof x !== 'string' || x === ''))
    throw new ConfigError(field, 'expected a non-empty string or list of strings');
  const ms = list.map(matcher);
  return (s) => ms.some((m) => m(s));
}

/** Checks the configuration strictly and compiles it once (STYLE.md #2). */
export function compileConfig(config: EngineConfig = {}): CompiledConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('config', 'expected an object');
  const mode = config.mode ?? 'block';
  if (mode !== 'block' && mode !== 'monitor')
    throw new ConfigError('mode', `expected "block" or "monitor", got ${String(mode)}`);
  const sensitivity = config.sensitivity ?? 'balanced';
  if (!(sensitivity in BLOCK_THRESHOLDS))
    throw new ConfigError('sensitivity', `expected one of ${Object.keys(BLOCK_THRESHOLDS).join(', ')}`);
  const blockThreshold = config.block_threshold ?? BLOCK_THRESHOLDS[sensitivity];
  if (!Number.isFinite(blockThreshold) || blockThreshold <= 0)
    throw new ConfigError('block_threshold', 'expected a positive number');
  const bodyLimitAction = config.body_limit_action ?? 'inspect_partial';
  if (bodyLimitAction !== 'inspect_partial' && bodyLimitAction !== 'block')
    throw new ConfigError('body_limit_action', 'must be inspect_partial or block');
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(config.limits ?? {})) {
    if (!(k in DEFAULT_LIMITS)) throw new ConfigError(`limits.${k}`, 'unknown limit');
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new ConfigError(`limits.${k}`, 'expected a positive integer');
    limits[k as keyof Limits] = v;
  }
  const exclusions = (config.exclusions ?? []).map((e, i): CompiledExclusion => {
    const f = `exclusions[${i}]`;
    if (typeof e !== 'object' || e === null) throw new ConfigError(f, 'expected an object');
    const rule = anyMatcher(`${f}.rule`, e.rule);
    const cls = anyMatcher(`${f}.class`, e.class);
    const loc = anyMatcher(`${f}.location`, e.location);
    const path = anyMatcher(`${f}.path`, e.path);
    const method = e.method === undefined ? null : e.method.toUpperCase();
    if (!rule && !cls && !loc && !path && !method)
      throw new ConfigError(f, 'an exclusion needs at least one of rule, class, location, path, method');
    return Object.freeze({
      matches: (r: string, c: string, l: string, p: string, m: string) =>
        (!rule || rule(r)) &&
        (!cls || cls(c)) &&
        (!loc || loc(l)) &&
        (!path || path(p)) &&
        (!method || method === m.toUpperCase()),
    });
  });
  const disabled = anyMatcher(
    'disabled_rules',
    config.disabled_rules && config.disabled_rules.length ? config.disabled_rules : undefined,
  );
  const allowed = (config.allowed_methods ?? DEFAULT_METHODS).map((m) => {
    if (typeof m !== 'string' || !/^[A-Za-z-]{1,20}$/.test(m))
      throw new ConfigError('allowed_methods', `invalid method ${String(m)}`);
    return m.toUpperCase();
  });
  const origins = (config.origins ?? []).map((o) => {
    const m = typeof o === 'string' ? /^(https?:\/\/[a-z0-9.-]+(?::\d{1,5})?)\/?$/i.exec(o.trim()) : null;
    if (!m) throw new ConfigError('origins', `not an origin like https://shop.example: ${String(o)}`);
    return m[1]!.toLowerCase();
  });
  if (config.model !== undefined && !isClassifierModel(config.model))
    throw new ConfigError('model', 'expected a model object returned by decodeModel()');
  const an = config.anomaly;
  if (an !== undefined) {
    if (an === null || typeof an !== 'object' || !(an.model instanceof AnomalyModel))
      throw new ConfigError('anomaly.model', 'expected a model returned by decodeAnomalyModel()');
    if (an.action !== undefined && an.action !== 'log' && an.action !== 'block')
      throw new ConfigError('anomaly.action', 'must be log or block');
  }
  return Object.freeze({
    mode,
    sensitivity,
    blockThreshold,
    limits: Object.freeze(limits),
    bodyLimitAction,
    exclusions: Object.freeze(exclusions),
    isDisabled: disabled ?? (() => false),
    classes: config.classes ? new Set(config.classes) : null,
    allowedMethods: new Set(allowed),
    origins: Object.freeze(origins),
    model: config.model ?? null,
    anomaly: an
      ? Object.freeze({ model: an.model, id: an.id ?? 'anomaly', action: an.action ?? 'log' })
      : null,
  });
}
