/**
 * Syslog headers: RFC 3164 (`<PRI>` optional, BSD or ISO stamp, optional hostname, `app[pid]:`) and
 * RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`). Returns the header fields and the
 * message so that format parsers (sshd, sudo, auditd over syslog...) can read the rest.
 */
import { parseBsdStamp, parseIsoTimestamp, parseRfc5424Timestamp } from '../time.js';
import type { YearTracker } from '../time.js';

export interface SyslogHeader {
  format: 'rfc3164' | 'rfc5424';
  ts: number;
  /** Facility and severity when a `<PRI>` was present. */
  facility?: number;
  severity?: number;
  host?: string;
  program?: string;
  pid?: number;
  /** RFC 5424 MSGID. */
  msgId?: string;
  /** The text after the header (RFC 5424: after the structured data, BOM removed). */
  message: string;
}

/** A header, or the reason the text has none. */
export type SyslogHeaderResult = { ok: true; header: SyslogHeader } | { ok: false; reason: string };

const PRI_RE = /^<(\d{1,3})>/;
/** ISO stamps of rsyslog (`2026-11-22T04:51:47.123+01:00`) and macOS (`2020-03-23 06:47:42.8-0700`). */
const ISO_STAMP_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?(?= )/;
/** `host tag[pid]: ` / `tag[pid]: ` / `host tag: ` / `[tag]: ` after the stamp. */
const TAG_RE = /^(?:([^\s:[\]]{1,255}) )?(?:([^\s:[\]]{1,128})|\[([^\s:[\]]{1,128})\])(?:\[(\d{1,10})\])?: ?/;
/** `[tag] ` without the colon (seen from sshd, fail2ban gh-267). */
const BRACKET_TAG_RE = /^(?:([^\s:[\]]{1,255}) )?\[([^\s:[\]]{1,128})\](?:\[(\d{1,10})\])? /;
const HOST_ONLY_RE = /^([^\s:[\]]{1,255}) /;
const BOM = '\uFEFF';

function fail(reason: string): SyslogHeaderResult {
  return { ok: false, reason };
}

/** Parses the syslog header of `text`; year-less stamps are dated by `years`. */
export function parseSyslogHeader(text: string, years: YearTracker): SyslogHeaderResult {
  let pos = 0;
  let pri = -1;
  if (text.charCodeAt(0) === 60) {
    const p = PRI_RE.exec(text);
    if (!p) return fail('malformed syslog <PRI>');
    pri = Number(p[1]);
    if (pri > 191) return fail('syslog PRI out of range');
    pos = p[0].length;
    if (text.startsWith('1 ', pos)) return parse5424(text, pos + 2, pri);
  }
  const rest = pos === 0 ? text : text.slice(pos);
  let ts: number;
  let after: string;
  const bsd = parseBsdStamp(rest);
  if (bsd) {
    ts = years.resolve(bsd);
    after = rest.slice(bsd.length);
  } else {
    const iso = ISO_STAMP_RE.exec(rest);
    if (!iso) return fail('no syslog timestamp');
    ts = parseIsoTimestamp(iso[0], years.timeZone);
    if (Number.isNaN(ts)) return fail('bad syslog timestamp');
    // macOS writes two spaces after the stamp.
    after = rest.slice(iso[0].length + (rest.startsWith('  ', iso[0].length) ? 1 : 0));
  }
  if (after.charCodeAt(0) !== 32) return fail('no space after syslog timestamp');
  after = after.slice(1);
  const header: SyslogHeader = { format: 'rfc3164', ts, message: '' };
  if (pri >= 0) {
    header.facility = pri >> 3;
    header.severity = pri & 7;
  }
  const tag = TAG_RE.exec(after);
  const bracket = tag ? null : BRACKET_TAG_RE.exec(after);
  if (tag) {
    if (tag[1] !== undefined) header.host = tag[1];
    header.program = tag[2] ?? tag[3];
    if (tag[4] !== undefined) header.pid = Number(tag[4]);
    header.message = after.slice(tag[0].length);
  } else if (bracket) {
    if (bracket[1] !== undefined) header.host = bracket[1];
    header.program = bracket[2];
    if (bracket[3] !== undefined) header.pid = Number(bracket[3]);
    header.message = after.slice(bracket[0].length);
  } else {
    const host = HOST_ONLY_RE.exec(after);
    if (host) header.host = host[1];
    header.message = host ? after.slice(host[0].length) : after;
  }
  return { ok: true, header };
}

/** The next space-separated field of an RFC 5424 header, or null. */
function field(text: string, pos: number): { value: string; next: number } | null {
  const end = text.indexOf(' ', pos);
  if (end <= pos || end - pos > 255) return null;
  return { value: text.slice(pos, end), next: end + 1 };
}

/** Index just after the structured data starting at `pos` (`-` or `[id k="v" ...]...`), or -1. */
function skipStructuredData(text: string, pos: number): number {
  if (text.charCodeAt(pos) === 45) return pos + 1;
  let i = pos;
  while (text.charCodeAt(i) === 91) {
    let inQuotes = false;
    i++;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 92 && inQuotes) i++;
      else if (c === 34) inQuotes = !inQuotes;
      else if (c === 93 && !inQuotes) break;
    }
    if (i >= text.length) return -1;
    i++;
  }
  return i === pos ? -1 : i;
}

function parse5424(text: string, start: number, pri: number): SyslogHeaderResult {
  const stamp = field(text, start);
  if (!stamp) return fail('truncated RFC 5424 header');
  const ts = parseRfc5424Timestamp(stamp.value);
  if (Number.isNaN(ts)) return fail('bad RFC 5424 timestamp');
  const host = field(text, stamp.next);
  const app = host && field(text, host.next);
  const proc = app && field(text, app.next);
  const msgId = proc && field(text, proc.next);
  if (!host || !app || !proc || !msgId) return fail('truncated RFC 5424 header');
  const sdEnd = skipStructuredData(text, msgId.next);
  if (sdEnd < 0) return fail('malformed RFC 5424 structured data');
  let message = '';
  if (sdEnd < text.length) {
    if (text.charCodeAt(sdEnd) !== 32) return fail('malformed RFC 5424 structured data');
    message = text.slice(sdEnd + 1);
    if (message.startsWith(BOM)) message = message.slice(1);
  }
  const header: SyslogHeader = {
    format: 'rfc5424',
    ts,
    facility: pri >> 3,
    severity: pri & 7,
    message,
  };
  if (host.value !== '-') header.host = host.value;
  if (app.value !== '-') header.program = app.value;
  if (proc.value !== '-') {
    const pid = Number(proc.value);
    if (Number.isInteger(pid) && pid >= 0) header.pid = pid;
  }
  if (msgId.value !== '-') header.msgId = msgId.value;
  return { ok: true, header };
}
