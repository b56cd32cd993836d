import { type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';

/**
 * CRLF injection, HTTP response splitting and request smuggling through values. A line break (CR, LF,
 * or the UTF-8 characters U+560A/U+560D that some servers truncate to LF/CR) followed by a header line
 * (`Name: value`), a status line (`HTTP/1.1 200`) or a request line (`GET / HTTP/1.1`) is what an
 * injected header or response looks like. Multi-line text in body fields is normal, so a generic
 * `Name:` after a newline there is only a weak signal; HTTP-specific header names stay strong.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'crlf.header-injection',
    version: 2,
    severity: 'critical',
    confidence: 0.9,
    description: 'A line break followed by an HTTP header that changes the response (`%0d%0aSet-Cookie:`)',
  },
  {
    id: 'crlf.generic-header',
    version: 2,
    severity: 'high',
    confidence: 0.7,
    description: 'A line break followed by `Name:` in a query, cookie, header or path value',
  },
  {
    id: 'crlf.body-header-line',
    version: 1,
    severity: 'medium',
    confidence: 0.4,
    description: 'A line break followed by an HTTP header name in a body field (could be pasted text)',
  },
  {
    id: 'crlf.response-splitting',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description: 'A second HTTP response or an empty line and markup injected after a line break',
  },
  {
    id: 'crlf.request-line',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description: 'An HTTP request line (`GET /x HTTP/1.1`) after a line break: request smuggling',
  },
  {
    id: 'crlf.request-line-arg',
    version: 1,
    severity: 'high',
    confidence: 0.6,
    description: 'A value that is an HTTP request line (`GET http://x HTTP/1.1`)',
  },
  {
    id: 'crlf.newline-in-name-or-path',
    version: 1,
    severity: 'critical',
    confidence: 0.8,
    description: 'A line break in the path or in a parameter name, where no client puts one',
  },
];

/** Header names whose injection changes what the client does with the response. */
const DANGEROUS_HEADERS: ReadonlySet<string> = new Set([
  'set-cookie',
  'location',
  'content-length',
  'content-type',
  'transfer-encoding',
  'refresh',
  'content-security-policy',
  'x-xss-protection',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'content-disposition',
  'link',
  'x-frame-options',
  'cache-control',
  'host',
  'cookie',
  'x-forwarded-for',
  'x-forwarded-host',
  'remote-addr',
  'x-original-url',
  'x-rewrite-url',
  'connection',
  'upgrade',
  'strict-transport-security',
  'content-encoding',
  'vary',
  'www-authenticate',
  'authorization',
  'x-content-type-options',
  'status',
  'expect',
  'x-real-ip',
]);

const METHODS =
  /^(?:get|post|head|put|delete|options|connect|trace|patch|propfind|move|copy)\s+\S{1,2048}\s+http\/\d/i;
const BREAK = /[\r\n\u560a\u560d\u010a\u010d]/;

const isBreak = (c: number) => c === 10 || c === 13 || c === 0x560a || c === 0x560d;
const isNameChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95;

/** Header names that are also English words: in a body field they need an HTTP-looking value. */
const WORD_HEADERS: ReadonlySet<string> = new Set([
  'location',
  'link',
  'refresh',
  'host',
  'cookie',
  'connection',
  'upgrade',
  'vary',
  'status',
  'expect',
  'authorization',
]);
/** The start of a header value as a server writes it: a URL, a path, `<url>`, a number or `*`. */
const HTTP_VALUE = /^[ \t]*(?:https?:|\/|<|\d|\*)/i;

/**
 * Whether a body field is a header injection rather than pasted text: the value opens with its line
 * break, or with one short token (`en`, `/home`) before it as a parameter value would, and the header
 * after it is HTTP-only (`Set-Cookie`, `Access-Control-Allow-Origin`) or an English-word name
 * (`Location`) with a URL, path or number for its value. `colon` is the index of the header's `:`.
 */
function isInjectedHead(s: string, first: number, name: string, colon: number): boolean {
  if (first > 64) return false;
  for (let i = 0; i < first; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9) return false;
  }
  return !WORD_HEADERS.has(name) || HTTP_VALUE.test(s.slice(colon + 1, colon + 16));
}

/** Creates the CRLF / response-splitting detector. */
export const createCrlfDetector: DetectorFactory = () => ({
  class: 'crlf',
  rules: RULES,
  kinds: ARGS | Kind.header | Kind.headerName | Kind.path | Kind.pathSegment,
  inspectValue(v: Value, report: Reporter): void {
    if (v.isPlain) {
      // a plain value can still be a request line: `GET http://x HTTP/1.1`
      if ((v.kind & Kind.arg) !== 0 && v.raw.length > 12 && METHODS.test(v.raw))
        report.value('crlf.request-line-arg', v, 'raw', snippet(v.raw, 0, 0, 100));
      return;
    }
    // `url` keeps every decoded byte (norm would also expand entities, which XML already did)
    let s = v.view('url');
    if (!BREAK.test(s)) {
      const n = v.view('norm');
      if ((v.flags & Flag.newline) === 0 && n.indexOf('\u560a') < 0 && n.indexOf('\u560d') < 0) {
        if ((v.kind & (Kind.arg | Kind.xml)) !== 0 && s.length > 12 && METHODS.test(s.trimStart()))
          report.value('crlf.request-line-arg', v, 'url', snippet(s, 0, 0, 100));
        return;
      }
      s = n;
    }
    const inBody = v.location.startsWith('body');
    const strictPlace =
      (v.kind & (Kind.path | Kind.pathSegment | Kind.argName | Kind.cookieName | Kind.headerName)) !== 0;
    let generic = -1;
    let genericName = '';
    const first = s.search(BREAK);
    for (let i = 0; i < s.length; i++) {
      if (!isBreak(s.charCodeAt(i))) continue;
      let k = i + 1;
      while (k < s.length && (isBreak(s.charCodeAt(k)) || s[k] === ' ' || s[k] === '\t')) k++;
      const sawBlankLine = /\r?\n\r?\n|\r\r|\u560d\u560a\u560d\u560a/.test(s.slice(i, k));
      // status line of a second response
      if (/^http\/\d(?:\.\d)?\s+\d{3}/i.test(s.slice(k, k + 16))) {
        report.value('crlf.response-splitting', v, 'url', snippet(s, i, 20, 120));
        return;
      }
      if (sawBlankLine && /^<(?:html|script|body|!doctype|svg|meta|iframe)/i.test(s.slice(k, k + 12))) {
        report.value('crlf.response-splitting', v, 'url', snippet(s, i, 20, 120));
        return;
      }
      if (METHODS.test(s.slice(k, k + 2100))) {
        report.value('crlf.request-line', v, 'url', snippet(s, i, 20, 120));
        return;
      }
      // header line: a token, optional blanks or stray CRs, then a colon
      let e = k;
      while (e < s.length && e - k < 64 && isNameChar(s.charCodeAt(e))) e++;
      if (e - k < 2) continue;
      let c = e;
      while (c < s.length && (s[c] === ' ' || s[c] === '\t' || s[c] === '\r' || s[c] === '\u560d')) c++;
      if (s[c] !== ':') continue;
      const name = s.slice(k, e).toLowerCase();
      if (DANGEROUS_HEADERS.has(name) && (!inBody || (i === first && isInjectedHead(s, first, name, c)))) {
        report.value('crlf.header-injection', v, 'url', snippet(s, i, e - i + 8, 120));
        return;
      }
      if (generic < 0) {
        generic = i;
        genericName = name;
      }
    }
    if (strictPlace) {
      report.value('crlf.newline-in-name-or-path', v, 'url', snippet(s, s.search(BREAK), 10, 120));
      return;
    }
    if (generic >= 0) {
      if (inBody) {
        if (DANGEROUS_HEADERS.has(genericName))
          report.value('crlf.body-header-line', v, 'url', snippet(s, generic, 20, 120));
        // `\nX-Injected: 1` opening a field is a header line, as in a query (a dashed name is no prose)
        else if (generic === first && genericName.indexOf('-') > 0 && isInjectedHead(s, first, '', 0))
          report.value('crlf.generic-header', v, 'url', snippet(s, generic, 20, 120));
      } else report.value('crlf.generic-header', v, 'url', snippet(s, generic, 20, 120));
    }
  },
});
