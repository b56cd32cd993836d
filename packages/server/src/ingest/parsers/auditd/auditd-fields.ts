/**
 * Hand-written scanning of auditd `key=value` text (no per-field regex): values may be double-quoted,
 * single-quoted (the nested `msg='...'` of user-space records, scanned into the same map) or bare.
 * Bare values of string fields may be hex-encoded (auditd encodes strings with spaces, quotes or
 * control characters that way); `decodeAuditString` undoes it.
 */

/** Fields of one record, by name; a later field of the same name wins. */
export type AuditFields = Map<string, string>;

/** Most fields kept from one record; the rest are ignored (a line is bounded to 64 KiB anyway). */
export const MAX_FIELDS = 512;

const SPACE = 32;
const EQUALS = 61;
const DQUOTE = 34;
const SQUOTE = 39;

/**
 * Scans `text[start, end)` into `out`. Tokens without `=` (AVC's `avc:  denied  { read } for`) are
 * skipped. Double-quoted values keep their opening quote (not the closing one) so `auditText` can
 * tell them from hex; an unterminated quote runs to `end`.
 */
export function scanAuditFields(text: string, start: number, end: number, out: AuditFields): void {
  let i = start;
  while (i < end && out.size < MAX_FIELDS) {
    while (i < end && text.charCodeAt(i) === SPACE) i++;
    const keyStart = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === EQUALS || c === SPACE) break;
      i++;
    }
    if (i >= end || text.charCodeAt(i) !== EQUALS) continue;
    const key = text.slice(keyStart, i);
    i++;
    const q = i < end ? text.charCodeAt(i) : 0;
    if (q === DQUOTE || q === SQUOTE) {
      // The nested msg='...' is the record's last field and its values may hold single quotes
      // (`value="'a','b'"`), so it runs to the last single quote.
      const close = q === DQUOTE ? text.indexOf('"', i + 1) : text.lastIndexOf("'", end - 1);
      const valueEnd = close <= i || close >= end ? end : close;
      if (q === SQUOTE) scanAuditFields(text, i + 1, valueEnd, out);
      // The opening quote is kept so that readers can tell a quoted value from a hex-encoded one.
      else if (key !== '') out.set(key, text.slice(i, valueEnd));
      i = valueEnd + 1;
      continue;
    }
    const valueStart = i;
    while (i < end && text.charCodeAt(i) !== SPACE) i++;
    if (key !== '') out.set(key, text.slice(valueStart, i));
  }
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** True for a non-empty, even-length run of hex digits: how auditd writes an encoded string. */
export function isHexEncoded(value: string): boolean {
  if (value.length === 0 || value.length % 2 !== 0) return false;
  for (let i = 0; i < value.length; i++) if (!isHex(value.charCodeAt(i))) return false;
  return true;
}

/** auditd's markers for "no value". */
function isAbsent(v: string): boolean {
  return v === '' || v === '?' || v === '(null)' || v === '(none)' || v === '"' || v === '"?';
}

/**
 * The plain text of a field as stored by `scanAuditFields`, or undefined when absent or one of
 * auditd's "no value" markers (`?`, `(null)`, `(none)`, empty). With `hex`, a bare hex value is
 * decoded (UTF-8; NULs, which separate proctitle arguments, become spaces) — pass it only for the
 * fields auditd encodes (acct, exe, comm, cmd, name, cwd, key, proctitle, EXECVE arguments):
 * `terminal=a765` is a plain value.
 */
export function auditText(fields: AuditFields, key: string, hex = false): string | undefined {
  const v = fields.get(key);
  if (v === undefined || isAbsent(v)) return undefined;
  if (v.charCodeAt(0) === DQUOTE) return v.slice(1);
  if (hex && isHexEncoded(v)) return decodeHex(v);
  return v;
}

/** Decodes an auditd hex string (see `auditText`). */
export function decodeHex(v: string): string {
  const s = Buffer.from(v, 'hex').toString('utf8');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return s.slice(0, end).replaceAll('\0', ' ');
}

/** A non-negative integer field (decimal), or undefined. */
export function auditInt(fields: AuditFields, key: string): number | undefined {
  const v = fields.get(key);
  if (v === undefined || v.length === 0 || v.length > 15) return undefined;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n;
}
