import { type DetectorFactory, type RuleDef, type Reporter, snippet } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { Kind, type Value } from '../../value.js';

/**
 * Remote file inclusion: a parameter whose value is a URL to another host, in the shape an
 * `include($_GET['page'])` turns into code execution. A URL in a form field is ordinary (a website
 * field, a `next` link to this site); what makes it an inclusion attempt is one of:
 * - the include-truncation trick: the URL ends in `?`, `#` or a NUL so the app's own suffix (`.php`)
 *   becomes a query string or is cut off (`?page=http://evil/shell.txt?`),
 * - a parameter named like an include path (`page`, `include`, `path`, `*_dir`, `config[root_path]`),
 * - a script or text payload on an IP-literal host or over FTP/SMB.
 * URLs to the request's own host are never reported.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'rfi.truncated_url',
    version: 1,
    severity: 'critical',
    confidence: 0.93,
    description:
      'External URL ending in ?, # or NUL: include-suffix truncation (?page=http://evil/shell.txt?)',
  },
  {
    id: 'rfi.include_param',
    version: 1,
    severity: 'critical',
    confidence: 0.88,
    description:
      'External URL in a parameter named like an include path (page, include, file, path, *_dir, root_path, ...)',
  },
  {
    id: 'rfi.script_payload',
    version: 1,
    severity: 'critical',
    confidence: 0.85,
    description: 'Script or text payload (.php, .txt, .sh, ...) on an IP-literal host or over ftp/smb',
  },
  {
    id: 'rfi.ip_host',
    version: 1,
    severity: 'high',
    confidence: 0.65,
    description: 'URL to an IP-literal host, or a script/text file on another host, in a parameter',
  },
  {
    id: 'rfi.ftp_url',
    version: 1,
    severity: 'medium',
    confidence: 0.55,
    description: 'ftp://, ftps:// or smb:// URL in a parameter',
  },
];

/** Parameter names that feed include/require in the wild (CRS 931110 and the fwaf/Nessus probes). */
const INCLUDE_NAMES = new Set([
  'page',
  'pg',
  'file',
  'filename',
  'include',
  'inc',
  'incl',
  'require',
  'path',
  'dir',
  'directory',
  'folder',
  'root',
  'template',
  'tpl',
  'module',
  'mod',
  'lang',
  'language',
  'conf',
  'config',
  'cfg',
  'lib',
  'library',
  'load',
  'show',
  'view',
  'base',
  'theme',
  'skin',
  'class',
  'layout',
  'prefix',
  'pagina',
]);
/** Name fragments that mark an include-like parameter (`sys_dir`, `abspath`, `wppath`, `includepath`). */
const INCLUDE_FRAGMENTS =
  /(?:path|_dir|dir_|_root|root_|rootdir|_inc|inc_|include|require|_file|file_|_lib|lib_|libdir|basedir|template|_conf|conf_|config\[|_prefix|prefix_|_page)/;

const SCRIPT_EXT = /\.(?:php[0-9s]?|phtml|txt|inc|sh|pl|py|cgi|asp|aspx|jsp|js|gif|jpg|png|dat|log|do|exe)$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$|^\d{8,10}$|^0x[0-9a-f]{8}$/;

interface ParsedUrl {
  scheme: string;
  host: string;
  path: string;
  /** The URL ends with `?`, `??`, `#`, NUL or `%00`: the app's suffix is neutralised. */
  truncated: boolean;
}

/** Parses `scheme://[user@]host[:port]/path?query` leniently; null when the value is not a URL. */
function parseUrl(s: string): ParsedUrl | null {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  const sep = s.indexOf('://', i);
  if (sep < 0 || sep - i > 10) return null;
  const scheme = s.slice(i, sep).toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) return null;
  let rest = s.slice(sep + 3);
  let end = rest.length;
  for (let k = 0; k < rest.length; k++) {
    const c = rest.charCodeAt(k);
    if (c === 47 || c === 63 || c === 35 || c === 92) {
      end = k;
      break;
    }
  }
  let authority = rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1);
  else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  rest = rest.slice(end);
  const q = rest.search(/[?#\0]/);
  const path = (q < 0 ? rest : rest.slice(0, q)).toLowerCase();
  const tail = rest.trimEnd();
  const truncated =
    tail.endsWith('?') || tail.endsWith('#') || tail.indexOf('\0') >= 0 || tail.toLowerCase().endsWith('%00');
  return { scheme, host: host.toLowerCase(), path, truncated };
}

function isIncludeName(name: string): boolean {
  const n = name.toLowerCase();
  if (INCLUDE_NAMES.has(n)) return true;
  // `config[root_path]`, `GLOBALS[includedir]`: the innermost key counts too.
  const br = n.lastIndexOf('[');
  if (br >= 0) {
    const inner = n.slice(br + 1).replace(/\]$/, '');
    if (INCLUDE_NAMES.has(inner)) return true;
  }
  return INCLUDE_FRAGMENTS.test(n);
}

const VALUE_KINDS = Kind.arg | Kind.cookie | Kind.xml;
const REMOTE_SCHEMES = new Set(['http', 'https', 'ftp', 'ftps', 'smb', 'sftp', 'tftp', 'dav', 'webdav']);

/** Detector factory (registered as `rfi`). */
export const createRfiDetector: DetectorFactory = () => ({
  class: 'rfi',
  rules: RULES,
  kinds: 0,
  inspectRequest(req: ParsedRequest, report: Reporter): void {
    let ownHost: string | null = null;
    for (const v of req.values) {
      if ((v.kind & VALUE_KINDS) === 0 || v.raw.indexOf(':') < 0) continue;
      inspect(v, report, () => (ownHost ??= hostOf(req.header('host'))));
    }
  },
});

function hostOf(h: string): string {
  const s = h.trim().toLowerCase();
  if (s.startsWith('[')) return s.slice(0, s.indexOf(']') + 1);
  const c = s.indexOf(':');
  return c < 0 ? s : s.slice(0, c);
}

function inspect(v: Value, report: Reporter, ownHost: () => string): void {
  const url = v.view('url');
  const u = parseUrl(url);
  if (u === null || !REMOTE_SCHEMES.has(u.scheme) || u.host === '') return;
  const own = ownHost();
  if (own !== '' && (u.host === own || u.host.endsWith('.' + own))) return;
  const ev = snippet(url.trim(), 0, 0, 120);
  if (u.truncated) {
    report.value('rfi.truncated_url', v, 'url', ev);
    return;
  }
  const ip = IPV4.test(u.host) || u.host.startsWith('[');
  const script = SCRIPT_EXT.test(u.path);
  const ftp = u.scheme !== 'http' && u.scheme !== 'https';
  if (isIncludeName(v.name)) {
    report.value('rfi.include_param', v, 'url', ev);
    return;
  }
  if (script && (ip || ftp)) {
    report.value('rfi.script_payload', v, 'url', ev);
    return;
  }
  if (ip || (script && /\.(?:php[0-9s]?|phtml|inc|sh|pl|py|cgi)$/.test(u.path))) {
    report.value('rfi.ip_host', v, 'url', ev);
    return;
  }
  if (ftp) report.value('rfi.ftp_url', v, 'url', ev);
}
