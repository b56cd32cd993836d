import { cssDecode, base64Decode } from '../../decode/index.js';
import { ACTIVE_DATA_MIMES, SCRIPT_SCHEMES } from './lexicon.js';
import { dropControls, isIdent, isSpace, isLetter } from './hit.js';

/** Index of the first script-bearing scheme (`javascript:` …) in `s`, or -1; `len` gets its length. */
export function findScriptScheme(s: string, from = 0): { at: number; len: number } | undefined {
  let best = -1;
  let len = 0;
  for (const scheme of SCRIPT_SCHEMES) {
    const i = s.indexOf(scheme, from);
    if (i >= 0 && (best < 0 || i < best)) {
      best = i;
      len = scheme.length;
    }
  }
  return best < 0 ? undefined : { at: best, len };
}

/** The characters `dropControls` removes. */
const HAS_CONTROL = /[\x00-\x1f\x7f-\x9f\xad\u200b-\u200f\u2028\u2029\ufeff]/;

/** Chars that make the text after `javascript:` look like code rather than prose. */
const CODE_CHARS = new Set('(`=[\'";{\\/.+'.split('').map((c) => c.charCodeAt(0)));

/**
 * A script URL anywhere in free text: `javascript:` (after dropping the controls browsers ignore)
 * whose next token looks like code. Prose like `javascript: the good parts` stays clean.
 */
export function scriptUrlInText(lower: string): { at: number; len: number } | undefined {
  // Without the literal scheme, only a scheme split by controls (`jav\tascript:`) can match.
  if (lower.indexOf('script:') < 0 && lower.indexOf('mocha:') < 0 && !HAS_CONTROL.test(lower))
    return undefined;
  const s = dropControls(lower);
  // `ja&tab;vascript:`, `jav\nascript:`: a scheme that only appears once controls are dropped is an
  // evasion whatever follows it.
  if (s !== lower) {
    const m = findScriptScheme(s);
    if (m && !findScriptScheme(lower)) return m;
  }
  let from = 0;
  for (let guard = 0; guard < 16; guard++) {
    const m = findScriptScheme(s, from);
    if (!m) return undefined;
    from = m.at + m.len;
    if (m.at > 0 && isLetter(s.charCodeAt(m.at - 1))) continue;
    let k = from;
    while (k < s.length && isSpace(s.charCodeAt(k))) k++;
    for (let t = k; t < s.length && t < k + 64; t++) {
      const c = s.charCodeAt(t);
      if (isSpace(c)) break;
      if (CODE_CHARS.has(c)) return { at: m.at, len: Math.min(s.length, t + 1) - m.at };
    }
  }
  return undefined;
}

/** Media types of inert data: URLs (images other than SVG, audio, video, fonts, plain text). */
function isInertMime(mime: string): boolean {
  return (
    (mime.startsWith('image/') && !mime.startsWith('image/svg')) ||
    mime.startsWith('audio/') ||
    mime.startsWith('video/') ||
    mime.startsWith('font/') ||
    mime.startsWith('application/font') ||
    mime.startsWith('application/x-font') ||
    mime === 'application/octet-stream' ||
    mime === 'application/pdf' ||
    mime === 'application/json'
  );
}

/**
 * A data: URL that renders a document or runs script: `data:text/html,…`, `data:text/javascript,…`,
 * or base64 data whose decoded text `isActive` judges (an SVG with a handler, a `<script>`).
 * `data:image/png;base64,…` is inert.
 */
export function activeDataUrl(
  norm: string,
  lower: string,
  isActive: (decodedLower: string) => boolean,
): { at: number; len: number } | undefined {
  let p = lower.indexOf('data:');
  for (let guard = 0; p >= 0 && guard < 8; guard++, p = lower.indexOf('data:', p + 5)) {
    if (p > 0 && isIdent(lower.charCodeAt(p - 1))) continue;
    let k = p + 5;
    while (k < lower.length && isSpace(lower.charCodeAt(k))) k++;
    const mStart = k;
    while (k < lower.length && k - mStart < 64) {
      const c = lower.charCodeAt(k);
      if (c === 44 /* , */ || c === 59 /* ; */ || isSpace(c)) break;
      k++;
    }
    const mime = lower.slice(mStart, k);
    if (isInertMime(mime)) continue;
    // `data:,<svg onload=…>`, `data: , <x>`: an untyped data URL whose text is markup
    if (mime === '' && markupAfterComma(lower, k)) return { at: p, len: Math.min(lower.length, k + 32) - p };
    if (ACTIVE_DATA_MIMES.has(mime) && !mime.startsWith('image/svg')) return { at: p, len: k - p };
    // Unknown, empty or SVG type: judge the content when it is base64 (plain content is scanned as
    // part of the value anyway).
    const b = lower.indexOf(';base64,', k);
    if (b < 0 || b > k + 80 || norm.length !== lower.length) continue;
    let e = b + 8;
    while (e < norm.length && isSpace(norm.charCodeAt(e))) e++;
    // base64 may be wrapped or padded with spaces (`PHN2Zy...%20A6Ly...`)
    let enc = '';
    while (e < norm.length && e - b < 8192) {
      const c = norm.charCodeAt(e);
      const ok =
        (c >= 65 && c <= 90) ||
        (c >= 97 && c <= 122) ||
        (c >= 48 && c <= 57) ||
        c === 43 ||
        c === 47 ||
        c === 61;
      if (ok) enc += norm[e];
      else if (!isSpace(c)) break;
      e++;
    }
    const dec = base64Decode(enc.length < 16 ? enc.padEnd(16, '=') : enc);
    if (dec !== enc && isActive(dec.toLowerCase())) return { at: p, len: e - p };
  }
  return undefined;
}

/** `,` right after the (empty) media type, then `<` + a letter and later a `>`. */
function markupAfterComma(lower: string, k: number): boolean {
  while (k < lower.length && isSpace(lower.charCodeAt(k))) k++;
  if (lower.charCodeAt(k) !== 44) return false;
  const lt = lower.indexOf('<', k + 1);
  if (lt < 0 || lt > k + 256) return false;
  let j = lt + 1;
  if (lower.charCodeAt(j) === 47) j++;
  return isLetter(lower.charCodeAt(j)) && lower.indexOf('>', j) > 0;
}

/** Removes CSS comments (`expr/**\/ession`); an unterminated comment runs to the end. */
function stripCssComments(s: string): string {
  let i = s.indexOf('/*');
  if (i < 0) return s;
  let out = '';
  let last = 0;
  while (i >= 0) {
    out += s.slice(last, i);
    const end = s.indexOf('*/', i + 2);
    if (end < 0) return out;
    last = end + 2;
    i = s.indexOf('/*', last);
  }
  return out + s.slice(last);
}

/** CSS ready for matching: escapes decoded, lower case, comments out. */
export function cssText(lower: string): string {
  const d = lower.indexOf('\\') >= 0 ? cssDecode(lower).toLowerCase() : lower;
  return stripCssComments(d);
}

function followedBy(s: string, k: number, code: number): boolean {
  while (k < s.length && isSpace(s.charCodeAt(k))) k++;
  return s.charCodeAt(k) === code;
}

/**
 * Script-running CSS inside a style context (a `style` attribute or `<style>` body, already
 * `cssText`-prepared): IE `expression(…)`, `behavior:` HTC bindings, `-moz-binding`, `@import`,
 * Opera's `-o-link`.
 */
export function cssDangerInStyle(css: string): number {
  let i = css.indexOf('expression');
  while (i >= 0) {
    if (followedBy(css, i + 10, 40 /* ( */)) return i;
    i = css.indexOf('expression', i + 10);
  }
  for (const w of ['behavior', 'behaviour']) {
    const j = css.indexOf(w);
    if (j >= 0 && followedBy(css, j + w.length, 58 /* : */)) return j;
  }
  const b = css.indexOf('binding');
  if (b >= 0 && followedBy(css, b + 7, 58)) return b;
  for (const w of ['-moz-binding', '@import', '-o-link']) {
    const j = css.indexOf(w);
    if (j >= 0) return j;
  }
  return -1;
}

/**
 * The same in free text, where a declaration must be recognisable: `prop:expression(`,
 * `behavior:url(`, `-moz-binding:url(`. Returns the index or -1.
 */
export function cssDangerInText(css: string): number {
  let i = css.indexOf('expression');
  while (i >= 0) {
    if (followedBy(css, i + 10, 40)) {
      // a `:` (or `=`) shortly before, past junk that IE skipped (`x:\u3000expression(`)
      for (let k = i - 1, n = 0; k >= 0 && n < 12; k--, n++) {
        const c = css.charCodeAt(k);
        if (c === 58 || c === 61) return i;
        if (isIdent(c)) break;
      }
    }
    i = css.indexOf('expression', i + 10);
  }
  // `url(javascript`, `url( 'vbscript` even when cut before the colon, `url ( javascript :`
  let u = css.indexOf('url');
  for (let guard = 0; u >= 0 && guard < 8; guard++, u = css.indexOf('url', u + 3)) {
    let k = u + 3;
    while (k < css.length && isSpace(css.charCodeAt(k))) k++;
    if (css.charCodeAt(k) !== 40) continue;
    k++;
    while (
      k < css.length &&
      (isSpace(css.charCodeAt(k)) || css.charCodeAt(k) === 34 || css.charCodeAt(k) === 39)
    )
      k++;
    if (css.startsWith('javascript', k) || css.startsWith('vbscript', k)) return u;
  }
  for (const w of ['behavior', 'behaviour', 'binding']) {
    const j = css.indexOf(w);
    if (j < 0) continue;
    let k = j + w.length;
    while (k < css.length && isSpace(css.charCodeAt(k))) k++;
    if (css.charCodeAt(k) !== 58) continue;
    k++;
    while (k < css.length && isSpace(css.charCodeAt(k))) k++;
    if (css.startsWith('url', k)) return j;
  }
  return -1;
}

/** CSS functions that only compute values (colours, lengths, transforms); none fetches or runs anything. */
const VALUE_FUNCTIONS: ReadonlySet<string> = new Set([
  'rgb',
  'rgba',
  'hsl',
  'hsla',
  'calc',
  'var',
  'min',
  'max',
  'clamp',
  'translate',
  'translatex',
  'translatey',
  'rotate',
  'scale',
  'linear-gradient',
  'radial-gradient',
]);

function isCssWord(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

/**
 * Is a `style` attribute value plain presentation (`color: red; font: 12px/1.5 'Open Sans', serif`)?
 * Only `property: value` declarations made of words, numbers, `#` colours, `!important`, quoted
 * font names and value functions (`rgb(…)`, `calc(…)`). Everything else a filter evasion or a
 * fetch needs is refused: `url(`, escapes, comments, braces, brackets, `=`, a second `:`, a quote
 * glued to a word (`52c8'a…'9`), entities (already decoded into controls or `;` inside quotes).
 */
export function isPlainStyle(v: string): boolean {
  if (v.length > 1024) return false;
  let i = 0;
  const n = v.length;
  while (i < n) {
    // property
    while (i < n && (isSpace(v.charCodeAt(i)) || v.charCodeAt(i) === 59)) i++;
    if (i >= n) return true;
    const p = i;
    while (i < n && isCssWord(v.charCodeAt(i))) i++;
    if (i === p) return false;
    while (i < n && isSpace(v.charCodeAt(i))) i++;
    if (v.charCodeAt(i) !== 58 /* : */) return false;
    i++;
    // value, up to `;`
    let depth = 0;
    let word = '';
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c === 59 && depth === 0) break;
      if (isCssWord(c)) {
        word += v[i];
        continue;
      }
      if (c === 40 /* ( */) {
        if (!VALUE_FUNCTIONS.has(word) || ++depth > 3) return false;
      } else if (c === 41 /* ) */) {
        if (--depth < 0) return false;
      } else if (c === 34 || c === 39) {
        // a quoted font name: after a separator, plain words only, then a separator
        const prev = i > 0 ? v.charCodeAt(i - 1) : 32;
        if (depth > 0 || !(isSpace(prev) || prev === 58 || prev === 44)) return false;
        const e = v.indexOf(v[i]!, i + 1);
        if (e < 0) return false;
        for (let k = i + 1; k < e; k++) {
          const q = v.charCodeAt(k);
          if (!(isCssWord(q) || q === 32 || q === 46)) return false;
        }
        const next = e + 1 < n ? v.charCodeAt(e + 1) : 59;
        if (!(isSpace(next) || next === 44 || next === 59 || next === 33)) return false;
        i = e;
      } else if (c === 47 /* / */ || c === 42 /* * */) {
        // `12px/1.5`, `calc(a * b)`; never a comment
        const next = v.charCodeAt(i + 1);
        if (next === 42 || next === 47) return false;
        if (c === 42 && depth === 0) return false;
      } else if (!(isSpace(c) || c === 35 || c === 37 || c === 46 || c === 44 || c === 33 || c === 43)) {
        return false;
      }
      word = '';
    }
    if (depth !== 0) return false;
  }
  return true;
}
