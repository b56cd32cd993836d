/**
 * PHP callable expressions: the shapes where the called thing is not a plain identifier (CRS 933180,
 * 933210). `(system)('id')`, `[system][0](ls)`, `(sy.(st).em)(x)`, `(string)"sys"."tem"(x)` call a
 * function whose name is only visible once quotes, dots, blanks and groups are dropped; `$a (1)`,
 * `$_[0]{1} /*c* / (2)`, `${@_.__}(3)` call a variable. Hand-written scanners, bounded at every step.
 */

// CRS 933150: PHP function names that are not everyday words (an underscore or an unmistakable shape),
// so their mere presence in input is a signal. Only literal alternatives: linear.
const RISKY_NAME =
  /base64_decode|gz(?:uncompress|inflate|decode)|bzdecompress|zlib_decode|str_rot13|convert_uudecode|shell_exec|pcntl_(?:exec|fork)|proc_open|call_user_(?:func|method)|create_function|assert_options|file_(?:get|put)_contents|fsockopen|get_defined_(?:vars|functions|constants)|get_class_(?:methods|vars)|posix_(?:getpwuid|getuid|geteuid|getegid|uname|getcwd|setuid|kill)|reflectionfunction|invokeargs|__halt_compiler|apache_child_terminate|move_uploaded_file|sys_get_temp_dir|wp_(?:safe_)?remote_(?:get|post|head|request|fopen)|include_once|require_once/;

/**
 * A high-risk PHP function name anywhere in `lower` (lower-cased text), or null. `inPath`: file names
 * like `include_once.php` are application files, so the two language constructs do not count there.
 */
export function riskyPhpName(lower: string, inPath: boolean): RegExpExecArray | null {
  // cheap gate: every name has `_`, or is one of the few without it
  if (
    lower.indexOf('_') < 0 &&
    lower.indexOf('gz') < 0 &&
    lower.indexOf('bzdec') < 0 &&
    lower.indexOf('invokeargs') < 0 &&
    lower.indexOf('reflectionf') < 0 &&
    lower.indexOf('fsockopen') < 0
  )
    return null;
  const m = RISKY_NAME.exec(lower);
  if (m === null) return null;
  if (inPath && m[0].endsWith('_once')) return null;
  return m;
}

function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

/**
 * Index of the opener matching the closer (`)`, `]`, `}`) at `j`, walking back over nested groups and
 * quoted strings; -1 when unbalanced or longer than `max`.
 */
function openerBack(s: string, j: number, max: number): number {
  let depth = 0;
  const stop = Math.max(0, j - max);
  for (let k = j; k >= stop; k--) {
    const c = s.charCodeAt(k);
    if (c === 41 || c === 93 || c === 125) depth++;
    else if (c === 40 || c === 91 || c === 123) {
      depth--;
      if (depth === 0) return k;
    } else if (c === 39 || c === 34) {
      const q = s.lastIndexOf(s[k]!, k - 1);
      if (q < stop) return -1;
      k = q;
    }
  }
  return -1;
}

export interface CalleeHit {
  at: number;
  kind: 'function' | 'variable';
}

/**
 * CRS 933210: a call whose callee is a parenthesised/bracketed group, a string literal or a chain of
 * them, `(<callee>)[i]{j}(args)`. The callee is judged by the function name it spells once quotes,
 * dots, blanks, comments and a `(string)` cast are dropped (`dangerous`); plain words (`words`) need
 * more than `(word)(...)`: obfuscation in the group, an index, or code-looking arguments. A `($var)`
 * callee is a variable call. `lower` is lower-cased text.
 */
export function phpCallableGroup(
  lower: string,
  dangerous: ReadonlySet<string>,
  words: ReadonlySet<string>,
): CalleeHit | null {
  let p = lower.indexOf('(');
  for (let guard = 0; p >= 0 && guard < 64; guard++) {
    const hit = calleeAt(lower, p, dangerous, words);
    if (hit) return hit;
    p = lower.indexOf('(', p + 1);
  }
  return null;
}

function calleeAt(
  s: string,
  p: number,
  dangerous: ReadonlySet<string>,
  words: ReadonlySet<string>,
): CalleeHit | null {
  let j = p - 1;
  while (j >= 0 && isBlank(s.charCodeAt(j))) j--;
  if (j < 0) return null;
  const c0 = s.charCodeAt(j);
  // only `)`, `]`, `}` or a quote before the call: `name(` is a plain call, judged elsewhere
  if (c0 !== 41 && c0 !== 93 && c0 !== 125 && c0 !== 39 && c0 !== 34) return null;
  const end = j + 1;
  let start = end;
  let parts = 0;
  let indexes = 0;
  let strings = 0;
  for (let round = 0; round < 8 && j >= 0; round++) {
    const c = s.charCodeAt(j);
    if (c === 41 || c === 93 || c === 125) {
      const o = openerBack(s, j, 120);
      if (o < 0) return null;
      if (c !== 41) indexes++;
      start = o;
      j = o - 1;
    } else if (c === 39 || c === 34) {
      const q = s.lastIndexOf(s[j]!, j - 1);
      if (q < 0 || j - q > 60) return null;
      strings++;
      start = q;
      j = q - 1;
    } else break;
    parts++;
    // blanks and `.` concatenation between the pieces of the callee
    while (j >= 0 && (isBlank(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) j--;
  }
  // `foo(a)(b)`, `arr[0](x)`: the chain hangs off an identifier, not a group
  if (j >= 0 && start > 0 && isWord(s.charCodeAt(start - 1))) return null;
  let e = s.slice(start, end);
  // `(string)` cast in front of the callee
  const cast = /^\(\s*string\s*\)\s*/.exec(e);
  if (cast) e = e.slice(cast[0].length);
  if (e.indexOf('/*') >= 0) e = e.replace(/\/\*[^*]{0,60}\*\//g, '');
  const dotted = e.indexOf('.') >= 0;
  const nested = e.indexOf('(', 1) >= 0;
  const compact = e.replace(/['".\s()]/g, '');
  // a callee is names, indexes and variables only: commas, operators or prose are something else
  if (compact === '' || !/^[\w$[\]{}]+$/.test(compact)) return null;
  if (compact.charCodeAt(0) === 36 /* $ */ && /^\$+[a-z_]\w*$/.test(compact))
    return { at: start, kind: 'variable' };
  const tokens = compact.split(/[[\]{}]+/);
  const after = s.slice(p + 1, p + 41);
  // `[word](path)` is a markdown link: a bracketed word alone needs more than glued arguments
  const parenBase = s.charCodeAt(start) === 40;
  for (const t of tokens) {
    if (t === '' || !dangerous.has(t)) continue;
    if (!words.has(t)) return { at: start, kind: 'function' };
    // `(system)(see above)` is prose; obfuscation, an index or code-looking arguments are not
    const glued = p === end;
    if (
      strings > 0 ||
      dotted ||
      nested ||
      (parts >= 2 && indexes > 0) ||
      cast !== null ||
      (parenBase && /^\s*['"$]/.test(after)) ||
      (parenBase && glued && /^[a-z_][\w./-]{0,40}\)/.test(after))
    )
      return { at: start, kind: 'function' };
  }
  return null;
}

/**
 * `'sys'.'tem'`, `"ev" . "al"`: two or more quoted fragments joined with `.` that spell a dangerous
 * function name — string building no benign input does. Index of the first quote, or -1.
 */
export function phpConcatName(lower: string, dangerous: ReadonlySet<string>): number {
  let i = lower.search(/['"]\s*\.\s*['"]/);
  if (i < 0) return -1;
  for (let guard = 0; i >= 0 && guard < 16; guard++) {
    // walk back to the opening quote of the fragment that ends at i
    const q = lower[i]!;
    const open = lower.lastIndexOf(q, i - 1);
    if (open >= 0 && i - open <= 24) {
      let name = lower.slice(open + 1, i);
      let k = i + 1;
      let n = 1;
      for (let round = 0; round < 8; round++) {
        let m = k;
        while (m < lower.length && isBlank(lower.charCodeAt(m))) m++;
        if (lower.charCodeAt(m) !== 46) break;
        m++;
        while (m < lower.length && isBlank(lower.charCodeAt(m))) m++;
        const qc = lower[m];
        if (qc !== "'" && qc !== '"') break;
        const close = lower.indexOf(qc, m + 1);
        if (close < 0 || close - m > 24) break;
        name += lower.slice(m + 1, close);
        n++;
        k = close + 1;
      }
      if (n >= 2 && name.length >= 4 && dangerous.has(name.replace(/\s+/g, ''))) return open;
    }
    const next = lower.slice(i + 1).search(/['"]\s*\.\s*['"]/);
    i = next < 0 ? -1 : i + 1 + next;
  }
  return -1;
}

/**
 * CRS 933180: a PHP variable used as a function — `$a(1)`, `$$b (2)`, `@$__[o](4)`, `${'a'}(11)`,
 * `$_aB[5]['d'] /*x* / (17)`, `$____[_]{_}[@_](25)`, `$ {@_.__}(31)`. Prices (`$100 (approx)`) and
 * shell `$(cmd)` have no PHP name; a name spaced off from `(` by blanks alone must look like code
 * (a digit or `_` in it, a line break in between). Index of the `$` (or of its `@`), or -1.
 */
export function phpVariableCall(s: string): number {
  let i = s.indexOf('$');
  for (let guard = 0; i >= 0 && guard < 32; guard++) {
    const at = variableCallAt(s, i);
    if (at >= 0) return at;
    while (s.charCodeAt(i + 1) === 36) i++;
    i = s.indexOf('$', i + 1);
  }
  return -1;
}

function variableCallAt(s: string, i: number): number {
  const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
  if (prev === 36 || prev === 92 || isWord(prev)) return -1;
  let k = i + 1;
  while (s.charCodeAt(k) === 36) k++;
  let codeLike = false;
  let b = k;
  while (b < s.length && b - k < 3 && (s.charCodeAt(b) === 32 || s.charCodeAt(b) === 9)) b++;
  if (s.charCodeAt(b) === 123 /* { */) {
    const close = s.indexOf('}', b);
    if (close <= b + 1 || close - b > 60) return -1;
    // `${name}` is also a template placeholder; `${@_.__}`, `${'a'}` are not
    codeLike = !/^\s*[a-z_]\w*\s*$/i.test(s.slice(b + 1, close));
    k = close + 1;
  } else {
    const c = s.charCodeAt(k);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x7f)) return -1;
    const st = k;
    while (k < s.length && (isWord(s.charCodeAt(k)) || s.charCodeAt(k) >= 0x7f) && k - st <= 40) k++;
    const name = s.slice(st, k);
    codeLike = /[\d_]/.test(name);
  }
  let gap = false;
  let strong = false;
  for (let round = 0; round < 12; round++) {
    const c = s.charCodeAt(k);
    if (isBlank(c)) {
      gap = true;
      if (c !== 32) strong = true; // a line break or tab between name and call
      k++;
      round--;
      if (k - i > 200) return -1;
      continue;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      const close = closerAt(s, k, 40); // `$__[$_[1]](7)`: indexes nest
      // `$a[]()`, `$a{}()`: an empty index reads nothing, so it is no callee
      if (close <= k + 1 || close - k > 40) return -1;
      k = close + 1;
      strong = true;
    } else if (c === 47 /* / */ && s.charCodeAt(k + 1) === 42 /* * */) {
      const close = s.indexOf('*/', k + 2);
      if (close < 0 || close - k > 100) return -1;
      k = close + 2;
      strong = true;
    } else if ((c === 47 && s.charCodeAt(k + 1) === 47) || c === 35 /* # */) {
      const nl = s.indexOf('\n', k);
      if (nl < 0 || nl - k > 100) return -1;
      k = nl + 1;
      strong = true;
    } else break;
  }
  if (s.charCodeAt(k) !== 40 /* ( */) return -1;
  if (gap && !strong && !codeLike) return -1;
  if (gap && s.indexOf(')', k) < 0) return -1;
  return prev === 64 /* @ */ ? i - 1 : i;
}

/** Index of the closer matching the `[` or `{` at `k` (nesting counted), or -1 beyond `max` chars. */
function closerAt(s: string, k: number, max: number): number {
  let depth = 0;
  const stop = Math.min(s.length, k + max + 1);
  for (let i = k; i < stop; i++) {
    const c = s.charCodeAt(i);
    if (c === 91 || c === 123) depth++;
    else if (c === 93 || c === 125) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
