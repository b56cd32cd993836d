/**
 * Decoy routes. Scanners and credential stuffers probe paths a site does not have (`/wp-login.php`,
 * `/.env`, `/phpmyadmin/`, ...); the proxy answers them itself with a plausible page, never forwards
 * them, and records a `honeypot` event with what the visitor tried (user name, password, command).
 * Anyone there is hostile with near certainty, so the event carries a `honeypot.<trap>` finding of
 * confidence 0.99. Only enable traps for software the site does not run (a WordPress site must drop
 * `wp-login` and `xmlrpc`). Everything reflected into a page is HTML-escaped.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { HoneypotHit } from '@palisade/engine';
import { escapeHtml } from './responses.js';

export const BUILTIN_TRAPS = [
  'wp-login',
  'env-file',
  'admin-panel',
  'phpmyadmin',
  'git-config',
  'cgi-bin',
  'xmlrpc',
] as const;
export type BuiltinTrapName = (typeof BUILTIN_TRAPS)[number];

/** Bounds of what a trap keeps from the visitor. */
export const TRAP_FIELD_MAX = 128;
export const TRAP_COMMAND_MAX = 1024;
/** Request body bytes a trap reads (the rest is discarded and the connection closed). */
export const TRAP_BODY_MAX = 16 * 1024;

export interface TrapRequest {
  method: string;
  /** The path as sent, lower case, without the query. */
  path: string;
  /** The raw query string (without `?`), or ''. */
  query: string;
  /** The body's start, decoded as UTF-8 (at most TRAP_BODY_MAX bytes). */
  body: string;
  contentType: string;
  /** Header values by lower-case name (first value). */
  header(name: string): string | undefined;
  /** Every header value, for traps that look for payloads in any header (Shellshock). */
  headerValues(): readonly string[];
}

export interface TrapAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Extra response headers, rawHeaders form. */
  headers?: string[];
  capture: Omit<HoneypotHit, 'trap'>;
}

export interface Trap {
  readonly name: string;
  /** Exact paths (lower case). */
  readonly paths: readonly string[];
  /** Path prefixes (lower case). */
  readonly prefixes: readonly string[];
  answer(req: TrapRequest): TrapAnswer;
}

/** A static decoy defined in configuration. */
export interface CustomTrap {
  name: string;
  paths?: string[];
  prefixes?: string[];
  status?: number;
  contentType?: string;
  body: string;
}

export interface HoneypotOptions {
  /** Built-in traps to use; default all of them. */
  traps?: readonly BuiltinTrapName[];
  custom?: readonly CustomTrap[];
  /** Marker in the fake secrets (`.env`), so their later use can be traced. Default random per process. */
  canary?: string;
}

/** Finds the trap of a path in O(1) for exact paths plus one check per prefix. */
export class TrapIndex {
  readonly #exact = new Map<string, Trap>();
  readonly #prefixes: [string, Trap][] = [];
  readonly traps: readonly Trap[];

  constructor(traps: readonly Trap[]) {
    this.traps = traps;
    for (const t of traps) {
      for (const p of t.paths) if (!this.#exact.has(p)) this.#exact.set(p, t);
      for (const p of t.prefixes) this.#prefixes.push([p, t]);
    }
  }

  get size(): number {
    return this.traps.length;
  }

  /** The trap for a request path (as sent, any case, without the query), if any. */
  match(path: string): Trap | undefined {
    const p = path.toLowerCase();
    const t = this.#exact.get(p);
    if (t) return t;
    for (const [prefix, trap] of this.#prefixes) if (p.startsWith(prefix)) return trap;
    return undefined;
  }
}

function clip(s: string | null | undefined, max: number): string | undefined {
  if (s === null || s === undefined || s === '') return undefined;
  return s.length > max ? s.slice(0, max) : s;
}

/** Form fields of a urlencoded or JSON body, and the query. */
function fields(req: TrapRequest): (names: readonly string[]) => string | undefined {
  const form = new URLSearchParams(req.query);
  let json: Record<string, unknown> | null = null;
  if (req.body !== '') {
    if (req.contentType.includes('json')) {
      try {
        const v: unknown = JSON.parse(req.body);
        if (v && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
      } catch {
        // not JSON after all: nothing to take from it
      }
    } else {
      for (const [k, v] of new URLSearchParams(req.body)) form.append(k, v);
    }
  }
  return (names) => {
    for (const n of names) {
      const j = json?.[n];
      if (typeof j === 'string' || typeof j === 'number') return String(j);
      const f = form.get(n);
      if (f !== null) return f;
    }
    return undefined;
  };
}

const USER_FIELDS = ['username', 'user', 'login', 'log', 'email', 'name', 'pma_username', 'usr', 'uname'];
const PASS_FIELDS = ['password', 'pass', 'pwd', 'passwd', 'pma_password', 'pw', 'secret'];

function credentials(req: TrapRequest, user = USER_FIELDS, pass = PASS_FIELDS): Omit<HoneypotHit, 'trap'> {
  const get = fields(req);
  const c: Omit<HoneypotHit, 'trap'> = {};
  const u = clip(get(user), TRAP_FIELD_MAX);
  const p = clip(get(pass), TRAP_FIELD_MAX);
  if (u !== undefined) c.username = u;
  if (p !== undefined) c.password = p;
  return c;
}

const HTML = 'text/html; charset=UTF-8';
const TEXT = 'text/plain; charset=UTF-8';

function wpLoginPage(error: string | null, user: string): string {
  const err = error === null ? '' : `<div id="login_error" class="notice notice-error">${error}</div>\n`;
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>Log In &lsaquo; My Blog &#8212; WordPress</title>
<meta name='robots' content='max-image-preview:large, noindex, noarchive' />
<link rel='stylesheet' id='login-css' href='/wp-admin/css/login.min.css?ver=6.5.3' type='text/css' media='all' />
<meta name='referrer' content='strict-origin-when-cross-origin' />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
</head>
<body class="login no-js login-action-login wp-core-ui locale-en-us">
<div id="login">
<h1><a href="https://wordpress.org/">Powered by WordPress</a></h1>
${err}<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p><label for="user_login">Username or Email Address</label>
<input type="text" name="log" id="user_login" class="input" value="${escapeHtml(user)}" size="20" autocapitalize="off" autocomplete="username" required="required" /></p>
<div class="user-pass-wrap"><label for="user_pass">Password</label>
<div class="wp-pwd"><input type="password" name="pwd" id="user_pass" class="input password-input" value="" size="20" autocomplete="current-password" spellcheck="false" required="required" /></div></div>
<p class="forgetmenot"><input name="rememberme" type="checkbox" id="rememberme" value="forever" /> <label for="rememberme">Remember Me</label></p>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary button-large" value="Log In" />
<input type="hidden" name="redirect_to" value="/wp-admin/" /><input type="hidden" name="testcookie" value="1" /></p>
</form>
<p id="nav"><a href="/wp-login.php?action=lostpassword">Lost your password?</a></p>
<p id="backtoblog"><a href="/">&larr; Go to My Blog</a></p>
</div>
</body>
</html>
`;
}

const wpLogin: Trap = {
  name: 'wp-login',
  paths: ['/wp-login.php'],
  prefixes: [],
  answer(req) {
    const capture =
      req.method === 'POST' ? credentials(req, ['log', ...USER_FIELDS], ['pwd', ...PASS_FIELDS]) : {};
    const user = capture.username ?? '';
    const error =
      req.method !== 'POST'
        ? null
        : user === ''
          ? '<strong>Error:</strong> The username field is empty.<br />'
          : `<strong>Error:</strong> The password you entered for the username <strong>${escapeHtml(user)}</strong> is incorrect. <a href="/wp-login.php?action=lostpassword">Lost your password?</a><br />`;
    return {
      status: 200,
      contentType: HTML,
      body: wpLoginPage(error, user),
      headers: ['Set-Cookie', 'wordpress_test_cookie=WP%20Cookie%20check; path=/; HttpOnly'],
      capture,
    };
  },
};

function loginPanel(title: string, action: string, error: string | null, user: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{background:#f4f6f9;font-family:Helvetica,Arial,sans-serif}.box{width:340px;margin:8em auto;background:#fff;padding:2em;border-radius:4px;box-shadow:0 1px 3px rgba(0,0,0,.2)}input{width:100%;padding:.5em;margin:.3em 0 1em;box-sizing:border-box}.err{color:#a94442;background:#f2dede;padding:.6em;margin-bottom:1em}</style>
</head>
<body>
<div class="box">
<h2>${title}</h2>
${error === null ? '' : `<div class="err">${error}</div>\n`}<form method="post" action="${action}" autocomplete="off">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(user)}" autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password">
<input type="hidden" name="csrf_token" value="3f9a1c7e2b8d4a6f0e5c1b7a9d2e4f6a">
<button type="submit">Sign in</button>
</form>
</div>
</body>
</html>
`;
}

const adminPanel: Trap = {
  name: 'admin-panel',
  paths: [
    '/admin',
    '/admin/',
    '/admin/login',
    '/admin/login.php',
    '/admin/index.php',
    '/administrator',
    '/administrator/',
    '/administrator/index.php',
  ],
  prefixes: [],
  answer(req) {
    const capture = req.method === 'POST' ? credentials(req) : {};
    const action = req.path.startsWith('/administrator') ? '/administrator/index.php' : '/admin/login';
    const error = req.method === 'POST' ? 'Invalid username or password.' : null;
    return {
      status: 200,
      contentType: HTML,
      body: loginPanel('Administration &mdash; Sign in', action, error, capture.username ?? ''),
      headers: ['Set-Cookie', 'PHPSESSID=9c1185a5c5e9fc54612808977ee8f548; path=/; HttpOnly'],
      capture,
    };
  },
};

const phpMyAdmin: Trap = {
  name: 'phpmyadmin',
  paths: [],
  prefixes: ['/phpmyadmin', '/pma/', '/myadmin/'],
  answer(req) {
    const capture =
      req.method === 'POST'
        ? credentials(req, ['pma_username', ...USER_FIELDS], ['pma_password', ...PASS_FIELDS])
        : {};
    const user = capture.username ?? '';
    const error =
      req.method !== 'POST'
        ? ''
        : `<div class="alert alert-danger" role="alert">mysqli::real_connect(): (HY000/1045): Access denied for user '${escapeHtml(user)}'@'localhost' (using password: ${capture.password ? 'YES' : 'NO'})</div>`;
    const body = `<!DOCTYPE HTML>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex,nofollow">
<title>phpMyAdmin</title>
<link rel="stylesheet" type="text/css" href="./themes/pmahomme/css/theme.css?v=5.2.1">
</head>
<body id="loginform">
<div class="container">
<a href="./url.php?url=https%3A%2F%2Fwww.phpmyadmin.net%2F" target="_blank" rel="noopener noreferrer" class="logo"><img src="./themes/pmahomme/img/logo_right.png" id="imLogo" name="imLogo" alt="phpMyAdmin" border="0"></a>
<h1>Welcome to <bdo dir="ltr" lang="en">phpMyAdmin</bdo></h1>
${error}
<form method="post" id="login_form" action="index.php?route=/" name="login_form" class="disableAjax hide js-show">
<fieldset class="pma-fieldset"><legend>Log in</legend>
<div class="row"><label for="input_username">Username:</label><input type="text" name="pma_username" id="input_username" value="${escapeHtml(user)}" class="form-control" autocomplete="username" spellcheck="false"></div>
<div class="row"><label for="input_password">Password:</label><input type="password" name="pma_password" id="input_password" value="" class="form-control" autocomplete="current-password" spellcheck="false"></div>
<input type="hidden" name="server" value="1">
</fieldset>
<fieldset class="pma-fieldset tblFooters"><input class="btn btn-primary" value="Log in" type="submit" id="input_go"><input type="hidden" name="route" value="/"><input type="hidden" name="token" value="5a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"></fieldset>
</form>
</div>
</body>
</html>
`;
    return {
      status: 200,
      contentType: HTML,
      body,
      headers: [
        'Set-Cookie',
        'phpMyAdmin=4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f; path=/phpmyadmin/; HttpOnly; SameSite=Strict',
      ],
      capture,
    };
  },
};

/** A fake `.env` whose secrets all carry the canary, so their later use can be traced back. */
function envFile(canary: string): Trap {
  const h = (label: string) => createHash('sha256').update(`${canary}:${label}`).digest();
  const b32 = (buf: Buffer, n: number) => {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[buf[i]! & 31];
    return s;
  };
  const body = `APP_NAME=Laravel
APP_ENV=production
APP_KEY=base64:${h('app').toString('base64')}
APP_DEBUG=false
APP_URL=http://localhost

LOG_CHANNEL=stack
LOG_LEVEL=error

DB_CONNECTION=mysql
DB_HOST=127.0.0.1
DB_PORT=3306
DB_DATABASE=app_prod
DB_USERNAME=app_prod
DB_PASSWORD=${h('db').toString('base64url').slice(0, 20)}

REDIS_HOST=127.0.0.1
REDIS_PASSWORD=null
REDIS_PORT=6379

MAIL_MAILER=smtp
MAIL_HOST=smtp.mailgun.org
MAIL_PORT=587
MAIL_USERNAME=postmaster@mg.example.com
MAIL_PASSWORD=${h('mail').toString('hex').slice(0, 32)}

AWS_ACCESS_KEY_ID=AKIA${b32(h('aws-id'), 16)}
AWS_SECRET_ACCESS_KEY=${h('aws-secret').toString('base64').slice(0, 40)}
AWS_DEFAULT_REGION=us-east-1
AWS_BUCKET=app-prod-uploads

STRIPE_SECRET=sk_live_${h('stripe').toString('hex').slice(0, 24)}
`;
  return {
    name: 'env-file',
    paths: [
      '/.env',
      '/.env.local',
      '/.env.production',
      '/.env.prod',
      '/.env.backup',
      '/.env.bak',
      '/.env.old',
      '/api/.env',
      '/app/.env',
      '/laravel/.env',
      '/backend/.env',
    ],
    prefixes: [],
    answer: () => ({ status: 200, contentType: TEXT, body, capture: {} }),
  };
}

const gitConfig: Trap = {
  name: 'git-config',
  paths: ['/.git/config', '/.git/head'],
  prefixes: [],
  answer(req) {
    const body = req.path.endsWith('/head')
      ? 'ref: refs/heads/main\n'
      : `[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
\tlogallrefupdates = true
[remote "origin"]
\turl = git@github.com:acme-web/storefront.git
\tfetch = +refs/heads/*:refs/remotes/origin/*
[branch "main"]
\tremote = origin
\tmerge = refs/heads/main
`;
    return { status: 200, contentType: TEXT, body, capture: {} };
  },
};

const cgiBin: Trap = {
  name: 'cgi-bin',
  paths: [],
  prefixes: ['/cgi-bin/'],
  answer(req) {
    // What the visitor tried to run: a Shellshock header, else the body, else the query, else the path.
    let command: string | undefined;
    for (const v of req.headerValues())
      if (v.startsWith('() {')) {
        command = v;
        break;
      }
    command ??= clip(req.body, TRAP_COMMAND_MAX) ?? clip(safeDecode(req.query), TRAP_COMMAND_MAX);
    command ??= clip(safeDecode(req.path.slice('/cgi-bin/'.length)), TRAP_COMMAND_MAX);
    const capture = command === undefined ? {} : { command: clip(command, TRAP_COMMAND_MAX)! };
    return {
      status: 200,
      contentType: HTML,
      body: '<html><head><title></title></head><body></body></html>\n',
      capture,
    };
  },
};

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return s;
  }
}

// The <string> values of an XML-RPC call: [^<] keeps the match linear.
const XML_STRING = /<string>([^<]{0,512})<\/string>/g;
const XML_METHOD = /<methodName>([^<]{0,128})<\/methodName>/;

const xmlRpc: Trap = {
  name: 'xmlrpc',
  paths: ['/xmlrpc.php'],
  prefixes: [],
  answer(req) {
    if (req.method !== 'POST')
      return {
        status: 405,
        contentType: TEXT,
        body: 'XML-RPC server accepts POST requests only.',
        headers: ['Allow', 'POST'],
        capture: {},
      };
    const method = XML_METHOD.exec(req.body)?.[1];
    const strings: string[] = [];
    for (const m of req.body.matchAll(XML_STRING)) {
      strings.push(m[1]!);
      if (strings.length >= 2) break;
    }
    const capture: Omit<HoneypotHit, 'trap'> = {};
    if (strings[0] !== undefined) capture.username = clip(strings[0], TRAP_FIELD_MAX)!;
    if (strings[1] !== undefined) capture.password = clip(strings[1], TRAP_FIELD_MAX)!;
    if (method !== undefined && !capture.username) capture.command = method;
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<methodResponse>
  <fault>
    <value>
      <struct>
        <member>
          <name>faultCode</name>
          <value><int>403</int></value>
        </member>
        <member>
          <name>faultString</name>
          <value><string>Incorrect username or password.</string></value>
        </member>
      </struct>
    </value>
  </fault>
</methodResponse>
`;
    return { status: 200, contentType: 'text/xml; charset=UTF-8', body, capture };
  },
};

const TRAP_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

function customTrap(c: CustomTrap): Trap {
  if (!c || typeof c !== 'object') throw new Error('custom trap: expected an object');
  if (typeof c.name !== 'string' || !TRAP_NAME.test(c.name))
    throw new Error(`custom trap name ${String(c.name)}: expected a-z0-9-`);
  const paths = (c.paths ?? []).map((p) => p.toLowerCase());
  const prefixes = (c.prefixes ?? []).map((p) => p.toLowerCase());
  for (const p of [...paths, ...prefixes])
    if (typeof p !== 'string' || !p.startsWith('/') || p.length > 200)
      throw new Error(`trap ${c.name}: path ${String(p)} must start with /`);
  if (paths.length + prefixes.length === 0) throw new Error(`trap ${c.name}: needs paths or prefixes`);
  if (typeof c.body !== 'string') throw new Error(`trap ${c.name}: body must be a string`);
  const status = c.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599)
    throw new Error(`trap ${c.name}: bad status`);
  const contentType = c.contentType ?? HTML;
  if (/[\r\n]/.test(contentType)) throw new Error(`trap ${c.name}: bad contentType`);
  return {
    name: c.name,
    paths,
    prefixes,
    answer: (req) => ({
      status,
      contentType,
      body: c.body,
      capture: req.method === 'POST' ? credentials(req) : {},
    }),
  };
}

/** Builds the trap index from options (throws with a message naming the bad entry). */
export function buildTraps(o: HoneypotOptions): TrapIndex {
  const canary = o.canary ?? randomBytes(8).toString('hex');
  if (typeof canary !== 'string' || canary.length < 4 || canary.length > 64)
    throw new Error('canary: 4 to 64 characters');
  const builtins: Record<BuiltinTrapName, Trap> = {
    'wp-login': wpLogin,
    'env-file': envFile(canary),
    'admin-panel': adminPanel,
    phpmyadmin: phpMyAdmin,
    'git-config': gitConfig,
    'cgi-bin': cgiBin,
    xmlrpc: xmlRpc,
  };
  const traps: Trap[] = [];
  for (const name of o.traps ?? BUILTIN_TRAPS) {
    const t = builtins[name];
    if (!t) throw new Error(`unknown trap ${String(name)} (known: ${BUILTIN_TRAPS.join(', ')})`);
    traps.push(t);
  }
  for (const c of o.custom ?? []) traps.push(customTrap(c));
  return new TrapIndex(traps);
}
