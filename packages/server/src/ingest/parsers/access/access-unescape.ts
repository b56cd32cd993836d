/**
 * Undoes the escaping web servers apply inside the quoted fields of an access log line.
 * Apache (ap_escape_logitem) writes `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\v` and `\xhh`; nginx
 * (escape=default) writes `\xHH` for `"`, `\` and bytes outside 0x20-0x7e.
 *
 * Decision for URLs (request line, referer): an escaped byte that is printable ASCII (0x21-0x7e) becomes
 * that character; any other byte (space, controls, 0x7f-0xff) becomes `%HH`. The result is the
 * request-target as the client sent it, in percent-encoded form, so URL-decoding detectors see the same
 * bytes the server received and the text stays printable. Characters not written as escapes (old Apache
 * 1.3 logged raw bytes) are kept as they are.
 * For free text (user agent): runs of escaped bytes >= 0x80 are decoded as UTF-8 (invalid sequences
 * become U+FFFD); `\"` and `\\` are undone; other escapes stay as logged.
 */

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** The byte of `\xHH` at `i` (the backslash), or -1 when it is not one. */
function escapedByte(text: string, i: number, end: number): number {
  if (i + 3 >= end || (text.charCodeAt(i + 1) | 0x20) !== 120) return -1;
  const hi = hexValue(text.charCodeAt(i + 2));
  const lo = hexValue(text.charCodeAt(i + 3));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** Apache's one-letter escapes, as bytes. */
function letterByte(c: number): number {
  switch (c) {
    case 34:
      return 34; // \"
    case 92:
      return 92; // \\
    case 110:
      return 10; // \n
    case 114:
      return 13; // \r
    case 116:
      return 9; // \t
    case 98:
      return 8; // \b
    case 118:
      return 11; // \v
    default:
      return -1;
  }
}

/** Unescapes text[start, end) as a URL (see the file comment). */
export function unescapeUrl(text: string, start: number, end: number): string {
  end = Math.min(end, text.length);
  let i = text.indexOf('\\', start);
  if (i < 0 || i >= end) return text.slice(start, end);
  let out = '';
  // Text between escapes is copied in runs: text[run, i) is still to copy.
  let run = start;
  while (i >= 0 && i < end) {
    let b = escapedByte(text, i, end);
    let width = 4;
    if (b < 0 && i + 1 < end) {
      b = letterByte(text.charCodeAt(i + 1));
      width = 2;
    }
    if (b < 0) {
      i = text.indexOf('\\', i + 1);
      continue;
    }
    if (i > run) out += text.slice(run, i);
    out += b > 0x20 && b < 0x7f ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
    run = i + width;
    i = text.indexOf('\\', run);
  }
  return run < end ? out + text.slice(run, end) : out;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Unescapes text[start, end) as free text (see the file comment). */
export function unescapeText(text: string, start: number, end: number): string {
  end = Math.min(end, text.length);
  let i = text.indexOf('\\', start);
  if (i < 0 || i >= end) return text.slice(start, end);
  let out = '';
  // Text between the escapes it undoes is copied in runs: text[run, i) is still to copy.
  let run = start;
  while (i >= 0 && i < end) {
    const next = i + 1 < end ? text.charCodeAt(i + 1) : -1;
    let piece: string | undefined;
    let j = i + 2;
    if (next === 34 || next === 92) piece = String.fromCharCode(next);
    else {
      const b = escapedByte(text, i, end);
      j = i + 4;
      if (b === 34 || b === 92) piece = String.fromCharCode(b);
      else if (b >= 0x80) {
        const bytes: number[] = [];
        j = i;
        for (let v = b; v >= 0x80; v = escapedByte(text, j, end)) {
          bytes.push(v);
          j += 4;
        }
        piece = utf8.decode(Uint8Array.from(bytes));
      }
    }
    if (piece === undefined) {
      i = text.indexOf('\\', i + 1);
      continue;
    }
    if (i > run) out += text.slice(run, i);
    out += piece;
    run = j;
    i = text.indexOf('\\', run);
  }
  return run < end ? out + text.slice(run, end) : out;
}
