/**
 * One round of percent-decoding: `%XX` and IIS-style `%uXXXX`. Byte runs are decoded leniently as
 * UTF-8: valid sequences become their character, overlong forms (`%c0%af`) become the character they
 * smuggle (IIS decoded them too), and invalid bytes become their Latin-1 character (CSIC 2010 is
 * Latin-1 encoded). `+` is not touched here: it means space only in query and form values, and the
 * request parser handles that once. Returns the input itself when nothing changed.
 */
export function urlDecode(input: string): string {
  let i = input.indexOf('%');
  if (i < 0) return input;
  let out = input.slice(0, i);
  const bytes: number[] = [];
  const n = input.length;
  let changed = false;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === 37 /* % */) {
      const h1 = hexVal(input.charCodeAt(i + 1));
      const h2 = hexVal(input.charCodeAt(i + 2));
      if (h1 >= 0 && h2 >= 0) {
        bytes.push((h1 << 4) | h2);
        i += 3;
        changed = true;
        continue;
      }
      const u = input.charCodeAt(i + 1);
      if ((u === 117 || u === 85) /* u U */ && i + 5 < n) {
        const a = hexVal(input.charCodeAt(i + 2));
        const b = hexVal(input.charCodeAt(i + 3));
        const d = hexVal(input.charCodeAt(i + 4));
        const e = hexVal(input.charCodeAt(i + 5));
        if (a >= 0 && b >= 0 && d >= 0 && e >= 0) {
          if (bytes.length) out += decodeUtf8Lenient(bytes.splice(0));
          out += String.fromCharCode((a << 12) | (b << 8) | (d << 4) | e);
          i += 6;
          changed = true;
          continue;
        }
      }
    }
    if (bytes.length) out += decodeUtf8Lenient(bytes.splice(0));
    // copy the run up to the next '%'
    let j = input.indexOf('%', i + 1);
    if (j < 0) j = n;
    out += input.slice(i, j);
    i = j;
  }
  if (bytes.length) out += decodeUtf8Lenient(bytes);
  return changed ? out : input;
}

/** Decode to a fixpoint, at most `maxRounds` rounds (double and triple encodings are evasions). */
export function urlDecodeFixpoint(input: string, maxRounds = 4): string {
  let s = input;
  for (let r = 0; r < maxRounds; r++) {
    const d = urlDecode(s);
    if (d === s) break;
    s = d;
  }
  return s;
}

/** True when the string has a `%` that does not start a valid `%XX` or `%uXXXX` escape. */
export function hasInvalidPercent(input: string): boolean {
  let i = input.indexOf('%');
  while (i >= 0) {
    const ok =
      (hexVal(input.charCodeAt(i + 1)) >= 0 && hexVal(input.charCodeAt(i + 2)) >= 0) ||
      ((input.charCodeAt(i + 1) | 0x20) === 117 &&
        hexVal(input.charCodeAt(i + 2)) >= 0 &&
        hexVal(input.charCodeAt(i + 3)) >= 0 &&
        hexVal(input.charCodeAt(i + 4)) >= 0 &&
        hexVal(input.charCodeAt(i + 5)) >= 0);
    if (!ok) return true;
    i = input.indexOf('%', i + 1);
  }
  return false;
}

export function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Lenient UTF-8: valid and overlong sequences decode to their code point; a byte that starts no valid
 * sequence decodes as Latin-1. Never throws, never drops a byte.
 */
export function decodeUtf8Lenient(bytes: ArrayLike<number>): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let len = 0;
    let cp = 0;
    if (b >= 0xc0 && b < 0xe0) {
      len = 2;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b < 0xf0) {
      len = 3;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b < 0xf8) {
      len = 4;
      cp = b & 0x07;
    }
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const cb = bytes[i + k]!;
      if ((cb & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cb & 0x3f);
    }
    if (ok && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCodePoint(cp);
      i += len;
    } else {
      out += String.fromCharCode(b);
      i++;
    }
  }
  return out;
}
