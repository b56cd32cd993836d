/**
 * Request-smuggling guards. A proxy and its upstream must agree on where each request ends; any
 * ambiguity in the framing (Content-Length with Transfer-Encoding, repeated or conflicting lengths, a
 * transfer coding other than `chunked`, bare CR/LF or obs-fold in a header) is answered with 400 and
 * never forwarded. Node's parser (llhttp, kept strict: no insecureHTTPParser) refuses most of these
 * before a request exists — `violationOfParseError` names those — and `checkFraming` covers what it
 * lets through (`Transfer-Encoding: gzip, chunked`, Transfer-Encoding on HTTP/1.0, several Host lines).
 */

/** Why a request was refused before inspection; `rule` is an engine rule id where one fits. */
export interface Violation {
  rule: string;
  /** The stats bucket: framing ambiguity (`smuggling`), other malformed input (`protocol`). */
  reason: 'smuggling' | 'protocol';
  status: number;
  location: string;
  evidence: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Header values may hold HTAB, SP, VCHAR and obs-text; every other control character is refused.
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;

function smuggling(location: string, evidence: string): Violation {
  return { rule: 'protocol.smuggling', reason: 'smuggling', status: 400, location, evidence };
}

/**
 * The first framing problem of a parsed request head, or null. `raw` is rawHeaders (name, value, ...);
 * `httpVersion` is `1.1` or `1.0`.
 */
export function checkFraming(raw: readonly string[], httpVersion: string): Violation | null {
  let cl: string | null = null;
  let clCount = 0;
  let te: string | null = null;
  let teCount = 0;
  let hostCount = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (!TOKEN.test(name))
      return {
        rule: 'protocol.invalid_header_name',
        reason: 'smuggling',
        status: 400,
        location: 'header.name',
        evidence: name.slice(0, 60),
      };
    if (BAD_VALUE_CHAR.test(value)) {
      const crlf = value.includes('\r') || value.includes('\n');
      return {
        rule: crlf ? 'protocol.header_injection' : 'protocol.control_char',
        reason: 'smuggling',
        status: 400,
        location: `header:${name.toLowerCase()}`,
        evidence: value.slice(0, 80),
      };
    }
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hostCount++;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          clCount++;
          if (cl !== null && cl !== value.trim())
            return smuggling(
              'header:content-length',
              `conflicting Content-Length: ${cl}, ${value}`.slice(0, 100),
            );
          cl = value.trim();
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          teCount++;
          te = value;
        }
        break;
    }
  }
  if (clCount > 1) return smuggling('header:content-length', `${clCount} Content-Length headers`);
  if (teCount > 0) {
    if (cl !== null) return smuggling('header:transfer-encoding', 'Content-Length with Transfer-Encoding');
    if (teCount > 1) return smuggling('header:transfer-encoding', `${teCount} Transfer-Encoding headers`);
    if (te!.trim().toLowerCase() !== 'chunked')
      return smuggling('header:transfer-encoding', `Transfer-Encoding: ${te!}`.slice(0, 100));
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (httpVersion === '1.0') return smuggling('header:transfer-encoding', 'Transfer-Encoding on HTTP/1.0');
  }
  if (cl !== null && !/^\d{1,15}$/.test(cl))
    return {
      ...smuggling('header:content-length', cl.slice(0, 40)),
      rule: 'protocol.invalid_content_length',
    };
  // RFC 9112 §3.2: exactly one Host on HTTP/1.1.
  if (hostCount > 1)
    return {
      rule: 'protocol.multiple_host',
      reason: 'smuggling',
      status: 400,
      location: 'header:host',
      evidence: `${hostCount} Host headers`,
    };
  if (hostCount === 0 && httpVersion !== '1.0')
    return {
      rule: 'protocol.missing_host',
      reason: 'protocol',
      status: 400,
      location: 'header:host',
      evidence: 'HTTP/1.1 request without Host',
    };
  return null;
}

/** The violation behind a parse error of Node's HTTP parser (`clientError`), or null for none (timeouts, resets). */
export function violationOfParseError(err: Error & { code?: string; reason?: string }): Violation | null {
  const code = err.code ?? '';
  const why = (err.reason ?? err.message ?? '').slice(0, 100);
  switch (code) {
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_STRICT':
      return smuggling(code === 'HPE_UNEXPECTED_CONTENT_LENGTH' ? 'header:content-length' : 'body', why);
    case 'HPE_INVALID_CONTENT_LENGTH':
      return { ...smuggling('header:content-length', why), rule: 'protocol.invalid_content_length' };
    case 'HPE_CR_EXPECTED':
    case 'HPE_LF_EXPECTED':
      return /header/i.test(why)
        ? { ...smuggling('header', why), rule: 'protocol.header_injection' }
        : smuggling('body', why);
    case 'HPE_INVALID_HEADER_TOKEN':
      if (/whitespace/i.test(why))
        return { ...smuggling('header', `obs-fold: ${why}`), rule: 'protocol.header_injection' };
      if (/value/i.test(why)) return { ...smuggling('header', why), rule: 'protocol.control_char' };
      return { ...smuggling('header.name', why), rule: 'protocol.invalid_header_name' };
    case 'HPE_HEADER_OVERFLOW':
      return {
        rule: 'protocol.limit_exceeded',
        reason: 'protocol',
        status: 431,
        location: 'headers',
        evidence: why,
      };
    case 'HPE_INVALID_METHOD':
      return {
        rule: 'protocol.invalid_method',
        reason: 'protocol',
        status: 400,
        location: 'method',
        evidence: why,
      };
    default:
      if (!code.startsWith('HPE_')) return null;
      return {
        rule: 'protocol.malformed_request',
        reason: 'protocol',
        status: 400,
        location: 'request',
        evidence: `${code}: ${why}`,
      };
  }
}
