/**
 * The contract of every log parser (issue "Logs and correlation"): a parser turns lines into
 * ParsedLine records or counted rejections with a reason. Parsers are pure of I/O; they may keep
 * state across lines (auditd groups the records of one event by serial; year inference remembers the
 * last timestamp). The ingest layer turns ParsedLine into SecurityEvent (web requests through the engine).
 */
import type { AuditInfo, EventKind, Outcome } from '@palisade/engine';

export interface ParseContext {
  /** IANA zone for timestamps without an offset (syslog 3164, auth.log); default 'UTC'. */
  timeZone?: string;
  /** For year-less timestamps: the year to start from (default: the year of `now`). */
  year?: number;
  /** Epoch ms "now" (injected; a fake clock in tests). */
  now: number;
}

/** What a line (or a group of lines) says, in a shape every parser shares. */
export interface ParsedLine {
  /** Event time, epoch ms. */
  ts: number;
  kind: EventKind;
  /**
   * What happened, from a fixed vocabulary: `http_request`, `auth_failure`, `auth_success`,
   * `invalid_user`, `session_open`, `session_close`, `disconnect`, `sudo`, `user_add`, `user_del`,
   * `password_change`, `config_change`, `exec`, `netfilter_packet`, `other`.
   */
  type: string;
  outcome?: Outcome;
  user?: string;
  src_ip?: string;
  src_port?: number;
  /** Destination (host or ip) when the line names one (netfilter, web vhost). */
  dst?: string;
  /** The host that wrote the line (syslog hostname). */
  host?: string;
  program?: string;
  pid?: number;
  /**
   * Login method: `password`, `publickey`, `keyboard-interactive`, ...; for sshd failures before any
   * method was tried, the stage that failed: `handshake` (never reached authentication), `preauth`
   * (the connection ended before login), `policy` (sshd refused the user or host).
   */
  method?: string;
  /** Terminal or session (auditd `terminal`/`ses`, sshd port). */
  terminal?: string;
  http?: {
    method: string;
    /** The request-target as logged (percent-encoded). */
    target: string;
    protocol?: string;
    status?: number;
    bytes?: number;
    referer?: string;
    user_agent?: string;
    vhost?: string;
  };
  /** auditd facts (record types, rule key, process, paths). */
  audit?: AuditInfo;
  /** A short readable message (the log text after the header). Bounded to 2 KiB. */
  message: string;
}

export type ParseResult =
  { ok: true; line: number; parsed: ParsedLine } | { ok: false; line: number; reason: string };

export interface LineParser {
  /** The format's name (`nginx`, `sshd`, `auditd`, ...). */
  readonly format: string;
  /** Feeds one line (without its newline), numbered from 1. Returns what became complete. */
  push(text: string, line: number): ParseResult[];
  /** End of input: flushes what is still grouped. */
  end(): ParseResult[];
}

/** Longest line a parser accepts; longer ones are rejected with a reason. */
export const MAX_LINE_CHARS = 64 * 1024;
export const MAX_MESSAGE_CHARS = 2048;
