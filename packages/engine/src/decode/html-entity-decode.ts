/**
 * HTML character references: named (a security-relevant subset plus common text entities), decimal
 * and hex, with or without the closing semicolon (browsers accept `&#60` and `&lt`). Returns the input
 * itself when nothing changed.
 */
const NAMED: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  tab: '\t',
  newline: '\n',
  colon: ':',
  semi: ';',
  comma: ',',
  period: '.',
  excl: '!',
  quest: '?',
  num: '#',
  dollar: '$',
  percnt: '%',
  plus: '+',
  equals: '=',
  sol: '/',
  bsol: '\\',
  lpar: '(',
  rpar: ')',
  lsqb: '[',
  rsqb: ']',
  lbrack: '[',
  rbrack: ']',
  lcub: '{',
  rcub: '}',
  lbrace: '{',
  rbrace: '}',
  grave: '`',
  hat: '^',
  ast: '*',
  midast: '*',
  verbar: '|',
  vert: '|',
  lowbar: '_',
  commat: '@',
  hyphen: '-',
  dash: '-',
  copy: '\u00a9',
  reg: '\u00ae',
  shy: '\u00ad',
  laquo: '\u00ab',
  raquo: '\u00bb',
  ntilde: '\u00f1',
  eacute: '\u00e9',
  aacute: '\u00e1',
  oacute: '\u00f3',
  uacute: '\u00fa',
  iacute: '\u00ed',
  uuml: '\u00fc',
  ouml: '\u00f6',
  auml: '\u00e4',
  szlig: '\u00df',
  euro: '\u20ac',
  hellip: '\u2026',
  mdash: '\u2014',
  ndash: '\u2013',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201c',
  rdquo: '\u201d',
};
/** Named references that browsers also accept without the semicolon (legacy). */
const LEGACY_NO_SEMI = new Set(['lt', 'gt', 'amp', 'quot', 'nbsp', 'copy', 'reg', 'apos']);

export function htmlEntityDecode(input: string): string {
  let i = input.indexOf('&');
  if (i < 0) return input;
  let out = '';
  let last = 0;
  let changed = false;
  const n = input.length;
  while (i >= 0) {
    let j = i + 1;
    let repl: string | undefined;
    if (input.charCodeAt(j) === 35 /* # */) {
      j++;
      let cp = 0;
      let digits = 0;
      let zeros = 0;
      if ((input.charCodeAt(j) | 0x20) === 120 /* x */) {
        j++;
        // Leading zeros are padding (`&#x000000003c;`): skip them before counting digits.
        while (input.charCodeAt(j) === 48 && j < n) {
          j++;
          zeros++;
        }
        for (; j < n && digits < 8; j++, digits++) {
          const c = input.charCodeAt(j);
          const v =
            c >= 48 && c <= 57 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
          if (v < 0) break;
          cp = cp * 16 + v;
        }
      } else {
        while (input.charCodeAt(j) === 48 && j < n) {
          j++;
          zeros++;
        }
        for (; j < n && digits < 10; j++, digits++) {
          const c = input.charCodeAt(j);
          if (c < 48 || c > 57) break;
          cp = cp * 10 + (c - 48);
        }
      }
      if (digits + zeros > 0) {
        if (input.charCodeAt(j) === 59) j++;
        repl =
          cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
      }
    } else {
      let k = j;
      while (k < n && k - j < 10) {
        const c = input.charCodeAt(k) | 0x20;
        if (c < 97 || c > 122) break;
        k++;
      }
      if (k > j) {
        const name = input.slice(j, k);
        const lname = name.toLowerCase();
        if (input.charCodeAt(k) === 59 && NAMED[name] !== undefined) {
          repl = NAMED[name];
          j = k + 1;
        } else if (input.charCodeAt(k) === 59 && NAMED[lname] !== undefined) {
          repl = NAMED[lname];
          j = k + 1;
        } else {
          // Without a semicolon: the longest legacy name that prefixes the run (`&ltscript`).
          for (let len = Math.min(k - j, 4); len >= 2; len--) {
            const pre = lname.slice(0, len);
            if (LEGACY_NO_SEMI.has(pre)) {
              repl = NAMED[pre];
              j = j + len;
              break;
            }
          }
        }
      }
    }
    if (repl !== undefined) {
      out += input.slice(last, i) + repl;
      last = j;
      changed = true;
    }
    i = input.indexOf('&', Math.max(j, i + 1));
  }
  if (!changed) return input;
  return out + input.slice(last);
}
