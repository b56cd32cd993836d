import { BREAKOUT_CLOSERS, EXEC_TAGS, HTML_ELEMENTS, LOADING_TAGS } from './lexicon.js';
import { hit, isLetter, isQuote, isSpace, dropControls, type Hit } from './hit.js';
import { activeDataUrl, cssDangerInStyle, cssText, findScriptScheme, isPlainStyle } from './url-css.js';

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
 * The last attribute-name run scanned in one string: `[lo, hi)` holds no name delimiter. Every `<`
 * restarts the tag scan, so in `<x'<x'<x'…` each tag's attribute name runs over all the later ones;
 * remembering the run makes reading those names linear in the input instead of quadratic.
 */
interface NameRun {
  lo: number;
  hi: number;
}

/** Index of the first attribute-name delimiter (space, `/`, `>`, `=`) in `s` from `p`, at most `n`. */
function nameEnd(s: string, p: number, n: number, run: NameRun | undefined): number {
  let k = p;
  if (run !== undefined) {
    if (p >= run.lo && p <= run.hi) k = run.hi;
    else run.lo = p;
  }
  while (k < n) {
    const c = s.charCodeAt(k);
    if (isSpace(c) || c === 47 || c === 62 || c === 61) break;
    k++;
  }
  if (run !== undefined) run.hi = k;
  return Math.min(k, n);
}

/**
 * Reads one attribute at `k` the way the HTML tokenizer does: separators are whitespace and `/`,
 * the name runs to `=`, `>`, `/` or a space, the value is quoted (`"`, `'`, IE's backtick) or runs
 * to a space or `>`. Returns false at `>` or the end of input.
 */
export function readAttr(s: string, k: number, limit: number, a: Attr, run?: NameRun): boolean {
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
  // a name may begin with `=`
  k = nameEnd(s, k + 1, n, run);
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
      v.indexOf('@import') >= 0
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
  // An SVG image is `<svg xmlns=…>` by nature: only executing markup makes a data: URL active.
  return h !== undefined && !INERT_RULES.has(h.rule);
}

/** Rules that judge markup as abusable rather than executing (not enough to call a data: URL active). */
const INERT_RULES: ReadonlySet<string> = new Set([
  'xss.html_injection',
  'xss.risky_markup',
  'xss.unsafe_style',
]);

/**
 * Attributes that load or submit to a URL on any element and that rich text never needs:
 * `src` (images, media, frames), the legacy `lowsrc`/`dynsrc`/`background`, `formaction`, `ping`.
 */
const SOURCE_ATTRS: ReadonlySet<string> = new Set([
  'src',
  'lowsrc',
  'dynsrc',
  'background',
  'formaction',
  'ping',
  'poster',
  'srcset',
]);

/** Elements that only an injection opens with attributes: page, form and media shells, SMIL. */
const SHELL_TAGS: ReadonlySet<string> = new Set([
  'body',
  'form',
  'video',
  'audio',
  'marquee',
  'animate',
  'animatemotion',
  'animatetransform',
  'set',
  'bindings',
]);

/** Closing one of these ends a script, style, plug-in or namespace context (`</script>`, `</svg>`). */
const RISKY_CLOSERS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'iframe',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'form',
  'marquee',
  'xml',
]);

/** A real tag name ends at a space, `/`, `>` or the end of input (`</style.css>` is not `</style>`). */
function nameEnds(s: string, j: number): boolean {
  if (j >= s.length) return true;
  const c = s.charCodeAt(j);
  return isSpace(c) || c === 47 || c === 62;
}

/**
 * A namespace declaration that turns markup into script-capable or fetching XML: XHTML, SVG, XSLT,
 * XInclude, MathML, IE's `x-schema:`/`urn:schemas-microsoft-com` behaviours, or an `xsi:` schema
 * location that makes the parser fetch a URL.
 */
function isActiveNamespace(name: string, value: string): boolean {
  if (name.startsWith('xsi:')) return name.endsWith('schemalocation') && value.indexOf('//') >= 0;
  return (
    value.indexOf('/xhtml') >= 0 ||
    value.indexOf('/svg') >= 0 ||
    value.indexOf('/xsl') >= 0 ||
    value.indexOf('xinclude') >= 0 ||
    value.indexOf('mathml') >= 0 ||
    value.startsWith('x-schema:') ||
    value.startsWith('urn:schemas-microsoft-com')
  );
}

/** `svg`, `svg:mask`, `xsl:template`: the SVG and XSLT namespaces, where script and styles live. */
function isNamespaceTag(name: string): boolean {
  return name.startsWith('svg') || name.startsWith('xsl');
}

/** Dangerous tag names a filter-evading probe splits with junk: `<f o r m`, `< x: script`. */
const SPLIT_TARGETS: ReadonlySet<string> = new Set([
  'script',
  'form',
  'style',
  'svg',
  'iframe',
  'frame',
  'object',
  'embed',
  'applet',
  'img',
  'image',
  'video',
  'audio',
  'link',
  'meta',
  'base',
  'body',
  'marquee',
  'param',
]);

function isWordChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 95;
}

/** A character a splitting probe puts between letters: no word character, no markup delimiter. */
function isJunk(c: number): boolean {
  // `c === c` is false for NaN (past the end of the string)
  return c === c && !isWordChar(c) && c !== 60 && c !== 62 && c !== 58 && c !== 34 && c !== 39 && c !== 96;
}

/**
 * A dangerous tag name split by junk after `<`: letters separated by single non-word characters
 * (`<f o r m`, `<s/c/r/i/p/t`) or after a namespace prefix and a space (`< x: script`). No person
 * writes that; it probes filters that strip the junk before matching.
 */
function splitTagAt(s: string, i: number): boolean {
  const n = Math.min(s.length, i + 48);
  let k = i + 1;
  while (k < n && isJunk(s.charCodeAt(k))) k++;
  // `< script>`, `</ style>`: junk before a whole dangerous name that is then closed at once
  const lead = k > i + 1;
  let split = false;
  for (let guard = 0; guard < 2; guard++) {
    let name = '';
    while (k < n && name.length < 10) {
      const c = s.charCodeAt(k);
      if (isLetter(c)) {
        name += s[k];
        k++;
        if (
          (split || (lead && s.charCodeAt(k) === 62)) &&
          SPLIT_TARGETS.has(name) &&
          !isWordChar(s.charCodeAt(k))
        )
          return true;
      } else if (name.length > 0 && isJunk(c) && isLetter(s.charCodeAt(k + 1))) {
        split = true;
        k++;
      } else break;
    }
    if (s.charCodeAt(k) !== 58 || name.length === 0 || name.length > 8) return false;
    k++;
    const before = k;
    while (k < n && isJunk(s.charCodeAt(k))) k++;
    if (k > before) split = true;
  }
  return false;
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
 * One bit per name length (capped at 31) for each first character of the names in `set`: tag names
 * are fresh slices, and this rejects most of them before a Set has to hash them (hundreds of tags
 * per value in `<x'<x'<x'…`).
 */
function nameShapes(set: ReadonlySet<string>): Int32Array {
  const m = new Int32Array(128);
  for (const w of set) {
    const c = w.charCodeAt(0);
    if (c < 128) m[c]! |= 1 << Math.min(w.length, 31);
  }
  return m;
}

/** False when no name of the set built into `m` has the first character and length of `w`. */
function mayHave(m: Int32Array, w: string): boolean {
  const c = w.charCodeAt(0);
  // empty or non-ASCII names go to the Set itself
  return !(c < 128) || (m[c]! & (1 << Math.min(w.length, 31))) !== 0;
}

const EXEC_SHAPES = nameShapes(EXEC_TAGS);
const LOADING_SHAPES = nameShapes(LOADING_TAGS);
const MARKER_SHAPES = nameShapes(MARKER_TAGS);
const SHELL_SHAPES = nameShapes(SHELL_TAGS);
const RISKY_CLOSER_SHAPES = nameShapes(RISKY_CLOSERS);
const BREAKOUT_SHAPES = nameShapes(BREAKOUT_CLOSERS);

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
  let nextColon = s.indexOf(':');
  const run: NameRun = { lo: -1, hi: -1 };
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
    if (!isLetter(s.charCodeAt(j))) {
      if (splitTagAt(s, i)) return hit('xss.risky_markup', i, Math.min(24, s.length - i));
      continue;
    }
    const nameStart = j;
    // the last `:` is tracked while scanning (String#lastIndexOf is a slow runtime call per tag)
    let colon = -1;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95) j++;
      else if (c === 58) colon = j++ - nameStart;
      else break;
    }
    const name = s.slice(nameStart, j);
    const local = colon >= 0 ? name.slice(colon + 1) : name;
    if (name === 'xml:namespace') return hit('xss.legacy_vector', i, j - i);
    const ended = nameEnds(s, j);
    if (closing) {
      if (
        ended &&
        ((mayHave(RISKY_CLOSER_SHAPES, local) && RISKY_CLOSERS.has(local)) || isNamespaceTag(name))
      )
        return hit('xss.risky_markup', i, j - i + 1);
      if (!strongOnly && !weak && mayHave(BREAKOUT_SHAPES, local) && BREAKOUT_CLOSERS.has(local))
        weak = hit('xss.html_injection', i, j - i + 1);
      continue;
    }
    if (
      (s.charCodeAt(j) === 58 || (isJunk(s.charCodeAt(j)) && isLetter(s.charCodeAt(j + 1)))) &&
      splitTagAt(s, i)
    )
      return hit('xss.risky_markup', i, Math.min(24, s.length - i));
    const limit = i + MAX_TAG_CHARS;
    let attrs = 0;
    let weakAttrs = 0;
    let pendingEvent = -1;
    let risky: string | undefined;
    let xmlAttrs = 0;
    let activeNs = false;
    let k = j;
    for (; attrs < MAX_ATTRS && readAttr(s, k, limit, a, run); attrs++) {
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
        if (!risky && a.name === 'style' && !isPlainStyle(a.value)) risky = 'xss.unsafe_style';
      }
      // libinjection's and CRS's view: namespace attributes re-parse the markup as SVG/XHTML/XSLT,
      // and a source attribute fetches on render whatever the element.
      if (
        !risky &&
        ((a.name.charCodeAt(0) === 120 /* x */ && a.name.startsWith('xlink')) ||
          (a.name.length <= 10 && SOURCE_ATTRS.has(a.name) && a.value.trim() !== ''))
      )
        risky = 'xss.risky_markup';
      if (a.name.charCodeAt(0) === 120 /* x */ && (a.name.startsWith('xmlns') || a.name.startsWith('xsi:'))) {
        xmlAttrs++;
        if (isActiveNamespace(a.name, a.value)) activeNs = true;
      }
      if (!risky && a.name === 'implementation' && local.startsWith('import'))
        return hit('xss.legacy_vector', i, a.end - i);
      if (k >= limit) break;
    }
    const end = Math.min(a.end, s.length);
    const closed = s.charCodeAt(end) === 62;
    if (local === 'script') return hit('xss.script_tag', i, end - i + 1);
    if (mayHave(EXEC_SHAPES, local) && EXEC_TAGS.has(local)) {
      if (local === 'style' && closed) {
        const endTag = s.indexOf('</style', end);
        const body = s.slice(end + 1, endTag < 0 ? Math.min(s.length, end + 1 + MAX_TAG_CHARS) : endTag);
        const css = cssText(body);
        if (cssDangerInStyle(css) >= 0 || findScriptScheme(dropControls(css)))
          return hit('xss.css_script', i, Math.min(end + 1 + body.length, s.length) - i);
      }
      return hit('xss.active_tag', i, end - i + 1);
    }
    if (attrs > 0 && mayHave(LOADING_SHAPES, local) && LOADING_TAGS.has(local))
      return hit('xss.active_tag', i, end - i + 1);
    // every script scheme ends with `:` (the next colon is remembered: tags only move forward)
    if (nextColon >= 0 && nextColon < j) nextColon = s.indexOf(':', j);
    if (attrs > 0 && nextColon >= 0 && nextColon < end && schemeInTag(s, j, end))
      return hit('xss.script_url', i, end - i + 1);
    if (
      local.charCodeAt(0) === 105 /* i */ &&
      local.startsWith('import') &&
      s.slice(nameStart, end).indexOf('implementation') >= 0
    )
      return hit('xss.legacy_vector', i, end - i + 1);
    if (risky) return hit(risky, i, end - i + 1);
    // `<img xmlns="x-schema:…">`, `<x:script xmlns:x="…/xhtml">`, `<a xmlns:xsi=… xsi:schemaLocation=…>`,
    // `<xi:include href=…>`; an XML document's own `<x:xmpmeta xmlns:x="adobe:ns:meta/">` is not.
    if (
      (xmlAttrs > 0 && (activeNs || HTML_ELEMENTS.has(local))) ||
      (colon >= 0 && name.endsWith(':include') && name.startsWith('xi'))
    )
      return hit('xss.risky_markup', i, end - i + 1);
    if (
      ended &&
      (isNamespaceTag(name) ||
        (mayHave(SHELL_SHAPES, local) &&
          SHELL_TAGS.has(local) &&
          (attrs > 0 || (closed && local === 'marquee'))))
    )
      return hit('xss.risky_markup', i, end - i + 1);
    if (
      !strongOnly &&
      !weak &&
      (weakAttrs > 0 || ((closed || attrs > 0) && mayHave(MARKER_SHAPES, local) && MARKER_TAGS.has(local)))
    )
      weak = hit('xss.html_injection', i, end - i + 1);
  }
  return weak;
}
