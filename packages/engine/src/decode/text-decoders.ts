import { decodeUtf8Lenient } from './url-decode.js';

/** Small text normalisations. Each returns the input itself when nothing changed. */

/** Removes NUL characters (`a\0b` → `ab`): C-based back ends stop at them, filters should not. */
export function removeNulls(input: string): string {
  return input.indexOf('\0') < 0 ? input : input.replace(/\0/g, '');
}

/** Unicode NFKC: full-width and compatibility forms to their plain letters (`＜ｓｃｒｉｐｔ＞`). */
export function nfkc(input: string): string {
  for (let i = 0; i < input.length; i++) {
    if (input.charCodeAt(i) > 0x7f) {
      const s = input.normalize('NFKC');
      return s === input ? input : s;
    }
  }
  return input;
}

export function lowercase(input: string): string {
  const s = input.toLowerCase();
  return s === input ? input : s;
}

const WS_RUN = /[\s\u00a0\u1680\u180e\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/g;
const WS_TEST = /[\t\n\v\f\r\u00a0\u1680\u180e\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}/;

/** Every run of whitespace (including vertical tab, NBSP and Unicode spaces) becomes one space. */
export function compressWhitespace(input: string): string {
  if (!WS_TEST.test(input)) return input;
  const s = input.replace(WS_RUN, ' ');
  return s === input ? input : s;
}

/**
 * SQL comments out: `/* … *\/` becomes a space, MySQL's executable `/*!50000 … *\/` keeps its content,
 * `-- …` and `# …` are cut to the end of the line. The comment that never closes runs to the end.
 */
export function sqlCommentRemove(input: string): string {
  if (input.indexOf('/*') < 0 && input.indexOf('--') < 0 && input.indexOf('#') < 0) return input;
  let out = '';
  let i = 0;
  const n = input.length;
  let changed = false;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === 47 /* / */ && input.charCodeAt(i + 1) === 42 /* * */) {
      changed = true;
      if (input.charCodeAt(i + 2) === 33 /* ! */) {
        // MySQL versioned comment: the content executes.
        let k = i + 3;
        while (k < n && k < i + 9 && input.charCodeAt(k) >= 48 && input.charCodeAt(k) <= 57) k++;
        out += ' ';
        i = k;
        continue;
      }
      const end = input.indexOf('*/', i + 2);
      out += ' ';
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === 42 && input.charCodeAt(i + 1) === 47) {
      // the closing of a versioned comment
      out += ' ';
      i += 2;
      changed = true;
      continue;
    }
    if ((c === 45 && input.charCodeAt(i + 1) === 45) || c === 35) {
      changed = true;
      const end = input.indexOf('\n', i);
      out += ' ';
      i = end < 0 ? n : end;
      continue;
    }
    out += input[i];
    i++;
  }
  return changed ? out : input;
}

/**
 * Path normalisation: backslashes to slashes, repeated slashes to one, `./` dropped, `dir/../`
 * resolved. Leading `../` that climb above the start are kept: they are what traversal looks like.
 */
export function pathNormalize(input: string): string {
  if (!/[\\]|\/\/|(^|\/)\.\.?(\/|$)/.test(input)) return input;
  const s = input.replace(/\\/g, '/');
  const absolute = s.startsWith('/');
  const out: string[] = [];
  let climbs = 0;
  const segs = s.split('/');
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k]!;
    if (seg === '' || seg === '.') {
      if (k === segs.length - 1 && out.length) out.push('');
      continue;
    }
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '') out.pop();
      else climbs++;
      continue;
    }
    out.push(seg);
  }
  const res = (absolute ? '/' : '') + '../'.repeat(climbs) + out.join('/');
  return res === input ? input : res;
}

/**
 * Command-line normalisation (ModSecurity's `cmdLine` plus shell tricks): `${IFS}`/`$IFS$9` to a
 * space, quotes, carets and backslashes deleted, `,` and `;` to spaces, spaces before `/` and `(`
 * dropped, whitespace compressed, lower case. `c^a"t /e't'c/pa\ss\wd` → `cat/etc/passwd`.
 */
export function cmdLineNormalize(input: string): string {
  let s = input;
  if (s.indexOf('$') >= 0) s = s.replace(/\$\{ifs\}|\$ifs(?:\$\d)?|\$\{ifs%\?\?\}/gi, ' ');
  s = s
    .replace(/["'^\\]/g, '')
    .replace(/[,;]/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ (?=[/(])/g, '')
    .toLowerCase();
  return s === input ? input : s;
}

const B64 = /^[A-Za-z0-9+/_-]{10,}={0,2}$/;

/**
 * Base64 (standard or URL-safe) that decodes to printable UTF-8 text; otherwise the input itself.
 * Binary blobs and images stay as they are: only text can carry an injection.
 */
export function base64Decode(input: string): string {
  if (input.length < 12 || input.length > 65536 || !B64.test(input)) return input;
  // Plain words and hex ids match the alphabet too: require a mix of cases or digits.
  if (/^[a-z]+$|^[A-Z]+$|^[0-9a-fA-F]+$/.test(input)) return input;
  const bytes = base64Bytes(input);
  if (bytes === null) return input;
  let printable = 0;
  for (const b of bytes) if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13) printable++;
  if (bytes.length === 0 || printable / bytes.length < 0.95) return input;
  return decodeUtf8Lenient(bytes);
}

const B64_VAL = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  .split('')
  .forEach((c, i) => (B64_VAL[c.charCodeAt(0)] = i));
B64_VAL[45] = 62; // '-' (URL-safe)
B64_VAL[95] = 63; // '_' (URL-safe)

/** Decodes standard or URL-safe base64 (padding optional); null when it is not valid base64. */
export function base64Bytes(input: string): number[] | null {
  let end = input.length;
  while (end > 0 && input.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1) return null;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = input.charCodeAt(i);
    const v = c < 128 ? B64_VAL[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return out;
}
