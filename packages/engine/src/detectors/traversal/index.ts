import { type DetectorFactory, type RuleDef, type Reporter, snippet } from '../detector.js';
import { Kind, ARGS, Flag, type Value } from '../../value.js';
import { pathSkeleton, countClimbs, urlDecodeNibbles } from './skeleton.js';

/**
 * Path traversal and local file inclusion.
 *
 * The idea: rebuild the path a lenient file API would see (`pathSkeleton`: every decoding, IIS
 * overlong quirks, hex-spelled dots, Unicode slashes), then judge three things separately:
 * how far it climbs (`..` segments), whether climbing needed an evasion (encoding beyond what the
 * application decodes, `....//`, `..;/`), and what it reaches (a well-known OS or server file, or an
 * absolute path into a system directory). A single plain `../` is ordinary in relative links and
 * only noted; depth, evasion or a sensitive target make it an attack.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'traversal.os_file',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description:
      'Path to a well-known OS or server file (/etc/passwd, boot.ini, win.ini, /proc/self/environ, ...)',
  },
  {
    id: 'traversal.encoded',
    version: 1,
    severity: 'critical',
    confidence: 0.92,
    description:
      'Dot-dot-slash hidden by an evasion (double or overlong encoding, %u, hex spelling, ....//, ..;/) or climbing above the root (/../)',
  },
  {
    id: 'traversal.deep',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description: 'Three or more ../ segments climbing out of the current directory',
  },
  {
    id: 'traversal.climb',
    version: 1,
    severity: 'high',
    confidence: 0.7,
    description: 'Two ../ segments, or one reaching a script or configuration file',
  },
  {
    id: 'traversal.dotdot',
    version: 1,
    severity: 'low',
    confidence: 0.4,
    description: 'A single relative ../ (common in relative links; weak alone)',
  },
  {
    id: 'traversal.abs_path',
    version: 1,
    severity: 'high',
    confidence: 0.75,
    description:
      'A parameter holding an absolute path into a system directory (/var, /usr, C:\\Windows, ...)',
  },
  {
    id: 'traversal.abs_sensitive',
    version: 1,
    severity: 'critical',
    confidence: 0.9,
    description: 'A parameter holding an absolute path to a configuration, log, key or history file',
  },
  {
    id: 'traversal.wrapper',
    version: 1,
    severity: 'critical',
    confidence: 0.93,
    description:
      'PHP stream wrapper or filter chain (php://filter, php://input, phar://, zip://, expect://, file://)',
  },
  {
    id: 'traversal.filter_chain',
    version: 1,
    severity: 'high',
    confidence: 0.75,
    description:
      'PHP filter names (convert.iconv.*, convert.base64-decode, string.rot13) used for filter-chain LFI',
  },
  {
    id: 'traversal.null_byte',
    version: 1,
    severity: 'high',
    confidence: 0.8,
    description: 'NUL byte truncating a file name (file.php%00.jpg, ../x%00)',
  },
];

/**
 * Well-known files whose mention as a path component is an attack wherever it stands. The junk class
 * between `etc` and its file catches separators no decoder understands (`etc%c1%pcpasswd`).
 */
const OS_FILE = new RegExp(
  [
    // Unix: /etc/<file>, with any separator (even undecodable junk) between.
    String.raw`(?:^|[^a-z0-9_])etc(?:/+|2f|5c|[^a-z0-9\s]{1,12})(?:passwd|shadow|master\.passwd|group|gshadow|sudoers|hosts|issue|crontab|fstab|hostname|motd|security/|ssh/|mysql/|apache2?/|httpd/|nginx/|php[0-9.]*/|init\.d/|rc\.d/|sysconfig/|resolv\.conf|my\.cnf|profile|inetd\.conf|syslog\.conf|ld\.so|redhat-release|lsb-release|os-release|network/|samba/|ftpchroot|ftpusers|vsftpd|proftpd|shells|apt/|x11/|aliases|exports|defaultdomain|defaultrouter|chrootusers|updatedb\.conf|environment|wgetrc|logrotate|cron|default/|pam\.d|pki/|ssl/|tomcat|postfix|dovecot|openldap|opt/|sudo|subuid|subgid)`,
    String.raw`(?:^|/)proc/+(?:self|thread-self|[0-9]+|version|cpuinfo|meminfo|mounts|net/|sched_debug|kcore|cmdline|environ|partitions|interrupts|config\.gz|devices|stat)`,
    String.raw`(?:^|/)sys/+(?:class|kernel|devices|firmware|module|power|block|bus|fs)(?:/|$)`,
    String.raw`(?:boot|win)\.ini(?:[^a-z0-9]|$)|(?:^|[^a-z0-9_])(?:system|desktop)\.ini(?:[^a-z0-9]|$)`,
    String.raw`(?:^|[^a-z0-9_])(?:windows|winnt)(?:/+|[^a-z0-9\s]{1,12})(?:system32|system|win\.ini|system\.ini|repair|debug|panther|php\.ini|my\.ini|iis[0-9.]+\.log|inf/|temp/|microsoft\.net)`,
    String.raw`(?:^|/)system32(?:/+|[^a-z0-9\s]{1,12})(?:drivers|config|inetsrv|logfiles|cmd\.exe|calc\.exe|license\.rtf|eula\.txt)`,
    String.raw`(?:^|[^a-z0-9_])(?:inetpub/*wwwroot|global\.asa(?:$|[^a-z0-9])|web-inf/*(?:web|classes|lib|jboss-web)|meta-inf/)`,
    String.raw`(?:^|[^a-z0-9_])etc(?:passwd|shadow)(?:$|[^a-z0-9])`,
    String.raw`(?:^|/)\.(?:ssh/+(?:id_|authorized_keys|known_hosts|config)|bash_history|zsh_history|mysql_history|psql_history|sh_history|history|bashrc|bash_profile|bash_logout|zshrc|cshrc|tcshrc|shosts|rhosts|netrc|pgpass|my\.cnf|git-credentials|docker/+config\.json|aws/+credentials|kube/+config|htpasswd|htaccess|gitconfig|viminfo|lesshst|profile|login|logout|forward|gnupg/|pki/|subversion/|composer/|npmrc|env(?:$|\.[a-z]|/))`,
    String.raw`(?:^|/)id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?(?:$|[^a-z0-9])`,
    String.raw`(?:^|[^a-z0-9_])master\.passwd|(?:^|/)\.(?:passwd|pass|xauthority|ICEauthority)(?:$|[^a-z0-9])`,
    String.raw`(?:^|/)(?:var/+(?:log|lib/+mysql|mail|spool/+cron|adm)|usr/+local/+(?:etc|apache|php|mysql))/`,
  ].join('|'),
);

/** Unix system directories: an absolute path starting with one is a file, not an app route. */
const UNIX_SYS = new Set([
  'etc',
  'proc',
  'sys',
  'boot',
  'root',
  'var',
  'usr',
  'opt',
  'bin',
  'sbin',
  'lib',
  'lib64',
  'srv',
  'mnt',
  'private',
  'volumes',
  'dev',
  'tmp',
  'home',
  'home2',
  'cygdrive',
]);
/** Of those, the ones whose contents are configuration, logs or binaries: critical already. */
const UNIX_SYS_STRONG = new Set([
  'etc',
  'proc',
  'root',
  'var',
  'usr',
  'opt',
  'sbin',
  'lib',
  'lib64',
  'srv',
  'private',
  'volumes',
  'boot',
  'cygdrive',
  'home2',
]);

/** Directory names of server software: with a sensitive leaf they make a file path an LFI target. */
const SERVER_DIR =
  /(?:^|\/)(?:apache[0-9.]*|httpd|nginx[0-9.-]*|xampp|wamp|lampp|php[0-9.]*|mysql|logs?|conf|etc|inetpub|program ?files[^/]*|progra~1|appserv|windows|winnt|system32|tomcat[0-9.]*|jboss|iis[0-9.]*|www|htdocs|wwwroot|apache group|filezilla[^/]*|mercury[^/]*|sysprep|minint|system volume information|cpanel|pureftpd|pure-ftpd|proftpd|vsftpd|sendmail|webalizer|awstats)(?:\/|$)/;

/** `Program Files` holds every installed program: alone it is no server-software directory. */
const PROGRAM_FILES = /\/(?:program ?files[^/]*|progra~1)(?=\/|$)/;

/** Extensions and names of configuration, logs, keys, pid files and shell history. */
const SENSITIVE_EXT = new Set([
  'conf',
  'cnf',
  'ini',
  'inf',
  'log',
  'passwd',
  'htaccess',
  'htpasswd',
  'pem',
  'key',
  'crt',
  'history',
  'inc',
  'sam',
  'asa',
  'properties',
  'config',
  'cfg',
  'pid',
  'err',
  'dat',
  'pdb',
  'db',
]);
const SENSITIVE_NAMES = new Set([
  'access_log',
  'accesslog',
  'error_log',
  'errorlog',
  'passwd',
  'shadow',
  'environ',
  'messages',
  'secure',
  'syslog',
  'lastlog',
  'wtmp',
  'utmp',
  'hosts',
  'sam',
  'unattend.txt',
  'unattend.xml',
  'unattended.txt',
  'unattended.xml',
  'sysprep.inf',
  'sysprep.xml',
]);

/** Whether the last segment of a path names a configuration, log, key or history file. */
function sensitiveLeaf(path: string): boolean {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  const start = path.lastIndexOf('/', end - 1) + 1;
  let leaf = path.slice(start, end);
  // cut what follows the file name (`%00`, `?`, spaces, `;index.html`)
  for (let k = 0; k < leaf.length; k++) {
    const c = leaf.charCodeAt(k);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45 || c === 126)) {
      leaf = leaf.slice(0, k);
      break;
    }
  }
  if (leaf === '') return false;
  if (SENSITIVE_NAMES.has(leaf) || leaf.endsWith('_log') || leaf.endsWith('access.log')) return true;
  const dot = leaf.lastIndexOf('.');
  return dot >= 0 && SENSITIVE_EXT.has(leaf.slice(dot + 1));
}

const WRAPPER =
  /(?:^|[^a-z0-9])(?:php:\/\/(?:filter|input|stdin|fd|memory|temp|output)|(?:phar|zip|expect|glob|ogg|rar|zlib|compress\.zlib|compress\.bzip2|ssh2\.(?:shell|exec|tunnel|sftp|scp)):\/\/|data:\/\/|data:text\/plain;base64,|file:(?:\/\/|\/[a-z]|[a-z]:))/;
const FILTER_CHAIN =
  /(?:^|[^a-z0-9])(?:convert\.(?:iconv\.|base64-(?:en|de)code|quoted-printable-(?:en|de)code|utf)|string\.(?:rot13|toupper|tolower|strip_tags)|zlib\.(?:de|in)flate|dechunk)/;

const WRAPPER_HINT =
  /php:|ar:\/|zip:|expect:|glob:|ogg:|data:|file:|zlib|ssh2\.|convert\.|string\.|\.inflate|\.deflate|dechunk/;

const ARG_KINDS = ARGS | Kind.bodyRaw;
/** Uploaded file contents are data (source code may hold `../`); upload inspects them. */
const FILE_CONTENT = 'body.multipart.file:';

/** Detector factory (registered as `traversal`). */
export const createTraversalDetector: DetectorFactory = () => ({
  class: 'traversal',
  rules: RULES,
  kinds: ARG_KINDS | Kind.path | Kind.header,
  inspectValue(v: Value, report: Reporter): void {
    const hex = v.raw.indexOf('0x') >= 0 || v.raw.indexOf('0X') >= 0;
    if (v.isPlain && !hex && v.raw.indexOf('..') < 0 && !plainSuspect(v.raw)) return;
    if (!hex && (v.flags & (Flag.slash | Flag.dot | Flag.colon | Flag.nonAscii | Flag.percent)) === 0) return;
    const isPath = v.kind === Kind.path;
    const isHeader = v.kind === Kind.header;
    if (v.kind === Kind.bodyRaw && v.location.startsWith(FILE_CONTENT)) return;
    if (isHeader && !inspectableHeader(v.name)) return;
    // From the `url` view, not `norm`: its JS-escape step would eat the backslashes of `..\`.
    const sk = pathSkeleton(v.raw.indexOf('%%') >= 0 ? urlDecodeNibbles(v.raw) : v.view('url'));

    // Stream wrappers and filter chains (LFI without any ../).
    if (!isPath && WRAPPER_HINT.test(sk)) {
      const w = WRAPPER.exec(sk);
      if (w) {
        report.value('traversal.wrapper', v, 'lower', snippet(sk, w.index, w[0].length, 120));
        return;
      }
      const fc = FILTER_CHAIN.exec(sk);
      if (fc) report.value('traversal.filter_chain', v, 'lower', snippet(sk, fc.index, fc[0].length, 120));
    }

    const climbs = countClimbs(sk);
    const os = OS_FILE.exec(sk);
    const nul = v.view('url').indexOf('\0') >= 0 || sk.indexOf('%00') >= 0;

    if (climbs.count > 0) {
      // In the request path a `..` that stays below the root is a harmless (if odd) link.
      if (isPath && !os && escapeDepth(sk) === 0 && !climbs.odd) return;
      if (os) {
        report.value('traversal.os_file', v, 'lower', snippet(sk, os.index, os[0].length, 120));
        return;
      }
      const ev = snippet(sk, climbs.first, 0, 120);
      // Hidden from the application's own single decoding: the climb only appears after more.
      const rawClimbs = countClimbs(rawSkeleton(v.raw, isHeader)).count;
      // `..\` is Windows-only syntax: no browser or relative link produces it.
      const backslash = !isPath && v.raw.indexOf('..\\') >= 0;
      if (climbs.odd || rawClimbs < climbs.count || (climbs.rootClimb && !isPath) || backslash) {
        report.value('traversal.encoded', v, 'lower', ev);
        return;
      }
      if (isHeader) {
        if (climbs.count >= 3) report.value('traversal.deep', v, 'lower', ev);
        return;
      }
      const target = afterClimbs(sk);
      if (climbs.count >= 3) report.value('traversal.deep', v, 'lower', ev);
      else if (climbs.count === 2 || (nul && !isPath)) report.value('traversal.climb', v, 'lower', ev);
      else if (sensitiveLeaf(target) || isScriptLeaf(target)) report.value('traversal.climb', v, 'lower', ev);
      else report.value('traversal.dotdot', v, 'lower', ev);
      if (nul && !isPath) report.value('traversal.null_byte', v, 'url', ev);
      return;
    }

    if (
      os &&
      (!isPath || os[0].indexOf('etc') >= 0 || os[0].indexOf('proc') >= 0 || os[0].indexOf('.ini') >= 0)
    ) {
      // A well-known file named by path: `/etc/passwd`, `c:\boot.ini`, `file=.ssh/id_rsa`. In the URL
      // path only the unmistakable ones (`/@fs/etc/passwd`); dot-files there are sensitive_file's.
      if (!isPath || absoluteStart(sk) >= 0 || os[0].indexOf('etc') >= 0) {
        report.value('traversal.os_file', v, 'lower', snippet(sk, os.index, os[0].length, 120));
        return;
      }
    }
    if (isPath || isHeader) return;

    const start = v.kind === Kind.filename ? -1 : absoluteStart(sk);
    if (start >= 0) {
      const sev = absoluteSeverity(sk, start);
      if (sev > 0) {
        const ev = snippet(sk, start, 0, 120);
        report.value(sev === 2 ? 'traversal.abs_sensitive' : 'traversal.abs_path', v, 'lower', ev);
        if (nul) report.value('traversal.null_byte', v, 'url', ev);
        return;
      }
    }
    if (nul && !isPath) {
      // `shell.php%00.jpg`, `config%00`: NUL right after a file-like name.
      const url = v.view('url');
      const z = url.indexOf('\0');
      if (z > 0 && fileLikeBefore(url, z))
        report.value('traversal.null_byte', v, 'url', snippet(url, z, 1, 80));
    }
  },
});

/** The text right before a NUL is a file name (`x.php`) or a path without spaces (`a/b`). */
function fileLikeBefore(s: string, z: number): boolean {
  let k = z - 1;
  let slash = false;
  while (k >= 0 && z - k <= 200 && s.charCodeAt(k) > 32) {
    if (s.charCodeAt(k) === 47 || s.charCodeAt(k) === 92) slash = true;
    k--;
  }
  if (slash && k < 0) return true;
  const tail = s.slice(Math.max(0, z - 7), z);
  const dot = tail.lastIndexOf('.');
  return (
    dot > 0 &&
    dot < tail.length - 1 &&
    /^[a-z0-9]+$/i.test(tail.slice(dot + 1)) &&
    /[a-z0-9]/i.test(tail[dot - 1]!)
  );
}

/** A plain value that can still name a file: `.htaccess`, `boot.ini`, `id_rsa`. */
function plainSuspect(raw: string): boolean {
  return raw.charCodeAt(0) === 46 || raw.indexOf('.ini') >= 0 || raw.indexOf('id_') >= 0;
}

/** Headers worth a traversal look: not the ones that carry URLs of the site itself or opaque tokens. */
function inspectableHeader(name: string): boolean {
  return name !== 'referer' && name !== 'authorization' && name !== 'accept' && name !== 'host';
}

/** The raw value as the application decoded it once, in the same separator form. */
function rawSkeleton(raw: string, isHeader: boolean): string {
  let s = raw.toLowerCase();
  if (isHeader) return s.replace(/\\/g, '/'); // headers are not URL-decoded by anyone
  if (s.indexOf('\\') >= 0) s = s.replace(/\\/g, '/');
  return s;
}

/** How many levels a path climbs above its starting point (`/a/../..` → 1). */
function escapeDepth(s: string): number {
  let depth = 0;
  let worst = 0;
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg.length >= 2 && /^\.+(?:;.*)?$/.test(seg)) {
      depth--;
      if (depth < worst) worst = depth;
    } else depth++;
  }
  return -worst;
}

/** The part after the last `../` (what the climb reaches). */
function afterClimbs(s: string): string {
  const i = s.lastIndexOf('../');
  return i < 0 ? s : s.slice(i + 3);
}

function isScriptLeaf(t: string): boolean {
  return /\.(?:php[0-9s]?|phtml|inc|jsp|asp|aspx|cgi|pl|py|sh|config|env)(?:$|[^a-z0-9])/.test(t);
}

/**
 * Where an absolute path starts: the value (after whitespace, quotes and leftover `%00`/`%`) begins
 * with `/`, `\\`, `x:/` or `x:` followed by a letter (`c:windows`). -1 otherwise.
 */
function absoluteStart(s: string): number {
  let i = 0;
  const n = s.length;
  while (i < n && i < 8) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 34 || c === 39 || c === 37 || c === 48 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  if (i >= n) return -1;
  const c = s.charCodeAt(i);
  if (c === 47) return i;
  if (c >= 97 && c <= 122 && s.charCodeAt(i + 1) === 58) {
    const d = s.charCodeAt(i + 2);
    if (d === 47 || (d >= 97 && d <= 122)) return i;
  }
  return -1;
}

/**
 * How bad an absolute path in a parameter is: 2 a system or server file (critical), 1 somewhere in
 * a system directory (high), 0 an ordinary app route (`/users/42/edit`) or prose.
 */
function absoluteSeverity(sk: string, start: number): number {
  const rest = sk.slice(start);
  const segs = countSegments(rest);
  if (rest.indexOf(' ') >= 0 && segs < 3 && !SERVER_DIR.test(rest)) return 0; // prose, not a path
  const drive = rest.charCodeAt(0) !== 47;
  const dir = firstDir(sk, start);
  if (dir === null) return 0;
  const leaf = sensitiveLeaf(rest);
  if (drive) {
    // `c:\...` to a config/log file is a target; into server software (`c:\program files\app\app.exe`)
    // only a weak signal; a user's own document path is nothing.
    if (leaf) return 2;
    const inner = rest.slice(2);
    if (!SERVER_DIR.test(inner)) return 0;
    return SERVER_DIR.test(inner.replace(PROGRAM_FILES, '')) ? 2 : 1;
  }
  if (UNIX_SYS.has(dir)) {
    if (UNIX_SYS_STRONG.has(dir) || leaf) return 2;
    return segs >= 2 ? 1 : 0;
  }
  return leaf && SERVER_DIR.test(rest) ? 2 : 0;
}

/** The first directory name of an absolute path starting at `start` (`/usr/local/x` → `usr`). */
function firstDir(s: string, start: number): string | null {
  let i = start;
  if (s.charCodeAt(i) !== 47) i += 2; // drive letter
  while (s.charCodeAt(i) === 47) i++;
  let j = i;
  while (j < s.length && s.charCodeAt(j) !== 47 && j - i < 40) j++;
  if (j === i) return null;
  return s.slice(i, j);
}

function countSegments(s: string): number {
  let n = 0;
  for (const seg of s.split('/')) if (seg !== '' && seg !== '.') n++;
  return n;
}
