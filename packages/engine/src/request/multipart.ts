/** One part of a multipart/form-data body. */
export interface MultipartPart {
  name?: string;
  filename?: string;
  contentType?: string;
  /** The part's header block as sent (for the protocol checks of multipart smuggling). */
  head?: string;
  content: string;
}

/**
 * Splits a multipart/form-data body (RFC 7578). Lenient like the servers it protects: a missing
 * closing delimiter or a part without headers is reported in `error`, and the parts found are kept.
 * With `truncated` (the body was cut at the inspection limit) the missing closing delimiter and a
 * last part cut inside its headers are the cut's doing, not the sender's: no error for them.
 * `limited` says that parsing stopped at `maxParts`.
 */
export function parseMultipart(
  body: string,
  boundary: string,
  maxParts: number,
  truncated = false,
): { parts: MultipartPart[]; error?: string; limited?: boolean } {
  const parts: MultipartPart[] = [];
  const delim = `--${boundary}`;
  let pos = body.indexOf(delim);
  if (pos < 0) return { parts, error: 'multipart boundary not found in body' };
  let error: string | undefined;
  while (pos >= 0) {
    const afterDelim = pos + delim.length;
    if (body.startsWith('--', afterDelim)) return { parts, error };
    const next = body.indexOf(`\n${delim}`, afterDelim);
    const end = next < 0 ? body.length : next;
    if (next < 0 && !truncated) error ??= 'multipart body without closing delimiter';
    const chunk = body
      .slice(afterDelim, end)
      .replace(/^\r?\n/, '')
      .replace(/\r$/, '');
    let headEnd = chunk.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (headEnd < 0) {
      headEnd = chunk.indexOf('\n\n');
      sepLen = 2;
    }
    if (headEnd < 0) {
      if (!(truncated && next < 0)) error ??= 'multipart part without a header block';
      parts.push({ content: chunk });
    } else {
      const head = chunk.slice(0, headEnd);
      const part: MultipartPart = { content: chunk.slice(headEnd + sepLen), head };
      for (const line of head.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const hn = line.slice(0, colon).trim().toLowerCase();
        const hv = line.slice(colon + 1).trim();
        if (hn === 'content-disposition') {
          const name = /(?:^|;)\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(hv);
          if (name) part.name = name[1] ?? name[2] ?? '';
          const fn = /(?:^|;)\s*filename\*?\s*=\s*(?:"([^"]*)"|([^;]*))/i.exec(hv);
          if (fn) part.filename = (fn[1] ?? fn[2] ?? '').trim();
        } else if (hn === 'content-type') part.contentType = hv;
      }
      parts.push(part);
    }
    // Over the limit only when another part follows (not the closing delimiter, not the cut end).
    if (parts.length >= maxParts && next >= 0 && !body.startsWith('--', next + 1 + delim.length))
      return { parts, error: `more than max_parts ${maxParts} multipart parts`, limited: true };
    if (next < 0) break;
    pos = next + 1;
  }
  return { parts, error };
}
