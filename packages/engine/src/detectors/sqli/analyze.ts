import {
  Tk,
  TIME_FUNCS,
  ERROR_FUNCS,
  FILE_FUNCS,
  INFO_FUNCS,
  SYSTEM_TABLES,
  DDL_OBJECTS,
} from './keywords.js';
import { tokenize, isKnownFunction, type Token, type TokenStream } from './tokenizer.js';

/** What the analysis found: the rule (without the `sqli.` prefix), where, and how sure. */
export interface SqlHit {
  rule: SqlRule;
  /** Offset in the analysed text where the evidence starts. */
  pos: number;
  confidence: number;
  /** The quote context that exposed it: 0 as-is, 39 after `'`, 34 after `"`. */
  ctx: number;
}

export type SqlRule =
  | 'union'
  | 'stacked'
  | 'tautology'
  | 'time'
  | 'error'
  | 'file'
  | 'system_table'
  | 'comment_terminator'
  | 'order_probe'
  | 'subquery'
  | 'blind'
  | 'breakout'
  | 'expression';

/** Keywords that structure a query: never an operand. */
const CLAUSE = new Set(
  `from where as limit offset into values having procedure join inner left right outer cross natural on
  using case when then else end collate escape with by for distinct all any some exists top order group
  union select`.split(/\s+/),
);

const EMPTY: Token = { t: Tk.comment, v: '', pos: -1, closed: true };

/** Index after the `)` matching the `(` at `i` (or the end: an unclosed paren is closed by the app). */
function matchParen(T: Token[], i: number): number {
  let depth = 0;
  for (let k = i; k < T.length; k++) {
    const t = T[k]!.t;
    if (t === Tk.open) depth++;
    else if (t === Tk.close && --depth === 0) return k + 1;
  }
  return T.length;
}

/** Facts about an expression, collected while walking it. */
interface Expr {
  end: number;
  compares: number;
  /** Literal operands: numbers, strings, variables, true/false/null. */
  lits: number;
  /** Calls of known SQL functions. */
  calls: number;
  /** Subqueries `(select ...)`. */
  subs: number;
  /** Comparisons whose both sides are literals (`1=1`, `'a'='a'`): a tautology or its negation. */
  litCompares: number;
  /** Bare names (columns) among the operands. */
  bares: number;
}

function newExpr(): Expr {
  return { end: -1, compares: 0, lits: 0, calls: 0, subs: 0, litCompares: 0, bares: 0 };
}

/**
 * Reads one operand at `i` into `e`; returns the index after it or -1. Returns also whether it was
 * a literal (for `litCompares`) through `e.end` bookkeeping by the caller.
 */
function operand(T: Token[], i: number, e: Expr, depth: number): { end: number; lit: boolean } {
  const n = T.length;
  // Unary operators.
  while (
    i < n &&
    ((T[i]!.t === Tk.op && (T[i]!.v === '-' || T[i]!.v === '+' || T[i]!.v === '~')) ||
      T[i]!.t === Tk.not ||
      T[i]!.v === 'binary')
  )
    i++;
  if (i >= n) return { end: -1, lit: false };
  const t = T[i]!;
  let end = -1;
  let lit = false;
  switch (t.t) {
    case Tk.number:
    case Tk.string:
    case Tk.variable:
      end = i + 1;
      lit = true;
      e.lits++;
      break;
    case Tk.bare:
      end = i + 1;
      e.bares++;
      break;
    case Tk.func: {
      if (isKnownFunction(t.v) || t.v.startsWith('waitfor')) e.calls++;
      end = T[i + 1]?.t === Tk.open ? matchParen(T, i + 1) : i + 1;
      if (depth < 4 && T[i + 1]?.t === Tk.open) scanInside(T, i + 2, end, e);
      break;
    }
    case Tk.open: {
      end = matchParen(T, i);
      if (T[i + 1]?.t === Tk.statement && T[i + 1]!.v === 'select') e.subs++;
      else if (depth < 4) {
        // `(1 or 1)`, `((1) or -1)`: conditions joined by logic operators inside the brackets.
        let k = i + 1;
        lit = true;
        for (;;) {
          const inner = expr(T, k, depth + 1);
          if (inner.end < 0) {
            lit = false;
            break;
          }
          e.compares += inner.compares;
          e.lits += inner.lits;
          e.calls += inner.calls;
          e.subs += inner.subs;
          e.litCompares += inner.litCompares;
          e.bares += inner.bares;
          if (inner.compares > 0 || inner.lits === 0 || inner.bares > 0) lit = false;
          if (T[inner.end]?.t !== Tk.logic) break;
          k = inner.end + 1;
        }
      }
      break;
    }
    case Tk.keyword:
      if (t.v === 'case') {
        let k = i + 1;
        while (k < n && T[k]!.v !== 'end') k++;
        if (k > i + 1 && T[i + 1]!.v === 'when') e.calls++;
        end = k < n ? k + 1 : n;
      } else if (
        (t.v === 'exists' || t.v === 'any' || t.v === 'all' || t.v === 'some') &&
        T[i + 1]?.t === Tk.open
      ) {
        end = matchParen(T, i + 1);
        if (T[i + 2]?.v === 'select') e.subs++;
      } else if (!CLAUSE.has(t.v)) {
        // A reserved word used as a name (`column`, `text`, `user`): MySQL placeholders in payloads.
        end = i + 1;
        e.bares++;
      }
      break;
    case Tk.statement:
      // MySQL `select(sleep(5))` as an operand: a subquery without its own brackets.
      if (t.v === 'select' && i + 1 < n) {
        e.subs++;
        end = n;
      }
      break;
  }
  if (end < 0) return { end: -1, lit: false };
  // Postfix: PostgreSQL casts `::int`, `collate x`.
  while (end + 1 < n && ((T[end]!.t === Tk.op && T[end]!.v === '::') || T[end]!.v === 'collate')) end += 2;
  return { end, lit };
}

/** Counts calls and subqueries inside a function's argument list. */
function scanInside(T: Token[], from: number, to: number, e: Expr): void {
  for (let k = from; k < to; k++) {
    const t = T[k]!;
    if (t.t === Tk.func && isKnownFunction(t.v)) e.calls++;
    else if (t.t === Tk.statement && t.v === 'select') e.subs++;
  }
}

/** Reads an expression at `i`: operands joined by arithmetic and comparison operators. */
function expr(T: Token[], i: number, depth = 0): Expr {
  const e = newExpr();
  let o = operand(T, i, e, depth);
  if (o.end < 0) return e;
  let k = o.end;
  let prevLit = o.lit;
  while (k < T.length) {
    const t = T[k]!;
    if (t.t !== Tk.op && t.t !== Tk.compare) break;
    const isCmp = t.t === Tk.compare;
    if (isCmp) e.compares++;
    // `in (...)`, `between a and b`, `is null`.
    o = operand(T, k + 1, e, depth);
    if (o.end < 0) {
      // An operator with nothing after it: the app's own closing quote supplies the operand.
      k++;
      break;
    }
    if (
      isCmp &&
      ((prevLit && o.lit) || (o.end === k + 2 && T[k - 1]!.t === Tk.bare && T[k + 1]!.v === T[k - 1]!.v))
    )
      e.litCompares++;
    if (t.v === 'between' && T[o.end]?.v === 'and') {
      const o2 = operand(T, o.end + 1, e, depth);
      if (o2.end > 0) o = o2;
    }
    prevLit = o.lit;
    k = o.end;
  }
  e.end = k;
  return e;
}

/** After a `;`: does a real statement follow (not just the word `select` in prose)? */
function validStatement(T: Token[], i: number): boolean {
  const t = T[i];
  if (!t) return false;
  const a = T[i + 1] ?? EMPTY;
  const b = T[i + 2] ?? EMPTY;
  if (t.t === Tk.func) return t.v.startsWith('waitfor') || TIME_FUNCS.has(t.v) || FILE_FUNCS.has(t.v);
  if (t.t !== Tk.statement) return false;
  switch (t.v) {
    case 'select':
      return validSelect(T, i + 1);
    case 'insert':
    case 'replace':
      return a.v === 'into';
    case 'update':
      return (a.t === Tk.bare && (b.v === 'set' || b === EMPTY)) || a.v === 'low_priority';
    case 'delete':
      return a.v === 'from' || (a.t === Tk.bare && b.v === 'from');
    case 'drop':
      return (
        (a.t === Tk.bare && (b === EMPTY || b.t === Tk.comment || b.t === Tk.semi)) ||
        DDL_OBJECTS.has(a.v) ||
        (a.v === 'temporary' && b.v === 'table')
      );
    case 'create':
    case 'alter':
      return (
        DDL_OBJECTS.has(a.v) ||
        (a.v === 'temporary' && b.v === 'table') ||
        (a.v === 'or' && b.v === 'replace')
      );
    case 'truncate':
      return a.v === 'table' || (a.t === Tk.bare && (b === EMPTY || b.t === Tk.comment || b.t === Tk.semi));
    case 'exec':
    case 'execute':
      return (
        a.t === Tk.func ||
        a.t === Tk.variable ||
        a.t === Tk.open ||
        a.v === 'immediate' ||
        (a.v === 'as' && (b.v === 'login' || b.v === 'user')) ||
        (a.t === Tk.bare && /^(?:xp_|sp_|master\.)/.test(a.v))
      );
    case 'declare':
      return a.t === Tk.variable;
    case 'shutdown':
      return a === EMPTY || a.t === Tk.comment || a.t === Tk.semi || a.v === 'with';
    case 'call':
      // `call proc(...)` only after a `;`: as a whole value it is prose (`Call me (555) 123-4567`).
      return a.t === Tk.func && i > 0 && T[i - 1]!.t === Tk.semi;
    case 'do':
      return a.t === Tk.func || a.t === Tk.open;
    case 'set':
      return a.t === Tk.variable && (b.t === Tk.compare || b.v === ':=' || b === EMPTY);
    case 'copy':
      // PostgreSQL: copy t from '/etc/passwd' | copy (select ...) to program '...'
      return (a.t === Tk.bare || a.t === Tk.open) && (b.v === 'from' || b.v === 'to' || a.t === Tk.open);
    case 'bulk':
      return a.v === 'insert';
    case 'load':
      return a.v === 'data' || a.v === 'xml';
    case 'show':
      return a.v === 'tables' || a.v === 'databases' || a.v === 'grants' || a.v === 'variables';
    case 'begin':
      return a.t === Tk.statement || a.t === Tk.func || a.v === 'declare';
    case 'grant':
      return a.v === 'all' || a.v === 'dba' || a.t === Tk.statement;
    case 'kill':
      return a.t === Tk.number || a === EMPTY;
    case 'dbcc':
    case 'backup':
      return a.t === Tk.bare || a.v === 'database';
    case 'use':
      return a.v === 'master' || a.v === 'mysql' || a.v === 'information_schema';
    default:
      return false;
  }
}

/** After `select`: a select list that looks like SQL (a literal, `*`, a call, a column list...). */
function validSelect(T: Token[], i: number): boolean {
  const a = T[i];
  if (!a) return false;
  const b = T[i + 1] ?? EMPTY;
  switch (a.t) {
    case Tk.number:
    case Tk.variable:
    case Tk.func:
    case Tk.open:
      return true;
    case Tk.string:
      return a.closed || i === T.length - 1;
    case Tk.op:
      return (
        a.v === '*' ||
        ((a.v === '-' || a.v === '+') &&
          (b.t === Tk.number || b.t === Tk.func || b.t === Tk.string || b.t === Tk.open))
      );
    case Tk.keyword:
      return a.v === 'top' || a.v === 'distinct' || a.v === 'case' || a.v === 'all' || a.v === 'binary';
    case Tk.bare:
      // `select a, b` / `select a from`: a column list; one bare word alone is prose (`; select wisely`).
      return (
        b.t === Tk.comma ||
        b.v === 'from' ||
        b.v === 'into' ||
        (b.t === Tk.op && ((b.v !== '-' && b.v !== '+') || T[i + 2]?.t === Tk.number))
      );
    default:
      return false;
  }
}

function isSystemTable(w: string): boolean {
  if (SYSTEM_TABLES.has(w)) return true;
  const dot = w.indexOf('.');
  if (dot > 0) {
    const head = w.slice(0, dot);
    return (
      head === 'information_schema' ||
      head === 'sys' ||
      head === 'sysibm' ||
      head === 'pg_catalog' ||
      head === 'mysql' ||
      SYSTEM_TABLES.has(w.slice(dot + 1))
    );
  }
  return false;
}

/** Does what follows a breakout or a leading value look like the end of a SQL condition? */
function tailOk(T: Token[], k: number): boolean {
  const t = T[k];
  if (!t) return true;
  switch (t.t) {
    case Tk.comment:
    case Tk.semi:
    case Tk.close:
    case Tk.logic:
    case Tk.union:
    case Tk.groupBy:
      return true;
    case Tk.string:
      return !t.closed;
    case Tk.keyword:
      return (
        t.v === 'limit' ||
        t.v === 'from' ||
        t.v === 'where' ||
        t.v === 'having' ||
        t.v === 'procedure' ||
        t.v === 'into'
      );
    default:
      return false;
  }
}

/**
 * Judges the condition after a logic operator at `j`: a tautology (`or 1=1`, `or 'a'='a'`), a
 * boolean-blind probe (`and ascii(substr(...))>64`), a call (`and sleep(5)`) or a subquery.
 * Returns a confidence, 0 when it is not SQL-like enough.
 */
function judgeCondition(T: Token[], j: number, ctx: number, versioned = false): number {
  const e = expr(T, j + 1);
  if (e.end < 0) return 0;
  if (e.subs > 0) return 0.95;
  if (e.calls > 0 && (e.compares > 0 || ctx !== 0 || tailOk(T, e.end))) return 0.9;
  if (e.compares > 0 && e.litCompares > 0) return ctx !== 0 || tailOk(T, e.end) ? 0.95 : 0;
  if (e.compares > 0 && e.lits > 0) return ctx !== 0 || tailOk(T, e.end) ? 0.8 : 0;
  if (e.compares === 0 && e.lits > 0 && e.bares === 0 && e.calls === 0) {
    // `' or 1--`, `' or true#`, `1 or (1 or 1)--`, `' or current_date*0`: a truthy literal closing
    // the condition. Without a quote to break out of, a comment or a clause must follow it.
    let k = j + 1;
    while (k < e.end && (T[k]!.t === Tk.open || isUnary(T[k]!))) k++;
    const t = T[k]!;
    if (!(t.t === Tk.number || t.t === Tk.variable || (t.t === Tk.string && /^\d+$/.test(t.v)))) return 0;
    const tail = T[e.end];
    if (ctx !== 0) return tailOk(T, e.end) && tail?.t !== Tk.string ? 0.8 : 0;
    if (
      versioned ||
      (tail && (tail.t === Tk.comment || tail.t === Tk.groupBy || tail.t === Tk.union || tail.t === Tk.semi))
    )
      return 0.8;
  }
  return 0;
}

/** Tokens that may continue SQL right after a breakout quote (or after a leading value and `)`). */
function continues(t: Token): boolean {
  switch (t.t) {
    case Tk.logic:
    case Tk.compare:
    case Tk.op:
    case Tk.comma:
    case Tk.semi:
    case Tk.union:
    case Tk.groupBy:
      return true;
    case Tk.keyword:
      return (
        t.v === 'where' ||
        t.v === 'as' ||
        t.v === 'having' ||
        t.v === 'limit' ||
        t.v === 'procedure' ||
        t.v === 'into' ||
        t.v === 'from' ||
        t.v === 'collate'
      );
    default:
      return false;
  }
}

/** How much SQL the tokens from `i` carry: calls, subqueries, literal comparisons, comments. */
function sqlness(T: Token[], i: number, ts: TokenStream): number {
  let score = 0;
  for (let k = i; k < T.length; k++) {
    const t = T[k]!;
    if (t.t === Tk.func && isKnownFunction(t.v)) score += 1;
    else if (t.t === Tk.statement && t.v === 'select' && validSelect(T, k + 1)) score += 2;
    else if (t.t === Tk.compare && k > i) {
      const a = T[k - 1]!;
      const b = T[k + 1];
      if (b && (a.t === Tk.number || a.t === Tk.string) && (b.t === Tk.number || b.t === Tk.string))
        score += 1;
    } else if (t.t === Tk.variable && t.v.startsWith('@@')) score += 1;
    else if (t.v === 'case' && T[k + 1]?.v === 'when') score += 1;
    else if (t.t === Tk.groupBy && T[k + 1]?.t === Tk.number) score += 1;
    else if (t.v === 'where' && T[k + 1]?.t === Tk.bare && T[k + 2]?.t === Tk.compare) score += 1;
    else if ((t.t === Tk.bare || t.t === Tk.func) && isSystemTable(t.v)) score += 2;
  }
  if (ts.trailingComment) score += 1;
  if (ts.versioned) score += 1;
  return score;
}

/** Analyses one token stream; pushes hits into `out` (at most one per rule). */
function analyzeStream(s: string, ts: TokenStream, ctx: number, prefix: string, out: SqlHit[]): void {
  const T = ts.tokens;
  const n = T.length;
  const has = (r: SqlRule) => out.some((h) => h.rule === r);
  const hit = (rule: SqlRule, pos: number, confidence: number) => {
    if (!has(rule)) out.push({ rule, pos, confidence, ctx });
  };

  // Position-independent shapes.
  for (let i = 0; i < n; i++) {
    const t = T[i]!;
    switch (t.t) {
      case Tk.union: {
        let k = i + 1;
        while (k < n && T[k]!.t === Tk.open) k++;
        const s = T[k];
        if (
          s &&
          ((s.v === 'select' && validSelect(T, k + 1)) || (s.v === 'values' && T[k + 1]?.t === Tk.open))
        )
          hit('union', t.pos, 0.95);
        break;
      }
      case Tk.semi:
        if (validStatement(T, i + 1)) hit('stacked', T[i + 1]!.pos, 0.95);
        else if (T[i + 1]?.t === Tk.bare && T[i + 2]?.v === 'goto') hit('stacked', T[i + 1]!.pos, 0.85);
        else if (T[i + 1]?.v === 'if' && (T[i + 2]?.v === 'exists' || T[i + 2]?.t === Tk.not))
          hit('stacked', T[i + 1]!.pos, 0.85); // `; if exists (select ...)`, MSSQL control flow
        break;
      case Tk.bare:
        // `1funion select a from b`, `0xunion select 2`: a number glued to UNION (MySQL reads `1f`/`0x`
        // tails oddly, the parser used by the app may not).
        if (
          t.v.length > 5 &&
          t.v.endsWith('union') &&
          /^[-0-9.]/.test(t.v) &&
          T[i + 1]?.v === 'select' &&
          validSelect(T, i + 2)
        )
          hit('union', t.pos, 0.85);
        break;
      case Tk.compare:
        // `match username against ('+admin' in boolean mode)`: MySQL full-text search syntax.
        if (t.v === 'match' && T[i + 2]?.v === 'against' && T[i + 3]?.t === Tk.open)
          hit('breakout', t.pos, 0.85);
        break;
      case Tk.func: {
        const open = T[i + 1]?.t === Tk.open;
        const args = open && T[i + 2] !== undefined && T[i + 2]!.t !== Tk.close;
        if (t.v.startsWith('waitfor')) {
          if (T[i + 1]?.t === Tk.string) hit('time', t.pos, 0.95);
        } else if (!args) {
          // a name without arguments
        } else if (TIME_FUNCS.has(t.v)) {
          const a = T[i + 2]!;
          if (
            t.v === 'benchmark'
              ? T.slice(i + 2, i + 6).some((x) => x.t === Tk.comma)
              : t.v === 'randomblob'
                ? a.t === Tk.number && a.v.length >= 6
                : t.v !== 'generate_series' && a.t !== Tk.bare // `sleep (it is late)` is prose
          )
            hit('time', t.pos, 0.9);
        } else if (CONDITIONAL.has(t.v) && isLitCompare(T, i + 2)) {
          // `elt(1=1,1)`, `make_set(5=5,7)`, `if(1=1,sleep(5),0)`: boolean-blind switches.
          hit('blind', t.pos, 0.85);
        } else if (t.v === 'floor' && T[i + 2]!.v === 'rand' && T[i + 3]?.t === Tk.open) {
          // `floor(rand(0)*2)` with group by: MySQL's duplicate-key error leaks the grouped value.
          if (T.some((x) => x.t === Tk.groupBy)) hit('error', t.pos, 0.9);
        } else if (ERROR_FUNCS.has(t.v)) {
          const end = matchParen(T, i + 1);
          const e = newExpr();
          scanInside(T, i + 2, end, e);
          if (
            t.v === 'exp'
              ? T[i + 2]!.v === '~'
              : e.calls + e.subs > 0 ||
                T.slice(i + 2, end).some((x) => x.t === Tk.comma || x.t === Tk.variable)
          )
            hit('error', t.pos, 0.9);
        } else if (FILE_FUNCS.has(t.v)) hit('file', t.pos, 0.9);
        break;
      }
      case Tk.keyword:
        if (t.v === 'case' && T[i + 1]?.v === 'when' && isLitCompare(T, i + 2)) hit('blind', t.pos, 0.85);
        else if (t.v === 'into' && (T[i + 1]?.v === 'outfile' || T[i + 1]?.v === 'dumpfile'))
          hit('file', t.pos, 0.95);
        else if (t.v === 'from' && T[i + 1] && isSystemTable(T[i + 1]!.v))
          hit('system_table', T[i + 1]!.pos, 0.9);
        else if (t.v === 'procedure' && T[i + 1]?.v === 'analyse') hit('order_probe', t.pos, 0.9);
        break;
      case Tk.statement:
        if (t.v === 'select' && T[i + 1]?.t === Tk.bare && TIME_FUNCS.has(T[i + 1]!.v))
          hit('time', t.pos, 0.85); // `select pg_sleep`
        else if ((t.v === 'exec' || t.v === 'execute') && T[i + 1]?.v === 'master') hit('file', t.pos, 0.85);
        else if (
          (t.v === 'exec' || t.v === 'execute') &&
          T[i + 1] &&
          FILE_FUNCS.has(T[i + 1]!.v.replace(/^master\.(?:dbo)?\./, ''))
        )
          hit('file', t.pos, 0.95);
        else if (t.v === 'select' && i > 0 && T[i - 1]!.t === Tk.open && validSelect(T, i + 1)) {
          // `(select ... from ...)`: a subquery, the body of most blind and error-based payloads.
          const end = matchParen(T, i - 1);
          let from = false;
          let calls = 0;
          for (let k = i + 1; k < end; k++) {
            if (T[k]!.v === 'from') from = true;
            else if (T[k]!.t === Tk.func && isKnownFunction(T[k]!.v)) calls++;
            else if (T[k]!.t === Tk.variable && T[k]!.v.startsWith('@@')) calls++;
            else if (T[k]!.v === 'case' || T[k]!.t === Tk.union || T[k]!.v === 'limit') calls++;
          }
          const before = i > 1 ? T[i - 2]! : EMPTY;
          const operandPlace =
            before.t === Tk.op ||
            before.t === Tk.compare ||
            before.t === Tk.logic ||
            before.t === Tk.comma ||
            before.t === Tk.open ||
            before.v === 'any' ||
            before.v === 'some' ||
            before.v === 'all' ||
            before.v === 'exists';
          if (calls > 0 || (from && end - i > 3) || operandPlace)
            hit('subquery', t.pos - 1, calls > 0 ? 0.9 : 0.8);
        }
        break;
    }
  }

  if (ctx !== 0 && prefix === '' && n >= 3) {
    let k = 1;
    if (T[k]!.t === Tk.semi) k++;
    const w = T[k];
    if (
      w &&
      (w.v === 'select' || w.t === Tk.union || w.v === 'having') &&
      T[k + 1] &&
      T[k + 1]!.t !== Tk.string
    )
      hit(w.t === Tk.union ? 'union' : 'stacked', w.pos, 0.8);
  }
  // Double quotes mostly quote words in text (`small "&" sign`); the trick needs a string literal.
  if (ctx === 39 && n === 3) implicitOperator(T, ctx, prefix, hit);
  // Positional shapes: right after the breakout (quote contexts) or after a leading value.
  // `validExpr(T, 0, 0)` once for both the union probe and the whole-expression test (-2: not yet).
  let expr0 = -2;
  if (!has('union') && (ctx === 0 || WORDISH.test(prefix))) {
    expr0 = validExpr(T, 0, 0);
    const u = unionProbe(T, expr0);
    if (u >= 0) hit('union', T[u]!.pos, 0.9);
  }
  let h = 0;
  let weakLead = false;
  let leadTaut = false;
  if (ctx !== 0) {
    h = 1;
  } else {
    while (h < n && isUnary(T[h]!)) h++;
    const t0 = T[h];
    if (!t0) return;
    fragment(T, hit);
    if (t0.v === 'limit' && T[h + 1]?.t === Tk.number && T[skipNumberList(T, h + 1)]?.t === Tk.comment)
      hit('order_probe', t0.pos, 0.8); // `limit 0,1--`: paging through rows one by one
    if (
      t0.t === Tk.logic ||
      t0.t === Tk.groupBy ||
      (t0.t === Tk.keyword && (t0.v === 'where' || t0.v === 'having'))
    ) {
      // The value starts with a continuation (`or 1=1--`, `order by 5`): it is appended to a query.
      startsWithContinuation(T, h, ts, hit);
      if (t0.t !== Tk.keyword) return;
    }
    if (t0.t === Tk.statement) {
      if (h === 0 && validStatement(T, 0) && fullStatement(T, 0)) hit('stacked', t0.pos, 0.85);
      return;
    }
    if (t0.t === Tk.open && ts.trailingComment && n > 3) {
      // ` ( 1 or 'b' ) --`: a bracketed SQL expression whose end comments the query out.
      const end = validExpr(T, h, 0);
      if (
        end === n - 1 &&
        T.slice(h, end).some((x) => x.t !== Tk.open && x.t !== Tk.close && x.t !== Tk.bare)
      )
        hit('comment_terminator', t0.pos, 0.7);
    }
    if (wholeExpression(T, h, h === 0 ? expr0 : -2) >= 0) hit('expression', t0.pos, 0.8);
    // The leading value: one operand or an arithmetic expression of them (`(hope)*1`, `-9-(2)`, `pi()`).
    const lead = expr(T, h);
    if (lead.end < 0) return;
    // `theme=1 or 1=@@version`, `iuc,20,1764 and 1=@@version`: a key=value or a list before the
    // condition; only a literal comparison after it counts then.
    if (lead.end === n && lead.litCompares > 0 && t0.t === Tk.open) {
      // `(8266=8266)*9900`: a bracketed literal comparison used as a number (boolean-blind arithmetic).
      const close = matchParen(T, h);
      if (T[close]?.t === Tk.op) hit('blind', t0.pos, 0.8);
    }
    weakLead = lead.compares > 0 && lead.litCompares === 0;
    leadTaut = lead.litCompares > 0;
    while (T[lead.end]?.t === Tk.comma) {
      const nx = expr(T, lead.end + 1);
      if (nx.end < 0 || nx.compares > 0) break;
      lead.end = nx.end;
      weakLead = true;
    }
    if (
      lead.end === n - 1 &&
      T[n - 1]!.t === Tk.comment &&
      lead.compares === 0 &&
      T.every((x, k) => k === n - 1 || x.t === Tk.number || x.t === Tk.variable || x.t === Tk.op) &&
      terminatorComment(s, T[n - 1]!)
    ) {
      // `1--`, `1*1/*`, `@@version#`: a number closed by a comment (a probe of a numeric parameter).
      hit('comment_terminator', T[n - 1]!.pos, 0.7);
    }
    h = lead.end;
  }
  let closers = 0;
  while (h < n && T[h]!.t === Tk.close) {
    h++;
    closers++;
  }
  const t = T[h];
  if (!t) return;
  const first = T[0]!;
  switch (t.t) {
    case Tk.logic: {
      // After `1=1`, any literal condition continues the tautology: `1=1 and- - ~~((1))`.
      const c = judgeCondition(T, h, leadTaut ? 39 : ctx, ts.versioned);
      if (c >= (weakLead ? 0.95 : 0.01)) hit('tautology', t.pos, c);
      break;
    }
    case Tk.comment:
      // `admin'--`, `1')#`: the rest of the app's query is commented out after the breakout; `1!=0--`:
      // a tautology that comments it out.
      if ((ctx !== 0 ? WORDISH.test(prefix) : leadTaut) && terminatorComment(s, t))
        hit('comment_terminator', t.pos, 0.8);
      break;
    case Tk.groupBy:
      if (
        T[h + 1]?.t === Tk.number &&
        (ctx !== 0 || first.t === Tk.number || isUnary(first)) &&
        tailOk(T, skipNumberList(T, h + 1))
      )
        hit('order_probe', t.pos, 0.85);
      else if (
        (ctx !== 0 || first.t === Tk.number) &&
        T[h + 1]?.t === Tk.func &&
        isKnownFunction(T[h + 1]!.v) &&
        matchParen(T, h + 2) >= n - 1
      )
        // `1 order by ifnull(null,userid)`, `' order by if(1=1,1,(select 1 union select 2))`.
        hit('order_probe', t.pos, 0.85);
      else if (havingAfter(T, h)) hit('order_probe', t.pos, 0.85);
      break;
    case Tk.keyword:
      if (t.v === 'procedure' && T[h + 1]?.v === 'analyse') hit('order_probe', t.pos, 0.9);
      else if (t.v === 'having' && !weakLead) {
        // `id having (1 or 1)`: a literal condition in a HAVING clause.
        const c = judgeCondition(T, h, 39, ts.versioned);
        if (c > 0) hit('tautology', t.pos, c);
      } else if (
        closers > 0 &&
        t.v === 'from' &&
        T[h + 1]?.t === Tk.bare &&
        T[h + 2]?.v === 'where' &&
        T[h + 3]?.t === Tk.bare &&
        T[h + 4]?.t === Tk.compare
      )
        // `1) from users where username='x'`: the value closes a bracket and rewrites the query's tail.
        hit('breakout', t.pos, 0.8);
      break;
    case Tk.statement:
      // MSSQL runs a second statement without a `;`: `' exec sp_addsrvrolemember ...`, `'insert into ...`.
      if (validStatement(T, h) && (ctx !== 0 || fullStatement(T, h))) hit('stacked', t.pos, 0.9);
      break;
  }
  if (ctx !== 0 && !has('tautology') && t.t !== Tk.logic) {
    // A condition a few SQL tokens later: `1' in boolean mode) and 1=1`, `x') as y where 1=1 or ...`.
    for (let k = h + 1; k < n && k < h + 10; k++) {
      const u = T[k]!;
      if (u.t === Tk.logic) {
        const c = judgeCondition(T, k, ctx);
        if (c >= 0.9) hit('tautology', u.pos, c);
        break;
      }
      if (u.t === Tk.string || u.t === Tk.semi || u.t === Tk.union) break;
    }
  }
  // `' = '`, `a' div 'b`, `1'||'x'||'`, `aa' like md5(1) or '1`, `'=0--`: an operator chain whose
  // last operand is closed by the app's own quote (MySQL's implicit conversions make them true).
  if (ctx !== 0 && !out.length && (t.t === Tk.compare || t.t === Tk.logic || t.t === Tk.op)) {
    const c = operatorChain(T, h, ts, ctx);
    if (c > 0 && WORDISH.test(prefix) && (c > 1 || prefix.length > 0)) hit('breakout', t.pos, 0.8);
  }
  // Generic breakout: continuation token, then enough SQL after it.
  if (!out.length && continues(t) && (ctx !== 0 || closers > 0 || t.t === Tk.keyword)) {
    const score = sqlness(T, h, ts);
    // After a word-like value and its quote, a clause keyword and a comment suffice: `user' collate nocase--`.
    const min = ctx !== 0 && t.t === Tk.keyword && WORDISH.test(prefix) ? 1 : 2;
    if (score >= min) hit('breakout', t.pos, score >= 3 ? 0.9 : 0.8);
  }
}

/**
 * `-1 union`, `1/1/**\/union#`, `test'-1 union(select`, `'union select`: a value (an arithmetic or
 * logic expression of literals) and then UNION, with nothing after it but the start of a select, a
 * column list or a comment. `expr0` is `validExpr(T, 0, 0)`. Returns the index of the UNION token or -1.
 */
function unionProbe(T: Token[], expr0: number): number {
  let k = expr0;
  if (k <= 0) return -1;
  while (T[k]?.t === Tk.close) k++;
  if (T[k]?.v === 'select' && T[k + 1]?.t === Tk.union) k++; // `-747 select union 1,2,3`
  const u = T[k];
  if (!u || u.t !== Tk.union || u.v === 'minus' || u.v === 'except' || u.v === 'intersect') return -1;
  for (let i = 0; i < k; i++) if (T[i]!.t === Tk.bare || T[i]!.t === Tk.func) return -1;
  let a = k + 1;
  while (T[a]?.t === Tk.open) a++;
  const next = T[a];
  if (!next) return k;
  switch (next.t) {
    case Tk.comment:
    case Tk.number:
    case Tk.variable:
      return k;
    case Tk.statement:
      return next.v === 'select' ? k : -1;
    default:
      return -1;
  }
}

/**
 * `a '=' b`, `x 'div' y`, `'-'`: the value's quotes close the app's string around a bare operator, so
 * the query compares or computes two strings (MySQL's implicit conversions make that a probe). Both
 * sides are single short words, or both empty.
 */
function implicitOperator(
  T: Token[],
  ctx: number,
  prefix: string,
  hit: (r: SqlRule, pos: number, c: number) => void,
): void {
  const [a, o, b] = T as [Token, Token, Token];
  if (a.t !== Tk.string || !a.closed || b.t !== Tk.string || b.closed || b.q !== ctx) return;
  if (o.t !== Tk.op && o.t !== Tk.compare && o.t !== Tk.logic) return;
  const left = prefix.trim();
  const right = b.v.trim();
  if (!SHORT_WORD.test(left) || !SHORT_WORD.test(right)) return;
  if ((left === '') !== (right === '')) return;
  hit('breakout', o.pos, 0.8);
}

const SHORT_WORD = /^[a-z0-9_]{0,20}$/;

/**
 * Whole-value fragments of a query, too short for the rules above but never text: a catalogue name
 * alone (`information_schema`, `from pg_catalog`), a call of a fingerprinting function left open at
 * the end (`database(`, `select 1,2,user(`), a leading `union select`, `) as name from`.
 */
function fragment(T: Token[], hit: (r: SqlRule, pos: number, c: number) => void): void {
  const n = T.length;
  const a = T[0]!;
  const last = T[n - 1]!;
  if (n === 1 && a.t === Tk.bare && isSystemTable(a.v) && a.v !== 'mysql') hit('system_table', a.pos, 0.8);
  else if (n >= 2 && last.t === Tk.open && T[n - 2]!.t === Tk.func && INFO_FUNCS.has(T[n - 2]!.v))
    hit('expression', T[n - 2]!.pos, 0.8);
  else if (a.t === Tk.union && (n === 1 || (T[1]!.v === 'select' && n === 2))) hit('union', a.pos, 0.85);
  else {
    let k = 0;
    while (k < n && (T[k]!.t === Tk.close || T[k]!.t === Tk.number)) k++;
    if (
      k > 0 &&
      T[k]?.v === 'as' &&
      (T[k + 1]?.t === Tk.bare || T[k + 1]?.t === Tk.string) &&
      T[k + 2]?.v === 'from'
    )
      hit('breakout', T[k]!.pos, 0.8);
  }
}

/** Functions that switch on a condition: with a literal comparison inside they probe blind. */
const CONDITIONAL = new Set(['elt', 'make_set', 'if', 'iif', 'export_set']);

/** `1=1`, `'a'='b'`, `(5=5)` at `i`: a comparison of two literals. */
function isLitCompare(T: Token[], i: number): boolean {
  while (T[i]?.t === Tk.open) i++;
  const a = T[i];
  const c = T[i + 1];
  const b = T[i + 2];
  const lit = (x: Token | undefined) => !!x && (x.t === Tk.number || x.t === Tk.string);
  return lit(a) && !!c && c.t === Tk.compare && lit(b);
}

/** A prefix before a breakout quote that looks like a value an app would quote: a word, number or email. */
const WORDISH = /^[a-z0-9_.@%-]{0,20}$/;

/** A `#` comment followed by a letter or digit is a hashtag or a number sign (`#2`), not SQL. */
function terminatorComment(s: string, t: Token): boolean {
  if (t.v === '--') return s.charCodeAt(t.pos + 2) !== 62; // `-->` closes an HTML comment
  if (t.v !== '#') return true;
  const c = s.charCodeAt(t.pos + 1);
  return !(isNaN(c) ? false : (c >= 48 && c <= 57) || (c >= 97 && c <= 122));
}

/** Index after `1,2,3` starting at `i`. */
function skipNumberList(T: Token[], i: number): number {
  while (T[i]?.t === Tk.number && T[i + 1]?.t === Tk.comma && T[i + 2]?.t === Tk.number) i += 2;
  return i + 1;
}

/** `group by x having 1=1` / `having min(0)`: the error-based column enumeration. */
function havingAfter(T: Token[], h: number): boolean {
  for (let k = h + 1; k < T.length && k < h + 40; k++) {
    if (T[k]!.v === 'having') return isLitCompare(T, k + 1) || T[k + 1]?.t === Tk.func;
    if (T[k]!.t === Tk.semi || T[k]!.t === Tk.union) return false;
  }
  return false;
}

/**
 * A well-formed expression from `i` (operands, operators, calls, brackets, subqueries);
 * returns the index after it or -1.
 */
function validExpr(T: Token[], i: number, depth: number): number {
  const n = T.length;
  if (depth > 8) return -1;
  for (;;) {
    while (i < n && (isUnary(T[i]!) || T[i]!.v === 'binary')) i++;
    const t = T[i];
    if (!t) return -1;
    if (t.t === Tk.number || t.t === Tk.string || t.t === Tk.variable || t.t === Tk.bare) i++;
    else if (t.t === Tk.func || t.t === Tk.open) {
      let k = t.t === Tk.func ? i + 1 : i;
      if (T[k]?.t !== Tk.open) {
        if (t.t !== Tk.func) return -1;
        i = k;
      } else {
        k++;
        if (T[k]?.t === Tk.statement && T[k]!.v === 'select') k++;
        if (T[k]?.t !== Tk.close) {
          for (;;) {
            k = validExpr(T, k, depth + 1);
            if (k < 0) return -1;
            // `substring(x from 1 for 1)`, `cast(x as char)`, `convert(x using utf8)`.
            const sep = T[k];
            if (sep && (sep.t === Tk.comma || ARG_WORDS.has(sep.v))) k++;
            else break;
          }
        }
        if (T[k]?.t !== Tk.close) return -1;
        i = k + 1;
      }
    } else if (t.t === Tk.statement && t.v === 'select') {
      i++;
      continue;
    } else return -1;
    const o = T[i];
    if (o && (o.t === Tk.op || o.t === Tk.compare || o.t === Tk.logic) && o.v !== '::') {
      i++;
      continue;
    }
    return i;
  }
}

/** Words that separate the arguments of some SQL functions, like a comma. */
const ARG_WORDS = new Set(['from', 'for', 'as', 'using', 'in']);

/**
 * The whole value (from `h`, up to a trailing comment) is one SQL expression that computes on the
 * database's own data: `length(version())`, `456+ascii(substring(passwd,1,1))-10`, `mid(@@hostname,1,1)`,
 * `case 1 when 2 then 2 end`. `known` is `validExpr(T, h, 0)` when already computed, else -2.
 * Returns its start or -1.
 */
function wholeExpression(T: Token[], h: number, known: number): number {
  const n = T.length;
  const last = T[n - 1]!.t === Tk.comment ? n - 1 : n;
  if (last - h < 3) return -1;
  const t0 = T[h]!;
  if (t0.v === 'case') {
    let when = false;
    let then = false;
    for (let k = h + 1; k < last; k++) {
      if (T[k]!.v === 'when') when = true;
      else if (T[k]!.v === 'then' && when) then = true;
      else if (T[k]!.v === 'end' && then) return h;
    }
    return -1;
  }
  if ((known !== -2 ? known : validExpr(T, h, 0)) !== last) return -1;
  let calls = 0;
  let info = 0;
  let ops = 0;
  let nums = 0;
  for (let k = h; k < last; k++) {
    const t = T[k]!;
    if (t.t === Tk.func && isKnownFunction(t.v)) {
      calls++;
      if (INFO_FUNCS.has(t.v) && T[k + 2]?.t === Tk.close) info++;
    } else if (t.t === Tk.variable && t.v.startsWith('@@')) info++;
    else if (t.t === Tk.op || t.t === Tk.compare) ops++;
    else if (t.t === Tk.number) nums++;
  }
  if (calls === 0) return -1;
  return info > 0 || calls >= 2 || (ops > 0 && nums > 0) ? h : -1;
}

function isUnary(t: Token): boolean {
  return (t.t === Tk.op && (t.v === '-' || t.v === '+' || t.v === '~')) || t.t === Tk.not;
}

/** A value that begins with `or`/`and`/`order by`/`where`: judged as the tail of the app's query. */
function startsWithContinuation(
  T: Token[],
  h: number,
  ts: TokenStream,
  hit: (r: SqlRule, pos: number, c: number) => void,
): void {
  const t = T[h]!;
  if (t.t === Tk.logic) {
    const e = expr(T, h + 1);
    if (
      e.end > 0 &&
      (e.litCompares > 0 ||
        e.subs > 0 ||
        (e.calls > 0 && (e.compares > 0 || (e.end === T.length && T[h + 1]!.t === Tk.func)))) &&
      tailOk(T, e.end)
    )
      hit('tautology', t.pos, 0.85);
    // `and 1`, `or true--`: the boolean-blind pair appended to a numeric parameter.
    else if (
      e.end === h + 2 &&
      h === 0 &&
      T[h + 1]!.t === Tk.number &&
      (e.end === T.length || T[e.end]!.t === Tk.comment)
    )
      hit('tautology', t.pos, 0.7);
  } else if (t.t === Tk.groupBy) {
    if ((T[h + 1]?.t === Tk.number && tailOk(T, skipNumberList(T, h + 1))) || havingAfter(T, h))
      hit('order_probe', t.pos, 0.8);
  } else if (sqlness(T, h, ts) >= 2) hit('breakout', t.pos, 0.8);
}

/**
 * After a breakout at `h`: `op operand (op operand)*` running to the end, where the end is an
 * unterminated string (closed by the app's quote) or a comment. Returns 0 (no), 1 (only arithmetic
 * between literals) or 2 (a comparison, logic operator or call is involved).
 */
function operatorChain(T: Token[], h: number, ts: TokenStream, ctx: number): number {
  const n = T.length;
  let k = h;
  let strong = 0;
  const e = newExpr();
  while (k < n) {
    const t = T[k]!;
    if (t.t === Tk.comment && k === n - 1) return strong > 0 || e.lits > 0 ? 2 : 0;
    if (t.t !== Tk.compare && t.t !== Tk.logic && t.t !== Tk.op && t.t !== Tk.not) return 0;
    if (t.t !== Tk.op || t.v === '^' || t.v === '|' || t.v === '&') strong++;
    const o = operand(T, k + 1, e, 0);
    if (o.end < 0) return 0;
    k = o.end;
    const last = T[k - 1]!;
    if (k === n) {
      // The last string must be left open by this value's own quote, and hold no stray quotes.
      if (
        last.t !== Tk.string ||
        last.closed ||
        last.q !== ctx ||
        last.v.indexOf(String.fromCharCode(ctx)) >= 0
      )
        return 0;
      if (/\s/.test(last.v) && T[k - 2]!.t === Tk.compare && /^[a-z]/.test(T[k - 2]!.v)) return 0; // `"like" stamp`
      return strong > 0 || e.calls > 0 ? 2 : 1;
    }
  }
  return ts.trailingComment ? 1 : 0;
}

/** A whole statement as the value: `select 1 from foo where`, `drop table users`. */
function fullStatement(T: Token[], i: number): boolean {
  const t = T[i]!;
  if (t.v === 'drop' || t.v === 'create' || t.v === 'alter')
    return (
      T.length <= i + 4 ||
      T[i + 3]?.t === Tk.open ||
      T[T.length - 1]!.t === Tk.comment ||
      T.some((x) => x.t === Tk.semi)
    );
  if (t.v !== 'select') return true;
  const a = T[i + 1]!;
  // `select id, sin(1), 2 from bar where`: a column list read from a table is a query too.
  if ((a.t === Tk.bare && T[i + 2]?.t !== Tk.comma) || (a.t === Tk.keyword && a.v !== 'case')) return false;
  for (let k = i + 2; k < T.length; k++) if (T[k]!.v === 'from') return true;
  // `select 1,2,3,4,5 ...--`: a column-count probe closed by a comment.
  if (a.t === Tk.number && T[i + 2]?.t === Tk.comma && T[T.length - 1]!.t === Tk.comment) return true;
  return a.t === Tk.func || a.t === Tk.variable;
}

/**
 * Analyses `s` (lower case, comments kept) as SQL in three contexts: as it is, and as if it
 * followed an opening `'` or `"` (the value closing the app's string literal).
 */
export function analyzeSql(s: string): SqlHit[] {
  const out: SqlHit[] = [];
  const plain = tokenize(s, 0);
  if (!wordThenString(plain.tokens)) analyzeStream(s, plain, 0, '', out);
  for (const q of [39, 34]) {
    const at = s.indexOf(q === 39 ? "'" : '"');
    if (at < 0) continue;
    // `v'123`: only digits after the quote give a string and numbers, which never hit (see below).
    if (digitsOnly(s, at + 1)) continue;
    const ts = tokenize(s, q);
    if (ts.tokens.length < 2 && !ts.trailingComment) continue;
    if (onlyOperands(s, ts.tokens)) continue;
    analyzeStream(s, ts, q, s.slice(0, at).trimStart(), out);
  }
  return out;
}

/**
 * True when a stream read as it is holds a word, then a string: `o'brien`, `v'123`. No rule of
 * `analyzeStream` fires on it in the plain context (the word leads no expression, clause or fragment,
 * and the string continues nothing), unless the string spells `select` (`1xunion'select`).
 */
function wordThenString(T: Token[]): boolean {
  return T.length === 2 && T[0]!.t === Tk.bare && T[1]!.t === Tk.string && T[1]!.v !== 'select';
}

/** True when `s` from `from` on holds only ASCII digits. */
function digitsOnly(s: string, from: number): boolean {
  for (let k = from; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * True when a quote-context stream holds only strings, numbers and plain words. No rule of
 * `analyzeStream` fires on it in a quote context (every one needs an operator, a bracket, a comment,
 * a `;` or a keyword), so the analysis is skipped: values like `v'123`, `o'brien` are common. Names
 * quoted with a backtick or `[]` are excluded: they may spell a keyword (`` `select` ``).
 */
function onlyOperands(s: string, T: Token[]): boolean {
  for (const t of T) {
    if (t.t === Tk.string || t.t === Tk.number) continue;
    if (t.t !== Tk.bare) return false;
    const c = s.charCodeAt(t.pos);
    if (c === 96 || c === 91) return false;
  }
  return true;
}
