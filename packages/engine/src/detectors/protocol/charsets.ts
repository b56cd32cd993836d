/**
 * Charset judgement. "Evasive" charsets are the ASCII-incompatible ones a back end may honour while
 * a filter reads the bytes as ASCII/UTF-8: UTF-7 (`+ADw-script+AD4-`), UTF-16/32 in a form (every
 * ASCII byte followed by NULs) and EBCDIC code pages (IBM037, CP1026, ...: `<` is 0x4C). No browser
 * declares them; they are the known WAF-bypass encodings (CRS 920480, 920530, 920600, 922110).
 */
const USUAL = new Set([
  'utf-8',
  'utf8',
  'iso-8859-1',
  'iso-8859-15',
  'iso8859-1',
  'latin1',
  'latin-1',
  'windows-1252',
  'cp1252',
  'us-ascii',
  'ascii',
  'utf-16',
  'utf-16le',
  'utf-16be',
  'iso-8859-2',
  'windows-1250',
  'windows-1251',
  'koi8-r',
  'shift_jis',
  'shift-jis',
  'sjis',
  'windows-31j',
  'euc-jp',
  'euc-kr',
  'gb2312',
  'gbk',
  'gb18030',
  'big5',
  'iso-2022-jp',
  'windows-1256',
  'iso-8859-9',
]);
/** Charsets a browser uses for a text form field (CRS 922110's list, with ASCII). */
const PLAIN_FIELD = new Set([
  'utf-8',
  'utf8',
  'us-ascii',
  'ascii',
  'iso-8859-1',
  'iso-8859-15',
  'latin1',
  'windows-1252',
]);
const UTF7 = /^(?:x-)?(?:unicode-1-1-)?utf-?7(?:-imap)?$|^csunicode11utf7$/;
const WIDE = /^(?:utf-?32(?:le|be)?|ucs-?[24](?:le|be)?|iso-10646-ucs-[24]|x-utf-?32(?:le|be)?)$/;
const UTF16 = /^(?:utf-?16(?:le|be)?|unicode(?:fffe|feff)?|x-utf-?16(?:le|be)?)$/;
// EBCDIC code pages (IBM037, IBM273 ... IBM1047, IBM01140-01149, CP500, CP875, CP1026, "ebcdic-*").
const EBCDIC =
  /^(?:cs)?(?:ibm|cp)[-_]?0*(?:37|38|273|274|275|277|278|280|281|284|285|290|297|420|423|424|500|870|871|875|880|905|918|1025|1026|1047|114[0-9])$|ebcdic/;

/** Lower case, quotes and spaces removed. */
export function normCharset(cs: string): string {
  let a = 0;
  let b = cs.length;
  const skip = (c: number) => c === 34 || c === 39 || c === 32 || c === 9;
  while (a < b && skip(cs.charCodeAt(a))) a++;
  while (b > a && skip(cs.charCodeAt(b - 1))) b--;
  return cs.slice(a, b).toLowerCase();
}

/**
 * 'evasive' (UTF-7, EBCDIC, UTF-32; UTF-16 too when `form` is set), 'usual', or 'unknown'.
 */
export function charsetClass(cs: string, form: boolean): 'evasive' | 'usual' | 'unknown' {
  const c = normCharset(cs);
  if (c.length > 40) return 'unknown';
  if (UTF7.test(c) || WIDE.test(c) || EBCDIC.test(c)) return 'evasive';
  if (UTF16.test(c)) return form ? 'evasive' : 'usual';
  return USUAL.has(c) ? 'usual' : 'unknown';
}

/** A charset a browser would send for a text form field. */
export function isPlainFieldCharset(cs: string): boolean {
  return PLAIN_FIELD.has(normCharset(cs));
}
