/** One XSS match: the rule that fired and where, in the string that was scanned. */
export interface Hit {
  readonly rule: string;
  readonly at: number;
  readonly len: number;
  readonly confidence?: number;
}

/** Makes a hit; kept as a function so scanners allocate only when they match. */
export function hit(rule: string, at: number, len: number, confidence?: number): Hit {
  return confidence === undefined ? { rule, at, len } : { rule, at, len, confidence };
}

/** Characters browsers treat as attribute/tag separators, plus the other C0 controls filters drop. */
export function isSpace(c: number): boolean {
  return c <= 0x20 || c === 0x7f;
}

/** `[a-z0-9_$]`: a JavaScript identifier character (the input is already lower case). */
export function isIdent(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}

export function isLetter(c: number): boolean {
  return c >= 97 && c <= 122;
}

export function isQuote(c: number): boolean {
  return c === 34 || c === 39 || c === 96;
}

/**
 * Drops the characters browsers ignore inside a URL scheme (`java&#x09;script:`, `jav\nascript:`,
 * a leading `\x01`): C0 controls, DEL, soft hyphen and zero-width marks. Spaces stay.
 */
export function dropControls(s: string): string {
  let out = '';
  let last = 0;
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c < 0x20 ||
      c === 0x7f ||
      c === 0xad ||
      (c >= 0x200b && c <= 0x200f) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0xfeff ||
      (c >= 0x80 && c <= 0x9f)
    ) {
      out += s.slice(last, i);
      last = i + 1;
      changed = true;
    }
  }
  return changed ? out + s.slice(last) : s;
}
