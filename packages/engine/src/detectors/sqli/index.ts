import type { DetectorFactory, RuleDef } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';
import { analyzeSql, type SqlRule } from './analyze.js';
import { isStructuredHeader } from '../header-names.js';

/** Version 2: every rule but breakout and expression reads cookies and custom headers too. */
const rule = (name: SqlRule, confidence: number, description: string): RuleDef => ({
  id: `sqli.${name}`,
  version: name === 'breakout' || name === 'expression' ? 1 : 2,
  severity: 'critical',
  confidence,
  description,
});

const RULES: readonly RuleDef[] = [
  rule('union', 0.95, 'UNION [ALL] SELECT joining a second query'),
  rule('stacked', 0.95, 'A second statement after `;` (drop table, exec xp_cmdshell, select ...)'),
  rule('tautology', 0.9, 'A condition injected after a breakout: `or 1=1`, `and substring(...)>64`'),
  rule('time', 0.9, 'Time-based blind functions: sleep, benchmark, pg_sleep, waitfor delay, dbms_pipe'),
  rule('error', 0.9, 'Error-based extraction: extractvalue, updatexml, exp(~...), xmltype, utl_inaddr'),
  rule('file', 0.9, 'File or OS access: into outfile/dumpfile, load_file, xp_cmdshell, pg_read_file'),
  rule('system_table', 0.9, 'Reading the catalogue: from information_schema / sysobjects / pg_catalog'),
  rule('comment_terminator', 0.75, "A quote closed and the rest of the query commented out: admin'--"),
  rule('order_probe', 0.85, 'Column counting with ORDER BY / GROUP BY n, PROCEDURE ANALYSE'),
  rule('subquery', 0.85, 'A subquery (select ... from ...) or one calling SQL functions'),
  rule('blind', 0.85, 'Boolean-blind switches on a literal comparison: elt(1=1,..), case when 5=5 then'),
  rule(
    'breakout',
    0.8,
    'A quote or bracket closed, then SQL (where/as/operators) with SQL functions or comparisons',
  ),
  rule('expression', 0.8, 'The whole value is a SQL expression on server data: length(version()), case when'),
];

/**
 * The loosest rules, which read any quote-then-operator text as SQL: kept for arguments and the free
 * text of user-agent and referer, not for cookies and custom headers, where opaque tokens live.
 */
const LOOSE_RULES: ReadonlySet<SqlRule> = new Set<SqlRule>(['breakout', 'expression']);
const KINDS = ARGS | Kind.pathSegment | Kind.header | Kind.bodyRaw;
/** A short unparsed body (no content type and no `name=`) is read like one argument, as servers do. */
const MAX_RAW_BODY = 2048;
/** Longer values are analysed by their head: an injection sits near the start of its value. */
const MAX_LEN = 4096;
/** Catalogue names that are a probe even alone (anchored, no quantifiers: linear). */
const CATALOGUE =
  /^(?:from )?(?:information_schema|pg_catalog|mysql\.db|mysql\.user|sqlite_master|msysaccessobjects|sysobjects)/;
/** Characters SQL syntax is made of beyond words and spaces. */
const SQL_PUNCTUATION =
  Flag.quote |
  Flag.semi |
  Flag.paren |
  Flag.hash |
  Flag.star |
  Flag.eq |
  Flag.angle |
  Flag.pipeAmp |
  Flag.at |
  Flag.comma |
  Flag.nul |
  Flag.brace |
  Flag.bracket;
/** Words without which a plain value (letters, digits, space, `=,.:@+-`) cannot be an injection. */
const PLAIN_TRIGGERS = [
  'or',
  'and',
  'union',
  'xor',
  'by',
  'having',
  'select',
  'waitfor',
  'case',
  'drop',
  'exec',
  'procedure',
  'shutdown',
  'declare',
];

/**
 * SQL injection: a SQL tokenizer reads each value as it is and as if it followed a `'` or `"`
 * (libinjection's idea), then the token sequences are judged (union select, stacked statements,
 * tautologies after a breakout, time/error/file functions, catalogue reads, comment terminators).
 */
export const createSqliDetector: DetectorFactory = () => ({
  class: 'sqli',
  rules: RULES,
  kinds: KINDS,
  inspectValue(v: Value, report) {
    // Cookies and custom headers (`x-forwarded-host`, `x-custom-data`) are read by applications and
    // carry injections in the wild, but also opaque tokens: every rule but the loosest two. The user
    // agent and the referer are free text an attacker writes, read like arguments but for the
    // comment-terminator and breakout rules. Standard headers (accept, authorization, ...) are syntax.
    const isHeader = v.kind === Kind.header;
    const freeHeader = isHeader && (v.name === 'user-agent' || v.name === 'referer');
    if (isHeader && !freeHeader && isStructuredHeader(v.name)) return;
    const opaque = !freeHeader && (v.kind & (Kind.header | Kind.cookie | Kind.cookieName)) !== 0;
    if (v.raw.length < 2) return;
    if (v.kind === Kind.bodyRaw && (v.location !== 'body' || v.raw.length > MAX_RAW_BODY)) return;
    // Words and spaces alone (`drop me`, `please drop off`) break out of nothing: in a cookie or a
    // custom header only the surest readings of them count (`1 union select 1`), and no statement
    // without a `;` before it.
    const wordsOnly = opaque && (v.flags & SQL_PUNCTUATION) === 0;
    const emit = (s: string, view: 'lower' | 'url') => {
      if (s.length > MAX_LEN) s = s.slice(0, MAX_LEN);
      for (const h of analyzeSql(s)) {
        if (opaque && LOOSE_RULES.has(h.rule)) continue;
        if (wordsOnly && (h.confidence < 0.9 || h.rule === 'stacked')) continue;
        if (freeHeader && (h.rule === 'comment_terminator' || h.rule === 'breakout')) continue;
        const start = Math.max(0, h.pos - 20);
        report.value(`sqli.${h.rule}`, v, view, s.slice(start, start + 120), h.confidence);
      }
    };
    // Without SQL punctuation a value can only be SQL through its words: test for them first.
    if (v.isPlain || (v.flags & SQL_PUNCTUATION) === 0) {
      const lower = v.view('lower');
      // `1--`, `@@version--`: a value closed by a comment needs no space.
      // A catalogue name alone (`information_schema`, `pg_catalog`) is a probe too.
      const spaced = v.isPlain ? lower.indexOf(' ') >= 0 : (v.flags & Flag.space) !== 0;
      if (!spaced && lower.indexOf('--') <= 0 && !CATALOGUE.test(lower)) return;
      let any = lower.indexOf('--') > 0 || CATALOGUE.test(lower);
      for (const w of PLAIN_TRIGGERS) if (lower.indexOf(w) >= 0) any = true;
      if (!any) return;
    }
    emit(v.view('lower'), 'lower');
    // An unparsed form-like body keeps its `+` for spaces.
    if (v.kind === Kind.bodyRaw && v.raw.indexOf('+') > 0 && v.raw.indexOf(' ') < 0)
      emit(v.view('lower').replace(/\+/g, ' '), 'lower');
    // NUL separates tokens for the database (`1\0union\0select`), but the shared views delete it; and
    // the JS-escape decoding of `norm` reads `\1` as an octal escape where SQL sees `1`.
    if (!v.isPlain) {
      const u = v.view('url');
      if (u.indexOf('\0') >= 0 || u.indexOf('\\') >= 0) emit(u.replace(/\0/g, ' ').toLowerCase(), 'url');
    }
  },
});
