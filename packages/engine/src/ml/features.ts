import type { ParsedRequest } from '../request/parse-request.js';
import { Kind, Flag, type Value } from '../value.js';
import { tokenize, type Token } from '../detectors/sqli/tokenizer.js';
import { Tk } from '../detectors/sqli/keywords.js';
import { scanTags } from '../detectors/xss/html-scan.js';
import { EXEC_TAGS, HTML_ELEMENTS, EVENT_NAMES } from '../detectors/xss/lexicon.js';

/** Version of the feature schema: a model trained under another version cannot be scored. */
/** 2: only the path, query and form-urlencoded values make the document (JSON, XML, multipart out). */
export const FEATURE_SCHEMA_VERSION = 2;

/** How a request becomes features; stored in the model so training and inference agree. */
export interface VectorizerParams {
  /** log2 of the hashed feature space (character n-grams and tokenizer tokens). */
  readonly hashBits: number;
  /** Character n-gram lengths, inclusive. */
  readonly ngramMin: number;
  readonly ngramMax: number;
  /** Analyse at most this many characters of the document (bounds the work per request). */
  readonly maxDocChars: number;
  /** Take at most this many characters of one value. */
  readonly maxValueChars: number;
}

/**
 * The default: 2..4-grams. On the recipe's holdout they score as well as 1..5 or better (single
 * characters are counted by the dense features) and cost 40 % fewer hash lookups per request.
 */
export const DEFAULT_VECTORIZER: VectorizerParams = Object.freeze({
  hashBits: 18,
  ngramMin: 2,
  ngramMax: 4,
  maxDocChars: 1024,
  maxValueChars: 384,
});

/** Characters counted one by one as dense features (the syntax of injections). */
const SPECIALS = `'"\`<>();|&$[]{}/\\%=-#*+,:!@~^?.`;

/** Names of the dense (lexical) features, in vector order. Part of the schema. */
export const DENSE_FEATURES: readonly string[] = Object.freeze([
  'len_log',
  'entropy',
  'ws_ratio',
  'alpha_ratio',
  'digit_ratio',
  'special_ratio',
  'nonascii_ratio',
  'values_log',
  'max_value_log',
  ...[...SPECIALS].map((c) => `char_${c.charCodeAt(0).toString(16)}_log`),
  'sql_keywords_log',
  'sql_logic_log',
  'sql_union_log',
  'sql_func_log',
  'sql_comments_log',
  'sql_unclosed_string',
  'xss_tags_log',
  'xss_exec_tags_log',
  'xss_events_log',
  'xss_script_scheme_log',
  'xss_scan_hit',
  'trav_dotdot_log',
  'trav_sensitive_log',
  'cmd_subst_log',
]);
const D = DENSE_FEATURES.length;
const DI = Object.fromEntries(DENSE_FEATURES.map((n, i) => [n, i])) as Record<string, number>;

const SPECIAL_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < SPECIALS.length; i++) SPECIAL_INDEX[SPECIALS.charCodeAt(i)] = i;
const CHAR0 = DI['char_27_log']!;

/**
 * User-controlled values the document is made of: the path and the query and form-urlencoded
 * arguments — the surfaces the training data has. Headers, cookies, JSON, XML and multipart values
 * are left out: a model must not judge what it never saw (README, "the trained classifier").
 */
const DOC_KINDS = Kind.path | Kind.arg;
const inDocument = (v: Value): boolean =>
  (v.kind & DOC_KINDS) !== 0 &&
  v.pre.length === 0 &&
  (v.kind === Kind.path || v.location.startsWith('query:') || v.location.startsWith('body.form:'));
/** Values worth a SQL tokenization: anything with SQL syntax or a space between words. */
const SQL_FLAGS =
  Flag.quote | Flag.paren | Flag.semi | Flag.hash | Flag.star | Flag.dash | Flag.backtick | Flag.space;
const MAX_NAME_CHARS = 64;
/** Tokens per SQL stream turned into features (the fingerprint's start carries the signal). */
const MAX_SQL_TOKENS = 48;
const SENSITIVE = [
  'etc/passwd',
  'etc/shadow',
  'win.ini',
  'boot.ini',
  '/proc/self',
  'web.config',
  '.htaccess',
];

/** A span of the document that came from one value (for explanations). */
export interface DocSpan {
  start: number;
  end: number;
  location: string;
}

/**
 * The raw features of one request: hashed feature ids with their counts (term frequencies) and
 * the dense lexical vector. `ids`/`counts` are valid for `n` entries; the buffers are reused by the
 * next call of the same `Featurizer`.
 */
export interface RawFeatures {
  n: number;
  ids: Int32Array;
  counts: Float32Array;
  dense: Float64Array;
  /** The analysed document (decoded values; n-grams read its digits as 0). */
  doc: string;
  spans: DocSpan[];
}

/** Records which text each hashed id came from (explanations only); `start` is -1 for tokens. */
export type ExplainSink = (id: number, text: string, start: number) => void;

/** FNV-1a step; `mix` finalises so that the low bits used as the index are well spread. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;
function mix(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  return h ^ (h >>> 15);
}
/** FNV state after `s[from, to)`, continuing from `h`. */
function fnv(h: number, s: string, from = 0, to = s.length): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}
/** Token features hash `prefix + text` from this seed (keeps them apart from character n-grams). */
const TOKEN_SEED = FNV_OFFSET ^ 0x5a5a5a5a;

// Token prefixes and their FNV states, computed once: a token's hash continues from its prefix's
// state over the text's characters, so no token string is built on the hot path.
const SW = 'sw:';
const XH = 'xh:';
const TG = 'tg:';
const H_SW = fnv(TOKEN_SEED, SW);
const H_XH = fnv(TOKEN_SEED, XH);
const H_TG = fnv(TOKEN_SEED, TG);
/** Quote contexts of the SQL tokenizer, in feature order. */
const QUOTES = [0, 39, 34] as const;
const SQ = QUOTES.map((q) => `sq${q}:`);
const SQ_HEAD = QUOTES.map((q) => `sq${q}:^`);
const H_SQ = SQ.map((p) => fnv(TOKEN_SEED, p));
const H_SQ_HEAD = SQ_HEAD.map((p) => fnv(TOKEN_SEED, p));
/** Tag token texts after `tg:` (`/script`, `html`, `other`, ...), made once. */
const TAG_TEXT = new Map<string, readonly [open: string, close: string]>();
for (const t of [...EXEC_TAGS, 'html', 'other']) TAG_TEXT.set(t, [t, `/${t}`]);

/** `start` of a feature that is a token read from a string, or from a SQL fingerprint. */
const FROM_STRING = -1;
const FROM_FINGERPRINT = -2;
const DIGITS = /[0-9]/g;

function log1p(x: number): number {
  return Math.log(1 + x);
}

/** Builds the document: the path, then `name=value` per argument, one per line, lower case. */
export function buildDocument(
  parsed: ParsedRequest,
  params: VectorizerParams,
): { doc: string; spans: DocSpan[] } {
  let doc = '';
  const spans: DocSpan[] = [];
  for (const v of parsed.values) {
    if (!inDocument(v)) continue;
    if (doc.length >= params.maxDocChars) break;
    let text = v.view('lower');
    if (text.length > params.maxValueChars) text = text.slice(0, params.maxValueChars);
    let seg = text;
    if (v.kind !== Kind.path && v.name !== '' && v.name !== v.raw)
      seg = `${v.name.slice(0, MAX_NAME_CHARS).toLowerCase()}=${text}`;
    if (doc.length > 0) doc += '\n';
    const start = doc.length;
    doc += seg;
    if (doc.length > params.maxDocChars) doc = doc.slice(0, params.maxDocChars);
    spans.push({ start, end: doc.length, location: v.location });
  }
  return { doc, spans };
}

function countOf(s: string, needle: string): number {
  let c = 0;
  for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length)) c++;
  return c;
}

// Dense vector positions, looked up once (the hot path indexes a typed array with constants).
const I_LEN = DI['len_log']!;
const I_ENTROPY = DI['entropy']!;
const I_WS = DI['ws_ratio']!;
const I_ALPHA = DI['alpha_ratio']!;
const I_DIGIT = DI['digit_ratio']!;
const I_SPECIAL = DI['special_ratio']!;
const I_NONASCII = DI['nonascii_ratio']!;
const I_VALUES = DI['values_log']!;
const I_MAX_VALUE = DI['max_value_log']!;
const I_SQL_KEYWORDS = DI['sql_keywords_log']!;
const I_SQL_LOGIC = DI['sql_logic_log']!;
const I_SQL_UNION = DI['sql_union_log']!;
const I_SQL_FUNC = DI['sql_func_log']!;
const I_SQL_COMMENTS = DI['sql_comments_log']!;
const I_SQL_UNCLOSED = DI['sql_unclosed_string']!;
const I_XSS_TAGS = DI['xss_tags_log']!;
const I_XSS_EXEC = DI['xss_exec_tags_log']!;
const I_XSS_EVENTS = DI['xss_events_log']!;
const I_XSS_SCHEME = DI['xss_script_scheme_log']!;
const I_XSS_HIT = DI['xss_scan_hit']!;
const I_TRAV_DOTDOT = DI['trav_dotdot_log']!;
const I_TRAV_SENSITIVE = DI['trav_sensitive_log']!;
const I_CMD_SUBST = DI['cmd_subst_log']!;
const K_COLON = SPECIALS.indexOf(':');
const K_DOT = SPECIALS.indexOf('.');
const K_SLASH = SPECIALS.indexOf('/');
const K_DOLLAR = SPECIALS.indexOf('$');

const TK_STRING = Tk.string.charCodeAt(0);
const TK_NUMBER = Tk.number.charCodeAt(0);
const TK_BARE = Tk.bare.charCodeAt(0);
const TK_LOGIC = Tk.logic.charCodeAt(0);
const TK_UNION = Tk.union.charCodeAt(0);
const TK_FUNC = Tk.func.charCodeAt(0);
const TK_KEYWORD = Tk.keyword.charCodeAt(0);
const TK_STATEMENT = Tk.statement.charCodeAt(0);
const TK_GROUP_BY = Tk.groupBy.charCodeAt(0);

/**
 * Turns parsed requests into features. Holds reusable buffers, so one instance serves one caller
 * at a time (JavaScript is single-threaded; the engine keeps one per engine). Besides ids and
 * counts it keeps, per feature, where its longest text came from, so that an explanation needs no
 * second pass (`featureText`, `featureStart`).
 */
export class Featurizer {
  readonly params: VectorizerParams;
  readonly dim: number;
  private readonly mask: number;
  private readonly cap: number;
  // Open-addressing table id → position in `ids`: pairs (id + 1, position), 0 = empty. Sized per
  // request to the features it can hold (a few KB for a typical request, so it stays in L1) and
  // cleared through the slots the entries used, not wholesale.
  private readonly tab: Int32Array;
  private tMask = 0;
  private tLimit = 0;
  private readonly eSlot: Int32Array;
  private readonly ids: Int32Array;
  private readonly counts: Float32Array;
  private n = 0;
  // Per feature: the length of its longest text, and where that text is (see `featureText`).
  private readonly eLen: Int32Array;
  private readonly eStart: Int32Array;
  private readonly eOff: Int32Array;
  private readonly ePre: string[];
  private readonly eSrc: (string | readonly Token[])[];
  private readonly dense = new Float64Array(D);
  private readonly freq = new Int32Array(256);
  /** The document as char codes with digits folded to `0` (what the n-grams read). */
  private readonly codes: Uint16Array;
  /** SQL fingerprint of the current stream, as char codes. */
  private readonly fp = new Uint16Array(MAX_SQL_TOKENS);
  private doc = '';
  private explain: ExplainSink | undefined;

  constructor(params: VectorizerParams) {
    this.params = params;
    this.dim = 1 << params.hashBits;
    this.mask = this.dim - 1;
    const cap = params.maxDocChars * (params.ngramMax - params.ngramMin + 1) + 4096;
    this.cap = cap;
    let t = 64;
    while (t < 2 * cap) t *= 2;
    this.tab = new Int32Array(2 * t);
    this.eSlot = new Int32Array(cap);
    this.ids = new Int32Array(cap);
    this.counts = new Float32Array(cap);
    this.eLen = new Int32Array(cap);
    this.eStart = new Int32Array(cap);
    this.eOff = new Int32Array(cap);
    this.ePre = new Array<string>(cap).fill('');
    this.eSrc = new Array<string | readonly Token[]>(cap).fill('');
    this.codes = new Uint16Array(params.maxDocChars);
  }

  /** Counts `id` once; returns its position, or -1 when the (bounded) feature list is full. */
  private add(id: number): number {
    const tab = this.tab;
    const key = id + 1;
    const tMask = this.tMask;
    let s = id & tMask;
    for (let k = tab[2 * s]!; k !== 0; k = tab[2 * s]!) {
      if (k === key) {
        const p = tab[2 * s + 1]!;
        this.counts[p]! += 1;
        return p;
      }
      s = (s + 1) & tMask;
    }
    return this.insert(id, s);
  }

  /** Adds a new entry for `id` at free slot `s`; -1 when the feature list is full. */
  private insert(id: number, s: number): number {
    if (this.n >= this.cap) return -1; // bounded: the capacity covers the capped document
    const tab = this.tab;
    if (this.n >= this.tLimit) {
      this.grow();
      s = id & this.tMask;
      while (tab[2 * s] !== 0) s = (s + 1) & this.tMask;
    }
    const p = this.n++;
    tab[2 * s] = id + 1;
    tab[2 * s + 1] = p;
    this.eSlot[p] = s;
    this.ids[p] = id;
    this.counts[p] = 1;
    this.eLen[p] = 0;
    return p;
  }

  /** Empties the table and sizes it for `want` entries at most half full (whole table at most). */
  private clearTable(want: number): void {
    for (let p = 0; p < this.n; p++) this.tab[2 * this.eSlot[p]!] = 0;
    this.n = 0;
    let t = 64;
    while (t < 2 * want && 2 * t <= this.tab.length) t *= 2;
    this.tMask = t - 1;
    this.tLimit = t >> 1;
  }

  /**
   * Doubles the table (more tokens than the n-grams foresaw). The largest table holds `cap` entries
   * half full, and `add` stops at `cap`, so this is never asked past it.
   */
  private grow(): void {
    const t = Math.min(2 * (this.tMask + 1), this.tab.length >> 1);
    const tab = this.tab;
    for (let p = 0; p < this.n; p++) tab[2 * this.eSlot[p]!] = 0;
    this.tMask = t - 1;
    this.tLimit = t >> 1;
    for (let p = 0; p < this.n; p++) {
      let s = this.ids[p]! & this.tMask;
      while (tab[2 * s] !== 0) s = (s + 1) & this.tMask;
      tab[2 * s] = this.ids[p]! + 1;
      tab[2 * s + 1] = p;
      this.eSlot[p] = s;
    }
  }

  /**
   * Adds the token `prefix + src[off, off+len)` whose prefix hashes to `h`. `src` is a string, or a
   * token stream whose types spell the text (the SQL fingerprint, read from `this.fp`).
   */
  private token(h: number, prefix: string, src: string | readonly Token[], off: number, len: number): void {
    if (typeof src === 'string') h = fnv(h, src, off, off + len);
    else for (let k = off; k < off + len; k++) h = Math.imul(h ^ this.fp[k]!, FNV_PRIME);
    const id = mix(h) & this.mask;
    const p = this.add(id);
    const tl = prefix.length + len;
    // The longest text per id is kept: a 5-gram says more than a 1-gram it may collide with.
    if (p >= 0 && tl > this.eLen[p]!) {
      this.eLen[p] = tl;
      this.eStart[p] = typeof src === 'string' ? FROM_STRING : FROM_FINGERPRINT;
      this.ePre[p] = prefix;
      this.eSrc[p] = src;
      this.eOff[p] = off;
    }
    if (this.explain) this.explain(id, tokenText(prefix, src, off, len), -1);
  }

  /** Extracts the features of one parsed request. */
  featurize(parsed: ParsedRequest, explain?: ExplainSink): RawFeatures {
    this.explain = explain;
    try {
      const { doc, spans } = buildDocument(parsed, this.params);
      const { ngramMin, ngramMax } = this.params;
      // Room for every n-gram of the document and a few tokens; grown when SQL tokens add more.
      this.clearTable(doc.length * (ngramMax - ngramMin + 1) + 32);
      this.doc = doc;
      this.ngrams(doc);
      this.lexical(doc, spans.length);
      this.tokens(parsed);
      return { n: this.n, ids: this.ids, counts: this.counts, dense: this.dense, doc, spans };
    } finally {
      this.explain = undefined;
    }
  }

  /**
   * The longest text seen for feature `i` of the last `featurize` (n-grams with digits as `0`,
   * tokens with their prefix). Valid until the next call.
   */
  featureText(i: number): string {
    const start = this.eStart[i]!;
    const len = this.eLen[i]!;
    if (start >= 0) return this.doc.slice(start, start + len).replace(DIGITS, '0');
    const pre = this.ePre[i]!;
    return tokenText(pre, this.eSrc[i]!, this.eOff[i]!, len - pre.length);
  }

  /** Where that text starts in the document, or -1 for a token. */
  featureStart(i: number): number {
    const s = this.eStart[i]!;
    return s >= 0 ? s : -1;
  }

  private ngrams(doc: string): void {
    const { ngramMin, ngramMax } = this.params;
    const n = doc.length;
    const codes = this.codes;
    for (let i = 0; i < n; i++) {
      const c = doc.charCodeAt(i);
      // Digits fold to 0: ids, prices and dates differ in every request and say nothing.
      codes[i] = c >= 48 && c <= 57 ? 48 : c;
    }
    const mask = this.mask;
    const tab = this.tab;
    const tMask = this.tMask;
    const counts = this.counts;
    const ids = this.ids;
    const eSlot = this.eSlot;
    const cap = Math.min(this.cap, this.tLimit);
    const eLen = this.eLen;
    const eStart = this.eStart;
    const explain = this.explain;
    for (let i = 0; i < n; i++) {
      let h = FNV_OFFSET;
      const end = Math.min(n, i + ngramMax);
      for (let j = i; j < end; j++) {
        h = Math.imul(h ^ codes[j]!, FNV_PRIME);
        const len = j - i + 1;
        if (len < ngramMin) continue;
        const id = mix(h) & mask;
        // The probe of `add`, inlined for the hot loop (the table was sized for every n-gram, so
        // `insert` does not grow it here and `tMask` stays valid).
        const key = id + 1;
        let s = id & tMask;
        let k = tab[2 * s]!;
        while (k !== 0 && k !== key) {
          s = (s + 1) & tMask;
          k = tab[2 * s]!;
        }
        if (k !== 0) {
          const p = tab[2 * s + 1]!;
          counts[p]! += 1;
          if (len > eLen[p]!) {
            eLen[p] = len;
            eStart[p] = i;
          }
        } else if (this.n < cap) {
          // `insert`, inlined: the table has room for every n-gram (see above).
          const p = this.n++;
          tab[2 * s] = key;
          tab[2 * s + 1] = p;
          eSlot[p] = s;
          ids[p] = id;
          counts[p] = 1;
          eLen[p] = len;
          eStart[p] = i;
        }
        if (explain) explain(id, doc.slice(i, j + 1).replace(DIGITS, '0'), i);
      }
    }
  }

  private lexical(doc: string, values: number): void {
    const d = this.dense;
    d.fill(0);
    const n = doc.length;
    const freq = this.freq;
    let ws = 0;
    let alpha = 0;
    let digit = 0;
    let special = 0;
    let nonAscii = 0;
    let maxValue = 0;
    let run = 0;
    for (let i = 0; i < n; i++) {
      const c = doc.charCodeAt(i);
      freq[c & 255]!++; // non-Latin-1 characters share buckets: entropy is an estimate there
      if (c === 10) {
        if (run > maxValue) maxValue = run;
        run = 0;
        continue;
      }
      run++;
      if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) ws++;
      else if (c >= 97 && c <= 122) alpha++;
      else if (c >= 48 && c <= 57) digit++;
      else if (c >= 128) nonAscii++;
      else {
        const k = SPECIAL_INDEX[c]!;
        if (k >= 0) {
          special++;
          d[CHAR0 + k]!++;
        }
      }
    }
    if (run > maxValue) maxValue = run;
    let entropy = 0;
    for (let c = 0; c < 256; c++) {
      const f = freq[c]!;
      if (f === 0) continue;
      freq[c] = 0;
      const p = f / n;
      entropy -= p * Math.log2(p);
    }
    // Raw counts of the characters the substring features need (they are absent in most requests).
    const colons = d[CHAR0 + K_COLON]!;
    const dots = d[CHAR0 + K_DOT]!;
    const slashes = d[CHAR0 + K_SLASH]!;
    const dollars = d[CHAR0 + K_DOLLAR]!;
    for (let k = 0; k < SPECIALS.length; k++) {
      const c = d[CHAR0 + k]!;
      if (c > 0) d[CHAR0 + k] = log1p(c); // log1p(0) is 0: most specials are absent
    }
    const inv = n > 0 ? 1 / n : 0;
    d[I_LEN] = log1p(n);
    d[I_ENTROPY] = entropy;
    d[I_WS] = ws * inv;
    d[I_ALPHA] = alpha * inv;
    d[I_DIGIT] = digit * inv;
    d[I_SPECIAL] = special * inv;
    d[I_NONASCII] = nonAscii * inv;
    d[I_VALUES] = log1p(values);
    d[I_MAX_VALUE] = log1p(maxValue);
    let tags = 0;
    let execTags = 0;
    let events = 0;
    for (let i = doc.indexOf('<'); i >= 0; i = doc.indexOf('<', i + 1)) {
      let j = i + 1;
      if (doc.charCodeAt(j) === 47) j++;
      const s = j;
      while (j < n && j - s < 16 && isTagChar(doc.charCodeAt(j))) j++;
      if (j > s) {
        tags++;
        if (EXEC_TAGS.has(doc.slice(s, j))) execTags++;
      }
    }
    // Event handlers: `on<letters>` followed by optional spaces and `=` (the name is cut only then).
    for (let i = doc.indexOf('on'); i >= 0; i = doc.indexOf('on', i + 2)) {
      let j = i + 2;
      while (j < n && j - i < 24 && isLower(doc.charCodeAt(j))) j++;
      const nameEnd = j;
      while (j < n && doc.charCodeAt(j) === 32) j++;
      if (doc.charCodeAt(j) === 61 && EVENT_NAMES.has(doc.slice(i, nameEnd))) events++;
    }
    d[I_XSS_TAGS] = log1p(tags);
    d[I_XSS_EXEC] = log1p(execTags);
    d[I_XSS_EVENTS] = log1p(events);
    d[I_XSS_SCHEME] = log1p(colons > 0 ? countOf(doc, 'javascript:') + countOf(doc, 'vbscript:') : 0);
    d[I_TRAV_DOTDOT] = log1p(dots >= 2 ? countOf(doc, '../') + countOf(doc, '..\\') : 0);
    let sens = 0;
    // Each sensitive name holds a `.` or a `/`.
    if (dots + slashes > 0) for (const s of SENSITIVE) sens += countOf(doc, s);
    d[I_TRAV_SENSITIVE] = log1p(sens);
    d[I_CMD_SUBST] = log1p(dollars > 0 ? countOf(doc, '$(') + countOf(doc, '${') : 0);
  }

  /** Token features from the engine's SQL tokenizer and HTML scanner. */
  private tokens(parsed: ParsedRequest): void {
    const d = this.dense;
    const maxValueChars = this.params.maxValueChars;
    const fp = this.fp;
    let keywords = 0;
    let logic = 0;
    let union = 0;
    let funcs = 0;
    let comments = 0;
    let unclosed = 0;
    let xssHit = 0;
    let budget = this.params.maxDocChars;
    for (const v of parsed.values) {
      if (v.kind !== Kind.arg || !inDocument(v)) continue;
      if (budget <= 0) break;
      const flags = v.flags;
      if ((flags & (SQL_FLAGS | Flag.angle)) === 0) continue;
      budget -= v.raw.length;
      if ((flags & SQL_FLAGS) !== 0) {
        const s = sqlText(v, maxValueChars);
        // Keyword counts come from one context: breaking out of the quote the value holds, if any.
        const single = s.indexOf("'") >= 0;
        const double = s.indexOf('"') >= 0;
        const primary = single ? 39 : double ? 34 : 0;
        for (let qi = 0; qi < QUOTES.length; qi++) {
          const q = QUOTES[qi]!;
          if ((q === 39 && !single) || (q === 34 && !double)) continue;
          const ts = tokenize(s, q);
          comments += ts.comments;
          const toks = ts.tokens;
          const m = Math.min(toks.length, MAX_SQL_TOKENS);
          for (let k = 0; k < m; k++) {
            const t = toks[k]!;
            const tc = t.t.charCodeAt(0);
            fp[k] = tc;
            if (tc === TK_STRING && !t.closed) unclosed = 1;
            if (q === primary) {
              if (tc === TK_LOGIC) logic++;
              else if (tc === TK_UNION) union++;
              else if (tc === TK_FUNC) funcs++;
              if (tc === TK_KEYWORD || tc === TK_STATEMENT || tc === TK_UNION || tc === TK_GROUP_BY)
                keywords++;
              if (tc !== TK_STRING && tc !== TK_NUMBER && tc !== TK_BARE && t.v.length <= 24)
                this.token(H_SW, SW, t.v, 0, t.v.length);
            }
          }
          // Fingerprint n-grams (libinjection-like), per quote context.
          const pre = SQ[qi]!;
          const h0 = H_SQ[qi]!;
          for (let k = 0; k < m; k++) {
            this.token(h0, pre, toks, k, 1);
            if (k + 2 <= m) this.token(h0, pre, toks, k, 2);
            if (k + 3 <= m) this.token(h0, pre, toks, k, 3);
          }
          if (m > 0) this.token(H_SQ_HEAD[qi]!, SQ_HEAD[qi]!, toks, 0, Math.min(5, m));
        }
      }
      if ((flags & Flag.angle) !== 0) {
        const lower = v.view('lower');
        const h = scanTags(
          lower.length > maxValueChars ? lower.slice(0, maxValueChars) : lower,
          undefined,
          false,
        );
        if (h) {
          xssHit = 1;
          this.token(H_XH, XH, h.rule, 0, h.rule.length);
        }
        for (let i = lower.indexOf('<'); i >= 0 && i < maxValueChars; i = lower.indexOf('<', i + 1)) {
          let j = i + 1;
          const close = lower.charCodeAt(j) === 47;
          if (close) j++;
          const s = j;
          while (j < lower.length && j - s < 16 && isTagChar(lower.charCodeAt(j))) j++;
          if (j === s) continue;
          const tag = lower.slice(s, j);
          const texts = TAG_TEXT.get(EXEC_TAGS.has(tag) ? tag : HTML_ELEMENTS.has(tag) ? 'html' : 'other')!;
          const text = close ? texts[1] : texts[0];
          this.token(H_TG, TG, text, 0, text.length);
        }
      }
    }
    d[I_SQL_KEYWORDS] = log1p(keywords);
    d[I_SQL_LOGIC] = log1p(logic);
    d[I_SQL_UNION] = log1p(union);
    d[I_SQL_FUNC] = log1p(funcs);
    d[I_SQL_COMMENTS] = log1p(comments);
    d[I_SQL_UNCLOSED] = unclosed;
    d[I_XSS_HIT] = xssHit;
  }
}

/** The text of a token feature: a prefix and a slice of a string or of a SQL fingerprint. */
function tokenText(prefix: string, src: string | readonly Token[], off: number, len: number): string {
  if (typeof src === 'string') return prefix + src.slice(off, off + len);
  let t = prefix;
  for (let k = off; k < off + len; k++) t += src[k]!.t;
  return t;
}

function sqlText(v: Value, max: number): string {
  const s = v.view('sql');
  return s.length > max ? s.slice(0, max) : s;
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}
function isTagChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 58;
}
