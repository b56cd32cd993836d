/**
 * Turning one proxied exchange into a SecurityEvent: the request summary, the client, the verdict and
 * the raw request (head + the captured start of the body, as Latin-1 so bytes survive JSON), plus the
 * findings the proxy itself makes (framing, size, honeypot) with the engine's rule metadata.
 */
import { randomUUID } from 'node:crypto';
import {
  SEVERITY_POINTS,
  type Action,
  type AttackClass,
  type Engine,
  type Finding,
  type HoneypotHit,
  type SecurityEvent,
  type Severity,
} from '@palisade/engine';

/** Longest header value copied into `http.user_agent` / `http.referer`. */
const HEADER_FIELD_MAX = 1024;

export interface RuleMeta {
  version: number;
  severity: Severity;
  confidence: number;
  class: AttackClass;
}

/** Metadata of the rules the proxy reports itself when the engine has none of that id (or it is off). */
const OWN_RULES: Readonly<Record<string, RuleMeta>> = {
  'protocol.smuggling': { version: 1, severity: 'critical', confidence: 0.9, class: 'protocol' },
  'protocol.malformed_request': { version: 1, severity: 'medium', confidence: 0.6, class: 'protocol' },
  'protocol.limit_exceeded': { version: 1, severity: 'low', confidence: 0.6, class: 'protocol' },
};
const FALLBACK: RuleMeta = { version: 1, severity: 'high', confidence: 0.8, class: 'protocol' };

/** Looks rule metadata up in the engine's catalogue, falling back to the proxy's own. */
export function ruleCatalog(engine: Engine): (rule: string) => RuleMeta {
  const map = new Map<string, RuleMeta>();
  for (const r of engine.rules)
    map.set(r.id, { version: r.version, severity: r.severity, confidence: r.confidence, class: r.class });
  return (rule) => map.get(rule) ?? OWN_RULES[rule] ?? FALLBACK;
}

export function makeFinding(meta: RuleMeta, rule: string, location: string, evidence: string): Finding {
  return {
    rule,
    rule_version: meta.version,
    class: meta.class,
    severity: meta.severity,
    confidence: meta.confidence,
    location,
    evidence: evidence.length > 160 ? evidence.slice(0, 160) : evidence,
    decoded_by: [],
  };
}

/** The request head as it arrived (request line, header lines, blank line). */
export function requestHead(
  method: string,
  url: string,
  httpVersion: string,
  raw: readonly string[],
): string {
  let s = `${method} ${url} HTTP/${httpVersion}\r\n`;
  for (let i = 0; i < raw.length; i += 2) s += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  return `${s}\r\n`;
}

/** Head + body start, cut at `max` characters (one per byte). */
export function captureRaw(
  head: string,
  body: readonly Buffer[] | null,
  bodyBytes: number,
  max: number,
): { raw: string; truncated: boolean } | null {
  if (max <= 0) return null;
  if (head.length >= max) return { raw: head.slice(0, max), truncated: true };
  let raw = head;
  let room = max - head.length;
  if (body)
    for (const b of body) {
      if (room <= 0) break;
      const part = b.length > room ? b.subarray(0, room) : b;
      raw += part.toString('latin1');
      room -= part.length;
    }
  return { raw, truncated: head.length + bodyBytes > max };
}

/** Splits a request-target into path and raw query. */
export function splitTarget(url: string): { path: string; query: string | undefined } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: undefined } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

export interface ExchangeRecord {
  ts: number;
  sourceName: string;
  clientIp: string;
  clientPort: number | undefined;
  method: string;
  url: string;
  host: string | undefined;
  userAgent: string | undefined;
  referer: string | undefined;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  action: Action;
  score: number;
  severity: Severity;
  findings: Finding[];
  mlScore?: number;
  anomalyScore?: number;
  message?: string;
  raw: { raw: string; truncated: boolean } | null;
  honeypot?: HoneypotHit;
}

/** `YYYY-MM-DDTHH:MM:SS` of the last second formatted (events come in time order, many per second). */
let isoSecond = Number.NaN; // no second matches NaN, not even -1 (1969-12-31T23:59:59)
let isoPrefix = '';

/** `new Date(ms).toISOString()`, formatting the date part once per second. */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSecond) {
    const full = new Date(ms).toISOString();
    // Years outside 0000-9999 have a longer form: not cached.
    if (full.length !== 24) return full;
    isoSecond = sec;
    isoPrefix = full.slice(0, 20);
  }
  const milli = ms - sec * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The SecurityEvent of one exchange. */
export function buildEvent(r: ExchangeRecord, id: string = randomUUID()): SecurityEvent {
  const { path, query } = splitTarget(r.url);
  const ev: SecurityEvent = {
    id,
    ts: isoTime(r.ts),
    kind: r.honeypot ? 'honeypot' : 'http',
    source: { name: r.sourceName, type: 'proxy' },
    client: r.clientPort === undefined ? { ip: r.clientIp } : { ip: r.clientIp, port: r.clientPort },
    http: {
      method: r.method,
      path,
      status: r.status,
      bytes_in: r.bytesIn,
      bytes_out: r.bytesOut,
      duration_ms: r.durationMs,
    },
    action: r.action,
    score: r.score,
    severity: r.severity,
    findings: r.findings,
    labels: { detector: r.findings.length > 0 ? 'attack' : 'benign' },
  };
  const http = ev.http!;
  if (r.host !== undefined) http.host = r.host.slice(0, 255);
  if (query !== undefined) http.query = query;
  if (r.userAgent !== undefined) http.user_agent = r.userAgent.slice(0, HEADER_FIELD_MAX);
  if (r.referer !== undefined) http.referer = r.referer.slice(0, HEADER_FIELD_MAX);
  if (r.mlScore !== undefined) ev.ml_score = r.mlScore;
  if (r.anomalyScore !== undefined) ev.anomaly_score = r.anomalyScore;
  if (r.message !== undefined) ev.message = r.message;
  if (r.raw) {
    ev.raw = r.raw.raw;
    if (r.raw.truncated) ev.raw_truncated = true;
  }
  if (r.honeypot) ev.honeypot = r.honeypot;
  return ev;
}

/** Score and severity of findings the proxy made itself (the engine's scoring, without its threshold). */
export function scoreOf(findings: readonly Finding[]): { score: number; severity: Severity } {
  let score = 0;
  let severity: Severity = 'info';
  for (const f of findings) {
    score += SEVERITY_POINTS[f.severity];
    if (SEVERITY_POINTS[f.severity] > SEVERITY_POINTS[severity]) severity = f.severity;
  }
  return { score, severity };
}
