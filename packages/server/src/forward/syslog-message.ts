/**
 * RFC 5424 syslog messages and their TCP framing (RFC 6587): octet counting (`LEN SP MSG`) or
 * non-transparent framing (MSG LF). Header fields are printable US-ASCII within their RFC lengths;
 * the message body is UTF-8, cut to a byte bound without splitting a character.
 */
import { hostname } from 'node:os';
import type { Severity } from '@palisade/engine';

/** Syslog severity of ours: critical 2 (crit), high 3 (err), medium 4 (warning), low 5 (notice), info 6. */
export const SYSLOG_SEVERITY: Readonly<Record<Severity, number>> = {
  critical: 2,
  high: 3,
  medium: 4,
  low: 5,
  info: 6,
};

/** A header field: printable ASCII without spaces, at most `max` characters; `-` when empty. */
function headerField(v: string | undefined, max: number): string {
  const s = (v ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return s === '' ? '-' : s;
}

let host: string | undefined;
const localHost = (): string => (host ??= headerField(hostname(), 255));

export interface SyslogMessage {
  facility: number;
  severity: number;
  /** Epoch ms of the message. */
  time: number;
  msgId: string;
  msg: string;
  appName?: string;
  hostname?: string;
  procId?: string;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, on a character boundary. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const b = Buffer.from(text, 'utf8');
  let end = maxBytes;
  // Back off over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}

/**
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` (no structured data), with the message
 * cut so the whole line stays within `maxBytes`.
 */
export function formatSyslog(m: SyslogMessage, maxBytes: number): string {
  const pri = m.facility * 8 + m.severity;
  const head =
    `<${pri}>1 ${new Date(m.time).toISOString()} ${headerField(m.hostname ?? localHost(), 255)} ` +
    `${headerField(m.appName ?? 'palisade', 48)} ${headerField(m.procId ?? String(process.pid), 128)} ` +
    `${headerField(m.msgId, 32)} - `;
  let msg = cutUtf8(m.msg, Math.max(0, maxBytes - Buffer.byteLength(head)));
  // A cut inside a CEF escape would leave a lone backslash escaping nothing.
  if (msg.length < m.msg.length) {
    let n = 0;
    while (n < msg.length && msg.charCodeAt(msg.length - 1 - n) === 0x5c) n++;
    if (n % 2 === 1) msg = msg.slice(0, -1);
  }
  return head + msg;
}

export type TcpFraming = 'octet-counting' | 'newline';

/** One message framed for a TCP stream. */
export function frameSyslog(message: string, framing: TcpFraming): Buffer {
  if (framing === 'newline') return Buffer.from(`${message.replace(/[\r\n]/g, ' ')}\n`, 'utf8');
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
