/**
 * Garbage-free reading of large line-oriented data files (the ASN CSVs): lines are handed out as
 * byte spans of one reused buffer, and numbers and IPv6 addresses are parsed from the bytes, so a
 * 20 MB file loads without a string or an object per line (those would grow the V8 heap, and the
 * process RSS with it, for good). The engine's `parseIPv6` parses strings; this is its byte twin for
 * the load path only, checked against it in csv-bytes.test.ts.
 */
import { open } from 'node:fs/promises';

/** Bytes read per file read; twice the longest line `eachLine` accepts. */
export const CHUNK_BYTES = 256 * 1024;

/** A read buffer for `eachLine` and `countLines`; pass one to several calls to allocate it once. */
export function readBuffer(): Buffer {
  return Buffer.allocUnsafeSlow(CHUNK_BYTES);
}

/**
 * Calls `onLine(buf, start, end)` for each line of a file (without `\n` or `\r\n`), reading into one
 * reused buffer. A line longer than `maxLineBytes` is passed once as a span longer than that (for
 * the caller to reject) and the rest of it skipped. `buf` is valid only during the call.
 * `buf` is a `readBuffer()`, overwritten.
 */
export async function eachLine(
  path: string,
  maxLineBytes: number,
  onLine: (buf: Buffer, start: number, end: number) => void,
  buf: Buffer = readBuffer(),
): Promise<void> {
  if (maxLineBytes * 2 > CHUNK_BYTES || buf.length !== CHUNK_BYTES) {
    throw new RangeError(`maxLineBytes too large (${maxLineBytes}) or not a readBuffer()`);
  }
  const fh = await open(path, 'r');
  try {
    let keep = 0; // bytes of an unfinished line at the start of buf
    let skipping = false; // inside an over-long line, until its newline
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, keep, CHUNK_BYTES - keep, pos);
      pos += bytesRead;
      const len = keep + bytesRead;
      let from = 0;
      if (skipping) {
        const nl = buf.indexOf(10, 0);
        if (nl < 0 || nl >= len) {
          if (bytesRead === 0) break;
          keep = 0;
          continue;
        }
        skipping = false;
        from = nl + 1;
      }
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl < 0 || nl >= len) break;
        onLine(buf, from, nl > from && buf[nl - 1] === 13 ? nl - 1 : nl);
        from = nl + 1;
      }
      const rest = len - from;
      if (bytesRead === 0) {
        if (rest > 0) onLine(buf, from, buf[len - 1] === 13 ? len - 1 : len);
        break;
      }
      if (rest > maxLineBytes) {
        onLine(buf, from, from + maxLineBytes + 1);
        skipping = true;
        keep = 0;
      } else {
        buf.copyWithin(0, from, len);
        keep = rest;
      }
    }
  } finally {
    await fh.close();
  }
}

/** Number of lines a file has at most (newlines + 1), read in chunks: sizes the tables exactly. */
export async function countLines(path: string, buf: Buffer = readBuffer()): Promise<number> {
  const fh = await open(path, 'r');
  try {
    let n = 1;
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
      if (bytesRead === 0) return n;
      pos += bytesRead;
      for (let i = buf.indexOf(10, 0); i >= 0 && i < bytesRead; i = buf.indexOf(10, i + 1)) n++;
    }
  } finally {
    await fh.close();
  }
}

/** A decimal uint32 from bytes; -1 when not one. */
export function readU32(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 10) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v > 0xffffffff ? -1 : v;
}

/** Value of a hex digit byte, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Dotted-quad IPv4 bytes (strict: no leading zeros) to a uint32; -1 when not one. */
function readDottedV4(buf: Buffer, start: number, end: number): number {
  let v = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const s = i;
    let part = 0;
    while (i < end && i - s < 3 && buf[i]! >= 48 && buf[i]! <= 57) part = part * 10 + (buf[i++]! - 48);
    if (i === s || part > 255 || (i - s > 1 && buf[s] === 48)) return -1;
    v = v * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= end || buf[i] !== 46) return -1;
      i++;
    }
  }
  return i === end ? v : -1;
}

const groups = new Uint16Array(8);

/**
 * Parses IPv6 text bytes (`::` compression and a dotted IPv4 tail allowed; no zone id) into four
 * uint32 words at `out[at..at+3]`, most significant first. Returns false (writing nothing) when the
 * bytes are not an IPv6 address.
 */
export function parseIPv6Bytes(
  buf: Buffer,
  start: number,
  end: number,
  out: Uint32Array,
  at: number,
): boolean {
  if (end - start < 2 || end - start > 45) return false;
  let n = 0;
  let gap = -1;
  let i = start;
  if (buf[i] === 58) {
    if (buf[i + 1] !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (n === 8) return false;
    let v = 0;
    let j = i;
    while (j < end && j - i < 5) {
      const h = hexValue(buf[j]!);
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < end && buf[j] === 46) {
      // An IPv4 tail takes the last two groups.
      if (n > 6) return false;
      const v4 = readDottedV4(buf, i, end);
      if (v4 < 0) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups[n++] = v;
    i = j;
    if (i === end) break;
    if (buf[i] !== 58) return false;
    i++;
    if (i < end && buf[i] === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === end) return false; // a trailing single ':'
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const zeros = 8 - n;
  for (let w = 0; w < 4; w++) {
    let word = 0;
    for (let h = 0; h < 2; h++) {
      const k = w * 2 + h;
      const g = gap < 0 || k < gap ? groups[k]! : k < gap + zeros ? 0 : groups[k - zeros]!;
      word = word * 0x10000 + g;
    }
    out[at + w] = word;
  }
  return true;
}
