/**
 * The reverse proxy's options: what a caller may pass (`ProxyOptions`) and the checked, frozen form the
 * request path reads (`ResolvedProxyOptions`). Every size and time has a unit in its name and a bound;
 * a bad value throws PAL_ERR_PROXY_CONFIG naming the option (STYLE.md #2: check once, then look up).
 */
import { CidrSet, type Engine } from '@palisade/engine';
import type { BanCheck, EventSink } from '../sink.js';
import { PalisadeError } from '../errors.js';
import { buildTraps, type HoneypotOptions, type TrapIndex } from './honeypot.js';

export interface ProxyTimeouts {
  /** Time allowed to receive a request head (slowloris bound). Default 20 s. */
  headersMs: number;
  /** Time allowed to receive a whole request, head and body. Default 300 s. */
  requestMs: number;
  /** Idle time of a client keep-alive connection between requests. Default 30 s. */
  idleMs: number;
  /** Time allowed to open a connection to the upstream. Default 5 s. */
  upstreamConnectMs: number;
  /** Idle time on the upstream connection while waiting for or streaming its response. Default 60 s. */
  upstreamResponseMs: number;
}

/** What a blocked request is answered with (the default is 403 JSON `{error:{code:'PAL_BLOCKED',...}}`). */
export interface BlockResponse {
  status?: number;
  contentType?: string;
  /** The body; `{{event_id}}` is replaced with the event id (the only value reflected). */
  body?: string;
}

export interface ProxyOptions {
  /** Where allowed requests go: `http://127.0.0.1:3000` or `https://app.internal` (a path is a prefix). */
  upstream: string;
  engine: Engine;
  sink: EventSink;
  bans?: BanCheck;
  /** IPs/CIDRs whose X-Forwarded-For is believed; the client is the right-most untrusted address. */
  trustedProxies?: readonly string[];
  /** The events' `source.name`; default `proxy:HOST:PORT` of the listening address. */
  sourceName?: string;
  timeouts?: Partial<ProxyTimeouts>;
  /** Largest request body accepted (declared or streamed); larger gets 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Body bytes buffered and inspected before anything is forwarded. Default the engine's body limit. */
  inspectBodyBytes?: number;
  /** Request head + body bytes kept in the event's `raw`. Default 16 KiB; 0 keeps none. */
  captureRawBytes?: number;
  /** Submit an event for every request (the access log), not only flagged ones. Default true. */
  recordAll?: boolean;
  /** false skips inspection (pure pass-through; for benchmarks and troubleshooting). Default true. */
  inspect?: boolean;
  /** When inspection itself fails: `open` forwards the request, `closed` answers 503. Default open. */
  failMode?: 'open' | 'closed';
  blockResponse?: BlockResponse;
  /** Decoy routes the proxy answers itself; false turns them off. Default: every built-in trap. */
  honeypot?: HoneypotOptions | false;
  /** Path prefix of the proxy's own endpoints (`health`); null turns them off. Default `/_palisade/`. */
  adminPrefix?: string | null;
  /**
   * Prometheus text for `<adminPrefix>metrics`, answered to loopback clients only (counters of the
   * proxy and its pipeline). Unset: no metrics endpoint.
   */
  metrics?: () => string;
  /** Send the client's Host to the upstream (true) or the upstream's own host (false). Default true. */
  preserveHost?: boolean;
  /** Upstream connections kept at most (keep-alive pool). Default 256. */
  maxSockets?: number;
  /** Event submissions in flight at most; past it events are dropped and counted. Default 10 000. */
  maxPendingEvents?: number;
  /** TLS options for an https upstream. */
  upstreamTls?: { ca?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** Milliseconds since the epoch; tests pass a fake. Default Date.now. */
  clock?: () => number;
}

export interface ResolvedProxyOptions {
  readonly upstream: URL;
  readonly upstreamTls: boolean;
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** The upstream URL's path without its trailing slash ('' for `/`). */
  readonly upstreamBasePath: string;
  readonly engine: Engine;
  readonly sink: EventSink;
  readonly bans: BanCheck | undefined;
  readonly trusted: CidrSet;
  readonly sourceName: string | undefined;
  readonly timeouts: Readonly<ProxyTimeouts>;
  readonly maxBodyBytes: number;
  readonly inspectBodyBytes: number;
  readonly captureRawBytes: number;
  readonly recordAll: boolean;
  readonly inspect: boolean;
  readonly failMode: 'open' | 'closed';
  readonly blockResponse: Readonly<Required<BlockResponse>> | undefined;
  /** The decoy routes, or null when the honeypot is off. */
  readonly traps: TrapIndex | null;
  readonly adminPrefix: string | null;
  readonly metrics: (() => string) | undefined;
  readonly preserveHost: boolean;
  readonly maxSockets: number;
  readonly maxPendingEvents: number;
  readonly tls: ProxyOptions['upstreamTls'];
  readonly clock: () => number;
}

export const DEFAULT_TIMEOUTS: Readonly<ProxyTimeouts> = Object.freeze({
  headersMs: 20_000,
  requestMs: 300_000,
  idleMs: 30_000,
  upstreamConnectMs: 5_000,
  upstreamResponseMs: 60_000,
});
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_CAPTURE_RAW_BYTES = 16 * 1024;
export const DEFAULT_ADMIN_PREFIX = '/_palisade/';

function fail(option: string, message: string): never {
  throw new PalisadeError('PAL_ERR_PROXY_CONFIG', `invalid proxy option ${option}: ${message}`, { option });
}

function int(option: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(option, `expected an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

/** Checks the options strictly and freezes them. */
export function resolveProxyOptions(o: ProxyOptions): ResolvedProxyOptions {
  if (typeof o !== 'object' || o === null) fail('options', 'expected an object');
  let upstream: URL;
  try {
    upstream = new URL(o.upstream);
  } catch {
    fail('upstream', `not a URL: ${String(o.upstream)}`);
  }
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:')
    fail('upstream', 'expected an http:// or https:// URL');
  if (upstream.username || upstream.password) fail('upstream', 'credentials in the URL are not supported');
  if (upstream.search || upstream.hash) fail('upstream', 'a query or fragment is not allowed');
  if (!o.engine || typeof o.engine.inspect !== 'function') fail('engine', 'expected an Engine');
  if (!o.sink || typeof o.sink.submit !== 'function') fail('sink', 'expected an EventSink');
  if (o.bans !== undefined && typeof o.bans.banned !== 'function') fail('bans', 'expected a BanCheck');

  const trusted = new CidrSet();
  for (const t of o.trustedProxies ?? []) {
    if (typeof t !== 'string' || !trusted.add(t.trim()))
      fail('trustedProxies', `not an IP or CIDR: ${String(t)}`);
  }
  const t = { ...DEFAULT_TIMEOUTS };
  for (const [k, v] of Object.entries(o.timeouts ?? {})) {
    if (!(k in DEFAULT_TIMEOUTS)) fail(`timeouts.${k}`, 'unknown timeout');
    t[k as keyof ProxyTimeouts] = int(`timeouts.${k}`, v, 0, 1, 3_600_000);
  }
  const maxBodyBytes = int('maxBodyBytes', o.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 0, 1 << 30);
  const engineLimit = o.engine.config.limits.max_body_bytes;
  const inspectBodyBytes = int(
    'inspectBodyBytes',
    o.inspectBodyBytes,
    Math.min(engineLimit, maxBodyBytes),
    0,
    64 * 1024 * 1024,
  );
  if (inspectBodyBytes > maxBodyBytes) fail('inspectBodyBytes', 'must not exceed maxBodyBytes');
  const captureRawBytes = int(
    'captureRawBytes',
    o.captureRawBytes,
    DEFAULT_CAPTURE_RAW_BYTES,
    0,
    16 * 1024 * 1024,
  );
  let blockResponse: Required<BlockResponse> | undefined;
  if (o.blockResponse !== undefined) {
    const b = o.blockResponse;
    const status = int('blockResponse.status', b.status, 403, 200, 599);
    const contentType = b.contentType ?? 'application/json';
    if (typeof contentType !== 'string' || /[\r\n]/.test(contentType))
      fail('blockResponse.contentType', 'expected a header value');
    if (b.body !== undefined && typeof b.body !== 'string') fail('blockResponse.body', 'expected a string');
    blockResponse = Object.freeze({ status, contentType, body: b.body ?? '' });
  }
  let adminPrefix: string | null = DEFAULT_ADMIN_PREFIX;
  if (o.adminPrefix !== undefined) {
    adminPrefix = o.adminPrefix;
    if (adminPrefix !== null && !/^\/[A-Za-z0-9._~-]+\/$/.test(adminPrefix))
      fail('adminPrefix', 'expected a path like /_palisade/ (or null)');
  }
  if (o.failMode !== undefined && o.failMode !== 'open' && o.failMode !== 'closed')
    fail('failMode', 'expected "open" or "closed"');
  if (o.sourceName !== undefined && (typeof o.sourceName !== 'string' || o.sourceName.length > 200))
    fail('sourceName', 'expected a string of at most 200 characters');
  let traps: TrapIndex | null = null;
  if (o.honeypot !== false) {
    try {
      traps = buildTraps(o.honeypot ?? {});
      if (traps.size === 0) traps = null;
    } catch (e) {
      fail('honeypot', (e as Error).message);
    }
  }
  let basePath = upstream.pathname;
  while (basePath.endsWith('/')) basePath = basePath.slice(0, -1);
  const tls = upstream.protocol === 'https:';
  return Object.freeze({
    upstream,
    upstreamTls: tls,
    upstreamHost: upstream.hostname.replace(/^\[|\]$/g, ''),
    upstreamPort: upstream.port ? Number(upstream.port) : tls ? 443 : 80,
    upstreamBasePath: basePath,
    engine: o.engine,
    sink: o.sink,
    bans: o.bans,
    trusted,
    sourceName: o.sourceName,
    timeouts: Object.freeze(t),
    maxBodyBytes,
    inspectBodyBytes,
    captureRawBytes,
    recordAll: o.recordAll ?? true,
    inspect: o.inspect ?? true,
    failMode: o.failMode ?? 'open',
    blockResponse,
    traps,
    adminPrefix,
    metrics: o.metrics,
    preserveHost: o.preserveHost ?? true,
    maxSockets: int('maxSockets', o.maxSockets, 256, 1, 65_536),
    maxPendingEvents: int('maxPendingEvents', o.maxPendingEvents, 10_000, 1, 10_000_000),
    tls: o.upstreamTls,
    clock: o.clock ?? Date.now,
  });
}
