import type { RequestRecord } from '../types.js';
import { Value, Kind, type KindBit } from '../value.js';
import { urlDecode, hasInvalidPercent, base64Decode, decodeUtf8Lenient } from '../decode/index.js';
import type { Limits } from './limits.js';
import { parseMultipart } from './multipart.js';
import { walkXml } from './xml.js';
import { closeTruncatedJson } from './truncated-json.js';
import { isBinaryContent } from './binary-media.js';

/** Something the parser noticed about the request's form, turned into `protocol.*` findings. */
export interface ParseNote {
  kind: 'limit_exceeded' | 'invalid_encoding' | 'malformed_body' | 'null_byte';
  location: string;
  evidence: string;
}

/** A request split into its inspected values (the "surfaces"), plus what the parser noticed. */
export interface ParsedRequest {
  /** The method as sent. */
  readonly method: string;
  /** The request-target as sent. */
  readonly url: string;
  /** The path as sent (before `?`). */
  readonly rawPath: string;
  /** The path, percent-decoded once. */
  readonly path: string;
  /** The query string as sent (after `?`, without it); '' when absent. */
  readonly rawQuery: string;
  /** Lower-case header names to all their values. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The media type of the body, lower case, without parameters; '' when absent. */
  readonly contentType: string;
  /** How the body was parsed. */
  readonly bodyFormat: 'none' | 'form' | 'json' | 'multipart' | 'xml' | 'text';
  /** The inspected body text (at most `max_body_bytes`). */
  readonly body: string;
  /** The body's full size in bytes (at least; a caller that cut the body knows no more). */
  readonly bodyBytes: number;
  /**
   * The body goes on past `body` (over `max_body_bytes`, or cut by the caller: `body_truncated`).
   * Parsers then take a missing end (unclosed JSON, XML or multipart, a cut escape) for the cut's
   * doing, not the sender's; detectors judge only what was received.
   */
  readonly bodyTruncated: boolean;
  readonly values: readonly Value[];
  readonly notes: readonly ParseNote[];
  /** First value of a header, '' when absent. */
  header(name: string): string;
}

const NOT_PARAMS = Kind.header | Kind.headerName | Kind.path | Kind.pathSegment;

class Collector {
  readonly values: Value[] = [];
  readonly notes: ParseNote[] = [];
  private dropped = 0;
  /** Values cut at `max_value_bytes`: the first is noted at its location, the rest only counted. */
  private cutValues = 0;
  private cutNote: ParseNote | undefined;
  constructor(readonly limits: Limits) {}

  /** Values counted against `max_params` (headers, path and segments have limits of their own). */
  private params = 0;

  /** True once `max_params` values were taken: parsers then only count what they skip. */
  get full(): boolean {
    return this.params >= this.limits.max_params;
  }

  /** Counts values that were not parsed because the limit was reached. */
  skip(count: number): void {
    this.dropped += count;
  }

  add(kind: KindBit, location: string, name: string, raw: string): void {
    if ((kind & NOT_PARAMS) === 0) {
      if (this.params >= this.limits.max_params) {
        this.dropped++;
        return;
      }
      this.params++;
    }
    if (raw.length > this.limits.max_value_bytes) {
      // One note per request, however many values are long (two big text areas are one fact: the
      // request was inspected in part); `finish` adds the count to it.
      if (this.cutValues++ === 0) {
        this.note(
          'limit_exceeded',
          location,
          `value of ${raw.length} chars > max_value_bytes ${this.limits.max_value_bytes}`,
        );
        this.cutNote = this.notes[this.notes.length - 1];
      }
      raw = raw.slice(0, this.limits.max_value_bytes);
    }
    this.values.push(new Value(kind, location, name, raw));
    // Base64 that decodes to text is inspected decoded too.
    if (raw.length >= 12 && (kind & (Kind.arg | Kind.cookie | Kind.header | Kind.xml)) !== 0) {
      const d = base64Decode(raw);
      if (d !== raw) this.values.push(new Value(kind, location, name, d, ['base64Decode']));
    }
  }

  note(kind: ParseNote['kind'], location: string, evidence: string): void {
    if (this.notes.length < 32) this.notes.push({ kind, location, evidence });
  }

  finish(): void {
    if (this.cutValues > 1 && this.cutNote?.kind === 'limit_exceeded')
      this.cutNote.evidence += `; ${this.cutValues} values cut in all`;
    if (this.dropped > 0)
      this.note(
        'limit_exceeded',
        'request',
        `${this.params + this.dropped} values > max_params ${this.limits.max_params}`,
      );
  }
}

/** Percent-decodes one form/query component: `+` is a space there. */
function decodeComponent(s: string): string {
  if (s.indexOf('+') >= 0) s = s.replace(/\+/g, ' ');
  return urlDecode(s);
}

function parseUrlEncoded(c: Collector, text: string, prefix: 'query' | 'body.form'): void {
  if (text === '') return;
  let start = 0;
  const n = text.length;
  while (start <= n) {
    if (c.full) {
      // Over the limit: count the remaining pairs without decoding them.
      let rest = 1;
      for (let k = text.indexOf('&', start); k >= 0; k = text.indexOf('&', k + 1)) rest++;
      c.skip(rest);
      return;
    }
    let amp = text.indexOf('&', start);
    if (amp < 0) amp = n;
    if (amp > start) {
      const pair = text.slice(start, amp);
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      const name = decodeComponent(rawName);
      const loc = `${prefix}:${name}`;
      if (eq < 0) {
        // A bare token (`?<script>`, `?id`): inspected as a value; its name is the same text.
        c.add(Kind.arg, loc, name, name);
      } else {
        if (name !== '' && !/^[\w.-]*$/.test(name)) c.add(Kind.argName, `${prefix}.name:${name}`, name, name);
        c.add(Kind.arg, loc, name, decodeComponent(pair.slice(eq + 1)));
      }
      if (hasInvalidPercent(pair)) c.note('invalid_encoding', loc, pair.slice(0, 160));
    }
    start = amp + 1;
  }
}

function parseCookies(c: Collector, header: string): void {
  for (const piece of header.split(';')) {
    const eq = piece.indexOf('=');
    const name = (eq < 0 ? piece : piece.slice(0, eq)).trim();
    const value = eq < 0 ? '' : piece.slice(eq + 1).trim();
    if (name === '' && value === '') continue;
    if (!/^[\w.$-]*$/.test(name)) c.add(Kind.cookieName, `cookie.name:${name}`, name, name);
    if (value !== '') c.add(Kind.cookie, `cookie:${name}`, name, urlDecode(value));
  }
}

function walkJson(c: Collector, node: unknown, path: string, depth: number): void {
  if (depth > c.limits.max_json_depth) {
    c.note(
      'limit_exceeded',
      `body.json:${path}`,
      `JSON nested deeper than max_json_depth ${c.limits.max_json_depth}`,
    );
    return;
  }
  if (typeof node === 'string') {
    c.add(Kind.arg, `body.json:${path}`, lastName(path), node);
  } else if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) walkJson(c, node[i], `${path}[${i}]`, depth + 1);
  } else if (node !== null && typeof node === 'object') {
    for (const key of Object.keys(node)) {
      const child = `${path}.${key}`;
      if (!/^[\w-]*$/.test(key)) c.add(Kind.argName, `body.json.key:${child}`, key, key);
      walkJson(c, (node as Record<string, unknown>)[key], child, depth + 1);
    }
  } else if (typeof node === 'number' || typeof node === 'boolean') {
    // numbers and booleans carry no syntax; they still count as parameters
  }
}

function lastName(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? path : path.slice(dot + 1).replace(/\[\d+\]$/, '');
}

/** JSON.parse with a nesting guard: V8's parser recurses, so very deep input is cut off first. */
function parseJsonBounded(
  text: string,
  maxDepth: number,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inStr) {
      if (ch === 92) i++;
      else if (ch === 34) inStr = false;
    } else if (ch === 34) inStr = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > maxDepth)
        return { ok: false, reason: `JSON nested deeper than max_json_depth ${maxDepth}` };
    } else if (ch === 125 || ch === 93) depth--;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message.slice(0, 100)}` };
  }
}

function mediaType(ct: string): string {
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

function sniff(body: string): ParsedRequest['bodyFormat'] {
  const t = body.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return 'json';
  if (t.startsWith('<')) return 'xml';
  // Like PHP and most frameworks, a body with no content type and a `name=` in it is read as a form.
  if (body.indexOf('=') > 0) return 'form';
  return 'text';
}

function formatOf(mt: string, body: string): ParsedRequest['bodyFormat'] {
  if (mt === '') return sniff(body);
  if (mt === 'application/x-www-form-urlencoded') return 'form';
  // Commons-FileUpload and others parse any multipart/* with a boundary as form data.
  if (mt.startsWith('multipart/')) return 'multipart';
  if (mt === 'application/json' || mt.endsWith('+json') || mt === 'text/json') return 'json';
  if (mt === 'application/xml' || mt === 'text/xml' || mt.endsWith('+xml')) return 'xml';
  return 'text';
}

/** Splits a request into the values the detectors inspect. Never throws on any input. */
export function parseRequest(req: RequestRecord, limits: Limits): ParsedRequest {
  const c = new Collector(limits);
  const method = typeof req.method === 'string' ? req.method : '';
  let url = typeof req.url === 'string' ? req.url : '';
  if (url.length > limits.max_url_bytes) {
    c.note(
      'limit_exceeded',
      'url',
      `request-target of ${url.length} bytes > max_url_bytes ${limits.max_url_bytes}`,
    );
    url = url.slice(0, limits.max_url_bytes);
  }
  // Absolute-form targets (`http://host/path`) are reduced to origin-form.
  let target = url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (scheme) target = target.slice(scheme[0].length) || '/';
  const hashAt = target.indexOf('#');
  if (hashAt >= 0) target = target.slice(0, hashAt);
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  const path = urlDecode(rawPath);
  if (hasInvalidPercent(rawPath)) c.note('invalid_encoding', 'path', rawPath.slice(0, 160));

  // Path and its segments
  c.add(Kind.path, 'path', '', path);
  const segs = path.split('/');
  if (segs.length > 2 || (segs.length === 2 && segs[1] !== '')) {
    for (let i = 1; i < segs.length && i <= 32; i++) {
      const seg = segs[i]!;
      if (seg !== '' && !/^[\w.-]*$/.test(seg)) c.add(Kind.pathSegment, `path.segment:${i}`, '', seg);
    }
  }
  parseUrlEncoded(c, rawQuery, 'query');

  // Headers
  const headers = new Map<string, string[]>();
  let count = 0;
  const h = req.headers ?? {};
  for (const rawName of Object.keys(h)) {
    const v = h[rawName];
    if (v === undefined || v === null) continue;
    const name = rawName.toLowerCase();
    const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : [String(v)];
    for (const item of list) {
      if (++count > limits.max_headers) {
        if (count === limits.max_headers + 1)
          c.note('limit_exceeded', 'headers', `more than max_headers ${limits.max_headers} header lines`);
        continue;
      }
      let arr = headers.get(name);
      if (!arr) headers.set(name, (arr = []));
      arr.push(item);
      if (name === 'cookie') parseCookies(c, item);
      else c.add(Kind.header, `header:${name}`, name, item);
    }
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) c.add(Kind.headerName, `header.name:${name}`, name, name);
  }
  const header = (name: string): string => headers.get(name)?.[0] ?? '';

  // Body
  let body = '';
  let bodyBytes = 0;
  let bodyTruncated = false;
  if (req.body !== undefined && req.body !== null) {
    if (typeof req.body === 'string') {
      bodyBytes = utf8ByteLength(req.body, limits.max_body_bytes);
      body = req.body.length > limits.max_body_bytes ? req.body.slice(0, limits.max_body_bytes) : req.body;
    } else if (req.body instanceof Uint8Array) {
      bodyBytes = req.body.byteLength;
      const bytes =
        req.body.byteLength > limits.max_body_bytes ? req.body.subarray(0, limits.max_body_bytes) : req.body;
      body = decodeUtf8Lenient(bytes);
    }
    if (bodyBytes > limits.max_body_bytes) {
      bodyTruncated = true;
      c.note(
        'limit_exceeded',
        'body',
        `body of ${bodyBytes}+ bytes > max_body_bytes ${limits.max_body_bytes}; the rest was not inspected`,
      );
    } else if (req.body_truncated === true) {
      bodyTruncated = true;
      c.note(
        'limit_exceeded',
        'body',
        `body cut by the capturing side after ${bodyBytes} bytes; the rest was not inspected`,
      );
    }
  }
  const contentTypeHeader = header('content-type');
  const contentType = mediaType(contentTypeHeader);
  let bodyFormat: ParsedRequest['bodyFormat'] = 'none';
  if (body !== '') {
    bodyFormat = formatOf(contentType, body);
    // A cut in the middle of an escape (`%E2%8`) is not the sender's bad encoding (for the protocol
    // checks of `body` either).
    if (bodyTruncated && bodyFormat === 'form') body = dropCutEscape(body);
    parseBody(c, bodyFormat, body, contentTypeHeader, bodyTruncated);
  }
  c.finish();
  return {
    method,
    url,
    rawPath,
    path,
    rawQuery,
    headers,
    contentType,
    bodyFormat,
    body,
    bodyBytes,
    bodyTruncated,
    values: c.values,
    notes: c.notes,
    header,
  };
}

function parseBody(
  c: Collector,
  format: ParsedRequest['bodyFormat'],
  body: string,
  contentTypeHeader: string,
  truncated: boolean,
): void {
  switch (format) {
    case 'form':
      parseUrlEncoded(c, body, 'body.form');
      return;
    case 'json': {
      const r = parseJsonBounded(body, c.limits.max_json_depth);
      if (r.ok) walkJson(c, r.value, '$', 0);
      else if (r.reason.startsWith('JSON nested')) {
        c.note('limit_exceeded', 'body', r.reason);
        c.add(Kind.bodyRaw, 'body', '', body);
      } else if (truncated) parseTruncatedJson(c, body);
      else {
        c.note('malformed_body', 'body', r.reason);
        c.add(Kind.bodyRaw, 'body', '', body);
      }
      return;
    }
    case 'multipart': {
      const m = /boundary=(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(contentTypeHeader);
      const boundary = m ? (m[1] ?? m[2]!) : '';
      const r = boundary
        ? parseMultipart(body, boundary, c.limits.max_parts, truncated)
        : { parts: [], error: 'multipart body without a boundary', limited: false };
      if (r.error) {
        c.note(r.limited ? 'limit_exceeded' : 'malformed_body', 'body', r.error);
        if (r.parts.length === 0) c.add(Kind.bodyRaw, 'body', '', body);
      }
      for (const p of r.parts) {
        const name = p.name ?? '';
        if (p.filename !== undefined) {
          c.add(Kind.filename, `body.multipart.filename:${name}`, name, p.filename);
          if (p.contentType)
            c.add(Kind.partContentType, `body.multipart.content-type:${name}`, name, p.contentType);
          const kind = isBinaryContent(mediaType(p.contentType ?? ''), p.content)
            ? Kind.binary
            : Kind.bodyRaw;
          c.add(kind, `body.multipart.file:${name}`, name, p.content);
        } else {
          c.add(Kind.arg, `body.multipart:${name}`, name, p.content);
        }
      }
      return;
    }
    case 'xml': {
      const w = walkXml(body, c.limits.max_json_depth, (loc, name, text) => c.add(Kind.xml, loc, name, text));
      // Elements left open by the cut: every text and attribute received was walked already.
      if (w === 'ok' || (w === 'unclosed' && truncated)) return;
      if (w === 'too_deep')
        c.note('limit_exceeded', 'body', `XML nested deeper than max_json_depth ${c.limits.max_json_depth}`);
      else c.note('malformed_body', 'body', 'XML not well-formed; inspected as text');
      c.add(Kind.bodyRaw, 'body', '', body);
      return;
    }
    default:
      c.add(
        isBinaryContent(mediaType(contentTypeHeader), body) ? Kind.binary : Kind.bodyRaw,
        'body',
        '',
        body,
      );
  }
}

/**
 * JSON cut at the body limit: the received part, closed at its last container boundary, is walked
 * like any JSON body; the member cut in half is inspected as raw text. A received part that does not
 * parse even so was malformed before the cut.
 */
function parseTruncatedJson(c: Collector, body: string): void {
  const closed = closeTruncatedJson(body, c.limits.max_json_depth);
  const r = closed ? parseJsonBounded(closed.json, c.limits.max_json_depth) : null;
  if (!closed || !r) {
    // A top-level string or number cut in half: nothing to walk.
    c.add(Kind.bodyRaw, 'body', '', body);
    return;
  }
  if (!r.ok) {
    c.note('malformed_body', 'body', r.reason);
    c.add(Kind.bodyRaw, 'body', '', body);
    return;
  }
  walkJson(c, r.value, '$', 0);
  const rest = closed.rest.replace(/^\s*,?\s*/, '');
  if (rest !== '') c.add(Kind.bodyRaw, 'body', '', rest);
}

/**
 * Drops what a cut may have left half of at the end of a percent-encoded body: a `%` or `%X` and the
 * high-byte escapes before it (a UTF-8 sequence missing its last bytes). At most 4 escapes, by hand.
 */
function dropCutEscape(s: string): string {
  let end = s.length;
  if (s.charCodeAt(end - 1) === 37) end -= 1;
  else if (s.charCodeAt(end - 2) === 37) end -= 2;
  for (let k = 0; k < 3 && end >= 3 && s.charCodeAt(end - 3) === 37 && /[89a-f]/i.test(s[end - 2]!); k++)
    end -= 3;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * UTF-8 byte length without Buffer (the engine uses no Node globals). A string longer than the
 * limit in characters is over it in bytes too: its length is returned without a scan.
 */
function utf8ByteLength(s: string, limit: number): number {
  if (s.length > limit) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) n += c > 0x7ff ? (c >= 0xd800 && c <= 0xdfff ? 1 : 2) : 1;
  }
  return n;
}
