import { type DetectorFactory, type RuleDef, type Reporter, snippet } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { Kind } from '../../value.js';

/**
 * Malicious file uploads. A multipart file part is judged as a whole: its file name (what the
 * server will store and maybe execute), its declared content type, and its content. The name is
 * reduced the way servers reduce it (trailing dots and spaces dropped by Windows, `::$DATA`, a NUL
 * or an IIS `;` cutting the name) before its extensions are compared with the executable ones;
 * the content is checked for server-side code and executable magic. `X-File-Name`-style headers of
 * AJAX uploaders and `PUT` of a script are covered too.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'upload.script_ext',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description:
      'Uploaded file with a server-executable extension (.php, .phtml, .jsp, .asp(x), .cer, .asa, .exe, .sh, .war, ...)',
  },
  {
    id: 'upload.ext_evasion',
    version: 1,
    severity: 'critical',
    confidence: 0.93,
    description:
      'Executable extension hidden by a double extension, trailing dot/space, NUL, ::$DATA or IIS ";" (shell.php.jpg, shell.asp;.jpg)',
  },
  {
    id: 'upload.server_config',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description: 'Upload of a server configuration file (.htaccess, .user.ini, web.config)',
  },
  {
    id: 'upload.webshell_content',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description:
      'Uploaded content with server-side code that runs commands or evaluates input (<?php eval/system, <%@ Runtime.exec, ...)',
  },
  {
    id: 'upload.type_mismatch',
    version: 1,
    severity: 'critical',
    confidence: 0.88,
    description:
      'Declared image/document whose content is server code or an executable (image/jpeg starting with <?php or MZ)',
  },
  {
    id: 'upload.server_code',
    version: 1,
    severity: 'high',
    confidence: 0.7,
    description:
      'Uploaded content holding a server-side code opening tag (<?php, <%@, <jsp:, runat="server")',
  },
  {
    id: 'upload.active_content',
    version: 1,
    severity: 'high',
    confidence: 0.75,
    description: 'SVG, HTML or XML upload carrying script (stored XSS via upload)',
  },
  {
    id: 'upload.header_filename',
    version: 1,
    severity: 'critical',
    confidence: 0.88,
    description: 'X-File-Name-style upload header naming an executable file (CRS 933110)',
  },
  {
    id: 'upload.put_script',
    version: 1,
    severity: 'high',
    confidence: 0.75,
    description: 'PUT/MOVE/COPY writing a server-executable file (WebDAV upload)',
  },
];

/** Extensions a web server may execute or a client may run. */
const EXEC_EXT = new Set([
  'php',
  'php2',
  'php3',
  'php4',
  'php5',
  'php6',
  'php7',
  'php8',
  'phtml',
  'pht',
  'phtm',
  'phar',
  'phps',
  'pgif',
  'inc',
  'shtml',
  'shtm',
  'stm',
  'jsp',
  'jspx',
  'jsw',
  'jsv',
  'jspf',
  'jhtml',
  'asp',
  'aspx',
  'asa',
  'cer',
  'cdx',
  'ashx',
  'asmx',
  'ascx',
  'axd',
  'svc',
  'soap',
  'rem',
  'config',
  'cfm',
  'cfml',
  'cfc',
  'exe',
  'dll',
  'bat',
  'cmd',
  'com',
  'scr',
  'msi',
  'vbs',
  'vbe',
  'wsf',
  'ps1',
  'psm1',
  'hta',
  'sh',
  'bash',
  'ksh',
  'csh',
  'zsh',
  'pl',
  'pm',
  'cgi',
  'py',
  'pyc',
  'rb',
  'war',
  'ear',
  'jar',
  'elf',
  'lnk',
  'htaccess',
]);
/** Extensions that are harmless on their own: the cover of a double extension. */
/** Extensions a server executes even in the middle of a name (Apache AddHandler, IIS 6). */
const INNER_EXEC = /^(?:php[0-9s]?|phtml|pht|phar|asp|aspx|asa|cer|cdx|jsp|jspx|cgi|pl|shtml)$/;
const COVER_EXT = new Set([
  'jpg',
  'jpeg',
  'png',
  'gif',
  'bmp',
  'webp',
  'ico',
  'tif',
  'tiff',
  'svg',
  'pdf',
  'txt',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'ppt',
  'pptx',
  'odt',
  'csv',
  'zip',
  'rar',
  '7z',
  'gz',
  'tar',
  'mp3',
  'mp4',
  'avi',
  'mov',
  'wav',
  'heic',
  'html',
  'htm',
  'json',
  'xml',
  'rtf',
  'jfif',
  'pjpeg',
  'apng',
  'avif',
]);
/** Upload header names with `-`, `_` and `.` removed. */
const UPLOAD_HEADERS = new Set(['xfilename', 'xfile', 'xuploadfilename']);
const CONFIG_NAMES = new Set(['.htaccess', '.user.ini', 'web.config', 'php.ini', '.htpasswd']);

/** Calls that run commands or evaluate input, and superglobal reads (matched on whitespace-free text). */
const SHELL_CALLS = [
  'eval(',
  'assert(',
  'system(',
  'exec(',
  'shell_exec(',
  'passthru(',
  'popen(',
  'proc_open(',
  'pcntl_exec(',
  'create_function(',
  'call_user_func(',
  'call_user_func_array(',
  'preg_replace(',
  'base64_decode(',
  'gzinflate(',
  'str_rot13(',
  'file_put_contents(',
  'move_uploaded_file(',
  'include(',
  'require(',
  'require_once(',
];
const SHELL_MARKS = [
  '$_get[',
  '$_post[',
  '$_request[',
  '$_cookie[',
  '$_files[',
  '$_server[',
  '`$_',
  'runtime.getruntime().exec',
  'newprocessbuilder',
  'processstartinfo',
  'wscript.shell',
  'scripting.filesystemobject',
  'request.form',
  'request.querystring',
  'server.createobject',
  'evalrequest(',
];

/** Whether server code after its opening tag runs commands or evaluates input. */
function isWebshell(code: string): boolean {
  const t = code.toLowerCase().replace(/\s+/g, '');
  for (const m of SHELL_MARKS) if (t.indexOf(m) >= 0) return true;
  for (const c of SHELL_CALLS) {
    let i = t.indexOf(c);
    while (i >= 0) {
      const before = i === 0 ? 0 : t.charCodeAt(i - 1);
      // a whole function name: `filesystem(` is not `system(`
      if (!((before >= 97 && before <= 122) || (before >= 48 && before <= 57) || before === 95)) return true;
      i = t.indexOf(c, i + 1);
    }
  }
  return false;
}

const SERVER_OPEN = /<\?php|<\?=|<\?\s|<%@|<%=|<%\s|<jsp:|<cfexecute|<!--#exec/i;
/** `<script runat="server">` (ASP.NET): the attribute is looked for right after the tag. */
function serverScript(s: string): RegExpExecArray | null {
  const lower = s.toLowerCase();
  let i = lower.indexOf('<script');
  while (i >= 0) {
    const close = lower.indexOf('>', i);
    const tag = lower.slice(i, close < 0 ? Math.min(lower.length, i + 200) : Math.min(close, i + 200));
    if (/runat\s*=\s*["']?server/.test(tag)) {
      const m = [s.slice(i, i + 7)] as unknown as RegExpExecArray;
      m.index = i;
      return m;
    }
    i = lower.indexOf('<script', i + 7);
  }
  return null;
}
const ACTIVE = /<script|\bon[a-z]{3,20}\s*=|javascript:|<iframe|<foreignobject|<embed|<object/i;

/** Detector factory (registered as `upload`). */
export const createUploadDetector: DetectorFactory = () => ({
  class: 'upload',
  rules: RULES,
  kinds: 0,
  inspectRequest(req: ParsedRequest, report: Reporter): void {
    // AJAX uploaders name the file in a header: `X-File-Name`, `X-Filename`, `X_Filename`, and
    // `X.Filename` (CRS 933110) are one name once the separators are dropped.
    for (const [h, vals] of req.headers) {
      if (h.length < 6 || h.length > 20 || (h[0] !== 'x' && h[0] !== 'X')) continue;
      if (!UPLOAD_HEADERS.has(h.toLowerCase().replace(/[-_.]/g, ''))) continue;
      const fn = vals.join(',');
      if (fn === '') continue;
      const r = judgeName(fn);
      if (r !== null && r.rule !== 'upload.cover_only')
        report.request('upload.header_filename', `header:${h}`, snippet(fn, 0, 0, 120));
    }
    if ((req.method === 'PUT' || req.method === 'MOVE' || req.method === 'COPY') && req.path !== '') {
      const dest = req.method === 'PUT' ? req.path : req.header('destination');
      const leaf = dest.slice(dest.lastIndexOf('/') + 1);
      const r = judgeName(leaf);
      if (r !== null && r.rule !== 'upload.cover_only')
        report.request('upload.put_script', 'path', snippet(dest, 0, 0, 120));
    }
    if (req.bodyFormat !== 'multipart') return;
    // The parser emits each file part as filename, then content-type (if any), then content.
    let name: string | null = null;
    let nameLoc = '';
    let ctype = '';
    for (const v of req.values) {
      if (v.kind === Kind.filename) {
        name = v.raw;
        nameLoc = v.location;
        ctype = '';
      } else if (v.kind === Kind.partContentType) {
        ctype = v.raw.toLowerCase();
      } else if (
        (v.kind === Kind.bodyRaw || v.kind === Kind.binary) &&
        name !== null &&
        v.location.startsWith('body.multipart.file:')
      ) {
        judgePart(name, nameLoc, ctype, v.raw, v.location, report);
        name = null;
      }
    }
  },
});

interface NameVerdict {
  rule: 'upload.script_ext' | 'upload.ext_evasion' | 'upload.server_config' | 'upload.cover_only';
  ext: string;
}

/**
 * What a server would store the name as, and whether that executes. Returns null for a name with no
 * executable extension anywhere.
 */
function judgeName(raw: string): NameVerdict | null {
  let name = raw.toLowerCase();
  // Browsers may send a full client path (old IE): the leaf is what counts.
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  if (slash >= 0) name = name.slice(slash + 1);
  let evasion = false;
  // `%00` and NUL truncate in C-based stores; IIS 6 stops at `;`; NTFS streams `::$data`.
  for (const cut of ['\0', '%00', ';', '::$data', ':$data']) {
    const i = name.indexOf(cut);
    if (i > 0) {
      name = name.slice(0, i);
      evasion = true;
    }
  }
  let end = name.length;
  while (end > 0 && (name[end - 1] === '.' || name[end - 1] === ' ' || name[end - 1] === '\t')) end--;
  const trimmed = name.slice(0, end);
  if (trimmed !== name) evasion = true;
  name = trimmed;
  // `photo. php`, `shell .php`: blanks around a dot vanish when the name is rebuilt or trimmed
  // (CRS compares with whitespace removed).
  if (name.indexOf(' ') >= 0 || name.indexOf('\t') >= 0) {
    const tight = dropBlanksAroundDots(name);
    if (tight !== name) {
      name = tight;
      evasion = true;
    }
  }
  if (CONFIG_NAMES.has(name)) return { rule: 'upload.server_config', ext: name };
  const parts = name.split('.');
  if (parts.length < 2) return null;
  const last = parts[parts.length - 1]!;
  // `php907`: PHP handlers match `php` plus any digits (CRS 933110 `php\d*`)
  if ((EXEC_EXT.has(last) || /^php\d+$/.test(last)) && (last !== 'inc' || parts.length > 2))
    return { rule: evasion ? 'upload.ext_evasion' : 'upload.script_ext', ext: last };
  // `shell.php.jpg`: Apache's mod_mime runs any name containing a handler extension (only the
  // handler ones: `notes.py.txt` is a text file).
  for (let i = 1; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (INNER_EXEC.test(p)) return { rule: 'upload.ext_evasion', ext: p };
  }
  return evasion && COVER_EXT.has(last)
    ? null
    : COVER_EXT.has(last)
      ? { rule: 'upload.cover_only', ext: last }
      : null;
}

/** `photo. php` -> `photo.php`: blank runs touching a dot are removed (a hand scan: a regex over blank runs is quadratic). */
function dropBlanksAroundDots(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== ' ' && c !== '\t') {
      out += c;
      continue;
    }
    let j = i;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    if (!((i > 0 && s[i - 1] === '.') || s[j] === '.')) out += s.slice(i, j);
    i = j - 1;
  }
  return out;
}

function judgePart(
  filename: string,
  nameLoc: string,
  ctype: string,
  content: string,
  contentLoc: string,
  report: Reporter,
): void {
  const n = judgeName(filename);
  if (n !== null && n.rule !== 'upload.cover_only') {
    report.request(n.rule, nameLoc, snippet(filename, 0, 0, 120));
  }
  const head = content.length > 65536 ? content.slice(0, 65536) : content;
  const open = SERVER_OPEN.exec(head) ?? serverScript(head);
  const lowerName = filename.toLowerCase();
  const ext = lowerName.slice(lowerName.lastIndexOf('.') + 1);
  const claimsMedia =
    /^(?:image|audio|video)\//.test(ctype) || ctype === 'application/pdf' || COVER_EXT.has(ext);
  if (open) {
    if (isWebshell(head.slice(open.index, open.index + 16384))) {
      report.request('upload.webshell_content', contentLoc, snippet(head, open.index, 0, 120));
    } else if (claimsMedia) {
      report.request('upload.type_mismatch', contentLoc, snippet(head, open.index, 0, 120));
    } else {
      report.request('upload.server_code', contentLoc, snippet(head, open.index, 0, 120));
    }
    return;
  }
  // An executable or script where an image or document was declared.
  if (
    claimsMedia &&
    ext !== 'exe' &&
    (head.startsWith('MZ') || head.startsWith('\x7fELF') || head.startsWith('#!/'))
  ) {
    report.request('upload.type_mismatch', contentLoc, snippet(head, 0, 0, 40));
    return;
  }
  if (
    ext === 'svg' ||
    ext === 'html' ||
    ext === 'htm' ||
    ext === 'xml' ||
    ext === 'xhtml' ||
    ctype.indexOf('svg') >= 0 ||
    ctype === 'text/html'
  ) {
    const a = ACTIVE.exec(head);
    if (a) report.request('upload.active_content', contentLoc, snippet(head, a.index, a[0].length, 120));
  }
}
