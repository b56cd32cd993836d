/**
 * The sensor's options, checked strictly and compiled once when the sensor is created (STYLE.md #2):
 * a bad option throws a `SensorConfigError` naming the field; the request path only reads the result.
 */
import { hostname } from 'node:os';
import type { CompiledBus } from './bus-transport.js';
import {
  createEngine,
  ConfigError,
  type Engine,
  type EngineConfig,
  type Exclusion,
  type Mode,
  type SecurityEvent,
} from '@palisade/engine';

/** Batching, buffering and retry of shipped events. */
export interface ShipperOptions {
  /** Events per POST. Default 200. */
  batchSize?: number;
  /** A partial batch is sent after this long. Default 1000 ms. */
  flushMs?: number;
  /** Events held while the collector is slow or down; beyond it the oldest are dropped. Default 10000. */
  maxBuffer?: number;
  /** First retry delay; doubles per failed attempt, with full jitter. Default 500 ms. */
  backoffBaseMs?: number;
  /** Longest retry delay. Default 30000 ms. */
  backoffMaxMs?: number;
}

/** Ships events to a Palisade collector: `POST <url>/api/v1/ingest` with `{ events }`. */
export interface CollectorOptions extends ShipperOptions {
  /** Base URL of the collector, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** An API key with the `ingest` scope; sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Per POST. Default 10000 ms. */
  timeoutMs?: number;
}

/**
 * Publishes events to NATS JetStream for `palisade worker` to store (scale-out). Chosen by this
 * option, or by the environment variable PALISADE_BUS_URL (and PALISADE_BUS_PREFIX) when neither
 * `collector`, `sink` nor `bus` is given.
 */
export interface BusOptions extends ShipperOptions {
  /** `nats://host:port` (comma-separated for several servers). */
  url: string;
  /** Subject prefix: events go to `<prefix>.events.<kind>`. Default `palisade`. */
  prefix?: string;
  /** Wait for a connection or a PubAck. Default 10000 ms. */
  timeoutMs?: number;
  /** Largest event published (bytes of JSON); larger ones are refused, counted. Default 1 MiB. */
  maxMessageBytes?: number;
}

/**
 * Hands a batch to an in-process store. Resolve when it is durably kept; reject to have it retried
 * with back-off, or reject with an error whose `retryable` is `false` to have it dropped (counted).
 */
export type SinkFunction = (events: SecurityEvent[]) => Promise<void>;

/** One ban: an address or CIDR, IPv4 or IPv6. `until` null or absent means until lifted. */
export interface BanInput {
  value: string;
  reason?: string;
  until?: string | null;
}

export interface BanOptions {
  /** Collector base URL to pull `GET /api/v1/bans/active` from (ETag-cached). */
  url?: string;
  /** Key for the pull; default `collector.apiKey`. */
  apiKey?: string;
  /** Pull interval. Default 10000 ms. */
  intervalMs?: number;
  /** Bans that always apply, in addition to pulled ones. */
  list?: BanInput[];
}

/**
 * A route rule. With `skip: true` the route is not inspected at all (bans still apply); otherwise the
 * other fields switch rules off on that route, exactly like an engine exclusion.
 * `path` is exact, or a prefix when it ends in `*` (`/static/*`).
 */
export interface RouteExclusion extends Exclusion {
  path: string;
  skip?: boolean;
}

/** What the block response body is built from. */
export interface BlockInfo {
  /** `PAL_BLOCKED` (the verdict), `PAL_BANNED` (a ban), `PAL_ERR_SENSOR_INSPECT_FAILED` (fail-closed, 503). */
  code: BlockCode;
  event_id: string;
}

export type BlockCode = 'PAL_BLOCKED' | 'PAL_BANNED' | 'PAL_ERR_SENSOR_INSPECT_FAILED';

export interface BlockResponseOptions {
  /** Default 403. (A fail-closed refusal is always 503: the request was not judged, only not served.) */
  status?: number;
  /** Default `{"error":{"code","message","event_id"}}` JSON. */
  body?: string | ((info: BlockInfo) => string);
  /** Extra response headers; `content-type` defaults to JSON for the default body, text otherwise. */
  headers?: Record<string, string>;
}

export interface SensorOptions {
  /** Engine configuration, or a ready engine. Default `{}` (all detectors, balanced). */
  engine?: EngineConfig | Engine;
  /** `block` refuses blocked requests; `monitor` never refuses anything and ships the same events. */
  mode?: Mode;
  blockResponse?: BlockResponseOptions;
  exclusions?: RouteExclusion[];
  /** When inspection throws or the body does not arrive in time: `open` passes, `closed` refuses. */
  failMode?: 'open' | 'closed';
  /** How long to wait for the inspected part of a body. Default 10000 ms. */
  bodyTimeoutMs?: number;
  /** Body bytes inspected (the rest streams through unread). Default: the engine's `max_body_bytes`. */
  maxBodyBytes?: number;
  /** Bytes of the raw request (head + body, Latin-1) kept on events with findings. 0 = none. Default 16384. */
  captureRawBytes?: number;
  /** Header values replaced by `[redacted]` in `raw`. Default authorization, proxy-authorization, cookie, x-api-key. */
  redactHeaders?: string[];
  /** Source name on events. Default `sensor:<hostname>`. */
  name?: string;
  /** Proxies (addresses, CIDRs) whose `X-Forwarded-For` is believed. Default none: the socket peer. */
  trustProxy?: string[];
  collector?: CollectorOptions;
  /** Publish to NATS JetStream instead of a collector (see BusOptions; also PALISADE_BUS_URL). */
  bus?: BusOptions;
  sink?: SinkFunction;
  /** Batching for `sink` (the collector takes these in `collector`). */
  sinkOptions?: ShipperOptions;
  /**
   * Ship events without findings too. Default false: on a busy site nearly every request is benign,
   * so shipping them all would multiply collector traffic and storage for little signal; they are
   * still counted in `stats()`. Turn it on for traffic baselines (anomaly training). Such events carry
   * no `raw`.
   */
  shipAll?: boolean;
  bans?: BanOptions;
  /** Wall clock for event times and ban expiry (ms since epoch). Default `Date.now`. */
  clock?: { now(): number };
}

export const DEFAULT_REDACT_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

/** Thrown by `createSensor` for an invalid option; the message names the field. */
export class SensorConfigError extends Error {
  readonly code = 'PAL_ERR_SENSOR_CONFIG';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid sensor option: ${field}: ${message}`);
    this.name = 'SensorConfigError';
  }
}

export interface CompiledShipper {
  batchSize: number;
  flushMs: number;
  maxBuffer: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface CompiledOptions {
  engine: Engine;
  mode: Mode;
  block: { status: number; headers: Record<string, string>; body: (info: BlockInfo) => string };
  /** Routes not inspected at all. */
  skip: readonly ((path: string, method: string) => boolean)[];
  failOpen: boolean;
  bodyTimeoutMs: number;
  maxBodyBytes: number;
  captureRawBytes: number;
  redactHeaders: ReadonlySet<string>;
  name: string;
  trustProxy: readonly string[];
  shipAll: boolean;
  clock: { now(): number };
  shipper: CompiledShipper;
  collector: { url: string; apiKey: string; timeoutMs: number } | null;
  bus: CompiledBus | null;
  sink: SinkFunction | null;
  bans: { pullUrl: string | null; apiKey: string; intervalMs: number; list: readonly BanInput[] };
}

function isEngine(x: unknown): x is Engine {
  return typeof x === 'object' && x !== null && typeof (x as Engine).inspect === 'function' && 'config' in x;
}

function int(field: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new SensorConfigError(field, `expected an integer ${min}..${max}, got ${String(v)}`);
  return v;
}

function baseUrl(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new SensorConfigError(field, 'expected a URL string');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new SensorConfigError(field, `not a URL: ${v.slice(0, 100)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new SensorConfigError(field, 'expected an http or https URL');
  let href = u.href;
  while (href.endsWith('/')) href = href.slice(0, -1);
  return href;
}

function natsUrl(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new SensorConfigError(field, 'expected nats://HOST:PORT');
  const parts = v.split(',').map((p) => p.trim());
  for (const p of parts) {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw new SensorConfigError(field, `not a URL: ${p.slice(0, 100)}`);
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:')
      throw new SensorConfigError(field, 'expected a nats:// or tls:// URL');
  }
  return parts.join(',');
}

function busPrefix(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(v))
    throw new SensorConfigError(field, 'expected 1..64 letters, digits, _ or -');
  return v;
}

function shipperOptions(field: string, o: ShipperOptions | undefined): CompiledShipper {
  const s = o ?? {};
  const backoffBaseMs = int(`${field}.backoffBaseMs`, s.backoffBaseMs, 500, 1, 600_000);
  return {
    batchSize: int(`${field}.batchSize`, s.batchSize, 200, 1, 10_000),
    flushMs: int(`${field}.flushMs`, s.flushMs, 1000, 1, 600_000),
    maxBuffer: int(`${field}.maxBuffer`, s.maxBuffer, 10_000, 1, 10_000_000),
    backoffBaseMs,
    backoffMaxMs: int(
      `${field}.backoffMaxMs`,
      s.backoffMaxMs,
      Math.max(30_000, backoffBaseMs),
      backoffBaseMs,
      3_600_000,
    ),
  };
}

function pathMatcher(field: string, p: unknown): (path: string) => boolean {
  if (typeof p !== 'string' || !p.startsWith('/'))
    throw new SensorConfigError(
      field,
      'expected a path starting with "/" (a trailing "*" makes it a prefix)',
    );
  if (p.endsWith('*')) {
    const pre = p.slice(0, -1);
    return (s) => s.startsWith(pre);
  }
  return (s) => s === p;
}

const DEFAULT_MESSAGES: Record<BlockCode, string> = {
  PAL_BLOCKED: 'The request was blocked by Palisade.',
  PAL_BANNED: 'Your address is banned.',
  PAL_ERR_SENSOR_INSPECT_FAILED: 'The request could not be inspected.',
};

/** Checks and compiles the options. */
export function compileOptions(options: SensorOptions = {}): CompiledOptions {
  if (typeof options !== 'object' || options === null)
    throw new SensorConfigError('options', 'expected an object');
  const given = options.engine;
  const mode = options.mode ?? (isEngine(given) ? given.config.mode : given?.mode) ?? 'block';
  if (mode !== 'block' && mode !== 'monitor')
    throw new SensorConfigError('mode', `expected "block" or "monitor", got ${String(mode)}`);
  const failMode = options.failMode ?? 'open';
  if (failMode !== 'open' && failMode !== 'closed')
    throw new SensorConfigError('failMode', `expected "open" or "closed", got ${String(failMode)}`);

  // Route exclusions: `skip` ones stay here; the others become engine exclusions.
  const skip: ((path: string, method: string) => boolean)[] = [];
  const ruleExclusions: Exclusion[] = [];
  (options.exclusions ?? []).forEach((e, i) => {
    const f = `exclusions[${i}]`;
    if (typeof e !== 'object' || e === null) throw new SensorConfigError(f, 'expected an object');
    const matchPath = pathMatcher(`${f}.path`, e.path);
    if (e.skip === true) {
      const method = e.method?.toUpperCase();
      skip.push((p, m) => matchPath(p) && (method === undefined || method === m));
    } else {
      const { skip: _skip, ...rest } = e;
      if (!rest.rule && !rest.class && !rest.location && !rest.method)
        throw new SensorConfigError(f, 'give skip: true, or a rule, class, location or method to switch off');
      ruleExclusions.push(rest);
    }
  });

  let engine: Engine;
  const maxBodyOpt = options.maxBodyBytes;
  if (isEngine(given)) {
    engine = given;
    if (ruleExclusions.length)
      throw new SensorConfigError(
        'exclusions',
        'rule exclusions need an engine config, not an Engine instance',
      );
    if (maxBodyOpt !== undefined && maxBodyOpt !== engine.config.limits.max_body_bytes)
      throw new SensorConfigError(
        'maxBodyBytes',
        'with an Engine instance, set limits.max_body_bytes in its config',
      );
  } else {
    const cfg: EngineConfig = { ...(given ?? {}), mode };
    if (ruleExclusions.length) cfg.exclusions = [...(cfg.exclusions ?? []), ...ruleExclusions];
    // The engine must see the same body limit, so that a cut body is flagged protocol.limit_exceeded.
    if (maxBodyOpt !== undefined)
      cfg.limits = { ...cfg.limits, max_body_bytes: int('maxBodyBytes', maxBodyOpt, 0, 1, 1 << 30) };
    try {
      engine = createEngine(cfg);
    } catch (err) {
      if (err instanceof ConfigError) throw new SensorConfigError(`engine.${err.field}`, err.message);
      throw err;
    }
  }

  const br = options.blockResponse ?? {};
  const status = int('blockResponse.status', br.status, 403, 200, 599);
  let body: (info: BlockInfo) => string;
  const headers: Record<string, string> = {};
  if (br.body === undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = (info) =>
      JSON.stringify({
        error: { code: info.code, message: DEFAULT_MESSAGES[info.code], event_id: info.event_id },
      });
  } else if (typeof br.body === 'string') {
    headers['content-type'] = 'text/plain; charset=utf-8';
    const text = br.body;
    body = () => text;
  } else if (typeof br.body === 'function') {
    headers['content-type'] = 'text/plain; charset=utf-8';
    body = br.body;
  } else throw new SensorConfigError('blockResponse.body', 'expected a string or a function');
  headers['cache-control'] = 'no-store';
  for (const [k, v] of Object.entries(br.headers ?? {})) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || /[\r\n\0]/.test(v))
      throw new SensorConfigError(`blockResponse.headers.${k}`, 'invalid header name or value');
    headers[k.toLowerCase()] = v;
  }

  const name = options.name ?? `sensor:${hostname()}`;
  if (typeof name !== 'string' || name === '' || name.length > 200)
    throw new SensorConfigError('name', 'expected a string of 1..200 characters');
  const trustProxy = options.trustProxy ?? [];
  if (!Array.isArray(trustProxy))
    throw new SensorConfigError('trustProxy', 'expected a list of addresses/CIDRs');

  const redact = options.redactHeaders ?? DEFAULT_REDACT_HEADERS;
  if (!Array.isArray(redact) || redact.some((h) => typeof h !== 'string'))
    throw new SensorConfigError('redactHeaders', 'expected a list of header names');

  let collector: CompiledOptions['collector'] = null;
  let bus: CompiledBus | null = null;
  let shipper: CompiledShipper;
  const sink = options.sink ?? null;
  if ([options.collector, sink, options.bus].filter((x) => x !== undefined && x !== null).length > 1)
    throw new SensorConfigError('sink', 'give one of collector, bus or sink');
  const envBus = process.env.PALISADE_BUS_URL;
  const busOpt: BusOptions | undefined =
    options.bus ??
    (!options.collector && !sink && envBus
      ? {
          url: envBus,
          ...(process.env.PALISADE_BUS_PREFIX ? { prefix: process.env.PALISADE_BUS_PREFIX } : {}),
        }
      : undefined);
  if (busOpt) {
    if (typeof busOpt !== 'object') throw new SensorConfigError('bus', 'expected { url, prefix? }');
    bus = {
      url: natsUrl('bus.url', busOpt.url),
      prefix: busPrefix('bus.prefix', busOpt.prefix ?? 'palisade'),
      timeoutMs: int('bus.timeoutMs', busOpt.timeoutMs, 10_000, 1, 600_000),
      maxMessageBytes: int(
        'bus.maxMessageBytes',
        busOpt.maxMessageBytes,
        1024 * 1024,
        1024,
        64 * 1024 * 1024,
      ),
    };
    shipper = shipperOptions('bus', busOpt);
  } else if (options.collector) {
    const c = options.collector;
    if (typeof c.apiKey !== 'string' || c.apiKey === '')
      throw new SensorConfigError('collector.apiKey', 'expected a non-empty string');
    collector = {
      url: baseUrl('collector.url', c.url),
      apiKey: c.apiKey,
      timeoutMs: int('collector.timeoutMs', c.timeoutMs, 10_000, 1, 600_000),
    };
    shipper = shipperOptions('collector', c);
  } else {
    if (sink !== null && typeof sink !== 'function')
      throw new SensorConfigError('sink', 'expected a function');
    shipper = shipperOptions('sinkOptions', options.sinkOptions);
  }

  const b = options.bans ?? {};
  const pullUrl = b.url === undefined ? null : baseUrl('bans.url', b.url);
  const banKey = b.apiKey ?? options.collector?.apiKey ?? '';
  if (pullUrl !== null && (typeof banKey !== 'string' || banKey === ''))
    throw new SensorConfigError(
      'bans.apiKey',
      'pulling bans needs an API key (bans.apiKey or collector.apiKey)',
    );
  if (b.list !== undefined && !Array.isArray(b.list))
    throw new SensorConfigError('bans.list', 'expected a list');

  const clock = options.clock ?? { now: Date.now };
  if (typeof clock.now !== 'function') throw new SensorConfigError('clock', 'expected { now(): number }');

  return Object.freeze({
    engine,
    mode,
    block: { status, headers, body },
    skip,
    failOpen: failMode === 'open',
    bodyTimeoutMs: int('bodyTimeoutMs', options.bodyTimeoutMs, 10_000, 1, 600_000),
    maxBodyBytes: engine.config.limits.max_body_bytes,
    captureRawBytes: int('captureRawBytes', options.captureRawBytes, 16_384, 0, 1 << 24),
    redactHeaders: new Set(redact.map((h) => h.toLowerCase())),
    name,
    trustProxy,
    shipAll: options.shipAll === true,
    clock,
    shipper,
    collector,
    bus,
    sink,
    bans: {
      pullUrl,
      apiKey: banKey,
      intervalMs: int('bans.intervalMs', b.intervalMs, 10_000, 10, 3_600_000),
      list: b.list ?? [],
    },
  });
}
