/**
 * ParsedLine → SecurityEvent. Web requests from access logs go through the inspection engine (the
 * request-target, user agent and referer as headers); a log cannot block, so a request the engine
 * would block is stored as `log` (flagged). Event ids are derived from the source, the file, the line
 * number and the line itself, so importing the same file twice stores each line once.
 */
import { createHash } from 'node:crypto';
import type {
  Engine,
  EventSource,
  LogInfo,
  RequestRecord,
  SecurityEvent,
  Severity,
  Verdict,
} from '@palisade/engine';
import { splitTarget } from '../proxy/proxy-event.js';
import { EVENT_LIMITS } from '../store/validate-event.js';
import type { ParsedLine } from './parsers/types.js';

export interface ToEventContext {
  source: EventSource;
  /** The file (or upload name) the lines come from. */
  file?: string;
  engine?: Engine;
  /** Verdicts of requests seen before (logs repeat the same requests a lot); see createVerdictCache. */
  verdicts?: VerdictCache;
}

/**
 * A bounded cache of the engine's verdicts by request (method, target, user agent, referer, host).
 * The engine is pure, so a repeated request gets the same verdict; findings are shared between the
 * events of one request and must be treated as read-only.
 */
export class VerdictCache {
  private readonly m = new Map<string, Verdict>();
  hits = 0;
  constructor(private readonly max = 10_000) {}
  get(engine: Engine, key: string, request: RequestRecord): Verdict {
    const v = this.m.get(key);
    if (v !== undefined) {
      this.hits++;
      return v;
    }
    const fresh = engine.inspect(request);
    if (this.m.size >= this.max) this.m.delete(this.m.keys().next().value!);
    this.m.set(key, fresh);
    return fresh;
  }
}

/** Longest request key cached; longer requests are inspected every time. */
const MAX_CACHED_KEY = 2048;

const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n) : s);

/** Severity of a log event without findings: failures and changes are worth a look. */
function logSeverity(p: ParsedLine): Severity {
  switch (p.type) {
    case 'auth_failure':
    case 'invalid_user':
      return 'low';
    case 'config_change':
    case 'user_add':
    case 'user_del':
    case 'password_change':
    case 'sudo':
      return 'medium';
    default:
      return 'info';
  }
}

/**
 * The event id of a parsed line: its time (12 hex digits of epoch ms), then a hash of the source,
 * the file, the line's position (its number, and the occurrence for lines that stand for several
 * events, like sshd's `message repeated N times`), its time and text. Importing a file again gives the same ids; a line repeated in the file is counted
 * each time (a packet log repeats identical records for identical packets).
 */
export function eventId(ctx: ToEventContext, line: number, p: ParsedLine, occurrence = 0): string {
  const hash = createHash('sha256')
    .update(
      `${ctx.source.name}\u0000${ctx.file ?? ''}\u0000${line}\u0000${occurrence}\u0000${p.ts}\u0000${p.message}`,
    )
    .digest('hex');
  // The event time in front: ids of a log grow with time, so the store appends to its id index
  // instead of inserting at random places (a third faster on large imports).
  const ts = Math.max(0, Math.floor(p.ts));
  return `${ts.toString(16).padStart(12, '0')}${hash.slice(0, 20)}`;
}

export function parsedToEvent(
  p: ParsedLine,
  line: number,
  ctx: ToEventContext,
  raw?: string,
  occurrence = 0,
): SecurityEvent {
  const log: LogInfo = { type: p.type, line };
  if (ctx.file !== undefined) log.file = cut(ctx.file, EVENT_LIMITS.log_file);
  if (p.host !== undefined) log.host = cut(p.host, EVENT_LIMITS.log_text);
  if (p.program !== undefined) log.program = cut(p.program, EVENT_LIMITS.log_text);
  if (p.pid !== undefined) log.pid = p.pid;
  if (p.method !== undefined) log.method = cut(p.method, EVENT_LIMITS.log_text);
  if (p.terminal !== undefined) log.terminal = cut(p.terminal, EVENT_LIMITS.log_text);
  const dst = p.dst ?? p.http?.vhost;
  if (dst !== undefined) log.dst = cut(dst, EVENT_LIMITS.log_text);
  if (p.audit !== undefined) log.audit = p.audit;
  const ev: SecurityEvent = {
    id: eventId(ctx, line, p, occurrence),
    ts: new Date(p.ts).toISOString(),
    kind: p.kind,
    source: ctx.source,
    client: { ip: p.src_ip === undefined ? '' : cut(p.src_ip, EVENT_LIMITS.ip) },
    action: 'allow',
    score: 0,
    severity: logSeverity(p),
    findings: [],
    message: cut(p.message, EVENT_LIMITS.message),
    log,
  };
  if (p.src_port !== undefined) ev.client.port = p.src_port;
  if (p.user !== undefined) ev.user = cut(p.user, EVENT_LIMITS.user);
  if (p.outcome !== undefined) ev.outcome = p.outcome;
  if (raw !== undefined) ev.raw = cut(raw, EVENT_LIMITS.raw);
  const h = p.http;
  if (h !== undefined) {
    const { path, query } = splitTarget(h.target);
    ev.http = { method: cut(h.method || '-', EVENT_LIMITS.method), path: cut(path, EVENT_LIMITS.path) };
    if (query !== undefined) ev.http.query = cut(query, EVENT_LIMITS.query);
    if (h.vhost !== undefined) ev.http.host = cut(h.vhost, EVENT_LIMITS.host);
    if (h.status !== undefined) ev.http.status = h.status;
    if (h.bytes !== undefined) ev.http.bytes_out = h.bytes;
    if (h.user_agent !== undefined) ev.http.user_agent = cut(h.user_agent, EVENT_LIMITS.user_agent);
    if (h.referer !== undefined) ev.http.referer = cut(h.referer, EVENT_LIMITS.referer);
    if (ctx.engine !== undefined) {
      const headers: Record<string, string> = {};
      if (h.user_agent !== undefined) headers['user-agent'] = h.user_agent;
      if (h.referer !== undefined) headers.referer = h.referer;
      if (h.vhost !== undefined) headers.host = h.vhost;
      const request: RequestRecord = { method: h.method || 'GET', url: h.target, headers };
      const key = `${request.method}\u0000${h.target}\u0000${h.user_agent ?? ''}\u0000${h.referer ?? ''}\u0000${h.vhost ?? ''}`;
      const v =
        ctx.verdicts !== undefined && key.length <= MAX_CACHED_KEY
          ? ctx.verdicts.get(ctx.engine, key, request)
          : ctx.engine.inspect(request);
      ev.findings = v.findings;
      ev.score = v.score;
      ev.severity = v.findings.length > 0 ? v.severity : 'info';
      // The server already answered: a request the engine would block is flagged, not blocked.
      ev.action = v.action === 'allow' ? 'allow' : 'log';
      ev.labels = { detector: v.findings.length > 0 ? 'attack' : 'benign' };
    }
  }
  return ev;
}
