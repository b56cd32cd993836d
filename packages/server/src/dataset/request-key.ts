/**
 * The de-duplication key of a request: SHA-256 over the upper-cased method, the percent-decoded
 * path, the query's parameters decoded and sorted, and the SHA-256 of the body bytes. Two requests
 * with the same key are the same training example however they were encoded on the wire.
 */
import { createHash } from 'node:crypto';

function decode(s: string, plusIsSpace: boolean): string {
  const t = plusIsSpace ? s.replace(/\+/g, ' ') : s;
  try {
    return decodeURIComponent(t);
  } catch {
    // A broken escape (`%zz`) stays as sent: still a stable key.
    return t;
  }
}

/** The query with each `name=value` decoded and the pairs sorted (order carries no meaning here). */
export function normaliseQuery(query: string | null): string {
  if (!query) return '';
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => decode(p, true))
    .sort()
    .join('&');
}

/** SHA-256 hex of a body (empty text for none). */
export function bodyHash(body: Uint8Array | string | null | undefined): string {
  if (body === null || body === undefined || body.length === 0) return '';
  return createHash('sha256')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');
}

/** The key (32 hex chars) of a request; `other` distinguishes non-HTTP events (type, message). */
export function requestKey(
  method: string | null,
  path: string | null,
  query: string | null,
  bodySha: string,
  other = '',
): string {
  return createHash('sha256')
    .update(
      `${(method ?? '').toUpperCase()}\n${decode(path ?? '', false)}\n${normaliseQuery(query)}\n${bodySha}\n${other}`,
    )
    .digest('hex')
    .slice(0, 32);
}
