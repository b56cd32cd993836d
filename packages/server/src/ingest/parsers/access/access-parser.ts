/**
 * The `access` LineParser: reads nginx and Apache access logs in the common and combined formats into
 * ParsedLine records of kind `http`, type `http_request`.
 *
 * Variants it reads (all seen in real logs): a leading vhost (`host:port ` of Apache vhost_combined,
 * `$host ` of nginx), a missing ident field (`ip - [stamp]`), extra fields after the user agent
 * (nginx's `"$http_x_forwarded_for"`, request times: ignored), nginx lines sent through syslog
 * (`Sep 15 16:13:46 web nginx[2869]: ip - - [...]`), and the request lines scanners leave behind:
 * `"-"`, binary junk, no protocol, method only. Those are still requests (the engine should see them):
 * a first word that is not an HTTP token leaves `method` empty and the whole line becomes the target.
 * Apache 1.3 wrote `"` and `\` unescaped; a request field therefore ends at the first unescaped quote
 * that a status code follows, which also finds the end when the request holds raw quotes.
 *
 * Fields: `src_ip` only for an IP client (v4-mapped made v4); a hostname client is put before the
 * request line in `message`. Bytes `-` (Apache %b: no body) is 0; status `-` leaves `status` unset and
 * the outcome `unknown`. Target and referer are in URL form, the user agent in text form (see
 * access-unescape.ts). A referer or user agent left open by a cut line runs to the end of the line.
 * The stamp's own offset wins; a stamp without one is read in ctx.timeZone. Lines that are no access
 * lines are rejected with the reason (`no timestamp`, `bad status`, `unbalanced quotes`, ...).
 * Hot path: one pass with charCodeAt/indexOf, no regex per line, a cached day for the stamp.
 */
import { normalizeIp, parseIPv4 } from '@palisade/engine';
import type { Outcome } from '@palisade/engine';
import { parseSyslogHeader } from '../syslog/syslog-header.js';
import { YearTracker, checkTimeZone, localToEpoch, monthIndex } from '../time.js';
import { MAX_LINE_CHARS, MAX_MESSAGE_CHARS } from '../types.js';
import type { LineParser, ParseContext, ParsedLine, ParseResult } from '../types.js';
import { unescapeText, unescapeUrl } from './access-unescape.js';

/**
 * `auto` finds a vhost by shape and reads referer and user agent when present; `common` and
 * `combined` have no vhost; `combined` and `vhost_combined` require referer and user agent, so a
 * misconfigured source shows up as rejections instead of half-filled events.
 */
export type AccessLogFormat = 'auto' | 'combined' | 'common' | 'vhost_combined';

/** Options of createAccessParser. */
export interface AccessParserOptions {
  /** Which layout the lines have; default `auto`. */
  format?: AccessLogFormat;
}

/** Longest text before the `[` of the stamp (vhost, client, ident, user) the parser looks through. */
export const MAX_PREFIX_CHARS = 1024;
/** Longest token accepted as the HTTP method; a longer first word is junk, kept in the target. */
export const MAX_METHOD_CHARS = 32;

const FORMATS: ReadonlySet<string> = new Set(['auto', 'combined', 'common', 'vhost_combined']);
/** Fields before the stamp: vhost, client, ident, user. */
const MAX_PREFIX_TOKENS = 4;
const QUOTE = 34;
const SPACE = 32;
const BACKSLASH = 92;
const DASH = 45;
/** Reasons after which a line may still be an access line wrapped in a syslog header. */
const SYSLOG_RETRY = new Set(['no timestamp', 'bad timestamp', 'bad client fields']);

/** RFC 9110 tchar: what an HTTP method may consist of. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether text[s, e) is `-`, the log's "no value". */
function isDash(text: string, s: number, e: number): boolean {
  return e - s === 1 && text.charCodeAt(s) === DASH;
}

/** The client address of text[s, e) as canonical IP text (v4-mapped v6 made v4), or undefined. */
function ipOf(text: string, s: number, e: number): string | undefined {
  const t = text.slice(s, e);
  if (t.indexOf(':') < 0) return parseIPv4(t) === null ? undefined : t;
  return normalizeIp(t) ?? undefined;
}

/** Whether the quote at `q` is escaped: an odd run of backslashes before it (none before `from`). */
function isEscaped(text: string, q: number, from: number): boolean {
  let n = 0;
  for (let i = q - 1; i >= from && text.charCodeAt(i) === BACKSLASH; i--) n++;
  return (n & 1) === 1;
}

/** Whether spaces, then a status (3 digits or `-`), then a space or the end follow position `i`. */
function statusFollows(text: string, i: number, end: number): boolean {
  if (i >= end || text.charCodeAt(i) !== SPACE) return false;
  while (i < end && text.charCodeAt(i) === SPACE) i++;
  let j = i;
  if (text.charCodeAt(i) === DASH) j = i + 1;
  else if (
    isDigit(text.charCodeAt(i)) &&
    isDigit(text.charCodeAt(i + 1)) &&
    isDigit(text.charCodeAt(i + 2))
  ) {
    j = i + 3;
  } else return false;
  return j === end || (j < end && text.charCodeAt(j) === SPACE);
}

/** Whether a space or the end follows position `i`. */
function fieldEndFollows(text: string, i: number, end: number): boolean {
  return i === end || text.charCodeAt(i) === SPACE;
}

/**
 * The closing quote of a field opened before `from`: the first quote (unescaped, when `escapes`) for
 * which `follows` holds after it; -1 if none.
 */
function findClose(
  text: string,
  from: number,
  end: number,
  escapes: boolean,
  follows: (text: string, i: number, end: number) => boolean,
): number {
  let q = text.indexOf('"', from);
  while (q >= 0 && q < end) {
    if ((!escapes || !isEscaped(text, q, from)) && follows(text, q + 1, end)) return q;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}

/**
 * The end of a quoted field: escape-aware first; then ignoring escapes (Apache 1.3 logged a raw `\`
 * before the closing quote); -1 when the quotes do not balance.
 */
function closeOf(
  text: string,
  from: number,
  end: number,
  follows: (text: string, i: number, end: number) => boolean,
): number {
  const q = findClose(text, from, end, true, follows);
  return q >= 0 ? q : findClose(text, from, end, false, follows);
}

/** Whether text[s, e) starts with `HTTP/` (any case: scanners send `http/1.0`). */
function isHttpVersion(text: string, s: number, e: number): boolean {
  return (
    e - s >= 5 &&
    (text.charCodeAt(s) | 0x20) === 104 &&
    (text.charCodeAt(s + 1) | 0x20) === 116 &&
    (text.charCodeAt(s + 2) | 0x20) === 116 &&
    (text.charCodeAt(s + 3) | 0x20) === 112 &&
    text.charCodeAt(s + 4) === 47
  );
}

function skipSpaces(text: string, i: number, end: number): number {
  while (i < end && text.charCodeAt(i) === SPACE) i++;
  return i;
}

/** The host part of a logged vhost (`www.example.com:443` → `www.example.com`, `[::1]:80` → `::1`). */
function vhostHost(vhost: string): string {
  if (vhost.charCodeAt(0) === 91) {
    const close = vhost.indexOf(']');
    return close > 0 ? vhost.slice(1, close) : vhost;
  }
  const colon = vhost.indexOf(':');
  return colon > 0 && vhost.indexOf(':', colon + 1) < 0 ? vhost.slice(0, colon) : vhost;
}

function bound(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? text.slice(0, MAX_MESSAGE_CHARS) : text;
}

/** Creates the parser; throws a RangeError for an unknown format or time zone. */
export function createAccessParser(ctx: ParseContext, options: AccessParserOptions = {}): LineParser {
  const format = options.format ?? 'auto';
  if (!FORMATS.has(format)) throw new RangeError(`createAccessParser: unknown format '${String(format)}'`);
  const timeZone = ctx.timeZone ?? 'UTC';
  checkTimeZone(timeZone);
  const withVhost = format === 'vhost_combined';
  const noVhost = format === 'common' || format === 'combined';
  const needAgent = format === 'combined' || format === 'vhost_combined';
  /** Dates year-less syslog headers; made on the first syslog-wrapped line. */
  let years: YearTracker | undefined;

  // Token bounds of the fields before the stamp, reused for every line.
  const tokStart = new Int32Array(MAX_PREFIX_TOKENS);
  const tokEnd = new Int32Array(MAX_PREFIX_TOKENS);

  // The last stamp's date (`10/Oct/2000:` with its `[`) and what it resolved to.
  let dayKey = '';
  let dayYear = 0;
  let dayMonth = 0;
  let dayDate = 0;
  let dayUtcMs = 0;
  /** Index after the `]` of the stamp the last readStamp call read. */
  let stampEnd = 0;

  function twoDigits(text: string, i: number): number {
    const a = text.charCodeAt(i) - 48;
    const b = text.charCodeAt(i + 1) - 48;
    return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
  }

  /** Epoch ms of the stamp whose `[` is at `open`, NaN when malformed; sets stampEnd. */
  function readStamp(text: string, open: number, end: number): number {
    let i = open + 1;
    let dayLen = 0;
    while (dayLen < 3 && isDigit(text.charCodeAt(i + dayLen))) dayLen++;
    if (dayLen < 1 || dayLen > 2) return NaN;
    // `[d/Mon/yyyy:` or `[dd/Mon/yyyy:`
    const dateEnd = i + dayLen + 10;
    if (dateEnd + 8 > end) return NaN;
    if (!(dayKey.length === dateEnd - open && text.startsWith(dayKey, open))) {
      const day = dayLen === 1 ? text.charCodeAt(i) - 48 : twoDigits(text, i);
      i += dayLen;
      if (text.charCodeAt(i) !== 47 || text.charCodeAt(i + 4) !== 47 || text.charCodeAt(i + 9) !== 58) {
        return NaN;
      }
      const month = monthIndex(text.slice(i + 1, i + 4));
      const hi = twoDigits(text, i + 5);
      const lo = twoDigits(text, i + 7);
      if (month < 0 || hi < 0 || lo < 0 || day < 1 || day > 31) return NaN;
      dayKey = text.slice(open, dateEnd);
      dayYear = hi * 100 + lo;
      dayMonth = month;
      dayDate = day;
      dayUtcMs = Date.UTC(dayYear, month, day);
    }
    i = dateEnd;
    const hour = twoDigits(text, i);
    const minute = twoDigits(text, i + 3);
    const second = twoDigits(text, i + 6);
    if (text.charCodeAt(i + 2) !== 58 || text.charCodeAt(i + 5) !== 58) return NaN;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return NaN;
    i += 8;
    let ms = 0;
    if (text.charCodeAt(i) === 46) {
      let digits = 0;
      i++;
      while (i < end && isDigit(text.charCodeAt(i))) {
        if (digits < 3) ms = ms * 10 + text.charCodeAt(i) - 48;
        digits++;
        i++;
      }
      if (digits === 0 || digits > 9) return NaN;
      for (let k = digits; k < 3; k++) ms *= 10;
    }
    let ts: number;
    const c = text.charCodeAt(i + 1);
    if (text.charCodeAt(i) === SPACE && (c === 43 || c === DASH)) {
      const oh = twoDigits(text, i + 2);
      const om = twoDigits(text, i + 4);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
      const offsetMs = (c === DASH ? -1 : 1) * (oh * 60 + om) * 60_000;
      ts = dayUtcMs + hour * 3_600_000 + minute * 60_000 + Math.min(second, 59) * 1000 + ms - offsetMs;
      i += 6;
    } else {
      ts = localToEpoch(timeZone, dayYear, dayMonth, dayDate, hour, minute, Math.min(second, 59), ms);
    }
    if (text.charCodeAt(i) !== 93) return NaN;
    stampEnd = i + 1;
    return ts;
  }

  /** Splits and fills the request fields from the request text[rs, re). */
  function fillRequest(text: string, rs: number, re: number, http: NonNullable<ParsedLine['http']>): void {
    rs = skipSpaces(text, rs, re);
    while (re > rs && text.charCodeAt(re - 1) === SPACE) re--;
    // `-`: Apache read no request line (timeouts, closed connections).
    if (re === rs || isDash(text, rs, re)) return;
    let sp = rs;
    while (sp < re && sp - rs <= MAX_METHOD_CHARS) {
      const c = text.charCodeAt(sp);
      if (c === SPACE || c >= 128 || TCHAR[c] === 0) break;
      sp++;
    }
    const isMethod = sp > rs && sp - rs <= MAX_METHOD_CHARS && (sp === re || text.charCodeAt(sp) === SPACE);
    if (!isMethod) {
      http.target = unescapeUrl(text, rs, re);
      return;
    }
    http.method = text.slice(rs, sp);
    if (sp === re) return;
    const ts = skipSpaces(text, sp, re);
    let te = re;
    const last = text.lastIndexOf(' ', re - 1) + 1;
    if (last >= ts && isHttpVersion(text, last, re)) {
      http.protocol = text.slice(last, re);
      te = last;
      while (te > ts && text.charCodeAt(te - 1) === SPACE) te--;
    }
    http.target = unescapeUrl(text, ts, te);
  }

  /** Reads text[0, end) as an access line: the record, or the reason it is none. */
  function parseAccess(text: string, end: number): ParsedLine | string {
    const limit = Math.min(end, MAX_PREFIX_CHARS);
    // A vhost may be a bracketed IPv6 literal (`[2001:db8::1]:443`): the stamp comes after it.
    const open = text.indexOf('[', text.charCodeAt(0) === 91 ? text.indexOf(']') + 1 : 0);
    if (open < 0 || open >= limit) return 'no timestamp';
    const ts = readStamp(text, open, end);
    if (Number.isNaN(ts)) return isDigit(text.charCodeAt(open + 1)) ? 'bad timestamp' : 'no timestamp';

    // The fields before the stamp.
    let n = 0;
    let i = 0;
    while (i < open) {
      if (text.charCodeAt(i) === SPACE) {
        i++;
        continue;
      }
      if (n === MAX_PREFIX_TOKENS) return 'bad client fields';
      tokStart[n] = i;
      while (i < open && text.charCodeAt(i) !== SPACE) i++;
      tokEnd[n++] = i;
    }
    if (n < 2 || text.charCodeAt(open - 1) !== SPACE) return 'bad client fields';
    let vhostTok = -1;
    if (withVhost) {
      if (n < 3) return 'no vhost';
      vhostTok = 0;
    } else if (!noVhost) {
      // `vhost client user` or `client ident user`; `vhost client ident user` or `client - ident user`.
      if (n === 4) {
        if (!isDash(text, tokStart[1]!, tokEnd[1]!)) vhostTok = 0;
      } else if (
        n === 3 &&
        !isDash(text, tokStart[1]!, tokEnd[1]!) &&
        ipOf(text, tokStart[1]!, tokEnd[1]!) !== undefined &&
        ipOf(text, tokStart[0]!, tokEnd[0]!) === undefined
      ) {
        vhostTok = 0;
      }
    }
    const clientTok = vhostTok + 1;
    const cs = tokStart[clientTok]!;
    const ce = tokEnd[clientTok]!;
    const srcIp = ipOf(text, cs, ce);
    const us = tokStart[n - 1]!;
    const ue = tokEnd[n - 1]!;

    // The request.
    let p = skipSpaces(text, stampEnd, end);
    if (text.charCodeAt(p) !== QUOTE) return 'no request';
    const rs = p + 1;
    let re = closeOf(text, rs, end, statusFollows);
    if (re < 0) {
      // No status after any quote: end at a plausible quote so the reason names the status.
      re = closeOf(text, rs, end, fieldEndFollows);
      if (re < 0) return 'unbalanced quotes';
    }

    // Status and bytes.
    p = skipSpaces(text, re + 1, end);
    let status: number | undefined;
    const c = text.charCodeAt(p);
    if (c === DASH && fieldEndFollows(text, p + 1, end)) p++;
    else if (
      isDigit(c) &&
      isDigit(text.charCodeAt(p + 1)) &&
      isDigit(text.charCodeAt(p + 2)) &&
      fieldEndFollows(text, p + 3, end)
    ) {
      status = (c - 48) * 100 + (text.charCodeAt(p + 1) - 48) * 10 + text.charCodeAt(p + 2) - 48;
      p += 3;
    } else return 'bad status';
    p = skipSpaces(text, p, end);
    let bytes = 0;
    if (text.charCodeAt(p) === DASH) p++;
    else {
      const bs = p;
      while (p < end && isDigit(text.charCodeAt(p))) bytes = bytes * 10 + text.charCodeAt(p++) - 48;
      if (p === bs || p - bs > 15) return 'bad bytes';
    }
    if (!fieldEndFollows(text, p, end)) return 'bad bytes';

    // Referer and user agent; whatever follows them is ignored. A field left open runs to the end of
    // the line: the line was cut (syslog and log shippers truncate long lines), the request is whole.
    let referer: string | undefined;
    let agent: string | undefined;
    p = skipSpaces(text, p, end);
    if (text.charCodeAt(p) === QUOTE) {
      let fe = closeOf(text, p + 1, end, fieldEndFollows);
      if (fe < 0) fe = end;
      if (!isDash(text, p + 1, fe)) referer = unescapeUrl(text, p + 1, fe);
      p = skipSpaces(text, fe + 1, end);
      if (text.charCodeAt(p) === QUOTE) {
        let ae = closeOf(text, p + 1, end, fieldEndFollows);
        if (ae < 0) ae = end;
        if (!isDash(text, p + 1, ae)) agent = unescapeText(text, p + 1, ae);
      } else if (needAgent) return 'no user agent';
    } else if (needAgent) return 'no referer';

    const http: NonNullable<ParsedLine['http']> = { method: '', target: '' };
    fillRequest(text, rs, re, http);
    if (status !== undefined) http.status = status;
    http.bytes = bytes;
    if (referer !== undefined) http.referer = referer;
    if (agent !== undefined) http.user_agent = agent;
    let request = text.slice(rs, re);
    if (srcIp === undefined && !isDash(text, cs, ce)) {
      request = text.slice(cs, ce) + ' ' + request;
    }
    const outcome: Outcome = status === undefined ? 'unknown' : status < 400 ? 'success' : 'failure';
    const parsed: ParsedLine = { ts, kind: 'http', type: 'http_request', outcome, message: bound(request) };
    if (srcIp !== undefined) parsed.src_ip = srcIp;
    if (!isDash(text, us, ue)) parsed.user = unescapeText(text, us, ue);
    if (vhostTok === 0) {
      const vhost = text.slice(tokStart[0]!, tokEnd[0]!);
      http.vhost = vhost;
      parsed.dst = vhostHost(vhost);
    }
    parsed.http = http;
    return parsed;
  }

  /** An access line inside a syslog message (nginx `access_log syslog:`), or null when it is none. */
  function parseSyslogWrapped(text: string): ParsedLine | string | null {
    years ??= new YearTracker(ctx);
    const h = parseSyslogHeader(text, years);
    if (!h.ok) return null;
    const msg = h.header.message;
    const parsed = parseAccess(msg, msg.length);
    if (typeof parsed === 'string') return parsed;
    if (h.header.host !== undefined) parsed.host = h.header.host;
    if (h.header.program !== undefined) parsed.program = h.header.program;
    if (h.header.pid !== undefined) parsed.pid = h.header.pid;
    return parsed;
  }

  function push(text: string, line: number): ParseResult[] {
    if (text.length > MAX_LINE_CHARS) return [{ ok: false, line, reason: 'line too long' }];
    const end = text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
    if (end === 0 || (text.charCodeAt(0) <= SPACE && text.slice(0, end).trim() === '')) return [];
    let parsed = parseAccess(text, end);
    if (typeof parsed === 'string' && SYSLOG_RETRY.has(parsed)) {
      parsed = parseSyslogWrapped(end === text.length ? text : text.slice(0, end)) ?? parsed;
    }
    if (typeof parsed === 'string') return [{ ok: false, line, reason: parsed }];
    return [{ ok: true, line, parsed }];
  }

  return { format: 'access', push, end: () => [] };
}
