import { type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';

/**
 * LDAP filter injection. The value is scanned as the tail of an LDAP filter the application builds
 * (`(uid=<value>)`): a closing parenthesis that the value did not open breaks out of the filter, and
 * what follows it — a new filter component `(attr=...)`, `(attr>=...)`, `(attr~=...)`, or a boolean
 * operator `(|`, `(&`, `(!` — is the injection. Balanced parentheses (a complete filter a user typed,
 * a phone number, `f(x)`) and emoticons `:-)` without a filter after them stay clean.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'ldapi.filter-breakout',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description: 'An unbalanced `)` followed by a new LDAP filter component: `*)(uid=*))(|(uid=*`',
  },
  {
    id: 'ldapi.filter-breakout-weak',
    version: 1,
    severity: 'high',
    confidence: 0.6,
    description: 'An unbalanced `)` followed by `(word=...`, with no wildcard or known attribute',
  },
  {
    id: 'ldapi.wildcard-filter',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description: 'A wildcard glued to a boolean filter: `*(|(mail=*))`, `*)(&`',
  },
  {
    id: 'ldapi.null-truncation',
    version: 1,
    severity: 'high',
    confidence: 0.7,
    description: 'An LDAP filter close followed by a NUL byte that truncates the rest: `*))%00`',
  },
];

const ATTRS: ReadonlySet<string> = new Set([
  'uid',
  'cn',
  'sn',
  'mail',
  'objectclass',
  'userpassword',
  'password',
  'ou',
  'dc',
  'o',
  'c',
  'l',
  'st',
  'samaccountname',
  'memberof',
  'member',
  'givenname',
  'displayname',
  'gidnumber',
  'uidnumber',
  'objectcategory',
  'description',
  'telephonenumber',
  'homedirectory',
  'loginshell',
  'userprincipalname',
  'name',
  'surname',
  'commonname',
  'objectsid',
  'useraccountcontrol',
  'grouptype',
  'admincount',
  'accountname',
  'username',
  'user',
  'login',
  'pwd',
  'pass',
  'unicodepwd',
  'mobile',
  'manager',
  'department',
  'title',
  'employeeid',
  'distinguishedname',
  'dn',
  'homephone',
  'pager',
  'owner',
]);

const isAttrChar = (c: number) =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  c === 45 ||
  c === 46 ||
  c === 59 ||
  c === 95;
const isBlank = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** What follows a `(`: a filter component or operator, and how certain that is (0 none, 1 weak, 2 strong). */
function filterAfter(s: string, k: number): number {
  while (k < s.length && (isBlank(s.charCodeAt(k)) || s[k] === '(')) k++;
  const c = s[k];
  if (c === '|' || c === '&' || c === '!') return 2;
  if (k >= s.length) return 0;
  let e = k;
  while (e < s.length && e - k < 64 && isAttrChar(s.charCodeAt(e))) e++;
  if (e === k) return 0;
  const attr = s.slice(k, e).toLowerCase();
  let o = e;
  // extensible match `attr:1.2.840.113556.1.4.803:=`
  if (s[o] === ':') {
    const end = s.indexOf(':=', o);
    if (end < 0 || end - o > 40) return 0;
    o = end + 1;
  }
  while (isBlank(s.charCodeAt(o))) o++;
  const op = s[o];
  const opOk = op === '=' || ((op === '>' || op === '<' || op === '~') && s[o + 1] === '=');
  if (!opOk) return 0;
  const valStart = op === '=' ? o + 1 : o + 2;
  if (ATTRS.has(attr) || s[valStart] === '*' || s.indexOf('*') >= 0) return 2;
  return 1;
}

/** `*)(&`, `*))(|`, `*)(` at the very end: a wildcard, a close, and a new filter left open. */
function endsWithOpenFilter(s: string): boolean {
  let k = s.length - 1;
  while (k >= 0 && isBlank(s.charCodeAt(k))) k--;
  if (s[k] === '&' || s[k] === '|') k--;
  while (k >= 0 && isBlank(s.charCodeAt(k))) k--;
  if (s[k] !== '(') return false;
  k--;
  while (k >= 0 && isBlank(s.charCodeAt(k))) k--;
  if (s[k] !== ')') return false;
  while (k >= 0 && s[k] === ')') k--;
  return s[k] === '*';
}

/** Creates the LDAP injection detector. */
export const createLdapiDetector: DetectorFactory = () => ({
  class: 'ldapi',
  rules: RULES,
  kinds: ARGS | Kind.header,
  inspectValue(v: Value, report: Reporter): void {
    if (v.isPlain) return;
    const f = v.flags;
    if ((f & Flag.paren) === 0) return;
    if ((v.kind & Kind.header) !== 0 && v.name !== 'cookie' && !v.name.startsWith('x-')) return;
    const s = v.view('norm');
    const wf = s.indexOf('*()');
    if (wf >= 0 && (s[wf + 3] === '|' || s[wf + 3] === '&')) {
      // `*()|&`: an empty filter and operators, the classic filter-syntax probe
      report.value('ldapi.wildcard-filter', v, 'norm', snippet(s, wf, 5, 100));
      return;
    }
    let depth = 0;
    let best = 0;
    let at = -1;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '(') {
        // `*(|(` / `*(&(`: a wildcard glued to a boolean filter
        if (s[i - 1] === '*' && (s[i + 1] === '|' || s[i + 1] === '&') && s[i + 2] === '(') {
          report.value('ldapi.wildcard-filter', v, 'norm', snippet(s, i - 1, 4, 100));
          return;
        }
        depth++;
      } else if (c === ')') {
        if (depth > 0) {
          depth--;
          continue;
        }
        // emoticons `:)`, `:-)`, `;-)` close nothing
        if (
          s[i - 1] === ':' ||
          s[i - 1] === ';' ||
          (s[i - 1] === '-' && (s[i - 2] === ':' || s[i - 2] === ';'))
        )
          continue;
        // a `)` the value did not open: look for the next filter component, across `)` `!&|` and blanks
        let k = i + 1;
        while (
          k < s.length &&
          k - i < 16 &&
          (s[k] === ')' || s[k] === '!' || s[k] === '&' || s[k] === '|' || isBlank(s.charCodeAt(k)))
        )
          k++;
        if (s[k] === '(') {
          const r = filterAfter(s, k + 1);
          if (r > best) {
            best = r;
            at = i;
          }
          if (r === 2) break;
        } else if (s[i - 1] === '*' && k >= s.length && v.view('url').indexOf('\0') >= 0) {
          // `*))%00`: the NUL (dropped by the norm view) cuts the application's filter short
          report.value('ldapi.null-truncation', v, 'norm', snippet(s, i - 1, 4, 100));
          return;
        }
      }
    }
    if (best === 2) report.value('ldapi.filter-breakout', v, 'norm', snippet(s, at, 12, 100));
    else if (best === 1) report.value('ldapi.filter-breakout-weak', v, 'norm', snippet(s, at, 12, 100));
    else if (endsWithOpenFilter(s)) {
      // `*)(&` at the very end: the rest of the filter comes from the application
      report.value('ldapi.wildcard-filter', v, 'norm', snippet(s, s.length - 6, 6, 100));
    }
  },
});
