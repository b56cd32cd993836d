import { CALL_SINKS, DOCUMENT_SINKS, GLOBAL_OBJECTS, STRONG_CALLS, EVENT_NAMES } from './lexicon.js';
import { hit, isIdent, isQuote, isSpace, isLetter, type Hit } from './hit.js';
import { readAttr, isEventAttr, judgeAttrValue } from './html-scan.js';

/** Characters that may sit between a closed string and injected code: `';alert(1)//`, `"-alert(1)-"`. */
const OPS = new Set(';+-*/%|&^,)}]!~(=?:[{<>\\'.split('').map((c) => c.charCodeAt(0)));
/** Operators that end a statement or expression: a value that starts with them breaks out of code. */
const STMT = new Set(';})]'.split('').map((c) => c.charCodeAt(0)));

/** Skips a member chain backwards (`window.`, `top.`, `string.`) from the start of an identifier. */
function chainStart(s: string, p: number): number {
  while (p > 1 && s.charCodeAt(p - 1) === 46 /* . */ && isIdent(s.charCodeAt(p - 2))) {
    let k = p - 2;
    while (k > 0 && isIdent(s.charCodeAt(k - 1))) k--;
    p = k;
  }
  return p;
}

/**
 * What precedes code at `p`: 2 when a string literal was just closed and an operator follows
 * (`';alert`, `"-alert`, `\');alert`), 1 when the value itself begins with a statement end (`};alert`),
 * else 0.
 */
export function breakoutBefore(s: string, p: number): number {
  let k = chainStart(s, p) - 1;
  let ops = false;
  let stmt = false;
  while (k >= 0) {
    const c = s.charCodeAt(k);
    if (isSpace(c)) {
      k--;
      continue;
    }
    if (OPS.has(c)) {
      ops = true;
      if (STMT.has(c)) stmt = true;
      k--;
      continue;
    }
    break;
  }
  if (k < 0) return stmt ? 1 : 0;
  return isQuote(s.charCodeAt(k)) && ops ? 2 : 0;
}

/** Index just past the call's arguments opening at `i` (`(` or a template backtick), or -1. */
function callEnd(s: string, i: number): number {
  const open = s.charCodeAt(i);
  if (open === 96 /* ` */) {
    const e = s.indexOf('`', i + 1);
    return e < 0 ? -1 : e + 1;
  }
  let depth = 0;
  const n = Math.min(s.length, i + 512);
  for (let k = i; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return k + 1;
  }
  return -1;
}

/**
 * What follows a complete call: the rest of a breakout (`alert(1)//`, `alert(1)">`, `alert(1)-'`,
 * `prompt(1);>`, `alert(1);{//`).
 */
export function breakoutAfter(s: string, e: number): boolean {
  let k = e;
  while (k < s.length && isSpace(s.charCodeAt(k))) k++;
  if (k >= s.length) return false;
  let c = s.charCodeAt(k);
  if (c === 59 /* ; */) {
    k++;
    while (k < s.length && isSpace(s.charCodeAt(k))) k++;
    if (k >= s.length) return false;
    c = s.charCodeAt(k);
    if (c === 123 || c === 125) return true;
  }
  if (c === 62 || c === 60 || isQuote(c)) return true; // > < ' " `
  if (c === 47 && s.charCodeAt(k + 1) === 47) return true; // //
  if (c === 45 && s.startsWith('->', k + 1)) return true; // -->
  if ((c === 45 || c === 43 || c === 124 || c === 38) && isQuote(s.charCodeAt(k + 1))) return true;
  return false;
}

/**
 * `confirm(order)`, `print(hello world)`: a parenthesised plain word reads as prose. Proofs pass a
 * number, a string, a regex, a property (`document.domain`) or nothing.
 */
function isProseArg(s: string, open: number, end: number): boolean {
  if (s.charCodeAt(open) !== 40) return false;
  let letters = 0;
  for (let k = open + 1; k < end - 1; k++) {
    const c = s.charCodeAt(k);
    if (isLetter(c)) letters++;
    else if (c !== 32) return false;
  }
  return letters > 0;
}

/**
 * The value is nothing but the call: `alert(1)`, `prompt()`, `(alert)(1)`, `window.alert(1);`,
 * ``alert`1` //``. A proof of concept sent as is, whatever context it lands in.
 */
function wholeValueCall(s: string, start: number, end: number): boolean {
  for (let k = chainStart(s, start) - 1; k >= 0; k--) {
    const c = s.charCodeAt(k);
    // spaces, `(alert)(1)`, and the `/` of a path (`/alert(1)`)
    if (!(isSpace(c) || c === 40 || c === 47)) return false;
  }
  let k = end;
  while (k < s.length) {
    const c = s.charCodeAt(k);
    if (isSpace(c) || c === 59 || c === 41) k++;
    else break;
  }
  return k >= s.length || s.startsWith('//', k) || s.startsWith('-->', k);
}

/**
 * What is left of an entity-encoded breakout after a query string was split at its `&`:
 * `&lt;script&gt;alert(1)` arrives as a parameter `gt;alert(1)`, `&quot;;alert(1)` as `quot;;alert(1)`.
 */
function entityRemnantBefore(s: string, start: number): boolean {
  const p = chainStart(s, start);
  let k = p;
  while (k > 0 && isSpace(s.charCodeAt(k - 1))) k--;
  let semis = 0;
  while (k > 0 && s.charCodeAt(k - 1) === 59) {
    k--;
    semis++;
  }
  if (semis === 0) return false;
  const word = s.slice(0, k).trimStart();
  return ENTITY_REMNANTS.has(word);
}

const ENTITY_REMNANTS: ReadonlySet<string> = new Set([
  'gt',
  'lt',
  'quot',
  'apos',
  '#39',
  '#34',
  '#x27',
  '#x22',
  '#62',
]);

/** Code runners reported (weakly) even without a breakout: `setTimeout(code, 1)`, `atob(…)`. */
const WEAK_CALLS: ReadonlySet<string> = new Set(['settimeout', 'setinterval', 'atob']);

/** The identifier ending at `e` (exclusive), read backwards; '' when there is none. */
function identBefore(s: string, e: number): [string, number] {
  let k = e;
  while (k > 0 && isIdent(s.charCodeAt(k - 1))) k--;
  return [s.slice(k, e), k];
}

/**
 * Calls of XSS sinks (`alert(1)`, ``alert`1` ``, `window.alert.call(null,1)`, `(alert)(1)`) judged by
 * their context: a string or statement breakout around them is critical (`xss.js_breakout`), a
 * bare call of a strong sink is a weaker `xss.js_sink`.
 */
function scanCalls(s: string): Hit | undefined {
  let weak: Hit | undefined;
  let paren = s.indexOf('(');
  let tick = s.indexOf('`');
  for (let guard = 0; (paren >= 0 || tick >= 0) && guard < 256; guard++) {
    let i: number;
    if (tick < 0 || (paren >= 0 && paren < tick)) {
      i = paren;
      paren = s.indexOf('(', i + 1);
    } else {
      i = tick;
      tick = s.indexOf('`', i + 1);
    }
    const c = s.charCodeAt(i);
    let e = i;
    while (e > 0 && isSpace(s.charCodeAt(e - 1))) e--;
    // `alert?.(`, `(alert)(`
    if (s.charCodeAt(e - 1) === 46 && s.charCodeAt(e - 2) === 63) e -= 2;
    else if (s.charCodeAt(e - 1) === 41) e--;
    let [word, start] = identBefore(s, e);
    if ((word === 'call' || word === 'apply' || word === 'bind') && s.charCodeAt(start - 1) === 46) {
      // ``x.call`…` ``: a tagged template invoking a method, the parenthesis-free call trick
      if (c === 96 && e === i) return hit('xss.js_breakout', start, Math.min(s.length, i + 24) - start);
      [word, start] = identBefore(s, start - 1);
    }
    if (word === 'function' && s.endsWith('new ', start) && !weak) {
      const end = callEnd(s, i);
      if (end > 0) weak = hit('xss.js_sink', start - 4, end - start + 4);
      continue;
    }
    if (word.length < 4 || !CALL_SINKS.has(word)) continue;
    if (start > 0 && (s.charCodeAt(start - 1) === 92 /* \ */ || isLetter(s.charCodeAt(start - 1)))) continue;
    const before = breakoutBefore(s, start);
    const end = callEnd(s, i);
    const strong = STRONG_CALLS.has(word);
    if (
      before === 2 ||
      (end > 0 && (strong || before > 0) && breakoutAfter(s, end)) ||
      (before === 1 && strong)
    )
      return hit('xss.js_breakout', start, (end > 0 ? end : i + 1) - start);
    if (
      end > 0 &&
      strong &&
      !isProseArg(s, i, end) &&
      (wholeValueCall(s, start, end) || entityRemnantBefore(s, start))
    )
      return hit('xss.js_breakout', start, end - start);
    if (!weak && end > 0 && (strong || WEAK_CALLS.has(word)) && !isProseArg(s, i, end)) {
      // `alert(1)`, `eval(atob(...))`: code in a value, but the context is unknown.
      weak = hit('xss.js_sink', start, end - start);
    }
  }
  return weak ?? scanSinkRefs(s);
}

/**
 * A strong sink passed as a value instead of called: `[1].find(alert)`, `a=alert,a(1)`,
 * `onerror=alert;throw 1`. Weak on its own.
 */
function scanSinkRefs(s: string): Hit | undefined {
  for (const w of ['alert', 'prompt', 'confirm', 'eval']) {
    let p = s.indexOf(w);
    for (let guard = 0; p >= 0 && guard < 8; guard++, p = s.indexOf(w, p + w.length)) {
      const b = p > 0 ? s.charCodeAt(p - 1) : 0;
      const e = s.charCodeAt(p + w.length);
      if (!(b === 61 || b === 40 || b === 44 || b === 91)) continue; // = ( , [
      if (e === 41 || e === 44 || e === 59 || e === 93) return hit('xss.js_sink', p, w.length + 1); // ) , ; ]
    }
  }
  return undefined;
}

/** `document.cookie`, `document /*x*\/ . cookie`, `document['cookie']`: DOM secrets and writers. */
function scanDocument(s: string): Hit | undefined {
  let p = s.indexOf('document');
  for (let guard = 0; p >= 0 && guard < 16; guard++, p = s.indexOf('document', p + 8)) {
    if (p > 0 && isIdent(s.charCodeAt(p - 1))) continue;
    let k = skipJunk(s, p + 8);
    if (s.charCodeAt(k) === 41 /* ) */) k = skipJunk(s, k + 1); // `(document)['cookie']`
    const c = s.charCodeAt(k);
    let member = '';
    if (c === 46 /* . */) {
      k = skipJunk(s, k + 1);
      const m = k;
      while (k < s.length && isIdent(s.charCodeAt(k))) k++;
      member = s.slice(m, k);
    } else if (c === 91 /* [ */) {
      k = skipJunk(s, k + 1);
      if (!isQuote(s.charCodeAt(k))) continue;
      const q = s.charCodeAt(k);
      const m = k + 1;
      k = m;
      while (k < s.length && s.charCodeAt(k) !== q && k - m < 32) k++;
      member = s.slice(m, k);
      k++;
      k = skipJunk(s, k);
      if (s.charCodeAt(k) === 93) k++;
    } else continue;
    const after = skipJunk(s, k);
    const ac = s.charCodeAt(after);
    if (!DOCUMENT_SINKS.has(member)) {
      // DOM building: `document.querySelector("p").textContent=…`, `document.getElementById(…)`
      if (DOM_LOOKUPS.has(member) && ac === 40) return hit('xss.js_sink', p, after - p + 1);
      continue;
    }
    const assigns = ac === 61 && s.charCodeAt(after + 1) !== 61;
    const writes = (member === 'write' || member === 'writeln') && ac === 40;
    if (assigns || writes || breakoutBefore(s, p) > 0) return hit('xss.js_breakout', p, after - p + 1);
    if (member === 'cookie' || member === 'domain' || ac === 46 || ac === 40 || ac === 91)
      return hit('xss.js_sink', p, k - p);
  }
  return undefined;
}

/** `document` members that find or build elements. */
const DOM_LOOKUPS: ReadonlySet<string> = new Set([
  'queryselector',
  'queryselectorall',
  'getelementbyid',
  'getelementsbytagname',
  'getelementsbyclassname',
  'getelementsbyname',
]);

/**
 * `window.location`, `top.location=…`, `self.location.href`: navigation through a global, the
 * payload of redirecting XSS. Critical when assigned after a breakout, else weak.
 */
function scanLocation(s: string): Hit | undefined {
  let p = s.indexOf('location');
  for (let guard = 0; p >= 0 && guard < 8; guard++, p = s.indexOf('location', p + 8)) {
    if (isIdent(s.charCodeAt(p + 8)) || s.charCodeAt(p - 1) !== 46) continue;
    const [obj, start] = identBefore(s, p - 1);
    if (!GLOBAL_OBJECTS.has(obj) || (start > 0 && isIdent(s.charCodeAt(start - 1)))) continue;
    const after = skipJunk(s, p + 8);
    const assigns = s.charCodeAt(after) === 61 && s.charCodeAt(after + 1) !== 61;
    if (assigns && breakoutBefore(s, start) > 0) return hit('xss.js_breakout', start, after - start + 1);
    return hit('xss.js_sink', start, p + 8 - start);
  }
  return undefined;
}

/** Skips whitespace and JavaScript block comments backwards from `e` (exclusive). */
function skipJunkBack(s: string, e: number): number {
  for (;;) {
    while (e > 0 && isSpace(s.charCodeAt(e - 1))) e--;
    if (e >= 2 && s.charCodeAt(e - 1) === 47 && s.charCodeAt(e - 2) === 42) {
      const b = s.lastIndexOf('/*', e - 3);
      if (b < 0) return e;
      e = b;
      continue;
    }
    return e;
  }
}

/** Skips whitespace and JavaScript block comments. */
function skipJunk(s: string, k: number): number {
  for (;;) {
    while (k < s.length && isSpace(s.charCodeAt(k))) k++;
    if (s.charCodeAt(k) === 47 && s.charCodeAt(k + 1) === 42) {
      const e = s.indexOf('*/', k + 2);
      if (e < 0) return s.length;
      k = e + 2;
      continue;
    }
    return k;
  }
}

/**
 * `top['al'+'ert'](1)`, `window["document"]["cookie"]`, `self[atob('...')]()`: property access on a
 * global object by computed name, then a call.
 */
function scanGlobalBrackets(s: string, escaped: boolean): Hit | undefined {
  let p = s.indexOf('[');
  for (let guard = 0; p >= 0 && guard < 32; guard++, p = s.indexOf('[', p + 1)) {
    const e = skipJunkBack(s, p);
    const [word, start] = identBefore(s, e);
    if (!GLOBAL_OBJECTS.has(word)) continue;
    if (start > 0 && (isIdent(s.charCodeAt(start - 1)) || s.charCodeAt(start - 1) === 46)) continue;
    const close = s.indexOf(']', p + 1);
    if (close < 0 || close - p > 96) continue;
    const inner = s.slice(p + 1, close);
    let key = '';
    for (let k = 0; k < inner.length; k++) {
      const c = inner.charCodeAt(k);
      if (isIdent(c)) key += inner[k];
    }
    const after = skipJunk(s, close + 1);
    const ac = s.charCodeAt(after);
    // a computed name: a string, a regex source, a concatenation or a decoder call
    const hasString = /['"`/+(]/.test(inner);
    if (!hasString) continue;
    // `self["\x24"]`: a member name hidden in escapes
    if (
      escaped ||
      ac === 40 ||
      ac === 96 ||
      CALL_SINKS.has(key) ||
      DOCUMENT_SINKS.has(key) ||
      key === 'document'
    )
      return hit('xss.js_breakout', start, after - start + 1);
  }
  return undefined;
}

/** Sink names that make a template or expression body look like an XSS proof. */
function hasSinkWord(body: string): boolean {
  for (const w of ['alert', 'prompt', 'confirm', 'eval', 'constructor', 'document', 'fromcharcode', 'atob']) {
    const i = body.indexOf(w);
    if (i >= 0 && (i === 0 || !isIdent(body.charCodeAt(i - 1)))) return true;
  }
  return false;
}

/**
 * Expression languages evaluated in the page: AngularJS/Vue `{{constructor.constructor('…')()}}`,
 * JavaScript template literals `` `${alert(1)}` `` and Netscape's `&{alert(1)};`.
 */
function scanTemplates(s: string): Hit | undefined {
  let p = s.indexOf('{{');
  for (let guard = 0; p >= 0 && guard < 16; guard++, p = s.indexOf('{{', p + 2)) {
    const e = s.indexOf('}}', p + 2);
    const body = s.slice(p + 2, e < 0 ? Math.min(s.length, p + 256) : e);
    if (
      body.indexOf('constructor') >= 0 ||
      body.indexOf('$eval') >= 0 ||
      body.indexOf('$on') >= 0 ||
      body.indexOf('__proto__') >= 0 ||
      (hasSinkWord(body) && body.indexOf('(') >= 0)
    )
      return hit('xss.template_injection', p, body.length + 4);
  }
  p = s.indexOf('${');
  for (let guard = 0; p >= 0 && guard < 16; guard++, p = s.indexOf('${', p + 2)) {
    const e = s.indexOf('}', p + 2);
    const body = s.slice(p + 2, e < 0 ? Math.min(s.length, p + 128) : e);
    if (!hasSinkWord(body)) continue;
    if (s.indexOf('`') >= 0) return hit('xss.js_breakout', p, body.length + 3);
  }
  p = s.indexOf('&{');
  if (p >= 0) {
    const e = s.indexOf('}', p + 2);
    const body = s.slice(p + 2, e < 0 ? s.length : e);
    if (hasSinkWord(body) || body.indexOf('=') >= 0 || body.indexOf('(') >= 0)
      return hit('xss.legacy_vector', p, body.length + 3);
  }
  return undefined;
}

/** Attributes whose value a breakout would set to run script (`" style=…`, `' src=javascript:…`). */
const BREAKOUT_ATTRS = new Set([
  'style',
  'src',
  'href',
  'dynsrc',
  'lowsrc',
  'formaction',
  'action',
  'background',
  'data',
  'xlink:href',
]);

const scratch = { name: '', value: '', hasValue: false, at: 0, end: 0, vStart: 0, vEnd: 0 };

/**
 * Attribute breakouts outside any tag: `" onmouseover=alert(1) x="`, `' autofocus onfocus='…`,
 * `x onerror=alert(1)>`, `s" style=x:expression(alert(1))`. A handler after a closed quote is
 * critical; after a space only when it is a real event name with code as its value. `?onload=1`
 * in a URL is not an attribute (no separator before it).
 */
export function scanAttrBreakout(s: string): Hit | undefined {
  const a = scratch;
  let p = s.indexOf('on');
  for (let guard = 0; p >= 0 && guard < 64; guard++, p = s.indexOf('on', p + 2)) {
    const prev = p > 0 ? s.charCodeAt(p - 1) : 32;
    // `;onfocus=eval(…)`, `,onload=alert(1)`: separators CRS accepts, only with a real event and a call
    const looseSep = prev === 59 || prev === 44 || prev === 40;
    if (!(isSpace(prev) || prev === 47 || isQuote(prev) || looseSep)) continue;
    let k = p + 2;
    while (k < s.length && isLetter(s.charCodeAt(k))) k++;
    const name = s.slice(p, k);
    if (!isEventAttr(name)) continue;
    if (!readAttr(s, p, p + 1024, a) || !a.hasValue || a.name !== name) continue;
    const known = EVENT_NAMES.has(name);
    if (looseSep) {
      if (known && (a.value.indexOf('(') > 0 || a.value.indexOf('`') > 0))
        return hit('xss.event_handler', p, a.end - p);
      continue;
    }
    const quoted = quoteBefore(s, p);
    const code = looksLikeCode(a.value);
    if ((quoted && (known || code)) || (known && code)) return hit('xss.event_handler', p, a.end - p);
    // `"onzoom=` as the whole tail of the value: a probe for a handler after a closed quote
    if (isQuote(prev) && a.value === '' && a.end >= s.length)
      return hit('xss.event_handler', p - 1, a.end - p + 1);
  }
  // `'formaction=`: a closed quote followed at once by an attribute that submits forms elsewhere
  for (
    let q = s.indexOf('formaction'), guard = 0;
    q > 0 && guard < 4;
    guard++, q = s.indexOf('formaction', q + 10)
  ) {
    if (!isQuote(s.charCodeAt(q - 1))) continue;
    let e = q + 10;
    while (e < s.length && isSpace(s.charCodeAt(e))) e++;
    if (s.charCodeAt(e) === 61) return hit('xss.risky_markup', q - 1, e - q + 2);
  }
  // `" style="x:expression(...)`, `' src=javascript:...`: a closed quote opening new attributes.
  for (let q = nextQuote(s, 0), seen = 0; q >= 0 && seen < 16; q = nextQuote(s, q + 1)) {
    const nx = s.charCodeAt(q + 1);
    if (!(isSpace(nx) || nx === 47)) continue;
    seen++;
    let k = q + 1;
    const n = Math.min(s.length, q + 2048);
    for (let attrs = 0; attrs < 16 && readAttr(s, k, n, a); attrs++) {
      k = a.end;
      if (!a.hasValue) continue;
      if (isEventAttr(a.name)) {
        if (EVENT_NAMES.has(a.name) || looksLikeCode(a.value)) return hit('xss.event_handler', q, a.end - q);
      } else if (BREAKOUT_ATTRS.has(a.name)) {
        const rule = judgeAttrValue(a, undefined);
        if (rule) return hit(rule, q, a.end - q);
      }
    }
  }
  return undefined;
}

/** Index of the next `"`, `'` or backtick at or after `from`, or -1. */
function nextQuote(s: string, from: number): number {
  let best = -1;
  for (const q of ['"', "'", '`']) {
    const i = s.indexOf(q, from);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

/** A closed quote (or a backslash-escaped one) before position `p`, past spaces and `/`. */
function quoteBefore(s: string, p: number): boolean {
  let k = p - 1;
  while (k >= 0 && (isSpace(s.charCodeAt(k)) || s.charCodeAt(k) === 47)) k--;
  return k >= 0 && isQuote(s.charCodeAt(k));
}

/** A handler value that is code: a call, a template, a script URL or a sink name. */
function looksLikeCode(v: string): boolean {
  if (v.indexOf('(') >= 0 || v.indexOf('`') >= 0 || v.indexOf('script:') >= 0) return true;
  return hasSinkWord(v) || v.indexOf('=') >= 0;
}

/** JSFuck and friends: code written only with `[]()!+` (`(![]+[])[+!+[]]`). */
function isJsFuck(s: string): boolean {
  if (s.length < 12 || s.indexOf('![]') < 0) return false;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 91 || c === 93 || c === 40 || c === 41 || c === 33 || c === 43 || isSpace(c)) n++;
  }
  return n >= s.length * 0.9;
}

/** Objects a `with` statement opens to call sinks without naming them: `with(document)alert(cookie)`. */
const WITH_OBJECTS: ReadonlySet<string> = new Set([...GLOBAL_OBJECTS, 'location', 'navigator']);

/** `with(document)…`: JavaScript's scope trick, never prose. */
function scanWith(s: string): Hit | undefined {
  let p = s.indexOf('with');
  for (let guard = 0; p >= 0 && guard < 8; guard++, p = s.indexOf('with', p + 4)) {
    if (p > 0 && isIdent(s.charCodeAt(p - 1))) continue;
    let k = skipJunk(s, p + 4);
    if (s.charCodeAt(k) !== 40) continue;
    k = skipJunk(s, k + 1);
    const m = k;
    while (k < s.length && isIdent(s.charCodeAt(k))) k++;
    if (!WITH_OBJECTS.has(s.slice(m, k))) continue;
    k = skipJunk(s, k);
    if (s.charCodeAt(k) === 41) return hit('xss.js_breakout', p, k + 1 - p);
  }
  return undefined;
}

/** JSFuck's building blocks `!![]` and `!+[]` (booleans and numbers from empty arrays). */
function hasJsFuckAtom(s: string): number {
  let p = s.indexOf('[]');
  for (let guard = 0; p >= 2 && guard < 16; guard++, p = s.indexOf('[]', p + 2)) {
    const b = s.charCodeAt(p - 1);
    if ((b === 33 || b === 43) && s.charCodeAt(p - 2) === 33) return p - 2;
  }
  return -1;
}

/**
 * All JavaScript-context checks, strongest first. `escaped` says the value used JavaScript escapes
 * (`\x24`, `\u0061`) that the decoded view no longer shows.
 */
export function scanJs(s: string, escaped = false): Hit | undefined {
  if (s.indexOf('![]') >= 0 && isJsFuck(s)) return hit('xss.js_breakout', 0, s.length);
  if (s.indexOf('[]') >= 0) {
    const j = hasJsFuckAtom(s);
    if (j >= 0) return hit('xss.js_breakout', j, 4);
  }
  if (s.indexOf('with') >= 0) {
    const w = scanWith(s);
    if (w) return w;
  }
  const t = scanTemplates(s);
  if (t) return t;
  const g = scanGlobalBrackets(s, escaped);
  if (g) return g;
  const c = scanCalls(s);
  if (c && c.rule === 'xss.js_breakout') return c;
  const d = scanDocument(s);
  if (d && d.rule === 'xss.js_breakout') return d;
  const l = scanLocation(s);
  if (l && l.rule === 'xss.js_breakout') return l;
  return c ?? d ?? l;
}

/**
 * Script-only DOM tokens that CRS matches in any parameter: `document.cookie` (also glued to a
 * tag remnant: `scriptdocument.cookie=1`), `document.write(`, `.innerHTML=`, and a bare or assigned
 * `window.location`. Prose does not spell member access with a dot and no space.
 */
export function scanDomTokens(s: string): Hit | undefined {
  let p = s.indexOf('document');
  for (let guard = 0; p >= 0 && guard < 16; guard++, p = s.indexOf('document', p + 8)) {
    let k = skipJunk(s, p + 8);
    if (s.charCodeAt(k) !== 46) continue;
    k = skipJunk(s, k + 1);
    if (s.startsWith('cookie', k) && !isIdent(s.charCodeAt(k + 6)))
      return hit('xss.dom_access', p, k + 6 - p);
    if (s.startsWith('write', k)) {
      let e = k + 5;
      if (s.startsWith('ln', e)) e += 2;
      const a = skipJunk(s, e);
      if (s.charCodeAt(a) === 40 || s.charCodeAt(a) === 96) return hit('xss.dom_access', p, a + 1 - p);
    }
  }
  p = s.indexOf('.innerhtml');
  if (p >= 0) {
    const a = skipJunk(s, p + 10);
    if ((s.charCodeAt(a) === 61 && s.charCodeAt(a + 1) !== 61) || s.charCodeAt(p - 1) === 41)
      return hit('xss.dom_access', p, a + 1 - p);
  }
  p = s.indexOf('window.location');
  if (p >= 0 && (p === 0 || !isIdent(s.charCodeAt(p - 1)))) {
    let e = p + 15;
    while (e < s.length && (isIdent(s.charCodeAt(e)) || s.charCodeAt(e) === 46)) e++;
    const a = skipJunk(s, e);
    const whole = s.slice(0, p).trim() === '' && a >= s.length;
    if (whole || (s.charCodeAt(a) === 61 && s.charCodeAt(a + 1) !== 61) || s.charCodeAt(a) === 40)
      return hit('xss.dom_access', p, a - p);
  }
  return undefined;
}
