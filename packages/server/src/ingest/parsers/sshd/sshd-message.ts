/**
 * Classifies the message of one sshd / auth.log / secure line (after the syslog header): failed and
 * accepted logins, invalid users, disconnects, PAM failures and sessions, sudo. Pure; dispatches on
 * the first word so each line runs at most a few anchored, linear-time regexes.
 */
import { isIP } from 'node:net';
import type { Outcome } from '@palisade/engine';

/** What a message says; the parser adds time, host, program and pid. */
export interface SshdFacts {
  type: string;
  outcome?: Outcome;
  user?: string;
  src_ip?: string;
  src_port?: number;
  method?: string;
  terminal?: string;
}

const FAILED_RE = /^Failed (\S{1,64}) for (invalid user )?/;
const ACCEPTED_RE = /^Accepted (\S{1,64}) for /;
const FROM_RE = / from ([0-9A-Fa-f:.]{2,45})(?: port (\d{1,5}))?(?: ssh[12])?/y;
const INVALID_RE = /^(?:Invalid|Illegal) user /;
const CLOSED_RE = /^(?:Connection closed by|Disconnected from) (?:(authenticating |invalid )?user )?/;
const RECEIVED_RE = /^(?:error: )?Received disconnect from ([0-9A-Fa-f:.]{2,45})(?: port (\d{1,5}))?:/;
const PAM_RE = /^pam_[a-z_]{1,32}\(([^:)]{1,64}):(auth|session|account|password)\): /;
const SESSION_RE = /^session (opened|closed) for user ([^\s(]{1,128})/;
const MAX_EXCEEDED_RE = /^error: maximum authentication attempts exceeded for (invalid user )?/;
const PAM_ERROR_RE = /^error: PAM: [Aa]uthentication (?:failure|error) for (illegal user )?/;
const PAM_UNKNOWN_RE =
  /^error: PAM: (?:unknown user|User not known to the underlying authentication module) for (?:illegal|invalid) user /;
const PAM_MORE_RE = /^PAM \d{1,6} more authentication failures?; /;
const NOT_ALLOWED_RE = /^User (\S{1,128}) from ([0-9A-Fa-f:.]{2,45}) not allowed because/;
const ROOT_REFUSED_RE = /^ROOT LOGIN REFUSED FROM ([0-9A-Fa-f:.]{2,45})/;
const USERAUTH_INVALID_RE = /^input_userauth_request: invalid user (\S{1,128})/;
const TOO_MANY_RE =
  /^Disconnecting(?: invalid user| authenticating user)?:? Too many authentication failures for (\S{1,128})/;
const SUDO_RE = /^\s{0,8}(\S{1,128}) : /;
const KV_RE = /(?:^|[\s;])(rhost|user|ruser|tty)=(\S{0,255})/g;

/** The address as an IP (v4-mapped v6 made v4), or undefined if it is not one. */
export function normalizeIp(text: string): string | undefined {
  const ip = text.startsWith('::ffff:') && isIP(text.slice(7)) === 4 ? text.slice(7) : text;
  return isIP(ip) ? ip : undefined;
}

/**
 * Splits `HEAD IP[ port N][ [preauth]]` from the end, so that HEAD (a user name) may hold anything.
 * Returns null when the text does not end with an address.
 */
export function tailSource(text: string): { head: string; ip: string; port?: string } | null {
  let end = text.endsWith(' [preauth]') ? text.length - 10 : text.length;
  let sp = text.lastIndexOf(' ', end - 1);
  let portText: string | undefined;
  if (sp > 0 && text.startsWith(' port ', sp - 5)) {
    portText = text.slice(sp + 1, end);
    end = sp - 5;
    sp = text.lastIndexOf(' ', end - 1);
  }
  const ip = text.slice(sp + 1, end);
  if (normalizeIp(ip) === undefined) return null;
  return { head: sp < 0 ? '' : text.slice(0, sp), ip, port: portText };
}

function port(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return n > 0 && n < 65536 ? n : undefined;
}

function withSource(f: SshdFacts, ip: string | undefined, p: string | undefined): SshdFacts {
  const src = ip === undefined ? undefined : normalizeIp(ip);
  if (src !== undefined) f.src_ip = src;
  const n = port(p);
  if (n !== undefined) f.src_port = n;
  return f;
}

/**
 * Finds the source in `... for USER from IP port N[ sshN][: ...]`: the first ` from IP port N` that is
 * followed by the end, `: ` or ` [preauth]`, so a user name that contains ` from X port Y` (an
 * injection attempt) or a trailing `ruser from X` does not move the source.
 */
function findSource(msg: string, start: number): { at: number; ip: string; port?: string } | null {
  let at = msg.indexOf(' from ', start);
  while (at >= 0) {
    FROM_RE.lastIndex = at;
    const m = FROM_RE.exec(msg);
    if (m) {
      const end = FROM_RE.lastIndex;
      if (end === msg.length || msg.startsWith(': ', end) || msg.startsWith(' [preauth]', end))
        return { at, ip: m[1] ?? '', port: m[2] };
    }
    at = msg.indexOf(' from ', at + 6);
  }
  return null;
}

/** Reads `key=value` fields (rhost, user, ruser, tty) of a PAM line. */
function pamFields(msg: string): Record<string, string> {
  const out: Record<string, string> = {};
  KV_RE.lastIndex = 0;
  for (let m = KV_RE.exec(msg); m; m = KV_RE.exec(msg)) if (m[2]) out[m[1] ?? ''] = m[2];
  return out;
}

function failedLogin(msg: string, m: RegExpExecArray, type: string): SshdFacts | null {
  const src = findSource(msg, m[0].length - 1);
  if (!src) return null;
  const f: SshdFacts = { type, outcome: type === 'auth_success' ? 'success' : 'failure', method: m[1] };
  const user = msg.slice(m[0].length, src.at);
  if (user) f.user = user;
  return withSource(f, src.ip, src.port);
}

function pam(msg: string, m: RegExpExecArray): SshdFacts {
  const rest = msg.slice(m[0].length);
  if (m[2] === 'session') {
    const s = SESSION_RE.exec(rest);
    if (s)
      return { type: s[1] === 'opened' ? 'session_open' : 'session_close', outcome: 'success', user: s[2] };
    return { type: 'other' };
  }
  if (m[2] === 'auth' && rest.startsWith('authentication failure;')) {
    const kv = pamFields(rest);
    const f: SshdFacts = { type: 'auth_failure', outcome: 'failure' };
    const user = kv.user ?? kv.ruser;
    if (user) f.user = user;
    if (kv.tty) f.terminal = kv.tty;
    return withSource(f, kv.rhost, undefined);
  }
  return { type: 'other' };
}

function sudo(msg: string): SshdFacts | null {
  const m = SUDO_RE.exec(msg);
  if (!m) return null;
  const rest = msg.slice(m[0].length);
  const f: SshdFacts = { type: 'sudo', user: m[1] };
  const tty = rest.indexOf('TTY=');
  const ttyEnd = tty < 0 ? -1 : rest.indexOf(' ;', tty);
  if (ttyEnd > tty + 4 && ttyEnd - tty <= 68) f.terminal = rest.slice(tty + 4, ttyEnd);
  f.outcome = rest.startsWith('TTY=') ? 'success' : 'failure';
  if (rest.includes('incorrect password attempt')) f.type = 'auth_failure';
  return f;
}

/** Classifies `msg` written by `program`; null when nothing is recognised. */
export function classifySshdMessage(program: string | undefined, msg: string): SshdFacts | null {
  if (program === 'sudo') {
    const s = sudo(msg);
    if (s) return s;
  }
  let m: RegExpExecArray | null;
  switch (msg.charCodeAt(0)) {
    case 70: // F
      if ((m = FAILED_RE.exec(msg))) return failedLogin(msg, m, 'auth_failure');
      return null;
    case 65: // A
      if ((m = ACCEPTED_RE.exec(msg))) return failedLogin(msg, m, 'auth_success');
      return null;
    case 73: // I
      if ((m = INVALID_RE.exec(msg))) {
        const rest = msg.slice(m[0].length);
        const f: SshdFacts = { type: 'invalid_user', outcome: 'failure' };
        const from = rest.lastIndexOf(' from ');
        const src = from >= 0 ? tailSource(rest.slice(from + 6)) : null;
        const user = src && src.head === '' ? rest.slice(0, from) : rest;
        if (user) f.user = user;
        return src && src.head === '' ? withSource(f, src.ip, src.port) : f;
      }
      return null;
    case 67: // C
    case 68: // D
      if ((m = CLOSED_RE.exec(msg))) {
        const src = tailSource(msg.slice(m[0].length));
        if (!src) return { type: 'disconnect' };
        const f: SshdFacts = { type: 'disconnect' };
        if (m[1] !== undefined) f.outcome = 'failure';
        if (src.head) f.user = src.head;
        return withSource(f, src.ip, src.port);
      }
      if ((m = TOO_MANY_RE.exec(msg))) return { type: 'disconnect', outcome: 'failure', user: m[1] };
      return null;
    case 82: // R
      if ((m = RECEIVED_RE.exec(msg))) return withSource({ type: 'disconnect' }, m[1], m[2]);
      if ((m = ROOT_REFUSED_RE.exec(msg)))
        return withSource({ type: 'auth_failure', outcome: 'failure', user: 'root' }, m[1], undefined);
      return null;
    case 101: // e
      if ((m = RECEIVED_RE.exec(msg))) return withSource({ type: 'disconnect' }, m[1], m[2]);
      if ((m = MAX_EXCEEDED_RE.exec(msg))) return failedLogin(msg, m, 'auth_failure');
      if ((m = PAM_UNKNOWN_RE.exec(msg))) {
        const from = msg.lastIndexOf(' from ');
        const f: SshdFacts = { type: 'invalid_user', outcome: 'failure' };
        if (from > m[0].length) f.user = msg.slice(m[0].length, from);
        return from > 0 ? withSource(f, msg.slice(from + 6), undefined) : f;
      }
      if ((m = PAM_ERROR_RE.exec(msg))) {
        const rest = msg.slice(m[0].length);
        const from = / from ([0-9A-Fa-f:.]{2,45})/.exec(rest);
        const f: SshdFacts = {
          type: 'auth_failure',
          outcome: 'failure',
          user: from ? rest.slice(0, from.index) : rest,
        };
        return from ? withSource(f, from[1], undefined) : f;
      }
      return null;
    case 112: // p
      if ((m = PAM_RE.exec(msg))) return pam(msg, m);
      return null;
    case 80: // P
      if (PAM_MORE_RE.test(msg)) {
        const kv = pamFields(msg);
        const f: SshdFacts = { type: 'auth_failure', outcome: 'failure' };
        if (kv.user) f.user = kv.user;
        return withSource(f, kv.rhost, undefined);
      }
      return null;
    case 85: // U
      if ((m = NOT_ALLOWED_RE.exec(msg)))
        return withSource({ type: 'invalid_user', outcome: 'failure', user: m[1] }, m[2], undefined);
      return null;
    case 105: // i
      // Repeats the `Invalid user X from IP` line of the same attempt: kept as `other` so it is not counted twice.
      if ((m = USERAUTH_INVALID_RE.exec(msg))) return { type: 'other', outcome: 'failure', user: m[1] };
      return null;
    default:
      return null;
  }
}
