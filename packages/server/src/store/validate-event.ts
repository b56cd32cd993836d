/**
 * Checks an event before it is queued: id, time, enums and the size of every string, so the queue
 * and the database hold bounded values. Returns the reason for the first problem, or undefined.
 * Lengths are in characters (UTF-16 units); `raw` is Latin-1, one character per byte.
 */
import { EVENT_ID_MAX, SEVERITIES, type LogInfo, type SecurityEvent } from '@palisade/engine';

export const EVENT_LIMITS = Object.freeze({
  id: EVENT_ID_MAX,
  path: 8 * 1024,
  query: 8 * 1024,
  host: 1024,
  referer: 8 * 1024,
  user_agent: 1024,
  method: 32,
  message: 4 * 1024,
  raw: 256 * 1024,
  user: 256,
  ip: 64,
  fingerprint: 128,
  source_name: 256,
  geo_text: 256,
  asn_org: 256,
  reputation_lists: 32,
  findings: 200,
  rule: 128,
  location: 512,
  evidence: 1024,
  decoded_by: 16,
  decoder_name: 64,
  honeypot_text: 1024,
  log_text: 256,
  log_file: 4096,
  audit_command: 4096,
  audit_paths: 32,
  audit_types: 64,
  /** Years outside this range are almost surely a parse error upstream. */
  min_ts_ms: Date.UTC(1970, 0, 1),
  max_ts_ms: Date.UTC(9999, 11, 31),
});

const L = EVENT_LIMITS;
const KINDS = new Set(['http', 'auth', 'system', 'network', 'honeypot']);
const ACTIONS = new Set(['allow', 'log', 'block']);
const OUTCOMES = new Set(['success', 'failure', 'unknown']);
const SOURCE_TYPES = new Set(['sensor', 'proxy', 'log', 'upload', 'collector']);
const LABELS = new Set(['attack', 'benign']);
const SPLITS = new Set(['train', 'test']);
const SEVERITY_SET = new Set<string>(SEVERITIES);

function str(v: unknown, max: number, name: string, required: boolean): string | undefined {
  if (v === undefined || v === null) return required ? `${name} is required` : undefined;
  if (typeof v !== 'string') return `${name} must be a string`;
  if (required && v.length === 0) return `${name} is empty`;
  if (v.length > max) return `${name} is longer than ${max} characters (${v.length})`;
  return undefined;
}

function num(v: unknown, name: string, required = false): string | undefined {
  if (v === undefined || v === null) return required ? `${name} is required` : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${name} must be a finite number`;
  return undefined;
}

function oneOf(v: unknown, set: Set<string>, name: string, required: boolean): string | undefined {
  if (v === undefined || v === null) return required ? `${name} is required` : undefined;
  if (typeof v !== 'string' || !set.has(v)) return `${name} must be one of ${[...set].join('|')}`;
  return undefined;
}

/** Event time in ms, or NaN when `ts` is not a parseable time within the accepted range. */
export function eventTimeMs(ts: string): number {
  const ms = Date.parse(ts);
  return ms >= EVENT_LIMITS.min_ts_ms && ms <= EVENT_LIMITS.max_ts_ms ? ms : NaN;
}

/** The reason `e` cannot be stored, or undefined when it can. */
export function validateEvent(e: SecurityEvent): string | undefined {
  if (typeof e !== 'object' || e === null) return 'event must be an object';
  let r =
    str(e.id, L.id, 'id', true) ??
    str(e.ts, 64, 'ts', true) ??
    oneOf(e.kind, KINDS, 'kind', true) ??
    oneOf(e.action, ACTIONS, 'action', true) ??
    oneOf(e.severity, SEVERITY_SET, 'severity', true) ??
    num(e.score, 'score', true) ??
    num(e.ml_score, 'ml_score') ??
    num(e.anomaly_score, 'anomaly_score') ??
    oneOf(e.outcome, OUTCOMES, 'outcome', false) ??
    str(e.user, L.user, 'user', false) ??
    str(e.message, L.message, 'message', false) ??
    str(e.raw, L.raw, 'raw', false);
  if (r) return r;
  if (Number.isNaN(eventTimeMs(e.ts))) return `ts is not a valid time: ${e.ts.slice(0, 40)}`;
  if (typeof e.source !== 'object' || e.source === null) return 'source is required';
  r =
    str(e.source.name, L.source_name, 'source.name', true) ??
    oneOf(e.source.type, SOURCE_TYPES, 'source.type', true);
  if (r) return r;
  const c = e.client;
  if (typeof c !== 'object' || c === null) return 'client is required';
  r =
    // Log lines may name no address (a local config change); web and honeypot events always have one.
    (e.source?.type === 'log' || e.source?.type === 'upload'
      ? (str(c.ip, L.ip, 'client.ip', false) ?? (c.ip === undefined ? 'client.ip is required' : undefined))
      : str(c.ip, L.ip, 'client.ip', true)) ??
    num(c.port, 'client.port') ??
    str(c.fingerprint, L.fingerprint, 'client.fingerprint', false);
  if (r) return r;
  if (c.geo !== undefined && c.geo !== null) {
    const g = c.geo;
    r =
      str(g.country, L.geo_text, 'client.geo.country', false) ??
      str(g.country_name, L.geo_text, 'client.geo.country_name', false) ??
      str(g.city, L.geo_text, 'client.geo.city', false) ??
      str(g.range, L.geo_text, 'client.geo.range', false) ??
      num(g.lat, 'client.geo.lat') ??
      num(g.lon, 'client.geo.lon');
    if (r) return r;
  }
  if (c.asn !== undefined && c.asn !== null) {
    r = num(c.asn.number, 'client.asn.number', true) ?? str(c.asn.org, L.asn_org, 'client.asn.org', false);
    if (r) return r;
  }
  if (c.reputation !== undefined && c.reputation !== null) {
    r = num(c.reputation.score, 'client.reputation.score', true);
    if (r) return r;
    const lists = c.reputation.lists;
    if (!Array.isArray(lists) || lists.length > L.reputation_lists)
      return 'client.reputation.lists is invalid';
    for (const l of lists) if ((r = str(l, L.geo_text, 'client.reputation.lists[]', true))) return r;
  }
  const h = e.http;
  if (h !== undefined && h !== null) {
    r =
      str(h.method, L.method, 'http.method', true) ??
      str(h.path, L.path, 'http.path', false) ??
      str(h.query, L.query, 'http.query', false) ??
      str(h.host, L.host, 'http.host', false) ??
      str(h.user_agent, L.user_agent, 'http.user_agent', false) ??
      str(h.referer, L.referer, 'http.referer', false) ??
      num(h.status, 'http.status') ??
      num(h.bytes_in, 'http.bytes_in') ??
      num(h.bytes_out, 'http.bytes_out') ??
      num(h.duration_ms, 'http.duration_ms');
    if (r) return r;
  }
  if (e.labels !== undefined && e.labels !== null) {
    r =
      oneOf(e.labels.detector, LABELS, 'labels.detector', false) ??
      oneOf(e.labels.analyst, LABELS, 'labels.analyst', false) ??
      oneOf(e.labels.split, SPLITS, 'labels.split', false);
    if (r) return r;
  }
  if (!Array.isArray(e.findings)) return 'findings must be an array';
  if (e.findings.length > L.findings) return `more than ${L.findings} findings (${e.findings.length})`;
  for (let i = 0; i < e.findings.length; i++) {
    const f = e.findings[i]!;
    if (typeof f !== 'object' || f === null) return `findings[${i}] must be an object`;
    r =
      str(f.rule, L.rule, `findings[${i}].rule`, true) ??
      num(f.rule_version, `findings[${i}].rule_version`, true) ??
      str(f.class, L.rule, `findings[${i}].class`, true) ??
      oneOf(f.severity, SEVERITY_SET, `findings[${i}].severity`, true) ??
      num(f.confidence, `findings[${i}].confidence`, true) ??
      str(f.location, L.location, `findings[${i}].location`, true) ??
      str(f.evidence, L.evidence, `findings[${i}].evidence`, false);
    if (r) return r;
    if (!Array.isArray(f.decoded_by) || f.decoded_by.length > L.decoded_by)
      return `findings[${i}].decoded_by must be an array of at most ${L.decoded_by}`;
    for (const d of f.decoded_by)
      if ((r = str(d, L.decoder_name, `findings[${i}].decoded_by[]`, true))) return r;
  }
  if (e.log !== undefined && e.log !== null) {
    r = validateLog(e.log);
    if (r) return r;
  }
  const hp = e.honeypot;
  if (hp !== undefined && hp !== null) {
    r =
      str(hp.trap, L.rule, 'honeypot.trap', true) ??
      str(hp.username, L.honeypot_text, 'honeypot.username', false) ??
      str(hp.password, L.honeypot_text, 'honeypot.password', false) ??
      str(hp.command, L.honeypot_text, 'honeypot.command', false);
    if (r) return r;
  }
  return undefined;
}

function strList(v: unknown, maxItems: number, maxLen: number, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > maxItems) return `${name} must be an array of at most ${maxItems}`;
  for (const x of v) {
    const r = str(x, maxLen, `${name}[]`, false);
    if (r) return r;
  }
  return undefined;
}

function validateLog(l: LogInfo): string | undefined {
  if (typeof l !== 'object') return 'log must be an object';
  const r =
    str(l.type, L.log_text, 'log.type', true) ??
    str(l.host, L.log_text, 'log.host', false) ??
    str(l.program, L.log_text, 'log.program', false) ??
    num(l.pid, 'log.pid') ??
    str(l.method, L.log_text, 'log.method', false) ??
    str(l.terminal, L.log_text, 'log.terminal', false) ??
    str(l.dst, L.log_text, 'log.dst', false) ??
    str(l.file, L.log_file, 'log.file', false) ??
    num(l.line, 'log.line');
  if (r || l.audit === undefined || l.audit === null) return r;
  const a = l.audit;
  if (typeof a !== 'object') return 'log.audit must be an object';
  return (
    strList(a.types, L.audit_types, L.log_text, 'log.audit.types') ??
    num(a.serial, 'log.audit.serial', true) ??
    str(a.key, L.log_text, 'log.audit.key', false) ??
    str(a.op, L.log_text, 'log.audit.op', false) ??
    str(a.table, L.log_text, 'log.audit.table', false) ??
    num(a.proto, 'log.audit.proto') ??
    num(a.uid, 'log.audit.uid') ??
    num(a.auid, 'log.audit.auid') ??
    str(a.exe, L.log_file, 'log.audit.exe', false) ??
    str(a.command, L.audit_command, 'log.audit.command', false) ??
    strList(a.paths, L.audit_paths, L.log_file, 'log.audit.paths')
  );
}
