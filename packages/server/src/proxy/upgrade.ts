/**
 * Upgrade (WebSocket and any other `Upgrade:`) pass-through. The handshake request is checked and
 * inspected like any request; a refusal is written on the socket and the socket destroyed. Otherwise
 * the proxy opens its own TCP/TLS connection to the upstream, writes the request head (hop-by-hop
 * headers replaced by `Connection: Upgrade` + the Upgrade value), and pipes both ways with backpressure.
 * The event is recorded when the upstream answers the handshake (a connection may then live for hours).
 */
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import http, { type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { resolveClientIp } from '@palisade/engine';
import { requestHeadersUpstream } from './forward-headers.js';
import { captureRaw, requestHead, type ExchangeRecord } from './proxy-event.js';
import { blockedResponse, jsonError, type OwnResponse } from './responses.js';
import type { Gate, Judgement, Refusal } from './gate.js';
import type { ResolvedProxyOptions } from './options.js';
import type { ProxyStats } from './stats.js';

export interface UpgradeContext {
  options: ResolvedProxyOptions;
  stats: ProxyStats;
  gate: Gate;
  clock: () => number;
  /** Open upgraded sockets (both sides), destroyed on close(). */
  sockets: Set<Socket>;
  sourceName(): string;
  record(r: ExchangeRecord, id: string): void;
  markUpstream(ok: boolean, error: string | null): void;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

function rawAnswer(a: OwnResponse): string {
  const body = Buffer.from(a.body, 'utf8');
  return (
    `HTTP/1.1 ${a.status} ${http.STATUS_CODES[a.status] ?? ''}\r\nContent-Type: ${a.contentType}\r\n` +
    `Content-Length: ${body.length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${a.body}`
  );
}

export function handleUpgrade(ctx: UpgradeContext, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const o = ctx.options;
  const start = ctx.clock();
  const id = randomUUID();
  ctx.stats.ws_upgrades.received++;
  socket.on('error', () => socket.destroy());
  const client = resolveClientIp(socket.remoteAddress, req.headers['x-forwarded-for'], o.trusted);
  const clientPort = client.ip === client.peer ? socket.remotePort : undefined;
  const judgement: Judgement | Refusal =
    ctx.gate.precheck(req.rawHeaders, req.httpVersion, client.ip, start) ??
    ctx.gate.inspect(req, client.ip, clientPort, undefined, false);

  const recordWith = (status: number, bytesOut: number, message?: string) => {
    const rec: ExchangeRecord = {
      ts: start,
      sourceName: ctx.sourceName(),
      clientIp: client.ip,
      clientPort,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      host: req.headers.host,
      userAgent: req.headers['user-agent'],
      referer: req.headers.referer,
      status,
      bytesIn: head.length,
      bytesOut,
      durationMs: Math.max(0, ctx.clock() - start),
      action: judgement.action,
      score: judgement.score,
      severity: judgement.severity,
      findings: judgement.findings,
      raw: captureRaw(
        requestHead(req.method ?? 'GET', req.url ?? '/', req.httpVersion, req.rawHeaders),
        null,
        0,
        o.captureRawBytes,
      ),
    };
    if (judgement.mlScore !== undefined) rec.mlScore = judgement.mlScore;
    if (judgement.anomalyScore !== undefined) rec.anomalyScore = judgement.anomalyScore;
    const m = message ?? judgement.message;
    if (m !== undefined) rec.message = m;
    ctx.record(rec, id);
  };

  if (judgement.refused) {
    const r = judgement;
    ctx.stats.blocked[r.reason]++;
    const answer =
      r.reason === 'verdict' ? blockedResponse(id, o.blockResponse) : jsonError(r.status, r.code, r.text, id);
    const text = rawAnswer(answer);
    socket.end(text, () => socket.destroy());
    recordWith(answer.status, Buffer.byteLength(answer.body));
    return;
  }
  if (judgement.action === 'log') ctx.stats.flagged++;

  const up: Socket = o.upstreamTls
    ? tls.connect({
        host: o.upstreamHost,
        port: o.upstreamPort,
        servername: o.tls?.servername ?? o.upstreamHost,
        ca: o.tls?.ca,
        rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
      })
    : net.connect({ host: o.upstreamHost, port: o.upstreamPort });
  ctx.sockets.add(socket);
  ctx.sockets.add(up);
  let connected = false;
  let answered = false;
  const fail = (what: string, timeout: boolean) => {
    if (connected) {
      socket.destroy();
      return;
    }
    if (timeout) ctx.stats.upstream_errors.timeout++;
    else ctx.stats.upstream_errors.unavailable++;
    ctx.markUpstream(false, what);
    const status = timeout ? 504 : 502;
    const answer = jsonError(
      status,
      timeout ? 'PAL_ERR_PROXY_UPSTREAM_TIMEOUT' : 'PAL_ERR_PROXY_UPSTREAM_UNAVAILABLE',
      timeout ? 'The application did not answer in time.' : 'The application is not reachable right now.',
      id,
    );
    if (!answered) {
      answered = true;
      socket.end(rawAnswer(answer), () => socket.destroy());
      recordWith(status, Buffer.byteLength(answer.body), `upstream unavailable: ${what}`);
    }
    up.destroy();
  };
  const connectTimer = setTimeout(() => fail('connect timed out', true), o.timeouts.upstreamConnectMs);
  up.once('error', (e: Error & { code?: string }) => fail(e.code ?? e.message, false));
  up.once(o.upstreamTls ? 'secureConnect' : 'connect', () => {
    clearTimeout(connectTimer);
    connected = true;
    ctx.stats.ws_upgrades.forwarded++;
    const headers = requestHeadersUpstream(req.rawHeaders, {
      peer: client.peer,
      peerTrusted: client.peerTrusted,
      proto: 'http',
      httpVersion: req.httpVersion,
      hostOverride: o.preserveHost && req.headers.host !== undefined ? null : o.upstream.host,
      chunked: false,
      upgrade: req.headers.upgrade ?? 'websocket',
    });
    let text = `${req.method ?? 'GET'} ${o.upstreamBasePath}${req.url ?? '/'} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]!}: ${headers[i + 1]!}\r\n`;
    up.write(`${text}\r\n`, 'latin1');
    if (head.length) up.write(head);
    up.once('data', (first: Buffer) => {
      ctx.markUpstream(true, null);
      if (answered) return;
      answered = true;
      const m = STATUS_LINE.exec(first.subarray(0, 16).toString('latin1'));
      recordWith(m ? Number(m[1]) : 0, 0);
    });
    up.pipe(socket);
    socket.pipe(up);
  });
  const close = () => {
    clearTimeout(connectTimer);
    ctx.sockets.delete(socket);
    ctx.sockets.delete(up);
    socket.destroy();
    up.destroy();
  };
  socket.once('close', close);
  up.once('close', () => {
    if (connected) close();
  });
}
