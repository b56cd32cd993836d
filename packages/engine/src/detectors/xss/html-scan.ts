import { BREAKOUT_CLOSERS, EXEC_TAGS, LOADING_TAGS } from './lexicon.js';
import { hit, isLetter, isQuote, isSpace, dropControls, type Hit } from './hit.js';
import { activeDataUrl, cssDangerInStyle, cssText, findScriptScheme } from './url-css.js';

/** How far one tag's attribute list is followed: bounds the work per `<` (the scan restarts at each). */
const MAX_TAG_CHARS = 2048;
const MAX_ATTRS = 64;

/** Is `name` (from `on…`) shaped like an event handler attribute: `on` + at least three letters. */
export function isEventAttr(name: string): boolean {
  return (
    name.length >= 5 &&
    name.charCodeAt(0) === 111 &&
    name.charCodeAt(1) === 110 &&
    isLetter(name.charCodeAt(2)) &&
    isLetter(name.charCodeAt(3)) &&
    isLetter(name.charCodeAt(4))
  );
}

/** One parsed attribute, reused across calls (no allocation per attribute). */
interface Attr {
  name: string;
  value: string;
  hasValue: boolean;
  /** Index of the name in the scanned string. */
  at: number;
  /** Index just past the attribute. */
  end: number;
  /** The value's span in the scanned string (to read it in its original case). */
  vStart: number;
  vEnd: number;
}

/**
 * Reads one attribute at `k` the way the HTML tokenizer does: separators are whitespace and `/`,
 * the name runs to `=`, `>`, `/` or a space, the value is quoted (`"`, `'`, IE's backtick) or runs
 * to a space or `>`. Returns false at `>` or the end of input.
 */
export function readAttr(s: string, k: number, limit: number, a: Attr): boolean {
  const n = Math.min(s.length, limit);
  while (k < n) {
    const c = s.charCodeAt(k);
    if (isSpace(c) || c === 47 /* / */) k++;
    else break;
  }
  if (k >= n || s.charCodeAt(k) === 62 /* > */) {
    a.end = k;
    return false;
  }
  const start = k;
  k++; // a name may begin with `=`
  while (k < n) {
    const c = s.charCodeAt(k);
    if (isSpace(c) || c === 47 || c === 62 || c === 61) break;
    k++;
  }
  a.name = s.slice(start, k);
  a.at = start;
  let j = k;
  while (j < n && isSpace(s.charCodeAt(j))) j++;
  if (s.charCodeAt(j) === 61 /* = */) {
    j++;
    while (j < n && isSpace(s.charCodeAt(j))) j++;
    const q = s.charCodeAt(j);
    if (isQuote(q)) {
      let e = s.indexOf(String.fromCharCode(q), j + 1);
      if (e < 0 || e > n) e = n;
      a.value = s.slice(j + 1, e);
      a.vStart = j + 1;
      a.vEnd = e;
      a.end = Math.min(e + 1, n);
    } else {
      let e = j;
      while (e < n) {
        const c = s.charCodeAt(e);
        if (isSpace(c) || c === 62) break;
        e++;
      }
      a.value = s.slice(j, e);
      a.vStart = j;
      a.vEnd = e;
      a.end = e;
    }
    a.hasValue = true;
  } else {
    a.value = '';
    a.hasValue = false;
    a.vStart = a.vEnd = k;
    a.end = k;
  }
  return true;
}

/** Attributes that hold a URL the browser loads or navigates to. */
const URL_ATTRS: ReadonlySet<string> = new Set([
  'src',
  'href',
  'action',
  'formaction',
  'data',
  'background',
  'poster',
  'xlink:href',
  'dynsrc',
  'lowsrc',
  'code',
  'codebase',
  'srcset',
  'to',
  'from',
  'values',
  'by',
  'content',
  'archive',
  'manifest',
]);

/** SVG/SMIL `attributeName` targets that turn an animation into navigation or script. */
const ANIMATED_SINKS: ReadonlySet<string> = new Set([
  'href',
  'xlink:href',
  'innerhtml',
  'outerhtml',
  'src',
  'action',
  'formaction',
]);

/** The attribute's value in the original case (base64 is case-sensitive), or the lower-case one. */
function originalValue(a: Attr, orig: string | undefined): string {
  return orig === undefined ? a.value : orig.slice(a.vStart, a.vEnd);
}

/**
 * Judges one attribute value of an injected tag or of an attribute breakout: script URLs, active
 * data: URLs, script-running CSS, SVG animation of `href`, legacy IE data binding and HTC
 * behaviours, `srcdoc` markup, Netscape `&{…}` entities. Returns the rule or undefined.
 */
export function judgeAttrValue(a: Attr, orig: string | undefined): string | undefined {
  const name = a.name;
  const value = a.value;
  if (value.length === 0) return undefined;
  const compact = dropControls(value);
  if (findScriptScheme(compact)) return 'xss.script_url';
  if (compact.indexOf('data:') >= 0) {
    const o = dropControls(originalValue(a, orig));
    if (activeDataUrl(o.length === compact.length ? o : compact, compact, hasActiveMarkup))
      return 'xss.script_url';
  }
  if (name === 'style' || name.endsWith(':style')) {
    const css = cssText(value);
    if (cssDangerInStyle(css) >= 0) return 'xss.css_script';
    if (findScriptScheme(dropControls(css).replace(/\s+/g, ''))) return 'xss.script_url';
  }
  if (name === 'attributename' && ANIMATED_SINKS.has(value.trim())) return 'xss.active_tag';
  if (name === 'srcdoc' && value.indexOf('<') >= 0) return 'xss.active_tag';
  if (name === 'handler' || name.endsWith(':handler')) return 'xss.event_handler';
  if (name === 'datasrc' || (name === 'dataformatas' && value.startsWith('html'))) return 'xss.legacy_vector';
  if (value.indexOf('&{') >= 0) return 'xss.legacy_vector';
  if (value.indexOf('#default#') >= 0 || value.indexOf('urn:schemas-microsoft-com:time') >= 0)
    return 'xss.legacy_vector';
  return undefined;
}

/** Markup that is injected but inert: an absolute URL to load, CSS that fetches, a namespace switch. */
function weakAttr(a: Attr): boolean {
  const v = a.value;
  if (URL_ATTRS.has(a.name)) {
    const t = v.trimStart();
    if (t.startsWith('//') || t.startsWith('\\\\')) return true;
    const colon = t.indexOf(':');
    return colon > 1 && colon < 12 && /^[a-z][a-z0-9+.-]*$/.test(t.slice(0, colon));
  }
  if (a.name === 'style')
    return (
      v.indexOf('url') >= 0 ||
      v.indexOf('expression') >= 0 ||
      v.indexOf('behavio') >= 0 ||
      v.indexOf('binding') >= 0 ||
      v.indexOf('import') >= 0
    );
  return false;
}

/** Elements that switch the parser's namespace or exist mainly as injection markers. */
const MARKER_TAGS: ReadonlySet<string> = new Set([
  'svg',
  'math',
  'marquee',
  'blink',
  'plaintext',
  'xmp',
  'h1',
  'xss',
  'set',
  'animate',
  'foreignobject',
]);

/** Decoded data: URL content judge: does it carry executing markup? */
export function hasActiveMarkup(lower: string): boolean {
  const h = scanTags(lower, undefined, true);
  return h !== undefined && h.rule !== 'xss.html_injection';
}

const scratch: Attr = { name: '', value: '', hasValue: false, at: 0, end: 0, vStart: 0, vEnd: 0 };

/** Any script scheme in the tag's text once every space and control is gone (`jav ascript:`). */
function schemeInTag(s: string, i: number, end: number): boolean {
  let t = '';
  for (let k = i; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c > 0x20 && c !== 0x7f) t += s[k];
  }
  return findScriptScheme(dropControls(t)) !== undefined;
}

/**
 * Scans `s` (lower case, decoded) for HTML tags and judges each: executing or loading elements,
 * event handler attributes, script URLs and CSS in attributes. A critical match returns at once;
 * otherwise the weak `xss.html_injection` (an absolute URL or fetching CSS in an attribute, a
 * namespace switch like `<svg>`, a closed raw-text context) is returned if seen. `orig` is the same
 * text in its original case when it has the same length (for base64 data). `strongOnly` skips the
 * weak judgement.
 */
export function scanTags(s: string, orig: string | undefined, strongOnly: boolean): Hit | undefined {
  let weak: Hit | undefined;
  const a = scratch;
  let i = s.indexOf('<');
  for (let guard = 0; i >= 0 && guard < 512; guard++, i = s.indexOf('<', i + 1)) {
    let j = i + 1;
    const c0 = s.charCodeAt(j);
    if (c0 === 63 /* ? */) {
      // IE: `<?import namespace=… implementation=…htc>`, `<?xml:namespace prefix=t ns=urn:…:time>`;
      // `<?xml-stylesheet … ?>` applies XSLT (weak: XML documents carry it legitimately).
      if (s.startsWith('import', j + 1) || s.startsWith('xml:namespace', j + 1))
        return hit('xss.legacy_vector', i, 16);
      if (!strongOnly && !weak && s.startsWith('xml-stylesheet', j + 1))
        weak = hit('xss.html_injection', i, 16);
      continue;
    }
    let closing = false;
    if (c0 === 47 /* / */) {
      closing = true;
      j++;
    }
    // IE accepted an empty namespace prefix: `<:vmlframe src=…>`
    if (s.charCodeAt(j) === 58 && isLetter(s.charCodeAt(j + 1))) j++;
    if (!isLetter(s.charCodeAt(j))) continue;
    const nameStart = j;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 58 || c === 45 || c === 95) j++;
      else break;
    }
    const name = s.slice(nameStart, j);
    const colon = name.lastIndexOf(':');
    const local = colon >= 0 ? name.slice(colon + 1) : name;
    if (name === 'xml:namespace') return hit('xss.legacy_vector', i, j - i);
    if (closing) {
      if (!strongOnly && !weak && BREAKOUT_CLOSERS.has(local)) weak = hit('xss.html_injection', i, j - i + 1);
      continue;
    }
    const limit = i + MAX_TAG_CHARS;
    let attrs = 0;
    let weakAttrs = 0;
    let pendingEvent = -1;
    let k = j;
    for (; attrs < MAX_ATTRS && readAttr(s, k, limit, a); attrs++) {
      k = a.end;
      if (isEventAttr(a.name)) {
        if (a.hasValue) return hit('xss.event_handler', i, a.end - i);
        if (pendingEvent < 0) pendingEvent = a.at;
        continue;
      }
      // `<body onload!#$%&()=alert(1)>`, `<img onerror/=alert(0)>`, `<svg onload svg onload="...">`:
      // a handler name, then the value the browser or a sloppy sanitiser attaches to it.
      if (pendingEvent >= 0 && (a.hasValue || a.name.charCodeAt(0) === 61))
        return hit('xss.event_handler', i, a.end - i);
      if (a.hasValue) {
        const rule = judgeAttrValue(a, orig);
        if (rule) return hit(rule, i, a.end - i);
        if (weakAttr(a)) weakAttrs++;
      }
      if (k >= limit) break;
    }
    const end = Math.min(a.end, s.length);
    const closed = s.charCodeAt(end) === 62;
    if (local === 'script') return hit('xss.script_tag', i, end - i + 1);
    if (EXEC_TAGS.has(local)) {
      if (local === 'style' && closed) {
        const endTag = s.indexOf('</style', end);
        const body = s.slice(end + 1, endTag < 0 ? Math.min(s.length, end + 1 + MAX_TAG_CHARS) : endTag);
        const css = cssText(body);
        if (cssDangerInStyle(css) >= 0 || findScriptScheme(dropControls(css)))
          return hit('xss.css_script', i, Math.min(end + 1 + body.length, s.length) - i);
      }
      return hit('xss.active_tag', i, end - i + 1);
    }
    if (LOADING_TAGS.has(local) && attrs > 0) return hit('xss.active_tag', i, end - i + 1);
    if (attrs > 0 && schemeInTag(s, j, end)) return hit('xss.script_url', i, end - i + 1);
    if (!strongOnly && !weak && (weakAttrs > 0 || (MARKER_TAGS.has(local) && (closed || attrs > 0))))
      weak = hit('xss.html_injection', i, end - i + 1);
  }
  return weak;
}
