/**
 * The `sshd` LineParser: reads sshd / auth.log / secure lines (RFC 3164 or RFC 5424 syslog) into
 * ParsedLine records of kind `auth`. Recognised messages get their type (auth_failure, invalid_user,
 * auth_success, disconnect, session_open/close, sudo); other well-formed lines are `other`; lines
 * without a syslog header and a program are rejected with the reason.
 * `message repeated N times: [ MSG ]` is read as MSG and yields min(N, 100) results with the same
 * line number, so attempt counts stay right. Solaris `[ID N facility.level]` and journal
 * `kernel: [ uptime]` prefixes are skipped.
 *
 * Stateful: lines of one sshd connection (host and pid) are read together (sshd-session.ts), so a
 * line may return, before its own record, failures that it settles for earlier lines of the
 * connection. Logins and PAM sessions get `program[pid]` as terminal when they name none, the key
 * the correlator pairs them by.
 */
import { YearTracker, checkTimeZone } from '../time.js';
import { parseSyslogHeader } from '../syslog/syslog-header.js';
import { MAX_LINE_CHARS, MAX_MESSAGE_CHARS } from '../types.js';
import type { LineParser, ParseContext, ParsedLine, ParseResult } from '../types.js';
import { classifySshdMessage } from './sshd-message.js';
import { SshdSessions } from './sshd-session.js';

/** Most results one `message repeated N times` line expands to. */
export const MAX_REPEAT = 100;

const REPEATED_RE = /^message repeated (\d{1,9}) times: \[ ?/;
const SOLARIS_ID_RE = /^\[ID \d{1,12} [a-z0-9.]{1,32}\] /;
const KERNEL_RE = /^kernel: ?\[ {0,12}\d{1,12}\.\d{1,9}\]:? /;
const SESSION_TYPES = new Set(['auth_success', 'session_open', 'session_close']);

export function createSshdParser(ctx: ParseContext): LineParser {
  const years = new YearTracker(ctx);
  checkTimeZone(years.timeZone);
  const sessions = new SshdSessions();

  function parseLine(raw: string, line: number): ParseResult[] {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.length > MAX_LINE_CHARS) return [{ ok: false, line, reason: 'line too long' }];
    const h = parseSyslogHeader(text, years);
    if (!h.ok) return [{ ok: false, line, reason: h.reason }];
    const { header } = h;
    if (header.program === undefined) return [{ ok: false, line, reason: 'no program tag' }];
    let msg = header.message;
    let repeat = 1;
    const rep = REPEATED_RE.exec(msg);
    if (rep && msg.endsWith(']')) {
      repeat = Math.min(Math.max(Number(rep[1]), 1), MAX_REPEAT);
      msg = msg.slice(rep[0].length, msg.endsWith(' ]') ? -2 : -1);
    }
    const id = SOLARIS_ID_RE.exec(msg) ?? KERNEL_RE.exec(msg);
    if (id) msg = msg.slice(id[0].length);
    const { step, preauth, ...facts } = classifySshdMessage(header.program, msg) ?? { type: 'other' };
    const parsed: ParsedLine = {
      ts: header.ts,
      kind: 'auth',
      type: 'other',
      program: header.program,
      message: msg.length > MAX_MESSAGE_CHARS ? msg.slice(0, MAX_MESSAGE_CHARS) : msg,
    };
    if (header.host !== undefined) parsed.host = header.host;
    if (header.pid !== undefined) parsed.pid = header.pid;
    Object.assign(parsed, facts);
    const out: ParseResult[] = [];
    for (let i = 0; i < repeat; i++) {
      for (const p of sessions.apply({ ...parsed }, step, preauth === true)) {
        if (SESSION_TYPES.has(p.type) && p.terminal === undefined && p.pid !== undefined)
          p.terminal = `${p.program}[${p.pid}]`;
        out.push({ ok: true, line, parsed: p });
      }
    }
    return out;
  }

  return {
    format: 'sshd',
    push: parseLine,
    end: () => [],
  };
}
