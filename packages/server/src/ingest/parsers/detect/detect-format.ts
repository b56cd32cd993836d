/**
 * Guesses the format of a log from its first lines, so that an upload or a new file can be parsed
 * without the user naming the format. Each line gets one cheap signature: an auditd record
 * (`type=T msg=audit(`, raw, `node=`-prefixed or inside a syslog line), an access-log line
 * (`host ident user [dd/Mon/yyyy:HH:MM:SS +zzzz] "`, with an optional vhost first or no ident, raw or
 * inside a syslog line), a JSON object, or a syslog line (RFC 3164/5424 header with a program), which counts
 * as an auth line when its program is sshd/sudo/su/login or its message is from PAM. The format whose
 * signature most lines carry wins; among syslog lines, auth lines in at least half make it `sshd`.
 */
import { YearTracker } from '../time.js';
import { parseSyslogHeader } from '../syslog/syslog-header.js';
import { MAX_LINE_CHARS } from '../types.js';

/** The parser formats detectFormat can name. */
export type DetectedFormat = 'access' | 'sshd' | 'auditd' | 'jsonl' | 'syslog';

export interface Detection {
  format: DetectedFormat;
  /** Share of the examined lines that the chosen format's signature matched, in (0, 1]. */
  confidence: number;
}

/** Non-empty lines examined from the start of the sample. */
export const DETECT_SAMPLE_LINES = 50;

/** A fixed "now" for the header reader: detection keeps no timestamps, so no clock is needed. */
const DETECT_NOW = Date.UTC(2100, 0, 1);
/** Programs whose syslog lines the sshd parser classifies (`sshd(pam_unix)` is cut at the parenthesis). */
const AUTH_PROGRAMS = new Set(['sshd', 'sshd-session', 'sshd-auth', 'sudo', 'su', 'login']);
/** `[vhost ]client[ ident] user [dd/Mon/yyyy:HH:MM:SS[ +zzzz]] "`: the lines the access parser reads. */
const ACCESS_RE =
  /^(?:[^\s"[]{1,255} ){2,4}\[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?\] "/;

type LineClass = 'auditd' | 'access' | 'jsonl' | 'auth' | 'syslog' | null;

function isUpperType(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > 64) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

/** `[node=N ]type=T msg=audit(D` at the start of `text`. */
function isAuditRecord(text: string): boolean {
  let pos = 0;
  if (text.startsWith('node=')) {
    pos = text.indexOf(' ') + 1;
    if (pos === 0 || pos > 260) return false;
  }
  if (!text.startsWith('type=', pos)) return false;
  const sp = text.indexOf(' ', pos + 5);
  if (!isUpperType(text, pos + 5, sp) || !text.startsWith(' msg=audit(', sp)) return false;
  const d = text.charCodeAt(sp + 11);
  return d >= 48 && d <= 57;
}

function isJsonObjectLine(text: string): boolean {
  const t = text.trim();
  if (t.charCodeAt(0) !== 123 || t.charCodeAt(t.length - 1) !== 125) return false;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function classifyLine(text: string, years: YearTracker): LineClass {
  if (text.length > MAX_LINE_CHARS) return null;
  if (isAuditRecord(text)) return 'auditd';
  if (ACCESS_RE.test(text)) return 'access';
  if (isJsonObjectLine(text)) return 'jsonl';
  const h = parseSyslogHeader(text, years);
  if (!h.ok) return null;
  const { program, message, format } = h.header;
  if (isAuditRecord(message)) return 'auditd';
  if (ACCESS_RE.test(message)) return 'access';
  if (program === undefined) return format === 'rfc5424' ? 'syslog' : null;
  const paren = program.indexOf('(');
  const base = paren > 0 ? program.slice(0, paren) : program;
  if (AUTH_PROGRAMS.has(base) || program.includes('(pam_')) return 'auth';
  if (message.startsWith('pam_') || message.startsWith('(pam_')) return 'auth';
  return 'syslog';
}

/**
 * The likely format of a log from its first DETECT_SAMPLE_LINES non-empty lines, or null when no line
 * carries a known signature. `detectFormat(['{"@timestamp":"2026-11-22T04:51:47Z"}'])` is
 * `{ format: 'jsonl', confidence: 1 }`.
 */
export function detectFormat(sample: readonly string[]): Detection | null {
  const years = new YearTracker({ now: DETECT_NOW, timeZone: 'UTC' });
  const counts = { auditd: 0, access: 0, jsonl: 0, auth: 0, syslog: 0 };
  let examined = 0;
  for (const raw of sample) {
    if (examined >= DETECT_SAMPLE_LINES) break;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') continue;
    examined++;
    const c = classifyLine(text, years);
    if (c !== null) counts[c]++;
  }
  const syslogLines = counts.auth + counts.syslog;
  let best: DetectedFormat | null = null;
  let bestCount = 0;
  for (const [format, n] of [
    ['auditd', counts.auditd],
    ['access', counts.access],
    ['jsonl', counts.jsonl],
    [counts.auth >= counts.syslog ? 'sshd' : 'syslog', syslogLines],
  ] as const) {
    if (n > bestCount) {
      best = format;
      bestCount = n;
    }
  }
  return best === null ? null : { format: best, confidence: bestCount / examined };
}
