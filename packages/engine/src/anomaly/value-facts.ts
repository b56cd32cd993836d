/**
 * Facts about one value that a profile learns and compares: its type, its character tokens and its
 * entropy; and the route key of a request path. Every regex here is linear (no nested quantifiers).
 */

/** Value types, narrowest first; a value gets the first that matches. */
export const VALUE_TYPES = [
  'empty',
  'int',
  'float',
  'uuid',
  'hex',
  'email',
  'word',
  'alnum',
  'phrase',
  'other',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

const T = Object.fromEntries(VALUE_TYPES.map((t, i) => [t, 1 << i])) as Record<ValueType, number>;

const INT = /^[+-]?\d{1,18}$/;
const FLOAT = /^[+-]?\d{0,18}[.,]\d{1,18}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{8,}$/i;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const WORD = /^\p{L}+$/u;
const ALNUM = /^[\p{L}\p{N}_-]+$/u;
const PHRASE = /^[\p{L}\p{N} .,-]+$/u;

/** The type index (into VALUE_TYPES) of a value. */
export function valueType(s: string): number {
  if (s === '') return 0;
  if (INT.test(s)) return 1;
  if (FLOAT.test(s)) return 2;
  if (s.length === 36 && UUID.test(s)) return 3;
  if (HEX.test(s) && /\d/.test(s)) return 4;
  if (EMAIL.test(s) && s.indexOf('.', s.indexOf('@')) > 0) return 5;
  if (WORD.test(s)) return 6;
  if (ALNUM.test(s)) return 7;
  if (PHRASE.test(s)) return 8;
  return 9;
}

/**
 * For each type, the learned types that make it unsurprising: an integer where hex or free text was
 * seen is no mismatch; free text where only integers were seen is.
 */
const COVERED_BY: readonly number[] = [
  T.empty,
  T.int | T.float | T.hex | T.alnum | T.phrase | T.other,
  T.float | T.phrase | T.other,
  T.uuid | T.alnum | T.other,
  T.hex | T.alnum | T.phrase | T.other,
  T.email | T.other,
  T.word | T.alnum | T.phrase | T.other,
  T.alnum | T.phrase | T.other,
  T.phrase | T.other,
  T.other,
];

/** True when a value of type index `t` fits a parameter whose learned types are the mask `seen`. */
export function typeFits(t: number, seen: number): boolean {
  return (COVERED_BY[t]! & seen) !== 0;
}

/**
 * Character tokens of a value: ASCII punctuation, space and control characters as themselves;
 * letters and digits as their class (`a-z`, `A-Z`, `0-9`), other scripts as `non-ASCII letter`,
 * `non-ASCII digit` or `non-ASCII symbol`. Classes stand for letters and digits so a name field
 * that never saw a `q` does not call `q` new; punctuation is what changes a value's syntax.
 */
export function charTokens(s: string, out: Set<string>, max: number): void {
  for (const ch of s) {
    if (out.size >= max) return;
    const c = ch.codePointAt(0)!;
    if (c >= 48 && c <= 57) out.add('0-9');
    else if (c >= 97 && c <= 122) out.add('a-z');
    else if (c >= 65 && c <= 90) out.add('A-Z');
    else if (c < 128) out.add(ch);
    else if (/\p{L}/u.test(ch)) out.add('non-ASCII letter');
    else if (/\p{N}/u.test(ch)) out.add('non-ASCII digit');
    else out.add('non-ASCII symbol');
  }
}

/** How a token reads in a reason: `space`, `tab`, `'`, `a-z`... */
export function tokenLabel(t: string): string {
  if (t === ' ') return 'space';
  if (t === '\t') return 'tab';
  if (t === '\n') return 'newline';
  if (t === '\r') return 'carriage return';
  if (t.length === 1 && t.charCodeAt(0) < 32)
    return `control 0x${t.charCodeAt(0).toString(16).padStart(2, '0')}`;
  if (t === '\x7f') return 'DEL';
  return t;
}

/** Shannon entropy in bits per character (0 for values shorter than 2). */
export function entropy(s: string): number {
  const n = s.length;
  if (n < 2) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const k of counts.values()) {
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

const SEG_INT = /^\d+$/;
const SEG_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEG_HEX = /^[0-9a-f]{12,}$/i;
const SEG_TOKEN = /^[A-Za-z0-9_-]{24,}$/;
const MAX_SEGMENTS = 16;
const MAX_SEGMENT_CHARS = 64;

/**
 * The route of a request: method and path with identifiers generalised (`/users/42` and
 * `/users/43` are one route, `GET /users/{int}`). Long or many segments are cut so the key is
 * bounded.
 */
export function routeKey(method: string, path: string): string {
  const segs = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segs.length && i <= MAX_SEGMENTS; i++) {
    const s = segs[i]!;
    if (SEG_INT.test(s)) out.push('{int}');
    else if (s.length === 36 && SEG_UUID.test(s)) out.push('{uuid}');
    else if (SEG_HEX.test(s) && /\d/.test(s)) out.push('{hex}');
    else if (SEG_TOKEN.test(s) && /\d/.test(s)) out.push('{token}');
    else if (s.length > MAX_SEGMENT_CHARS) out.push('{long}');
    else out.push(s);
  }
  if (segs.length > MAX_SEGMENTS + 1) out.push('{more}');
  return `${method.slice(0, 16).toUpperCase()} ${out.join('/')}`;
}
