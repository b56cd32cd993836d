import {
  Tk,
  type TokenType,
  LOGIC,
  UNION,
  STATEMENT,
  COMPARE,
  ARITH,
  LITERAL,
  KEYWORD,
  FUNCS,
  TIME_FUNCS,
  ERROR_FUNCS,
  FILE_FUNCS,
  INFO_FUNCS,
} from './keywords.js';

/** One SQL token: its type, its (lower-case) text, and where it starts in the input. */
export interface Token {
  t: TokenType;
  v: string;
  pos: number;
  /** Strings: whether the closing quote was found. */
  closed: boolean;
  /** Strings: the quote character code (0 for other tokens). */
  q?: number;
}

/** The result of tokenizing one value in one quote context. */
export interface TokenStream {
  tokens: Token[];
  /** The value ended inside a comment (a `--`, `#` or unclosed `/*` that eats the rest). */
  trailingComment: boolean;
  /** A MySQL executable comment `/*!...*\/` was seen: a strong evasion signal. */
  versioned: boolean;
  /** Any comment at all (`/**\/` used as whitespace is an evasion signal too). */
  comments: number;
}

/** Reserved words that never qualify a name: a dot after them starts a new token. */
const SPLIT_AT_DOT = new Set(['select', 'union', 'from', 'where', 'except', 'intersect', 'all', 'distinct']);

/** Upper bound of tokens per value: enough for long sqlmap payloads, bounded for speed. */
const MAX_TOKENS = 256;

// Character classes for the scanner.
const C_WORD = 1; // letters, digits, _ and $ (inside words), non-ASCII letters
const C_DIGIT = 2;
const C_SPACE = 4;
const CLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[a-z_A-Z]/.test(ch)) CLS[c] = C_WORD;
  if (/[0-9]/.test(ch)) CLS[c] = C_WORD | C_DIGIT;
  if (ch === '$') CLS[c] = C_WORD;
  if (/[ \t\n\r\v\f]/.test(ch)) CLS[c] = C_SPACE;
}
// Non-ASCII letters are word characters; typographic punctuation (dashes, primes, quotes) is not.
const isWord = (c: number): boolean =>
  c < 128
    ? (CLS[c]! & C_WORD) !== 0
    : c !== 0xa0 && c !== 0xfeff && !(c >= 0x2000 && c <= 0x2bff) && !(c >= 0x3000 && c <= 0x303f);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean =>
  c < 128
    ? (CLS[c]! & C_SPACE) !== 0
    : c === 0xa0 || c === 0x3000 || c === 0xfeff || (c >= 0x2000 && c <= 0x200b);
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

function classify(w: string): TokenType {
  if (LOGIC.has(w)) return Tk.logic;
  if (w === 'not') return Tk.not;
  if (UNION.has(w)) return Tk.union;
  if (STATEMENT.has(w)) return Tk.statement;
  if (COMPARE.has(w)) return Tk.compare;
  if (ARITH.has(w)) return Tk.op;
  if (LITERAL.has(w)) return Tk.number;
  if (KEYWORD.has(w)) return Tk.keyword;
  return Tk.bare;
}

/** True when `w` names a function we know (so `w(` is a call of it, not a word in brackets). */
export function isKnownFunction(w: string): boolean {
  return FUNCS.has(w) || TIME_FUNCS.has(w) || ERROR_FUNCS.has(w) || FILE_FUNCS.has(w) || INFO_FUNCS.has(w);
}

/**
 * Tokenizes `s` (lower case) as SQL. `quote` is 0 to read the value as it is, or the code of `'` /
 * `"` to read it as if it followed that opening quote (the value breaking out of a string literal):
 * then the first token is the string up to the first matching quote.
 */
export function tokenize(s: string, quote: number): TokenStream {
  const raw: Token[] = [];
  const n = s.length;
  let i = 0;
  let versioned = false;
  let comments = 0;
  let trailingComment = false;
  const push = (t: TokenType, v: string, pos: number, closed = true, q = 0) => {
    raw.push({ t, v, pos, closed, q });
  };
  // Reads a quoted string starting after its opening quote at `from`; returns the index after it.
  const readString = (from: number, q: number, pos: number): number => {
    let k = from;
    while (k < n) {
      const c = s.charCodeAt(k);
      if (c === 92 /* \ */) {
        k += 2;
        continue;
      }
      if (c === q) {
        if (s.charCodeAt(k + 1) === q) {
          k += 2; // doubled quote: an escaped quote inside the string
          continue;
        }
        push(Tk.string, s.slice(from, k), pos, true, q);
        return k + 1;
      }
      k++;
    }
    push(Tk.string, s.slice(from, n), pos, false, q);
    return n;
  };
  if (quote !== 0) i = readString(0, quote, 0);

  while (i < n && raw.length < MAX_TOKENS) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const d = s.charCodeAt(i + 1);
    // Comments.
    if (c === 47 /* / */ && d === 42 /* * */) {
      comments++;
      if (s.charCodeAt(i + 2) === 33 /* ! */) {
        // MySQL executable comment: its content runs; skip the marker and the version number.
        versioned = true;
        i += 3;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        continue;
      }
      const end = s.indexOf('*/', i + 2);
      if (end < 0) {
        trailingComment = true;
        push(Tk.comment, s.slice(i, i + 8), i);
        break;
      }
      push(Tk.comment, '/**/', i);
      i = end + 2;
      continue;
    }
    if (c === 42 /* * */ && d === 47 /* / */) {
      i += 2; // the end of an executable comment
      continue;
    }
    if ((c === 45 /* - */ && d === 45) || c === 35 /* # */) {
      comments++;
      const end = s.indexOf('\n', i);
      push(Tk.comment, c === 35 ? '#' : '--', i);
      if (end < 0) {
        trailingComment = true;
        break;
      }
      i = end + 1;
      continue;
    }
    // Strings and quoted names.
    if (c === 39 || c === 34) {
      i = readString(i + 1, c, i);
      continue;
    }
    if (c === 96 /* ` */) {
      const end = s.indexOf('`', i + 1);
      const e = end < 0 ? n : end;
      push(Tk.bare, s.slice(i + 1, e), i);
      i = e + 1;
      continue;
    }
    if (c === 91 /* [ */) {
      const end = s.indexOf(']', i + 1);
      if (end > i + 1 && end - i < 130) {
        push(Tk.bare, s.slice(i + 1, end), i);
        i = end + 1;
      } else i++;
      continue;
    }
    // Numbers: 0x.., 0b.., 12, 1.5, .5, 1e3. A letter after a number starts a new word (`1union`).
    if (isDigit(c) || (c === 46 && isDigit(d))) {
      const start = i;
      if (c === 48 && (d === 120 || d === 88) && isHex(s.charCodeAt(i + 2))) {
        i += 2;
        while (i < n && isHex(s.charCodeAt(i))) i++;
      } else if (
        c === 48 &&
        (d === 98 || d === 66) &&
        (s.charCodeAt(i + 2) === 48 || s.charCodeAt(i + 2) === 49)
      ) {
        i += 2;
        while (i < n && (s.charCodeAt(i) === 48 || s.charCodeAt(i) === 49)) i++;
      } else {
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        if (s.charCodeAt(i) === 46) {
          i++;
          while (i < n && isDigit(s.charCodeAt(i))) i++;
        }
        const e = s.charCodeAt(i);
        if (
          (e === 101 || e === 69) &&
          (isDigit(s.charCodeAt(i + 1)) ||
            ((s.charCodeAt(i + 1) === 43 || s.charCodeAt(i + 1) === 45) && isDigit(s.charCodeAt(i + 2))))
        ) {
          i += 2;
          while (i < n && isDigit(s.charCodeAt(i))) i++;
        }
      }
      if (i < n && isWord(s.charCodeAt(i)) && !isDigit(s.charCodeAt(i))) {
        // `1108_519_no_1718`, `8a92x` are words; `1union`, `1and` split (MySQL reads them so).
        let k = i;
        while (k < n && isWord(s.charCodeAt(k))) k++;
        const tail = s.slice(i, k);
        if (classify(tail) === Tk.bare) {
          push(Tk.bare, s.slice(start, k), start);
          i = k;
          continue;
        }
      }
      push(Tk.number, s.slice(start, i), start);
      continue;
    }
    // Variables: @x, @@version.
    if (c === 64 /* @ */) {
      const start = i;
      i++;
      if (s.charCodeAt(i) === 64) i++;
      const nameStart = i;
      if (s.charCodeAt(i) === 35 /* # */) i++; // MSSQL `@#tmp`
      while (i < n && (isWord(s.charCodeAt(i)) || s.charCodeAt(i) === 46)) i++;
      if (i > nameStart) push(Tk.variable, s.slice(start, i), start); // a lone `@` is punctuation
      continue;
    }
    // PostgreSQL dollar-quoted strings: $$...$$ or $tag$...$tag$.
    if (c === 36 /* $ */) {
      let k = i + 1;
      while (k < n && k - i < 20 && /[a-z_]/.test(s[k]!)) k++;
      if (s.charCodeAt(k) === 36) {
        const tag = s.slice(i, k + 1);
        const end = s.indexOf(tag, k + 1);
        push(Tk.string, s.slice(k + 1, end < 0 ? n : end), i, end >= 0);
        i = end < 0 ? n : end + tag.length;
        continue;
      }
      i++;
      continue;
    }
    if (isWord(c)) {
      const start = i;
      while (i < n) {
        const k = s.charCodeAt(i);
        if (isWord(k)) i++;
        else if (k === 46 && i + 1 < n && (isWord(s.charCodeAt(i + 1)) || s.charCodeAt(i + 1) === 46)) {
          // `select.1`, `union.all`: a reserved word glued to a dot ends there (MySQL reads `.1` apart).
          if (i > start && SPLIT_AT_DOT.has(s.slice(start, i))) break;
          i++;
        } else break;
      }
      const w = s.slice(start, i);
      // Prefixed string literals: x'41', b'01', n'text', e'text', _utf8'text'.
      const q = s.charCodeAt(i);
      if (
        (q === 39 || (q === 34 && w !== 'n')) &&
        (w === 'x' || w === 'b' || w === 'n' || w === 'e' || w === '_utf8' || w === '_latin1' || w === 'u&')
      ) {
        i = readString(i + 1, q, start);
        continue;
      }
      push(classify(w), w, start);
      continue;
    }
    // Punctuation and operators.
    switch (c) {
      case 40:
        push(Tk.open, '(', i++);
        continue;
      case 41:
        push(Tk.close, ')', i++);
        continue;
      case 44:
        push(Tk.comma, ',', i++);
        continue;
      case 59:
        push(Tk.semi, ';', i++);
        continue;
      case 124 /* | */:
        if (d === 124) {
          push(Tk.logic, '||', i);
          i += 2;
        } else push(Tk.op, '|', i++);
        continue;
      case 38 /* & */:
        if (d === 38) {
          push(Tk.logic, '&&', i);
          i += 2;
        } else push(Tk.op, '&', i++);
        continue;
      case 61 /* = */:
        push(Tk.compare, '=', i);
        i += d === 61 ? 2 : 1;
        continue;
      case 60 /* < */:
      case 62 /* > */: {
        let k = i + 1;
        if (c === 60 && d === 60) {
          push(Tk.op, '<<', i);
          i += 2;
          continue;
        }
        if (c === 62 && d === 62) {
          push(Tk.op, '>>', i);
          i += 2;
          continue;
        }
        if (d === 61 || (c === 60 && d === 62)) k++;
        if (c === 60 && d === 61 && s.charCodeAt(i + 2) === 62) k++;
        push(Tk.compare, s.slice(i, k), i);
        i = k;
        continue;
      }
      case 33 /* ! */:
        if (d === 61 || d === 60 || d === 62) {
          push(Tk.compare, s.slice(i, i + 2), i);
          i += 2;
        } else push(Tk.not, '!', i++);
        continue;
      case 58 /* : */:
        if (d === 58 || d === 61) {
          push(Tk.op, s.slice(i, i + 2), i);
          i += 2;
        } else i++;
        continue;
      case 43:
      case 45:
      case 42:
      case 47:
      case 37:
      case 94:
      case 126:
        push(Tk.op, s[i]!, i++);
        continue;
      default:
        i++; // anything else ({ } ? \ and non-letters) carries no SQL meaning here
    }
  }
  return { tokens: fold(raw), trailingComment, versioned, comments };
}

/**
 * Folds the raw tokens: comments in the middle vanish (they act as whitespace), a word before `(`
 * becomes a function, and two-word operators (`union all`, `order by`, `not like`, `is not`,
 * `waitfor delay`) become one token.
 */
function fold(raw: Token[]): Token[] {
  // Folded in place: each step reads raw[i..] and writes at most one token at w <= i.
  let w = 0;
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const t = raw[i]!;
    // Punctuation, strings and numbers not spelled with a letter take part in no fold below.
    const c0 = t.v.charCodeAt(0);
    if (c0 < 97 && t.t !== Tk.comment && t.t !== Tk.not && t.t !== Tk.bare) {
      raw[w++] = t;
      continue;
    }
    if (t.t === Tk.comment) {
      if (i === n - 1) raw[w++] = t;
      continue;
    }
    // The next token that is not a comment.
    let j = i + 1;
    while (j < n && raw[j]!.t === Tk.comment) j++;
    const next = j < n ? raw[j] : undefined;
    if (t.t === Tk.union && next && (next.v === 'all' || next.v === 'distinct')) {
      raw[w++] = { t: Tk.union, v: t.v + ' ' + next.v, pos: t.pos, closed: true };
      i = j;
      continue;
    }
    if ((t.v === 'order' || t.v === 'group') && next && next.v === 'by') {
      raw[w++] = { t: Tk.groupBy, v: t.v + ' by', pos: t.pos, closed: true };
      i = j;
      continue;
    }
    if (t.t === Tk.not && next && next.t === Tk.compare && next.v !== '=') {
      raw[w++] = { t: Tk.compare, v: 'not ' + next.v, pos: t.pos, closed: true };
      i = j;
      continue;
    }
    if (t.v === 'is' && next && next.t === Tk.not) {
      raw[w++] = { t: Tk.compare, v: 'is not', pos: t.pos, closed: true };
      i = j;
      continue;
    }
    if (t.v === 'sounds' && next && next.v === 'like') {
      raw[w++] = { t: Tk.compare, v: 'sounds like', pos: t.pos, closed: true };
      i = j;
      continue;
    }
    if (t.v === 'waitfor' && next && (next.v === 'delay' || next.v === 'time')) {
      raw[w++] = { t: Tk.func, v: 'waitfor ' + next.v, pos: t.pos, closed: true };
      i = j;
      continue;
    }
    if (
      next &&
      next.t === Tk.open &&
      (t.t === Tk.bare ||
        ((t.t === Tk.keyword || t.t === Tk.statement || t.t === Tk.compare || t.t === Tk.number) &&
          isKnownFunction(t.v) &&
          t.v !== 'select'))
    ) {
      raw[w++] = { t: Tk.func, v: t.v, pos: t.pos, closed: true };
      continue;
    }
    raw[w++] = t;
  }
  raw.length = w;
  return raw;
}
