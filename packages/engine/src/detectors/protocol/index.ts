import { ruleDefiner, type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { ARGS, Kind, type Value } from '../../value.js';
import { charsetClass } from './charsets.js';
import { checkMultipart } from './multipart-checks.js';
import { paramValues, parseHeaderParams } from './params.js';
import { isBinaryMedia } from '../../request/binary-media.js';

/**
 * Protocol abuse (CRS 911 methods, 920 protocol enforcement, 921 protocol attacks, 922 multipart).
 * Oddities that real clients also produce are `low`/`medium` (they add up with other findings);
 * shapes no browser or HTTP library sends and that exist to make a filter and the back end read a
 * request differently are `critical`: smuggling, NUL, overlong/invalid UTF-8 and `%u` escapes of
 * ASCII, twice-encoded letters, evasive charsets (UTF-7, EBCDIC, UTF-16/32 forms), media types or
 * charsets hidden in Content-Type parameters, bodies on GET/HEAD, invalid byte ranges, methods
 * outside the allowed list, multipart header smuggling (see multipart-checks.ts).
 *
 * Decisions (CRS rules left out or softened, and why):
 * - A missing Host is not a finding by default: recorded traffic and the corpus often omit it
 *   (FORMAT.md: "host and content-length may be absent"). `require_host` (proposed config flag,
 *   read here if present, off by default) turns on `protocol.missing_host` for HTTP/1.1 front ends.
 * - Missing/empty Accept or User-Agent (920300-920330), numeric-IP Host (920350), length limits set
 *   by a site (920360-920410), restricted file extensions (920440, the sensitive_file detector),
 *   WebDAV and Content-Range headers (920450), Accept-Charset (920451, sent by CSIC 2010), duplicate
 *   Connection tokens (920210) and duplicate parameters (921180, ordinary arrays) are not attacks.
 * - PUT, PATCH and DELETE are allowed by default (REST APIs; `allowed_methods`); anything outside
 *   the list is critical (911100).
 * - Latin-1 percent escapes (`%F1`, `%C0` = À) and `+` are normal (CSIC 2010): only sequences
 *   shaped like UTF-8 that are overlong or out of range count. `%uXXXX` is JavaScript escape() for
 *   CJK text (low); for ASCII or full-width `<>'"/\` it is evasion (critical).
 * - GET with a JSON body is Elasticsearch (low); with any other body it is smuggling (critical).
 * - An unknown charset name (`charset=garbage`) or garbage Content-Type parameters (`application/json;
 *   utf-8`, a popular Java snippet) stay `medium`: broken clients, nothing a back end would decode.
 * - Limits (v2): a request over an inspection limit is inspected in part, like CRS's default
 *   `SecRequestBodyLimitAction ProcessPartial`, not blocked for its size. `limit_exceeded` is `low`
 *   (2 points) so an analyst sees that part went uninspected; a request reports at most two of them
 *   (body first; the others folded into the second's evidence), so limits alone score at most 4 and
 *   never block at `balanced` (5) — they do at `high` (4) and `paranoid` (2), where a request that
 *   cannot be inspected whole is refused. Shapes the cut itself makes (unclosed JSON, XML or
 *   multipart, a half escape) are not reported (see `ParsedRequest.bodyTruncated`).
 * - A NUL in a raw body is content, not evasion, when the body is declared binary (`image/*`,
 *   `application/octet-stream`, ...): `null_byte_body` is for bodies declared or sniffed as text.
 */
// Rules whose logic or severity changed since version 1 (round 2: CRS PL1 parity).
const V2 = new Set([
  'limit_exceeded',
  'null_byte_body',
  'null_byte',
  'overlong_utf8',
  'unicode_escape',
  'method_not_allowed',
  'invalid_method',
  'httpoxy',
  'embedded_request',
  'body_on_get',
  'charset_not_allowed',
  'invalid_content_type',
]);
const r = ruleDefiner('protocol', Object.fromEntries([...V2].map((n) => [n, 2])));
const RULES: readonly RuleDef[] = [
  r(
    'limit_exceeded',
    'low',
    0.3,
    'a size limit was exceeded; the request was inspected in part (the rest was not inspected)',
  ),
  r(
    'body_limit_rejected',
    'critical',
    0.6,
    'body over max_body_bytes with body_limit_action: block (the uninspected rest could hide anything)',
  ),
  r('invalid_encoding', 'low', 0.5, 'malformed percent-encoding'),
  r('malformed_body', 'low', 0.4, 'body does not parse as its declared format'),
  r('null_byte', 'critical', 0.85, 'NUL byte in the request-target, an argument, a name or a header'),
  r('null_byte_body', 'medium', 0.5, 'NUL byte in a raw (non-form) request body not declared binary'),
  r('control_char', 'low', 0.4, 'control character in the path, an argument name or a header'),
  r('crlf_in_name', 'critical', 0.85, 'CR or LF inside an argument or cookie name (header injection)'),
  r('unicode_escape', 'low', 0.5, 'IIS %uXXXX escape in the request-target'),
  r(
    'unicode_evasion',
    'critical',
    0.85,
    'IIS %u escape of an ASCII character (%u0027) or of a full-width </>/\'/"/\\ (%uFF1C)',
  ),
  r('overlong_utf8', 'critical', 0.85, 'overlong UTF-8 percent-encoding (%c0%af, %e0%80%ae)'),
  r('invalid_utf8', 'critical', 0.8, 'UTF-8 percent-encoding beyond U+10FFFF or of a surrogate'),
  r('invalid_utf8_declared', 'medium', 0.5, 'form declared as UTF-8 whose escapes are not UTF-8'),
  r('double_encoding', 'low', 0.4, 'percent-encoded percent sign before an escape (%252f)'),
  r(
    'double_encoding_evasion',
    'critical',
    0.85,
    'letters or digits percent-encoded twice (%2573%2565...): no client encodes them, evasion only',
  ),
  r('method_not_allowed', 'critical', 0.85, 'method not in the allowed list'),
  r('invalid_method', 'critical', 0.9, 'method is not an HTTP token'),
  r('missing_host', 'low', 0.5, 'no Host header (only with require_host)'),
  r('empty_host', 'low', 0.5, 'empty Host header'),
  r('multiple_host', 'high', 0.8, 'several Host headers'),
  r('host_mismatch', 'medium', 0.6, 'absolute-form request-target names another host than Host'),
  r(
    'smuggling',
    'critical',
    0.9,
    'request smuggling: Content-Length with Transfer-Encoding, or conflicting lengths',
  ),
  r('transfer_encoding', 'high', 0.7, 'Transfer-Encoding other than chunked, or on GET/HEAD'),
  r('invalid_content_length', 'medium', 0.7, 'Content-Length is not a decimal number'),
  r('body_without_content_type', 'low', 0.4, 'request body without Content-Type'),
  r('body_on_get', 'low', 0.4, 'GET with a JSON body (search APIs do this)'),
  r(
    'get_with_body',
    'critical',
    0.8,
    'HEAD with a body, or GET with a non-JSON body: request or parameter smuggling',
  ),
  r('invalid_content_type', 'medium', 0.6, 'Content-Type that is not a media type'),
  r('bogus_content_type', 'critical', 0.8, 'body sent with a Content-Type that has no type/subtype'),
  r(
    'content_type_confusion',
    'critical',
    0.85,
    'Content-Type with a second media type, charset or boundary hidden in its parameters',
  ),
  r(
    'content_type_mismatch',
    'critical',
    0.85,
    'a multipart/form-data body sent under another Content-Type (multipart/foo, application/x)',
  ),
  r('multiple_content_type', 'medium', 0.7, 'several Content-Type headers'),
  r('charset_not_allowed', 'medium', 0.6, 'body charset outside the usual ones'),
  r(
    'charset_evasive',
    'critical',
    0.85,
    'UTF-7, EBCDIC or UTF-16/32 form charset in Content-Type, Accept or Accept-Charset',
  ),
  r('header_injection', 'critical', 0.9, 'CR or LF inside a header value (request splitting, obs-fold)'),
  r('invalid_header_name', 'medium', 0.7, 'header name with characters outside the HTTP token set'),
  r('method_override', 'high', 0.7, 'method-override header or parameter to a dangerous method'),
  r('range_abuse', 'medium', 0.6, 'Range header with many ranges'),
  r(
    'range_invalid',
    'critical',
    0.85,
    'byte Range that no client sends: last < first, 16+ digit offsets (MS15-034), garbage',
  ),
  r('legacy_range', 'critical', 0.75, 'Request-Range header (obsolete; Apache Killer range DoS)'),
  r('encoded_body', 'high', 0.6, 'compressed request body (Content-Encoding): not inspectable'),
  r('hop_by_hop_abuse', 'high', 0.7, 'Connection header naming an end-to-end header to strip it'),
  r('httpoxy', 'critical', 0.9, 'Proxy request header (httpoxy)'),
  r('fragment_in_target', 'low', 0.4, 'fragment (#) sent in the request-target'),
  r('embedded_request', 'critical', 0.85, 'an HTTP request line inside an argument'),
  r('multipart_name', 'critical', 0.85, 'multipart field or file name with ", ; or = (parser confusion)'),
  r(
    'multipart_smuggling',
    'critical',
    0.85,
    'multipart header smuggling: folded/repeated part headers, duplicate name/filename, hidden parts',
  ),
  r('multipart_charset', 'critical', 0.85, 'multipart part or _charset_ with UTF-7, UTF-16/32 or EBCDIC'),
  r('multipart_charset_unusual', 'high', 0.6, 'text field declared in a charset browsers do not send'),
  r(
    'multipart_cte',
    'critical',
    0.8,
    'multipart part with a Content-Transfer-Encoding (quoted-printable, base64)',
  ),
];

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Header names every browser sends (all valid tokens): they skip the `TOKEN` test. */
const COMMON_NAMES = new Set(
  [
    'host',
    'user-agent',
    'accept',
    'accept-language',
    'accept-encoding',
    'accept-charset',
    'connection',
    'cookie',
    'content-type',
    'content-length',
    'referer',
    'pragma',
    'cache-control',
    'origin',
    'upgrade-insecure-requests',
    'x-requested-with',
    'authorization',
    'if-modified-since',
    'if-none-match',
  ].filter((n) => TOKEN.test(n)),
);
/** Any character one of the header value checks looks for: CR, LF, NUL, other controls, `%00`. */
const HEADER_SUSPECT = /[\u0000-\u0008\u000a-\u001f\u007f]|%00/;
const MEDIA_TYPE = /^[\w!#$&^.+*-]+\/[\w!#$&^.+*-]+$/;
const MEDIA_PARAM = /^[\w!#$&^.+*-]+=(?:"[^"\r\n]*"|[^\s;",]+)$/;

/** `type/subtype; a=b; c="d"`, parsed by hand (parameters split on `;` outside quotes). */
function isMediaType(ct: string): boolean {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < ct.length; i++) {
    const c = ct.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 59 && !quoted) {
      parts.push(ct.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(ct.slice(start));
  if (!MEDIA_TYPE.test(parts[0]!.trim())) return false;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!.trim();
    if (p === '' && i === parts.length - 1) continue;
    const eq = p.indexOf('=');
    if (eq < 0 || !MEDIA_PARAM.test(p.slice(0, eq).trim() + '=' + p.slice(eq + 1).trim())) return false;
  }
  return true;
}
const DANGEROUS_OVERRIDE = new Set([
  'TRACE',
  'TRACK',
  'CONNECT',
  'DEBUG',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
]);
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
const METHODS =
  'get|post|head|put|delete|options|connect|trace|track|patch|propfind|proppatch|mkcol|copy|move|lock|unlock';
const REQUEST_LINE = new RegExp(`^(?:${METHODS})[ \\t]+[^\\s]+[ \\t]+http\\/\\d`, 'i');
// Without a version (CRS 921110): `\r\nGET /path\r\n`, the target alone on its line.
const BARE_REQUEST_LINE = new RegExp(`^(?:${METHODS}) (?:\\/|https?:\\/\\/)[^\\s]*$`, 'i');
// A whole value that is a request line: `GET http://host/ HTTP/1.1` (request splitting payload).
const WHOLE_REQUEST_LINE = new RegExp(`^(?:${METHODS}) +[^\\s]+ +http\\/\\d(?:\\.\\d)?$`, 'i');

/** An HTTP request line right after a CR or LF; the index of the line, or -1. */
function embeddedRequest(s: string): number {
  let guard = 0;
  for (let i = 0; i < s.length && guard < 64; i++) {
    const c = s.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    guard++;
    let k = i + 1;
    while (
      k < s.length &&
      (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9 || s.charCodeAt(k) === 10 || s.charCodeAt(k) === 13)
    )
      k++;
    if (REQUEST_LINE.test(s.slice(k, k + 300))) return k;
    let e = k;
    while (e < s.length && e - k < 300 && s.charCodeAt(e) !== 10 && s.charCodeAt(e) !== 13) e++;
    if (e > k && BARE_REQUEST_LINE.test(s.slice(k, e))) return k;
    i = k - 1;
  }
  return -1;
}

const HEX = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
/** The byte of a `%XX` escape at `i`, or -1. */
function escByte(s: string, i: number): number {
  if (s.charCodeAt(i) !== 37 || i + 2 >= s.length) return -1;
  const a = HEX(s.charCodeAt(i + 1));
  const b = HEX(s.charCodeAt(i + 2));
  return a < 0 || b < 0 ? -1 : (a << 4) | b;
}

/**
 * UTF-8 abuse in percent-escapes: a lead byte followed by all its continuation bytes that is
 * overlong (`%c0%af`, `%e0%80%ae`), a surrogate, or beyond U+10FFFF. A lead byte without
 * continuations is a Latin-1 letter (`%F1` = ñ, CSIC 2010) and passes. With `strict`, any escape
 * sequence that is not UTF-8 is reported as 'latin'.
 */
function utf8Abuse(
  s: string,
  strict: boolean,
): { kind: 'overlong' | 'invalid' | 'latin'; at: number; len: number } | null {
  let latin: { kind: 'latin'; at: number; len: number } | null = null;
  for (let i = s.indexOf('%'); i >= 0 && i < s.length; i = s.indexOf('%', i + 1)) {
    const b0 = escByte(s, i);
    if (b0 < 0x80) continue;
    const need = b0 >= 0xfc ? 5 : b0 >= 0xf8 ? 4 : b0 >= 0xf0 ? 3 : b0 >= 0xe0 ? 2 : b0 >= 0xc0 ? 1 : 0;
    let got = 0;
    let b1 = -1;
    while (got < need) {
      const b = escByte(s, i + 3 * (got + 1));
      if (b < 0x80 || b > 0xbf) break;
      if (got === 0) b1 = b;
      got++;
    }
    const len = 3 * (got + 1);
    if (need === 0 || got < need) {
      if (strict && !latin) latin = { kind: 'latin', at: i, len: 3 };
      i += len - 1;
      continue;
    }
    if (b0 <= 0xc1 || (b0 === 0xe0 && b1 < 0xa0) || (b0 === 0xf0 && b1 < 0x90))
      return { kind: 'overlong', at: i, len };
    if (b0 >= 0xf5 || (b0 === 0xf4 && b1 >= 0x90) || (b0 === 0xed && b1 >= 0xa0))
      return { kind: 'invalid', at: i, len };
    i += len - 1;
  }
  return latin;
}

// Full-width forms IIS folds to `"`, `'`, `/`, `<`, `>`, `\`.
const FULLWIDTH_SYNTAX = new Set([0xff02, 0xff07, 0xff0f, 0xff1c, 0xff1e, 0xff3c]);
/** `%uXXXX`: 'evasion' for ASCII (`%u0027`, which JS escape() never makes) or full-width syntax. */
function unicodeEscape(s: string): { evasion: boolean; at: number } | null {
  let first: { evasion: boolean; at: number } | null = null;
  let guard = 0;
  for (let i = s.indexOf('%'); i >= 0 && guard++ < 512; i = s.indexOf('%', i + 1)) {
    const u = s.charCodeAt(i + 1);
    if (u !== 117 && u !== 85) continue;
    let cp = 0;
    let k = 2;
    for (; k < 6; k++) {
      const h = HEX(s.charCodeAt(i + k));
      if (h < 0) break;
      cp = (cp << 4) | h;
    }
    if (k < 6) continue;
    if (cp < 0x100 || FULLWIDTH_SYNTAX.has(cp)) return { evasion: true, at: i };
    first ??= { evasion: false, at: i };
  }
  return first;
}

// Letters, digits and `-._~` need no encoding; escapes of them in an already-decoded value mean the
// sender encoded them twice.
function isUnreservedByte(b: number): boolean {
  return (
    (b >= 48 && b <= 57) ||
    (b >= 65 && b <= 90) ||
    (b >= 97 && b <= 122) ||
    b === 45 ||
    b === 46 ||
    b === 95 ||
    b === 126
  );
}
function countEncodedUnreserved(s: string): number {
  let n = 0;
  for (let i = s.indexOf('%'); i >= 0 && n < 3; i = s.indexOf('%', i + 1)) {
    const b = escByte(s, i);
    if (b >= 0 && isUnreservedByte(b)) n++;
  }
  return n;
}

const KNOWN_MEDIA = /^(?:application|text|multipart|image|audio|video|message|model|font)\/[\w.+-]+$/i;
// Parameters that legitimately carry a media type (multipart/related; type="application/xop+xml").
const MEDIA_VALUED_PARAMS = new Set(['type', 'start-info', 'profile']);
const SENSITIVE_HOP = new Set([
  'host',
  'authorization',
  'cookie',
  'content-length',
  'transfer-encoding',
  'content-type',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'forwarded',
  'x-original-url',
  'x-rewrite-url',
  'x-api-key',
  'x-csrf-token',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
]);

/** Creates the protocol detector. */
export const createProtocolDetector: DetectorFactory = (config) => {
  const allowed = config.allowedMethods;
  const rejectLargeBodies = config.bodyLimitAction === 'block';
  // Proposed config flag (see the file comment); absent from CompiledConfig today, so off.
  const requireHost = (config as { readonly requireHost?: boolean }).requireHost === true;

  function inspectRequest(req: ParsedRequest, report: Reporter): void {
    limits(req, report);
    for (const n of req.notes) {
      switch (n.kind) {
        case 'limit_exceeded':
          break;
        case 'invalid_encoding':
          report.request('protocol.invalid_encoding', n.location, n.evidence);
          break;
        case 'malformed_body':
          report.request('protocol.malformed_body', n.location, n.evidence);
          break;
        case 'null_byte':
          report.request('protocol.null_byte', n.location, n.evidence);
          break;
      }
    }
    const method = req.method;
    if (!TOKEN.test(method) || method.length > 20)
      report.request('protocol.invalid_method', 'method', method.slice(0, 40));
    else if (!allowed.has(method.toUpperCase()))
      report.request('protocol.method_not_allowed', 'method', method.slice(0, 40));
    const upper = method.toUpperCase();

    target(req, report);
    headers(req, report, upper);
    if (req.bodyFormat !== 'none' && req.body.indexOf('\u0000') >= 0) nulInBody(req, report);
  }

  /** At most two `limit_exceeded` findings, the body's first (see the file comment). */
  function limits(req: ParsedRequest, report: Reporter): void {
    const notes = req.notes.filter((n) => n.kind === 'limit_exceeded');
    if (notes.length === 0) return;
    const body = notes.findIndex((n) => n.location === 'body');
    if (body > 0) notes.unshift(notes.splice(body, 1)[0]!);
    report.request('protocol.limit_exceeded', notes[0]!.location, notes[0]!.evidence);
    // Fail closed on a body the engine could not read whole, when asked to; a cut the capturing
    // side made (body_truncated) is its own limit, and uploads and binary bodies are exempt.
    if (
      rejectLargeBodies &&
      req.bodyBytes > config.limits.max_body_bytes &&
      req.bodyFormat !== 'multipart' &&
      !isBinaryMedia(req.contentType)
    )
      report.request('protocol.body_limit_rejected', 'body', notes[0]!.evidence);
    if (notes.length === 1) return;
    let evidence = notes[1]!.evidence;
    for (let i = 2; i < notes.length; i++) evidence += `; ${notes[i]!.location}: ${notes[i]!.evidence}`;
    report.request('protocol.limit_exceeded', notes[1]!.location, evidence);
  }

  /**
   * NUL in a raw body (values parsed from forms, JSON, XML and multipart fields are `null_byte`).
   * Uploaded files and bodies declared binary hold NUL as content.
   */
  function nulInBody(req: ParsedRequest, report: Reporter): void {
    if (isBinaryMedia(req.contentType)) return;
    for (const v of req.values) {
      if (v.kind !== Kind.bodyRaw || v.location.startsWith('body.multipart.file:')) continue;
      if (v.raw.indexOf('\u0000') >= 0) {
        report.value('protocol.null_byte_body', v, 'raw', 'NUL in the body');
        return;
      }
    }
  }

  function target(req: ParsedRequest, report: Reporter): void {
    const url = req.url;
    if (url.indexOf('#') >= 0)
      report.request('protocol.fragment_in_target', 'url', snippet(url, url.indexOf('#'), 1, 80));
    if (url.indexOf('%') >= 0) {
      const lower = url.toLowerCase();
      const nul = lower.indexOf('%00');
      if (nul >= 0) report.request('protocol.null_byte', 'url', snippet(url, nul, 3, 80));
      escapes(url, 'url', false, report);
      const d = /%25(?:[0-9a-f]{2}|u[0-9a-f]{4})/.exec(lower);
      if (d) report.request('protocol.double_encoding', 'url', snippet(url, d.index, 5, 80));
    }
    if (req.bodyFormat === 'form' && req.body.indexOf('%') >= 0) {
      const utf8 = /;\s*charset\s*=\s*"?utf-?8/i.test(req.header('content-type'));
      escapes(req.body, 'body', utf8, report);
    }
  }

  /** Overlong / invalid UTF-8 and %u evasions in percent-encoded text (URL or form body). */
  function escapes(s: string, loc: string, strictUtf8: boolean, report: Reporter): void {
    const a = utf8Abuse(s, strictUtf8);
    if (a) {
      const rule =
        a.kind === 'overlong'
          ? 'protocol.overlong_utf8'
          : a.kind === 'invalid'
            ? 'protocol.invalid_utf8'
            : 'protocol.invalid_utf8_declared';
      report.request(rule, loc, snippet(s, a.at, a.len, 80));
    }
    if (s.indexOf('%u') >= 0 || s.indexOf('%U') >= 0) {
      const u = unicodeEscape(s);
      if (u)
        report.request(
          u.evasion ? 'protocol.unicode_evasion' : 'protocol.unicode_escape',
          loc,
          snippet(s, u.at, 6, 80),
        );
    }
  }

  function headers(req: ParsedRequest, report: Reporter, method: string): void {
    const h = req.headers;
    const hosts = h.get('host');
    if (!hosts) {
      if (requireHost) report.request('protocol.missing_host', 'header:host', 'no Host header');
    } else {
      if (hosts.length > 1 && new Set(hosts.map((x) => x.trim().toLowerCase())).size > 1)
        report.request('protocol.multiple_host', 'header:host', hosts.join(', ').slice(0, 160));
      else if (hosts[0]!.trim() === '') report.request('protocol.empty_host', 'header:host', 'Host: (empty)');
      const abs = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(req.url);
      if (abs) {
        const a = abs[1]!
          .toLowerCase()
          .replace(/^[^@]*@/, '')
          .replace(/:(?:80|443)$/, '');
        const b = hosts[0]!
          .trim()
          .toLowerCase()
          .replace(/:(?:80|443)$/, '');
        if (b !== '' && a !== b) report.request('protocol.host_mismatch', 'url', `${a} vs Host ${b}`);
      }
    }

    // Framing: Content-Length and Transfer-Encoding
    const cl = h.get('content-length');
    const te = h.get('transfer-encoding');
    if (cl) {
      const vals = new Set<string>();
      for (const c of cl) for (const part of c.split(',')) vals.add(part.trim());
      let bad = '';
      for (const x of vals) if (!/^\d{1,15}$/.test(x)) bad = x;
      if (bad) report.request('protocol.invalid_content_length', 'header:content-length', bad.slice(0, 40));
      if (vals.size > 1)
        report.request(
          'protocol.smuggling',
          'header:content-length',
          `conflicting Content-Length: ${[...vals].join(', ').slice(0, 100)}`,
        );
    }
    if (te) {
      if (cl)
        report.request(
          'protocol.smuggling',
          'header:transfer-encoding',
          `Content-Length and Transfer-Encoding: ${te.join(', ').slice(0, 100)}`,
        );
      else if (te.length > 1)
        report.request(
          'protocol.smuggling',
          'header:transfer-encoding',
          `several Transfer-Encoding headers: ${te.join(' | ').slice(0, 100)}`,
        );
      const v = te.join(',').trim().toLowerCase();
      if (v !== 'chunked' || method === 'GET' || method === 'HEAD')
        report.request(
          'protocol.transfer_encoding',
          'header:transfer-encoding',
          `${method} Transfer-Encoding: ${te.join(', ')}`.slice(0, 120),
        );
    }

    contentType(req, report, method);

    // Header names and values
    for (const [name, values] of h) {
      if (!COMMON_NAMES.has(name) && !TOKEN.test(name))
        report.request('protocol.invalid_header_name', `header.name:${name.slice(0, 60)}`, name.slice(0, 60));
      for (const v of values) {
        // one pass for the usual clean value; the checks below decide which finding it is
        if (!HEADER_SUSPECT.test(v)) continue;
        const cr = v.search(/[\r\n]/);
        if (cr >= 0) {
          report.request('protocol.header_injection', `header:${name}`, snippet(v, cr, 1, 120));
          break;
        }
        if (v.indexOf('\u0000') >= 0) {
          report.request('protocol.null_byte', `header:${name}`, snippet(v, v.indexOf('\u0000'), 1, 80));
          break;
        }
        if (/%00/.test(v) && name !== 'cookie') {
          report.request('protocol.null_byte', `header:${name}`, snippet(v, v.indexOf('%00'), 3, 80));
          break;
        }
        if (/[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) {
          report.request('protocol.control_char', `header:${name}`, JSON.stringify(v.slice(0, 60)));
          break;
        }
      }
    }
    for (const o of OVERRIDE_HEADERS) {
      const v = h.get(o)?.[0]?.trim().toUpperCase();
      if (v && (DANGEROUS_OVERRIDE.has(v) || !allowed.has(v)))
        report.request('protocol.method_override', `header:${o}`, `${o}: ${v}`.slice(0, 80));
    }
    if (h.has('proxy'))
      report.request('protocol.httpoxy', 'header:proxy', (h.get('proxy')![0] ?? '').slice(0, 120));
    const range = h.get('range')?.[0];
    if (range) ranges(req, range, report);
    if (h.has('request-range'))
      report.request(
        'protocol.legacy_range',
        'header:request-range',
        (h.get('request-range')![0] ?? '').slice(0, 80),
      );
    const conn = h.get('connection');
    if (conn) {
      for (const c of conn)
        for (const tok of c.split(',')) {
          const t = tok.trim().toLowerCase();
          if (SENSITIVE_HOP.has(t)) {
            report.request('protocol.hop_by_hop_abuse', 'header:connection', c.slice(0, 120));
            break;
          }
        }
    }
    // Accept / Accept-Charset asking for an evasive response charset (CRS 920600).
    const accept = h.get('accept')?.[0];
    if (accept && /charset/i.test(accept)) {
      for (const range of accept.split(',')) {
        for (const c of paramValues(parseHeaderParams(range), 'charset'))
          if (charsetClass(c, true) === 'evasive') {
            report.request('protocol.charset_evasive', 'header:accept', accept.slice(0, 120));
            break;
          }
      }
    }
    // ASP.NET reads the form charset from this header for "UP" (Openwave) user agents (CRS 920490).
    const upCharset = h.get('x-up-devcap-post-charset')?.[0];
    if (upCharset && /^\s*up/i.test(req.header('user-agent')) && charsetClass(upCharset, true) === 'evasive')
      report.request('protocol.charset_evasive', 'header:x-up-devcap-post-charset', upCharset.slice(0, 60));
    const acs = h.get('accept-charset')?.[0];
    if (acs && /7|32|ucs|ibm|cp|ebcdic/i.test(acs)) {
      for (const item of acs.split(',')) {
        const c = item.split(';')[0]!;
        if (charsetClass(c, false) === 'evasive') {
          report.request('protocol.charset_evasive', 'header:accept-charset', acs.slice(0, 120));
          break;
        }
      }
    }
  }

  function contentType(req: ParsedRequest, report: Reporter, method: string): void {
    const h = req.headers;
    const cts = h.get('content-type');
    if (cts && cts.length > 1 && new Set(cts.map((x) => x.trim().toLowerCase())).size > 1)
      report.request('protocol.multiple_content_type', 'header:content-type', cts.join(' | ').slice(0, 160));
    const ct = cts?.[0]?.trim() ?? '';
    const hasBody = req.bodyBytes > 0 && req.body.trim() !== '';
    if (ct !== '') {
      const p = parseHeaderParams(ct);
      const mt = p.first.toLowerCase();
      if (!MEDIA_TYPE.test(mt)) {
        report.request(
          hasBody ? 'protocol.bogus_content_type' : 'protocol.invalid_content_type',
          'header:content-type',
          ct.slice(0, 160),
        );
      } else if (!isMediaType(ct)) {
        report.request('protocol.invalid_content_type', 'header:content-type', ct.slice(0, 160));
      }
      const form = mt === 'application/x-www-form-urlencoded' || mt.startsWith('multipart/');
      let charsets = 0;
      let boundaries = 0;
      let confusion = '';
      for (const prm of p.params) {
        if (prm.name === 'charset') {
          charsets++;
          const cls = charsetClass(prm.value, form);
          if (cls === 'evasive')
            report.request('protocol.charset_evasive', 'header:content-type', prm.value.slice(0, 60));
          else if (cls === 'unknown')
            report.request('protocol.charset_not_allowed', 'header:content-type', prm.value.slice(0, 60));
        } else if (prm.name === 'boundary') boundaries++;
        if (/charset\s*=/i.test(prm.value)) confusion = `${prm.name}=${prm.value}`;
        else if (!MEDIA_VALUED_PARAMS.has(prm.name) && KNOWN_MEDIA.test(prm.value.trim()))
          confusion = `${prm.name}=${prm.value}`;
      }
      if (charsets > 1) confusion = `${charsets} charset parameters`;
      if (boundaries > 1) confusion = `${boundaries} boundary parameters`;
      if (confusion)
        report.request('protocol.content_type_confusion', 'header:content-type', confusion.slice(0, 120));
      if (hasBody) {
        if (mt === 'multipart/form-data') {
          const b = paramValues(p, 'boundary')[0];
          if (b) checkMultipart(req, b, report);
        } else if (looksMultipartForm(req.body)) {
          report.request('protocol.content_type_mismatch', 'header:content-type', ct.slice(0, 120));
        }
      }
      const ce = h.get('content-encoding')?.[0]?.trim().toLowerCase();
      if (hasBody && ce && ce !== 'identity')
        report.request('protocol.encoded_body', 'header:content-encoding', ce.slice(0, 40));
    }
    if (req.bodyBytes > 0) {
      if (method === 'GET' || method === 'HEAD') {
        const t = req.body.trim();
        // `Content-Length: 0`: the bytes after the headers are not this request's body.
        if (t === '' || h.get('content-length')?.[0]?.trim() === '0') return;
        if (method === 'HEAD' || (t[0] !== '{' && t[0] !== '['))
          report.request(
            'protocol.get_with_body',
            'body',
            `${method} with a body: ${JSON.stringify(req.body.slice(0, 60))}`,
          );
        else
          report.request('protocol.body_on_get', 'body', `${method} with a ${req.bodyBytes}-byte JSON body`);
      } else if (ct === '')
        report.request(
          'protocol.body_without_content_type',
          'body',
          `${method} body of ${req.bodyBytes} bytes without Content-Type`,
        );
    }
  }

  function ranges(req: ParsedRequest, range: string, report: Reporter): void {
    let n = 1;
    for (let i = 0; i < range.length; i++) if (range.charCodeAt(i) === 44) n++;
    const pdf = /\.pdf$/i.test(req.path);
    if (n > (pdf ? 62 : 5)) report.request('protocol.range_abuse', 'header:range', `${n} ranges`);
    const m = /^\s*bytes\s*=(.*)$/i.exec(range);
    if (!m) return; // other units (`items=0-24`, Dojo) are the application's business
    let guard = 0;
    for (const spec of m[1]!.split(',')) {
      if (guard++ > 100) break;
      const t = spec.trim();
      if (t === '' && n > 1) continue;
      const r = /^(\d*)\s*-\s*(\d*)$/.exec(t);
      let bad = !r || (r[1] === '' && r[2] === '');
      if (r && !bad) {
        const a = r[1]!;
        const b = r[2]!;
        if (a.length > 15 || b.length > 15) bad = true;
        else if (a !== '' && b !== '' && Number(b) < Number(a)) bad = true;
      }
      if (bad) {
        report.request(
          'protocol.range_invalid',
          'header:range',
          snippet(range, range.indexOf(t), t.length, 80),
        );
        return;
      }
    }
  }

  // Values: NUL / control characters in decoded arguments and names, CR/LF in names, twice-encoded
  // letters, `_method` override, and an HTTP request line smuggled inside a value.
  function inspectValue(v: Value, report: Reporter): void {
    if (v.isPlain) return;
    const raw = v.raw;
    // NUL in the request-target is reported once for the whole URL (see `target`).
    const inUrl = (v.kind & (Kind.path | Kind.pathSegment)) !== 0 || v.location.startsWith('query');
    if (!inUrl && raw.indexOf('\u0000') >= 0) {
      // Raw bodies may be binary: `nulInBody` judges them with the request's Content-Type.
      if (v.kind !== Kind.bodyRaw)
        report.value(
          'protocol.null_byte',
          v,
          'raw',
          JSON.stringify(snippet(raw, raw.indexOf('\u0000'), 1, 60)),
        );
      return;
    }
    const isName =
      (v.kind & (Kind.argName | Kind.cookieName)) !== 0 || (v.kind === Kind.arg && v.name === raw);
    if (isName && (raw.indexOf('\r') >= 0 || raw.indexOf('\n') >= 0)) {
      report.value('protocol.crlf_in_name', v, 'raw', JSON.stringify(raw.slice(0, 60)));
      return;
    }
    if (
      (v.kind & (Kind.argName | Kind.path | Kind.pathSegment)) !== 0 &&
      /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(raw)
    ) {
      report.value('protocol.control_char', v, 'raw', JSON.stringify(raw.slice(0, 60)));
    }
    // Query, form and path values are decoded once already: escapes of letters left in them were
    // encoded twice.
    if (
      raw.indexOf('%') >= 0 &&
      (inUrl || v.location.startsWith('body.form')) &&
      countEncodedUnreserved(raw) >= 2
    ) {
      report.value('protocol.double_encoding_evasion', v, 'raw', snippet(raw, raw.indexOf('%'), 12, 80));
    }
    if (
      ((raw.indexOf('\n') >= 0 ||
        raw.indexOf('\r') >= 0 ||
        raw.indexOf('%0') >= 0 ||
        raw.indexOf('&#') >= 0) &&
        /http\/\d|[\r\n]/i.test(raw)) ||
      /http%2f\d/i.test(raw)
    ) {
      const s = v.view('norm');
      const at = embeddedRequest(s);
      if (at >= 0) report.value('protocol.embedded_request', v, 'norm', snippet(s, at, 40, 120));
    } else if (
      (v.kind & (Kind.arg | Kind.xml | Kind.cookie)) !== 0 &&
      raw.length < 300 &&
      WHOLE_REQUEST_LINE.test(raw.trim())
    ) {
      report.value('protocol.embedded_request', v, 'raw', raw.trim().slice(0, 120));
    }
    if (v.kind === Kind.arg && v.name.toLowerCase() === '_method') {
      const m = raw.trim().toUpperCase();
      if (DANGEROUS_OVERRIDE.has(m)) report.value('protocol.method_override', v, 'raw', `_method=${m}`);
    }
  }

  return {
    class: 'protocol',
    rules: RULES,
    kinds: ARGS | Kind.path | Kind.pathSegment | Kind.bodyRaw,
    inspectValue,
    inspectRequest,
  };
};

/** A body that is multipart/form-data whatever its Content-Type says. */
function looksMultipartForm(body: string): boolean {
  const t = body.trimStart();
  if (!t.startsWith('--')) return false;
  return /content-disposition[ \t]*:[ \t]*form-data/i.test(t.slice(0, 4096));
}
