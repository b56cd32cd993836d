/**
 * Authentication and user administration over the real app and a real SQLite file: registration
 * rules, login with cookies and tokens, CSRF, refresh rotation with reuse detection, logout, role
 * scopes, disabling and deleting users, lockout and the per-address limit (fake clock), invitations,
 * API keys, the audit log — and that no response ever carries a hash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../serve/pipeline.js';
import { initialApiKey, openTestApp, type TestApp } from '../serve/test-client.js';
import { LOGIN_LIMITS } from './authenticator.js';

let testApp: TestApp;
let pipeline: Pipeline;
let app: TestApp['app'];
let now = Date.parse('2026-03-01T10:00:00Z');
const bodies: string[] = [];

interface Res {
  status: number;
  headers: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted field by field
  json: any;
  cookies: Record<string, string>;
  setCookie: string[];
}

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  opts: { payload?: unknown; headers?: Record<string, string>; ip?: string } = {},
): Promise<Res> {
  const res = await app.inject({
    method,
    url,
    headers: opts.headers ?? {},
    remoteAddress: opts.ip ?? '127.0.0.1',
    ...(opts.payload === undefined ? {} : { payload: opts.payload as string }),
  });
  bodies.push(res.body);
  const raw = res.headers['set-cookie'];
  const setCookie = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const cookies: Record<string, string> = {};
  for (const c of setCookie) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    cookies[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return {
    status: res.statusCode,
    headers: res.headers,
    json: res.body ? JSON.parse(res.body) : undefined,
    cookies,
    setCookie,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookieOf = (l: Res) => ({
  cookie: `pal_session=${l.cookies.pal_session}; pal_csrf=${l.cookies.pal_csrf}`,
});
const withCsrf = (l: Res) => ({ ...cookieOf(l), 'x-csrf-token': l.json.csrf_token as string });

const ADMIN_PW = 'Tr0ub4dor&3-horse';
const VIEWER_PW = 'blue-Kettle-92-lamp';

async function login(username: string, password: string, ip = '127.0.0.1') {
  return call('POST', '/api/v1/auth/login', { payload: { username, password }, ip });
}

async function invite(admin: Res, role: string): Promise<string> {
  const r = await call('POST', '/api/v1/users/invitations', {
    payload: { role },
    headers: bearer(admin.json.access_token),
  });
  expect(r.status).toBe(201);
  return r.json.token as string;
}

beforeAll(async () => {
  testApp = await openTestApp('palisade-auth-', { app: { maxEventsPerRequest: 5, clock: () => now } });
  ({ pipeline, app } = testApp);
  // Stands in for a TLS socket on requests marked by the test (inject has no TLS).
  app.addHook('onRequest', async (req) => {
    if (req.headers['x-test-tls']) (req.raw.socket as { encrypted?: boolean }).encrypted = true;
  });
  await app.ready();
});

afterAll(() => testApp?.close());

describe('registration', () => {
  it('makes the first user an admin, then needs an invitation', async () => {
    expect((await call('GET', '/api/v1/auth/status')).json).toEqual({
      registration: 'first_user',
      oidc: false,
    });
    const r = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'Alice', password: ADMIN_PW },
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.json.user).sort()).toEqual([
      'created_ms',
      'disabled',
      'id',
      'last_login_ms',
      'role',
      'username',
    ]);
    expect(r.json.user).toMatchObject({ username: 'alice', role: 'admin', disabled: false });
    expect((await call('GET', '/api/v1/auth/status')).json.registration).toBe('invitation');
    const second = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'mallory', password: VIEWER_PW },
    });
    expect(second.status).toBe(403);
    expect(second.json.error.code).toBe('PAL_ERR_REGISTRATION_CLOSED');
    const hash = await pipeline.store.db
      .selectFrom('users')
      .select('password_hash')
      .executeTakeFirstOrThrow();
    expect(hash.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('names the field a policy error is about', async () => {
    const cases: [string, string, string][] = [
      ['bob', 'short1!', 'password'],
      ['bob', 'x'.repeat(257), 'password'],
      ['bobby', 'my-name-is-BOBBY-9', 'password'],
      ['bob', 'Password1234!', 'password'],
      ['bob', '123456789012', 'password'],
      ['bob', 'abababababababab', 'password'],
      ['bob', 'lowercaseonlyxyz'.slice(0, 14), 'password'],
      ['b', VIEWER_PW, 'username'],
      ['bob smith', VIEWER_PW, 'username'],
      ['bob', undefined as unknown as string, 'password'],
    ];
    for (const [username, password, field] of cases) {
      const r = await call('POST', '/api/v1/auth/register', { payload: { username, password } });
      expect(r.status, `${username}/${password}`).toBe(400);
      expect(r.json.error.code).toBe('PAL_ERR_VALIDATION');
      expect(r.json.error.details.field, `${username}/${password}`).toBe(field);
    }
    const extra = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'bob', password: VIEWER_PW, role: 'admin' },
    });
    expect(extra.status).toBe(400);
    expect(extra.json.error.details.field).toBe('role');
  });

  it('accepts an invitation once, with its role; open registration gives viewers', async () => {
    const admin = await login('alice', ADMIN_PW);
    const token = await invite(admin, 'viewer');
    const r = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'vera', password: VIEWER_PW, invitation: token },
    });
    expect(r.status).toBe(201);
    expect(r.json.user.role).toBe('viewer');
    const again = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'vera2', password: VIEWER_PW, invitation: token },
    });
    expect(again.json.error.code).toBe('PAL_ERR_INVITATION_INVALID');
    const expired = await invite(admin, 'analyst');
    now += 8 * 86_400_000;
    const late = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'late', password: VIEWER_PW, invitation: expired },
    });
    expect(late.json.error.code).toBe('PAL_ERR_INVITATION_INVALID');

    const admin2 = await login('alice', ADMIN_PW);
    const put = await call('PUT', '/api/v1/settings/registration', {
      payload: { open: true },
      headers: withCsrf(admin2),
    });
    expect(put.json).toEqual({ open: true });
    expect((await call('GET', '/api/v1/auth/status')).json.registration).toBe('open');
    const open = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'olga', password: VIEWER_PW },
    });
    expect(open.json.user.role).toBe('viewer');
    const taken = await call('POST', '/api/v1/auth/register', {
      payload: { username: 'OLGA', password: VIEWER_PW },
    });
    expect(taken.status).toBe(409);
    await call('PUT', '/api/v1/settings/registration', {
      payload: { open: false },
      headers: withCsrf(admin2),
    });
    expect((await call('GET', '/api/v1/settings/registration', { headers: cookieOf(admin2) })).json).toEqual({
      open: false,
    });
  });
});

describe('login, cookies, CSRF and tokens', () => {
  it('answers unknown users and wrong passwords alike', async () => {
    const wrong = await login('alice', 'not-the-password-1', '10.0.0.1');
    const unknown = await login('nobody', 'not-the-password-1', '10.0.0.1');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json).toEqual(unknown.json);
    expect(wrong.json.error.code).toBe('PAL_ERR_AUTH_FAILED');
    const audit = await pipeline.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'auth.login_failed')
      .execute();
    expect(audit.length).toBeGreaterThanOrEqual(2);
    for (const a of audit) expect(a.details).not.toContain('not-the-password');
  });

  it('sets HttpOnly strict session and readable CSRF cookies; Secure over HTTPS', async () => {
    const r = await login('alice', ADMIN_PW);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { username: 'alice' } });
    const session = r.setCookie.find((c) => c.startsWith('pal_session='))!;
    const csrf = r.setCookie.find((c) => c.startsWith('pal_csrf='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Path=\//);
    expect(session).not.toMatch(/Secure/);
    expect(csrf).not.toMatch(/HttpOnly/);
    expect(csrf).toMatch(/; SameSite=Strict/);
    expect(r.cookies.pal_csrf).toBe(r.json.csrf_token);
    const tls = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-test-tls': '1' },
      payload: { username: 'alice', password: ADMIN_PW },
    });
    for (const c of tls.headers['set-cookie'] as string[]) expect(c).toMatch(/; Secure/);
  });

  it('needs X-CSRF-Token on unsafe requests with the session cookie', async () => {
    const l = await login('alice', ADMIN_PW);
    const me = await call('GET', '/api/v1/auth/me', { headers: cookieOf(l) });
    expect(me.status).toBe(200);
    expect(me.json.user.username).toBe('alice');
    expect(me.json.csrf_token).toBe(l.json.csrf_token);
    const ban = { value: '203.0.113.7', reason: 'test' };
    const none = await call('POST', '/api/v1/bans', { payload: ban, headers: cookieOf(l) });
    expect(none.status).toBe(403);
    expect(none.json.error.code).toBe('PAL_ERR_CSRF');
    const wrong = await call('POST', '/api/v1/bans', {
      payload: ban,
      headers: { ...cookieOf(l), 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrong.json.error.code).toBe('PAL_ERR_CSRF');
    const ok = await call('POST', '/api/v1/bans', { payload: ban, headers: withCsrf(l) });
    expect(ok.status).toBe(201);
    // Bearer requests are not sent by browsers on their own: no CSRF token needed.
    const viaToken = await call('POST', '/api/v1/bans', {
      payload: { ...ban, value: '203.0.113.8' },
      headers: bearer(l.json.access_token),
    });
    expect(viaToken.status).toBe(201);
    expect((await call('GET', '/api/v1/audit', { headers: cookieOf(l) })).json.entries[0].actor).toBe(
      'user:alice',
    );
  });

  it('ends idle and over-age sessions', async () => {
    const l = await login('alice', ADMIN_PW);
    now += 3601_000;
    expect((await call('GET', '/api/v1/auth/me', { headers: cookieOf(l) })).status).toBe(401);
    const l2 = await login('alice', ADMIN_PW);
    // Active every 50 minutes: the idle limit never hits, the 12 h limit does.
    for (let k = 1; k <= 15; k++) {
      now += 3000_000;
      const r = await call('GET', '/api/v1/auth/me', { headers: cookieOf(l2) });
      expect(r.status, `after ${k * 50} min`).toBe(k * 3000 < 43_200 ? 200 : 401);
    }
  });

  it('rotates refresh tokens; a reused one revokes the family, its access tokens and its session', async () => {
    const l = await login('alice', ADMIN_PW);
    const r1 = await call('POST', '/api/v1/auth/refresh', {
      payload: { refresh_token: l.json.refresh_token },
    });
    expect(r1.status).toBe(200);
    expect(r1.json.refresh_token).not.toBe(l.json.refresh_token);
    expect(
      (await call('GET', '/api/v1/auth/me', { headers: bearer(r1.json.access_token) })).json.user.username,
    ).toBe('alice');
    const reuse = await call('POST', '/api/v1/auth/refresh', {
      payload: { refresh_token: l.json.refresh_token },
    });
    expect(reuse.status).toBe(401);
    expect(
      (await call('POST', '/api/v1/auth/refresh', { payload: { refresh_token: r1.json.refresh_token } }))
        .status,
    ).toBe(401);
    expect((await call('GET', '/api/v1/auth/me', { headers: bearer(r1.json.access_token) })).status).toBe(
      401,
    );
    expect((await call('GET', '/api/v1/auth/me', { headers: cookieOf(l) })).status).toBe(401);
    const audit = await pipeline.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'auth.refresh_reuse')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('expires access tokens after 15 minutes', async () => {
    const l = await login('alice', ADMIN_PW);
    now += 14 * 60_000;
    expect((await call('GET', '/api/v1/events', { headers: bearer(l.json.access_token) })).status).toBe(200);
    now += 2 * 60_000;
    expect((await call('GET', '/api/v1/events', { headers: bearer(l.json.access_token) })).status).toBe(401);
  });

  it('logs out: clears cookies, ends the session and revokes the tokens', async () => {
    const l = await login('alice', ADMIN_PW);
    const out = await call('POST', '/api/v1/auth/logout', { headers: withCsrf(l) });
    expect(out.status).toBe(204);
    expect(out.setCookie.some((c) => /^pal_session=;/.test(c) && /Expires=Thu, 01 Jan 1970/.test(c))).toBe(
      true,
    );
    expect((await call('GET', '/api/v1/auth/me', { headers: cookieOf(l) })).status).toBe(401);
    expect((await call('GET', '/api/v1/auth/me', { headers: bearer(l.json.access_token) })).status).toBe(401);
    expect(
      (await call('POST', '/api/v1/auth/refresh', { payload: { refresh_token: l.json.refresh_token } }))
        .status,
    ).toBe(401);
    // A token signed with another key or for another issuer is refused.
    const forged = l.json.access_token.replace(/\.[^.]+$/, '.AAAA');
    expect((await call('GET', '/api/v1/auth/me', { headers: bearer(forged) })).status).toBe(401);
  });
});

describe('changing your own password', () => {
  it('needs the current password, applies the policy, then ends every login of the user', async () => {
    const NEW_PW = 'violet-Harbor-71-drum';
    const l = await login('olga', VIEWER_PW);
    const other = await login('olga', VIEWER_PW);
    const change = (payload: unknown, headers = withCsrf(l)) =>
      call('POST', '/api/v1/auth/password', { payload, headers });
    const wrong = await change({ current_password: 'not-her-password-9', new_password: NEW_PW });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('PAL_ERR_AUTH_FAILED');
    const failures = await pipeline.store.db
      .selectFrom('users')
      .select('failed_logins')
      .where('name', '=', 'olga')
      .executeTakeFirstOrThrow();
    expect(failures.failed_logins).toBe(1);
    const weak = await change({ current_password: VIEWER_PW, new_password: 'password1234' });
    expect(weak.status).toBe(400);
    expect(weak.json.error.details).toEqual({ field: 'new_password' });
    const same = await change({ current_password: VIEWER_PW, new_password: VIEWER_PW });
    expect(same.json.error.details).toEqual({ field: 'new_password' });
    // Without the CSRF token the session cannot change it.
    expect(
      (await change({ current_password: VIEWER_PW, new_password: NEW_PW }, cookieOf(l))).json.error.code,
    ).toBe('PAL_ERR_CSRF');
    // An API key has no password to change.
    const key = await call('POST', '/api/v1/auth/password', {
      payload: { current_password: VIEWER_PW, new_password: NEW_PW },
      headers: bearer(await initialApiKey(pipeline)),
    });
    expect(key.status).toBe(403);
    const ok = await change({ current_password: VIEWER_PW, new_password: NEW_PW });
    expect(ok.status).toBe(204);
    expect((await call('GET', '/api/v1/auth/me', { headers: cookieOf(l) })).status).toBe(401);
    expect((await call('GET', '/api/v1/auth/me', { headers: bearer(other.json.access_token) })).status).toBe(
      401,
    );
    expect((await login('olga', VIEWER_PW)).status).toBe(401);
    const again = await login('olga', NEW_PW);
    expect(again.status).toBe(200);
    expect(again.json.user.role).toBe('viewer');
    const audited = await pipeline.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'in', ['auth.password_failed', 'user.password_change'])
      .execute();
    expect(audited.map((a) => a.action).sort()).toEqual(['auth.password_failed', 'user.password_change']);
  });
});

describe('roles and user administration', () => {
  it('gives viewers read but not ban, users or keys', async () => {
    const v = await login('vera', VIEWER_PW);
    const h = bearer(v.json.access_token);
    expect((await call('GET', '/api/v1/events', { headers: h })).status).toBe(200);
    const ban = await call('POST', '/api/v1/bans', {
      payload: { value: '203.0.113.9', reason: 'x' },
      headers: h,
    });
    expect(ban.status).toBe(403);
    expect(ban.json.error.code).toBe('PAL_ERR_FORBIDDEN');
    expect((await call('GET', '/api/v1/users', { headers: h })).status).toBe(403);
    expect((await call('GET', '/api/v1/apikeys', { headers: h })).status).toBe(403);
    expect((await call('GET', '/api/v1/events')).status).toBe(401);
  });

  it('applies role changes, disabling and deletion at once', async () => {
    const admin = await login('alice', ADMIN_PW);
    const a = bearer(admin.json.access_token);
    const v = await login('vera', VIEWER_PW);
    const users = (await call('GET', '/api/v1/users', { headers: a })).json.users as {
      id: number;
      username: string;
    }[];
    const vera = users.find((u) => u.username === 'vera')!;
    const ban = { value: '203.0.113.10', reason: 'x' };

    const promote = await call('PATCH', `/api/v1/users/${vera.id}`, {
      payload: { role: 'analyst' },
      headers: a,
    });
    expect(promote.json.user.role).toBe('analyst');
    expect(
      (await call('POST', '/api/v1/bans', { payload: ban, headers: bearer(v.json.access_token) })).status,
    ).toBe(201);

    const disable = await call('PATCH', `/api/v1/users/${vera.id}`, {
      payload: { disabled: true },
      headers: a,
    });
    expect(disable.json.user.disabled).toBe(true);
    expect((await call('GET', '/api/v1/events', { headers: bearer(v.json.access_token) })).status).toBe(401);
    expect((await call('GET', '/api/v1/events', { headers: cookieOf(v) })).status).toBe(401);
    expect((await login('vera', VIEWER_PW)).status).toBe(401);

    await call('PATCH', `/api/v1/users/${vera.id}`, {
      payload: { disabled: false, role: 'viewer' },
      headers: a,
    });
    const back = await login('vera', VIEWER_PW);
    expect(back.status).toBe(200);
    expect((await call('DELETE', `/api/v1/users/${vera.id}`, { headers: a })).status).toBe(204);
    expect((await call('GET', '/api/v1/events', { headers: bearer(back.json.access_token) })).status).toBe(
      401,
    );
    expect((await call('DELETE', `/api/v1/users/${vera.id}`, { headers: a })).status).toBe(404);

    const actions = (await call('GET', '/api/v1/audit?limit=50', { headers: a })).json.entries.map(
      (e: { action: string }) => e.action,
    );
    for (const act of [
      'user.role',
      'user.disable',
      'user.enable',
      'user.delete',
      'invitation.create',
      'settings.registration',
    ])
      expect(actions).toContain(act);
  });

  it('keeps one active admin', async () => {
    const admin = await login('alice', ADMIN_PW);
    const a = bearer(admin.json.access_token);
    const me = admin.json.user.id as number;
    for (const payload of [{ role: 'viewer' }, { disabled: true }]) {
      const r = await call('PATCH', `/api/v1/users/${me}`, { payload, headers: a });
      expect(r.status).toBe(409);
      expect(r.json.error.code).toBe('PAL_ERR_LAST_ADMIN');
    }
    expect((await call('DELETE', `/api/v1/users/${me}`, { headers: a })).json.error.code).toBe(
      'PAL_ERR_LAST_ADMIN',
    );
  });

  it('manages API keys and pages the audit log', async () => {
    const admin = await login('alice', ADMIN_PW);
    const a = bearer(admin.json.access_token);
    const created = await call('POST', '/api/v1/apikeys', {
      payload: { name: 'reader', scopes: ['read'] },
      headers: a,
    });
    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^pal_/);
    expect(Object.keys(created.json.key).sort()).toEqual([
      'created_ms',
      'id',
      'last_used_ms',
      'name',
      'prefix',
      'revoked_ms',
      'scopes',
    ]);
    expect(
      (await call('GET', '/api/v1/events', { headers: { 'x-api-key': created.json.secret } })).status,
    ).toBe(200);
    const list = await call('GET', '/api/v1/apikeys', { headers: a });
    expect(list.json.keys.some((k: { name: string }) => k.name === 'reader')).toBe(true);
    expect((await call('DELETE', `/api/v1/apikeys/${created.json.key.id}`, { headers: a })).status).toBe(204);
    expect((await call('GET', '/api/v1/events', { headers: bearer(created.json.secret) })).status).toBe(401);
    const bad = await call('POST', '/api/v1/apikeys', {
      payload: { name: 'x', scopes: ['root'] },
      headers: a,
    });
    expect(bad.status).toBe(400);

    const p1 = await call('GET', '/api/v1/audit?limit=2', { headers: a });
    expect(p1.json.entries).toHaveLength(2);
    expect(p1.json.entries.map((e: { action: string }) => e.action)).toEqual([
      'apikey.revoke',
      'apikey.create',
    ]);
    const p2 = await call('GET', `/api/v1/audit?limit=2&cursor=${p1.json.next_cursor}`, { headers: a });
    expect(p2.json.entries[0].id).toBeLessThan(p1.json.entries[1].id);
    expect(p2.json.entries[0]).toMatchObject({ action: 'auth.login', actor: 'user:alice', ts_ms: now });
  });
});

describe('lockout and rate limit', () => {
  it('locks a user after 5 failures for 15 minutes, kept in the store', async () => {
    const ip = '10.1.0.1';
    for (let i = 0; i < LOGIN_LIMITS.perUser; i++)
      expect((await login('alice', 'wrong-password-xyz', ip)).json.error.code).toBe('PAL_ERR_AUTH_FAILED');
    const locked = await login('alice', ADMIN_PW, '10.1.0.2');
    expect(locked.status).toBe(423);
    expect(locked.json.error.code).toBe('PAL_ERR_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBe(900);
    const row = await pipeline.store.db
      .selectFrom('users')
      .select('locked_until_ms')
      .where('name', '=', 'alice')
      .executeTakeFirstOrThrow();
    expect(row.locked_until_ms).toBe(now + LOGIN_LIMITS.windowMs);
    now += LOGIN_LIMITS.windowMs;
    expect((await login('alice', ADMIN_PW, '10.1.0.2')).status).toBe(200);
    const actions = await pipeline.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'auth.lockout')
      .execute();
    expect(actions).toHaveLength(1);
  });

  it('locks unknown names the same way', async () => {
    for (let i = 0; i < LOGIN_LIMITS.perUser; i++) await login('ghost', 'wrong-password-xyz', '10.2.0.1');
    expect((await login('ghost', 'wrong-password-xyz', '10.2.0.2')).json.error.code).toBe('PAL_ERR_LOCKED');
  });

  it('limits failed logins per client address', async () => {
    const ip = '10.3.0.1';
    for (let i = 0; i < LOGIN_LIMITS.perIp; i++) await login(`user${i}`, 'wrong-password-xyz', ip);
    const limited = await login('alice', ADMIN_PW, ip);
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('PAL_ERR_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login('alice', ADMIN_PW, '10.3.0.2')).status).toBe(200);
    now += LOGIN_LIMITS.windowMs;
    expect((await login('alice', ADMIN_PW, ip)).status).toBe(200);
  });
});

describe('responses', () => {
  it('never carry a password, session, token or key hash', async () => {
    const db = pipeline.store.db;
    const secrets = [
      ...(await db.selectFrom('users').select('password_hash as h').execute()),
      ...(await db.selectFrom('sessions').select('id_hash as h').execute()),
      ...(await db.selectFrom('refresh_tokens').select('token_hash as h').execute()),
      ...(await db.selectFrom('invitations').select('token_hash as h').execute()),
      ...(await db.selectFrom('api_keys').select('key_hash as h').execute()),
    ]
      .map((r) => r.h)
      .filter((h): h is string => typeof h === 'string');
    expect(secrets.length).toBeGreaterThan(10);
    const all = bodies.join('\n');
    expect(all).not.toContain('$argon2');
    for (const s of secrets) expect(all).not.toContain(s);
    expect(all).not.toMatch(/password_hash|token_hash|key_hash|id_hash/);
  });

  it('keeps the first admin API key working (pipeline)', async () => {
    const key = await initialApiKey(pipeline);
    expect((await call('GET', '/api/v1/users', { headers: bearer(key) })).status).toBe(200);
  });
});
