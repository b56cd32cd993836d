import { hexVal } from './url-decode.js';

/**
 * JavaScript string escapes: `\xNN`, `\uNNNN`, `\u{…}` and octal `\NNN` (≤ 0o377). Other backslashes
 * stay, so Windows paths survive. Returns the input itself when nothing changed.
 */
export function jsDecode(input: string): string {
  let i = input.indexOf('\\');
  if (i < 0) return input;
  let out = '';
  let last = 0;
  let changed = false;
  const n = input.length;
  while (i >= 0 && i < n - 1) {
    const c = input.charCodeAt(i + 1);
    let cp = -1;
    let end = i;
    if (c === 120 /* x */) {
      const a = hexVal(input.charCodeAt(i + 2));
      const b = hexVal(input.charCodeAt(i + 3));
      if (a >= 0 && b >= 0) {
        cp = (a << 4) | b;
        end = i + 4;
      }
    } else if (c === 117 /* u */) {
      if (input.charCodeAt(i + 2) === 123 /* { */) {
        let v = 0;
        let k = i + 3;
        while (k < n && k - i < 11) {
          const h = hexVal(input.charCodeAt(k));
          if (h < 0) break;
          v = v * 16 + h;
          k++;
        }
        if (k > i + 3 && input.charCodeAt(k) === 125 && v <= 0x10ffff) {
          cp = v;
          end = k + 1;
        }
      } else {
        const a = hexVal(input.charCodeAt(i + 2));
        const b = hexVal(input.charCodeAt(i + 3));
        const d = hexVal(input.charCodeAt(i + 4));
        const e = hexVal(input.charCodeAt(i + 5));
        if (a >= 0 && b >= 0 && d >= 0 && e >= 0) {
          cp = (a << 12) | (b << 8) | (d << 4) | e;
          end = i + 6;
        }
      }
    } else if (c >= 48 && c <= 55 /* 0-7 */) {
      let v = 0;
      let k = i + 1;
      while (k < n && k - i <= 3) {
        const d = input.charCodeAt(k);
        if (d < 48 || d > 55) break;
        v = v * 8 + (d - 48);
        k++;
      }
      if (v <= 0o377) {
        cp = v;
        end = k;
      }
    }
    if (cp >= 0) {
      out += input.slice(last, i) + (cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp));
      last = end;
      changed = true;
      i = input.indexOf('\\', end);
    } else {
      i = input.indexOf('\\', i + 2);
    }
  }
  if (!changed) return input;
  return out + input.slice(last);
}

/** CSS escapes: `\` followed by 1–6 hex digits and an optional single whitespace (`\3c `, `\000065`). */
export function cssDecode(input: string): string {
  let i = input.indexOf('\\');
  if (i < 0) return input;
  let out = '';
  let last = 0;
  let changed = false;
  const n = input.length;
  while (i >= 0) {
    let k = i + 1;
    let v = 0;
    while (k < n && k - i <= 6) {
      const h = hexVal(input.charCodeAt(k));
      if (h < 0) break;
      v = v * 16 + h;
      k++;
    }
    if (k > i + 1) {
      const w = input.charCodeAt(k);
      if (w === 32 || w === 9 || w === 10 || w === 13 || w === 12) k++;
      out +=
        input.slice(last, i) +
        (v > 0 && v <= 0x10ffff && !(v >= 0xd800 && v <= 0xdfff) ? String.fromCodePoint(v) : '\ufffd');
      last = k;
      changed = true;
    } else if (k < n) {
      // `\e` in CSS means a literal `e`: the escape is an evasion on its own.
      const ch = input.charCodeAt(k);
      if (ch !== 10 && ch !== 13) {
        out += input.slice(last, i);
        last = k;
        changed = true;
      }
      k++;
    }
    i = input.indexOf('\\', k);
  }
  if (!changed) return input;
  return out + input.slice(last);
}
