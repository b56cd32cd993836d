import { ruleDefiner, type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { ARGS, Kind, type Value } from '../../value.js';
import { base64Bytes } from '../../decode/index.js';
import { LiteralSet } from './literal-set.js';

// java_class v2: whole values and code context moved to java_class_injection.
const r = ruleDefiner('deserialization', { java_class: 2 });

/**
 * Serialized-object markers (CRS 944 and the PHP part of 933170): Java streams and gadget classes,
 * PHP `O:` objects, .NET BinaryFormatter / Json.NET `$type` gadgets, Python pickle, YAML tags that
 * build objects, node-serialize functions and Ruby Marshal gadgets. A marker is a format's magic or
 * a gadget name: random tokens, session ids and JWTs carry neither.
 */
const RULES: readonly RuleDef[] = [
  r(
    'java_stream',
    'critical',
    0.95,
    'Java serialized stream magic (rO0AB / aced0005 / \\xac\\xed\\x00\\x05)',
  ),
  r(
    'java_gadget',
    'critical',
    0.9,
    'Java deserialization gadget or command class (InvokerTransformer, java.lang.Runtime, ...)',
  ),
  r('java_class', 'high', 0.6, 'fully-qualified Java platform class name in input'),
  r(
    'java_class_injection',
    'critical',
    0.85,
    'a Java platform class as a whole input value, name or key, or in code context (T(...), new X(, @X@)',
  ),
  r(
    'java_b64_keyword',
    'critical',
    0.85,
    'base64-encoded Java gadget keyword (runtime, processbuilder, ...)',
  ),
  r('php_object', 'critical', 0.9, 'PHP serialized object O:<len>:"Class":<n>:{'),
  r('php_array', 'medium', 0.6, 'PHP serialized array a:<n>:{i:..;s:..}'),
  r('dotnet', 'critical', 0.9, '.NET BinaryFormatter stream or Json.NET/XAML gadget type'),
  r('python_pickle', 'critical', 0.9, 'Python pickle opcodes or base64 pickle header'),
  r('yaml_tag', 'critical', 0.9, 'YAML tag constructing an arbitrary object (!!python/object, !!javax...)'),
  r('node_serialize', 'critical', 0.95, 'node-serialize / funcster function marker'),
  r('ruby_marshal', 'critical', 0.85, 'Ruby Marshal stream carrying a known gadget class'),
];

// Gadget chain classes (ysoserial, marshalsec) and command classes; matched in lower case.
const JAVA_GADGETS = [
  'invokertransformer',
  'chainedtransformer',
  'constanttransformer',
  'instantiatetransformer',
  'clonetransformer',
  'instantiatefactory',
  'prototypeclonefactory',
  'prototypeserializationfactory',
  'forclosure',
  'whileclosure',
  'templatesimpl',
  'jdbcrowsetimpl',
  'annotationinvocationhandler',
  'badattributevalueexpexception',
  'lazymap',
  'tiedmapentry',
  'priorityqueue',
  'beancomparator',
  'javax.script.scriptenginemanager',
  'javax.naming.initialcontext',
  'java.beans.xmldecoder',
  'java.net.urlclassloader',
  'ysoserial',
  'com.sun.org.apache',
  'com.sun.rowset',
  'com.sun.jndi',
  'org.apache.commons.collections',
  'com.opensymphony.xwork2',
  'org.omg.corba',
  'bsh.interpreter',
  'groovy.util.expando',
  'org.codehaus.groovy.runtime',
  'com.mchange.v2.c3p0',
  'org.springframework.beans.factory.objectfactory',
  'filesystemxmlapplicationcontext',
  'classpathxmlapplicationcontext',
];
// `java.lang.Runtime`, `java.Runtime`, `java.evil.ProcessBuilder`: a dotted Java name ending in a command class.
// Platform class names (CRS 944130's list, generalised): suspicious, not conclusive.
const JAVA_CLASS =
  /\b(?:(?:java|javax|sun|jdk)\.(?:lang|io|nio|net|util|rmi|beans|security|script|naming|management|misc)\.[a-z_$][\w$]*|org\.apache\.commons\b|com\.sun\.[a-z]+)/;
// Runtime/ProcessBuilder on their own only count next to a gadget word (CRS 944240).
const CMD_CLASS_WORD = /\b(?:runtime|processbuilder)\b/;
const GADGET_WEAK = /\b(?:getproperty|filewriter|xmldecoder)\b/;

const DOTNET_GADGETS = [
  'objectdataprovider',
  'typeconfusedelegate',
  'windowsidentity',
  'windowsclaimsidentity',
  'activitysurrogateselector',
  'textformattingrunproperties',
  'psobject',
  'xamlreader',
  'assemblyinstaller',
  'rolepricipal',
  'roleprincipal',
  'sessionsecuritytoken',
  'claimsidentity',
  'objectstateformatter',
  'losformatter',
  'system.diagnostics.process',
  'system.management.automation',
  'system.windows.data',
  'system.configuration.install',
  'system.workflow.componentmodel',
];

const PICKLE_GLOBAL =
  /(?:^|[\n(.]|\bc)(?:os|posix|nt|subprocess|builtins|__builtin__|commands|pty|socket|sys|platform|webbrowser|runpy|importlib|pickle|timeit|code)\n(?:system|popen|exec|eval|call|check_output|getoutput|run|spawn|execv|execl|__import__|import_module|loads|open|compile|interact|timeit|_run_code|getattr)\b/;
const PICKLE_B64 =
  /(?:^|[^A-Za-z0-9+/])(?:gASV|gAWV|gAJj|gANj|gAJ9|gAN9|Y29zCn|Y3Bvc2l4Cn|Y19fYnVpbHRpbl9fCn|Y2J1aWx0aW5zCn|Y3N1YnByb2Nlc3MK)/;
const YAML_TAG =
  /!!(?:python\/(?:object(?:\/apply|\/new)?|name|module)|javax?\.|com\.sun\.|org\.(?:apache|springframework|codehaus)|ruby\/)|!ruby\/(?:object|hash|struct|marshal)|\btag:yaml\.org,2002:python\//;
const PHP_OBJECT = /(?:^|[^A-Za-z0-9_])[oc]:\+?\d{1,4}:"[a-z_\\][\w\\]{0,200}":\d{1,5}:\{/i;
const PHP_ARRAY = /(?:^|[^A-Za-z0-9_])a:\d{1,5}:\{(?:i:\d|s:\d{1,5}:"|\})/;

/** base64 encodings of gadget keywords at the three byte alignments (as CRS 944300 does). */
function b64Variants(words: readonly string[]): string[] {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const enc = (bytes: number[]) => {
    let out = '';
    for (let i = 0; i + 2 < bytes.length; i += 3) {
      const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      out += A[(n >> 18) & 63]! + A[(n >> 12) & 63]! + A[(n >> 6) & 63]! + A[n & 63]!;
    }
    return out;
  };
  const out = new Set<string>();
  for (const w of words) {
    const b = [...w].map((c) => c.charCodeAt(0));
    for (let pad = 0; pad < 3; pad++) {
      const bytes = [...Array<number>(pad).fill(0), ...b];
      const full = bytes.length - (bytes.length % 3);
      const s = enc(bytes.slice(0, full));
      // Drop the characters made only of the unknown leading bytes; like CRS, the character that mixes
      // them with the keyword assumes low bits of 0 (ASCII space, quote, digits end so often enough).
      const stable = s.slice(pad === 0 ? 0 : pad === 1 ? 1 : 2);
      if (stable.length >= 7) out.add(stable);
    }
  }
  return [...out];
}
const B64_KEYWORDS = b64Variants([
  'runtime',
  'processbuilder',
  'clonetransformer',
  'forclosure',
  'instantiatefactory',
  'instantiatetransformer',
  'invokertransformer',
  'prototypeclonefactory',
  'prototypeserializationfactory',
  'whileclosure',
  'java.lang.Runtime',
  'ProcessBuilder',
  'InvokerTransformer',
]);

/** Every literal one of `plainChecks`' markers needs: values holding none skip them all. */
const PLAIN_MARKERS = new LiteralSet([
  'rO0AB',
  'KztAAU',
  'Cs7QAF',
  ...caseVariants('aced0005'),
  'AAEAAAD/////',
  ...'gASV gAWV gAJj gANj gAJ9 gAN9 Y29zCn Y3Bvc2l4Cn Y19fYnVpbHRpbl9fCn Y2J1aWx0aW5zCn Y3N1YnByb2Nlc3MK'.split(
    ' ',
  ),
  'BAh',
  ...B64_KEYWORDS,
]);
/** Every literal one of `javaNames`' tests needs (gadgets, `JAVA_CLASS` roots, command class words). */
const JAVA_MARKERS = new LiteralSet([
  ...JAVA_GADGETS,
  'java.',
  'javax.',
  'sun.',
  'jdk.',
  'org.apache.commons',
  'runtime',
  'processbuilder',
]);

/** All upper/lower-case spellings of an ASCII word. */
function caseVariants(w: string): string[] {
  let out = [''];
  for (const c of w) {
    const u = c.toUpperCase();
    out = u === c ? out.map((p) => p + c) : out.flatMap((p) => [p + c, p + u]);
  }
  return out;
}

const RUBY_GADGETS =
  /Gem::(?:Requirement|StubSpecification|Installer|Source|Package|RequestSet)|Net::(?:WriteAdapter|BufferedIO)|DeprecatedInstanceVariableProxy|ActiveSupport::|ActionDispatch::|Rack::Response|ERB\b/;

/** Creates the deserialization detector. */
export const createDeserializationDetector: DetectorFactory = () => {
  const kinds = ARGS | Kind.header | Kind.bodyRaw | Kind.path | Kind.pathSegment;

  function inspectValue(v: Value, report: Reporter): void {
    // Argument and cookie names made of word characters and dots are not separate values: look at them here.
    if ((v.kind & (Kind.arg | Kind.cookie)) !== 0 && v.name.length > 5 && v.name !== v.raw) {
      if (v.name.indexOf('.') > 0) {
        if (!wholeClass(v, v.name, report)) javaNames(v, v.name.toLowerCase(), report);
      } else if (/^[A-Za-z0-9_-]+$/.test(v.name)) plainChecks(v, v.name, report, false);
    }
    const raw = v.raw;
    if (raw.length < 5) return;
    // Binary Java stream (a raw body read as Latin-1 / lenient UTF-8).
    const bin = raw.indexOf('\u00ac\u00ed\u0000\u0005');
    if (bin >= 0) {
      report.value('deserialization.java_stream', v, 'raw', '\\xac\\xed\\x00\\x05', 0.98);
      return;
    }
    if (v.isPlain) {
      // Plain values: only the pure-alphanumeric markers can be there.
      plainChecks(v, raw, report);
      return;
    }
    plainChecks(v, raw, report);
    const norm = v.view('norm');
    const lower = v.view('lower');
    const f = v.flags;

    if (f & 0x40 /* brace */ && f & 0x200 /* colon */ && f & 0x1 /* quote */) {
      const m = PHP_OBJECT.exec(norm);
      if (m) report.value('deserialization.php_object', v, 'norm', snippet(norm, m.index, m[0].length, 120));
      else {
        const a = PHP_ARRAY.exec(norm);
        if (a) report.value('deserialization.php_array', v, 'norm', snippet(norm, a.index, a[0].length, 120));
      }
    }
    if (lower.indexOf('_$$nd_func$$_') >= 0 || lower.indexOf('__js_function') >= 0) {
      report.value(
        'deserialization.node_serialize',
        v,
        'lower',
        snippet(lower, lower.indexOf('_$$nd_func'), 20, 120),
      );
    }
    if (lower.indexOf('!') >= 0) {
      const m = YAML_TAG.exec(lower);
      if (m) report.value('deserialization.yaml_tag', v, 'lower', snippet(lower, m.index, m[0].length, 120));
    }
    if (f & 0x20000 /* newline */) {
      const m = PICKLE_GLOBAL.exec(norm);
      if (m)
        report.value('deserialization.python_pickle', v, 'norm', snippet(norm, m.index, m[0].length, 80));
    }
    if (lower.indexOf('__reduce__') >= 0 && lower.indexOf('(') >= 0)
      report.value('deserialization.python_pickle', v, 'lower', '__reduce__', 0.7);
    dotnet(v, lower, report);
    if (f & 0x100 /* dot */ && !wholeClass(v, norm, report)) javaNames(v, lower, report);
  }

  /** A value that is nothing but a Java platform class (CRS 944130's shapes): reported, true. */
  function wholeClass(v: Value, s: string, report: Reporter): boolean {
    // A text/plain form body (`enctype="text/plain"`) is `name=value` lines: each side is a value.
    if (v.kind === Kind.bodyRaw && s.length <= 2048 && s.indexOf('=') > 0) {
      for (const pair of s.split(/[&\r\n]/)) {
        const eq = pair.indexOf('=');
        if (eq < 0) continue;
        if (wholeClass1(v, pair.slice(0, eq), report) || wholeClass1(v, pair.slice(eq + 1), report))
          return true;
      }
      return false;
    }
    return wholeClass1(v, s, report);
  }

  function wholeClass1(v: Value, s: string, report: Reporter): boolean {
    if (s.length > 120 || s.length < 8) return false;
    const t = unwrap(s);
    if (!isPlatformClass(t)) return false;
    report.value('deserialization.java_class_injection', v, 'norm', t);
    return true;
  }

  function plainChecks(v: Value, raw: string, report: Reporter, names = true): void {
    if (PLAIN_MARKERS.any(raw)) {
      if (markerChecks(v, raw, report)) return;
    }
    if (names && v.isPlain && raw.indexOf('.') >= 0) {
      const lower = v.view('lower');
      dotnet(v, lower, report);
      if (!wholeClass(v, raw, report)) javaNames(v, lower, report);
    }
  }

  /** Stream magics and base64 gadget words; true when one was reported. */
  function markerChecks(v: Value, raw: string, report: Reporter): boolean {
    let i = raw.indexOf('rO0AB');
    if (i < 0) i = raw.indexOf('KztAAU');
    if (i < 0) i = raw.indexOf('Cs7QAF');
    if (i >= 0) {
      report.value('deserialization.java_stream', v, 'raw', snippet(raw, i, 6, 60));
      return true;
    }
    const hx = raw.search(/aced0005/i);
    if (hx >= 0) {
      report.value('deserialization.java_stream', v, 'raw', snippet(raw, hx, 8, 60), 0.85);
      return true;
    }
    if (raw.indexOf('AAEAAAD/////') >= 0) {
      report.value('deserialization.dotnet', v, 'raw', 'AAEAAAD/////');
      return true;
    }
    if (raw.length >= 8) {
      const p = PICKLE_B64.exec(raw);
      if (p) {
        report.value('deserialization.python_pickle', v, 'raw', snippet(raw, p.index, 8, 60), 0.8);
        return true;
      }
      if (raw.indexOf('BAh') >= 0) rubyMarshal(v, raw, report);
      if (raw.length >= 10 && /[A-Za-z0-9+/]{10}/.test(raw)) {
        for (const k of B64_KEYWORDS) {
          const j = raw.indexOf(k);
          if (j >= 0) {
            report.value('deserialization.java_b64_keyword', v, 'raw', snippet(raw, j, k.length, 60));
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Json.NET `$type` and XAML / BinaryFormatter gadget types. */
  function dotnet(v: Value, lower: string, report: Reporter): void {
    const typed = v.name === '$type' || lower.indexOf('$type') >= 0;
    if (!typed && lower.indexOf('xmlns') < 0 && lower.indexOf('system.') < 0) return;
    for (const g of DOTNET_GADGETS) {
      const i = lower.indexOf(g);
      if (i >= 0 && (typed || lower.indexOf('<') >= 0 || lower.indexOf(',') >= 0)) {
        report.value('deserialization.dotnet', v, 'lower', snippet(lower, i, g.length, 120));
        return;
      }
    }
  }

  function rubyMarshal(v: Value, raw: string, report: Reporter): void {
    const m = /BAh[A-Za-z0-9+/_-]{16,}={0,2}/.exec(raw);
    if (!m) return;
    let tok = m[0];
    while (tok.endsWith('=')) tok = tok.slice(0, -1);
    const bytes = base64Bytes(tok);
    if (!bytes) return;
    let s = '';
    for (let i = 0; i < bytes.length && i < 8192; i++) s += String.fromCharCode(bytes[i]!);
    const g = RUBY_GADGETS.exec(s);
    if (g) report.value('deserialization.ruby_marshal', v, 'raw', `Marshal: ${g[0]}`);
  }

  function javaNames(v: Value, lower: string, report: Reporter): void {
    if (!JAVA_MARKERS.any(lower)) return;
    for (const g of JAVA_GADGETS) {
      const i = lower.indexOf(g);
      if (i >= 0) {
        report.value('deserialization.java_gadget', v, 'lower', snippet(lower, i, g.length, 120));
        return;
      }
    }
    const c = javaCommandClass(lower);
    if (c >= 0) {
      report.value('deserialization.java_gadget', v, 'lower', snippet(lower, c, 40, 120));
      return;
    }
    if (CMD_CLASS_WORD.test(lower) && GADGET_WEAK.test(lower)) {
      report.value('deserialization.java_gadget', v, 'lower', snippet(lower, 0, 0, 120), 0.7);
      return;
    }
    const k = JAVA_CLASS.exec(lower);
    if (k) {
      const code = codeContext(lower, k.index, k.index + k[0].length);
      report.value(
        code ? 'deserialization.java_class_injection' : 'deserialization.java_class',
        v,
        'lower',
        snippet(lower, k.index, k[0].length, 120),
      );
    }
  }

  /**
   * JSON keys made only of word characters are not values for the parser: a serialized stream used
   * as a key (`{"rO0ABQ...": {}}`) is looked for here.
   */
  function inspectRequest(req: ParsedRequest, report: Reporter): void {
    if (req.bodyFormat !== 'json') return;
    const body = req.body;
    if (
      body.indexOf('rO0AB') < 0 &&
      body.indexOf('KztAAU') < 0 &&
      body.indexOf('Cs7QAF') < 0 &&
      body.search(/aced0005/i) < 0
    )
      return;
    // A key with a string value is already seen as that value's name.
    const re = /"([A-Za-z0-9_-]{5,4096})"\s*:\s*(")?/g;
    let m: RegExpExecArray | null;
    let guard = 0;
    while ((m = re.exec(body)) !== null && guard++ < 512) {
      if (m[2]) continue;
      const k = m[1]!;
      const i = k.search(/rO0AB|KztAAU|Cs7QAF|aced0005/i);
      if (i >= 0) {
        report.request(
          'deserialization.java_stream',
          `body.json.key:${k.slice(0, 40)}`,
          snippet(k, i, 6, 60),
        );
        return;
      }
    }
  }

  return { class: 'deserialization', rules: RULES, kinds, inspectValue, inspectRequest };
};

const CMD_CLASSES = new Set(['runtime', 'processbuilder', 'processimpl', 'unixprocess']);

/**
 * `java.lang.Runtime`, `java.Runtime`, `java.evil.ProcessBuilder`: a dotted Java name that starts
 * with `java` and has a command class as a later segment. Index of `java`, or -1.
 */
function javaCommandClass(s: string): number {
  let i = s.indexOf('java.');
  let guard = 0;
  while (i >= 0 && guard++ < 16) {
    const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
    if (!(prev >= 97 && prev <= 122) && !(prev >= 48 && prev <= 57) && prev !== 95) {
      let e = i;
      while (e < s.length && e - i < 300 && /[a-z0-9_$.]/.test(s[e]!)) e++;
      const segs = s.slice(i, e).split('.');
      for (let k = 1; k < segs.length && k <= 7; k++) if (CMD_CLASSES.has(segs[k]!)) return i;
    }
    i = s.indexOf('java.', i + 5);
  }
  return -1;
}

/** Drops surrounding whitespace, one pair of quotes and a trailing `.class` / `[]` / `;`. */
function unwrap(s: string): string {
  let t = s.trim();
  const q = t.charCodeAt(0);
  if ((q === 34 || q === 39) && t.charCodeAt(t.length - 1) === q) t = t.slice(1, -1).trim();
  if (t.endsWith(';')) t = t.slice(0, -1);
  if (t.endsWith('[]')) t = t.slice(0, -2);
  if (t.endsWith('.class')) t = t.slice(0, -6);
  return t;
}

// Packages named by CRS 944130 that count even without a class (they are never a plain value).
const RISKY_PACKAGES = new Set([
  'java.lang.reflect',
  'java.lang.invoke',
  'org.apache.commons',
  'org.apache.struts',
  'org.apache.struts2',
  'com.sun.org.apache',
  'org.omg.corba',
  'com.opensymphony.xwork2',
  'javax.script',
  'javax.naming',
  'java.rmi',
  'sun.misc',
]);
const PLATFORM_ROOT =
  /^(?:java|javax|jdk|sun|com\.sun|org\.omg|com\.opensymphony|org\.apache\.(?:commons|struts2?|xalan|xbean|bcel|naming|tomcat|catalina))\./;
const DOTTED_NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*){1,8}$/;

/**
 * `java.io.File`, `javax.script.ScriptEngineManager`, `org.apache.commons.collections.Transformer`:
 * a dotted name under a JDK or exploit-prone package whose last segment is a class (upper-case
 * initial), or one of the risky packages themselves. Logger names (`org.apache.commons.httpclient`)
 * and Java words in prose do not match.
 */
function isPlatformClass(t: string): boolean {
  if (!DOTTED_NAME.test(t)) return false;
  const low = t.toLowerCase();
  if (RISKY_PACKAGES.has(low)) return true;
  if (!PLATFORM_ROOT.test(low)) return false;
  // Everyday collection and value types are what developers search docs and forums for.
  if (low.startsWith('java.util.') && EVERYDAY_UTIL.has(low.slice(10))) return false;
  const dot = t.lastIndexOf('.');
  const last = t.slice(dot + 1);
  const c = last.charCodeAt(0);
  if (c >= 65 && c <= 90) return true;
  // `java.lang.string`: a core package holds classes, and its few sub-packages are known.
  return CORE_PACKAGES.has(low.slice(0, dot)) && !SUB_PACKAGES.has(last.toLowerCase());
}
const EVERYDAY_UTIL = new Set(
  'list arraylist linkedlist map hashmap treemap linkedhashmap set hashset treeset linkedhashset collection collections arrays optional date calendar uuid locale objects iterator stream scanner random deque arraydeque queue'.split(
    ' ',
  ),
);
const CORE_PACKAGES = new Set([
  'java.lang',
  'java.io',
  'java.net',
  'java.nio',
  'java.util',
  'java.beans',
  'java.rmi',
  'java.security',
]);
const SUB_PACKAGES = new Set(
  'reflect invoke annotation ref management instrument module file channels charset concurrent function stream regex zip jar logging prefs spi http atomic locks registry server dgc activation cert spec interfaces acl'.split(
    ' ',
  ),
);

/**
 * Code around a class name: `T(java.io.File)`, `@java.lang.System@`, `new java.io.File(`,
 * `"@type":"java.net.URL"`, `java.lang.Class.forName(`, `java.io.File(`.
 */
function codeContext(s: string, start: number, end: number): boolean {
  const before = s.slice(Math.max(0, start - 12), start);
  if (/(?:\bt ?\( ?|@|\bnew {1,3}|["']@(?:type|class)["'] ?: ?["']|\bclass ?= ?["']?)$/.test(before))
    return true;
  const after = s.slice(end, end + 16);
  return /^(?: ?\(|@|\.(?:class\b|forname|getruntime|getmethod|getdeclared|newinstance|exec\b|invoke))/.test(
    after,
  );
}
