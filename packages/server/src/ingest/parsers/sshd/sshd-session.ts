/**
 * The connection memory of the sshd parser. sshd writes one connection over several lines of one
 * process (host and pid), and some lines only mean something with the others (the attribution follows
 * fail2ban's sshd filter in its `aggressive` mode):
 * - Source: a line without the client's address (`Too many authentication failures`, `Read from
 *   socket failed`, `kex_exchange_identification`, PAM session lines) takes the address an earlier
 *   line of the connection named (`Connection from`, `Invalid user`, ...).
 * - Pending: a failure whose address is not known yet is reported as `other` (outcome failure) and
 *   counted as a failure on the first later line of its connection that names the address.
 * - Held: a step that is no failed login by itself (a PAM failure of sshd, a rejected key of a valid
 *   user) is reported as `other` (outcome failure) and settled by what follows: sshd's own `Failed
 *   password` for the same attempt takes its place; a login of the same user forgets it (stacked PAM
 *   modules, several keys offered); it is counted as a failure when the connection moves on to another
 *   user name, logs in as another user, reaches too many failures, or ends.
 * - Pairs that are one event count once: `Received disconnect` then `Disconnected from`; `maximum
 *   authentication attempts exceeded` then `Too many authentication failures`; a
 *   `kex_exchange_identification` error then the `banner exchange`/`Connection closed` line that gives
 *   its address.
 * A failure counted on a later line is an extra record of that line (before the line's own record)
 * with the time, user, method and message of the line that logged it.
 *
 * Bounded: MAX_SESSIONS connections (the least recently seen is forgotten, its held and pending steps
 * with it: their lines stay stored as `other`), MAX_STEPS held and MAX_STEPS pending steps each (one
 * more held step counts the oldest as a failure; one more pending step drops the oldest), messages
 * kept to MAX_STEP_MESSAGE characters. Steps still held or pending at the end of input are dropped:
 * their outcome is unknown.
 */
import { isIP } from 'node:net';
import type { ParsedLine } from '../types.js';
import type { SshdStep } from './sshd-message.js';

/** Most connections remembered at once. */
export const MAX_SESSIONS = 4096;
/** Most held (and most pending) steps per connection; sshd's MaxAuthTries is 6 by default. */
export const MAX_STEPS = 8;
/** Longest message kept for a step counted later. */
export const MAX_STEP_MESSAGE = 512;

/** A logged step whose failure is counted later. */
interface Step {
  ts: number;
  type: string;
  user?: string;
  method?: string;
  src?: string;
  port?: number;
  /** Held by a PAM failure (replaced by sshd's own `Failed password|keyboard-interactive` line). */
  pam: boolean;
  message: string;
}

interface Session {
  src?: string;
  port?: number;
  held: Step[];
  pending: Step[];
  /** A `kex_exchange_identification` error waits for the line that ends the connection. */
  kex?: 'counted' | 'pending';
  /** A preauth `Received disconnect` was counted; the `Disconnected from` after it is the same event. */
  peerClosed?: boolean;
  /** `maximum authentication attempts exceeded` was counted; `Too many authentication failures` repeats it. */
  maxTries?: boolean;
}

function stepOf(p: ParsedLine, pam: boolean): Step {
  const s: Step = {
    ts: p.ts,
    type: p.type,
    pam,
    message: p.message.length > MAX_STEP_MESSAGE ? p.message.slice(0, MAX_STEP_MESSAGE) : p.message,
  };
  if (p.user !== undefined) s.user = p.user;
  if (p.method !== undefined) s.method = p.method;
  if (p.src_ip !== undefined) s.src = p.src_ip;
  if (p.src_port !== undefined) s.port = p.src_port;
  return s;
}

/** True for methods whose failure sshd logs after PAM's (`password`, `keyboard-interactive[/pam]`). */
const isPamMethod = (m: string | undefined): boolean =>
  m === 'password' || (m !== undefined && m.startsWith('keyboard-interactive'));

/** Remembers sshd connections and settles the lines that depend on each other (see the file comment). */
export class SshdSessions {
  private readonly sessions = new Map<string, Session>();

  /** Connections remembered now. */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Applies `own` (the line's record, as classified alone; changed in place) to its connection and
   * returns the line's records: failures this line settles, then `own`.
   */
  apply(own: ParsedLine, step: SshdStep | undefined, preauth: boolean): ParsedLine[] {
    if (own.pid === undefined || own.program === undefined || !own.program.startsWith('sshd')) return [own];
    const key = `${own.host ?? ''}\u0000${own.pid}`;
    let s = step === 'connect' ? undefined : this.touch(key);
    if (s === undefined) {
      if (step === undefined && own.src_ip === undefined) return [own];
      s = { held: [], pending: [] };
      this.put(key, s);
    }
    const out: ParsedLine[] = [];
    if (own.src_ip !== undefined) {
      // A host name never replaces a known IP (sshd names the same peer both ways).
      if (s.src === undefined || isIP(own.src_ip) !== 0) {
        s.src = own.src_ip;
        s.port = own.src_port;
      }
    } else if (s.src !== undefined) {
      own.src_ip = s.src;
      if (s.port !== undefined) own.src_port = s.port;
    }
    if (s.src !== undefined && s.pending.length > 0) {
      for (const p of s.pending) out.push(this.record(own, p, s));
      s.pending = [];
    }
    switch (step) {
      case 'fail':
        if (isPamMethod(own.method)) this.consumePam(s, own.user);
        this.switchUser(own, s, out);
        this.requireSource(own, s);
        break;
      case 'max_tries':
        s.maxTries = true;
        this.releaseHeld(own, s, out);
        this.requireSource(own, s);
        break;
      case 'too_many':
        if (s.maxTries) {
          own.type = 'disconnect';
          break;
        }
        this.releaseHeld(own, s, out);
        this.requireSource(own, s);
        break;
      case 'hold':
        this.switchUser(own, s, out);
        if (s.held.length >= MAX_STEPS) out.push(this.record(own, s.held.shift()!, s));
        // PAM failures carry no method; a held `Failed publickey` does.
        s.held.push({ ...stepOf(own, own.method === undefined), type: 'auth_failure' });
        break;
      case 'success':
        for (const h of s.held) if (h.user !== own.user) out.push(this.record(own, h, s));
        s.held = [];
        break;
      case 'close':
        if (s.kex === 'pending')
          Object.assign(own, { type: 'auth_failure', outcome: 'failure', method: 'handshake' });
        else if (s.kex === 'counted' || (preauth && s.peerClosed === true)) own.type = 'disconnect';
        this.releaseHeld(own, s, out);
        this.sessions.delete(key);
        break;
      case 'peer_close':
        if (own.type === 'auth_failure') s.peerClosed = true;
        this.releaseHeld(own, s, out);
        break;
      case 'kex':
        if (own.src_ip === undefined) {
          own.type = 'other';
          s.kex = 'pending';
        } else s.kex = 'counted';
        break;
      case 'kex_end':
        if (s.kex === 'counted') own.type = 'other';
        s.kex = undefined;
        break;
      default:
        break;
    }
    out.push(own);
    return out;
  }

  private touch(key: string): Session | undefined {
    const s = this.sessions.get(key);
    if (s !== undefined) {
      this.sessions.delete(key);
      this.sessions.set(key, s);
    }
    return s;
  }

  private put(key: string, s: Session): void {
    this.sessions.delete(key);
    this.sessions.set(key, s);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }

  /** A failure without an address waits for one: `own` becomes `other` until a later line names it. */
  private requireSource(own: ParsedLine, s: Session): void {
    if (own.src_ip !== undefined) return;
    if (s.pending.length >= MAX_STEPS) s.pending.shift();
    s.pending.push(stepOf(own, false));
    own.type = 'other';
  }

  /** sshd's `Failed password for USER` line is the same attempt as the PAM failure held before it. */
  private consumePam(s: Session, user: string | undefined): void {
    const i = s.held.findIndex((h) => h.pam && (h.user === undefined || h.user === user));
    if (i >= 0) s.held.splice(i, 1);
  }

  /** The connection tries another user name: held steps of other users were failures. */
  private switchUser(own: ParsedLine, s: Session, out: ParsedLine[]): void {
    if (own.user === undefined) return;
    const keep: Step[] = [];
    for (const h of s.held) {
      if (h.user !== undefined && h.user !== own.user) out.push(this.record(own, h, s));
      else keep.push(h);
    }
    s.held = keep;
  }

  private releaseHeld(own: ParsedLine, s: Session, out: ParsedLine[]): void {
    for (const h of s.held) out.push(this.record(own, h, s));
    s.held = [];
  }

  /** The record of a step counted on the line `own`. */
  private record(own: ParsedLine, step: Step, s: Session): ParsedLine {
    const r: ParsedLine = {
      ts: step.ts,
      kind: 'auth',
      type: step.type,
      outcome: 'failure',
      program: own.program,
      message: step.message,
    };
    if (own.host !== undefined) r.host = own.host;
    if (own.pid !== undefined) r.pid = own.pid;
    const src = step.src ?? s.src;
    if (src !== undefined) r.src_ip = src;
    const port = step.src !== undefined ? step.port : s.port;
    if (port !== undefined) r.src_port = port;
    if (step.user !== undefined) r.user = step.user;
    if (step.method !== undefined) r.method = step.method;
    return r;
  }
}
