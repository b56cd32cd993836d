/**
 * A bound on JSON before JSON.parse allocates it: one pass over the text counts nesting depth and
 * object members outside strings, so a line of 60 KiB of `[[[[` or of tiny members is rejected
 * without building it. No regex.
 */

/** Why `text` exceeds the limits, or null when it is within them (it may still be invalid JSON). */
export function checkJsonShape(text: string, maxDepth: number, maxKeys: number): string | null {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      // '{' '['
      if (++depth > maxDepth) return 'JSON nested too deeply';
    } else if (c === 125 || c === 93) depth--;
    else if (c === 58 && ++keys > maxKeys) return 'too many JSON keys';
  }
  return null;
}
