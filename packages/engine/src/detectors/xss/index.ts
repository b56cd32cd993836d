/**
 * Cross-site scripting. Not a keyword list: a small HTML tokenizer walks every `<` of the decoded
 * value (`lower` view: URL, entities, JS escapes, NULs and NFKC already undone) and judges the tag
 * and its attributes as a browser would read them; separate scanners judge attribute breakouts
 * (`" onmouseover=…`), script URLs, script-running CSS and JavaScript-context injection (a sink call
 * next to a closed string or statement). Benign text with `<` (`a < b`, `I <3 cats`, `x<y`) never
 * forms a dangerous tag and stays clean.
 */
import { Flag, Kind, ARGS, type Value } from '../../value.js';
import type { DetectorFactory, Reporter, RuleDef } from '../detector.js';
import { scanTags, hasActiveMarkup } from './html-scan.js';
import { scanJs, scanAttrBreakout, scanDomTokens } from './js-scan.js';
import { isEventAttr } from './html-scan.js';
import { activeDataUrl, cssDangerInText, cssText, scriptUrlInText } from './url-css.js';
import { cssDecode, htmlEntityDecode } from '../../decode/index.js';
import type { Hit } from './hit.js';

const RULES: readonly RuleDef[] = [
  {
    id: 'xss.script_tag',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description: 'A <script> element opened in user input',
  },
  {
    id: 'xss.active_tag',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description:
      'An element that executes or loads active content (iframe, object, embed, applet, style, xml, ' +
      'meta/link/base/frame with attributes, iframe srcdoc)',
  },
  {
    id: 'xss.event_handler',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description: 'An on* event handler attribute in an injected tag or after an attribute breakout',
  },
  {
    id: 'xss.script_url',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description: 'A javascript:/vbscript: URL or an active data: URL (text/html, script, SVG with script)',
  },
  {
    id: 'xss.css_script',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description: 'Script-running CSS: expression(), behavior:, -moz-binding, @import in a style context',
  },
  {
    id: 'xss.legacy_vector',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description: 'Legacy browser script vectors: IE HTC/time2 behaviours, data islands, Netscape &{…}',
  },
  {
    id: 'xss.js_breakout',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description:
      "JavaScript-context injection: a sink call or DOM write next to a closed string or statement ('-alert(1)-')",
  },
  {
    id: 'xss.template_injection',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description: 'Client-side template injection: AngularJS/Vue {{constructor.constructor(…)()}}',
  },
  {
    id: 'xss.risky_markup',
    version: 1,
    severity: 'critical',
    confidence: 0.8,
    description:
      'Markup abused for XSS even without visible script: SVG/XSLT elements, xmlns/xlink attributes, ' +
      'src/formaction/background attributes, body/form/media/SMIL shells, closing </script>/</style>, ' +
      'tag names split by junk (<f o r m)',
  },
  {
    id: 'xss.unsafe_style',
    version: 1,
    severity: 'critical',
    confidence: 0.8,
    description:
      'A style attribute in injected markup holding more than plain declarations (url(), escapes, ' +
      'comments, braces, glued quotes)',
  },
  {
    id: 'xss.dom_access',
    version: 1,
    severity: 'critical',
    confidence: 0.8,
    description:
      'Script-only DOM access in a parameter: document.cookie, document.write(…), .innerHTML=, window.location',
  },
  {
    id: 'xss.js_sink',
    version: 1,
    severity: 'high',
    confidence: 0.6,
    description: 'A bare call of an XSS proof sink (alert(1), eval(…)) or a read of document.cookie',
  },
  {
    id: 'xss.html_injection',
    version: 1,
    severity: 'medium',
    confidence: 0.5,
    description:
      'HTML markup injected without an executing part (a known element with attributes, a closed raw-text context)',
  },
];

/** Rank of the weaker findings, to report the strongest when nothing critical matched. */
const WEAK_RANK: Readonly<Record<string, number>> = { 'xss.js_sink': 2, 'xss.html_injection': 1 };

/** Any of these characters is needed for any rule to match. */
const NEEDED =
  Flag.angle |
  Flag.paren |
  Flag.backtick |
  Flag.colon |
  Flag.brace |
  Flag.quote |
  Flag.eq |
  Flag.bracket |
  Flag.dot;

/**
 * Structured headers never reflected as markup; skipped. Any other header (user-agent, referer,
 * x-forwarded-for, custom ones shown in logs and dashboards) gets only the high-confidence rules:
 * executing markup, script URLs and quoted attribute breakouts.
 */
const SKIPPED_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-charset',
  'authorization',
  'content-type',
  'content-length',
  'host',
  'connection',
  'cache-control',
  'if-none-match',
  'if-modified-since',
]);

function stronger(a: Hit | undefined, b: Hit | undefined): Hit | undefined {
  if (!a) return b;
  if (!b) return a;
  return (WEAK_RANK[b.rule] ?? 3) > (WEAK_RANK[a.rule] ?? 3) ? b : a;
}

function isWeak(h: Hit | undefined): boolean {
  return h !== undefined && WEAK_RANK[h.rule] !== undefined;
}

/**
 * Markup hidden in encodings the decoders do not undo: US-ASCII with the high bit set (`¼script¾`,
 * which NFKC turns into `1⁄4script3⁄4`) and UTF-7 (`+ADw-script+AD4-`).
 */
function altMarkup(s: string): string | undefined {
  let t: string | undefined;
  if (s.indexOf('\u2044') >= 0 && s.indexOf('1\u20444') >= 0)
    t = s.replaceAll('1\u20444', '<').replaceAll('3\u20444', '>').replaceAll('1\u20442', '"');
  if (s.indexOf('+adw-') >= 0)
    t = (t ?? s)
      .replaceAll('+adw-', '<')
      .replaceAll('+ad4-', '>')
      .replaceAll('+aci-', '"')
      .replaceAll('+acc-', "'");
  return t;
}

function inspect(v: Value, report: Reporter): void {
  let strongOnly = false;
  let headerBreakouts = false;
  if (v.kind === Kind.header) {
    if (SKIPPED_HEADERS.has(v.name)) return;
    strongOnly = true;
    headerBreakouts = true;
  }
  const emit = (h: Hit, str: string, view: 'lower' | 'css') =>
    report.value(h.rule, v, view, str.slice(h.at, h.at + Math.min(h.len, 160)), h.confidence);
  if ((v.kind & (Kind.argName | Kind.cookieName)) !== 0 && v.raw.length > 2 && v.raw.charCodeAt(0) <= 0x2f) {
    // `?  onload= =x`, `?"onmouseover=…`: a parameter name that is an event attribute after a
    // space or quote, i.e. an attribute list injected through the name
    const s = v.view('lower');
    const h = eventName(s);
    if (h) return emit(h, s, 'lower');
  }
  if ((v.kind & (Kind.cookie | Kind.arg)) !== 0 && v.name.indexOf('.') >= 0) {
    // the parser reports plain names only as the value's name: `window.location=1`
    const name = v.name.toLowerCase();
    const h = scanDomTokens(name);
    if (h) return report.value(h.rule, v, 'raw', name.slice(h.at, h.at + h.len), h.confidence);
  }
  if (v.isPlain) {
    // `window.location`, `document.cookie=1`: script tokens made of plain characters
    if (v.raw.indexOf('.') >= 0 && (v.kind & (Kind.path | Kind.pathSegment | Kind.header)) === 0) {
      const s = v.view('lower');
      const h = scanDomTokens(s);
      if (h) return emit(h, s, 'lower');
    }
    // Only a script URL fits in plain characters (`javascript:a=1`).
    if (v.raw.indexOf(':') < 0) return;
    const s = v.view('lower');
    if (s.indexOf('script:') < 0) return;
    const u = scriptUrlInText(s);
    if (u) emit({ rule: 'xss.script_url', at: u.at, len: u.len }, s, 'lower');
    return;
  }
  // Uploaded files are documents, not reflected input (the upload detector judges them).
  if (v.kind === Kind.bodyRaw && v.location.startsWith('body.multipart.file')) return;
  const f = v.flags;
  let s = v.view('lower');
  // The XML walker hands over attribute values with `&amp;` still encoded: the markup the
  // application finally renders is one entity level further down.
  if (v.kind === Kind.xml && s.indexOf('&') >= 0) s = htmlEntityDecode(s).toLowerCase();
  const utf7 = s.indexOf('+adw-') >= 0;
  if ((f & NEEDED) === 0 && (f & Flag.nonAscii) === 0 && !utf7) return;

  let weak: Hit | undefined;
  if ((f & Flag.angle) !== 0) {
    const norm = v.view('norm');
    const h = scanTags(s, norm.length === s.length ? norm : undefined, strongOnly);
    if (h && !isWeak(h)) return emit(h, s, 'lower');
    weak = h;
  }
  if ((f & Flag.nonAscii) !== 0 || utf7) {
    const alt = altMarkup(s);
    if (alt) {
      const h = scanTags(alt, undefined, strongOnly);
      if (h && !isWeak(h)) return emit(h, alt, 'lower');
      // `¼test¾…¼/test¾`: any element opened and closed through the 7-bit or UTF-7 trick
      const pair = encodedTagPair(alt);
      if (pair >= 0) return emit({ rule: 'xss.legacy_vector', at: pair, len: 32 }, alt, 'lower');
      weak = stronger(weak, h);
    }
  }
  // CSS escapes (`\0075\0072\006c`) read as JS octal escapes in `norm`: judge them CSS-decoded.
  const url = v.view('url');
  if (url.indexOf('\\') >= 0) {
    const alt = htmlEntityDecode(cssDecode(url)).toLowerCase();
    if (alt !== s) {
      const h = alt.indexOf('<') >= 0 ? scanTags(alt, undefined, true) : undefined;
      if (h && !isWeak(h)) return emit(h, alt, 'lower');
      if (!strongOnly) {
        const c = cssDangerInText(cssText(alt));
        if (c >= 0) return emit({ rule: 'xss.css_script', at: c, len: 24 }, alt, 'css');
      }
    }
  }
  if ((f & NEEDED) === 0) return;
  if ((f & Flag.colon) !== 0) {
    const u = scriptUrlInText(s);
    if (u) return emit({ rule: 'xss.script_url', at: u.at, len: u.len }, s, 'lower');
    const d = activeDataUrl(v.view('norm'), s, hasActiveMarkup);
    if (d) return emit({ rule: 'xss.script_url', at: d.at, len: d.len }, s, 'lower');
  }
  if ((f & Flag.eq) !== 0 && (!strongOnly || headerBreakouts)) {
    const h = scanAttrBreakout(s);
    if (h) return emit(h, s, 'lower');
  }
  if (strongOnly) return;
  if (
    (f & (Flag.paren | Flag.colon)) !== 0 &&
    (s.indexOf('expression') >= 0 ||
      s.indexOf('/*') >= 0 ||
      s.indexOf('\\') >= 0 ||
      s.indexOf('behavio') >= 0 ||
      s.indexOf('binding') >= 0 ||
      s.indexOf('url') >= 0)
  ) {
    const css = v.view('css');
    const c = cssText(css);
    const at = cssDangerInText(c);
    if (at >= 0) return emit({ rule: 'xss.css_script', at, len: 24 }, c, 'css');
  }
  if ((f & Flag.dot) !== 0 && (v.kind & (Kind.path | Kind.pathSegment)) === 0) {
    const h = scanDomTokens(s);
    if (h) return emit(h, s, 'lower');
  }
  if ((f & (Flag.paren | Flag.backtick | Flag.bracket | Flag.brace | Flag.dot)) !== 0) {
    const escaped = url.indexOf('\\x') >= 0 || url.indexOf('\\u') >= 0;
    const h = scanJs(s, escaped);
    if (h && !isWeak(h)) return emit(h, s, 'lower');
    // `al\u0065rt(1)`, `alert&#40;1&#41;`, `ａｌｅｒｔ(1)`: a sink call that only exists once decoded
    if (h && h.rule === 'xss.js_sink' && isObfuscated(s.slice(h.at, h.at + h.len), url))
      return emit({ rule: 'xss.js_breakout', at: h.at, len: h.len }, s, 'lower');
    weak = stronger(weak, h);
  }
  if (weak) emit(weak, s, 'lower');
}

/** Index of an element opened (`<name>`/`<name `) and later closed (`</name>`) in `s`, or -1. */
function encodedTagPair(s: string): number {
  let c = s.indexOf('</');
  for (let guard = 0; c >= 0 && guard < 8; guard++, c = s.indexOf('</', c + 2)) {
    let e = c + 2;
    while (e < s.length && s.charCodeAt(e) >= 97 && s.charCodeAt(e) <= 122) e++;
    if (e === c + 2 || e - c > 18 || s.charCodeAt(e) !== 62) continue;
    const name = s.slice(c + 2, e);
    const o = s.lastIndexOf('<' + name, c);
    if (o < 0) continue;
    const after = s.charCodeAt(o + 1 + name.length);
    if (after === 62 || after === 32) return o;
  }
  return -1;
}

/** A sink call seen in the decoded text but not in the URL-decoded one: escapes or entities hid it. */
function isObfuscated(evidence: string, url: string): boolean {
  const open = evidence.search(/[(`]/);
  if (open <= 0) return false;
  const call = evidence.slice(0, open + 1);
  return url.toLowerCase().indexOf(call) < 0;
}

/** A parameter or cookie name that is `on…` after leading spaces, quotes or slashes. */
function eventName(s: string): Hit | undefined {
  let k = 0;
  while (k < s.length) {
    const c = s.charCodeAt(k);
    if (c <= 0x20 || c === 34 || c === 39 || c === 96 || c === 47) k++;
    else break;
  }
  if (k === 0 || !s.startsWith('on', k)) return undefined;
  let e = k + 2;
  while (e < s.length && s.charCodeAt(e) >= 97 && s.charCodeAt(e) <= 122) e++;
  // the longest real event name (`onwebkitplaybacktargetavailabilitychanged`) has 41 letters
  if (e - k > 48 || !isEventAttr(s.slice(k, e))) return undefined;
  while (e < s.length && s.charCodeAt(e) <= 0x20) e++;
  return e >= s.length || s.charCodeAt(e) === 61 ? { rule: 'xss.event_handler', at: 0, len: e } : undefined;
}

/** The XSS detector: HTML-context, attribute-context, URL, CSS and JavaScript-context rules. */
export const createXssDetector: DetectorFactory = () => ({
  class: 'xss',
  rules: RULES,
  kinds: ARGS | Kind.path | Kind.header | Kind.bodyRaw,
  inspectValue: inspect,
});
