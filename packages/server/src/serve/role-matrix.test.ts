/**
 * The role matrix: the whole route table of the real app (collected with an `onRoute` hook, so a
 * new route fails this test until it is classified below) against no authentication, each role
 * with a bearer access token and with its session cookie (+ X-CSRF-Token on unsafe methods), and
 * API keys with only `read` or only `ingest`. Each caller below a route's need gets 401 (none) or
 * 403; each caller at or above it gets past authorization (no 401/403, no 5xx), with requests that
 * pass validation and name real stored objects, so a denial can never be a validation or 404 answer.
 * Destructive routes (delete a user, revoke a key, lift a ban, remove an exclusion, log out) act
 * on a fresh object or login for every single request. The SSE stream goes over a real socket:
 * inject() resolves only when a response ends, and an allowed stream never ends — its status line
 * is read and the socket dropped.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import type { IncidentUpdate } from '../correlate/types.js';
import { hashPassword } from '../auth/passwords.js';
import { issueRefreshToken, newFamily } from '../auth/sessions.js';
import { createInvitation, createUser } from '../auth/users.js';
import {
  addBan,
  addExclusion,
  addIncidentComment,
  applyIncidentUpdates,
  createApiKey,
} from '../store/index.js';
import type { Pipeline } from './pipeline.js';
import { ROLES, type Role } from './principal.js';
import { multipartForm, openTestApp, type TestApp } from './test-client.js';

/**
 * The least a caller needs: `authenticated` is any signed-in caller (user or key); `ingest-key`
 * routes are for sensors (keys with `ingest`; of the roles only admin, whose `admin` scope implies
 * every scope); `analyst|ingest-key` is a log upload (analysts and admins, or an `ingest` key).
 */
type Need =
  'public' | 'authenticated' | 'user' | 'viewer' | 'analyst' | 'admin' | 'ingest-key' | 'analyst|ingest-key';

interface Req {
  url?: string;
  payload?: unknown;
  headers?: Record<string, string>;
  /** A fresh login of the caller's role used instead of its standing one (logout ends it). */
  fresh?: boolean;
  /** Log in as this user (of the caller's role) instead (a password change ends its logins). */
  as?: string;
}
interface Spec {
  need: Need;
  /** The request (default: the route's url, no body); called once per caller. */
  req?: (c: Caller) => Req | Promise<Req>;
  /** Statuses besides 2xx/3xx an allowed caller may get (and why). */
  alsoOk?: number[];
}

const ROUTES: Record<string, Spec> = {
  // Meta, documentation and the dashboard.
  'GET /api/v1/health': { need: 'public' },
  'GET /healthz': { need: 'public' },
  'GET /metrics': { need: 'public' },
  'GET /api/v1/openapi.json': { need: 'public' },
  'GET /docs': { need: 'public' },
  'GET /docs/': { need: 'public' },
  'GET /docs/json': { need: 'public' },
  'GET /docs/yaml': { need: 'public' },
  'GET /docs/static/index.html': { need: 'public' },
  'GET /docs/static/swagger-initializer.js': { need: 'public' },
  'GET /docs/static/*': { need: 'public', req: () => ({ url: '/docs/static/swagger-ui.css' }) },
  // The dashboard is not built in a fresh clone: 404 there.
  'GET /*': { need: 'public', req: () => ({ url: '/incidents/12' }), alsoOk: [404] },

  // Sensors.
  'POST /api/v1/ingest': { need: 'ingest-key', req: () => ({ payload: { events: [] } }) },
  'GET /api/v1/bans/active': { need: 'ingest-key' },

  // Authentication (public ones get valid, fresh credentials so they succeed).
  'GET /api/v1/auth/status': { need: 'public' },
  'POST /api/v1/auth/register': {
    need: 'public',
    req: async () => ({
      payload: {
        username: `rm-reg-${seq()}`,
        password: PASSWORD,
        invitation: (await createInvitation(pipeline.store, 'viewer', 'test', Date.now())).token,
      },
    }),
  },
  'POST /api/v1/auth/login': {
    need: 'public',
    req: () => ({ payload: { username: 'rm-login', password: PASSWORD } }),
  },
  'POST /api/v1/auth/refresh': {
    need: 'public',
    req: async () => ({
      payload: {
        refresh_token: await issueRefreshToken(pipeline.store, fx.loginUserId, newFamily(), Date.now()),
      },
    }),
  },
  'POST /api/v1/auth/logout': { need: 'authenticated', req: () => ({ fresh: true }) },
  'POST /api/v1/auth/password': {
    need: 'user',
    req: async (c) => ({
      ...(c.role ? { as: (await newUser(c.role)).name } : {}),
      payload: { current_password: PASSWORD, new_password: 'violet-Harbor-71-drum' },
    }),
  },
  'GET /api/v1/auth/me': { need: 'authenticated' },

  // Administration.
  'GET /api/v1/users': { need: 'admin' },
  'PATCH /api/v1/users/:id': {
    need: 'admin',
    req: () => ({ url: `/api/v1/users/${fx.targetUserId}`, payload: { role: 'viewer' } }),
  },
  'DELETE /api/v1/users/:id': {
    need: 'admin',
    req: async () => ({ url: `/api/v1/users/${(await newUser('viewer')).id}` }),
  },
  'POST /api/v1/users/invitations': { need: 'admin', req: () => ({ payload: { role: 'viewer' } }) },
  'GET /api/v1/apikeys': { need: 'admin' },
  'POST /api/v1/apikeys': {
    need: 'admin',
    req: () => ({ payload: { name: `rm-key-${seq()}`, scopes: ['read'] } }),
  },
  'DELETE /api/v1/apikeys/:id': {
    need: 'admin',
    req: async () => ({
      url: `/api/v1/apikeys/${(await createApiKey(pipeline.store, `rm-revoke-${seq()}`, ['read'])).key.id}`,
    }),
  },
  'GET /api/v1/audit': { need: 'admin' },
  'GET /api/v1/settings/registration': { need: 'admin' },
  'PUT /api/v1/settings/registration': { need: 'admin', req: () => ({ payload: { open: false } }) },

  // Events and bans.
  'GET /api/v1/events': { need: 'viewer' },
  'GET /api/v1/events/:id': { need: 'viewer', req: () => ({ url: `/api/v1/events/${EVENT_ID}` }) },
  'PUT /api/v1/events/:id/label': {
    need: 'analyst',
    req: () => ({ url: `/api/v1/events/${EVENT_ID}/label`, payload: { label: 'attack' } }),
  },
  'GET /api/v1/stream': { need: 'viewer' },
  'GET /api/v1/bans': { need: 'viewer' },
  'POST /api/v1/bans': {
    need: 'analyst',
    req: () => ({ payload: { value: `198.51.100.${seq()}`, reason: 'role matrix' } }),
  },
  'DELETE /api/v1/bans/:id': {
    need: 'analyst',
    req: async () => ({ url: `/api/v1/bans/${await newBan()}` }),
  },

  // Incidents, uploads, timeline.
  'GET /api/v1/incidents': { need: 'viewer' },
  'GET /api/v1/incidents/config': { need: 'viewer' },
  'PUT /api/v1/incidents/config': { need: 'admin', req: () => ({ payload: {} }) },
  'GET /api/v1/incidents/:id': { need: 'viewer', req: () => ({ url: `/api/v1/incidents/${fx.incidentId}` }) },
  'PATCH /api/v1/incidents/:id': {
    need: 'analyst',
    req: () => ({ url: `/api/v1/incidents/${fx.incidentId}`, payload: { assignee: 'rm-analyst' } }),
  },
  'GET /api/v1/incidents/:id/comments': {
    need: 'viewer',
    req: () => ({ url: `/api/v1/incidents/${fx.incidentId}/comments` }),
  },
  'POST /api/v1/incidents/:id/comments': {
    need: 'analyst',
    req: () => ({ url: `/api/v1/incidents/${fx.incidentId}/comments`, payload: { body: 'seen' } }),
  },
  'POST /api/v1/logs': { need: 'analyst|ingest-key', req: () => uploadReq() },
  'GET /api/v1/logs': { need: 'viewer' },
  'GET /api/v1/logs/:id': { need: 'viewer', req: () => ({ url: `/api/v1/logs/${fx.uploadId}` }) },
  'GET /api/v1/timeline': { need: 'viewer', req: () => ({ url: '/api/v1/timeline?ip=203.0.113.9' }) },

  // Statistics, map, findings.
  'GET /api/v1/stats/summary': { need: 'viewer' },
  'GET /api/v1/stats/timeline': { need: 'viewer' },
  'GET /api/v1/stats/classes': { need: 'viewer' },
  'GET /api/v1/stats/countries': { need: 'viewer' },
  'GET /api/v1/stats/sources': { need: 'viewer' },
  'GET /api/v1/stats/rules': { need: 'viewer' },
  'GET /api/v1/geo/points': { need: 'viewer' },
  'GET /api/v1/findings': { need: 'viewer' },

  // Engine exclusions.
  'GET /api/v1/exclusions': { need: 'viewer' },
  'POST /api/v1/exclusions': {
    need: 'admin',
    req: () => ({ payload: { rule: 'sqli.union', path: `/rm-${seq()}`, reason: 'role matrix' } }),
  },
  'DELETE /api/v1/exclusions/:id': {
    need: 'admin',
    req: async () => ({ url: `/api/v1/exclusions/${await newExclusion()}` }),
  },

  // Forensic analyses.
  'GET /api/v1/forensics/burst': { need: 'viewer' },
  'GET /api/v1/forensics/distributed-bruteforce': { need: 'viewer' },
  'GET /api/v1/forensics/top-talkers': { need: 'viewer' },
  'GET /api/v1/forensics/sessions': { need: 'viewer' },

  // IT-Sec-Projekt aliases: each with and without the trailing slash.
  ...compat('POST /api/logfiles/', { need: 'analyst|ingest-key', req: (c) => uploadReq(c) }),
  ...compat('GET /api/logfiles/processed-logins/', { need: 'viewer' }),
  ...compat('GET /api/logfiles/config-changes/', { need: 'viewer' }),
  ...compat('GET /api/logfiles/dos-packets/', { need: 'viewer' }),
  ...compat('GET /api/logfiles/ddos-packets/', { need: 'viewer' }),
  ...compat('GET /api/logfiles/incidents/', { need: 'viewer' }),
  ...compat('GET /api/logfiles/unified-event-log/', { need: 'viewer' }),
  ...compat('GET /api/incidents-config/', { need: 'viewer' }),
  ...compat('POST /api/incidents-config/', { need: 'admin', req: () => ({ payload: {} }) }),
};

/** An alias's entry under its path with the trailing slash and without it. */
function compat(route: string, spec: Spec): Record<string, Spec> {
  const [method, path] = route.split(' ') as [string, string];
  const bare = path.slice(0, -1);
  return {
    [route]: spec,
    [`${method} ${bare}`]: { ...spec, req: async (c) => ({ url: bare, ...(await spec.req?.(c)) }) },
  };
}

interface Caller {
  name: string;
  role?: Role;
  /** Session cookie (+ X-CSRF-Token on unsafe methods) instead of the bearer access token. */
  cookie?: boolean;
  key?: 'read' | 'ingest';
}

const CALLERS: Caller[] = [
  { name: 'no auth' },
  ...ROLES.map((role) => ({ name: `${role} (bearer)`, role })),
  ...ROLES.map((role) => ({ name: `${role} (cookie)`, role, cookie: true })),
  { name: 'key read', key: 'read' },
  { name: 'key ingest', key: 'ingest' },
];

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3 };
/** What each role-like need asks of a user's role. */
const MIN_ROLE: Record<'viewer' | 'analyst' | 'admin' | 'ingest-key' | 'analyst|ingest-key', Role> = {
  viewer: 'viewer',
  analyst: 'analyst',
  admin: 'admin',
  'ingest-key': 'admin',
  'analyst|ingest-key': 'analyst',
};
/** The needs a key with only this scope meets. */
const KEY_MEETS: Record<'read' | 'ingest', Need[]> = {
  read: ['public', 'authenticated', 'viewer'],
  ingest: ['public', 'authenticated', 'ingest-key', 'analyst|ingest-key'],
};

function expected(need: Need, c: Caller): 'allowed' | 401 | 403 {
  if (need === 'public') return 'allowed';
  if (!c.role && !c.key) return 401;
  if (need === 'authenticated') return 'allowed';
  if (need === 'user') return c.key ? 403 : 'allowed';
  if (c.key) return KEY_MEETS[c.key].includes(need) ? 'allowed' : 403;
  return RANK[c.role!] >= RANK[MIN_ROLE[need]] ? 'allowed' : 403;
}

const PASSWORD = 'blue-Kettle-92-lamp';
const EVENT_ID = 'rm-event-1';
/** In the sealed raw request and the honeypot password: only the `raw` scope may ever read them. */
const RAW_SECRET = 'rm-raw-secret-5b1e';
const TRAP_SECRET = 'rm-trap-secret-93c2';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const DENIAL_CODES = ['PAL_ERR_AUTH_REQUIRED', 'PAL_ERR_FORBIDDEN', 'PAL_ERR_CSRF'];

interface Login {
  access: string;
  cookie: string;
  csrf: string;
}

let testApp: TestApp;
let pipeline: Pipeline;
let app: TestApp['app'];
let port: number;
let passwordHash: string;
let counter = 0;
const registered: string[] = [];
const fx = {} as {
  logins: Record<Role, Login>;
  keys: Record<'read' | 'ingest', string>;
  loginUserId: number;
  targetUserId: number;
  incidentId: number;
  uploadId: number;
};

const seq = () => ++counter;

function newUser(role: Role, name = `rm-user-${seq()}`) {
  return createUser(pipeline.store, name, passwordHash, role, Date.now());
}

async function newBan(): Promise<number> {
  const ban = await addBan(pipeline.store, {
    value: `192.0.2.${seq()}`,
    reason: 'role matrix',
    source: 'api',
    created_by: 'test',
  });
  return ban.id;
}

async function newExclusion(): Promise<number> {
  const { exclusion } = await addExclusion(
    pipeline.store,
    { rule: 'xss.script', path: `/rm-${seq()}` },
    'role matrix',
    'test',
  );
  return exclusion.id;
}

/** A multipart log upload with content no earlier upload had (the same content again is a 409). */
async function uploadReq(c?: Caller): Promise<Req> {
  const n = seq();
  const line =
    `type=USER_LOGIN msg=audit(1767261600.000:${9000 + n}): pid=${700 + n} uid=0 auid=4294967295 ` +
    `ses=4294967295 msg='op=login acct="rm${n}" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.9 terminal=ssh res=failed'\n`;
  return multipartForm({ file: { name: `rm-${n}-${c?.name ?? 'seed'}.log`, content: line } });
}

const web = (id: string): SecurityEvent => ({
  id,
  ts: new Date().toISOString(),
  kind: 'http',
  source: { name: 'sensor:test', type: 'sensor' },
  client: { ip: '203.0.113.9', port: 40000 },
  http: { method: 'GET', path: '/search', query: 'q=1', status: 200, user_agent: 'curl/8' },
  action: 'log',
  score: 1,
  severity: 'low',
  findings: [],
  raw: `GET /search?q=1 HTTP/1.1\r\nhost: shop\r\nx-token: ${RAW_SECRET}\r\n\r\n`,
});

interface Res {
  status: number;
  body: string;
  code?: string;
  json?: Record<string, unknown>;
  setCookie: string[];
}

function parse(status: number, body: string, setCookie: string[] = []): Res {
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  const code = (json?.error as { code?: string } | undefined)?.code;
  return { status, body, ...(code ? { code } : {}), ...(json ? { json } : {}), setCookie };
}

/** Only the status line of a stream is awaited; an error answer is read to its end. */
function overSocket(method: string, url: string, headers: Record<string, string>): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: url, headers }, (res) => {
      res.on('error', () => undefined);
      if (res.statusCode === 200) {
        resolve({ status: 200, body: '', setCookie: [] });
        req.destroy();
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(parse(res.statusCode!, body)));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${method} ${url}`)));
    req.end();
  });
}

async function send(
  method: string,
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
): Promise<Res> {
  if (method === 'GET' && url.startsWith('/api/v1/stream')) return overSocket(method, url, headers);
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as string }),
  });
  const raw = res.headers['set-cookie'];
  return parse(res.statusCode, res.body, raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]);
}

async function login(username: string): Promise<Login> {
  const r = await send('POST', '/api/v1/auth/login', {}, { username, password: PASSWORD });
  expect(r.status).toBe(200);
  const session = r.setCookie.find((c) => c.startsWith('pal_session='))!.split(';')[0]!;
  return { access: r.json!.access_token as string, cookie: session, csrf: r.json!.csrf_token as string };
}

function credentials(c: Caller, method: string, l: Login | undefined): Record<string, string> {
  if (c.key === 'read') return { authorization: `Bearer ${fx.keys.read}` };
  if (c.key === 'ingest') return { 'x-api-key': fx.keys.ingest };
  if (!l) return {};
  if (!c.cookie) return { authorization: `Bearer ${l.access}` };
  return { cookie: l.cookie, ...(UNSAFE.has(method) ? { 'x-csrf-token': l.csrf } : {}) };
}

beforeAll(async () => {
  testApp = await openTestApp('palisade-role-matrix-', {
    app: {
      maxEventsPerRequest: 5,
      onRoute: (r) => {
        for (const m of [r.method].flat()) registered.push(`${m} ${r.url}`);
      },
    },
  });
  ({ pipeline, app } = testApp);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;

  passwordHash = await hashPassword(PASSWORD);
  for (const role of ROLES) await newUser(role, `rm-${role}`);
  fx.loginUserId = (await newUser('viewer', 'rm-login')).id;
  fx.targetUserId = (await newUser('viewer', 'rm-target')).id;
  fx.logins = {} as Record<Role, Login>;
  for (const role of ROLES) fx.logins[role] = await login(`rm-${role}`);
  fx.keys = {
    read: (await createApiKey(pipeline.store, 'rm-read', ['read'])).secret,
    ingest: (await createApiKey(pipeline.store, 'rm-ingest', ['ingest'])).secret,
  };

  const ingest = { 'x-api-key': fx.keys.ingest };
  const trap: SecurityEvent = {
    ...web('rm-event-trap'),
    kind: 'honeypot',
    honeypot: { trap: 'wp-login', username: 'admin', password: TRAP_SECRET },
  };
  expect(
    (await send('POST', '/api/v1/ingest', ingest, { events: [web(EVENT_ID), trap] })).json,
  ).toMatchObject({ accepted: 2 });
  const now = Date.now();
  const update: IncidentUpdate = {
    created: true,
    newEvidence: [EVENT_ID],
    state: {
      ref: 'rm:brute_force:1',
      type: 'brute_force',
      rule: 'brute_force',
      severity: 'high',
      first_seen: now,
      last_seen: now,
      anchor: now,
      keys: { ip: '203.0.113.9', user: 'root' },
      count: 12,
      successes: 0,
      sources: new Set(['203.0.113.9']),
      users: new Set(['root']),
      thresholds: { threshold: 10 },
      reason: 'role matrix fixture',
      details: {},
      evidenceIds: new Set([EVENT_ID]),
    },
  };
  [fx.incidentId] = (await applyIncidentUpdates(pipeline.store, [update], now)) as [number];
  await addIncidentComment(pipeline.store, fx.incidentId, 'user:rm-analyst', 'fixture comment');
  await newBan();
  await newExclusion();
  const up = await uploadReq();
  const uploaded = await send('POST', '/api/v1/logs', { ...ingest, ...up.headers }, up.payload);
  expect(uploaded.status).toBe(201);
  fx.uploadId = (uploaded.json!.upload as { id: number }).id;
});

afterAll(() => testApp?.close());

/** `METHOD /url` of every registered route; an automatic HEAD counts as its GET. */
function routeTable(): string[] {
  return [...new Set(registered.map((r) => r.replace(/^HEAD /, 'GET ')))].sort();
}

describe('the route table', () => {
  it('classifies every registered route, and only those', () => {
    const table = Object.keys(ROUTES).sort();
    expect(
      routeTable().filter((r) => !table.includes(r)),
      'routes missing from ROUTES',
    ).toEqual([]);
    expect(
      table.filter((r) => !routeTable().includes(r)),
      'ROUTES entries no longer served',
    ).toEqual([]);
  });
});

describe('every route against every caller', () => {
  it.each(Object.keys(ROUTES))('%s', async (route) => {
    const spec = ROUTES[route]!;
    const [method, path] = route.split(' ') as [string, string];
    const wrong: string[] = [];
    for (const c of CALLERS) {
      const r = { url: path, ...(await spec.req?.(c)) };
      const standing = c.role ? fx.logins[c.role] : undefined;
      const l =
        c.role && r.as ? await login(r.as) : r.fresh && c.role ? await login(`rm-${c.role}`) : standing;
      const res = await send(method, r.url, { ...credentials(c, method, l), ...r.headers }, r.payload);
      const want = expected(spec.need, c);
      const ok =
        want === 401
          ? res.status === 401 && res.code === 'PAL_ERR_AUTH_REQUIRED'
          : want === 403
            ? res.status === 403 && res.code === 'PAL_ERR_FORBIDDEN'
            : (res.status < 400 || (spec.alsoOk ?? []).includes(res.status)) &&
              !DENIAL_CODES.includes(res.code ?? '');
      if (!ok) wrong.push(`${c.name}: want ${want}, got ${res.status} ${res.code ?? ''}`.trim());
      if (res.body.includes(RAW_SECRET) || res.body.includes(TRAP_SECRET))
        wrong.push(`${c.name}: the response carries a raw payload or honeypot password`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses an automatic HEAD without authentication wherever the GET needs it', async () => {
    const heads = registered.filter((r) => r.startsWith('HEAD '));
    expect(heads.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const head of heads) {
      const get = head.replace(/^HEAD /, 'GET ');
      if (ROUTES[get]?.need === 'public') continue;
      const url =
        (ROUTES[get]?.req ? (await ROUTES[get].req({ name: 'no auth' })).url : undefined) ?? get.slice(4);
      const res = await app.inject({ method: 'HEAD', url });
      if (res.statusCode !== 401) wrong.push(`${head}: ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('authentication before validation', () => {
  it('answers 401, not a validation error, to an unauthenticated request with a bad body or id', async () => {
    const wrong: string[] = [];
    for (const route of registered) {
      const [method, path] = route.split(' ') as [string, string];
      if (ROUTES[route]?.need === 'public' || method === 'HEAD' || route.endsWith('/stream')) continue;
      const url = path.replace(/:[a-z_]+/g, 'not-an-id');
      const res = await app.inject({
        method: method as 'GET',
        url: `${url}?limit=-1&bogus=1`,
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { bogus: true } }),
      });
      if (res.statusCode !== 401) wrong.push(`${route}: ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('sessions, CSRF and handler-level scopes', () => {
  it('refuses an unsafe request with the session cookie but without the right X-CSRF-Token', async () => {
    const admin = fx.logins.admin;
    const body = { value: '198.51.100.250', reason: 'csrf' };
    for (const csrf of [undefined, 'not-the-token', fx.logins.viewer.csrf]) {
      const headers = { cookie: admin.cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) };
      const r = await send('POST', '/api/v1/bans', headers, body);
      expect([r.status, r.code]).toEqual([403, 'PAL_ERR_CSRF']);
    }
    const r = await send('POST', '/api/v1/bans', { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, body);
    expect(r.status).toBe(201);
    // Safe methods need no token.
    expect((await send('GET', '/api/v1/bans', { cookie: admin.cookie })).status).toBe(200);
  });

  it('gives the raw request and the honeypot password (?raw=true) to analysts and admins only', async () => {
    for (const [id, secret] of [
      [EVENT_ID, RAW_SECRET],
      ['rm-event-trap', TRAP_SECRET],
    ] as const)
      for (const c of CALLERS.filter((x) => x.role || x.key)) {
        const l = c.role ? fx.logins[c.role] : undefined;
        const r = await send('GET', `/api/v1/events/${id}?raw=true`, credentials(c, 'GET', l));
        const allowed = c.role === 'analyst' || c.role === 'admin';
        expect([c.name, r.status, r.code]).toEqual(
          allowed ? [c.name, 200, undefined] : [c.name, 403, 'PAL_ERR_FORBIDDEN'],
        );
        // The secrets the matrix looks for in every other answer are really there to be found.
        expect(r.body.includes(secret)).toBe(allowed);
      }
  });
});
