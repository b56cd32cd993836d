import { type DetectorFactory, type Reporter, type RuleDef, snippet } from '../detector.js';
import { ARGS, Flag, Kind, type Value } from '../../value.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { isStructuredHeader } from '../header-names.js';
import { htmlEntityDecode, jsDecode, urlDecodeFixpoint } from '../../decode/index.js';
import {
  BARE_OK,
  BIN_DIRS,
  DISTINCT_COMMANDS,
  FILE_COMMANDS,
  NUMERIC_COMMANDS,
  SUBCOMMANDS,
  TOOL_COMMANDS,
  WORD_COMMANDS,
  isCommand,
} from './commands.js';

/**
 * OS command injection. A hand-written scanner over the decoded value finds *command positions* (the
 * start of the value, and what follows a shell separator `; | || & && $( \` newline`), reads the word
 * there the way a shell would (quotes, carets, backslashes and `$@` dropped: `c'a't`, `w\ho\ami`,
 * `c^md`), and judges it by the command vocabulary and the shape of its argument. Prose (`Smith & Sons`,
 * `rock|paper`, `a; b`) fails either the vocabulary or the argument test.
 */

/** Version 2: custom request headers are read like arguments (only standard headers get the header mode). */
const RULES: readonly RuleDef[] = [
  {
    id: 'cmdi.separator-command',
    version: 2,
    severity: 'critical',
    confidence: 0.9,
    description: 'A shell separator followed by a command (`;id`, `| cat /etc/passwd`, `&& ping -n 21 x`)',
  },
  {
    id: 'cmdi.soft-separator-command',
    version: 2,
    severity: 'high',
    confidence: 0.6,
    description: 'A prose-like separator (`word & x`, `word;x`) followed by a command with a weak argument',
  },
  {
    id: 'cmdi.substitution',
    version: 2,
    severity: 'critical',
    confidence: 0.9,
    description: 'Command substitution with a command inside: `$(whoami)`, backticks',
  },
  {
    id: 'cmdi.obfuscated-command',
    version: 2,
    severity: 'critical',
    confidence: 0.9,
    description:
      "A command name split by quotes, carets, backslashes or `$@` (`c'a't`, `w\\ho\\ami`, `c^md`)",
  },
  {
    id: 'cmdi.ifs',
    version: 2,
    severity: 'critical',
    confidence: 0.95,
    description: 'Shell field-separator tricks used to avoid spaces: `${IFS}`, `$IFS$9`',
  },
  {
    id: 'cmdi.shellshock',
    version: 2,
    severity: 'critical',
    confidence: 0.99,
    description: 'Shellshock function definition `() { :;};` (CVE-2014-6271)',
  },
  {
    id: 'cmdi.reverse-shell',
    version: 2,
    severity: 'critical',
    confidence: 0.95,
    description: 'Reverse-shell building blocks: `/dev/tcp/`, `nc -e`, `bash -i`, `0>&1`',
  },
  {
    id: 'cmdi.command-line',
    version: 2,
    severity: 'high',
    confidence: 0.7,
    description: 'The value is a command line: a command with shell arguments (`uname -a`, `wget http://x`)',
  },
  {
    id: 'cmdi.bare-command',
    version: 2,
    severity: 'medium',
    confidence: 0.5,
    description: 'The value is exactly a distinctive command name (`whoami`, `systeminfo`)',
  },
  {
    id: 'cmdi.exec-call',
    version: 2,
    severity: 'critical',
    confidence: 0.9,
    description: 'A process-spawning call with a shell command string: `system(\'id\')`, `popen("ls")`',
  },
  {
    id: 'cmdi.ssi-exec',
    version: 2,
    severity: 'critical',
    confidence: 0.95,
    description: 'Server-side include exec directive `<!--#exec cmd=...-->`',
  },
  {
    id: 'cmdi.ssi-directive',
    version: 2,
    severity: 'critical',
    confidence: 0.9,
    description: 'Server-side include directive `<!--#include virtual=...-->`, `<!--#echo var=...-->`',
  },
  {
    id: 'cmdi.glob-path',
    version: 2,
    severity: 'critical',
    confidence: 0.85,
    description: 'A glob pattern that expands to a shell or a sensitive file (`/???/??t`, `/e[t]c/pas[s]wd`)',
  },
  {
    id: 'cmdi.windows-batch',
    version: 2,
    severity: 'critical',
    confidence: 0.85,
    description: 'Windows batch control flow as a value: `for /f %x in (...) do`, `if exist x cmd`',
  },
  {
    id: 'cmdi.powershell',
    version: 2,
    severity: 'critical',
    confidence: 0.9,
    description: 'PowerShell download-and-run idioms: `IEX(`, `DownloadString(`, `-EncodedCommand`',
  },
];

/** Functions that hand their string argument to a shell (PHP, Python, Ruby, Node, Perl, Java). */
const EXEC_FUNCS: ReadonlySet<string> = new Set([
  'system',
  'exec',
  'passthru',
  'shell_exec',
  'popen',
  'proc_open',
  'pcntl_exec',
  'spawn',
  'execsync',
  'spawnsync',
  'execfile',
  'check_output',
  'check_call',
  'getoutput',
  'getstatusoutput',
  'call',
  'run',
  'popen2',
  'popen3',
  'open3',
  'capture2',
  'capture3',
  'execute',
  'qx',
  'backticks',
  'eval',
]);

const enum Sep {
  /** Value start: a command line only when the argument looks like a shell argument. */
  Start,
  /** A separator that prose rarely writes this way: `|`, `;id`, `&&`, newline, quote-breakout. */
  Hard,
  /** A separator that prose writes: ` & `, `word;word`. */
  Soft,
  /** Inside `$( )` or backticks. */
  Subst,
  /** Inside the string argument of an exec-like call. */
  Call,
}

/** Where a string comes from, which decides how much of the scanner runs on it. */
const enum Mode {
  /** An argument, cookie or body value: the full scanner. */
  Arg,
  /** A header other than user-agent/referer: only the certain markers. */
  Header,
  /**
   * The URL path: markers plus separators inside it (`/;/usr/bin/id`, `/'||echo x$(echo y)`), but
   * not the path start itself (`/bin/ls` is a file name there) and no glob or batch forms.
   */
  Path,
}

/** Receives a match: rule id and evidence. */
type Sink = (rule: string, evidence: string) => void;

const enum Arg {
  None,
  End,
  Weak,
  Strong,
  /** Strong, and the command line ends in a comment that cuts off the rest (`… #`, `…&rem`). */
  Comment,
}

/** Blanks, and `+` (a form-encoded space that was decoded one time too few: `|+dir+c:\`). */
const isWs = (c: number) => c === 32 || c === 9 || c === 11 || c === 12 || c === 43 || c === 160;
const isAlpha = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlnum = (c: number) => isAlpha(c) || isDigit(c);
/** Characters that end a command word (besides whitespace). */
const isTerminator = (c: number) =>
  c !== c || // NaN: end of string
  isWs(c) ||
  c === 59 || // ;
  c === 124 || // |
  c === 38 || // &
  c === 10 ||
  c === 13 ||
  c === 96 || // `
  c === 41 || // )
  c === 60 || // <
  c === 62 || // >
  c === 35 || // #
  c === 44 || // , (brace expansion)
  c === 125; // }

interface Word {
  name: string;
  end: number;
  obfuscated: boolean;
  binPath: boolean;
}

/** Reads a shell word at `i` the way the shell would see it: quotes, carets, backslashes and `$@` vanish. */
function readWord(s: string, i: number): Word | null {
  const n = s.length;
  let name = '';
  let obf = false;
  let j = i;
  let quote = 0;
  while (j < n && name.length < 64) {
    const c = s.charCodeAt(j);
    if (quote) {
      if (c === quote) {
        quote = 0;
        j++;
        continue;
      }
      if (isWs(c)) break;
      name += s[j];
      j++;
      continue;
    }
    if (c === 39 || c === 34) {
      // a quote inside or around a word (`c'a't`, `"id"`), unless it is the closing quote of a string
      const close = s.indexOf(s[j]!, j + 1);
      if (close === j + 1 && name !== '') {
        // an empty string glued into a word: `ti''me`, `wh""oami`
        obf = true;
        j += 2;
        continue;
      }
      if (close < 0 || close - j > 40 || !/^[\w./\\-]+$/.test(s.slice(j + 1, close))) break;
      quote = c;
      if (name !== '') obf = true;
      j++;
      continue;
    }
    if (c === 94 /* ^ */ || (c === 92 /* \ */ && isAlpha(s.charCodeAt(j + 1)) && name !== '')) {
      obf = true;
      j++;
      continue;
    }
    if (c === 36 /* $ */ && name !== '' && EMPTY_EXPANSION.indexOf(s[j + 1] ?? ' ') >= 0) {
      // `who$@ami`, `c$*at`: positional parameters that expand to nothing
      obf = true;
      j += 2;
      continue;
    }
    if (c === 36 /* $ */ && s[j + 1] === '(' && s[j + 2] === ')') {
      obf = true;
      j += 3;
      continue;
    }
    if (isAlnum(c) || c === 46 || c === 95 || c === 45 || c === 47 || (c === 92 && name === '')) {
      name += s[j];
      j++;
      continue;
    }
    break;
  }
  if (name === '') return null;
  let lname = name.toLowerCase().replace(/\\/g, '/');
  let binPath = false;
  if (lname.indexOf('/') >= 0) {
    const slash = lname.lastIndexOf('/');
    const dir = lname.slice(0, slash + 1);
    binPath = BIN_DIRS.includes(dir) || BIN_DIRS.includes('/' + dir);
    if (!binPath) return null;
    lname = lname.slice(slash + 1);
  }
  if (lname.endsWith('.exe')) lname = lname.slice(0, -4);
  // a word must end where a shell word ends (`+` too once the word is obfuscated: `c$@at+/etc`)
  if (obf && s[j] === '+') return { name: lname, end: j, obfuscated: obf, binPath };
  if (!isTerminator(s.charCodeAt(j)) && !(quote === 0 && (s[j] === '"' || s[j] === "'"))) return null;
  return { name: lname, end: j, obfuscated: obf, binPath };
}

const EMPTY_EXPANSION = '@*!?-#0123456789';
const URL_RE = /^[a-z][a-z0-9+.-]{1,10}:\/\//i;
const IP_RE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/;
const FILE_RE = /^[\w.-]{1,64}\.[a-z][a-z0-9]{0,4}$/i;
const HOST_RE = /^[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6}$/i;
const NETWORK = new Set([
  'ping',
  'curl',
  'wget',
  'nc',
  'ncat',
  'telnet',
  'ssh',
  'nslookup',
  'dig',
  'host',
  'ftp',
  'tftp',
  'fetch',
  'lynx',
  'w3m',
]);

/** Judges what follows a command word: is it an argument a shell user would type? */
function argShape(cmd: string, s: string, from: number): Arg {
  const n = s.length;
  let i = from;
  while (i < n && (isWs(s.charCodeAt(i)) || s[i] === ',')) i++;
  if (i >= n) return Arg.End;
  if (commentTail(s, i)) return Arg.Comment; // `ver&rem`, `uname #`
  // cmd.exe reads `;` and `,` as blanks: `ping;-w;9000;-n;1;host`, `del;q123&rem;`
  if (
    (s[i] === ';' && s[i + 1] === '-' && isAlnum(s.charCodeAt(i + 2))) ||
    (s[i] === ';' && s[i + 1] === '>')
  )
    i++;
  else if (s[i] === ';' && isAlnum(s.charCodeAt(i + 1))) {
    let e = i + 1;
    while (e < n && !isTerminator(s.charCodeAt(e))) e++;
    if (e - i < 40 && commentTail(s, e)) return Arg.Comment;
  }
  const c = s.charCodeAt(i);
  const c1 = s.charCodeAt(i + 1);
  if (
    c === 59 ||
    c === 124 ||
    c === 38 ||
    c === 10 ||
    c === 13 ||
    c === 96 ||
    c === 41 ||
    c === 35 ||
    c === 125
  )
    return Arg.End;
  if (c === 62 || c === 60) return Arg.Strong; // redirection
  if (c === 45 /* - */ && (isAlnum(c1) || c1 === 45)) return Arg.Strong; // -a, --help
  if (c === 47 /* / */ && (isAlnum(c1) || c1 === 46 || c1 === 126 || isTerminator(c1))) return Arg.Strong;
  if ((c === 126 || c === 46) && (c1 === 47 || (c1 === 46 && s[i + 2] === '/'))) return Arg.Strong; // ~/ ./ ../
  if (c === 36 /* $ */ && (isAlpha(c1) || c1 === 123 || c1 === 40)) return Arg.Strong;
  if (c === 39 || c === 34) return Arg.Strong;
  if (c === 42 || c === 123 || c === 96) return Arg.Strong; // * { `
  if (c === 37 /* % */ && isAlpha(c1)) return Arg.Strong; // %SYSTEMROOT%
  if (c === 92 && c1 === 92) return Arg.Strong; // \\unc
  if (isAlpha(c) && c1 === 58 && (s[i + 2] === '\\' || s[i + 2] === '/' || isTerminator(s.charCodeAt(i + 2))))
    return Arg.Strong; // C:\ or a bare drive
  // the token up to whitespace or a separator
  let j = i;
  while (j < n && !isTerminator(s.charCodeAt(j)) && s[j] !== ';' && s[j] !== "'" && s[j] !== '"') j++;
  const tok = s.slice(i, j).toLowerCase();
  if (j > i && !/^\d+$/.test(tok) && commentTail(s, j)) return Arg.Comment; // `rm q123 #`
  if (/^\d+$/.test(tok) && NUMERIC_COMMANDS.has(cmd) && commentTail(s, j)) return Arg.Comment; // `sleep 9 #`
  const sub = SUBCOMMANDS[cmd];
  if (sub) return sub.has(tok) ? Arg.Strong : Arg.None;
  if (URL_RE.test(tok)) return NETWORK.has(cmd) ? Arg.Strong : Arg.Weak;
  if (IP_RE.test(tok)) return Arg.Strong;
  if (/^\d+$/.test(tok)) return NUMERIC_COMMANDS.has(cmd) ? Arg.Strong : Arg.None;
  if ((cmd === 'which' || cmd === 'whereis') && isCommand(tok)) return Arg.Strong;
  if (FILE_COMMANDS.has(cmd) && FILE_RE.test(tok)) return Arg.Weak;
  if (NETWORK.has(cmd) && HOST_RE.test(tok)) return Arg.Weak;
  // a redirection later on the same command (`echo x > /var/www/p.php`, `id 2>&1`)
  for (let k = j; k < n && k - j < 200; k++) {
    const ch = s[k];
    if (ch === ';' || ch === '|' || ch === '\n' || ch === '&' || ch === '`') break;
    if (ch === '>') {
      let r = k + 1;
      if (s[r] === '>' || s[r] === '&') r++;
      while (r < n && s[r] === ' ') r++;
      if (s[r] === '/' || s[r] === '&' || isDigit(s.charCodeAt(r)) || s[r] === '$' || s[r] === '~')
        return Arg.Strong;
      // `echo … >>file`: a redirection into a bare file name
      if (r === k + 2 && s[k + 1] === '>' && isAlnum(s.charCodeAt(r))) return Arg.Weak;
    }
  }
  return Arg.None;
}

/** Whether the command whose arguments start at `i` ends in a comment (`ping -n 1 host|rem`). */
function endsInComment(s: string, i: number): boolean {
  const n = s.length;
  for (let tokens = 0; tokens < 16 && i < n; tokens++) {
    while (i < n && (isWs(s.charCodeAt(i)) || s[i] === ',' || s[i] === ';')) i++;
    if (commentTail(s, i)) return true;
    const c = s.charCodeAt(i);
    if (c === 124 || c === 38 || c === 10 || c === 13 || c === 96 || c === 35) return false;
    if (c === 62 || c === 60) i++; // a redirection: `>q1`, `>>f`
    while (i < n && !isTerminator(s.charCodeAt(i)) && s[i] !== '>' && s[i] !== '<') i++;
  }
  return false;
}

/**
 * Whether a shell comment that cuts off the rest of the command line starts at `i` (after blanks and
 * cmd.exe delimiters): `#` ending the value, or `&rem` / `|rem` (the cmd.exe comment command).
 */
function commentTail(s: string, i: number): boolean {
  const n = s.length;
  while (i < n && (isWs(s.charCodeAt(i)) || s[i] === ',' || s[i] === ';')) i++;
  if (s[i] === '#') {
    // only blanks after it, and a blank or delimiter before it (`C#`, `#1` are not comments)
    const b = s.charCodeAt(i - 1);
    if (!(isWs(b) || b === 44 || b === 59)) return false;
    for (let k = i + 1; k < n; k++) if (!isWs(s.charCodeAt(k))) return false;
    return true;
  }
  if (s[i] !== '&' && s[i] !== '|') return false;
  let k = i + 1;
  if (s[k] === s[i]) k++;
  if (!s.startsWith('rem', k) && !s.startsWith('REM', k)) return false;
  const c = s.charCodeAt(k + 3);
  return c !== c || isWs(c) || c === 44 || c === 59 || c === 10 || c === 13;
}

/** Does a command word at a position with separator `sep` and argument `arg` make a command? */
function accepts(w: Word, sep: Sep, arg: Arg): boolean {
  const name = w.name;
  if (w.binPath) return true;
  if (DISTINCT_COMMANDS.has(name)) return true;
  const tool = TOOL_COMMANDS.has(name);
  const bare = BARE_OK.has(name);
  const word = WORD_COMMANDS.has(name);
  if (!tool && !bare && !word) return false;
  switch (sep) {
    case Sep.Hard:
    case Sep.Subst:
    case Sep.Call:
      if (arg === Arg.End) return tool || bare;
      if (arg >= Arg.Weak) return true;
      // a tool followed by a plain word (`| bash script`) is still a command after a hard separator
      return tool && sep !== Sep.Hard ? true : tool && !word;
    case Sep.Soft:
      return arg >= Arg.Strong || (arg === Arg.Weak && (tool || word));
    default:
      return false;
  }
}

const EVID = 80;

function scan(s: string, sink: Sink, mode: Mode): void {
  // Whole-string markers first: they are certain wherever they occur.
  const lower = s.toLowerCase();
  if (lower.indexOf('(') >= 0) {
    const ss = shellshockAt(lower);
    if (ss >= 0) {
      sink('cmdi.shellshock', snippet(s, ss, 12, EVID));
      return;
    }
  }
  if (
    mode === Mode.Header &&
    lower.indexOf('$(') < 0 &&
    lower.indexOf('`') < 0 &&
    lower.indexOf('/dev/') < 0 &&
    lower.indexOf('ifs') < 0 &&
    lower.indexOf('<!--#') < 0
  )
    return;
  const ifs = IFS_RE.exec(lower);
  if (ifs) sink('cmdi.ifs', snippet(s, ifs.index, ifs[0].length, EVID));
  const rs = hasAny(lower, REVERSE_GATES) ? REVERSE_RE.exec(lower) : null;
  if (rs) sink('cmdi.reverse-shell', snippet(s, rs.index, rs[0].length, EVID));
  const ssi = ssiAt(lower);
  if (ssi >= 0)
    sink(
      lower.startsWith('exec', ssi + 5) ? 'cmdi.ssi-exec' : 'cmdi.ssi-directive',
      snippet(s, ssi, 24, EVID),
    );
  const ps = hasAny(lower, POWERSHELL_GATES) ? POWERSHELL_RE.exec(lower) : null;
  if (ps) sink('cmdi.powershell', snippet(s, ps.index, ps[0].length, EVID));
  if (mode === Mode.Header) return;
  if (mode === Mode.Arg) {
    const gl = globPathAt(lower);
    if (gl) sink('cmdi.glob-path', gl);
    const bt = batchAt(lower);
    if (bt >= 0) {
      sink(bt === 0 ? 'cmdi.windows-batch' : 'cmdi.separator-command', snippet(s, bt, 20, EVID));
      return;
    }
  }

  // The string with `${IFS}` as a space, so the command scanner sees the words; a value without spaces
  // but with `+` was form-encoded once more than it was decoded (`|+dir+c:\`).
  let t = ifs ? s.replace(IFS_ALL_RE, ' ') : s;
  if (t.indexOf('+') >= 0 && t.indexOf(' ') < 0) t = t.replace(/\+/g, ' ');
  const m = t.length;
  // value start: skip blanks (and the leading slash of a path); a leading quote is a quote-breakout
  let i0 = 0;
  if (mode === Mode.Path) while (i0 < m && t[i0] === '/') i0++;
  while (i0 < m && isWs(t.charCodeAt(i0))) i0++;
  if (t[i0] === "'" || t[i0] === '"') quoteBreakout(t, i0, m, sink);
  else if (
    mode === Mode.Arg &&
    t[i0] === '/' &&
    (t[i0 + 1] === 'c' || t[i0 + 1] === 'C') &&
    isWs(t.charCodeAt(i0 + 2))
  ) {
    // `cmd.exe?/c+dir`: the switch that makes cmd.exe run the rest
    let k = i0 + 3;
    while (k < m && isWs(t.charCodeAt(k))) k++;
    tryAt(t, k, Sep.Hard, sink);
  } else if (i0 < m && mode === Mode.Arg) tryAt(t, i0, Sep.Start, sink);

  for (let i = 0; i < m; i++) {
    const c = t.charCodeAt(i);
    let sep: Sep | -1 = -1;
    let j = i + 1;
    if (c === 124 /* | */) {
      sep = Sep.Hard;
      if (t.charCodeAt(j) === 124) j++;
    } else if (c === 59 /* ; */) {
      const prev = t.charCodeAt(i - 1);
      sep = isAlpha(prev) && isAlnum(t.charCodeAt(j)) ? Sep.Soft : Sep.Hard;
    } else if (c === 38 /* & */) {
      if (t.charCodeAt(j) === 38) {
        sep = Sep.Hard;
        j++;
      } else {
        const prev = t.charCodeAt(i - 1);
        sep =
          i === 0 || prev === 39 || prev === 34 || isDigit(prev) || !isWs(t.charCodeAt(j))
            ? Sep.Hard
            : Sep.Soft;
        if (isAlpha(prev) && isAlpha(t.charCodeAt(j))) sep = Sep.Soft; // AT&T, R&D
      }
    } else if (c === 10 || c === 13) {
      sep = Sep.Hard;
    } else if (c === 92 /* \ */ && (t[j] === 'n' || t[j] === 'r') && !isAlnum(t.charCodeAt(i - 1))) {
      // a literal `\n` (an escaped newline that some back ends unescape), not inside `C:\new`
      sep = Sep.Hard;
      j++;
    } else if (c === 96 /* ` */) {
      // in prose a backtick after a blank opens a Markdown code span ("run `npm install` first"):
      // judge its content like a soft separator
      sep = i > 0 && isWs(t.charCodeAt(i - 1)) && /[a-z]{2}/i.test(t.slice(0, i)) ? Sep.Soft : Sep.Subst;
    } else if (c === 36 /* $ */ && t.charCodeAt(j) === 40 /* ( */) {
      sep = Sep.Subst;
      j++;
      if (t.charCodeAt(j) === 40) j++; // $(( arithmetic: still a position
    } else if (c === 40 /* ( */) {
      // `system('id')`: the call's string argument is a command line
      let b = i - 1;
      while (b >= 0 && isWs(t.charCodeAt(b))) b--;
      let a = b;
      while (a >= 0 && (isAlnum(t.charCodeAt(a)) || t[a] === '_')) a--;
      if (b > a && EXEC_FUNCS.has(t.slice(a + 1, b + 1).toLowerCase())) {
        let k = j;
        while (k < m && isWs(t.charCodeAt(k))) k++;
        if (t[k] === "'" || t[k] === '"' || t[k] === '`') {
          k++;
          if (tryAt(t, k, Sep.Call, sink)) return;
        }
      }
      continue;
    } else if (c === 123 /* { */ && i + 1 < m && isAlpha(t.charCodeAt(j))) {
      // `{cat,/etc/passwd}` brace expansion
      const w = readWord(t, j);
      if (w && t[w.end] === ',' && isCommand(w.name)) {
        sink('cmdi.obfuscated-command', snippet(t, i, w.end - i + 8, EVID));
        return;
      }
      continue;
    }
    if (sep === -1) continue;
    while (j < m && isWs(t.charCodeAt(j))) j++;
    if (tryAt(t, j, sep, sink)) return;
  }
}

/** A value that starts with a quote at `q`: the quote ends the string the value was put into. */
function quoteBreakout(t: string, q: number, end: number, sink: Sink): boolean {
  let k = q + 1;
  while (k < end && isWs(t.charCodeAt(k))) k++;
  // `"ping -w …`: a quote that never closes breaks out of the string it was meant to end
  const close = t.indexOf(t[q]!, q + 1);
  if (k > q + 1 || close < 0 || close >= end) return tryAt(t, k, Sep.Soft, sink);
  return false;
}

/** First words that open a command line without being commands (`if exist`, `for /f`, `time id`). */
const STARTERS: ReadonlySet<string> = new Set([
  'if',
  'for',
  'time',
  'sudo',
  'nohup',
  'invoke-expression',
  'iex',
]);

/** Rules a query-level match may report: the critical ones (the values already gave the weaker ones). */
const QUERY_RULES: ReadonlySet<string> = new Set([
  'cmdi.separator-command',
  'cmdi.substitution',
  'cmdi.obfuscated-command',
]);

/**
 * The query string as the command line it becomes when a CGI script hands QUERY_STRING to a shell:
 * `stuff="&ver&rem`, `q=&ping -n 1 host&rem` are split by the query parser into a quote, a command and
 * a comment. Each value start and each bare piece (no `=`) after an `&` is judged with the rest of the
 * query behind it; `&` counts as a prose-like separator, so `?page=2&id` stays clean.
 */
function scanQuery(raw: string, sink: Sink): void {
  if (raw.length < 3 || raw.length > 4096 || raw.indexOf('&') < 0) return;
  // only a query with a bare piece, or a value that opens with a quote, can hold what values miss
  let bare = false;
  for (let a = raw.indexOf('&'); a >= 0 && !bare; a = raw.indexOf('&', a + 1)) {
    const b = raw.indexOf('&', a + 1);
    const piece = raw.slice(a + 1, b < 0 ? raw.length : b);
    if (piece !== '' && piece.indexOf('=') < 0) bare = true;
  }
  if (!bare) return;
  const t = jsDecode(htmlEntityDecode(urlDecodeFixpoint(raw.replace(/\+/g, ' '))));
  let hit = false;
  const only: Sink = (rule, evidence) => {
    if (!QUERY_RULES.has(rule)) return;
    sink(rule, evidence);
    hit = true;
  };
  let start = 0;
  for (;;) {
    let end = t.indexOf('&', start);
    if (end < 0) end = t.length;
    const eq = t.indexOf('=', start);
    if (eq >= start && eq < end) {
      // a value start: a command there may be closed by a comment in a later piece (`ver >q1&rem`)
      const v0 = eq + 1;
      if (t[v0] === "'" || t[v0] === '"') quoteBreakout(t, v0, t.length, only);
      else if (v0 < end) tryAt(t, v0, Sep.Start, only);
    } else if (start > 0 && end > start) {
      let k = start;
      while (k < end && isWs(t.charCodeAt(k))) k++;
      tryAt(t, k, Sep.Soft, only);
    }
    if (hit) return;
    if (end >= t.length) return;
    start = end + 1;
  }
}

/** Words after which the next word is in command position (`then id`, `time sh -c id`). */
const PREFIX_WORDS: ReadonlySet<string> = new Set([
  'then',
  'else',
  'do',
  'elif',
  'time',
  'sudo',
  'nohup',
  'exec',
  'command',
  'builtin',
]);
/** Prefixes that only a shell user writes before a command. */
const PREFIX_COMMANDS: ReadonlySet<string> = new Set(['time', 'sudo', 'nohup', 'exec', 'builtin']);

/** `$(` right before `k`, and only plain words up to a close `)` (`$(echo ABC)`, not `$(document)`). */
function plainSubstitution(t: string, k: number): boolean {
  let b = k - 1;
  while (b >= 0 && isWs(t.charCodeAt(b))) b--;
  if (t[b] !== '(' || t[b - 1] !== '$') return false;
  for (let e = k; e < t.length && e - k < 80; e++) {
    const ch = t.charCodeAt(e);
    if (ch === 41) return e > k;
    if (!(isAlnum(ch) || isWs(ch) || ch === 46 || ch === 45 || ch === 95 || ch === 47)) return false;
  }
  return false;
}

/** Tries a command at `k`; reports and returns true on a match. */
/** `id;name;email`: a list of words, not `id;uname` — the word after the separators is no command. */
function followedByPlainWord(t: string, end: number): boolean {
  let j = end;
  while (j < t.length && (t[j] === ';' || t[j] === '|' || t[j] === '&' || t[j] === ',')) j++;
  if (j >= t.length || !isAlpha(t.charCodeAt(j))) return false;
  const nw = readWord(t, j);
  return nw !== null && nw !== undefined && !nw.binPath && !isCommand(nw.name);
}

function tryAt(t: string, k: number, sep: Sep, sink: Sink, depth = 0): boolean {
  // a subshell or group opening (`&&(sh)`, `;{ id;}`) still starts a command
  while (k < t.length && (t[k] === '(' || t[k] === '{') && k < 4096) k++;
  if (k >= t.length) return false;
  const c = t.charCodeAt(k);
  if (!(isAlpha(c) || c === 47 || c === 39 || c === 34 || c === 92 || c === 46)) return false;
  const w = readWord(t, k);
  if (!w) return false;
  if (depth < 3 && PREFIX_WORDS.has(w.name)) {
    // `then sleep 1`, `time sh -c id`, `sudo -u x id`: the command is the next word. `time` or `sudo`
    // before a command at the value start make a command line as much as a separator does.
    let k2 = w.end;
    while (k2 < t.length && isWs(t.charCodeAt(k2))) k2++;
    const next = k2 > w.end ? readWord(t, k2) : null;
    if (next && (next.binPath || isCommand(next.name))) {
      const sep2 =
        sep === Sep.Start && PREFIX_COMMANDS.has(w.name) && !PREFIX_WORDS.has(next.name) ? Sep.Hard : sep;
      if (tryAt(t, k2, sep2, sink, depth + 1)) return true;
    }
  }
  if (!w.binPath && !isCommand(w.name)) return false;
  let arg = argShape(w.name, t, w.end);
  if (arg === Arg.Strong && endsInComment(t, w.end)) arg = Arg.Comment;
  const ev = () => snippet(t, k, w.end - k, EVID);
  if (sep === Sep.Start && arg === Arg.Comment && !w.obfuscated) {
    // `uname >q1 #`, `ver >q1&rem`: a command that comments out the rest of the line it was put into
    sink('cmdi.separator-command', ev());
    return true;
  }
  if (sep === Sep.Subst && arg <= Arg.End && plainSubstitution(t, k)) {
    // `$(echo ABCDEF)`: a word command with plain words, closed right after
    sink('cmdi.substitution', ev());
    return true;
  }
  if (w.obfuscated && (arg !== Arg.None || sep !== Sep.Start)) {
    sink('cmdi.obfuscated-command', ev());
    return true;
  }
  if (sep === Sep.Start) {
    if (w.binPath) {
      sink(arg === Arg.End ? 'cmdi.command-line' : 'cmdi.separator-command', ev());
      return true;
    }
    if (arg === Arg.End) {
      // `id;`, `ls|`: a bare command closed by a separator
      const next = t.charCodeAt(w.end);
      if (
        w.end < t.length &&
        !isWs(next) &&
        (BARE_OK.has(w.name) || TOOL_COMMANDS.has(w.name) || DISTINCT_COMMANDS.has(w.name)) &&
        !followedByPlainWord(t, w.end)
      ) {
        sink('cmdi.command-line', ev());
        return true;
      }
      if (DISTINCT_COMMANDS.has(w.name) && w.name !== 'pwd') {
        sink('cmdi.bare-command', ev());
        return true;
      }
      return false;
    }
    if (arg === Arg.None && DISTINCT_COMMANDS.has(w.name)) {
      sink('cmdi.command-line', ev());
      return true;
    }
    if (arg >= Arg.Strong || (arg === Arg.Weak && !WORD_COMMANDS.has(w.name) && !BARE_OK.has(w.name))) {
      if (DISTINCT_COMMANDS.has(w.name) || TOOL_COMMANDS.has(w.name) || arg >= Arg.Strong) {
        sink('cmdi.command-line', ev());
        return true;
      }
    }
    return false;
  }
  if (!accepts(w, sep, arg)) return false;
  if (sep === Sep.Subst) sink('cmdi.substitution', ev());
  else if (sep === Sep.Call) sink('cmdi.exec-call', ev());
  else if (sep === Sep.Soft && arg < Arg.Strong && !DISTINCT_COMMANDS.has(w.name))
    sink('cmdi.soft-separator-command', ev());
  else sink('cmdi.separator-command', ev());
  return true;
}

/** Executables and files that payloads name through glob patterns (`/???/??t`, `/e[t]c/pas[s]wd`). */
const GLOB_TARGETS = [
  '/bin/cat',
  '/bin/sh',
  '/bin/bash',
  '/bin/ls',
  '/bin/nc',
  '/bin/id',
  '/bin/dash',
  '/bin/busybox',
  '/usr/bin/id',
  '/usr/bin/whoami',
  '/usr/bin/wget',
  '/usr/bin/curl',
  '/usr/bin/nc',
  '/usr/bin/python',
  '/usr/bin/python3',
  '/usr/bin/perl',
  '/usr/bin/cat',
  '/etc/passwd',
  '/etc/shadow',
  '/etc/hosts',
  '/etc/group',
  '/bin/netcat',
  '/usr/bin/head',
  '/usr/bin/tail',
  '/usr/bin/env',
];

/** Matches a shell glob (`?`, `*`, `[...]`) against `t`; patterns are short, so recursion is bounded. */
function globMatch(p: string, pi: number, t: string, ti: number, budget: { n: number }): boolean {
  if (--budget.n < 0) return false;
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      for (let k = ti; k <= t.length; k++) if (globMatch(p, pi + 1, t, k, budget)) return true;
      return false;
    }
    if (ti >= t.length) return false;
    if (c === '?') {
      if (t[ti] === '/') return false;
    } else if (c === '[') {
      const close = p.indexOf(']', pi + 1);
      if (close < 0) return false;
      const set = p.slice(pi + 1, close);
      if (set.indexOf(t[ti]!) < 0) return false;
      pi = close + 1;
      ti++;
      continue;
    } else if (c !== t[ti]) return false;
    pi++;
    ti++;
  }
  return ti === t.length;
}

/** A path token with glob characters that expands to a shell or a sensitive file; returns it or ''. */
function globPathAt(s: string): string {
  if (s.indexOf('?') < 0 && s.indexOf('*') < 0 && s.indexOf('[') < 0) return '';
  for (let i = s.indexOf('/'); i >= 0 && i < s.length; i = s.indexOf('/', i + 1)) {
    if (i > 0 && /[\w/]/.test(s[i - 1]!)) continue;
    let j = i;
    let glob = false;
    while (j < s.length && j - i < 48 && /[\w./?*[\]-]/.test(s[j]!)) {
      if (s[j] === '?' || s[j] === '*' || s[j] === '[') glob = true;
      j++;
    }
    if (!glob) continue;
    // `[...]` may hold slashes (`/[e/////]tc`): a class holding `/` also matches the letter
    const tok = s
      .slice(i, j)
      .replace(/\[([^\][]{0,24})\]/g, (_m, set: string) => '[' + set.replace(/\//g, '') + ']');
    for (const target of GLOB_TARGETS) if (globMatch(tok, 0, target, 0, { n: 2000 })) return tok;
    i = j;
  }
  return '';
}

/**
 * Windows batch control flow: `for [/f ...] %x in (...) do ...` anywhere, `if [/i] [not] exist|defined|
 * errorlevel ...` and `if a==b ...` at a command position. Returns 0 for a value-start match, the index
 * of a match after a separator, or -1.
 */
function batchAt(s: string): number {
  let from = 0;
  for (;;) {
    const f = s.indexOf('for', from);
    if (f < 0) break;
    from = f + 3;
    if ((f > 0 && isAlnum(s.charCodeAt(f - 1))) || !isWs(s.charCodeAt(f + 3))) continue;
    const pct = s.indexOf('%', f);
    if (pct < 0 || pct - f > 100) continue;
    const inAt = s.indexOf(' in', pct);
    if (inAt < 0 || inAt - pct > 24) continue;
    let k = inAt + 3;
    while (isWs(s.charCodeAt(k))) k++;
    if (s[k] !== '(') continue;
    for (let close = s.indexOf(')', k); close > 0 && close - k < 300; close = s.indexOf(')', close + 1)) {
      let d = close + 1;
      while (isWs(s.charCodeAt(d))) d++;
      if (s.startsWith('do', d) && !isAlnum(s.charCodeAt(d + 2))) return commandPosition(s, f);
    }
  }
  from = 0;
  for (;;) {
    const f = s.indexOf('if', from);
    if (f < 0) return -1;
    from = f + 2;
    if (!isWs(s.charCodeAt(f + 2)) && s[f + 2] !== '/') continue;
    const pos = commandPosition(s, f);
    if (pos < 0) continue;
    if (IF_RE.test(s.slice(f, f + 200))) return pos;
  }
}

/** 0 when `i` is the value start, `i` when a shell separator precedes it, -1 otherwise. */
function commandPosition(s: string, i: number): number {
  let b = i - 1;
  while (b >= 0 && isWs(s.charCodeAt(b))) b--;
  if (b < 0) return 0;
  const c = s[b];
  return c === '&' || c === '|' || c === ';' || c === '\n' || c === '(' ? i : -1;
}

const IF_RE =
  /^if(?:\s+|(?=\/))(?:\/i\s+)?(?:not\s+)?(?:(?:exist|defined|errorlevel|cmdextversion)\s+\S|(?:"[^"]*"|\[[^\]]*\]|\([^)]*\)|[^\s=]+)\s*(?:==|\s(?:equ|neq|lss|leq|gtr|geq)\s))/;

// `$IFS` glued to more letters (`echo$IFSABCDEF`) still expands to a blank in the payloads that use it
const IFS_RE = /\$\{ifs\}|\$ifs|\$\{ifs%/;
const IFS_ALL_RE = /\$\{ifs(?:%[^}]{0,4})?\}|\$ifs(?:\$\d)?/gi;
const REVERSE_RE =
  /\/dev\/(?:tcp|udp)\/[\w.-]|\b(?:nc|ncat|netcat)(?:\.exe)? {1,3}(?:-[a-z]{1,6} {1,3}){0,3}-[a-z]{0,5}[ec] |\b(?:ba)?sh {1,3}-i\b|\b[01]>& ?[012]\b|>& ?\/dev\/|\bsocket\.socket\(|\bmkfifo {1,3}\/|\bsubprocess\.(?:call|popen|run)\(/;
const POWERSHELL_RE =
  /\biex\s?\(|\binvoke-expression\b|\.downloadstring\(|\.downloadfile\(|\bnew-object\s+(?:system\.)?net\.webclient|\s-(?:enc|encodedcommand|e)\s+[a-z0-9+/]{20}|\binvoke-webrequest\b|\bstart-process\b/;

// Literals of which every match of the regex above holds one: `indexOf` rejects most values first.
const REVERSE_GATES = ['/dev/', '>&', 'nc', 'netcat', 'sh ', 'socket.socket(', 'mkfifo', 'subprocess.'];
const POWERSHELL_GATES = ['iex', '-e', '.download', 'new-object', 'invoke-webrequest', 'start-process'];

function hasAny(s: string, literals: readonly string[]): boolean {
  for (let i = 0; i < literals.length; i++) if (s.indexOf(literals[i]!) >= 0) return true;
  return false;
}

const SSI_DIRECTIVES = [
  'exec',
  'include',
  'echo',
  'config',
  'set',
  'printenv',
  'fsize',
  'flastmod',
  'if',
  'elif',
];

/** Index of a server-side include directive (`<!--#exec`, `<!--#include virtual=`), or -1. */
function ssiAt(s: string): number {
  for (let i = s.indexOf('<!--#'); i >= 0; i = s.indexOf('<!--#', i + 5)) {
    for (const d of SSI_DIRECTIVES) {
      if (!s.startsWith(d, i + 5)) continue;
      const c = s.charCodeAt(i + 5 + d.length);
      // a directive name ends at a blank or the comment end (`<!--#printenv -->`)
      if (isWs(c) || c === 10 || c === 13 || c === 45 || c !== c) return i;
    }
  }
  return -1;
}

/** Index of a Shellshock prefix `() {` … `;};` / `() { :; };`, or -1. */
function shellshockAt(s: string): number {
  let from = 0;
  for (;;) {
    // found from the `)`: a run of `(((` then costs nothing (one `)` per candidate `(`)
    const c = s.indexOf(')', from);
    if (c < 0) return -1;
    from = c + 1;
    let p = c - 1;
    while (p >= 0 && isWs(s.charCodeAt(p))) p--;
    if (p < 0 || s.charCodeAt(p) !== 40 /* ( */) continue;
    let k = c + 1;
    while (isWs(s.charCodeAt(k))) k++;
    if (s[k] !== '{') continue;
    // the definition opens the value (an environment variable's value, `x=() {`); inside code
    // (`$(document).ready(function () { init(); })`) it is a function literal
    let o = p - 1;
    while (o >= 0 && (isWs(s.charCodeAt(o)) || s[o] === '"' || s[o] === "'")) o--;
    if (o >= 0 && s[o] !== '=') continue;
    if (o < 0) {
      // `() {` alone at the value start is the Shellshock prefix whatever follows
      let e = k + 1;
      while (isWs(s.charCodeAt(e))) e++;
      if (e >= s.length || s[e] === ':' || s[e] === '_') return p;
    }
    // the body up to the first `}` must end in `;` and be followed by `;` or a command
    const close = s.indexOf('}', k);
    if (close < 0 || close - k > 200) continue;
    let b = close - 1;
    while (b > k && isWs(s.charCodeAt(b))) b--;
    if (s[b] !== ';') continue;
    return p;
  }
}

/** Cheap prefilter: which values can hold a command at all. */
const INTERESTING =
  Flag.semi |
  Flag.pipeAmp |
  Flag.backtick |
  Flag.newline |
  Flag.dollar |
  Flag.paren |
  Flag.quote |
  Flag.brace;

/** Creates the OS command injection detector. */
export const createCmdiDetector: DetectorFactory = () => ({
  class: 'cmdi',
  rules: RULES,
  kinds: ARGS | Kind.header | Kind.pathSegment | Kind.path | Kind.bodyRaw,
  inspectValue(v: Value, report: Reporter): void {
    // Standard headers (accept, authorization, sec-ch-ua, ...) and path segments get only the certain
    // markers; the whole path gets the separator scan too. The free-text user-agent and referer and
    // custom headers (`x-forwarded-host`, `x-api-key`), which applications pass on, are read like
    // arguments.
    const mode =
      (v.kind & Kind.path) !== 0
        ? Mode.Path
        : (v.kind & Kind.pathSegment) !== 0 ||
            ((v.kind & Kind.header) !== 0 &&
              v.name !== 'user-agent' &&
              v.name !== 'referer' &&
              isStructuredHeader(v.name))
          ? Mode.Header
          : Mode.Arg;
    const sink: Sink = (rule, evidence) => report.value(rule, v, 'norm', evidence);
    if (v.isPlain) {
      // plain text: only a value that *is* a command line (`uname -a`, `whoami`) can be one
      if (mode !== Mode.Arg || v.raw.length > 200) return;
      const sp = v.raw.indexOf(' ');
      let first = (sp < 0 ? v.raw : v.raw.slice(0, sp)).toLowerCase();
      if (first.endsWith('.exe')) first = first.slice(0, -4);
      if (!isCommand(first) && !STARTERS.has(first)) return;
      scan(v.raw, sink, mode);
      return;
    }
    const f = v.flags;
    const s = v.view('norm');
    if ((f & INTERESTING) === 0) {
      // slashes, dashes and percents only: still a possible command line at the start
      if (mode !== Mode.Arg) return;
      let k = 0;
      while (k < s.length && isWs(s.charCodeAt(k))) k++;
      let e = k;
      while (e < s.length && !isTerminator(s.charCodeAt(e)) && s[e] !== '/') e++;
      const first = s.slice(k, e).toLowerCase();
      if (!isCommand(first) && !STARTERS.has(first) && !first.startsWith('/') && first !== '') return;
    }
    scan(s, sink, mode);
  },
  inspectRequest(req: ParsedRequest, report: Reporter): void {
    scanQuery(req.rawQuery, (rule, evidence) => report.request(rule, 'query', evidence));
  },
});
