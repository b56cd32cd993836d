/**
 * The `jsonl` LineParser: one JSON object per line (ECS documents, nginx/Caddy JSON access logs,
 * application logs) into ParsedLine records. Each field is read from the first of its JSON paths that
 * holds a usable value (json-path.ts: nested objects and flat dotted keys alike); a mapping given at
 * creation replaces the paths of the fields it names. Kind and type are derived: a method and a target
 * make an `http_request`; ECS `event.category` (authentication, session, iam, process, configuration,
 * network) with `event.type` and `event.outcome` makes the auth and system types. Lines are bounded
 * (MAX_LINE_CHARS, depth, members) before JSON.parse; bad lines are rejected with the reason.
 */
import { isIP } from 'node:net';
import type { EventKind, Outcome } from '@palisade/engine';
import { checkTimeZone, monthIndex, parseIsoTimestamp } from '../time.js';
import { MAX_LINE_CHARS, MAX_MESSAGE_CHARS } from '../types.js';
import type { LineParser, ParseContext, ParsedLine, ParseResult } from '../types.js';
import { MAX_PATH_SEGMENTS, isJsonObject, lookupJsonPath } from './json-path.js';
import type { JsonObject } from './json-path.js';
import { checkJsonShape } from './json-shape.js';

/**
 * What a mapping can point at: ParsedLine fields (`http.*` for the nested http record) and the ECS
 * inputs `event.category`, `event.type`, `event.action` that kind, type and message are derived from.
 */
export type JsonlField =
  | 'ts'
  | 'kind'
  | 'type'
  | 'outcome'
  | 'user'
  | 'src_ip'
  | 'src_port'
  | 'dst'
  | 'host'
  | 'program'
  | 'pid'
  | 'method'
  | 'terminal'
  | 'message'
  | 'http.method'
  | 'http.target'
  | 'http.protocol'
  | 'http.status'
  | 'http.bytes'
  | 'http.referer'
  | 'http.user_agent'
  | 'http.vhost'
  | 'event.category'
  | 'event.type'
  | 'event.action';

export interface JsonlParserOptions {
  /** Field → dotted JSON path (`{ src_ip: 'client.addr' }`); replaces that field's default paths. */
  mapping?: Partial<Record<JsonlField, string>>;
}

/** Deepest nesting of objects and arrays accepted in a line. */
export const MAX_JSON_DEPTH = 16;
/** Most object members (at all depths) accepted in a line. */
export const MAX_JSON_KEYS = 1024;
/** Longest mapping path accepted at creation. */
export const MAX_PATH_CHARS = 256;

/**
 * The paths tried for each field, in order: ECS names first, then common names of nginx/Apache JSON
 * log formats, Caddy (`request.*`), Docker (`log`) and application loggers. `kind`, `type` and the
 * login `method`/`terminal` have none: they are derived, or read only where a mapping says.
 */
export const DEFAULT_JSONL_PATHS: Readonly<Record<JsonlField, readonly string[]>> = Object.freeze({
  ts: ['@timestamp', 'timestamp', 'time', 'ts', 'datetime', 'date', 'time_iso8601', 'time_local', '@t'],
  kind: [],
  type: [],
  outcome: ['event.outcome', 'outcome'],
  user: ['user.name', 'user', 'username', 'user_name', 'remote_user'],
  src_ip: [
    'source.ip',
    'client.ip',
    'source.address',
    'client.address',
    'client_ip',
    'clientip',
    'remote_addr',
    'remote_ip',
    'src_ip',
    'ip',
    'request.remote_ip',
  ],
  src_port: ['source.port', 'client.port', 'src_port', 'remote_port', 'request.remote_port'],
  dst: ['destination.ip', 'destination.address', 'server.ip', 'server.address', 'dst', 'dst_ip', 'dest_ip'],
  host: ['host.name', 'host.hostname', 'hostname', 'host'],
  program: ['process.name', 'program', 'appname', 'app', 'service.name'],
  pid: ['process.pid', 'pid'],
  method: [],
  terminal: [],
  message: ['message', 'msg', 'log'],
  'http.method': ['http.request.method', 'request.method', 'method', 'request_method', 'http_method'],
  'http.target': ['url.original', 'request.uri', 'request_uri', 'uri', 'url', 'path'],
  'http.protocol': ['http.version', 'request.proto', 'protocol', 'server_protocol'],
  'http.status': ['http.response.status_code', 'status', 'status_code', 'statusCode'],
  'http.bytes': ['http.response.body.bytes', 'bytes', 'body_bytes_sent', 'bytes_sent', 'size'],
  'http.referer': ['http.request.referrer', 'referrer', 'referer', 'http_referer'],
  'http.user_agent': [
    'user_agent.original',
    'user_agent',
    'useragent',
    'http_user_agent',
    'request.headers.User-Agent',
  ],
  'http.vhost': ['url.domain', 'request.host', 'http_host', 'server_name', 'vhost'],
  'event.category': ['event.category'],
  'event.type': ['event.type'],
  'event.action': ['event.action', 'action'],
});

const KINDS: ReadonlySet<string> = new Set<EventKind>(['http', 'auth', 'system', 'network', 'honeypot']);
const TYPES: ReadonlySet<string> = new Set([
  'http_request',
  'auth_failure',
  'auth_success',
  'invalid_user',
  'session_open',
  'session_close',
  'disconnect',
  'sudo',
  'user_add',
  'user_del',
  'password_change',
  'config_change',
  'exec',
  'netfilter_packet',
  'other',
]);
const OUTCOMES = new Map<string, Outcome>([
  ['success', 'success'],
  ['succeeded', 'success'],
  ['failure', 'failure'],
  ['failed', 'failure'],
  ['fail', 'failure'],
  ['unknown', 'unknown'],
]);

/** The latest time accepted: 9999-12-31T23:59:59Z. */
const MAX_TS = 253_402_300_799_000;
const EPOCH_RE = /^\d{1,19}(?:\.\d{1,9})?$/;
/** `22/Nov/2026:04:51:47 +0100`: nginx `$time_local`, Apache `%t` without brackets. */
const CLF_TIME_RE = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const VERSION_RE = /^\d(?:\.\d)?$/;

/**
 * Epoch ms of a number of seconds, ms, µs or ns since the epoch, told apart by size, or NaN. Below
 * 1e8 (1973 in seconds) a number is more likely a duration than a time and is refused.
 */
function epochMs(n: number): number {
  if (!Number.isFinite(n) || n < 1e8) return NaN;
  if (n >= 1e17) return Math.floor(n / 1e6);
  if (n >= 1e14) return Math.floor(n / 1e3);
  if (n >= 1e11) return Math.floor(n);
  return Math.floor(n * 1000);
}

function clfTime(text: string): number {
  const m = CLF_TIME_RE.exec(text);
  if (!m) return NaN;
  const month = monthIndex(m[2] ?? '');
  const day = Number(m[1]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const oh = Number(m[8]);
  const om = Number(m[9]);
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || oh > 23 || om > 59)
    return NaN;
  const wall = Date.UTC(Number(m[3]), month, day, hour, minute, Math.min(second, 59));
  return wall - (m[7] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
}

/** Epoch ms of a JSON timestamp value (ISO 8601, CLF, epoch number or digit string), or NaN. */
function timestampOf(v: unknown, timeZone: string): number {
  let ts = NaN;
  if (typeof v === 'number') ts = epochMs(v);
  else if (typeof v === 'string' && v.length <= 64) {
    if (EPOCH_RE.test(v)) ts = epochMs(Number(v));
    else {
      ts = parseIsoTimestamp(v, timeZone);
      if (Number.isNaN(ts)) ts = clfTime(v);
    }
  }
  return ts >= 0 && ts <= MAX_TS ? ts : NaN;
}

/** A non-empty string (numbers are written out); `-`, the usual "empty" of access logs, is absent. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' || v === '-' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** An integer in [min, max] given as a number or a digit string, else undefined. */
function int(v: unknown, min: number, max: number): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && v.length > 0 && v.length <= 15) {
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
    }
    n = Number(v);
  } else return undefined;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function ip(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 64) return undefined;
  let s = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
  if (s.startsWith('::ffff:') && isIP(s.slice(7)) === 4) s = s.slice(7);
  return isIP(s) ? s : undefined;
}

/** Lowercased strings of a string or an array of strings (ECS `event.category` / `event.type`). */
function words(v: unknown): string[] {
  if (typeof v === 'string') return [v.toLowerCase()];
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) if (typeof x === 'string' && out.length < 16) out.push(x.toLowerCase());
  return out;
}

/** The first string of an array (Caddy logs headers as arrays), else the value itself. */
function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

function isMethodToken(s: string): boolean {
  if (s.length === 0 || s.length > 20) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

/** `GET /x HTTP/1.1` (nginx `$request`) split into method, target and protocol, or null. */
function splitRequestLine(line: string): { method: string; target: string; protocol?: string } | null {
  const sp = line.indexOf(' ');
  if (sp <= 0 || !isMethodToken(line.slice(0, sp))) return null;
  const last = line.lastIndexOf(' ');
  const proto = last > sp ? line.slice(last + 1) : '';
  if (proto.startsWith('HTTP/')) {
    const target = line.slice(sp + 1, last);
    return target === '' ? null : { method: line.slice(0, sp), target, protocol: proto };
  }
  const target = line.slice(sp + 1);
  return target === '' ? null : { method: line.slice(0, sp), target };
}

interface Derived {
  kind: EventKind;
  type: string;
}

/** Kind and type from ECS categories/types and the outcome (see the module comment). */
function deriveEcs(categories: string[], types: string[], outcome: Outcome | undefined): Derived {
  if (categories.includes('authentication')) {
    const type = outcome === 'success' ? 'auth_success' : outcome === 'failure' ? 'auth_failure' : 'other';
    return { kind: 'auth', type };
  }
  if (categories.includes('session')) {
    if (types.includes('start')) return { kind: 'auth', type: 'session_open' };
    if (types.includes('end')) return { kind: 'auth', type: 'session_close' };
    return { kind: 'auth', type: 'other' };
  }
  if (categories.includes('iam') && types.includes('user')) {
    if (types.includes('creation')) return { kind: 'system', type: 'user_add' };
    if (types.includes('deletion')) return { kind: 'system', type: 'user_del' };
  }
  if (categories.includes('process') && types.includes('start')) return { kind: 'system', type: 'exec' };
  if (categories.includes('configuration') && types.includes('change'))
    return { kind: 'system', type: 'config_change' };
  if (categories.includes('network')) return { kind: 'network', type: 'other' };
  return { kind: 'system', type: 'other' };
}

const FIELDS = Object.keys(DEFAULT_JSONL_PATHS) as JsonlField[];

/** The paths of each field with the mapping applied; throws on an unknown field or a bad path. */
function buildPaths(
  mapping: Partial<Record<JsonlField, string>> | undefined,
): Record<JsonlField, readonly string[]> {
  const paths = { ...DEFAULT_JSONL_PATHS };
  for (const [field, path] of Object.entries(mapping ?? {})) {
    if (!(FIELDS as string[]).includes(field))
      throw new RangeError(`jsonl mapping: unknown field "${field}"`);
    if (path === undefined) continue;
    if (typeof path !== 'string' || path === '' || path.length > MAX_PATH_CHARS)
      throw new RangeError(`jsonl mapping: bad path for "${field}"`);
    if (path.split('.').length > MAX_PATH_SEGMENTS)
      throw new RangeError(`jsonl mapping: path for "${field}" has more than ${MAX_PATH_SEGMENTS} segments`);
    paths[field as JsonlField] = [path];
  }
  return Object.freeze(paths);
}

/** Creates the `jsonl` parser; throws a RangeError for an unknown time zone or a bad mapping. */
export function createJsonlParser(ctx: ParseContext, options: JsonlParserOptions = {}): LineParser {
  const timeZone = ctx.timeZone ?? 'UTC';
  checkTimeZone(timeZone);
  const paths = buildPaths(options.mapping);
  const mapped = options.mapping ?? {};
  // The ECS url.path + url.query pair and nginx's `request` line only stand in for default paths.
  const defaultTarget = mapped['http.target'] === undefined;
  const defaultRequest = defaultTarget && mapped['http.method'] === undefined;

  function pick<T>(doc: JsonObject, field: JsonlField, read: (v: unknown) => T | undefined): T | undefined {
    for (const path of paths[field]) {
      const v = read(lookupJsonPath(doc, path));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  function raw(doc: JsonObject, field: JsonlField): unknown {
    for (const path of paths[field]) {
      const v = lookupJsonPath(doc, path);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  }

  function timestamp(doc: JsonObject): number | string {
    let present = false;
    for (const path of paths.ts) {
      const v = lookupJsonPath(doc, path);
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      present = true;
      const ts = timestampOf(v, timeZone);
      if (!Number.isNaN(ts)) return ts;
    }
    return present ? 'bad timestamp' : 'no timestamp';
  }

  function httpOf(doc: JsonObject): ParsedLine['http'] | undefined {
    let method = pick(doc, 'http.method', text);
    let target = pick(doc, 'http.target', text);
    let protocol = pick(doc, 'http.protocol', text);
    if (target === undefined && defaultTarget) {
      const path = text(lookupJsonPath(doc, 'url.path'));
      const query = text(lookupJsonPath(doc, 'url.query'));
      if (path !== undefined) target = query === undefined ? path : `${path}?${query}`;
    }
    if ((method === undefined || target === undefined) && defaultRequest) {
      const line = lookupJsonPath(doc, 'request');
      const req = typeof line === 'string' ? splitRequestLine(line) : null;
      if (req) {
        method = req.method;
        target = req.target;
        protocol ??= req.protocol;
      }
    }
    if (method === undefined || target === undefined) return undefined;
    const http: NonNullable<ParsedLine['http']> = { method, target };
    if (protocol !== undefined) http.protocol = VERSION_RE.test(protocol) ? `HTTP/${protocol}` : protocol;
    const status = pick(doc, 'http.status', (v) => int(v, 100, 999));
    if (status !== undefined) http.status = status;
    const bytes = pick(doc, 'http.bytes', (v) => int(v, 0, Number.MAX_SAFE_INTEGER));
    if (bytes !== undefined) http.bytes = bytes;
    const referer = pick(doc, 'http.referer', text);
    if (referer !== undefined) http.referer = referer;
    const ua = pick(doc, 'http.user_agent', (v) => text(first(v)));
    if (ua !== undefined) http.user_agent = ua;
    const vhost = pick(doc, 'http.vhost', text);
    if (vhost !== undefined) http.vhost = vhost;
    return http;
  }

  function parseDoc(doc: JsonObject, line: number): ParseResult {
    const ts = timestamp(doc);
    if (typeof ts === 'string') return { ok: false, line, reason: ts };
    const outcome = pick(doc, 'outcome', (v) =>
      typeof v === 'string' ? OUTCOMES.get(v.toLowerCase()) : undefined,
    );
    const http = httpOf(doc);
    const derived: Derived = http
      ? { kind: 'http', type: 'http_request' }
      : deriveEcs(words(raw(doc, 'event.category')), words(raw(doc, 'event.type')), outcome);
    const kind = pick(doc, 'kind', (v) =>
      typeof v === 'string' && KINDS.has(v) ? (v as EventKind) : undefined,
    );
    const type = pick(doc, 'type', (v) => (typeof v === 'string' && TYPES.has(v) ? v : undefined));
    const action = pick(doc, 'event.action', text);
    let message = pick(doc, 'message', text) ?? action ?? (http ? `${http.method} ${http.target}` : '');
    if (message.length > MAX_MESSAGE_CHARS) message = message.slice(0, MAX_MESSAGE_CHARS);
    const parsed: ParsedLine = { ts, kind: kind ?? derived.kind, type: type ?? derived.type, message };
    if (outcome !== undefined) parsed.outcome = outcome;
    const user = pick(doc, 'user', text);
    if (user !== undefined) parsed.user = user;
    const srcIp = pick(doc, 'src_ip', ip);
    if (srcIp !== undefined) parsed.src_ip = srcIp;
    const srcPort = pick(doc, 'src_port', (v) => int(v, 0, 65535));
    if (srcPort !== undefined) parsed.src_port = srcPort;
    const dst = pick(doc, 'dst', text);
    if (dst !== undefined) parsed.dst = dst;
    const host = pick(doc, 'host', text);
    if (host !== undefined) parsed.host = host;
    const program = pick(doc, 'program', text);
    if (program !== undefined) parsed.program = program;
    const pid = pick(doc, 'pid', (v) => int(v, 0, 2 ** 32 - 1));
    if (pid !== undefined) parsed.pid = pid;
    const method = pick(doc, 'method', text);
    if (method !== undefined) parsed.method = method;
    const terminal = pick(doc, 'terminal', text);
    if (terminal !== undefined) parsed.terminal = terminal;
    if (http) parsed.http = http;
    return { ok: true, line, parsed };
  }

  function push(input: string, line: number): ParseResult[] {
    let s = input.endsWith('\r') ? input.slice(0, -1) : input;
    if (s.length > MAX_LINE_CHARS) return [{ ok: false, line, reason: 'line too long' }];
    if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    if (s.trim() === '') return [];
    const shape = checkJsonShape(s, MAX_JSON_DEPTH, MAX_JSON_KEYS);
    if (shape !== null) return [{ ok: false, line, reason: shape }];
    let doc: unknown;
    try {
      doc = JSON.parse(s);
    } catch {
      return [{ ok: false, line, reason: 'not JSON' }];
    }
    if (!isJsonObject(doc)) return [{ ok: false, line, reason: 'not a JSON object' }];
    return [parseDoc(doc, line)];
  }

  return { format: 'jsonl', push, end: () => [] };
}
