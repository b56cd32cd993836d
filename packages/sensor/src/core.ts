/**
 * The framework-neutral heart of the sensor. For each request: resolve the client, check bans, skip
 * excluded routes, inspect (with the body when there is one), decide (mode, fail mode), and at the
 * end of the response count it and — when it is worth shipping — build and queue its SecurityEvent.
 * The adapters (node:http, Express, Fastify, Koa) only move bytes and call these steps.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action, RequestRecord, SecurityEvent, Verdict } from '@palisade/engine';
import { BanList } from './ban-list.js';
import { BanPuller, type BanPullStats } from './ban-puller.js';
import type { CapturedBody } from './body-capture.js';
import { createClientResolver } from './client-address.js';
import { buildAuthEvent, buildEvent, httpInfo, rawRequest } from './event-builder.js';
import { compileOptions, type BlockCode, type CompiledOptions, type SensorOptions } from './options.js';
import { Shipper, type ShipperStats } from './shipper.js';
import { collectorTransport, sinkTransport } from './transports.js';
import { busTransport } from './bus-transport.js';

/** The response to send instead of calling the app. */
export interface BlockResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SensorStats {
  /** Requests seen (including excluded and banned ones). */
  requests: number;
  /** Requests run through the engine. */
  inspected: number;
  /** Final actions: passed clean, passed with findings (or in monitor mode), refused. */
  allowed: number;
  logged: number;
  blocked: number;
  /** Refused (or, in monitor mode, flagged) because the client is banned; also counted in blocked/logged. */
  banned: number;
  /** Not inspected because an exclusion skips the route. */
  excluded: number;
  /** Inspections that threw or whose body did not arrive in time (then failMode decided). */
  errors: number;
  /** Clients that went away while their body was being read. */
  aborted: number;
  /** Login reports. */
  auth: number;
  shipped: number;
  dropped: ShipperStats['dropped'] & {
    /** Events with nowhere to go (no collector or sink configured). */
    no_sink: number;
  };
  retries: number;
  buffer: number;
  last_rejection?: string;
  last_error?: string;
  bans: { active: number } & BanPullStats;
}

/** What `reportAuth` accepts: a Node request, a Fastify request (`.raw`) or a Koa context (`.req`). */
export type RequestLike = IncomingMessage | { raw: IncomingMessage } | { req: IncomingMessage };

/** One request on its way through the sensor. */
export class Transaction {
  verdict: Verdict | null = null;
  action: Action = 'allow';
  message: string | undefined = undefined;
  body: Buffer | null = null;
  id: string | null = null;
  /** The whole body was read (or there was none): a block need not close the connection. */
  bodyDone = true;
  banned = false;
  done = false;
  readonly tsMs: number;
  readonly t0: number;
  constructor(
    readonly req: IncomingMessage,
    readonly ip: string,
    readonly port: number | undefined,
    tsMs: number,
  ) {
    this.tsMs = tsMs;
    this.t0 = performance.now();
  }
}

/** Marks a request that an exclusion skips: nothing is inspected, counted or shipped for it. */
export const SKIPPED = Symbol('palisade.skipped');

export interface SensorCore {
  readonly options: CompiledOptions;
  /** Starts a request: client, ban, exclusion. A banned client's transaction carries `banned`. */
  open(req: IncomingMessage): Transaction | typeof SKIPPED;
  /** Inspects the request (with its captured body); returns the response to send instead of the app's. */
  inspect(tx: Transaction, captured: CapturedBody | null): BlockResponse | null;
  /** The client went away while its body was read: counted, nothing shipped. */
  abort(tx: Transaction): void;
  /**
   * The sensor itself failed outside the engine (a bug): counted; failMode decides whether the
   * request passes (null) or gets the block response.
   */
  fallback(err: unknown): BlockResponse | null;
  /** The block response for a transaction already decided as blocked (bans). */
  blockResponse(tx: Transaction, code: BlockCode): BlockResponse;
  /** Ends a request: counts it and ships its event when it has findings, a block, or `shipAll`. */
  finish(tx: Transaction, status: number, bytesOut: number | undefined): void;
  reportAuth(req: RequestLike, report: { user: string; success: boolean; reason?: string }): void;
  stats(): SensorStats;
  refreshBans(): Promise<void>;
  flush(): Promise<void>;
  close(deadlineMs?: number): Promise<void>;
}

/** Fail-closed refusal: 503, because the request was not judged, only not served. */
const INSPECT_FAILED = 'PAL_ERR_SENSOR_INSPECT_FAILED';

const RANK: Readonly<Record<Action, number>> = { allow: 0, log: 1, block: 2 };

/** Characters of an error message kept on an event. */
const ERROR_MESSAGE_MAX = 200;

export function createSensorCore(options: SensorOptions = {}): SensorCore {
  const o = compileOptions(options);
  const resolveClient = createClientResolver(o.trustProxy);
  const bans = new BanList(o.bans.list);
  const puller =
    o.bans.pullUrl === null
      ? null
      : new BanPuller(
          {
            url: o.bans.pullUrl,
            apiKey: o.bans.apiKey,
            intervalMs: o.bans.intervalMs,
            timeoutMs: o.collector?.timeoutMs ?? 10_000,
          },
          bans,
        );
  const bus = o.bus ? busTransport(o.bus) : null;
  const transport = o.collector
    ? collectorTransport(o.collector)
    : bus
      ? bus.transport
      : o.sink
        ? sinkTransport(o.sink)
        : null;
  const shipper = transport ? new Shipper(o.shipper, transport) : null;
  const monitor = o.mode === 'monitor';
  const c = {
    requests: 0,
    inspected: 0,
    allowed: 0,
    logged: 0,
    blocked: 0,
    banned: 0,
    excluded: 0,
    errors: 0,
    aborted: 0,
    auth: 0,
    no_sink: 0,
  };
  puller?.start();

  function clientOf(req: IncomingMessage) {
    return resolveClient(req);
  }

  function pathOf(url: string): string {
    const q = url.indexOf('?');
    return q < 0 ? url : url.slice(0, q);
  }

  function isSkipped(req: IncomingMessage): boolean {
    if (o.skip.length === 0) return false;
    const path = pathOf(req.url ?? '/');
    // Only plain paths may skip inspection: `/static/../api`, `/static/%2e%2e/api` or `//x` might be
    // routed elsewhere by the app than the prefix suggests, so they are inspected.
    if (/%|\/\.|\/\/|\\/.test(path)) return false;
    const method = req.method ?? 'GET';
    for (const m of o.skip) if (m(path, method)) return true;
    return false;
  }

  function open(req: IncomingMessage): Transaction | typeof SKIPPED {
    c.requests++;
    const client = clientOf(req);
    const tx = new Transaction(req, client.ip, client.port, o.clock.now());
    if (bans.size > 0) {
      const ban = bans.find(client.ip, tx.tsMs);
      if (ban) {
        c.banned++;
        tx.banned = true;
        tx.message = `banned: ${ban.reason}`;
        tx.action = monitor ? 'log' : 'block';
        return tx;
      }
    }
    if (isSkipped(req)) {
      c.excluded++;
      return SKIPPED;
    }
    return tx;
  }

  function blockResponse(tx: Transaction, code: BlockCode): BlockResponse {
    tx.id ??= randomUUID();
    // An unread body is not drained for a refused request: the connection is closed instead.
    const headers = tx.bodyDone ? o.block.headers : { ...o.block.headers, connection: 'close' };
    const status = code === INSPECT_FAILED ? 503 : o.block.status;
    return { status, headers, body: o.block.body({ code, event_id: tx.id }) };
  }

  /** failMode decides: open passes (unverified), closed refuses. Monitor mode never refuses. */
  function failed(tx: Transaction, why: string): BlockResponse | null {
    c.errors++;
    tx.message = why.slice(0, ERROR_MESSAGE_MAX);
    if (o.failOpen || monitor) {
      tx.action = 'allow';
      return null;
    }
    tx.action = 'block';
    return blockResponse(tx, INSPECT_FAILED);
  }

  function inspect(tx: Transaction, captured: CapturedBody | null): BlockResponse | null {
    const req = tx.req;
    if (captured) {
      tx.body = captured.body;
      tx.bodyDone = captured.complete;
      if (captured.timedOut) {
        const r = failed(tx, `inspection failed: body not received within ${o.bodyTimeoutMs} ms`);
        if (r) return r;
        // Passed: the part that did arrive is still inspected.
      }
    }
    c.inspected++;
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headersDistinct,
      body: tx.body,
      remote: tx.port === undefined ? { ip: tx.ip } : { ip: tx.ip, port: tx.port },
      tls: (req.socket as { encrypted?: boolean }).encrypted === true,
    };
    // Only the start of the body (over maxBodyBytes, timed out): the engine records the cut as
    // `protocol.limit_exceeded` and does not judge the missing end as a malformed body.
    if (captured !== null && !captured.complete) record.body_truncated = true;
    let verdict: Verdict;
    try {
      verdict = o.engine.inspect(record);
    } catch (err) {
      return failed(tx, `inspection failed: ${(err as Error)?.message ?? String(err)}`);
    }
    tx.verdict = verdict;
    const action = verdict.action === 'block' && monitor ? 'log' : verdict.action;
    // The stronger action wins: a ban seen in monitor mode stays at least `log`.
    if (RANK[action] > RANK[tx.action]) tx.action = action;
    return tx.action === 'block' ? blockResponse(tx, 'PAL_BLOCKED') : null;
  }

  function abort(tx: Transaction): void {
    tx.done = true;
    c.aborted++;
  }

  function fallback(_err: unknown): BlockResponse | null {
    c.errors++;
    if (o.failOpen || monitor) return null;
    return {
      status: 503,
      headers: { ...o.block.headers, connection: 'close' },
      body: o.block.body({ code: INSPECT_FAILED, event_id: randomUUID() }),
    };
  }

  function ship(event: SecurityEvent, benign: boolean): void {
    if (shipper) shipper.push(event, benign);
    else c.no_sink++;
  }

  function finish(tx: Transaction, status: number, bytesOut: number | undefined): void {
    if (tx.done) return;
    tx.done = true;
    if (tx.action === 'block') c.blocked++;
    else if (tx.action === 'log') c.logged++;
    else c.allowed++;
    const v = tx.verdict;
    const findings = v ? v.findings : [];
    const notable = tx.action !== 'allow' || findings.length > 0 || tx.message !== undefined;
    if (!notable && !o.shipAll) return;
    const http = httpInfo(tx.req);
    http.status = status;
    const cl = Number(tx.req.headers['content-length']);
    const bytesIn = Number.isFinite(cl) ? cl : tx.bodyDone && tx.body ? tx.body.length : undefined;
    if (bytesIn !== undefined) http.bytes_in = bytesIn;
    if (bytesOut !== undefined) http.bytes_out = bytesOut;
    http.duration_ms = Math.round((performance.now() - tx.t0) * 1000) / 1000;
    const ev = buildEvent({
      id: (tx.id ??= randomUUID()),
      tsMs: tx.tsMs,
      name: o.name,
      ip: tx.ip,
      port: tx.port,
      http,
      action: tx.action,
      score: v ? v.score : 0,
      severity: v ? v.severity : 'info',
      findings,
      ...(tx.message !== undefined && { message: tx.message }),
    });
    if (v?.ml) ev.ml_score = v.ml.score;
    if (v?.anomaly) ev.anomaly_score = v.anomaly.score;
    // Evidence travels with events that have findings; a benign request shipped by `shipAll` (a login
    // form, say) carries no body.
    if (findings.length > 0 && o.captureRawBytes > 0) {
      const r = rawRequest(tx.req, tx.body, o.captureRawBytes, o.redactHeaders);
      ev.raw = r.raw;
      ev.raw_truncated = r.truncated || !tx.bodyDone;
    }
    ship(ev, !notable);
  }

  function requestOf(r: RequestLike): IncomingMessage {
    if ('raw' in r && r.raw && typeof r.raw === 'object') return r.raw;
    if ('req' in r && r.req && typeof r.req === 'object' && 'socket' in r.req) return r.req;
    return r as IncomingMessage;
  }

  function reportAuth(r: RequestLike, report: { user: string; success: boolean; reason?: string }): void {
    if (typeof report?.user !== 'string' || typeof report.success !== 'boolean')
      throw new TypeError('reportAuth(req, { user: string, success: boolean, reason?: string })');
    const req = requestOf(r);
    const client = clientOf(req);
    c.auth++;
    ship(
      buildAuthEvent({
        id: randomUUID(),
        tsMs: o.clock.now(),
        name: o.name,
        ip: client.ip,
        port: client.port,
        req,
        user: report.user,
        success: report.success,
        ...(typeof report.reason === 'string' && { reason: report.reason }),
      }),
      false,
    );
  }

  function stats(): SensorStats {
    const s = shipper?.stats() ?? {
      shipped: 0,
      dropped: { buffer_full: 0, rejected: 0, shutdown: 0 },
      retries: 0,
      buffer: 0,
    };
    const { no_sink, ...counts } = c;
    const out: SensorStats = {
      ...counts,
      shipped: s.shipped,
      dropped: { ...s.dropped, no_sink },
      retries: s.retries,
      buffer: s.buffer,
      bans: {
        active: bans.size,
        ...(puller ? puller.stats : { pulls: 0, not_modified: 0, errors: 0, invalid: 0 }),
      },
    };
    if (s.last_rejection !== undefined) out.last_rejection = s.last_rejection;
    if (s.last_error !== undefined) out.last_error = s.last_error;
    return out;
  }

  return Object.freeze({
    options: o,
    open,
    inspect,
    abort,
    fallback,
    blockResponse,
    finish,
    reportAuth,
    stats,
    refreshBans: () => puller?.refresh() ?? Promise.resolve(),
    flush: () => shipper?.flush() ?? Promise.resolve(),
    close: async (deadlineMs = 5000) => {
      puller?.close();
      await shipper?.close(deadlineMs);
      await bus?.close();
    },
  });
}

/** Sends a block response on a plain Node response (the node:http, Express and Koa adapters). */
export function writeBlock(res: ServerResponse, block: BlockResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(block.status, block.headers);
  res.end(block.body);
}

/** Calls `done(status, bytesOut)` once, when the response has been sent or the connection closed. */
export function onResponseEnd(
  res: ServerResponse,
  done: (status: number, bytesOut: number | undefined) => void,
) {
  const end = () => {
    res.removeListener('finish', end);
    res.removeListener('close', end);
    const cl = Number(res.getHeader('content-length'));
    done(res.statusCode, Number.isFinite(cl) ? cl : undefined);
  };
  res.on('finish', end);
  res.on('close', end);
}
