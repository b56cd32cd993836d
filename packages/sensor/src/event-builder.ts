/**
 * Turns one observed request (or one login report) into the SecurityEvent the collector stores.
 * Built only for events that are shipped, after the response, so a benign request that is merely
 * counted costs no event object at all.
 */
import type { IncomingMessage } from 'node:http';
import type { Action, Finding, HttpInfo, SecurityEvent, Severity } from '@palisade/engine';

/** Longest text kept per field (the collector has its own, larger limits; these keep events small). */
const MAX = { host: 255, path: 8192, query: 8192, user_agent: 1024, referer: 2048, user: 256, message: 500 };

export function cut(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

function header(req: IncomingMessage, name: 'host' | 'user-agent' | 'referer'): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** method, host, path, query, user agent and referer of a request, within the field limits. */
export function httpInfo(req: IncomingMessage): HttpInfo {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const info: HttpInfo = {
    method: cut(req.method ?? 'GET', 20),
    path: cut(q < 0 ? url : url.slice(0, q), MAX.path),
  };
  if (q >= 0) info.query = cut(url.slice(q + 1), MAX.query);
  const host = header(req, 'host');
  if (host !== undefined) info.host = cut(host, MAX.host);
  const ua = header(req, 'user-agent');
  if (ua !== undefined) info.user_agent = cut(ua, MAX.user_agent);
  const ref = header(req, 'referer');
  if (ref !== undefined) info.referer = cut(ref, MAX.referer);
  return info;
}

/**
 * The request as it travelled — request line, header lines, blank line, body — as Latin-1 text (one
 * character per byte; Node already decodes header text that way), cut at `limit` characters. Values of
 * the `redact` headers are replaced, so session cookies and keys do not travel with the evidence.
 */
export function rawRequest(
  req: IncomingMessage,
  body: Buffer | null,
  limit: number,
  redact: ReadonlySet<string>,
): { raw: string; truncated: boolean } {
  let raw = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`;
  const h = req.rawHeaders;
  for (let i = 0; i + 1 < h.length && raw.length <= limit; i += 2) {
    const name = h[i]!;
    raw += `${name}: ${redact.has(name.toLowerCase()) ? '[redacted]' : h[i + 1]!}\r\n`;
  }
  raw += '\r\n';
  if (body && body.length && raw.length < limit)
    raw += body.toString('latin1', 0, Math.min(body.length, limit - raw.length));
  const bodyCut = body !== null && body.length > 0 && raw.length >= limit;
  return raw.length > limit ? { raw: raw.slice(0, limit), truncated: true } : { raw, truncated: bodyCut };
}

export interface EventParts {
  id: string;
  tsMs: number;
  name: string;
  ip: string;
  port: number | undefined;
  http: HttpInfo;
  action: Action;
  score: number;
  severity: Severity;
  findings: Finding[];
  message?: string;
}

export function buildEvent(p: EventParts): SecurityEvent {
  const ev: SecurityEvent = {
    id: p.id,
    ts: new Date(p.tsMs).toISOString(),
    kind: 'http',
    source: { name: p.name, type: 'sensor' },
    client: p.port === undefined ? { ip: p.ip } : { ip: p.ip, port: p.port },
    http: p.http,
    action: p.action,
    score: p.score,
    severity: p.severity,
    findings: p.findings,
    labels: { detector: p.findings.length ? 'attack' : 'benign' },
  };
  if (p.message !== undefined) ev.message = cut(p.message, MAX.message);
  return ev;
}

/** A login report: who, from where, whether it worked. Never carries the raw request (credentials). */
export function buildAuthEvent(p: {
  id: string;
  tsMs: number;
  name: string;
  ip: string;
  port: number | undefined;
  req: IncomingMessage;
  user: string;
  success: boolean;
  reason?: string;
}): SecurityEvent {
  const http = httpInfo(p.req);
  // Only the route: a login query string can hold the credentials themselves.
  delete http.query;
  const outcome = p.success ? 'success' : 'failure';
  return {
    id: p.id,
    ts: new Date(p.tsMs).toISOString(),
    kind: 'auth',
    source: { name: p.name, type: 'sensor' },
    client: p.port === undefined ? { ip: p.ip } : { ip: p.ip, port: p.port },
    http,
    user: cut(p.user, MAX.user),
    outcome,
    action: 'allow',
    score: 0,
    severity: 'info',
    findings: [],
    message: cut(p.reason ? `login ${outcome}: ${p.reason}` : `login ${outcome}`, MAX.message),
  };
}
