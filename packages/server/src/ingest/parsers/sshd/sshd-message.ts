/**
 * Classifies the message of one sshd / auth.log / secure line (after the syslog header): failed and
 * accepted logins, invalid users, refusals by policy, pre-authentication failures (handshake errors,
 * disconnects before login), PAM failures and sessions, sudo. Pure; strips ` [preauth]` and an
 * `error: `/`fatal: ` prefix, then dispatches on the first character so each line runs at most a few
 * anchored, linear-time regexes or indexOf scans.
 *
 * Failures that are no credential check carry the stage that failed in `method` (the login methods
 * sshd names are `password`, `publickey`, `keyboard-interactive[/pam]`, `hostbased`, `none`, ...):
 * - `handshake`: the client never got to authentication (no or bad identification string, no common
 *   algorithm, banner or packet errors, timeout before authentication);
 * - `preauth`: the connection ended before a login (closed, reset or disconnected in the `[preauth]`
 *   stage, the client gave up: `No supported authentication methods`, `Auth fail`);
 * - `policy`: sshd refused the user or host (AllowUsers/DenyUsers/groups, `ROOT LOGIN REFUSED`,
 *   a locked account, tcp wrappers, a change of user name).
 *
 * Sources are IP addresses (v4-mapped made v4). Where sshd writes its peer's host name (with
 * `UseDNS yes`: PAM messages, `User ... from HOST not allowed`, PAM `rhost=`), a valid DNS name is
 * kept in src_ip, lowercased: it is the only name of the source there (enrichment skips it as no IP;
 * correlation keys on it). Addresses are read from fixed positions (the end of the line, or before a
 * server-written tail) so that a user name holding ` from 10.0.0.1` cannot move the source.
 *
 * `step` tells the session tracker (sshd-session.ts) what the line means for its connection.
 */
import { isIP } from 'node:net';
import type { Outcome } from '@palisade/engine';

/**
 * What a line means for its connection:
 * - `connect`: a new connection names its source (`Connection from`);
 * - `source`: names the source and nothing else (`SSH: Server;...`, `Address ... maps to`, `Postponed`);
 * - `fail`: a failure of its own (its source may have to come from the connection);
 * - `hold`: a failed step that is no failed login by itself: a PAM failure of sshd (sshd logs its own
 *   `Failed password` for the same attempt; with stacked PAM modules a later module may succeed), a
 *   rejected public key of a valid user (clients offer several keys before the right one);
 * - `success`: a login (`Accepted`);
 * - `close`: the connection ended (`Connection closed|reset by`, `Disconnected from`);
 * - `peer_close`: the client sent a disconnect (`Received disconnect`), followed by `Disconnected from`;
 * - `kex`/`kex_end`: a `kex_exchange_identification` error (no address) and the line that ends the
 *   same connection with its address (`banner exchange: ...`, `Connection closed|reset by ...`);
 * - `too_many`/`max_tries`: `Too many authentication failures` repeats `maximum authentication
 *   attempts exceeded` when both are logged.
 */
export type SshdStep =
  | 'connect'
  | 'source'
  | 'fail'
  | 'hold'
  | 'success'
  | 'close'
  | 'peer_close'
  | 'kex'
  | 'kex_end'
  | 'too_many'
  | 'max_tries';

/** What a message says; the parser adds time, host, program and pid. */
export interface SshdFacts {
  type: string;
  outcome?: Outcome;
  user?: string;
  src_ip?: string;
  src_port?: number;
  method?: string;
  terminal?: string;
  step?: SshdStep;
  /** The line ended with ` [preauth]`: written before the client authenticated. */
  preauth?: boolean;
}

const FAILED_RE = /^Failed (\S{1,64}) for (invalid user )?/;
const ACCEPTED_RE = /^Accepted (\S{1,64}) for /;
const POSTPONED_RE = /^Postponed (\S{1,64}) for (invalid user )?/;
const FROM_RE = / from ([0-9A-Fa-f:.]{2,45})(?: port (\d{1,5}))?(?: ssh[12])?/y;
const MAX_TRIES_RE = /^maximum authentication attempts exceeded for (?:invalid user )?/;
const INVALID_RE = /^(?:Invalid|Illegal) user /;
const CLOSED_RE =
  /^(?:Connection (?:closed|reset) by|Disconnected from) (?:(authenticating |invalid )?user )?/;
const RECEIVED_RE = /^Received disconnect from ([0-9A-Fa-f:.]{2,45})(?: port (\d{1,5}))?: ?(\d{1,3}):/;
const PAM_RE = /^pam_[a-z_]{1,32}\(([^:)]{1,64}):(auth|session|account|password)\): /;
const SESSION_RE = /^session (opened|closed) for user ([^\s(]{1,128})/;
const PAM_MORE_RE = /^PAM \d{1,6} more authentication failures?; /;
const PAM_MORE_OLD_RE = /^\d{1,6} more authentication failures?; /;
/** Old Linux-PAM tags lines `SERVICE(pam_MODULE)[pid]: ...` (no `pam_unix(sshd:auth): ` in the text). */
const OLD_PAM_PROGRAM_RE = /^([^\s(]{1,64})\(pam_[a-z_]{1,32}\)$/;
const PAM_FAIL_RE = /^PAM: [Aa]uthentication (?:failure|error) for (illegal user )?/;
const PAM_UNKNOWN_RE =
  /^PAM: (?:unknown user|User not known to the underlying authentication module) for (?:(?:illegal|invalid) user )?/;
const DISCONNECTING_USER_RE =
  /^Disconnecting (?:(?:invalid|authenticating) )?user (\S{1,128}) (\S{1,45}) port (\d{1,5}): /;
const DISCONNECTING_WHO_RE = /^Disconnecting (?:(?:invalid|authenticating) )?user /;
const SSH_SERVER_RE = /^SSH: Server;Ltype: [A-Za-z]{1,16};Remote: ([0-9A-Fa-f:.]{2,45})-(\d{1,5});/;
const SUDO_RE = /^\s{0,8}(\S{1,128}) : /;
const KV_RE = /(?:^|[\s;])(rhost|user|ruser|tty)=(\S{0,255})/g;

const TOO_MANY = 'Too many authentication failures';
const CHANGE_OF_USER = 'Change of username or service not allowed';

/** The address as an IP (v4-mapped v6 made v4), or undefined if it is not one. */
export function normalizeIp(text: string): string | undefined {
  const ip = text.startsWith('::ffff:') && isIP(text.slice(7)) === 4 ? text.slice(7) : text;
  return isIP(ip) ? ip : undefined;
}

/** True for a DNS host name: labels of letters, digits and inner hyphens, 1-63 long, 253 in all. */
function isHostName(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > 253) return false;
  let label = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (label === 0 || text.charCodeAt(i - 1) === 45) return false;
      label = 0;
      continue;
    }
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum && (c !== 45 || label === 0)) return false;
    if (++label > 63) return false;
  }
  return label > 0 && text.charCodeAt(n - 1) !== 45;
}

/** An IP, or (where sshd writes host names) a host name lowercased; else undefined. */
function sourceOf(text: string, allowName: boolean): string | undefined {
  const ip = normalizeIp(text);
  if (ip !== undefined) return ip;
  return allowName && isHostName(text) ? text.toLowerCase() : undefined;
}

/**
 * Splits `HEAD IP[ port N]` from the end, so that HEAD (a user name) may hold anything.
 * Returns null when the text does not end with an address.
 */
export function tailSource(text: string): { head: string; ip: string; port?: string } | null {
  let end = text.length;
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

function withSource(f: SshdFacts, ip: string | undefined, p?: string, allowName = false): SshdFacts {
  const src = ip === undefined ? undefined : sourceOf(ip, allowName);
  if (src !== undefined) f.src_ip = src;
  const n = port(p);
  if (n !== undefined) f.src_port = n;
  return f;
}

function failure(type: string, method?: string): SshdFacts {
  const f: SshdFacts = { type, outcome: 'failure', step: 'fail' };
  if (method !== undefined) f.method = method;
  return f;
}

/**
 * Finds the source in `... for USER from IP port N[ sshN][: ...]`: the first ` from IP port N` that is
 * followed by the end or `: `, so a user name that contains ` from X port Y` (an injection attempt)
 * or a trailing `ruser from X` does not move the source.
 */
function findSource(msg: string, start: number): { at: number; ip: string; port?: string } | null {
  let at = msg.indexOf(' from ', start);
  while (at >= 0) {
    FROM_RE.lastIndex = at;
    const m = FROM_RE.exec(msg);
    if (m) {
      const end = FROM_RE.lastIndex;
      if (end === msg.length || msg.startsWith(': ', end)) return { at, ip: m[1] ?? '', port: m[2] };
    }
    at = msg.indexOf(' from ', at + 6);
  }
  return null;
}

/** `IP[ port N]` at the start of `text` (up to a space or the end), as sshd writes its peer. */
function frontSource(text: string): { ip: string; port?: string } | null {
  const sp = text.indexOf(' ');
  const ip = sp < 0 ? text : text.slice(0, sp);
  if (normalizeIp(ip) === undefined) return null;
  if (sp < 0 || !text.startsWith(' port ', sp)) return { ip };
  const end = text.indexOf(' ', sp + 6);
  return { ip, port: text.slice(sp + 6, end < 0 ? text.length : end) };
}

/** Reads `key=value` fields (rhost, user, ruser, tty) of a PAM line. */
function pamFields(msg: string): Record<string, string> {
  const out: Record<string, string> = {};
  KV_RE.lastIndex = 0;
  for (let m = KV_RE.exec(msg); m; m = KV_RE.exec(msg)) if (m[2]) out[m[1] ?? ''] = m[2];
  return out;
}

/** `Failed`/`Accepted`/`Postponed METHOD for [invalid user ]USER from IP port N ...`. */
function login(msg: string, m: RegExpExecArray, f: SshdFacts): SshdFacts | null {
  const src = findSource(msg, m[0].length - 1);
  if (!src) return null;
  f.method = m[1];
  const user = msg.slice(m[0].length, src.at);
  if (user) f.user = user;
  return withSource(f, src.ip, src.port);
}

function failed(msg: string, m: RegExpExecArray): SshdFacts | null {
  // A rejected key of a valid user is held: clients offer their keys one by one (fail2ban gh-1263).
  const held = m[1] === 'publickey' && m[2] === undefined;
  return login(msg, m, held ? { type: 'other', outcome: 'failure', step: 'hold' } : failure('auth_failure'));
}

/** The text of a PAM module (after `pam_unix(SERVICE:KIND): `) for `service`. */
function pam(service: string, kind: string | undefined, rest: string): SshdFacts {
  if (kind === 'session' || (kind === undefined && rest.startsWith('session '))) {
    const s = SESSION_RE.exec(rest);
    if (s)
      return { type: s[1] === 'opened' ? 'session_open' : 'session_close', outcome: 'success', user: s[2] };
    return { type: 'other' };
  }
  if (kind !== 'auth' && kind !== undefined) return { type: 'other' };
  if (kind === undefined && PAM_MORE_OLD_RE.test(rest)) return pamMore(rest);
  if (rest.startsWith('authentication failure;')) {
    const kv = pamFields(rest);
    const f: SshdFacts =
      service === 'sshd'
        ? { type: 'other', outcome: 'failure', step: 'hold' }
        : { type: 'auth_failure', outcome: 'failure' };
    const user = kv.user ?? kv.ruser;
    if (user) f.user = user;
    if (kv.tty) f.terminal = kv.tty;
    return withSource(f, kv.rhost, undefined, true);
  }
  return { type: 'other' };
}

/** `PAM: ...` messages of sshd's own PAM code (Solaris, macOS, BSD, older Linux). */
function pamError(msg: string): SshdFacts | null {
  const m = PAM_FAIL_RE.exec(msg);
  const unknown = m ? null : PAM_UNKNOWN_RE.exec(msg);
  if (!m && !unknown) return PAM_MORE_RE.test(msg) ? pamMore(msg) : null;
  const start = (m ?? unknown)![0].length;
  let rest = msg.slice(start);
  // macOS appends ` via LOCAL-ADDRESS`.
  const via = rest.lastIndexOf(' via ');
  if (via > 0 && normalizeIp(rest.slice(via + 5)) !== undefined) rest = rest.slice(0, via);
  const f = failure(unknown || m?.[1] ? 'invalid_user' : 'auth_failure');
  const from = rest.lastIndexOf(' from ');
  if (from < 0) {
    if (rest) f.user = rest;
    return f;
  }
  if (from > 0) f.user = rest.slice(0, from);
  return withSource(f, rest.slice(from + 6), undefined, true);
}

/** `PAM N more authentication failures; ...`: a summary of failures that were logged one by one. */
function pamMore(msg: string): SshdFacts {
  const kv = pamFields(msg);
  const f: SshdFacts = { type: 'other', outcome: 'failure' };
  if (kv.user) f.user = kv.user;
  return withSource(f, kv.rhost, undefined, true);
}

function closed(msg: string, m: RegExpExecArray, tagged: boolean): SshdFacts {
  // sshd names an `authenticating` or `invalid` user only before a login: such a close is preauth.
  const preauth = tagged || m[1] !== undefined;
  const f: SshdFacts = preauth
    ? { type: 'auth_failure', outcome: 'failure', method: 'preauth', step: 'close' }
    : { type: 'disconnect', step: 'close' };
  if (preauth) f.preauth = true;
  const src = tailSource(msg.slice(m[0].length));
  if (!src) return f;
  if (src.head) f.user = src.head;
  return withSource(f, src.ip, src.port);
}

function received(m: RegExpExecArray, preauth: boolean): SshdFacts {
  // 3: key exchange failed (jsch sends it with `Auth fail`); 14: no more authentication methods.
  const code = Number(m[3]);
  const f: SshdFacts =
    preauth || code === 3 || code === 14
      ? { type: 'auth_failure', outcome: 'failure', method: 'preauth', step: 'peer_close' }
      : { type: 'disconnect', step: 'peer_close' };
  return withSource(f, m[1], m[2]);
}

function disconnecting(msg: string, preauth: boolean): SshdFacts | null {
  if (msg.startsWith('Disconnecting: ')) {
    const reason = msg.slice(15);
    if (reason.startsWith(TOO_MANY)) {
      const f: SshdFacts = { type: 'auth_failure', outcome: 'failure', step: 'too_many' };
      if (reason.startsWith(' for ', TOO_MANY.length)) f.user = reason.slice(TOO_MANY.length + 5);
      return f;
    }
    if (reason.startsWith(CHANGE_OF_USER)) return failure('auth_failure', 'policy');
    if (reason.startsWith('bad client public DH value')) return protocolError(preauth);
    return { type: 'other' };
  }
  // OpenSSH >= 7.5: `Disconnecting [invalid |authenticating ]user USER IP port N: REASON`.
  if (msg.endsWith(`: ${TOO_MANY}`)) {
    const head = msg.slice(0, msg.length - TOO_MANY.length - 2);
    const src = tailSource(head);
    const f: SshdFacts = { type: 'auth_failure', outcome: 'failure', step: 'too_many' };
    if (!src) return f;
    const u = DISCONNECTING_WHO_RE.exec(src.head);
    if (u && src.head.length > u[0].length) f.user = src.head.slice(u[0].length);
    return withSource(f, src.ip, src.port);
  }
  const d = DISCONNECTING_USER_RE.exec(msg);
  if (d && msg.startsWith(CHANGE_OF_USER, d[0].length)) {
    const f = failure('auth_failure', 'policy');
    f.user = d[1];
    return withSource(f, d[2], d[3]);
  }
  return null;
}

/** `User USER[ from HOST] not allowed because REASON` (AllowUsers, DenyGroups, locked account ...). */
function notAllowed(msg: string): SshdFacts | null {
  const at = msg.lastIndexOf(' not allowed because ');
  if (at < 5) return null;
  const head = msg.slice(5, at);
  const f = failure('invalid_user', 'policy');
  const from = head.lastIndexOf(' from ');
  const src = from < 0 ? undefined : sourceOf(head.slice(from + 6), true);
  if (src === undefined) {
    if (head) f.user = head;
    return f;
  }
  if (from > 0) f.user = head.slice(0, from);
  f.src_ip = src;
  return f;
}

/**
 * A broken packet before login (`Corrupted MAC on input`, `Bad packet length`, a bad DH value): a
 * handshake failure; after login it may be a network fault, so it is `other`.
 */
function protocolError(preauth: boolean): SshdFacts {
  return preauth ? failure('auth_failure', 'handshake') : { type: 'other' };
}

/** A handshake failure whose source is `IP[ port N]` at `pos`, or (when absent) the connection's. */
function handshakeAt(text: string, pos: number): SshdFacts {
  const src = frontSource(text.slice(pos));
  const f = failure('auth_failure', 'handshake');
  return src ? withSource(f, src.ip, src.port) : f;
}

/** A handshake failure with `... IP[ port N]` at the end of `text`, after `lead`. */
function handshakeTail(text: string, lead: string): SshdFacts | null {
  const src = tailSource(text);
  if (!src || !src.head.endsWith(lead)) return null;
  return withSource(failure('auth_failure', 'handshake'), src.ip, src.port);
}

/** `WHO: Connection from [USER ]IP port N: REASON` of sshpkt_fatal: the address before the last `: `. */
function fatalFrom(text: string, prefix: string): SshdFacts | null {
  const colon = text.lastIndexOf(': ');
  if (!text.startsWith(prefix) || colon <= prefix.length) return null;
  const src = tailSource(text.slice(prefix.length, colon));
  const f = failure('auth_failure', 'handshake');
  return src ? withSource(f, src.ip, src.port) : f;
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

function source(ip: string | undefined, p?: string): SshdFacts {
  return withSource({ type: 'other', step: 'source' }, ip, p);
}

/** Classifies the text after the `[preauth]` and level strips; null when nothing is recognised. */
function classify(text: string, preauth: boolean): SshdFacts | null {
  let m: RegExpExecArray | null;
  switch (text.charCodeAt(0)) {
    case 70: // F
      if ((m = FAILED_RE.exec(text))) return failed(text, m);
      return null;
    case 65: // A
      if ((m = ACCEPTED_RE.exec(text)))
        return login(text, m, { type: 'auth_success', outcome: 'success', step: 'success' });
      if (text.startsWith('Address ') && text.includes(' POSSIBLE BREAK-IN ATTEMPT'))
        return source(text.slice(8, text.indexOf(' ', 8)));
      return null;
    case 66: // B
      if (text.startsWith('Bad protocol version identification '))
        return handshakeTail(text, ' from') ?? failure('auth_failure', 'handshake');
      if (text.startsWith('Bad packet length ')) return protocolError(preauth);
      return null;
    case 67: // C
    case 68: // D
      if ((m = CLOSED_RE.exec(text))) return closed(text, m, preauth);
      if (text.startsWith('Connection from ')) {
        const src = frontSource(text.slice(16));
        return withSource({ type: 'other', step: 'connect' }, src?.ip, src?.port);
      }
      if (text.startsWith('Corrupted MAC on input')) return protocolError(preauth);
      if (text.startsWith('Did not receive identification string'))
        return handshakeTail(text, ' from') ?? failure('auth_failure', 'handshake');
      if (text.startsWith('Disconnecting')) return disconnecting(text, preauth);
      return null;
    case 73: // I
      if ((m = INVALID_RE.exec(text))) {
        const rest = text.slice(m[0].length);
        const f = failure('invalid_user');
        const from = rest.lastIndexOf(' from ');
        const src = from >= 0 ? tailSource(rest.slice(from + 6)) : null;
        const user = src && src.head === '' ? rest.slice(0, from) : rest;
        if (user) f.user = user;
        return src && src.head === '' ? withSource(f, src.ip, src.port) : f;
      }
      return null;
    case 80: // P
      if ((m = POSTPONED_RE.exec(text))) return login(text, m, { type: 'other', step: 'source' });
      return pamError(text);
    case 82: // R
      if ((m = RECEIVED_RE.exec(text))) return received(m, preauth);
      if (text.startsWith('ROOT LOGIN REFUSED FROM ')) {
        const src = frontSource(text.slice(24));
        const f = failure('auth_failure', 'policy');
        f.user = 'root';
        return src ? withSource(f, src.ip, src.port) : f;
      }
      if (text.startsWith('Read from socket failed: '))
        return preauth ? failure('auth_failure', 'preauth') : { type: 'other' };
      if (text.startsWith('Read error from remote host ')) {
        const colon = text.indexOf(': ', 28);
        return source(text.slice(28, colon < 0 ? undefined : colon));
      }
      return null;
    case 83: // S
      if ((m = SSH_SERVER_RE.exec(text))) return source(m[1], m[2]);
      return null;
    case 84: // T
      if (text.startsWith('Timeout before authentication for ')) {
        const pos = text.startsWith('connection from ', 34) ? 50 : 34;
        return handshakeAt(text, pos);
      }
      return null;
    case 85: // U
      if (text.startsWith('User ')) return notAllowed(text);
      if (text.startsWith('Unable to negotiate ')) {
        if (!text.startsWith('with ', 20)) return failure('auth_failure', 'handshake');
        const colon = text.indexOf(': ', 25);
        const src = tailSource(text.slice(20, colon < 0 ? undefined : colon));
        const f = failure('auth_failure', 'handshake');
        return src && src.head === 'with' ? withSource(f, src.ip, src.port) : f;
      }
      return null;
    case 87: // W
      if (text.startsWith('Write failed: '))
        return preauth ? failure('auth_failure', 'preauth') : { type: 'other' };
      return null;
    case 98: // b
      if (text.startsWith('banner exchange: ')) {
        const f = fatalFrom(text, 'banner exchange: Connection from ');
        if (f) f.step = 'kex_end';
        return f;
      }
      return null;
    case 105: // i
      // Repeats the `Invalid user X from IP` line of the same attempt: kept as `other` so it is not counted twice.
      if (text.startsWith('input_userauth_request: invalid user ')) {
        const f: SshdFacts = { type: 'other', outcome: 'failure' };
        if (text.length > 37) f.user = text.slice(37);
        return f;
      }
      return null;
    case 107: // k
      if (text.startsWith('kex_exchange_identification: '))
        return { ...failure('auth_failure', 'handshake'), step: 'kex' };
      return null;
    case 109: // m
      if ((m = MAX_TRIES_RE.exec(text))) {
        const src = findSource(text, m[0].length - 1);
        const f: SshdFacts = { type: 'auth_failure', outcome: 'failure', step: 'max_tries' };
        const end = src ? src.at : text.lastIndexOf(' from ');
        const user = text.slice(m[0].length, end > m[0].length ? end : undefined);
        if (user) f.user = user;
        return src ? withSource(f, src.ip, src.port) : f;
      }
      return null;
    case 110: // n
      if (text.startsWith('no matching ') && text.includes(' found'))
        return failure('auth_failure', 'handshake');
      return null;
    case 112: // p
      if ((m = PAM_RE.exec(text))) return pam(m[1] ?? '', m[2], text.slice(m[0].length));
      return null;
    case 114: // r
      if (text.startsWith('refused connect from ') && text.endsWith(')')) {
        const open = text.lastIndexOf(' (');
        const f = failure('auth_failure', 'policy');
        return open > 0 ? withSource(f, text.slice(open + 2, -1)) : f;
      }
      if (text.startsWith('reverse mapping checking getaddrinfo for ')) {
        const open = text.lastIndexOf(' [');
        const close = text.indexOf(']', open);
        return open > 0 && close > open ? source(text.slice(open + 2, close)) : { type: 'other' };
      }
      return null;
    case 115: // s
      if (text.startsWith('ssh_dispatch_run_fatal: ')) {
        if (!preauth) return { type: 'other' };
        return fatalFrom(text, 'ssh_dispatch_run_fatal: Connection from ');
      }
      return null;
    default:
      return null;
  }
}

/** Classifies `msg` written by `program`; null when nothing is recognised. */
export function classifySshdMessage(program: string | undefined, msg: string): SshdFacts | null {
  if (program === 'sudo') {
    const s = sudo(msg);
    if (s) return s;
  }
  let text = msg.trimEnd();
  let preauth = false;
  if (text.endsWith(' [preauth]')) {
    preauth = true;
    text = text.slice(0, -10).trimEnd();
  }
  if (text.startsWith('error: ') || text.startsWith('fatal: ')) text = text.slice(7);
  const old = program === undefined ? null : OLD_PAM_PROGRAM_RE.exec(program);
  const f = old ? pam(old[1] ?? '', undefined, text) : classify(text, preauth);
  if (f && preauth) f.preauth = true;
  return f;
}
