/**
 * Multi-request scenarios, each from many client addresses (sent as X-Forwarded-For, which a proxy
 * believes only from a trusted peer): a brute force on one account, credential stuffing over many
 * accounts, password spraying (few passwords, many accounts), a request flood (ddos) and a scan of
 * sensitive paths. Each is a stateful sequence: what the n-th request is depends on the ones before.
 */
import type { Rng } from './rng.js';
import { addressPool } from './rng.js';
import {
  BROWSER_UAS,
  FORM,
  JSON_TYPE,
  LANGS,
  TOOL_UAS,
  browserHeaders,
  formEncode,
  type Draft,
  type ScenarioName,
} from './sim-request.js';

const GUESSES = [
  '123456',
  'password',
  'admin',
  'admin123',
  'qwerty',
  'letmein',
  'welcome',
  'iloveyou',
  'monkey',
  'dragon',
  'master',
  'sunshine',
  'princess',
  'football',
  'shadow',
  'trustno1',
];
const SPRAY_PASSWORDS = ['Winter2026!', 'Welcome1', 'Password1!', 'Spring2026', 'Company123', 'Summer2026!'];
const FIRST = [
  'anna',
  'ben',
  'carla',
  'david',
  'emma',
  'felix',
  'greta',
  'hugo',
  'ines',
  'jonas',
  'lena',
  'max',
];
const LAST = ['schmidt', 'meyer', 'obrien', 'garcia', 'rossi', 'nowak', 'dubois', 'jensen', 'smith', 'kim'];
const MAIL = ['gmail.example', 'web.example', 'outlook.example', 'proton.example'];

/** Paths a scanner asks for: secrets, VCS, backups, debug endpoints, admin panels, known CVE routes. */
export const SCAN_PATHS: readonly string[] = [
  '/robots.txt',
  '/.env',
  '/.git/config',
  '/.git/HEAD',
  '/.svn/entries',
  '/.aws/credentials',
  '/.htpasswd',
  '/.DS_Store',
  '/.vscode/sftp.json',
  '/.docker/config.json',
  '/wp-login.php',
  '/wp-admin/',
  '/wp-config.php.bak',
  '/xmlrpc.php',
  '/phpinfo.php',
  '/info.php',
  '/server-status',
  '/actuator/env',
  '/actuator/heapdump',
  '/backup.zip',
  '/backup.sql',
  '/db.sql.gz',
  '/dump.sql',
  '/config.php.bak',
  '/web.config',
  '/WEB-INF/web.xml',
  '/phpmyadmin/',
  '/adminer.php',
  '/admin/',
  '/manager/html',
  '/solr/admin/cores',
  '/console',
  '/debug/pprof/',
  '/_profiler/phpinfo',
  '/elmah.axd',
  '/storage/logs/laravel.log',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/cgi-bin/test.cgi',
  '/etc/passwd',
  '/api/admin/export?table=credit_cards',
  '/swagger.json',
  '/graphql',
  '/id_rsa',
  '/.well-known/security.txt',
];

const SCANNER_UAS = [
  'Mozilla/5.0 (compatible; Nmap Scripting Engine)',
  'Nuclei - Open-source project',
  ...TOOL_UAS,
];

/** A scenario generator. */
export interface Scenario {
  next(): Draft;
}

/** Builds the named scenario's generator. */
export function createScenario(name: ScenarioName, rng: Rng): Scenario {
  switch (name) {
    case 'bruteforce':
      return bruteforce(rng);
    case 'stuffing':
      return stuffing(rng);
    case 'spraying':
      return spraying(rng);
    case 'ddos':
      return ddos(rng);
    case 'scan':
      return scan(rng);
  }
}

function loginForm(source: string, ua: string, user: string, password: string, family: string): Draft {
  return {
    family,
    method: 'POST',
    path: '/login',
    headers: { ...browserHeaders(ua, 'en-US,en;q=0.9'), 'content-type': FORM },
    body: formEncode([
      ['user', user],
      ['password', password],
    ]),
    source,
  };
}

/** One account, a password list (with variations), from a small botnet slice. */
function bruteforce(rng: Rng): Scenario {
  const sources = addressPool(rng, 16);
  const account = rng.pick(['admin', 'alice', 'j.smith', 'root']);
  let n = 0;
  return {
    next() {
      const base = GUESSES[n % GUESSES.length]!;
      const round = Math.floor(n / GUESSES.length);
      n++;
      const guess = round === 0 ? base : `${base}${round}`;
      return loginForm(rng.pick(sources), rng.pick(TOOL_UAS), account, guess, 'bruteforce');
    },
  };
}

/** Leaked email/password pairs, each tried once or twice, from many addresses (a proxy network). */
function stuffing(rng: Rng): Scenario {
  const sources = addressPool(rng, 256);
  return {
    next() {
      const email = `${rng.pick(FIRST)}.${rng.pick(LAST)}${rng.int(1, 999)}@${rng.pick(MAIL)}`;
      const password = `${rng.pick(GUESSES)}${rng.chars(rng.int(0, 3), '0123456789!')}`;
      return {
        family: 'stuffing',
        method: 'POST',
        path: '/api/login',
        headers: {
          ...browserHeaders(rng.pick(BROWSER_UAS), rng.pick(LANGS), JSON_TYPE),
          'content-type': JSON_TYPE,
        },
        body: JSON.stringify({ email, password, remember: true }),
        source: rng.pick(sources),
      };
    },
  };
}

/** A few common passwords, each against every account in turn, low and slow from many addresses. */
function spraying(rng: Rng): Scenario {
  const sources = addressPool(rng, 48);
  const users: string[] = [];
  for (const f of FIRST) for (const l of LAST) users.push(`${f[0]}.${l}`);
  rng.shuffle(users);
  let n = 0;
  return {
    next() {
      const user = users[n % users.length]!;
      const password = SPRAY_PASSWORDS[Math.floor(n / users.length) % SPRAY_PASSWORDS.length]!;
      n++;
      return loginForm(rng.pick(sources), rng.pick(BROWSER_UAS), user, password, 'spraying');
    },
  };
}

/** A flood of ordinary-looking requests (cache-busting) from thousands of addresses. */
function ddos(rng: Rng): Scenario {
  const sources = addressPool(rng, 2000);
  return {
    next() {
      const r = rng.float();
      const path =
        r < 0.4
          ? `/?_=${rng.chars(8)}`
          : r < 0.8
            ? `/search?q=${rng.chars(rng.int(3, 9), 'abcdefghijklmnopqrstuvwxyz')}&_=${rng.int(1, 1e9)}`
            : `/api/products?limit=100&offset=${rng.int(0, 1000) * 100}`;
      return {
        family: 'ddos',
        method: 'GET',
        path,
        headers: browserHeaders(rng.pick(BROWSER_UAS), rng.pick(LANGS)),
        source: rng.pick(sources),
      };
    },
  };
}

/** Sensitive paths in order, round after round, from a handful of scanners. */
function scan(rng: Rng): Scenario {
  const sources = addressPool(rng, 4);
  const paths = rng.shuffle([...SCAN_PATHS]);
  let n = 0;
  return {
    next() {
      const path = paths[n++ % paths.length]!;
      const ua = rng.chance(0.5) ? rng.pick(SCANNER_UAS) : rng.pick(BROWSER_UAS);
      return {
        family: 'scan',
        method: 'GET',
        path,
        headers: browserHeaders(ua, 'en-US'),
        source: rng.pick(sources),
      };
    },
  };
}
