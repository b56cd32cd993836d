/**
 * The `forward` section of the server configuration: where alerts and incidents go besides the
 * store — syslog receivers (RFC 5424, CEF or OCSF JSON, over UDP or TCP) and webhooks (JSON with
 * an OCSF Incident Finding, or Slack's `{ text }`). Checked strictly like the rest of the config
 * (unknown keys and bad values are PAL_ERR_CONFIG naming the key) and filled with defaults here, so
 * the forwarder only reads finished targets.
 *
 * Environment: `PALISADE_FORWARD_SYSLOG=udp://HOST:PORT` (or `tcp://`) and
 * `PALISADE_FORWARD_WEBHOOK=URL` each add one target with the defaults; the webhook's HMAC secret
 * comes from `PALISADE_FORWARD_WEBHOOK_SECRET`. A configured webhook may name the variable holding
 * its secret with `secret_env`, so the secret stays out of the file.
 */
import { SEVERITIES, type Severity } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { checkObject, type Schema } from './schema.js';

export interface SyslogTarget {
  /** A name for logs and metrics (default `syslog:HOST:PORT`). */
  name: string;
  host: string;
  port: number;
  protocol: 'udp' | 'tcp';
  /** `cef` (ArcSight CEF) or `json` (the OCSF object). */
  format: 'cef' | 'json';
  /** TCP framing (RFC 6587): octet counting (default) or a newline after each message. */
  framing: 'octet-counting' | 'newline';
  /** Only alerts and incidents of this severity or above. */
  min_severity: Severity;
  /** Syslog facility 0-23 (default 13, log audit). */
  facility: number;
  alerts: boolean;
  incidents: boolean;
  /** Longest message (bytes, header included); longer ones are cut. */
  max_message_bytes: number;
  max_queue: number;
  max_attempts: number;
  backoff_ms: number;
  max_backoff_ms: number;
  /** TCP connect and write timeout. */
  timeout_ms: number;
}

export interface WebhookTarget {
  /** A name for logs and metrics (default `webhook:HOST`; the URL's path and query may hold a token). */
  name: string;
  url: string;
  /** `json`: `{ text, event, incident, ocsf }`; `slack`: `{ text }`. */
  format: 'json' | 'slack';
  min_severity: Severity;
  /** HMAC-SHA256 key of the X-Palisade-Signature header; empty: no signature. */
  secret: string;
  timeout_ms: number;
  max_attempts: number;
  backoff_ms: number;
  max_backoff_ms: number;
  max_queue: number;
}

export interface ForwardConfig {
  syslog: SyslogTarget[];
  webhooks: WebhookTarget[];
  /** Dead-lettered deliveries remembered (per process) for the log and the metrics. */
  dead_letter_max: number;
}

export const DEFAULT_FORWARD: Readonly<ForwardConfig> = Object.freeze({
  syslog: [],
  webhooks: [],
  dead_letter_max: 100,
});

const common = {
  min_severity: { type: 'enum', values: SEVERITIES },
  max_queue: { type: 'int', min: 1, max: 100_000 },
  max_attempts: { type: 'int', min: 1, max: 20 },
  backoff_ms: { type: 'int', min: 1, max: 600_000 },
  max_backoff_ms: { type: 'int', min: 1, max: 3_600_000 },
  timeout_ms: { type: 'int', min: 10, max: 600_000 },
  name: { type: 'string' },
} as const;

const SYSLOG_SCHEMA: Schema = {
  ...common,
  host: { type: 'string' },
  port: { type: 'int', min: 1, max: 65535 },
  protocol: { type: 'enum', values: ['udp', 'tcp'] },
  format: { type: 'enum', values: ['cef', 'json'] },
  framing: { type: 'enum', values: ['octet-counting', 'newline'] },
  facility: { type: 'int', min: 0, max: 23 },
  alerts: { type: 'bool' },
  incidents: { type: 'bool' },
  max_message_bytes: { type: 'int', min: 480, max: 65_000 },
};

const WEBHOOK_SCHEMA: Schema = {
  ...common,
  url: { type: 'url' },
  format: { type: 'enum', values: ['json', 'slack'] },
  secret: { type: 'string' },
  secret_env: { type: 'string' },
};

const TOP_SCHEMA: Schema = {
  syslog: { type: 'any' },
  webhooks: { type: 'any' },
  dead_letter_max: { type: 'int', min: 0, max: 10_000 },
};

const fail = (key: string, message: string): never => {
  throw new PalisadeError('PAL_ERR_CONFIG', `${key}: ${message}`, { key });
};

function list(v: unknown, key: string): Record<string, unknown>[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return fail(key, 'must be a list of objects');
  if (v.length > 32) fail(key, 'at most 32 targets');
  return v as Record<string, unknown>[];
}

function syslogTarget(raw: Record<string, unknown>, key: string): SyslogTarget {
  checkObject(SYSLOG_SCHEMA, raw, key);
  if (raw.host === undefined) fail(`${key}.host`, 'required');
  if (raw.port === undefined) fail(`${key}.port`, 'required');
  const t: SyslogTarget = {
    name: `syslog:${String(raw.host)}:${String(raw.port)}`,
    host: raw.host as string,
    port: raw.port as number,
    protocol: 'udp',
    format: 'cef',
    framing: 'octet-counting',
    min_severity: 'medium',
    facility: 13,
    alerts: true,
    incidents: true,
    max_message_bytes: 8192,
    max_queue: 2000,
    max_attempts: 5,
    backoff_ms: 500,
    max_backoff_ms: 30_000,
    timeout_ms: 5000,
    ...raw,
  } as SyslogTarget;
  if (t.max_backoff_ms < t.backoff_ms) fail(`${key}.max_backoff_ms`, 'must be at least backoff_ms');
  return t;
}

function webhookTarget(
  raw: Record<string, unknown>,
  key: string,
  env: Readonly<Record<string, string | undefined>>,
): WebhookTarget {
  checkObject(WEBHOOK_SCHEMA, raw, key);
  if (raw.url === undefined) fail(`${key}.url`, 'required');
  const { secret_env: secretEnv, ...rest } = raw;
  let secret = (raw.secret as string | undefined) ?? '';
  if (secretEnv !== undefined) {
    if (secret !== '') fail(`${key}.secret_env`, 'give secret or secret_env, not both');
    secret = env[secretEnv as string] ?? '';
    if (secret === '') fail(`${key}.secret_env`, `environment variable ${String(secretEnv)} is not set`);
  }
  let host = '';
  try {
    host = new URL(raw.url as string).host;
  } catch {
    fail(`${key}.url`, 'is not a valid URL');
  }
  const t: WebhookTarget = {
    name: `webhook:${host}`,
    format: 'json',
    min_severity: 'high',
    timeout_ms: 5000,
    max_attempts: 5,
    backoff_ms: 1000,
    max_backoff_ms: 60_000,
    max_queue: 1000,
    ...rest,
    secret,
  } as WebhookTarget;
  if (t.max_backoff_ms < t.backoff_ms) fail(`${key}.max_backoff_ms`, 'must be at least backoff_ms');
  return t;
}

/** `udp://HOST:PORT` or `tcp://HOST:PORT` (IPv6 in brackets). */
function syslogFromEnv(v: string): Record<string, unknown> {
  const m = /^(udp|tcp):\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]\s]+)):(\d{1,5})\/?$/.exec(v);
  if (!m || Number(m[4]) < 1 || Number(m[4]) > 65535)
    return fail('PALISADE_FORWARD_SYSLOG', `"${v.slice(0, 100)}" is not udp://HOST:PORT or tcp://HOST:PORT`);
  return { protocol: m[1], host: m[2] ?? m[3], port: Number(m[4]) };
}

/** Checks the `forward` section (undefined: none) and fills every target's defaults. */
export function resolveForwardConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
): ForwardConfig {
  const r = (raw ?? {}) as Record<string, unknown>;
  checkObject(TOP_SCHEMA, r, 'forward');
  const out: ForwardConfig = {
    syslog: list(r.syslog, 'forward.syslog').map((t, i) => syslogTarget(t, `forward.syslog[${i}]`)),
    webhooks: list(r.webhooks, 'forward.webhooks').map((t, i) =>
      webhookTarget(t, `forward.webhooks[${i}]`, env),
    ),
    dead_letter_max: (r.dead_letter_max as number | undefined) ?? DEFAULT_FORWARD.dead_letter_max,
  };
  if (env.PALISADE_FORWARD_SYSLOG)
    out.syslog.push(syslogTarget(syslogFromEnv(env.PALISADE_FORWARD_SYSLOG), 'PALISADE_FORWARD_SYSLOG'));
  if (env.PALISADE_FORWARD_WEBHOOK) {
    const w: Record<string, unknown> = { url: env.PALISADE_FORWARD_WEBHOOK };
    if (env.PALISADE_FORWARD_WEBHOOK_SECRET) w.secret = env.PALISADE_FORWARD_WEBHOOK_SECRET;
    out.webhooks.push(webhookTarget(w, 'PALISADE_FORWARD_WEBHOOK', env));
  }
  const names = new Set<string>();
  for (const t of [...out.syslog, ...out.webhooks]) {
    if (names.has(t.name)) fail('forward', `two targets are named "${t.name}"; give each a name`);
    names.add(t.name);
  }
  return out;
}
