import type { DetectorFactory, RuleDef, Reporter } from '../detector.js';
import type { ParsedRequest } from '../../request/parse-request.js';
import { Kind, type Value } from '../../value.js';

/**
 * Requests for files a web server should never serve: VCS metadata, secrets and dot-files, backups
 * and dumps, debug and status endpoints, installer leftovers. Only the request PATH is judged (a file
 * name in a query value is the application's business, and traversal's) — except by `data_export`, a
 * low, log-only request rule: an export/dump/backup endpoint asked for a table named after sensitive data. The path is lower-cased and
 * split into segments; each segment is looked up in Sets or checked by suffix, so the cost is one
 * pass over the path. Common app routes (`/config`, `/admin`, `/backup-settings`) stay clean: a rule
 * needs the exact file name or a backup suffix on a script or config file.
 */

const RULES: readonly RuleDef[] = [
  {
    id: 'sensitive_file.vcs',
    version: 1,
    severity: 'critical',
    confidence: 0.95,
    description: 'Version-control metadata (/.git/, /.svn/, /.hg/, /.bzr/, /CVS/Entries)',
  },
  {
    id: 'sensitive_file.secret',
    version: 1,
    severity: 'critical',
    confidence: 0.93,
    description:
      'Secrets and server-private dot-files (/.env, /.htpasswd, /.aws/credentials, id_rsa, /WEB-INF/web.xml, ...)',
  },
  {
    id: 'sensitive_file.backup',
    version: 1,
    severity: 'critical',
    confidence: 0.88,
    description:
      'Backup or editor copy of a script or config file (index.php.bak, wp-config.php~, .config.php.swp), or a site backup archive',
  },
  {
    id: 'sensitive_file.dump',
    version: 1,
    severity: 'high',
    confidence: 0.75,
    description: 'Database dump or log file requested from the web root (*.sql, *.sql.gz, debug.log)',
  },
  {
    id: 'sensitive_file.debug_endpoint',
    version: 1,
    severity: 'critical',
    confidence: 0.88,
    description:
      'Debug or status endpoint (phpinfo.php, /server-status, /actuator/env, /actuator/heapdump, elmah.axd, ...)',
  },
  {
    id: 'sensitive_file.installer',
    version: 1,
    severity: 'high',
    confidence: 0.7,
    description:
      'Installer, admin tool or exploit-prone leftover (install.php, setup-config.php, adminer.php, phpunit eval-stdin.php)',
  },
  {
    id: 'sensitive_file.dotfile',
    version: 1,
    severity: 'medium',
    confidence: 0.6,
    description: 'Other tool or IDE dot-file or directory (/.idea/, /.vscode/, /.DS_Store, /.claude/, ...)',
  },
  {
    id: 'sensitive_file.data_export',
    version: 1,
    severity: 'low',
    confidence: 0.5,
    description:
      'An export, dump or backup endpoint asked for a table or file named after sensitive data (credit_cards, passwords, ssn, secrets, tokens); logged, never a block on its own',
  },
];

/** Directories whose presence in a URL path is a VCS leak. */
const VCS_DIRS = new Set(['.git', '.svn', '.hg', '.bzr', '_darcs', '.cvs']);

/** Exact segment names that are secrets (critical wherever they appear in the path). */
const SECRET_NAMES = new Set([
  '.env',
  '.htpasswd',
  '.htaccess',
  '.htdigest',
  '.npmrc',
  '.pypirc',
  '.pgpass',
  '.netrc',
  '.git-credentials',
  '.gitconfig',
  '.bash_history',
  '.zsh_history',
  '.mysql_history',
  '.psql_history',
  '.sh_history',
  '.history',
  '.bashrc',
  '.bash_profile',
  '.profile',
  '.zshrc',
  '.boto',
  '.s3cfg',
  '.passwd',
  '.dockercfg',
  '.ftpconfig',
  '.remote-sync.json',
  'sftp-config.json',
  '.sftp-config.json',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'authorized_keys',
  'known_hosts',
  'wp-config.php.bak',
  '.user.ini',
  'web.config.bak',
  'credentials.xml',
  'secrets.yml',
  'master.key',
  'credentials.yml.enc',
  'ws_ftp.ini',
  'filezilla.xml',
  'sitemanager.xml',
  '.tfstate',
  'terraform.tfstate',
  'terraform.tfstate.backup',
  '.terraform',
  'docker-compose.override.yml',
]);
/** `dir/file` pairs that are secrets. */
const SECRET_PAIRS = new Set([
  '.aws/credentials',
  '.aws/config',
  '.docker/config.json',
  '.ssh/id_rsa',
  '.ssh/authorized_keys',
  '.ssh/known_hosts',
  '.ssh/config',
  '.kube/config',
  'web-inf/web.xml',
  'web-inf/jboss-web.xml',
  'web-inf/applicationcontext.xml',
  'web-inf/struts-config.xml',
  'web-inf/spring-servlet.xml',
  'meta-inf/manifest.mf',
  'meta-inf/context.xml',
  '.config/gcloud',
  '.gnupg/secring.gpg',
  '.vscode/sftp.json',
  'config/database.yml',
  'config/secrets.yml',
  'config/master.key',
  'app/etc/local.xml',
  'app/etc/env.php',
  'cvs/entries',
  'cvs/root',
  '.circleci/config.yml',
]);
/** Directories that only exist in a deployment by mistake (IDEs, AI assistants, tool state). */
const DOT_DIRS = new Set([
  '.idea',
  '.vscode',
  '.claude',
  '.cursor',
  '.continue',
  '.aider',
  '.roo',
  '.zed',
  '.cline',
  '.kiro',
  '.windsurf',
  '.rovodev',
  '.codex',
  '.opencode',
  '.a0proj',
  '.plandex',
  '.fabric',
  '.n8n',
  '.junie',
  '.github',
  '.gitlab',
  '.circleci',
  '.vagrant',
  '.terraform',
  '.serverless',
  '.ssh',
  '.aws',
  '.docker',
  '.kube',
  '.gnupg',
  '.config',
  '.cache',
  '.local',
  '.npm',
  '.yarn',
  '.composer',
  '.subversion',
  '.m2',
  '.gradle',
  '.settings',
]);
const DOT_FILES = new Set([
  '.ds_store',
  '.gitignore',
  '.gitattributes',
  '.gitmodules',
  '.gitlab-ci.yml',
  '.travis.yml',
  '.dockerignore',
  '.editorconfig',
  '.aiignore',
  '.cursorignore',
  '.cursorrules',
  '.windsurfrules',
  '.aider.conf.yml',
  '.eslintrc',
  '.babelrc',
  '.php_cs',
  '.php-cs-fixer.php',
  '.phpunit.result.cache',
  '.project',
  '.classpath',
  '.viminfo',
  '.lesshst',
  '.rediscli_history',
  '.node_repl_history',
  '.python_history',
  '.wget-hsts',
]);

/** Debug and status endpoints. */
const DEBUG_NAMES = new Set([
  'phpinfo.php',
  'phpinfo',
  'php_info.php',
  'info.php',
  'pinfo.php',
  'test-phpinfo.php',
  'server-status',
  'server-info',
  'elmah.axd',
  'trace.axd',
  'jolokia',
  'heapdump',
  'threaddump',
  'phptest.php',
  'apc.php',
  'opcache.php',
  'xdebug.php',
  'status.php',
]);
const ACTUATOR_SENSITIVE = new Set([
  'env',
  'heapdump',
  'threaddump',
  'dump',
  'configprops',
  'mappings',
  'beans',
  'jolokia',
  'trace',
  'httptrace',
  'loggers',
  'shutdown',
  'gateway',
  'logfile',
  'auditevents',
  'sessions',
  'flyway',
  'liquibase',
  'restart',
  'refresh',
  'conditions',
  'scheduledtasks',
  'caches',
  'startup',
  'integrationgraph',
]);
const DEBUG_DIRS = new Set(['_profiler', '__debug__', '_debugbar', 'debug/pprof', 'debug/vars', '_ignition']);

/** Installers and tools that should not stay on a production server. */
const INSTALLER_NAMES = new Set([
  'install.php',
  'installer.php',
  'setup.php',
  'setup-config.php',
  'upgrade.php',
  'adminer.php',
  'adminer',
  'phpmyadmin',
  'pma',
  'myadmin',
  'sqladmin',
  'dbadmin',
  'mysqladmin',
  'eval-stdin.php',
  'shell.php',
  'c99.php',
  'r57.php',
  'wso.php',
  'b374k.php',
  'webshell.php',
  'cmd.php',
  'cmd.jsp',
  'cmd.asp',
  'cmd.aspx',
  'test-cgi',
  'printenv',
  'php.ini',
  'install.sql',
  'xmlrpc.php.bak',
  'filemanager.php',
  'fckeditor',
  'ckfinder',
  'execute-solution',
  'solr',
  'manager/html',
  'jmx-console',
  'web-console',
  'invoker',
  'axis2-admin',
  'hudson',
]);

/** Editor, backup and copy suffixes. */
/** First segments of every multi-segment name above, plus the two whose evidence is a pair. */
const PAIR_HEADS = new Set(
  [...SECRET_PAIRS, ...DEBUG_DIRS, 'cvs/', 'actuator/']
    .filter((p) => p.indexOf('/') > 0)
    .map((p) => p.slice(0, p.indexOf('/'))),
);

const BACKUP_SUFFIXES = [
  '.bak',
  '.bk',
  '.bkp',
  '.backup',
  '.old',
  '.orig',
  '.original',
  '.save',
  '.sav',
  '.swp',
  '.swo',
  '.swn',
  '~',
  '.tmp',
  '.temp',
  '.copy',
  '.dist',
  '.un~',
  '.1',
  '.2',
  '_bak',
  '_old',
  '-old',
  '-bak',
  '.prev',
  '.rej',
  '.cache',
  '.kate-swp',
  '#',
];
/** What a backup suffix must follow to matter: a script or configuration file. */
const SCRIPT_OR_CONFIG =
  /\.(?:php[0-9s]?|phtml|inc|asp|aspx|asa|ascx|jsp|jspx|cfm|cgi|pl|py|rb|sh|config|conf|cfg|cnf|ini|xml|yml|yaml|json|env|properties|htaccess|htpasswd|sql|js|ts|java|cs|go|txt|db|sqlite|log)$/;

/** Archive and dump extensions. */
const ARCHIVE_EXT =
  /\.(?:zip|rar|7z|tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|gz|bz2|xz|war|jar|ear|sql|sql\.gz|sql\.zip|sql\.bz2|sql\.tar\.gz|dump|bak|backup|db|sqlite|sqlite3|mdb|old)$/;
/** The last extension of every `ARCHIVE_EXT` match (`.tar.gz` ends in `gz`): gates the regex. */
const ARCHIVE_LAST_EXT = new Set(
  'zip rar 7z tar tgz tbz2 txz gz bz2 xz war jar ear sql dump bak backup db sqlite sqlite3 mdb old'.split(
    ' ',
  ),
);
const DUMP_EXT = /\.(?:sql|sql\.gz|sql\.zip|sql\.bz2|sql\.tar\.gz|sql\.7z|dump|mdb|sqlite3?|db)$/;
/** Base names of site backups (`/backup.zip`, `/www.tar.gz`, `/db.sql`). */
const BACKUP_BASENAMES = new Set([
  'backup',
  'backups',
  'back',
  'bak',
  'bkp',
  'site',
  'website',
  'www',
  'web',
  'wwwroot',
  'htdocs',
  'public_html',
  'html',
  'public',
  'db',
  'database',
  'dump',
  'mysql',
  'sql',
  'db_backup',
  'database_backup',
  'dbdump',
  'site_backup',
  'full',
  'fullbackup',
  'full_backup',
  'old',
  'src',
  'source',
  'app',
  'application',
  'wordpress',
  'wp',
  'wp-content',
  'joomla',
  'drupal',
  'magento',
  'admin',
  'config',
  'conf',
  'home',
  'root',
  'localhost',
  'test',
  'dev',
  'prod',
  'production',
  'staging',
  'sitebackup',
  'webroot',
  'deploy',
]);
const LOG_NAMES = new Set([
  'debug.log',
  'error.log',
  'errors.log',
  'error_log',
  'access.log',
  'access_log',
  'php_errors.log',
  'php_error.log',
  'laravel.log',
  'development.log',
  'production.log',
  'install.log',
  'npm-debug.log',
  'yarn-error.log',
]);

/** Path words (after splitting a segment on `-_.`) that make an endpoint an export of data. */
const EXPORT_WORDS = new Set(['export', 'exports', 'dump', 'dumps', 'backup', 'backups', 'extract']);
/** Cheap gate on the lower-cased path: none of these, no export endpoint. */
const EXPORT_HINTS = ['export', 'dump', 'backup', 'extract'];
/** Identifier-like names only (`credit_cards`, `users.ssn`, `api-keys.csv`): prose is someone's search. */
const DATA_NAME = /^[a-z0-9_.,-]{2,64}$/;
/** File extensions an export may carry (`passwords.csv`); cut before judging the name. */
const EXPORT_EXT = /\.(?:csv|tsv|json|jsonl|ndjson|sql|xls|xlsx|xml|txt|yml|yaml|gz|zip|bak|dump|db)$/;
/**
 * Sensitive data as the head noun of a name (its last word): `credit_cards`, `customer_ssn`,
 * `users_password_hash`, `api_keys`. `password_reset_guide` ends in `guide`, so it is not one.
 * Anchored, alternatives of fixed words with optional letters only: linear.
 */
const SENSITIVE_TAIL =
  /(?:^|_)(?:credit_?cards?|card_?numbers?|cc_?numbers?|cvvs?|ssns?|social_?security(?:_?numbers?)?|passw(?:or)?ds?|password_?hash(?:es)?|secrets?|(?:api|access|auth|refresh|session)_?(?:keys?|tokens?)|tokens|private_?keys?|credentials?)$/;

/** Detector factory (registered as `sensitive_file`). */
export const createSensitiveFileDetector: DetectorFactory = () => ({
  class: 'sensitive_file',
  rules: RULES,
  kinds: Kind.path,
  /** `sensitive_file.data_export`: needs the path and the arguments together, so it is a request rule. */
  inspectRequest(req: ParsedRequest, report: Reporter): void {
    const path = req.path.length > 2048 ? '' : req.path.toLowerCase();
    if (!EXPORT_HINTS.some((h) => path.indexOf(h) >= 0)) return;
    const segs = path.split('/');
    let at = -1;
    for (let i = 0; i < segs.length && at < 0; i++)
      if (segs[i]!.split(/[-_.]/).some((w) => EXPORT_WORDS.has(w))) at = i;
    if (at < 0) return;
    // What is exported: a path segment after the export word, or an argument value.
    for (let i = at + 1; i < segs.length; i++) {
      if (denotesSensitiveData(segs[i]!)) {
        report.request('sensitive_file.data_export', 'path', `/${segs.slice(at).join('/')}`.slice(0, 160));
        return;
      }
    }
    let seen = 0;
    for (const v of req.values) {
      if (v.kind !== Kind.arg) continue;
      if (++seen > 64) break;
      if (denotesSensitiveData(v.raw.toLowerCase())) {
        report.request(
          'sensitive_file.data_export',
          v.location,
          `/${segs.slice(at).join('/')} ${v.name}=${v.raw}`.slice(0, 160),
        );
        return;
      }
    }
  },
  inspectValue(v: Value, report: Reporter): void {
    const raw = v.raw;
    // Cheap reject: no dot-segment, no backup-ish character, no known endpoint word.
    if (raw.length < 3) return;
    let p = v.view('url').toLowerCase();
    if (p.indexOf('\\') >= 0) p = p.replace(/\\/g, '/');
    const semi = p.indexOf(';'); // matrix parameters (`;jsessionid=`) are not part of the file name
    if (semi >= 0) p = p.slice(0, semi);
    const segs = p.split('/').filter((s) => s !== '' && s !== '.');
    if (segs.length === 0) return;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const next = segs[i + 1];
      // pairs are only built behind a segment that starts one of the known pairs (saves the concatenations)
      const pair = next === undefined || !PAIR_HEADS.has(seg) ? '' : seg + '/' + next;
      const triple = pair === '' || i + 2 >= segs.length ? '' : pair + '/' + segs[i + 2];
      const last = i === segs.length - 1;
      if (seg.charCodeAt(0) === 46 /* . */) {
        if (VCS_DIRS.has(seg) && (next !== undefined || seg === '.git' || seg === '.svn' || seg === '.hg')) {
          report.value('sensitive_file.vcs', v, 'url', '/' + segs.slice(i, i + 3).join('/'));
          return;
        }
        if (SECRET_NAMES.has(seg) || isEnvFile(seg) || SECRET_PAIRS.has(pair)) {
          report.value('sensitive_file.secret', v, 'url', '/' + segs.slice(i, i + 2).join('/'));
          return;
        }
        if (!last && DOT_DIRS.has(seg)) {
          report.value('sensitive_file.dotfile', v, 'url', '/' + segs.slice(i, i + 2).join('/'));
          return;
        }
        if (last && DOT_FILES.has(seg)) {
          report.value('sensitive_file.dotfile', v, 'url', '/' + seg);
          return;
        }
      } else {
        if (SECRET_PAIRS.has(pair) || SECRET_PAIRS.has(triple) || (SECRET_NAMES.has(seg) && last)) {
          report.value(
            'sensitive_file.secret',
            v,
            'url',
            '/' + (SECRET_PAIRS.has(triple) ? triple : pair || seg),
          );
          return;
        }
        if (seg === 'cvs' && (next === 'entries' || next === 'root' || next === 'repository')) {
          report.value('sensitive_file.vcs', v, 'url', '/' + pair);
          return;
        }
        if (seg === 'actuator' && next !== undefined && ACTUATOR_SENSITIVE.has(next)) {
          report.value('sensitive_file.debug_endpoint', v, 'url', '/' + pair);
          return;
        }
        if ((last && DEBUG_NAMES.has(seg)) || DEBUG_DIRS.has(seg) || DEBUG_DIRS.has(pair)) {
          report.value('sensitive_file.debug_endpoint', v, 'url', '/' + (DEBUG_DIRS.has(pair) ? pair : seg));
          return;
        }
      }
      if (last) {
        if (isBackupOfScript(seg)) {
          report.value('sensitive_file.backup', v, 'url', '/' + seg);
          return;
        }
        const dot = seg.lastIndexOf('.');
        const ext = dot >= 0 && ARCHIVE_LAST_EXT.has(seg.slice(dot + 1)) ? ARCHIVE_EXT.exec(seg) : null;
        if (ext) {
          const base = seg.slice(0, ext.index).replace(/^\./, '');
          if (BACKUP_BASENAMES.has(base) || BACKUP_BASENAMES.has(stripDateSuffix(base))) {
            report.value('sensitive_file.backup', v, 'url', '/' + seg);
            return;
          }
          if (DUMP_EXT.test(seg)) {
            report.value('sensitive_file.dump', v, 'url', '/' + seg);
            return;
          }
        }
        if (LOG_NAMES.has(seg)) {
          report.value('sensitive_file.dump', v, 'url', '/' + seg);
          return;
        }
        if (INSTALLER_NAMES.has(seg) || (next === undefined && INSTALLER_NAMES.has(pairBefore(segs, i)))) {
          report.value('sensitive_file.installer', v, 'url', '/' + seg);
          return;
        }
      }
    }
  },
});

/** A table, column or file name (or a comma list of them) whose last word names sensitive data. */
function denotesSensitiveData(name: string): boolean {
  if (!DATA_NAME.test(name)) return false;
  for (const item of name.split(',', 8)) {
    let n = item;
    for (let k = 0; k < 2; k++) n = n.replace(EXPORT_EXT, '');
    // `users.password_hash` (table.column) and `api-keys` read as `users_password_hash`, `api_keys`
    if (SENSITIVE_TAIL.test(n.replace(/[.-]/g, '_'))) return true;
  }
  return false;
}

/** `.env`, `.env.local`, `.env.production.bak`, `.env~` (not `.envrc`-like words: `.environment` is fine). */
function isEnvFile(seg: string): boolean {
  if (!seg.startsWith('.env')) return false;
  if (seg.length === 4) return true;
  const c = seg.charCodeAt(4);
  return c === 46 /* . */ || c === 126 /* ~ */ || c === 95 /* _ */ || c === 45; /* - */
}

/** `index.php.bak`, `config.inc.php~`, `.wp-config.php.swp`, `#settings.py#`, `config.php.2019`. */
function isBackupOfScript(seg: string): boolean {
  for (const suf of BACKUP_SUFFIXES) {
    if (seg.length > suf.length + 2 && seg.endsWith(suf)) {
      let base = seg.slice(0, seg.length - suf.length);
      if (suf === '.swp' || suf === '.swo' || suf === '.swn' || suf === '.un~')
        base = base.replace(/^\./, '');
      if (suf === '#') base = base.replace(/^#/, '');
      if (SCRIPT_OR_CONFIG.test(base)) return true;
    }
  }
  // `config.php.2019-01-01`, `index.php_2020`
  if (seg.indexOf('19') < 0 && seg.indexOf('20') < 0) return false;
  const m = /\.(?:php|asp|aspx|jsp|config|conf|ini|env|yml|sql)[._-](?:19|20)\d\d[\d._-]*$/.exec(seg);
  return m !== null;
}

/** `site-2023-01` → `site`: a trailing run of digits and `-_.` holding a year. */
function stripDateSuffix(base: string): string {
  let j = base.length;
  while (j > 0 && /[0-9._-]/.test(base[j - 1]!)) j--;
  return j < base.length && /(?:19|20)\d\d/.test(base.slice(j)) ? base.slice(0, j) : base;
}

function pairBefore(segs: string[], i: number): string {
  return i > 0 ? segs[i - 1] + '/' + segs[i] : '';
}
