import { ruleDefiner, type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';

const r = ruleDefiner('nosqli');

/**
 * NoSQL (MongoDB) injection. Three shapes:
 * - an operator where the application expects a value: a JSON key (`{"password": {"$ne": null}}`, given
 *   by the parser as an argument name `body.json.key:$.password.$ne`) or a bracketed parameter name
 *   (`password[$ne]=x`, which qs / PHP turn into an object);
 * - an operator object or `$where:` written into a string value (`{"$gt": ""}`, `', $where: '1 == 1'`);
 * - JavaScript for a `$where` clause (`'; return true; var a='`, `this.password.match(/.*\u200b/)`, `sleep(5000)`).
 * `$100`, `price[min]=1`, `tags[]=a` and `filter[name]=bob` carry no operator.
 */
const RULES: readonly RuleDef[] = [
  r('operator_key', 'critical', 0.95, 'MongoDB query operator as a JSON key or bracketed parameter name'),
  r('operator_value', 'critical', 0.85, 'MongoDB operator object or $where clause inside a string value'),
  r(
    'where_js',
    'critical',
    0.85,
    'JavaScript injected into a $where clause (return true, this.x.match, sleep)',
  ),
  r('js_tautology', 'high', 0.6, "JavaScript tautology ('a'=='a', || 1==1)"),
];

// Query and aggregation operators that change a query's meaning when a client can inject them.
const OPERATORS = new Set([
  'ne',
  'eq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'nin',
  'regex',
  'where',
  'exists',
  'expr',
  'function',
  'or',
  'and',
  'nor',
  'not',
  'elemmatch',
  'all',
  'size',
  'mod',
  'text',
  'accumulator',
  'jsonschema',
  'lookup',
  'comment',
  'options',
  'search',
  'set',
  'unset',
  'push',
  'rename',
  'inc',
  'merge',
  'out',
  'natural',
  'where',
]);

// `{ $ne: 1 }`, `{"$gt": ""}`, `, $where: '...'`, `$or: [`
const OP_OBJECT: readonly RegExp[] = [
  /\{\s*["']?\$([a-z]{2,12})["']?\s*:/i,
  /(?:^|[,\s'"{])\$(where|or|and|nor|regex|expr|function|accumulator|comment|ne|gt|gte|lt|lte|nin|in|exists|elemmatch)["']?\s*:/i,
  /\[\s*\$([a-z]{2,12})\s*\]\s*=/i,
];
const WHERE_JS =
  /['"`]\s*(?:;|\|\||&&)\s*(?:return\b|sleep\s*\(|this\.|while\s*\(|it\s*=|var\s|db\.)|;\s*return[\s(]+(?:true|1|!0|['"]?\w+['"]?\s*===?)|\bthis\s*\.\s*\w+\s*\.\s*(?:match|search|test|startswith|indexof)\s*\(|\bdb\s*\.\s*[\w$]+\s*\.\s*(?:insert|insertone|find|findone|drop|remove|update|updateone|deleteone|deletemany|mapreduce|aggregate)\s*\(|\bdb\s*\.\s*(?:getcollectionnames|dropdatabase|eval|getsiblingdb)\s*\(|\bmapreduce\s*\(\s*function|\bemit\s*\(\s*\d|(?:^|['";])\s*sleep\s*\(\s*\d{3,}\s*\)|\bnew\s+date\s*\(\s*\)\s*;\s*do\s*\{/i;

/** Creates the nosqli detector. */
export const createNosqliDetector: DetectorFactory = () => {
  const kinds = ARGS | Kind.bodyRaw;

  function inspectValue(v: Value, report: Reporter): void {
    if (v.kind === Kind.argName || v.kind === Kind.cookieName) {
      inspectName(v, report);
      return;
    }
    if (v.isPlain) return;
    const f = v.flags;
    if ((f & (Flag.dollar | Flag.quote | Flag.semi | Flag.pipeAmp | Flag.dot)) === 0) return;
    const lower = v.view('lower');
    if (f & Flag.dollar) {
      for (const re of OP_OBJECT) {
        const m = re.exec(lower);
        if (m && OPERATORS.has((m[1] ?? '').toLowerCase())) {
          report.value('nosqli.operator_value', v, 'lower', snippet(lower, m.index, m[0].length + 20, 120));
          return;
        }
      }
    }
    const w = WHERE_JS.exec(lower);
    if (w) {
      report.value('nosqli.where_js', v, 'lower', snippet(lower, w.index, w[0].length + 20, 120));
      return;
    }
    if ((f & Flag.eq) !== 0 && lower.indexOf('==') >= 0) {
      const t = jsTautology(lower);
      if (t >= 0) report.value('nosqli.js_tautology', v, 'lower', snippet(lower, t, 30, 120));
    }
  }

  /** `password[$ne]`, `user[$regex]`, a JSON key `$gt` (location `body.json.key:$.a.$gt`). */
  function inspectName(v: Value, report: Reporter): void {
    const s = v.view('lower');
    let i = s.indexOf('$');
    while (i >= 0) {
      const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
      // a key that is the operator itself, or a bracketed / dotted path segment
      if (prev === 0 || prev === 91 /* [ */ || prev === 46 /* . */) {
        let j = i + 1;
        while (j < s.length && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
        const op = s.slice(i + 1, j);
        const next = j < s.length ? s.charCodeAt(j) : 0;
        const closes = prev === 91 ? next === 93 /* ] */ : next === 0 || next === 46 || next === 91;
        if (closes && OPERATORS.has(op)) {
          report.value('nosqli.operator_key', v, 'lower', snippet(s, i, j - i, 120));
          return;
        }
      }
      i = s.indexOf('$', i + 1);
    }
  }

  return { class: 'nosqli', rules: RULES, kinds, inspectValue };
};

function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * `'a'=='a'`, `|| 1==1`, `&& ''==''`: the same operand on both sides of `==`/`===`, either quoted or
 * after `||`/`&&`. Scanned by hand (a regex would need back-references). Index or -1.
 */
function jsTautology(s: string): number {
  let i = s.indexOf('==');
  let guard = 0;
  while (i >= 0 && guard++ < 32) {
    let e = i + 2;
    if (s.charCodeAt(e) === 61) e++;
    // left operand, backwards
    let l = i - 1;
    while (l >= 0 && s.charCodeAt(l) === 32) l--;
    let lq = 0;
    if (l >= 0 && (s.charCodeAt(l) === 39 || s.charCodeAt(l) === 34)) lq = s.charCodeAt(l--);
    const lEnd = l + 1;
    while (l >= 0 && isWord(s.charCodeAt(l)) && lEnd - l <= 40) l--;
    const left = s.slice(l + 1, lEnd);
    if (lq) {
      if (l < 0 || s.charCodeAt(l) !== lq) {
        i = s.indexOf('==', e);
        continue;
      }
      l--;
    }
    // right operand, forwards
    let r = e;
    while (r < s.length && s.charCodeAt(r) === 32) r++;
    let rq = 0;
    if (r < s.length && (s.charCodeAt(r) === 39 || s.charCodeAt(r) === 34)) rq = s.charCodeAt(r++);
    const rStart = r;
    while (r < s.length && isWord(s.charCodeAt(r)) && r - rStart <= 40) r++;
    const right = s.slice(rStart, r);
    if (left === right && lq === rq && (left !== '' || lq !== 0)) {
      if (lq !== 0) return l + 1;
      let k = l;
      while (k >= 0 && s.charCodeAt(k) === 32) k--;
      const op = s.slice(k - 1, k + 1);
      if (op === '||' || op === '&&') return k - 1;
    }
    i = s.indexOf('==', e);
  }
  return -1;
}
