/**
 * The server's configuration: one file (`palisade.config.json`, `.yaml` or `.yml`) plus `PALISADE_*`
 * environment variables plus command-line flags, in that order of precedence (later wins). Validated
 * at start against one schema; any unknown key or bad value is a PAL_ERR_CONFIG naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { compileConfig, ConfigError, type EngineConfig } from '@palisade/engine';
import { parse as parseYaml } from 'yaml';
import { PalisadeError } from '../errors.js';
import { isPostgresUrl } from '../store/dialect.js';
import { checkObject, type Schema } from './schema.js';
import { BUILTIN_TRAPS } from '../proxy/honeypot.js';
import { checkTimeZone } from '../ingest/parsers/time.js';
import { profileConfig, resolveCorrelationConfig, type CorrelationConfig } from '../correlate/config.js';
import { ROLES, type Role } from '../serve/principal.js';
import { DEFAULT_FORWARD, resolveForwardConfig, type ForwardConfig } from './forward-config.js';

export interface ServerConfig {
  /** Where the database, key file, install secret and first API key live. */
  data_dir: string;
  /** SQLite database file (default `<data_dir>/palisade.db`) or a `postgres://` address. */
  db: string;
  /** Address of `palisade serve` (ingest, API, metrics). */
  listen: string;
  /** Retention in days: older events are purged hourly. 0 keeps everything. */
  retention_days: number;
  engine: EngineConfig;
  writer: { max_queue: number; batch_size: number; flush_ms: number };
  ingest: {
    max_events_per_request: number;
    max_body_bytes: number;
    /** Largest log upload (`POST /api/v1/logs`). */
    max_upload_bytes: number;
    /** IANA zone of log timestamps without an offset (uploads, syslog, `ingest` without --time-zone). */
    time_zone: string;
  };
  enrich: {
    geo: boolean;
    asn: boolean;
    /** Folder of IP/CIDR list files; default `<config dir>/blocklists`. */
    blocklist_dir: string;
    abuseipdb: { api_key: string; threshold: number } | null;
  };
  proxy: {
    upstream: string;
    listen: string;
    trusted_proxies: string[];
    max_body_bytes: number;
    record_all: boolean;
    honeypot: boolean;
    /** Which decoys answer (default all built-in ones); drop any path your app really serves. */
    honeypot_traps: string[];
  };
  /** Correlation rules, thresholds and the active response (correlate/config.ts). */
  correlation: CorrelationConfig;
  /** The syslog listener of `serve`: `HOST:PORT` per transport, empty = off; the format of its lines. */
  syslog: { udp: string; tcp: string; format: string };
  /**
   * Models: `default` (the store's active model; for the classifier else the shipped one), `off`,
   * or a model file path. The anomaly finding logs (`log`) or blocks (`block`).
   */
  ml: { classifier: string; anomaly: string; anomaly_action: 'log' | 'block' };
  /** Users and tokens of the API (auth/): session lifetimes and an optional OIDC identity provider. */
  auth: {
    /** A browser session ends after this long without a request. */
    session_idle_secs: number;
    /** ... and after this long in any case. */
    session_max_secs: number;
    oidc: OidcConfig | null;
  };
  /** Alerts and incidents to syslog receivers and webhooks (config/forward-config.ts). */
  forward: ForwardConfig;
}

/** An external identity provider whose JWTs the API accepts as `Authorization: Bearer`. */
export interface OidcConfig {
  /** Expected `iss` claim. */
  issuer: string;
  /** Where its signing keys are (JWKS). */
  jwks_url: string;
  /** Expected `aud` claim (the client id of Palisade at the provider). */
  audience: string;
  /** Dotted path of the role claim; empty: `roles`, then Keycloak's `realm_access.roles`. */
  role_claim: string;
  /** Provider role → Palisade role; a provider role named like a Palisade role maps to it. */
  role_map: Record<string, Role>;
  /** Role of a token whose claims map to none; `none` refuses it. */
  default_role: Role | 'none';
}

export const DEFAULT_LISTEN = '127.0.0.1:8470';
/** Sessions end after 1 h idle or 12 h; no identity provider. */
export const DEFAULT_AUTH: Readonly<ServerConfig['auth']> = {
  session_idle_secs: 3600,
  session_max_secs: 43_200,
  oidc: null,
};
export const DEFAULT_PROXY_LISTEN = '127.0.0.1:8080';
export const CONFIG_FILES = ['palisade.config.json', 'palisade.config.yaml', 'palisade.config.yml'];

const SCHEMA: Schema = {
  data_dir: { type: 'string' },
  db: { type: 'string' },
  listen: { type: 'hostport' },
  retention_days: { type: 'int', min: 0, max: 36500 },
  engine: { type: 'any' },
  writer: {
    type: 'object',
    fields: {
      max_queue: { type: 'int', min: 1, max: 1_000_000 },
      batch_size: { type: 'int', min: 1, max: 10_000 },
      flush_ms: { type: 'int', min: 0, max: 60_000 },
    },
  },
  ingest: {
    type: 'object',
    fields: {
      max_events_per_request: { type: 'int', min: 1, max: 100_000 },
      max_body_bytes: { type: 'int', min: 1024, max: 1 << 30 },
      max_upload_bytes: { type: 'int', min: 1024, max: 16 * 2 ** 30 },
      time_zone: { type: 'string' },
    },
  },
  enrich: {
    type: 'object',
    fields: {
      geo: { type: 'bool' },
      asn: { type: 'bool' },
      blocklist_dir: { type: 'string' },
      abuseipdb: {
        type: 'object',
        nullable: true,
        fields: { api_key: { type: 'string' }, threshold: { type: 'int', min: 0, max: 100 } },
      },
    },
  },
  proxy: {
    type: 'object',
    fields: {
      upstream: { type: 'url' },
      listen: { type: 'hostport' },
      trusted_proxies: { type: 'strings' },
      max_body_bytes: { type: 'int', min: 1024, max: 1 << 30 },
      record_all: { type: 'bool' },
      honeypot: { type: 'bool' },
      honeypot_traps: { type: 'enums', values: BUILTIN_TRAPS },
    },
  },
  // Checked by resolveCorrelationConfig, which names the field at fault.
  correlation: { type: 'any' },
  // Checked by resolveForwardConfig (lists of targets), which names the field at fault.
  forward: { type: 'any' },
  syslog: {
    type: 'object',
    fields: { udp: { type: 'string' }, tcp: { type: 'string' }, format: { type: 'string' } },
  },
  ml: {
    type: 'object',
    fields: {
      classifier: { type: 'string' },
      anomaly: { type: 'string' },
      anomaly_action: { type: 'enum', values: ['log', 'block'] },
    },
  },
  auth: {
    type: 'object',
    fields: {
      session_idle_secs: { type: 'int', min: 60, max: 30 * 86_400 },
      session_max_secs: { type: 'int', min: 60, max: 90 * 86_400 },
      oidc: {
        type: 'object',
        nullable: true,
        fields: {
          issuer: { type: 'string' },
          jwks_url: { type: 'url' },
          audience: { type: 'string' },
          role_claim: { type: 'string' },
          role_map: { type: 'any' },
          default_role: { type: 'enum', values: ['none', ...ROLES] },
        },
      },
    },
  },
};

/** `PALISADE_X` → config path. Secrets come only from the environment or files, never flags. */
const ENV: Readonly<Record<string, string>> = {
  PALISADE_DATA_DIR: 'data_dir',
  PALISADE_DB: 'db',
  PALISADE_DATABASE_URL: 'db',
  PALISADE_LISTEN: 'listen',
  PALISADE_RETENTION_DAYS: 'retention_days',
  PALISADE_MODE: 'engine.mode',
  PALISADE_SENSITIVITY: 'engine.sensitivity',
  PALISADE_UPSTREAM: 'proxy.upstream',
  PALISADE_PROXY_LISTEN: 'proxy.listen',
  PALISADE_TRUSTED_PROXIES: 'proxy.trusted_proxies',
  PALISADE_ABUSEIPDB_KEY: 'enrich.abuseipdb.api_key',
  PALISADE_PROFILE: 'correlation.profile',
  PALISADE_SYSLOG_UDP: 'syslog.udp',
  PALISADE_SYSLOG_TCP: 'syslog.tcp',
  PALISADE_ML: 'ml.classifier',
  PALISADE_ANOMALY: 'ml.anomaly',
  PALISADE_OIDC_ISSUER: 'auth.oidc.issuer',
  PALISADE_OIDC_JWKS_URL: 'auth.oidc.jwks_url',
  PALISADE_OIDC_AUDIENCE: 'auth.oidc.audience',
};

function defaults(dataDir: string, configDir: string): ServerConfig {
  return {
    data_dir: dataDir,
    db: join(dataDir, 'palisade.db'),
    listen: DEFAULT_LISTEN,
    retention_days: 30,
    engine: {},
    writer: { max_queue: 10_000, batch_size: 500, flush_ms: 20 },
    ingest: {
      max_events_per_request: 1000,
      max_body_bytes: 10 << 20,
      max_upload_bytes: 100 << 20,
      time_zone: 'UTC',
    },
    enrich: { geo: true, asn: true, blocklist_dir: join(configDir, 'blocklists'), abuseipdb: null },
    proxy: {
      upstream: '',
      listen: DEFAULT_PROXY_LISTEN,
      trusted_proxies: [],
      max_body_bytes: 10 << 20,
      record_all: true,
      honeypot: true,
      honeypot_traps: [...BUILTIN_TRAPS],
    },
    correlation: profileConfig('default'),
    syslog: { udp: '', tcp: '', format: 'auto' },
    ml: { classifier: 'default', anomaly: 'default', anomaly_action: 'log' },
    auth: { ...DEFAULT_AUTH },
    forward: { ...DEFAULT_FORWARD, syslog: [], webhooks: [] },
  };
}

export interface LoadOptions {
  /** Explicit config file (`--config`); otherwise `PALISADE_CONFIG`, then the first of CONFIG_FILES in cwd. */
  file?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Command-line values by config path (`db`, `listen`, `proxy.upstream`, ...); undefined ones are ignored. */
  flags?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** Reads, merges and validates the configuration; throws PAL_ERR_CONFIG naming the bad key. */
export function loadConfig(opts: LoadOptions = {}): ServerConfig & { file: string | null } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = findConfigFile(opts.file ?? env.PALISADE_CONFIG, cwd);
  const fromFile = file ? readConfigFile(file) : {};
  const layered: Record<string, unknown> = structuredClone(fromFile);
  for (const [name, path] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(layered, path, envValue(path, raw));
  }
  for (const [path, v] of Object.entries(opts.flags ?? {})) if (v !== undefined) setPath(layered, path, v);

  const explicitDataDir = typeof layered.data_dir === 'string';
  if (explicitDataDir) layered.data_dir = resolve(cwd, layered.data_dir as string);
  // A database given without a data dir keeps its keys and secrets beside it.
  if (!explicitDataDir && typeof layered.db === 'string' && !isPostgresUrl(layered.db))
    layered.data_dir = dirname(resolve(cwd, layered.db));
  const dataDir = (layered.data_dir as string | undefined) ?? resolve(cwd, 'data');
  const base = defaults(dataDir, file ? dirname(file) : cwd);

  checkObject(SCHEMA, layered, '');
  const correlation = layered.correlation;
  delete layered.correlation;
  const forward = layered.forward;
  delete layered.forward;
  const merged = mergeInto(base as unknown as Record<string, unknown>, layered) as unknown as ServerConfig;
  try {
    merged.correlation = resolveCorrelationConfig(correlation);
  } catch (e) {
    if (e instanceof PalisadeError) throw new PalisadeError('PAL_ERR_CONFIG', `correlation.${e.message}`);
    throw e;
  }
  merged.forward = resolveForwardConfig(forward, env);
  for (const t of ['udp', 'tcp'] as const) if (merged.syslog[t] !== '') splitHostPort(merged.syslog[t]);
  try {
    checkTimeZone(merged.ingest.time_zone);
  } catch {
    throw new PalisadeError(
      'PAL_ERR_CONFIG',
      `ingest.time_zone: "${merged.ingest.time_zone}" is not an IANA time zone`,
    );
  }
  if (!isPostgresUrl(merged.db)) merged.db = resolve(cwd, merged.db);
  for (const k of ['classifier', 'anomaly'] as const)
    if (merged.ml[k] !== 'default' && merged.ml[k] !== 'off') merged.ml[k] = resolve(cwd, merged.ml[k]);
  if (merged.enrich.abuseipdb && !merged.enrich.abuseipdb.api_key)
    throw new PalisadeError('PAL_ERR_CONFIG', 'enrich.abuseipdb.api_key: required when abuseipdb is set');
  if (merged.enrich.abuseipdb) merged.enrich.abuseipdb.threshold ??= 50;
  if (merged.auth.oidc) merged.auth.oidc = checkOidc(merged.auth.oidc);
  try {
    compileConfig(merged.engine);
  } catch (e) {
    if (e instanceof ConfigError)
      throw new PalisadeError('PAL_ERR_CONFIG', `engine.${e.field}: ${e.message}`);
    throw e;
  }
  return { ...merged, file };
}

/** Requires issuer, jwks_url and audience, fills the optional keys and checks the role map. */
function checkOidc(o: Partial<OidcConfig>): OidcConfig {
  for (const k of ['issuer', 'jwks_url', 'audience'] as const)
    if (!o[k]) throw new PalisadeError('PAL_ERR_CONFIG', `auth.oidc.${k}: required when auth.oidc is set`);
  const map = o.role_map ?? {};
  if (map === null || typeof map !== 'object' || Array.isArray(map))
    throw new PalisadeError('PAL_ERR_CONFIG', 'auth.oidc.role_map: must be an object of role names');
  for (const [k, v] of Object.entries(map))
    if (!(ROLES as readonly unknown[]).includes(v))
      throw new PalisadeError(
        'PAL_ERR_CONFIG',
        `auth.oidc.role_map.${k}: must be one of ${ROLES.join(', ')}`,
      );
  return {
    issuer: o.issuer!,
    jwks_url: o.jwks_url!,
    audience: o.audience!,
    role_claim: o.role_claim ?? '',
    role_map: map,
    default_role: o.default_role ?? 'none',
  };
}

function findConfigFile(explicit: string | undefined, cwd: string): string | null {
  if (explicit) {
    const p = resolve(cwd, explicit);
    if (!existsSync(p)) throw new PalisadeError('PAL_ERR_CONFIG', `config file ${p} does not exist`);
    return p;
  }
  for (const name of CONFIG_FILES) if (existsSync(join(cwd, name))) return join(cwd, name);
  return null;
}

const MAX_CONFIG_BYTES = 1 << 20;

function readConfigFile(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_CONFIG_BYTES) throw new PalisadeError('PAL_ERR_CONFIG', `${path}: larger than 1 MiB`);
  let parsed: unknown;
  try {
    parsed = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new PalisadeError('PAL_ERR_CONFIG', `${path}: ${(e as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new PalisadeError('PAL_ERR_CONFIG', `${path}: the top level must be an object`);
  return parsed as Record<string, unknown>;
}

function envValue(path: string, raw: string): unknown {
  if (path === 'retention_days') return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (path === 'proxy.trusted_proxies')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return raw;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b))
      mergeInto(b as Record<string, unknown>, v as Record<string, unknown>);
    else base[k] = v;
  }
  return base;
}

/** Splits `HOST:PORT` (IPv6 in brackets) for `server.listen`. */
export function splitHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new PalisadeError('PAL_ERR_CONFIG', `"${value}" is not HOST:PORT`);
  return { host: (m[1] ?? m[2])!, port };
}
