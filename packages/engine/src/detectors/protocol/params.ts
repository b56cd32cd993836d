/** One `name=value` parameter of a header such as Content-Type or Content-Disposition. */
export interface HeaderParam {
  /** Lower-case parameter name. */
  readonly name: string;
  /** The value, quotes removed and backslash escapes resolved. */
  readonly value: string;
  /** The value as sent, quotes removed, backslashes kept. */
  readonly raw: string;
}

/** A header value split as `first; a=b; c="d"`; `clean` is false when text follows a quoted value. */
export interface ParsedHeader {
  readonly first: string;
  readonly params: readonly HeaderParam[];
  readonly clean: boolean;
}

/**
 * Splits `type/subtype; a=b; c="d\"e"` by hand (RFC 9110 quoted-string rules). Linear, no regex;
 * at most 64 parameters are read.
 */
export function parseHeaderParams(s: string): ParsedHeader {
  const n = s.length;
  let i = 0;
  while (i < n && s.charCodeAt(i) !== 59) i++;
  const first = s.slice(0, i).trim();
  const params: HeaderParam[] = [];
  let clean = true;
  while (i < n && params.length < 64) {
    i++; // the `;`
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    const ks = i;
    while (i < n && s.charCodeAt(i) !== 61 && s.charCodeAt(i) !== 59) i++;
    const name = s.slice(ks, i).trim().toLowerCase();
    if (i >= n || s.charCodeAt(i) === 59) {
      if (name !== '') params.push({ name, value: '', raw: '' });
      continue;
    }
    i++; // the `=`
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    let value = '';
    let raw: string;
    if (s.charCodeAt(i) === 34) {
      i++;
      const rs = i;
      let closed = false;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c === 92 && i + 1 < n) {
          value += s[i + 1];
          i += 2;
        } else if (c === 34) {
          closed = true;
          i++;
          break;
        } else {
          value += s[i];
          i++;
        }
      }
      if (!closed) clean = false;
      raw = s.slice(rs, closed ? i - 1 : i);
      const rest = i;
      while (i < n && s.charCodeAt(i) !== 59) i++;
      if (s.slice(rest, i).trim() !== '') clean = false;
    } else {
      const vs = i;
      while (i < n && s.charCodeAt(i) !== 59) i++;
      value = s.slice(vs, i).trim();
      raw = value;
    }
    params.push({ name, value, raw });
  }
  return { first, params, clean };
}

/** Values of the parameters named `name` (lower case). */
export function paramValues(h: ParsedHeader, name: string): string[] {
  const out: string[] = [];
  for (const p of h.params) if (p.name === name) out.push(p.value);
  return out;
}
