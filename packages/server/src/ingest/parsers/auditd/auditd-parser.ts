/**
 * The `auditd` LineParser: groups auditd records (raw or enriched) into events by their
 * `audit(time:serial)` id and turns each event into one ParsedLine (see auditd-event.ts).
 *
 * When is an event complete? User-space records (USER_*, USYS_CONFIG, ADD_USER, CRED_*, DAEMON_*,
 * ...) and NETFILTER_PKT are single-record events and come out at once. Kernel events (SYSCALL +
 * EXECVE + PATH + ...) end at their EOE record; without one (older kernels, a cut log), an event is
 * complete when a record of another event arrives that is `reorderWindowMs` later in event time —
 * records of nearby events interleave, so a different serial alone does not end an event — or at
 * end(). At most `maxOpenEvents` events stay open; the oldest is flushed when one more opens
 * (counted as `flushed.overflow`), and the same when the open events hold more than `maxOpenChars`
 * of text. The id includes the time because serials repeat across reboots
 * and in hand-written logs (the itsec scenarios reuse serial 27 at different times).
 */
import { MAX_LINE_CHARS } from '../types.js';
import type { LineParser, ParseContext, ParseResult } from '../types.js';
import { buildAuditEvent } from './auditd-event.js';
import { parseAuditRecord } from './auditd-record.js';
import type { AuditRecord } from './auditd-record.js';

export interface AuditdParserOptions {
  /** Most events open at once (default 64). */
  maxOpenEvents?: number;
  /** Event-time gap after which an open event without EOE is complete (default 2000 ms). */
  reorderWindowMs?: number;
  /** Most records grouped into one event; later ones are rejected (default 256). */
  maxRecordsPerEvent?: number;
  /** Most characters of record text held in open events; the oldest are flushed beyond (default 4 Mi). */
  maxOpenChars?: number;
}

/** What the parser counted since it was created. */
export interface AuditdStats {
  records: number;
  events: number;
  /** Empty lines, skipped. */
  blank: number;
  /** Rejected lines by reason. */
  rejected: Record<string, number>;
  /** Why multi-record events were completed. */
  flushed: { eoe: number; window: number; overflow: number; end: number };
}

export interface AuditdParser extends LineParser {
  stats(): AuditdStats;
}

export const DEFAULT_MAX_OPEN_EVENTS = 64;
export const DEFAULT_REORDER_WINDOW_MS = 2000;
export const DEFAULT_MAX_RECORDS_PER_EVENT = 256;
export const DEFAULT_MAX_OPEN_CHARS = 4 * 1024 * 1024;

const STANDALONE_PREFIXES = ['USER_', 'USYS_', 'CRED_', 'DAEMON_', 'ADD_', 'DEL_', 'GRP_', 'CHGRP_'];
const STANDALONE = new Set([
  'USER',
  'LOGIN',
  'NETFILTER_PKT',
  'ANOM_LOGIN_FAILURES',
  'ANOM_LOGIN_LOCATION',
  'ANOM_LOGIN_SESSIONS',
  'ANOM_LOGIN_TIME',
  'ANOM_LOGIN_ACCT',
  'CHUSER_ID',
  'ROLE_ASSIGN',
  'ROLE_REMOVE',
  'SERVICE_START',
  'SERVICE_STOP',
  'SYSTEM_BOOT',
  'SYSTEM_SHUTDOWN',
  'SYSTEM_RUNLEVEL',
  'CRYPTO_KEY_USER',
  'CRYPTO_SESSION',
  'TEST',
  'TRUSTED_APP',
]);

/** User-space messages (and NETFILTER_PKT) are written as one record with their own serial. */
function isStandalone(type: string): boolean {
  if (STANDALONE.has(type)) return true;
  for (const p of STANDALONE_PREFIXES) if (type.startsWith(p)) return true;
  return false;
}

interface OpenEvent {
  line: number;
  ts: number;
  records: AuditRecord[];
  chars: number;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`auditd parser: ${name} must be an integer >= 0`);
  return n;
}

/** Creates an auditd parser; options are checked here (RangeError). */
export function createAuditdParser(_ctx: ParseContext, options: AuditdParserOptions = {}): AuditdParser {
  const maxOpen = Math.max(1, positive('maxOpenEvents', options.maxOpenEvents, DEFAULT_MAX_OPEN_EVENTS));
  const windowMs = positive('reorderWindowMs', options.reorderWindowMs, DEFAULT_REORDER_WINDOW_MS);
  const maxRecords = Math.max(
    1,
    positive('maxRecordsPerEvent', options.maxRecordsPerEvent, DEFAULT_MAX_RECORDS_PER_EVENT),
  );
  const maxChars = positive('maxOpenChars', options.maxOpenChars, DEFAULT_MAX_OPEN_CHARS);
  /** Open events by id, oldest first (Map keeps insertion order). */
  const open = new Map<string, OpenEvent>();
  let openChars = 0;
  const stats: AuditdStats = {
    records: 0,
    events: 0,
    blank: 0,
    rejected: {},
    flushed: { eoe: 0, window: 0, overflow: 0, end: 0 },
  };

  function reject(line: number, reason: string): ParseResult {
    stats.rejected[reason] = (stats.rejected[reason] ?? 0) + 1;
    return { ok: false, line, reason };
  }

  function emit(ev: OpenEvent, out: ParseResult[]): void {
    stats.events++;
    out.push({ ok: true, line: ev.line, parsed: buildAuditEvent(ev.records) });
  }

  function complete(id: string, why: keyof AuditdStats['flushed'], out: ParseResult[]): void {
    const ev = open.get(id);
    if (ev === undefined) return;
    open.delete(id);
    openChars -= ev.chars;
    stats.flushed[why]++;
    if (ev.records.length > 0) emit(ev, out);
  }

  function flushOldest(out: ParseResult[]): void {
    const oldest = open.keys().next();
    if (oldest.done !== true) complete(oldest.value, 'overflow', out);
  }

  function push(raw: string, line: number): ParseResult[] {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') {
      stats.blank++;
      return [];
    }
    if (text.length > MAX_LINE_CHARS) return [reject(line, 'line too long')];
    const r = parseAuditRecord(text);
    if (!r.ok) return [reject(line, r.reason)];
    const rec = r.record;
    stats.records++;
    const out: ParseResult[] = [];
    // Events of other ids that are well past in event time are complete.
    for (const [id, ev] of open) {
      if (id !== rec.id && rec.ts - ev.ts > windowMs) complete(id, 'window', out);
    }
    const ev = open.get(rec.id);
    if (rec.type === 'EOE') {
      if (ev !== undefined) complete(rec.id, 'eoe', out);
      return out;
    }
    if (ev === undefined && isStandalone(rec.type)) {
      emit({ line, ts: rec.ts, records: [rec], chars: 0 }, out);
      return out;
    }
    if (ev !== undefined && ev.records.length >= maxRecords) {
      out.push(reject(line, 'too many records in one event'));
      return out;
    }
    // Make room: at most maxOpen events and maxChars of text stay open (the event being added to stays).
    if (ev === undefined && open.size >= maxOpen) flushOldest(out);
    while (open.size > 0 && openChars + text.length > maxChars) {
      const oldest = open.keys().next();
      if (oldest.done === true || oldest.value === rec.id) break;
      complete(oldest.value, 'overflow', out);
    }
    openChars += text.length;
    if (ev === undefined) open.set(rec.id, { line, ts: rec.ts, records: [rec], chars: text.length });
    else {
      ev.records.push(rec);
      ev.chars += text.length;
    }
    return out;
  }

  function end(): ParseResult[] {
    const out: ParseResult[] = [];
    for (const id of [...open.keys()]) complete(id, 'end', out);
    return out;
  }

  return {
    format: 'auditd',
    push,
    end,
    stats: () => ({ ...stats, rejected: { ...stats.rejected }, flushed: { ...stats.flushed } }),
  };
}
