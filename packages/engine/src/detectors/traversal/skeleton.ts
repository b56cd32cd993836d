import { urlDecode } from '../../decode/index.js';

/**
 * URL-decodes to a fixpoint like the `url` view, but joins nibble-split escapes first in every round:
 * `%%32%%66` → `%2%f` → `/` (double-decoding servers do), where the plain decoder would glue the
 * stray `%f` to the next letters (`%2%fboot` → `%2ûoot`).
 */
export function urlDecodeNibbles(raw: string): string {
  let s = raw;
  for (let r = 0; r < 4; r++) {
    const d = urlDecode(s.replace(NIBBLES, nibbles));
    if (d === s) break;
    s = d;
  }
  return s.replace(NIBBLES, nibbles);
}

/**
 * The "path skeleton" of a value: what a lenient file API (IIS, old PHP, Tomcat) would make of it.
 * The shared `lower` view already decodes percent escapes to a fixpoint, valid overlong UTF-8, `%u`
 * escapes, entities, NULs and full-width forms; this adds the evasions only file paths care about:
 * - `0x2e` / `0x2f` / `0x5c` spelled out in hex (CRS 930100),
 * - IIS's broken overlong decoding, which ignores the top bits of a continuation byte
 *   (`%c0%6e`, `%c0%ee` → `.`, `%c1%1c` → `\`), left as Latin-1 junk by the lenient decoder,
 * - Unicode slashes (`∕ ∖ ⁄ ⧵`) that some normalisers turn into real separators,
 * - control characters inside a sequence (`..%01/`),
 * - backslashes as separators.
 */
export function pathSkeleton(url: string): string {
  let s = url;
  if (s.indexOf('0x') >= 0 || s.indexOf('0X') >= 0) s = s.replace(HEX_SPELLED, hexSpelled);
  // `%%32%%66` decodes to `%2%f`: a nibble-split escape that double-decoding servers join again.
  if (s.indexOf('%') >= 0) s = s.replace(STRAY_PERCENT, '/');
  let needScan = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x80 || c === 92 /* \ */) {
      needScan = true;
      break;
    }
  }
  // the one-character probes are fast and spare four substring searches through a run of `../`
  if (
    (s.indexOf('2') >= 0 || s.indexOf('5') >= 0) &&
    (s.indexOf('..2f') >= 0 || s.indexOf('..5c') >= 0 || s.indexOf('..2F') >= 0 || s.indexOf('..5C') >= 0)
  )
    s = s.replace(LOST_PERCENT, '../'); // `..2f`: an escape that lost its `%`
  if (!needScan) return s.toLowerCase();
  let out = '';
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) {
      out += '/';
    } else if (c < 0x20) {
      // dropped: `..%01/` and `.%00.` tricks
    } else if (c < 0x80) {
      out += s[i];
    } else if (c === 0xc0 || c === 0xc1) {
      // IIS: %c0%XX / %c1%XX → ((lead & 1) << 6) | (XX & 0x3f), whatever the continuation's top bits
      // (`%c0%6e`, `%c0%ee` → `.`, `%c1%1c` → `\`). A lead that makes no separator is junk: dropped.
      const nx = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      const m = nx === 92 ? 92 : ((c & 1) << 6) | (nx & 0x3f);
      if (nx !== 0 && nx < 0x100 && (m === 0x2e || m === 0x2f || m === 0x5c)) {
        out += m === 0x2e ? '.' : '/';
        i++;
      }
    } else if (c === 0xe0 || c === 0xf0 || c === 0xf8 || c === 0xfc) {
      // Longer overlong forms: lead, 0x80 continuations, then the final byte's low six bits.
      let k = i + 1;
      while (k < n && k < i + 5 && s.charCodeAt(k) === 0x80) k++;
      if (k > i + 1 && k < n && s.charCodeAt(k) < 0x100) {
        const m = s.charCodeAt(k) & 0x3f;
        out += m === 0x2e ? '.' : m === 0x2f || m === 0x1c ? '/' : String.fromCharCode(m);
        i = k;
      }
    } else if (c >= 0xff01 && c <= 0xff5e) {
      // Full-width ASCII (`%uff0e` is `．`): NFKC makes it plain.
      const a = c - 0xfee0;
      out += a === 92 ? '/' : String.fromCharCode(a);
    } else if (UNI_SLASH.has(c) || (c >= 0xe000 && c <= 0xf8ff)) {
      // Unicode slashes, and private-use code points that IIS "best fit" maps to separators.
      out += '/';
    } else out += s[i];
  }
  return out.toLowerCase();
}

const NIBBLES = /%([0-9a-fA-F])%([0-9a-fA-F])/g;
function nibbles(_m: string, a: string, b: string): string {
  return String.fromCharCode(parseInt(a + b, 16));
}
/** A `%` that starts no escape, with what it garbles: fuzzer junk meant as a separator (`..%c1%pc`). */
const STRAY_PERCENT = /%(?![0-9a-fA-F]{2})[0-9a-zA-Z]{0,2}/g;

const LOST_PERCENT = /\.\.(?:2f|5c)/gi;

const HEX_SPELLED = /0x(?:2e|2f|5c)/gi;
function hexSpelled(m: string): string {
  return m[3] === 'e' || m[3] === 'E' ? '.' : '/';
}

/** Characters that look like or are normalised to a slash or backslash. */
const UNI_SLASH = new Set([
  0x2215, 0x2216, 0x2044, 0x29f5, 0x29f8, 0x29f9, 0xfe68, 0xff0f, 0xff3c, 0x2571, 0x2572,
]);

export interface Climbs {
  /** The value starts at the root and climbs above it (`/../`, `//..\\`): meaningless except as an attack. */
  rootClimb: boolean;
  /** `..` segments (a run of two or more dots between separators or the ends). */
  count: number;
  /** Index of the first one in the scanned string, -1 when none. */
  first: number;
  /** A `....//`, `..;/` or `...` form: filter-bypass spellings, never produced by a browser. */
  odd: boolean;
}

/** What may stand before a `..` segment: a separator, the start, or the end of a `key=` / quote. */
const BOUNDARY = new Uint8Array(128);
for (const c of [47, 61, 34, 39, 32, 58, 124, 44, 63]) BOUNDARY[c] = 1;

/** Counts `..` segments in a skeleton (separators already `/`). */
export function countClimbs(s: string): Climbs {
  let count = 0;
  let first = -1;
  let odd = false;
  let i = s.indexOf('..');
  const n = s.length;
  while (i >= 0) {
    let j = i;
    while (j < n && s.charCodeAt(j) === 46) j++;
    const before = i === 0 ? 47 : s.charCodeAt(i - 1);
    let after = j === n ? 47 : s.charCodeAt(j);
    let semi = false;
    if (after === 59 /* ; */) {
      // Tomcat's path parameters: `..;/` and `..;foo=bar/` are `../`.
      let k = j + 1;
      while (k < n && k < j + 32 && s.charCodeAt(k) !== 47) k++;
      if (k === n || s.charCodeAt(k) === 47) {
        after = 47;
        semi = true;
      }
    }
    // A trailing `...` is an ellipsis (`and/or...`); a trailing `..` is still a climb (`/a/..`).
    if (before < 128 && BOUNDARY[before] === 1 && after === 47 && !(j === n && j - i > 2)) {
      count++;
      if (first < 0) first = i;
      if (semi || j - i > 2) odd = true;
    }
    i = nextDots(s, j);
  }
  if (count === 0) {
    // Fuzzer output: one `..<junk>` unit repeated (`..pc..pc..pc`), whatever the junk decodes to.
    const r = repeatedDotUnit(s);
    if (r >= 0) return { count: 3, first: r, odd: true, rootClimb: false };
  }
  return { count, first, odd, rootClimb: count > 0 && startsWithRootClimb(s) };
}

/**
 * `s.indexOf('..', from)`, looking at the next few characters by hand first: in `../../../` the
 * next pair is always close, and a call per climb dominated long runs of them.
 */
function nextDots(s: string, from: number): number {
  const lim = Math.max(from, Math.min(s.length - 1, from + 8));
  for (let k = from; k < lim; k++) if (s.charCodeAt(k) === 46 && s.charCodeAt(k + 1) === 46) return k;
  return s.indexOf('..', lim);
}

/** `/..`, `//../`, `/./../`: leading separators and `.` segments, then `..` as a whole segment. */
function startsWithRootClimb(s: string): boolean {
  if (s.charCodeAt(0) !== 47) return false;
  let i = 0;
  const n = s.length;
  for (;;) {
    while (i < n && s.charCodeAt(i) === 47) i++;
    if (s.charCodeAt(i) === 46 && (i + 1 === n || s.charCodeAt(i + 1) === 47)) {
      i++;
      continue;
    }
    break;
  }
  return s.startsWith('..', i) && (i + 2 === n || s.charCodeAt(i + 2) === 47);
}

/** Index of a `..x` unit (x: 1-10 chars, not only dots) that occurs three times in a row; -1 if none. */
function repeatedDotUnit(s: string): number {
  let i = s.indexOf('..');
  while (i >= 0) {
    let j = i + 2;
    while (j < s.length && s.charCodeAt(j) === 46) j++;
    const next = s.indexOf('..', j);
    if (next < 0) return -1;
    const len = next - i;
    if (next > j && len <= 12 && s.slice(j, next).indexOf(' ') < 0) {
      const unit = s.slice(i, next);
      if (s.startsWith(unit, next) && s.startsWith(unit.slice(0, 2), next + len)) return i;
    }
    i = next;
  }
  return -1;
}
