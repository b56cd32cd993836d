import type { ParsedRequest } from '../request/parse-request.js';
import { Kind, Flag, type Value } from '../value.js';
import { tokenize } from '../detectors/sqli/tokenizer.js';
import { Tk } from '../detectors/sqli/keywords.js';
import { scanTags } from '../detectors/xss/html-scan.js';
import { EXEC_TAGS, HTML_ELEMENTS, EVENT_NAMES } from '../detectors/xss/lexicon.js';

/** Version of the feature schema: a model trained under another version cannot be scored. */
export const FEATURE_SCHEMA_VERSION = 1;

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

export const DEFAULT_VECTORIZER: VectorizerParams = Object.freeze({
  hashBits: 18,
  ngramMin: 1,
  ngramMax: 5,
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

/** User-controlled values the document is made of (headers and cookies are left out, see README). */
const DOC_KINDS = Kind.path | Kind.arg | Kind.xml | Kind.filename;
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
/** Hashes a token feature (prefix keeps tokens apart from character n-grams of the same text). */
function hashToken(s: string): number {
  let h = FNV_OFFSET ^ 0x5a5a5a5a;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return mix(h);
}

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
    if ((v.kind & DOC_KINDS) === 0 || v.pre.length > 0) continue;
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

/**
 * Turns parsed requests into features. Holds reusable buffers, so one instance serves one caller
 * at a time (JavaScript is single-threaded; the engine keeps one per engine).
 */
export class Featurizer {
  readonly params: VectorizerParams;
  readonly dim: number;
  private readonly mask: number;
  // Open-addressing table id → position in `ids`, stamped with a generation so that a new request
  // needs no clearing; small enough to stay in cache (a 2^hashBits array would not).
  private readonly tKeys: Int32Array;
  private readonly tPos: Int32Array;
  private readonly tGen: Int32Array;
  private readonly tMask: number;
  private gen = 0;
  private ids: Int32Array;
  private counts: Float32Array;
  private n = 0;
  private readonly dense = new Float64Array(D);
  private readonly freq = new Int32Array(256);
  private explain: ExplainSink | undefined;

  constructor(params: VectorizerParams) {
    this.params = params;
    this.dim = 1 << params.hashBits;
    this.mask = this.dim - 1;
    const cap = params.maxDocChars * (params.ngramMax - params.ngramMin + 1) + 4096;
    this.ids = new Int32Array(cap);
    this.counts = new Float32Array(cap);
    let t = 1024;
    while (t < 2 * cap) t *= 2;
    this.tKeys = new Int32Array(t);
    this.tPos = new Int32Array(t);
    this.tGen = new Int32Array(t);
    this.tMask = t - 1;
  }

  private add(id: number, w: number): void {
    const g = this.gen;
    let h = Math.imul(id, 0x9e3779b1) & this.tMask;
    while (this.tGen[h] === g) {
      if (this.tKeys[h] === id) {
        this.counts[this.tPos[h]!]! += w;
        return;
      }
      h = (h + 1) & this.tMask;
    }
    if (this.n >= this.ids.length) return; // bounded: the capacity covers the capped document
    this.tGen[h] = g;
    this.tKeys[h] = id;
    this.tPos[h] = this.n;
    this.ids[this.n] = id;
    this.counts[this.n++] = w;
  }

  private token(s: string, start: number): void {
    const id = hashToken(s) & this.mask;
    this.add(id, 1);
    if (this.explain) this.explain(id, s, start);
  }

  /** Extracts the features of one parsed request. */
  featurize(parsed: ParsedRequest, explain?: ExplainSink): RawFeatures {
    this.n = 0;
    if (++this.gen === 0x7fffffff) {
      this.gen = 1;
      this.tGen.fill(0);
    }
    this.explain = explain;
    const { doc, spans } = buildDocument(parsed, this.params);
    this.ngrams(doc);
    this.lexical(doc, spans.length);
    this.tokens(parsed);
    this.explain = undefined;
    return { n: this.n, ids: this.ids, counts: this.counts, dense: this.dense, doc, spans };
  }

  private ngrams(doc: string): void {
    const { ngramMin, ngramMax } = this.params;
    const n = doc.length;
    const mask = this.mask;
    const explain = this.explain;
    for (let i = 0; i < n; i++) {
      let h = FNV_OFFSET;
      const end = Math.min(n, i + ngramMax);
      for (let j = i; j < end; j++) {
        const c = doc.charCodeAt(j);
        // Digits fold to 0: ids, prices and dates differ in every request and say nothing.
        h = Math.imul(h ^ (c >= 48 && c <= 57 ? 48 : c), FNV_PRIME);
        if (j - i + 1 >= ngramMin) {
          const id = mix(h) & mask;
          this.add(id, 1);
          if (explain) explain(id, doc.slice(i, j + 1).replace(/[0-9]/g, '0'), i);
        }
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
    for (let k = 0; k < SPECIALS.length; k++) d[CHAR0 + k] = log1p(d[CHAR0 + k]!);
    const inv = n > 0 ? 1 / n : 0;
    d[DI['len_log']!] = log1p(n);
    d[DI['entropy']!] = entropy;
    d[DI['ws_ratio']!] = ws * inv;
    d[DI['alpha_ratio']!] = alpha * inv;
    d[DI['digit_ratio']!] = digit * inv;
    d[DI['special_ratio']!] = special * inv;
    d[DI['nonascii_ratio']!] = nonAscii * inv;
    d[DI['values_log']!] = log1p(values);
    d[DI['max_value_log']!] = log1p(maxValue);
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
    // Event handlers: `on<letters>` followed by optional spaces and `=`.
    for (let i = doc.indexOf('on'); i >= 0; i = doc.indexOf('on', i + 2)) {
      let j = i + 2;
      while (j < n && j - i < 24 && isLower(doc.charCodeAt(j))) j++;
      const name = doc.slice(i, j);
      while (j < n && doc.charCodeAt(j) === 32) j++;
      if (doc.charCodeAt(j) === 61 && EVENT_NAMES.has(name)) events++;
    }
    d[DI['xss_tags_log']!] = log1p(tags);
    d[DI['xss_exec_tags_log']!] = log1p(execTags);
    d[DI['xss_events_log']!] = log1p(events);
    d[DI['xss_script_scheme_log']!] = log1p(countOf(doc, 'javascript:') + countOf(doc, 'vbscript:'));
    d[DI['trav_dotdot_log']!] = log1p(countOf(doc, '../') + countOf(doc, '..\\'));
    let sens = 0;
    for (const s of SENSITIVE) sens += countOf(doc, s);
    d[DI['trav_sensitive_log']!] = log1p(sens);
    d[DI['cmd_subst_log']!] = log1p(countOf(doc, '$(') + countOf(doc, '${'));
  }

  /** Token features from the engine's SQL tokenizer and HTML scanner. */
  private tokens(parsed: ParsedRequest): void {
    const d = this.dense;
    let keywords = 0;
    let logic = 0;
    let union = 0;
    let funcs = 0;
    let comments = 0;
    let unclosed = 0;
    let xssHit = 0;
    let budget = this.params.maxDocChars;
    for (const v of parsed.values) {
      if ((v.kind & (Kind.arg | Kind.xml | Kind.filename)) === 0 || v.pre.length > 0) continue;
      if (budget <= 0) break;
      const flags = v.flags;
      if ((flags & (SQL_FLAGS | Flag.angle)) === 0) continue;
      budget -= v.raw.length;
      if ((flags & SQL_FLAGS) !== 0) {
        const s = sqlText(v, this.params.maxValueChars);
        // Keyword counts come from one context: breaking out of the quote the value holds, if any.
        const primary = s.indexOf("'") >= 0 ? 39 : s.indexOf('"') >= 0 ? 34 : 0;
        for (const q of [0, 39, 34]) {
          if (q !== 0 && s.indexOf(String.fromCharCode(q)) < 0) continue;
          const ts = tokenize(s, q);
          comments += ts.comments;
          let fp = '';
          const toks = ts.tokens;
          const m = Math.min(toks.length, MAX_SQL_TOKENS);
          for (let k = 0; k < m; k++) {
            const t = toks[k]!;
            fp += t.t;
            if (t.t === Tk.string && !t.closed) unclosed = 1;
            if (q === primary) {
              if (t.t === Tk.logic) logic++;
              else if (t.t === Tk.union) union++;
              else if (t.t === Tk.func) funcs++;
              if (t.t === Tk.keyword || t.t === Tk.statement || t.t === Tk.union || t.t === Tk.groupBy)
                keywords++;
              if (t.t !== Tk.string && t.t !== Tk.number && t.t !== Tk.bare && t.v.length <= 24)
                this.token(`sw:${t.v}`, -1);
            }
          }
          // Fingerprint n-grams (libinjection-like), per quote context.
          const pre = `sq${q}:`;
          for (let k = 0; k < fp.length; k++) {
            this.token(pre + fp.slice(k, k + 1), -1);
            if (k + 2 <= fp.length) this.token(pre + fp.slice(k, k + 2), -1);
            if (k + 3 <= fp.length) this.token(pre + fp.slice(k, k + 3), -1);
          }
          if (fp.length > 0) this.token(`${pre}^${fp.slice(0, 5)}`, -1);
        }
      }
      if ((flags & Flag.angle) !== 0) {
        const lower = v.view('lower');
        const h = scanTags(
          lower.length > this.params.maxValueChars ? lower.slice(0, this.params.maxValueChars) : lower,
          undefined,
          false,
        );
        if (h) {
          xssHit = 1;
          this.token(`xh:${h.rule}`, -1);
        }
        for (
          let i = lower.indexOf('<');
          i >= 0 && i < this.params.maxValueChars;
          i = lower.indexOf('<', i + 1)
        ) {
          let j = i + 1;
          const close = lower.charCodeAt(j) === 47;
          if (close) j++;
          const s = j;
          while (j < lower.length && j - s < 16 && isTagChar(lower.charCodeAt(j))) j++;
          if (j === s) continue;
          const tag = lower.slice(s, j);
          this.token(
            `tg:${close ? '/' : ''}${EXEC_TAGS.has(tag) ? tag : HTML_ELEMENTS.has(tag) ? 'html' : 'other'}`,
            -1,
          );
        }
      }
    }
    d[DI['sql_keywords_log']!] = log1p(keywords);
    d[DI['sql_logic_log']!] = log1p(logic);
    d[DI['sql_union_log']!] = log1p(union);
    d[DI['sql_func_log']!] = log1p(funcs);
    d[DI['sql_comments_log']!] = log1p(comments);
    d[DI['sql_unclosed_string']!] = unclosed;
    d[DI['xss_scan_hit']!] = xssHit;
  }
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
