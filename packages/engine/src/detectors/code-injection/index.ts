import { ruleDefiner, type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';
import { phpCallableGroup, phpConcatName, phpVariableCall, riskyPhpName } from './php-callable.js';

const r = ruleDefiner('code_injection');

/**
 * Server-side code injection outside templates (CRS 933 PHP, 934 Node/Python/Ruby/Perl, and the Java
 * expression shapes of 944). The idea is call syntax, not words: `system(` with an argument is code,
 * "the system is down" is prose. Every regex is linear (no nested quantifiers).
 */
const RULES: readonly RuleDef[] = [
  r('php_tag', 'critical', 0.9, 'PHP open tag (<?php, <?=, <? code)'),
  r('php_bbtag', 'high', 0.6, 'PHP code block tag ([php], {php})'),
  r('php_function', 'critical', 0.9, 'call of a dangerous PHP function (system, eval, base64_decode, ...)'),
  r(
    'php_function_name',
    'critical',
    0.75,
    'high-risk PHP function name that is no everyday word (base64_decode, gzinflate, shell_exec, ...)',
  ),
  r(
    'php_function_weak',
    'medium',
    0.5,
    'call of a PHP function often used in injected code (chr, substr, ...)',
  ),
  r('php_superglobal', 'critical', 0.85, 'PHP superglobal access ($_GET[..], $_SERVER[..], $GLOBALS[..])'),
  r('php_variable_call', 'critical', 0.85, 'PHP variable function call ($a(1), ${"x"}(1), $_[0](...))'),
  r('php_wrapper', 'critical', 0.9, 'PHP stream wrapper (php://, phar://, expect://)'),
  r('php_ini', 'critical', 0.8, 'PHP configuration directive that enables code loading'),
  r(
    'node',
    'critical',
    0.9,
    'Node.js server-side code (child_process, process.mainModule, constructor chains)',
  ),
  r('node_weak', 'medium', 0.5, 'Node.js code fragment (process.env, new Function, while(true))'),
  r('python', 'critical', 0.9, 'Python code execution (__import__, os.system, subprocess)'),
  r('ruby', 'critical', 0.85, 'Ruby code execution (Kernel.exec, IO.popen, %x())'),
  r('perl', 'critical', 0.85, 'Perl interpolated code block @{[ ... ]}'),
  r('java', 'critical', 0.9, 'Java/OGNL/SpEL code execution (Runtime.getRuntime, class.module.classLoader)'),
];

// PHP functions whose call is an attack in request data (CRS 933150 and friends).
const PHP_STRONG = [
  'system',
  'exec',
  'passthru',
  'shell_exec',
  'popen',
  'proc_open',
  'pcntl_exec',
  'eval',
  'assert',
  'assert_options',
  'create_function',
  'call_user_func',
  'call_user_func_array',
  'preg_replace',
  'base64_decode',
  'gzinflate',
  'gzuncompress',
  'gzdecode',
  'bzdecompress',
  'zlib_decode',
  'str_rot13',
  'file_put_contents',
  'file_get_contents',
  'fopen',
  'fwrite',
  'fputs',
  'readfile',
  'highlight_file',
  'show_source',
  'phpinfo',
  'include',
  'include_once',
  'require',
  'require_once',
  'move_uploaded_file',
  'fsockopen',
  'pfsockopen',
  'stream_socket_client',
  'curl_exec',
  'curl_init',
  'ini_set',
  'putenv',
  'dl',
  'symlink',
  'chmod',
  'chown',
  'unlink',
  'rmdir',
  'mkdir',
  'get_defined_vars',
  'get_defined_functions',
  'array_map',
  'array_filter',
  'array_walk',
  'usort',
  'uasort',
  'register_shutdown_function',
  'register_tick_function',
  'ob_start',
  'unserialize',
  'posix_getpwuid',
  'posix_getegid',
  'posix_geteuid',
  'posix_kill',
  'posix_setuid',
  'file_exists',
  'is_writable',
  'fileperms',
  'parse_str',
  'extract',
  'mb_ereg_replace',
  'escapeshellcmd',
  'escapeshellarg',
  'print_r',
  'var_dump',
  'var_export',
  'strrev',
  'hex2bin',
  'convert_uudecode',
  'glob',
  'scandir',
  'opendir',
  'touch',
  'chroot',
  'filegroup',
  'fileowner',
  'gethostbyname',
  'checkdate',
  'crypt',
  'serialize',
  'unpack',
  'strip_tags',
  'file',
  'copy',
  'rename',
  'tmpfile',
  'tempnam',
  'link',
  'lchown',
  'chgrp',
];
// Common English words among them: they need code-looking arguments, not prose.
const PHP_WORDS = new Set([
  'system',
  'exec',
  'eval',
  'assert',
  'include',
  'require',
  'file',
  'copy',
  'rename',
  'link',
  'touch',
  'glob',
  'crypt',
  'serialize',
  'unpack',
  'extract',
  'symlink',
  'chmod',
  'chown',
  'mkdir',
  'unlink',
  'usort',
  'dl',
  'fopen',
  'fwrite',
  'fputs',
  'readfile',
  'checkdate',
  'chroot',
  'array_map',
]);
const PHP_WEAK = [
  'chr',
  'ord',
  'substr',
  'strlen',
  'printf',
  'sprintf',
  'intval',
  'implode',
  'explode',
  'str_replace',
  'preg_match',
  'md5',
  'sha1',
  'urldecode',
  'rawurldecode',
  'htmlspecialchars_decode',
  'is_array',
  'is_int',
  'array_diff',
  'date_add',
  'range',
  'pi',
  'ucfirst',
  'strtolower',
  'strtoupper',
  'trim',
];
const PHP_STRONG_SET = new Set(PHP_STRONG);
const PHP_WEAK_SET = new Set(PHP_WEAK);

const PHP_TAG = /<\?(?:\s*php\s*[^\s?]|=|[\s]+[a-z$_(@`])|<\?xml\s*:|\[\/?php\]|\{\/?php\}/i;
const PHP_SUPERGLOBAL =
  /\$(?:_(?:get|post|request|cookie|server|files|env|session)|globals|http_(?:get|post|cookie|server)_vars)\b\s*(\[|=|\)|;|\.)?/i;
const PHP_WRAPPER =
  /\b(?:php:\/\/(?:input|filter|stdin|stdout|stderr|memory|temp|fd|output)|phar:\/\/|expect:\/\/|zlib:\/\/|glob:\/\/|ogg:\/\/|rar:\/\/|ssh2\.(?:shell|exec):\/\/)/i;
// php.ini directives (CRS 933120): the namespaced families and the underscore names that change what
// PHP loads, runs or reveals, followed by an assignment.
const PHP_INI =
  /\b(?:allow_url_include|allow_url_fopen|auto_prepend_file|auto_append_file|disable_functions|disable_classes|open_basedir|safe_mode\w*|extension_dir|sendmail_path|error_log|include_path|opcache\.[a-z_]+|mbstring\.[a-z_]+|unserialize_max_depth|memory_limit|(?:session|assert|cgi|phar|zlib|pcre|user_ini|fastcgi)\.[a-z_0-9]+|register_globals|register_argc_argv|magic_quotes_[a-z]+|short_open_tag|asp_tags|expose_php|enable_dl|display_(?:startup_)?errors|error_reporting|log_errors|html_errors|track_errors|file_uploads|upload_tmp_dir|unserialize_callback_func|output_handler|doc_root|user_dir|max_execution_time|post_max_size|upload_max_filesize|always_populate_raw_post_data|allow_call_time_pass_reference|mail\.(?:add_x_header|force_extra_parameters|log))\s*=/i;

/** A regex and a lower-case literal every match contains: `indexOf` rejects most values before the regex runs. */
type Gated = readonly [string, RegExp];

// One regex per shape: a single alternation of them backtracks across shapes.
const NODE: readonly Gated[] = [
  ['require', /\brequire\s*\(\s*['"`]?(?:child_process|fs|net|vm|os|http)\b/i],
  ['child_process', /\bchild_process\b/i],
  ['process', /\bprocess\s*\.\s*(?:mainmodule|binding|dlopen|kill|exit)\b/i],
  ['process', /\bprocess\s*\[\s*['"`]?(?:mainmodule|binding|env|req\.)/i],
  ['global', /\bglobal\s*\.\s*process\b/i],
  ['require', /\brequire\s*\.\s*main\b/i],
  ['_load', /\bmodule\s*\.\s*constructor\s*\.\s*_load\b/i],
  ['constructor', /\bconstructor\s*\.\s*constructor\s*\(/i],
  ['constructor', /\.constructor\s*\.\s*constructor\b/i],
  ['fromcharcode', /\beval\s*\(\s*string\s*\.\s*fromcharcode/i],
  ['sync', /\b(?:execsync|spawnsync|execfilesync)\s*\(/i],
  ['require', /\brequire\s*\[/i],
  ['req.', /\b(?:process|require)\s*\[\s*req\./i],
  // CRS 934100: JavaScript code no value carries by accident — a Function constructor, an anonymous
  // function body, a module export, serialised functions (node-serialize, funcster)
  ['function', /\bnew\s+function\s*\(/i],
  ['function', /\bfunction\s*\(\s*\)\s*\{/i],
  ['exports', /\bmodule\s*\.\s*exports\s*=/i],
  ['_func', /_\$\$nd_func\$\$_|__js_function/i],
];
// One regex per shape: a single alternation of them backtracks across shapes.
// `while(true)`, `while(!0)`: matched on the value with whitespace removed.
const WHILE_LOOP =
  /while\((?:!+)?(?:false|true|[-+]?0|[-+]?1|[-+]?infinity|''|""|``|null|undefined|nan|\{\}|\[\]|newdate|this|string|\(true\))\)/;
const NODE_WEAK: readonly Gated[] = [
  ['process', /\bprocess\s*\.\s*env\s*(?:[.[);]|$)/i],
  ['process', /\bprocess\s*\[\s*['"]env/i],
  ['console', /\bconsole\s*(?:\.\s*[a-z]+|\[\s*['"][a-z]+['"]\s*\])\s*(?:\.\s*(?:call|apply)\s*)?\(/i],
];
const PYTHON: readonly Gated[] = [
  ['__import__', /\b__import__\s*\(/i],
  ['__builtins__', /\b__builtins__\b/i],
  ['os', /\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|fork|startfile)\s*\(/i],
  [
    'subprocess',
    /\bsubprocess\s*\.\s*(?:popen|call|run|check_output|check_call|getoutput|getstatusoutput)\b/i,
  ],
  ['pty', /\bpty\s*\.\s*spawn\s*\(/i],
  ['import_module', /\bimportlib\s*\.\s*import_module\s*\(/i],
  ['pickle', /\bpickle\s*\.\s*loads?\s*\(/i],
  ['compile', /\beval\s*\(\s*compile\s*\(/i],
  ['exec', /\bexec\s*\(\s*(?:compile|open|base64|__import__)/i],
  ['getattr', /\bgetattr\s*\(\s*__import__/i],
  ['__globals__', /\.__globals__\s*\[/i],
  ['getoutput', /\bcommands\s*\.\s*getoutput\s*\(/i],
];
const RUBY: readonly Gated[] = [
  ['kernel', /\bkernel\s*\.\s*(?:exec|system|spawn|open|eval|`)/i],
  ['popen', /\bio\s*\.\s*popen\s*\(/i],
  ['open3', /\bopen3\s*\.\s*(?:popen[23e]?|capture[23e]?)\b/i],
  ['%x', /(?:^|[^\w%])%x\s*[({[|!]/i],
  ['spawn', /\bprocess\s*\.\s*spawn\s*\(/i],
  ['_eval', /\b(?:instance|class|module)_eval\s*\(/i],
  ['.send', /\.send\s*\(\s*:(?:system|exec|eval|`)/i],
  ['objectspace', /\bobjectspace\s*\.\s*each_object\b/i],
];
const PERL = /@\s*\{\s*\[/;
const JAVA: readonly Gated[] = [
  ['getruntime', /\bruntime\s*\.\s*getruntime\s*\(\s*\)\s*\.\s*exec\b/i],
  ['getruntime', /\bgetruntime\s*\(\s*\)\s*\.\s*exec\s*\(/i],
  ['processbuilder', /\bnew\s+(?:java\.lang\.)?processbuilder\s*\(/i],
  ['classloader', /\bclass\s*\.\s*module\s*\.\s*classloader\b/i],
  ['classloader', /\bclass\s*\.\s*classloader\b/i],
  ['forname', /\bclass\s*\.\s*forname\s*\(/i],
  ['forname', /\.getclass\s*\(\s*\)\s*\.\s*forname\s*\(/i],
  ['#_memberaccess', /#_memberaccess\b/i],
  ['@ognl.ognlcontext@', /@ognl\.ognlcontext@/i],
  ['default_member_access', /\bognlcontext\s*\.\s*default_member_access/i],
  ['%{', /%\{\s*\(\s*#[a-z_]+\s*=/i],
  ['${', /\$\{\s*\(\s*#[a-z_]+\s*=/i],
  ['java.lang.', /\bt\s*\(\s*java\.lang\.(?:runtime|system|processbuilder)\s*\)/i],
  ['@java.lang.', /@java\.lang\.(?:runtime|system)@/i],
  ['getenginebyname', /\bscriptenginemanager\s*\(\s*\)\s*\.\s*getenginebyname\s*\(/i],
];

/** Creates the code_injection detector. */
export const createCodeInjectionDetector: DetectorFactory = () => {
  const kinds = ARGS | Kind.header | Kind.bodyRaw | Kind.path | Kind.pathSegment;
  const CODE_FLAGS =
    Flag.colon |
    Flag.slash |
    Flag.paren |
    Flag.angle |
    Flag.dollar |
    Flag.brace |
    Flag.bracket |
    Flag.dot |
    Flag.eq |
    Flag.at |
    Flag.percent;

  function inspectValue(v: Value, report: Reporter): void {
    if (
      (v.kind & (Kind.arg | Kind.cookie)) !== 0 &&
      v.name !== v.raw &&
      v.name.length > 3 &&
      !/^[\w-]*$/.test(v.name)
    ) {
      // argument and cookie names with dots or `$` are not separate values
      scanPhpGlobals(v, v.name, 'raw', report);
    }
    if ((v.kind & Kind.header) === 0 && v.raw.length >= 8) {
      // CRS 933150: high-risk names alone, in values, paths and cookies (not other headers)
      const lw = v.view('lower');
      const m = riskyPhpName(lw, (v.kind & (Kind.path | Kind.pathSegment)) !== 0);
      if (m)
        report.value('code_injection.php_function_name', v, 'lower', snippet(lw, m.index, m[0].length, 120));
      // funcster's serialised-function marker is a plain word: it must be seen before the plain-value exit
      const js = lw.indexOf('__js_function');
      if (js >= 0) report.value('code_injection.node', v, 'lower', snippet(lw, js, 13, 120));
    }
    if ((v.kind & Kind.arg) !== 0 && v.name.length >= 8 && v.name !== v.raw) {
      const m = riskyPhpName(v.name.toLowerCase(), false);
      if (m) report.value('code_injection.php_function_name', v, 'raw', v.name.slice(0, 60));
    }
    if (v.isPlain && v.raw.indexOf('=') < 0 && v.raw.indexOf('.') < 0) return;
    const f = v.flags;
    if ((f & CODE_FLAGS) === 0) return;
    const norm = v.view('norm');
    const lower = v.view('lower');
    const isHeader = (v.kind & Kind.header) !== 0;
    // User-Agent and Referer carry product tokens and URLs: only the unambiguous rules there.
    if (f & Flag.angle || f & Flag.bracket || f & Flag.brace) {
      // the `url` view: an HTML-escaped `&lt;?` is text, not a tag
      const url = v.view('url');
      const m = PHP_TAG.exec(url);
      if (m) {
        const t = m[0];
        if (t[0] === '[' || t[0] === '{')
          report.value('code_injection.php_bbtag', v, 'url', snippet(url, m.index, t.length, 120));
        else if (!isPiOnly(url, m.index))
          report.value('code_injection.php_tag', v, 'url', snippet(url, m.index, t.length + 30, 120));
      }
    }
    if (f & Flag.dollar) {
      scanPhpGlobals(v, norm, 'norm', report);
      if (f & Flag.paren) {
        const at = phpVariableCall(norm);
        if (at >= 0) report.value('code_injection.php_variable_call', v, 'norm', snippet(norm, at, 40, 120));
      }
    }
    if (f & Flag.colon && lower.indexOf('://') >= 0) {
      // every wrapper ends in `://`
      const m = PHP_WRAPPER.exec(lower);
      if (m)
        report.value('code_injection.php_wrapper', v, 'lower', snippet(lower, m.index, m[0].length, 120));
    }
    if (f & Flag.eq) {
      const m = PHP_INI.exec(lower);
      if (m && !isHeader)
        report.value('code_injection.php_ini', v, 'lower', snippet(lower, m.index, m[0].length + 20, 120));
    }
    if (f & Flag.at) {
      const m = PERL.exec(norm);
      if (m) report.value('code_injection.perl', v, 'norm', snippet(norm, m.index, 40, 120));
    }
    if (f & (Flag.paren | Flag.dot | Flag.bracket)) {
      const j = firstMatch(JAVA, lower);
      if (j) report.value('code_injection.java', v, 'lower', snippet(lower, j.index, j[0].length, 120));
      const n = firstMatch(NODE, lower);
      if (n) report.value('code_injection.node', v, 'lower', snippet(lower, n.index, n[0].length, 120));
      else if (!isHeader) {
        const w = firstMatch(NODE_WEAK, lower);
        if (w)
          report.value('code_injection.node_weak', v, 'lower', snippet(lower, w.index, w[0].length, 120));
        else if (lower.indexOf('while') >= 0) {
          const compact = lower.replace(/\s+/g, '');
          const l = WHILE_LOOP.exec(compact);
          if (l && !/^while\(!+true\)$/.test(l[0]))
            report.value('code_injection.node_weak', v, 'lower', l[0]);
        }
      }
      const p = firstMatch(PYTHON, lower);
      if (p) report.value('code_injection.python', v, 'lower', snippet(lower, p.index, p[0].length, 120));
      const rb = firstMatch(RUBY, lower);
      if (rb) report.value('code_injection.ruby', v, 'lower', snippet(lower, rb.index, rb[0].length, 120));
    }
    if (f & Flag.paren) {
      phpCalls(v, lower, isHeader, report);
      const g = phpCallableGroup(lower, PHP_STRONG_SET, PHP_WORDS);
      if (g)
        report.value(
          g.kind === 'variable' ? 'code_injection.php_variable_call' : 'code_injection.php_function',
          v,
          'lower',
          snippet(lower, g.at, 60, 120),
        );
      else if (f & Flag.quote) {
        const c = phpConcatName(lower, PHP_STRONG_SET);
        if (c >= 0) report.value('code_injection.php_function', v, 'lower', snippet(lower, c, 60, 120));
      }
    }
  }

  function scanPhpGlobals(v: Value, s: string, view: 'raw' | 'norm', report: Reporter): void {
    if (s.indexOf('$') < 0) return;
    const m = PHP_SUPERGLOBAL.exec(s);
    if (m)
      report.value('code_injection.php_superglobal', v, view, snippet(s, m.index, m[0].length + 20, 120));
  }

  /** `<?xml ...?>`, `<?xpacket`, `<?xml-stylesheet`: processing instructions, not PHP. */
  function isPiOnly(s: string, at: number): boolean {
    const rest = s.slice(at + 2, at + 12).toLowerCase();
    return /^x/.test(rest) && !/^xml\s*:/.test(rest);
  }

  function phpCalls(v: Value, lower: string, isHeader: boolean, report: Reporter): void {
    let weakAt = -1;
    let p = lower.indexOf('(');
    let guard = 0;
    while (p >= 0 && guard++ < 64) {
      const call = calleeBefore(lower, p);
      if (call) {
        const { name, at, spaced, commented } = call;
        const prev = at > 0 ? lower.charCodeAt(at - 1) : 0;
        const after = lower.slice(p + 1, p + 61);
        let strong = PHP_STRONG_SET.has(name);
        if (!strong && name.length > 8 && !isWordChar(prev)) {
          // `FOOcall_user_func()`: a long, distinctive function name glued to junk
          for (let i = 1; i + 8 <= name.length; i++) {
            const tail = name.slice(i);
            if (
              PHP_STRONG_SET.has(tail) &&
              !PHP_WORDS.has(tail) &&
              (tail.indexOf('_') > 0 || tail.length >= 9)
            ) {
              strong = true;
              break;
            }
          }
        }
        if (strong) {
          const ok =
            // a comment between name and `(` (`exec //c\n (x)`) is code, never prose
            !(PHP_WORDS.has(name) && !commented && !codeArgs(after, spaced, prev)) &&
            !(!PHP_WORDS.has(name) && spaced && !/^\s*\S/.test(after)) &&
            !(isHeader && PHP_WORDS.has(name) && !/['"$]/.test(after.slice(0, 3)));
          if (ok) {
            report.value('code_injection.php_function', v, 'lower', snippet(lower, at, 60, 120));
            return;
          }
        } else if (weakAt < 0 && PHP_WEAK_SET.has(name) && !spaced && !isHeader && /^[\s'"$\w)]/.test(after))
          weakAt = at;
      }
      p = lower.indexOf('(', p + 1);
    }
    if (weakAt >= 0)
      report.value('code_injection.php_function_weak', v, 'lower', snippet(lower, weakAt, 40, 120));
  }

  // browsers repeat the same accept and user-agent headers on every request: remembered once clean
  return { class: 'code_injection', rules: RULES, kinds, inspectValue };
};

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * After `word(`: is this a call with code-looking arguments rather than prose like "system (admin)"
 * or "file(s)"? Quotes, variables, nested calls, an empty `()` or a call glued to its name qualify.
 */
function codeArgs(after: string, spaced: boolean, prev: number): boolean {
  if (/^s\)|^es\)/.test(after)) return false; // "system(s)", "file(s)"
  if (/^\s*['"`$]/.test(after)) return true; // system('id'), eval($x)
  if (/^\s*\)/.test(after)) return true; // phpinfo(), system ()
  if (/^\s*[a-z_][\w]*\s*\(/.test(after)) return true; // eval(base64_decode(
  // `(system)(whoami)` / `"system"(x)`: the quoted or parenthesised callee
  if (prev === 40 /* ( */ || prev === 34 || prev === 39) return true;
  if (!spaced && /^[a-z0-9_./-]{1,40}\)/.test(after)) return true; // system(whoami)
  return false;
}

/**
 * The identifier called by the `(` at `p`, skipping whitespace and up to four comments between them
 * (`exec /* x * / (`, `exec #c\n (`); null when there is none or it does not start at a word boundary.
 */
function calleeBefore(
  s: string,
  p: number,
): { name: string; at: number; spaced: boolean; commented: boolean } | null {
  let j = p - 1;
  let spaced = false;
  let commented = false;
  for (let round = 0; round < 5; round++) {
    while (j >= 0 && isSpace(s.charCodeAt(j))) {
      j--;
      spaced = true;
    }
    if (j >= 1 && s.charCodeAt(j) === 47 && s.charCodeAt(j - 1) === 42) {
      // `/* ... */` before the parenthesis
      const open = s.lastIndexOf('/*', j - 2);
      if (open < 0 || j - open > 100) return null;
      j = open - 1;
      spaced = true;
      commented = true;
      continue;
    }
    if (s.charCodeAt(j + 1) === 10 || s.charCodeAt(j + 1) === 13) {
      // a line comment (`// x` or `# x`) ending the previous line
      const lineStart = s.lastIndexOf('\n', j) + 1;
      const line = s.slice(lineStart, j + 1);
      const c = line.search(/\/\/|#/);
      if (c > 0) {
        j = lineStart + c - 1;
        spaced = true;
        commented = true;
        continue;
      }
    }
    break;
  }
  const end = j + 1;
  while (j >= 0 && isWordChar(s.charCodeAt(j)) && end - j <= 41) j--;
  const name = s.slice(j + 1, end);
  if (name === '' || /^[0-9]/.test(name)) return null;
  return { name, at: j + 1, spaced, commented };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

function firstMatch(list: readonly Gated[], s: string): RegExpExecArray | null {
  for (let i = 0; i < list.length; i++) {
    const g = list[i]!;
    if (s.indexOf(g[0]) < 0) continue;
    const m = g[1].exec(s);
    if (m) return m;
  }
  return null;
}
