import { type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';
import type { ParsedRequest } from '../../request/parse-request.js';

/**
 * Server-side template and expression-language injection. Template delimiters are found by hand
 * (`{{ }}`, `{% %}`, `${ }`, `#{ }`, `*{ }`, `@( )`, `<%= %>`, `<#...>`, `#set(`, `{php}`) and their
 * content is judged: arithmetic on literals (`7*7`, the universal probe), Python object-model walking
 * (`__class__.__mro__`), Java reflection and process APIs (`T(java.lang.Runtime)`, `getClass().forName`,
 * OGNL `#_memberAccess`), engine internals (`freemarker.template.utility.Execute`, `$smarty`,
 * `_self.env`). Plain variables (`{{ name }}`, `${price}`, `#{name}`) are what templates normally hold
 * and stay clean. `${jndi:...}`-style lookups belong to the log4shell detector and `${IFS}` to cmdi.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'ssti.python-object-walk',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description:
      'Python object-model traversal used to escape Jinja2/Mako: `__class__.__mro__`, `__globals__`',
  },
  {
    id: 'ssti.expression-probe',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description: 'Arithmetic on literals inside template delimiters: `{{7*7}}`, `${7*7}`, `<%= 7*7 %>`',
  },
  {
    id: 'ssti.template-internals',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description:
      'A template expression reaching engine or application internals (`{{config}}`, `{$smarty}`, `_self.env`)',
  },
  {
    id: 'ssti.template-statement',
    version: 1,
    severity: 'critical',
    confidence: 0.75,
    description: 'Template control statements in input: `{% if %}`, `<#assign>`, `#set(`, `{php}`',
  },
  {
    id: 'ssti.java-el',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description:
      'Java expression/reflection injection (SpEL, OGNL, EL): `T(java.lang.Runtime)`, `#_memberAccess`',
  },
  {
    id: 'ssti.java-class',
    version: 1,
    severity: 'critical',
    confidence: 0.8,
    description:
      'A process-spawning Java class named in input: `java.lang.Runtime`, `java.lang.ProcessBuilder`',
  },
  {
    id: 'ssti.spring-classloader',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description: 'Spring4Shell class-loader binding (`class.module.classLoader...`), CVE-2022-22965',
  },
  {
    id: 'ssti.method-call',
    version: 1,
    severity: 'high',
    confidence: 0.65,
    description:
      'A method call or filter pipeline inside template delimiters: `{{"a".toUpperCase()}}`, `${ex("id")}`',
  },
];

/** Globals of Jinja2/Twig/Flask/Django templates that only an attacker asks for. */
const INTERNAL_NAMES =
  /^(?:config|self|_self|settings|request|app|cycler|joiner|namespace|lipsum|url_for|get_flashed_messages|range|dump|g|session|environ|application|_context|__self|this\.constructor|constructor|global|process|smarty|_SERVER|GLOBALS|class|T|runtime|object)\b/;
const DUNDER =
  /__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|getitem|dict|code|func_globals|loader|reduce|getattribute|spec|module)__/g;
const PY_DANGEROUS = /\b(?:os\.(?:popen|system)|subprocess|popen\(|__import__|getattr\(|eval\(|exec\()/;
const JAVA_EL =
  /\bt ?\( ?java\.|\bt ?\( ?org\.|getclass ?\( ?\) ?\. ?forname|\.forname ?\(|getruntime ?\( ?\)|#_memberaccess|@ognl\.|ognlcontext|#context\[|new {1,3}java\.|processbuilder|scriptenginemanager|\.getclassloader ?\(|java\.lang\.runtime|@java\.lang|\.exec ?\( ?['"]|freemarker\.template\.utility|\?new ?\(|objectconstructor|jythonruntime|\.invoke ?\(|#request\[|#attr\[|#parameters\b|#application\b|#session\b/;
const JAVA_CLASS =
  /\bjava\.(?:[a-z]{1,24}\.){0,5}(?:runtime|processbuilder|processimpl|unixprocess)\b|\bjavax\.script\.scriptengine|\bjavax\.naming\.initialcontext/;
const SPRING =
  /\bclass\.(?:module\.)?classloader\b|\bclass\[ ?['"]?(?:module|classloader)|filesystemxmlapplicationcontext|classpathxmlapplicationcontext/;
const ARITH =
  /^\s{0,4}[-+(]{0,3} ?(?:\d{1,12}(?:\.\d{1,6})?|'\d{1,12}'|"\d{1,12}") {0,3}\)? {0,3}(?:[-+*/%]|\*\*) {0,3}\(? {0,3}(?:\d{1,12}(?:\.\d{1,6})?|'\d{1,12}'|"\d{1,12}")/;
const STATEMENT =
  /^-?\s*(?:if|for|set|import|from|include|extends|macro|call|block|raw|with|filter|autoescape|do|print|debug|endif|endfor|load|php|exec|eval|assign|function|module|request)\b/;
const METHOD =
  /[\w'"\])] ?\. ?[a-z_]\w{0,40} ?\(|\| ?(?:attr|filter|map|join|select|reject|e|format|safe|first|last|reverse)\b|\b\w{1,40} ?\( ?['"[]/;

/**
 * `s.indexOf(close, from)` remembering the last answer per delimiter: the scan asks from ever later
 * positions, so without it a value of unclosed `{{` costs a full search per opening (quadratic).
 */
class CloseFinder {
  private from = -1;
  private at = -1;
  constructor(
    private readonly s: string,
    private readonly close: string,
  ) {}
  find(from: number): number {
    const s = this.s;
    const f0 = this.from;
    if (f0 >= 0) {
      const p0 = this.at;
      if (from >= f0) {
        if (p0 < 0 || p0 >= from) return p0;
      } else {
        // a step back (the scan asks from i and from i + 2): only [from, f0) is new ground
        for (let k = from; k < f0; k++) if (s.startsWith(this.close, k)) return k;
        return p0;
      }
    }
    const p = s.indexOf(this.close, from);
    this.from = from;
    this.at = p;
    return p;
  }
}

/** Content of a `{{ ... }}`-style expression at `open` (index of the opening delimiter), bounded. */
function enclosed(s: string, from: number, max: number, cf: CloseFinder): string | null {
  const end = cf.find(from);
  if (end < 0) return s.length - from <= max ? s.slice(from) : s.slice(from, from + max);
  return end - from <= max ? s.slice(from, end) : s.slice(from, from + max);
}

/**
 * Every rule of `judgeExpression` needs a word character (or a non-ASCII one that lower-cases to
 * one) in the body: finds the first such character from a position, remembering the last answer.
 */
class WordFinder {
  private from = -1;
  private at = -1;
  private readonly re = /[\w\u0080-\uffff]/g;
  constructor(private readonly s: string) {}
  /** True when `s[from, to)` holds a word character. */
  any(from: number, to: number): boolean {
    if (this.from < 0 || from < this.from || (this.at >= 0 && this.at < from)) {
      this.re.lastIndex = from;
      const m = this.re.exec(this.s);
      this.from = from;
      this.at = m ? m.index : -1;
    }
    return this.at >= 0 && this.at < to;
  }
}

/** Memo of `judgeExpression` within one value: repeated openings see the same bodies again. */
class JudgeMemo {
  private readonly memo = new Map<string, string>();
  constructor(readonly wf: WordFinder) {}
  /** `judgeExpression(body, kind)` for a body lying within `s[from, to)`. */
  judge(
    raw: string,
    kind: 'mustache' | 'dollar' | 'hash' | 'erb' | 'other',
    from: number,
    to: number,
    stripBraces: boolean,
  ): string {
    if (!this.wf.any(from, to)) return '';
    const body = stripBraces ? raw.replace(/^\{+/, '') : raw;
    const key = kind[0] + body;
    let r = this.memo.get(key);
    if (r === undefined) {
      r = judgeExpression(body, kind);
      if (this.memo.size > 256) this.memo.clear();
      this.memo.set(key, r);
    }
    return r;
  }
}

/** Judges one expression body; returns a rule id or ''. */
function judgeExpression(body: string, kind: 'mustache' | 'dollar' | 'hash' | 'erb' | 'other'): string {
  const t = body.trim();
  if (t === '') return '';
  if (kind === 'dollar') {
    // Log4j lookups (`${jndi:`, `${env:X}`, `${::-j}`) and shell expansions (`${IFS}`, `${PATH:0:1}`) are
    // other detectors' business.
    if (/^[a-z0-9_]*:/i.test(t) || /^[A-Z_][A-Z0-9_]*(?:[:#%/]|$)/.test(t)) return '';
  }
  const low = t.toLowerCase();
  DUNDER.lastIndex = 0;
  if (DUNDER.test(low)) return 'ssti.python-object-walk';
  if (JAVA_EL.test(low)) return 'ssti.java-el';
  if (ARITH.test(t)) return 'ssti.expression-probe';
  if (kind === 'mustache' && /^\{?\s*\d+\s*[-+*/]\s*\d+/.test(t)) return 'ssti.expression-probe';
  if (PY_DANGEROUS.test(low)) return 'ssti.python-object-walk';
  const m = INTERNAL_NAMES.exec(t);
  if (m && kind !== 'hash') {
    const rest = t.slice(m[0].length).trimStart();
    // `{{config}}`, `{{ self }}`, `{{config.items()}}`, `{{request.application}}`
    if (rest === '' || rest[0] === '.' || rest[0] === '|' || rest[0] === '[' || rest[0] === '(') {
      if (
        !(
          m[0] === 'class' ||
          m[0] === 'object' ||
          m[0] === 'app' ||
          m[0] === 'g' ||
          m[0] === 'range' ||
          m[0] === 'session' ||
          m[0] === 'T'
        ) ||
        rest !== ''
      )
        return 'ssti.template-internals';
    }
  }
  if (kind === 'dollar' && /^self\.|^\s*\w+\s*\(/.test(t) && /[('"]/.test(t)) return 'ssti.method-call';
  if (METHOD.test(t) && /[('"]/.test(t)) return 'ssti.method-call';
  return '';
}

/** First letters of the Velocity directives below: most `#` (fragments, `&#` entities) skip the regex. */
const HASH_DIRECTIVE_FIRST = 'sfeipdm';

/** The first characters of every delimiter the scan below looks for. */
const OPENERS = new Uint8Array(128);
for (const c of '{$#*~@%<[_') OPENERS[c.charCodeAt(0)] = 1;

/** Second characters some shape needs (`{{`, `{%`, `<%`, `<#`, `@(`, `__`); `{` as first character needs none. */
const FOLLOWERS = new Uint8Array(65536);
for (const c of '{%#(_') FOLLOWERS[c.charCodeAt(0)] = 1;

const SCAN_FLAGS = Flag.brace | Flag.angle | Flag.hash | Flag.at | Flag.paren | Flag.dollar | Flag.bracket;

/** Creates the SSTI / expression-injection detector. */
export const createSstiDetector: DetectorFactory = () => ({
  class: 'ssti',
  rules: RULES,
  kinds: ARGS | Kind.header | Kind.bodyRaw | Kind.pathSegment,
  inspectRequest: inspectCookieNames,
  inspectValue(v: Value, report: Reporter): void {
    const inHeader = (v.kind & Kind.header) !== 0;
    if (v.isPlain) {
      // `java.lang.Runtime` and `class.module.classLoader.x` are plain text
      if (v.raw.length < 10 || v.raw.indexOf('.') < 0) return;
      const low = v.raw.toLowerCase();
      if (low.indexOf('java') < 0 && low.indexOf('class') < 0) return;
      checkJava(v, low, report);
      return;
    }
    const f = v.flags;
    const s = v.view('norm');
    const low = s.toLowerCase();
    if ((f & Flag.dot) !== 0 && (low.indexOf('java') >= 0 || low.indexOf('class') >= 0)) {
      if (checkJava(v, low, report)) return;
    }
    if ((f & SCAN_FLAGS) === 0) return;
    if (inHeader && (f & Flag.brace) === 0) return;
    const ev = (i: number, len = 0) => snippet(s, i, len, 120);
    const cfMustache = new CloseFinder(s, '}}');
    const cfStatement = new CloseFinder(s, '%}');
    const cfBrace = new CloseFinder(s, '}');
    const cfErb = new CloseFinder(s, '%>');
    const cfParen = new CloseFinder(s, ')');
    const jm = new JudgeMemo(new WordFinder(s));
    const hasConstructor = low.indexOf('constructor') >= 0;
    // same length: `low[i]` is the lower case of `s[i]` (no expanding `İ`)
    const aligned = low.length === s.length;
    for (let i = 0; i < s.length - 1; i++) {
      const code = s.charCodeAt(i);
      if (code >= 128 || OPENERS[code] === 0) continue;
      // every shape below needs a `{` here or one of a few characters next (`&#&#…` skips in one test)
      if (code !== 123 /* { */ && FOLLOWERS[s.charCodeAt(i + 1)] !== 1) {
        if (code !== 35 /* # */ || !aligned) continue;
        const n = s.charCodeAt(i + 1);
        if (n < 128 && HASH_DIRECTIVE_FIRST.indexOf(String.fromCharCode(n).toLowerCase()) < 0) continue;
      }
      const c = s[i]!;
      const c1 = s[i + 1]!;
      let rule = '';
      let bodyLen = 0;
      if (c === '{' && c1 === '{') {
        const body = enclosed(s, i + 2, 600, cfMustache);
        if (body !== null) {
          rule = jm.judge(body, 'mustache', i + 2, i + 2 + body.length, true);
          // Handlebars prototype escape
          if (!rule && hasConstructor && /^#with\b|^#each\b/.test(body.trim()))
            rule = 'ssti.template-internals';
          bodyLen = body.length;
        }
      } else if (c === '{' && c1 === '%') {
        const body = enclosed(s, i + 2, 600, cfStatement);
        if (body !== null) {
          rule = jm.judge(body, 'other', i + 2, i + 2 + body.length, false);
          if (
            !rule &&
            jm.wf.any(i + 2, i + 2 + body.length) &&
            STATEMENT.test(body.trim().toLowerCase()) &&
            cfStatement.find(i + 2) > 0
          )
            rule = 'ssti.template-statement';
          bodyLen = body.length;
        }
      } else if ((c === '$' || c === '#' || c === '*' || c === '~' || c === '@' || c === '%') && c1 === '{') {
        const body = enclosed(s, i + 2, 600, cfBrace);
        if (body !== null) {
          rule = jm.judge(
            body,
            c === '$' ? 'dollar' : c === '#' ? 'hash' : 'other',
            i + 2,
            i + 2 + body.length,
            true,
          );
          bodyLen = body.length;
        }
      } else if (c === '<' && c1 === '%') {
        const from = i + 2 + (s[i + 2] === '=' || s[i + 2] === '-' ? 1 : 0);
        const body = enclosed(s, from, 600, cfErb);
        if (body !== null && cfErb.find(i) > 0) {
          rule = jm.judge(body, 'erb', from, from + body.length, false);
          if (!rule && /\b(?:system|exec|spawn|popen|eval|open)\s*[('"`]|`|%x\{|\bfile\.|\bio\./i.test(body))
            rule = 'ssti.template-statement';
          if (!rule && STATEMENT.test(body.trim().toLowerCase())) rule = 'ssti.template-statement';
          bodyLen = body.length;
        }
      } else if (
        (c === '<' || c === '[') &&
        c1 === '#' &&
        /^(?:assign|list|if|include|import|macro|function|global|local|setting|attempt)\b/.test(
          low.slice(i + 2, i + 12),
        )
      ) {
        rule = 'ssti.template-statement';
      } else if (
        c === '#' &&
        HASH_DIRECTIVE_FIRST.indexOf(low[i + 1] ?? ' ') >= 0 &&
        /^(?:set|foreach|evaluate|include|parse|define|macro)\s*\(/.test(low.slice(i + 1, i + 12)) &&
        (i === 0 || !/\w/.test(s[i - 1]!))
      ) {
        const body = s.slice(i, i + 200);
        if (/\$\w|["']/.test(body)) rule = 'ssti.template-statement';
      } else if (
        c === '{' &&
        (low.startsWith('php}', i + 1) ||
          low.startsWith('/php}', i + 1) ||
          low.startsWith('$smarty', i + 1) ||
          low.startsWith('system(', i + 1) ||
          low.startsWith('self::', i + 1) ||
          low.startsWith('smarty_internal', i + 1))
      ) {
        rule =
          low.startsWith('php}', i + 1) || low.startsWith('/php}', i + 1)
            ? 'ssti.template-statement'
            : 'ssti.template-internals';
      } else if (c === '@' && c1 === '(' && (i === 0 || !/\w/.test(s[i - 1]!))) {
        const body = enclosed(s, i + 2, 200, cfParen);
        if (body !== null && (ARITH.test(body) || JAVA_EL.test(body.toLowerCase())))
          rule = 'ssti.expression-probe';
      } else if (c === '_' && c1 === '_' && s[i + 2] === '$' && s[i + 3] === '{') {
        // Thymeleaf preprocessing `__${...}__::`
        rule = 'ssti.java-el';
      }
      if (rule) {
        report.value(rule, v, 'norm', ev(i, bodyLen + 4));
        return;
      }
    }
    // Python object walking without delimiters: two distinct dunders chained
    DUNDER.lastIndex = 0;
    const first = DUNDER.exec(low);
    if (first) {
      const second = DUNDER.exec(low);
      if (second && second[0] !== first[0])
        report.value('ssti.python-object-walk', v, 'norm', ev(first.index, 40));
    }
  },
});

/** Cookie names the parser accepts as plain (`java.lang.Runtime=x`) are not values: read the header. */
function inspectCookieNames(req: ParsedRequest, report: Reporter): void {
  const cookies = req.headers.get('cookie');
  if (!cookies) return;
  for (const c of cookies) {
    const low = c.toLowerCase();
    if (low.indexOf('java') < 0 && low.indexOf('class') < 0) continue;
    for (const piece of low.split(';')) {
      const eq = piece.indexOf('=');
      const name = (eq < 0 ? piece : piece.slice(0, eq)).trim();
      const m = SPRING.exec(name) ?? JAVA_CLASS.exec(name);
      if (m) {
        report.request(
          SPRING.test(name) ? 'ssti.spring-classloader' : 'ssti.java-class',
          `cookie.name:${name}`,
          name,
        );
        return;
      }
    }
  }
}

/** Java process classes, Spring class-loader binding, reflection: reported wherever they occur. */
function checkJava(v: Value, low: string, report: Reporter): boolean {
  let m = SPRING.exec(low);
  if (m) {
    report.value('ssti.spring-classloader', v, 'norm', snippet(low, m.index, m[0].length, 120));
    return true;
  }
  m = JAVA_CLASS.exec(low);
  if (m) {
    report.value('ssti.java-class', v, 'norm', snippet(low, m.index, m[0].length, 120));
    return true;
  }
  m = JAVA_EL.exec(low);
  if (m && /\(|#|@/.test(low)) {
    report.value('ssti.java-el', v, 'norm', snippet(low, m.index, m[0].length, 120));
    return true;
  }
  return false;
}
