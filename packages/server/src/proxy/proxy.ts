/**
 * The reverse proxy: `createProxy(options)` builds a node:http server that stands in front of one
 * upstream. Per request: framing and ban checks on the head, decoy routes, then up to
 * `inspectBodyBytes` of the body is buffered and inspected before anything is forwarded; a blocked
 * request never reaches the upstream. An allowed one is forwarded over a keep-alive pool with the
 * buffered part first and the rest streamed; the response streams back unchanged (hop-by-hop headers
 * aside) with backpressure both ways. Every exchange ends as a SecurityEvent
 * handed to the sink without waiting for it. Building is separate from listening (STYLE.md #6).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { resolveClientIp, type ClientAddress, type Finding } from '@palisade/engine';
import { resolveProxyOptions, type ProxyOptions, type ResolvedProxyOptions } from './options.js';
import { createStats, snapshotStats, type ProxyStats } from './stats.js';
import { EventSubmitter } from './event-submitter.js';
import { requestHeadersUpstream, responseHeadersDownstream } from './forward-headers.js';
import { violationOfParseError } from './framing.js';
import { ALLOW, Gate, framingRefusal, type Judgement, type Refusal } from './gate.js';
import {
  buildEvent,
  captureRaw,
  makeFinding,
  requestHead,
  ruleCatalog,
  scoreOf,
  splitTarget,
  type ExchangeRecord,
} from './proxy-event.js';
import {
  blockedResponse,
  errorResponse,
  jsonError,
  sendOwn,
  wantsHtml,
  type OwnResponse,
} from './responses.js';
import { TRAP_BODY_MAX, type Trap, type TrapRequest } from './honeypot.js';
import { handleUpgrade, type UpgradeContext } from './upgrade.js';

/** After a refusal, request body bytes still read and discarded so the client sees the answer (no RST). */
const LINGER_BYTES = 1024 * 1024;
const LINGER_MS = 2000;
/** How long `close()` waits for open exchanges and in-flight event submissions. */
const CLOSE_GRACE_MS = 5000;

export interface Proxy {
  readonly server: http.Server;
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting, ends open connections (after a grace period) and waits for event submissions. */
  close(): Promise<void>;
  stats(): ProxyStats;
}

class UpstreamTimeoutError extends Error {
  readonly code = 'PAL_UPSTREAM_TIMEOUT';
  constructor(what: string) {
    super(`upstream ${what} timed out`);
  }
}

/**
 * The exchange a response, upstream request or upstream response belongs to. A property rather than
 * a WeakMap, and shared listeners that read it, so a request allocates no closures on the fast path.
 */
const kExchange = Symbol('palisade.exchange');
type Linked<T> = T & { [kExchange]?: Exchange };

/** The state of one request/response exchange. */
class Exchange {
  id: string | undefined = undefined;
  bytesIn = 0;
  bytesOut = 0;
  /** The buffered start of the body (what was inspected and is kept for `raw`). */
  body: Buffer[] | null = null;
  bodyBuffered = 0;
  judgement: Judgement | Refusal | null = null;
  honeypot: ExchangeRecord['honeypot'] = undefined;
  message: string | undefined = undefined;
  upstreamReq: http.ClientRequest | null = null;
  upstreamRes: IncomingMessage | null = null;
  retried = false;
  /** The whole request body was read before forwarding (a retry may resend it). */
  ended = false;
  /** The status recorded when the answer was written on the socket, not through `res`. */
  status: number | null = null;
  /** No event (the proxy's own health endpoint). */
  silent = false;
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly start: number,
    readonly client: ClientAddress,
  ) {}

  eventId(): string {
    return (this.id ??= randomUUID());
  }
}

/**
 * Creates the proxy (not yet listening).
 * @example
 * const proxy = createProxy({ upstream: 'http://127.0.0.1:3000', engine: createEngine(), sink });
 * await proxy.listen('0.0.0.0', 8080);
 */
export function createProxy(options: ProxyOptions): Proxy {
  const o: ResolvedProxyOptions = resolveProxyOptions(options);
  const stats = createStats();
  const submitter = new EventSubmitter(o.sink, o.maxPendingEvents, stats);
  const meta = ruleCatalog(o.engine);
  const gate = new Gate(o, meta);
  const clock = o.clock;
  const startedAt = clock();
  let sourceName = o.sourceName ?? 'proxy';
  const upstreamState: { reachable: boolean | null; at: number | null; error: string | null } = {
    reachable: null,
    at: null,
    error: null,
  };
  const agentOptions = {
    keepAlive: true,
    maxSockets: o.maxSockets,
    maxFreeSockets: Math.min(o.maxSockets, 256),
    // The most recently used socket first: a warm one, and idle ones expire instead of all staying open.
    scheduling: 'lifo' as const,
    // Small request heads and bodies go out at once (no Nagle delay behind a delayed ACK).
    noDelay: true,
    // Set on each pooled socket once, instead of re-armed per request: an idle upstream socket while a
    // request waits for (or streams) its response times the request out (see onUpstreamTimeout).
    timeout: o.timeouts.upstreamResponseMs,
  };
  const agent = o.upstreamTls
    ? new https.Agent({
        ...agentOptions,
        ca: o.tls?.ca,
        rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
        servername: o.tls?.servername ?? o.upstreamHost,
      })
    : new http.Agent(agentOptions);
  const requestUpstream = o.upstreamTls ? https.request : http.request;
  const upstreamHostHeader = o.upstream.host;
  const upgradeSockets = new Set<Socket>();

  const server = http.createServer(
    {
      requestTimeout: o.timeouts.requestMs,
      headersTimeout: o.timeouts.headersMs,
      keepAliveTimeout: o.timeouts.idleMs,
      // Strict parsing is the first smuggling guard: never the lenient parser.
      insecureHTTPParser: false,
      // A missing Host is refused by checkFraming, with an event, rather than silently by Node.
      requireHostHeader: false,
      joinDuplicateHeaders: false,
    },
    onRequest,
  );
  server.on('clientError', onClientError);
  server.on('connect', onConnect);

  function markUpstream(ok: boolean, error: string | null): void {
    upstreamState.reachable = ok;
    upstreamState.at = clock();
    upstreamState.error = error;
  }

  // ---- events -----------------------------------------------------------------------------------

  function record(r: ExchangeRecord, id: string): void {
    const flagged = r.action !== 'allow' || r.findings.length > 0 || r.honeypot !== undefined;
    if (!flagged && !o.recordAll) return;
    submitter.submit(buildEvent(r, id));
  }

  function finish(ex: Exchange): void {
    const { req, res } = ex;
    if (ex.upstreamReq && !ex.upstreamReq.writableFinished) ex.upstreamReq.destroy();
    // The client went away mid-response: stop reading the upstream (its socket is not reused).
    if (ex.upstreamRes && !ex.upstreamRes.complete) ex.upstreamRes.destroy();
    stats.bytes.in += ex.bytesIn;
    stats.bytes.out += ex.bytesOut;
    if (ex.silent) return;
    const complete = res.writableFinished;
    const status = ex.status ?? (res.headersSent ? res.statusCode : 499);
    const j: Judgement | Refusal = ex.judgement ?? ALLOW;
    const raw = o.captureRawBytes
      ? captureRaw(
          requestHead(req.method ?? '', req.url ?? '', req.httpVersion, req.rawHeaders),
          ex.body,
          ex.bytesIn,
          o.captureRawBytes,
        )
      : null;
    const rec: ExchangeRecord = {
      ts: ex.start,
      sourceName,
      clientIp: ex.client.ip,
      clientPort: ex.client.ip === ex.client.peer ? req.socket.remotePort : undefined,
      method: req.method ?? '',
      url: req.url ?? '',
      host: req.headers.host,
      userAgent: req.headers['user-agent'],
      referer: req.headers.referer,
      status,
      bytesIn: ex.bytesIn,
      bytesOut: ex.bytesOut,
      durationMs: Math.max(0, clock() - ex.start),
      action: j.action,
      score: j.score,
      severity: j.severity,
      findings: j.findings,
      raw,
    };
    if (j.mlScore !== undefined) rec.mlScore = j.mlScore;
    if (j.anomalyScore !== undefined) rec.anomalyScore = j.anomalyScore;
    const message =
      ex.message ?? j.message ?? (complete ? undefined : 'connection closed before the response ended');
    if (message !== undefined) rec.message = message;
    if (ex.honeypot) rec.honeypot = ex.honeypot;
    record(rec, ex.eventId());
  }

  // ---- requests ---------------------------------------------------------------------------------

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const client = resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], o.trusted);
    const ex = new Exchange(req, res, clock(), client);
    (res as Linked<ServerResponse>)[kExchange] = ex;
    res.once('close', onResponseClose);
    if (o.adminPrefix !== null && url.startsWith(o.adminPrefix))
      return admin(ex, url.slice(o.adminPrefix.length));
    stats.requests++;
    const refusal = gate.precheck(req.rawHeaders, req.httpVersion, client.ip, ex.start);
    if (refusal) return refuse(ex, refusal, true);
    if (o.traps) {
      const trap = o.traps.match(splitTarget(url).path);
      if (trap) return honeypot(ex, trap);
    }
    const declared = req.headers['content-length'];
    const length = declared === undefined ? 0 : Number(declared);
    if (length > o.maxBodyBytes) return tooLarge(ex, `Content-Length ${length}`, true);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (length === 0 && !chunked) return decide(ex, true);
    readBody(ex, o.inspectBodyBytes, (state) => {
      if (state === 'aborted') return;
      if (state === 'too_large') return tooLarge(ex, `body over ${o.maxBodyBytes} bytes`, false);
      decide(ex, state === 'end');
    });
  }

  /** Buffers the body until it ends or passes `limit` bytes, then pauses it. */
  function readBody(
    ex: Exchange,
    limit: number,
    done: (state: 'end' | 'more' | 'too_large' | 'aborted') => void,
  ): void {
    const { req } = ex;
    const chunks: Buffer[] = (ex.body = []);
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      ex.bodyBuffered += c.length;
      ex.bytesIn += c.length;
      if (ex.bytesIn > o.maxBodyBytes || ex.bodyBuffered > limit) {
        cleanup();
        req.pause();
        done(ex.bytesIn > o.maxBodyBytes ? 'too_large' : 'more');
      }
    };
    const onEnd = () => {
      cleanup();
      done('end');
    };
    const onAbort = () => {
      cleanup();
      ex.message = 'client closed the connection during the request body';
      done('aborted');
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
  }

  /** Inspects and then blocks or forwards. */
  function decide(ex: Exchange, ended: boolean): void {
    let body: Buffer | undefined;
    if (ex.body && ex.bodyBuffered > 0 && o.inspectBodyBytes > 0) {
      body = ex.body.length === 1 ? ex.body[0]! : Buffer.concat(ex.body, ex.bodyBuffered);
      // The chunk that crossed the limit is buffered whole; the engine sees exactly the limit.
      if (body.length > o.inspectBodyBytes) body = body.subarray(0, o.inspectBodyBytes);
    }
    // The body goes on past what is inspected: the engine records the cut (`body_truncated`).
    const cut = !ended;
    const j = gate.inspect(
      ex.req,
      ex.client.ip,
      ex.client.peer === ex.client.ip ? ex.req.socket.remotePort : undefined,
      body,
      cut,
    );
    if (j.refused) return refuse(ex, j, false);
    ex.judgement = j;
    if (j.action === 'log') stats.flagged++;
    stats.forwarded++;
    forward(ex, ended);
  }

  /** Answers a refusal. `now`: answer at once and close (head-only checks: the body is never read). */
  function refuse(ex: Exchange, r: Refusal, now: boolean): void {
    stats.blocked[r.reason]++;
    ex.judgement = r;
    const answer: OwnResponse =
      r.reason === 'verdict'
        ? blockedResponse(ex.eventId(), o.blockResponse)
        : jsonError(r.status, r.code, r.text, ex.eventId());
    if (now) ex.bytesOut += sendOwn(ex.res, answer, true);
    else answerAfterDrain(ex, answer);
  }

  function tooLarge(ex: Exchange, what: string, now: boolean): void {
    const findings: Finding[] = [
      makeFinding(
        meta('protocol.limit_exceeded'),
        'protocol.limit_exceeded',
        'body',
        `${what} > maxBodyBytes ${o.maxBodyBytes}`,
      ),
    ];
    refuse(
      ex,
      {
        refused: true,
        reason: 'too_large',
        status: 413,
        code: 'PAL_ERR_PROXY_BODY_TOO_LARGE',
        text: `The request body is larger than ${o.maxBodyBytes} bytes.`,
        action: 'block',
        ...scoreOf(findings),
        findings,
        message: `body too large: ${what}`,
      },
      now,
    );
  }

  /**
   * Sends an own answer once the rest of the request body is read (up to LINGER_BYTES / LINGER_MS),
   * so the client reads the answer instead of a connection reset; then closes the connection.
   */
  function answerAfterDrain(ex: Exchange, answer: OwnResponse): void {
    const { req, res } = ex;
    if (req.readableEnded || req.complete) {
      ex.bytesOut += sendOwn(res, answer, false);
      return;
    }
    let extra = 0;
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', send);
      if (!res.headersSent && !res.destroyed) ex.bytesOut += sendOwn(res, answer, true);
    };
    const onData = (c: Buffer) => {
      extra += c.length;
      if (extra > LINGER_BYTES) send();
    };
    const timer = setTimeout(send, LINGER_MS);
    timer.unref();
    req.on('data', onData);
    req.on('end', send);
    req.on('error', send);
    req.resume();
  }

  // ---- forwarding -------------------------------------------------------------------------------

  function originForm(url: string): string {
    if (url.charCodeAt(0) === 47 || url === '*') return url;
    // absolute-form (`http://host/path`): a reverse proxy forwards only the path and query.
    try {
      const u = new URL(url);
      return u.pathname + u.search;
    } catch {
      return '/';
    }
  }

  function forward(ex: Exchange, ended: boolean): void {
    const { req } = ex;
    const hasBody = ex.body !== null;
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const headers = requestHeadersUpstream(req.rawHeaders, {
      peer: ex.client.peer,
      peerTrusted: ex.client.peerTrusted,
      proto: 'http',
      httpVersion: req.httpVersion,
      hostOverride: o.preserveHost && req.headers.host !== undefined ? null : upstreamHostHeader,
      chunked,
    });
    const preq = requestUpstream({
      host: o.upstreamHost,
      port: o.upstreamPort,
      method: req.method,
      path: o.upstreamBasePath + originForm(req.url ?? '/'),
      headers,
      agent,
      setHost: false,
    });
    ex.upstreamReq = preq;
    ex.ended = ended;
    (preq as Linked<http.ClientRequest>)[kExchange] = ex;
    preq.on('timeout', onUpstreamTimeout);
    preq.once('socket', onUpstreamSocket);
    preq.on('response', onUpstreamResponse);
    preq.on('error', onUpstreamError);
    if (!hasBody) preq.end();
    else if (ended && ex.body!.length === 1) preq.end(ex.body![0]);
    else {
      for (const c of ex.body!) preq.write(c);
      if (ended) preq.end();
      else pumpBody(ex, preq);
    }
  }

  // Listeners shared by every exchange (`this` is the emitter, its exchange is linked by kExchange).

  function onResponseClose(this: Linked<ServerResponse>): void {
    finish(this[kExchange]!);
  }

  function onUpstreamTimeout(this: http.ClientRequest): void {
    this.destroy(new UpstreamTimeoutError('response'));
  }

  /** A new upstream connection (not a pooled one) gets the connect timeout. */
  function onUpstreamSocket(this: http.ClientRequest, s: Socket): void {
    if (s.connecting) armConnectTimeout(this, s);
  }

  function armConnectTimeout(preq: http.ClientRequest, s: Socket): void {
    const t = setTimeout(
      () => preq.destroy(new UpstreamTimeoutError('connect')),
      o.timeouts.upstreamConnectMs,
    );
    const clear = () => clearTimeout(t);
    s.once('connect', clear);
    preq.once('close', clear);
  }

  /** Streams the rest of the request body to the upstream, with backpressure and the size limit. */
  function pumpBody(ex: Exchange, preq: http.ClientRequest): void {
    const { req } = ex;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      preq.off('drain', onDrain);
      preq.off('close', cleanup);
    };
    const onData = (c: Buffer) => {
      ex.bytesIn += c.length;
      if (ex.bytesIn > o.maxBodyBytes) {
        cleanup();
        preq.destroy();
        ex.upstreamReq = null;
        if (!ex.res.headersSent) tooLarge(ex, `body over ${o.maxBodyBytes} bytes`, false);
        else ex.res.destroy();
        return;
      }
      if (!preq.write(c)) req.pause();
    };
    const onDrain = () => req.resume();
    const onEnd = () => {
      cleanup();
      preq.end();
    };
    const onAbort = () => {
      cleanup();
      preq.destroy();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    preq.on('drain', onDrain);
    preq.on('close', cleanup);
    req.resume();
  }

  function onUpstreamResponse(this: Linked<http.ClientRequest>, pres: Linked<IncomingMessage>): void {
    const ex = this[kExchange]!;
    const { res } = ex;
    markUpstream(true, null);
    if (res.destroyed) {
      pres.destroy();
      return;
    }
    res.sendDate = false;
    res.writeHead(pres.statusCode ?? 502, pres.statusMessage, responseHeadersDownstream(pres.rawHeaders));
    // Piped by hand rather than with stream.pipeline: same backpressure (pause on a full socket,
    // resume on drain), without pipeline's per-call AbortController, which cost ~10% of the CPU.
    ex.upstreamRes = pres;
    pres[kExchange] = ex;
    res.on('drain', onResponseDrain);
    pres.on('data', onUpstreamData);
    pres.once('end', onUpstreamEnd);
    pres.once('error', onUpstreamResponseError);
  }

  function onResponseDrain(this: Linked<ServerResponse>): void {
    this[kExchange]!.upstreamRes?.resume();
  }

  function onUpstreamData(this: Linked<IncomingMessage>, c: Buffer): void {
    const ex = this[kExchange]!;
    ex.bytesOut += c.length;
    if (!ex.res.write(c)) this.pause();
  }

  function onUpstreamEnd(this: Linked<IncomingMessage>): void {
    const { res } = this[kExchange]!;
    res.off('drain', onResponseDrain);
    res.end();
  }

  function onUpstreamResponseError(this: Linked<IncomingMessage>, err: Error & { code?: string }): void {
    const ex = this[kExchange]!;
    if (ex.res.writableFinished) return;
    stats.upstream_errors.reset++;
    ex.message = `upstream response broken: ${err.code ?? err.message}`;
    ex.res.destroy();
  }

  function onUpstreamError(this: Linked<http.ClientRequest>, err: Error): void {
    upstreamFailed(this[kExchange]!, this, err);
  }

  function upstreamFailed(ex: Exchange, preq: http.ClientRequest, err: Error): void {
    const { req, res, ended } = ex;
    const code = (err as { code?: string }).code ?? 'ERROR';
    // A kept-alive socket the upstream closed just as it was reused: safe to retry once when the
    // whole request is still at hand and nothing was answered.
    if (
      preq.reusedSocket &&
      !ex.retried &&
      ended &&
      !res.headersSent &&
      (code === 'ECONNRESET' || code === 'EPIPE') &&
      !(err instanceof UpstreamTimeoutError)
    ) {
      ex.retried = true;
      forward(ex, true);
      return;
    }
    if (ex.upstreamReq !== preq) return; // superseded (too large) or already handled
    ex.upstreamReq = null;
    const timeout = err instanceof UpstreamTimeoutError;
    if (res.headersSent) {
      stats.upstream_errors.reset++;
      ex.message = `upstream response broken: ${code}`;
      res.destroy();
      return;
    }
    if (timeout) stats.upstream_errors.timeout++;
    else stats.upstream_errors.unavailable++;
    markUpstream(false, timeout ? err.message : code);
    ex.message = timeout ? err.message : `upstream unavailable: ${code}`;
    const html = wantsHtml(req.headers.accept);
    const answer = timeout
      ? errorResponse(
          504,
          'PAL_ERR_PROXY_UPSTREAM_TIMEOUT',
          'Gateway Timeout',
          'The application did not answer in time.',
          ex.eventId(),
          html,
        )
      : errorResponse(
          502,
          'PAL_ERR_PROXY_UPSTREAM_UNAVAILABLE',
          'Bad Gateway',
          'The application is not reachable right now.',
          ex.eventId(),
          html,
        );
    answerAfterDrain(ex, answer);
  }

  // ---- honeypot ---------------------------------------------------------------------------------

  function honeypot(ex: Exchange, trap: Trap): void {
    const { req } = ex;
    stats.honeypot_hits++;
    const declared = Number(req.headers['content-length'] ?? 0);
    const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
    const answer = () => {
      const url = req.url ?? '/';
      const { path, query } = splitTarget(url);
      const body = ex.body ? Buffer.concat(ex.body).subarray(0, TRAP_BODY_MAX).toString('utf8') : '';
      const treq: TrapRequest = {
        method: req.method ?? 'GET',
        path: path.toLowerCase(),
        query: query ?? '',
        body,
        contentType: req.headers['content-type'] ?? '',
        header: (n) => {
          const v = req.headers[n];
          return Array.isArray(v) ? v[0] : v;
        },
        headerValues: () => req.rawHeaders.filter((_, i) => i % 2 === 1),
      };
      const a = trap.answer(treq);
      const findings = [
        {
          rule: `honeypot.${trap.name}`,
          rule_version: 1,
          class: 'scanner' as const,
          severity: 'high' as const,
          confidence: 0.99,
          location: 'path',
          evidence: path.slice(0, 160),
          decoded_by: [],
        },
      ];
      ex.judgement = { action: 'block', ...scoreOf(findings), findings };
      ex.honeypot = { trap: trap.name, ...a.capture };
      ex.message = `honeypot ${trap.name}`;
      const own: OwnResponse = { status: a.status, contentType: a.contentType, body: a.body };
      if (req.readableEnded || !hasBody) ex.bytesOut += sendOwn(ex.res, own, false, a.headers);
      else {
        // the body went on past what a trap reads: answer and close.
        ex.bytesOut += sendOwn(ex.res, own, true, a.headers);
      }
    };
    if (!hasBody) return answer();
    readBody(ex, TRAP_BODY_MAX, (state) => {
      if (state !== 'aborted') answer();
    });
  }

  // ---- the proxy's own endpoints ----------------------------------------------------------------

  function admin(ex: Exchange, rest: string): void {
    if (rest === 'health' || rest.startsWith('health?')) {
      ex.silent = true;
      const body = JSON.stringify({
        status: upstreamState.reachable === false ? 'degraded' : 'ok',
        mode: o.engine.config.mode,
        inspect: o.inspect,
        upstream: {
          reachable: upstreamState.reachable,
          checked_at: upstreamState.at === null ? null : new Date(upstreamState.at).toISOString(),
          last_error: upstreamState.error,
        },
        uptime_secs: Math.floor((clock() - startedAt) / 1000),
        events_pending: submitter.pending,
        counters: snapshotStats(stats),
      });
      ex.bytesOut += sendOwn(
        ex.res,
        { status: 200, contentType: 'application/json; charset=utf-8', body },
        false,
      );
      return;
    }
    if (o.metrics && rest === 'metrics' && isLoopback(ex.req.socket.remoteAddress)) {
      ex.silent = true;
      ex.bytesOut += sendOwn(
        ex.res,
        { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: o.metrics() },
        false,
      );
      return;
    }
    stats.requests++;
    ex.bytesOut += sendOwn(
      ex.res,
      jsonError(404, 'PAL_ERR_NOT_FOUND', 'No such endpoint.', ex.eventId()),
      true,
    );
  }

  // ---- connection-level events ------------------------------------------------------------------

  function onClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void {
    socket.on('error', () => {});
    const v = violationOfParseError(err);
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    const canAnswer = socket.writable && !(inFlight && inFlight.headersSent);
    if (!v) {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        stats.client_errors.timeout++;
        if (canAnswer)
          socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        else socket.destroy();
      } else {
        stats.client_errors.reset++;
        socket.destroy();
      }
      return;
    }
    const ex = inFlight ? (inFlight as Linked<ServerResponse>)[kExchange] : undefined;
    if (ex) {
      // The head was fine and the exchange started; its body broke the framing. The exchange records
      // the event; a refused one has been counted and answered already.
      if (ex.judgement?.refused) return;
      ex.judgement = framingRefusal(v, meta(v.rule), `refused by the HTTP parser: ${err.code ?? ''}`);
      ex.upstreamReq?.destroy();
      ex.upstreamReq = null;
    }
    stats.blocked[v.reason]++;
    const id = ex ? ex.eventId() : randomUUID();
    const answer = jsonError(
      v.status,
      'PAL_ERR_PROXY_BAD_REQUEST',
      'The request is malformed or its framing is ambiguous.',
      id,
    );
    if (canAnswer) {
      socket.end(
        `HTTP/1.1 ${v.status} ${http.STATUS_CODES[v.status] ?? 'Bad Request'}\r\nContent-Type: ${answer.contentType}\r\n` +
          `Content-Length: ${Buffer.byteLength(answer.body)}\r\nConnection: close\r\n\r\n${answer.body}`,
      );
    } else socket.destroy();
    if (ex) {
      ex.status = canAnswer ? v.status : 499;
      if (canAnswer) ex.bytesOut += Buffer.byteLength(answer.body);
      return;
    }
    const packet = err.rawPacket?.toString('latin1') ?? '';
    // Method and target of the request line, when it got that far.
    const line = /^([!-~]{1,20}) ([!-~]{1,8192}) HTTP\//.exec(packet);
    const findings = [makeFinding(meta(v.rule), v.rule, v.location, v.evidence)];
    const peer = resolveClientIp(socket.remoteAddress, undefined, o.trusted);
    record(
      {
        ts: clock(),
        sourceName,
        clientIp: peer.ip,
        clientPort: socket.remotePort,
        method: line?.[1] ?? '',
        url: line?.[2] ?? '',
        host: undefined,
        userAgent: undefined,
        referer: undefined,
        status: v.status,
        bytesIn: 0,
        bytesOut: canAnswer ? Buffer.byteLength(answer.body) : 0,
        durationMs: 0,
        action: 'block',
        ...scoreOf(findings),
        findings,
        message: `refused by the HTTP parser: ${err.code ?? ''}`,
        raw:
          o.captureRawBytes > 0
            ? { raw: packet.slice(0, o.captureRawBytes), truncated: packet.length > o.captureRawBytes }
            : null,
      },
      id,
    );
  }

  /** CONNECT would make the proxy an open tunnel: refused. */
  function onConnect(req: IncomingMessage, socket: Socket): void {
    socket.on('error', () => {});
    stats.requests++;
    stats.blocked.protocol++;
    const id = randomUUID();
    const findings = [
      makeFinding(meta('protocol.method_not_allowed'), 'protocol.method_not_allowed', 'method', 'CONNECT'),
    ];
    const answer = jsonError(405, 'PAL_BLOCKED', 'CONNECT is not allowed.', id);
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nContent-Type: ${answer.contentType}\r\nContent-Length: ${Buffer.byteLength(answer.body)}\r\nConnection: close\r\n\r\n${answer.body}`,
    );
    const client = resolveClientIp(socket.remoteAddress, req.headers['x-forwarded-for'], o.trusted);
    record(
      {
        ts: clock(),
        sourceName,
        clientIp: client.ip,
        clientPort: client.ip === client.peer ? socket.remotePort : undefined,
        method: 'CONNECT',
        url: req.url ?? '',
        host: req.headers.host,
        userAgent: req.headers['user-agent'],
        referer: undefined,
        status: 405,
        bytesIn: 0,
        bytesOut: Buffer.byteLength(answer.body),
        durationMs: 0,
        action: 'block',
        ...scoreOf(findings),
        findings,
        raw: null,
      },
      id,
    );
  }

  const upgradeContext: UpgradeContext = {
    options: o,
    stats,
    gate,
    clock,
    sockets: upgradeSockets,
    sourceName: () => sourceName,
    record,
    markUpstream,
  };
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    handleUpgrade(upgradeContext, req, socket, head),
  );

  return {
    server,
    listen(host: string, port: number): Promise<AddressInfo> {
      return new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const addr = server.address() as AddressInfo;
          if (o.sourceName === undefined) {
            const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
            sourceName = `proxy:${h}:${addr.port}`;
          }
          resolve(addr);
        });
      });
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const s of upgradeSockets) s.destroy();
      const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      grace.unref();
      await closed;
      clearTimeout(grace);
      agent.destroy();
      await submitter.idle(CLOSE_GRACE_MS);
    },
    stats: () => snapshotStats(stats),
  };
}

/** Metrics stay on the machine: only loopback peers may read them through the proxy's port. */
function isLoopback(addr: string | undefined): boolean {
  return addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
}
