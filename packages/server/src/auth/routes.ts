/**
 * The API of authentication and administration (API_CONTRACT.md "Authentication"): status,
 * register, login, refresh, logout, me; users, invitations, API keys, the audit log and the
 * registration setting (admin). Every body, parameter and query has a JSON schema without extra
 * properties; every response is an allow-list (no password, session or token hash ever leaves).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PalisadeError } from '../errors.js';
import {
  audit,
  createApiKey,
  getSetting,
  listApiKeys,
  listAudit,
  putSetting,
  revokeApiKey,
  API_KEY_SCOPES,
  type Store,
} from '../store/index.js';
import { actorOf, ROLES, type Role } from '../serve/principal.js';
import type { Auth } from './authenticator.js';
import { ACCESS_TTL_SECS, signAccessToken } from './access-tokens.js';
import {
  checkPassword,
  checkUsername,
  dummyHash,
  hashPassword,
  verifyPassword,
  PASSWORD_MAX,
} from './passwords.js';
import {
  createSession,
  deleteSession,
  familyOfRefreshToken,
  issueRefreshToken,
  newFamily,
  purgeExpiredLogins,
  revokeFamily,
  rotateRefreshToken,
} from './sessions.js';
import {
  countUsers,
  createInvitation,
  deleteUser,
  getUserById,
  getUserByName,
  listUsers,
  recordLoginFailure,
  recordLoginSuccess,
  registerUser,
  setPassword,
  toPublicUser,
  updateUser,
} from './users.js';
import { LOGIN_LIMITS } from './authenticator.js';

/** Settings key of the registration mode (`{open: boolean}`; default closed). */
export const REGISTRATION_SETTING = 'auth.registration';

const USERNAME_IN = { type: 'string', minLength: 1, maxLength: 64 } as const;
const PASSWORD_IN = { type: 'string', minLength: 1, maxLength: PASSWORD_MAX * 4 } as const;
const REFRESH_IN = { type: 'string', minLength: 1, maxLength: 100 } as const;
const ID_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: 2 ** 53 - 1 } },
} as const;
/** OpenAPI tags and summary (serve/openapi.ts); `open` routes need no credentials. */
const doc = (summary: string, open = false) => ({
  tags: ['auth'],
  summary,
  ...(open ? { security: [] } : {}),
});
const body = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

export async function registrationOpen(store: Store): Promise<boolean> {
  return (await getSetting<{ open?: boolean }>(store, REGISTRATION_SETTING))?.value.open === true;
}

function retryAfter(reply: FastifyReply, ms: number): void {
  reply.header('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
}

function userAgentOf(req: FastifyRequest): string | null {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' ? ua : null;
}

export function registerAuthRoutes(app: FastifyInstance, opts: { auth: Auth }): void {
  const { auth } = opts;
  const { store, clock, requireScope } = auth;

  app.get(
    '/api/v1/auth/status',
    { schema: doc('How one can register; whether OIDC tokens are accepted', true) },
    async () => ({
      registration:
        (await countUsers(store)) === 0
          ? 'first_user'
          : (await registrationOpen(store))
            ? 'open'
            : 'invitation',
      oidc: auth.oidc,
    }),
  );

  app.post(
    '/api/v1/auth/register',
    {
      schema: {
        ...doc('Create an account (first user: admin; then invitation or open registration)', true),
        body: body(
          {
            username: USERNAME_IN,
            password: PASSWORD_IN,
            invitation: { type: 'string', minLength: 1, maxLength: 100 },
          },
          ['username', 'password'],
        ),
      },
    },
    async (req, reply) => {
      const b = req.body as { username: string; password: string; invitation?: string };
      const username = checkUsername(b.username);
      const password = checkPassword(b.password, username);
      const open = await registrationOpen(store);
      // Refuse before hashing: argon2 is deliberately expensive.
      if (b.invitation === undefined && !open && (await countUsers(store)) > 0)
        throw new PalisadeError('PAL_ERR_REGISTRATION_CLOSED');
      const passwordHash = await hashPassword(password);
      const user = await registerUser(store, {
        username,
        passwordHash,
        open,
        nowMs: clock(),
        ...(b.invitation !== undefined ? { invitation: b.invitation } : {}),
      });
      await audit(
        store,
        `user:${user.name}`,
        'user.register',
        `user:${user.id}`,
        {
          role: user.role,
          via: b.invitation !== undefined ? 'invitation' : user.role === 'admin' ? 'first_user' : 'open',
          ip: req.ip,
        },
        clock(),
      );
      return reply.status(201).send({ user: toPublicUser(user) });
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        ...doc('Log in: session cookies, access and refresh token', true),
        body: body({ username: USERNAME_IN, password: PASSWORD_IN }, ['username', 'password']),
      },
    },
    async (req, reply) => {
      const { username, password } = req.body as { username: string; password: string };
      const name = username.toLowerCase();
      const now = clock();
      const ipWait = auth.ipFailures.blockedMs(req.ip, now);
      if (ipWait > 0) {
        retryAfter(reply, ipWait);
        throw new PalisadeError('PAL_ERR_RATE_LIMITED', 'too many failed logins from this address');
      }
      const user = await getUserByName(store, name);
      const lockedMs =
        user && user.locked_until_ms !== null && user.locked_until_ms > now
          ? user.locked_until_ms - now
          : user
            ? 0
            : auth.unknownUserFailures.blockedMs(name, now);
      if (lockedMs > 0) {
        retryAfter(reply, lockedMs);
        throw new PalisadeError('PAL_ERR_LOCKED');
      }
      // Unknown users are verified against a dummy hash so the answer takes as long.
      const ok =
        (await verifyPassword(user?.password_hash ?? (await dummyHash()), password)) &&
        user !== undefined &&
        user.password_hash !== null &&
        user.disabled_ms === null;
      if (!ok) {
        auth.ipFailures.fail(req.ip, now);
        const locked = user
          ? await recordLoginFailure(store, user.id, now, LOGIN_LIMITS.perUser, LOGIN_LIMITS.windowMs)
          : auth.unknownUserFailures.fail(name, now);
        const reason = !user ? 'unknown_user' : user.disabled_ms !== null ? 'disabled' : 'bad_password';
        await audit(
          store,
          'anonymous',
          'auth.login_failed',
          `user:${name.slice(0, 64)}`,
          { reason, ip: req.ip },
          now,
        );
        if (locked)
          await audit(
            store,
            'anonymous',
            'auth.lockout',
            `user:${name.slice(0, 64)}`,
            {
              ip: req.ip,
              until_ms: now + LOGIN_LIMITS.windowMs,
            },
            now,
          );
        throw new PalisadeError('PAL_ERR_AUTH_FAILED');
      }
      const fresh = await recordLoginSuccess(store, user.id, now);
      await purgeExpiredLogins(store, now);
      const family = newFamily();
      const session = await createSession(store, {
        userId: user.id,
        family,
        ip: req.ip,
        userAgent: userAgentOf(req),
        nowMs: now,
        maxMs: auth.sessionMaxMs,
      });
      const refresh_token = await issueRefreshToken(store, user.id, family, now);
      const access_token = await signAccessToken(
        auth.signingKey,
        { userId: user.id, role: user.role, family },
        now,
      );
      await audit(store, `user:${user.name}`, 'auth.login', `user:${user.id}`, { ip: req.ip }, now);
      auth.setLoginCookies(req, reply, session);
      return {
        user: toPublicUser(fresh),
        access_token,
        refresh_token,
        token_type: 'Bearer',
        expires_in: ACCESS_TTL_SECS,
        csrf_token: session.csrf,
      };
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        ...doc('Trade a refresh token for a new access and refresh token', true),
        body: body({ refresh_token: REFRESH_IN }, ['refresh_token']),
      },
    },
    async (req) => {
      const now = clock();
      const r = await rotateRefreshToken(store, (req.body as { refresh_token: string }).refresh_token, now);
      if (!r.ok) {
        if (r.reuse)
          await audit(
            store,
            'anonymous',
            'auth.refresh_reuse',
            `user:${r.reuse.userId}`,
            { ip: req.ip },
            now,
          );
        throw new PalisadeError('PAL_ERR_AUTH_REQUIRED', 'invalid, expired or revoked refresh token');
      }
      const user = await getUserById(store, r.userId);
      if (!user || user.disabled_ms !== null) {
        await revokeFamily(store, r.family, now);
        throw new PalisadeError('PAL_ERR_AUTH_REQUIRED', 'the user is disabled or no longer exists');
      }
      return {
        access_token: await signAccessToken(
          auth.signingKey,
          { userId: user.id, role: user.role, family: r.family },
          now,
        ),
        refresh_token: r.token,
        token_type: 'Bearer',
        expires_in: ACCESS_TTL_SECS,
      };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      onRequest: requireScope(),
      schema: {
        ...doc('End the session and revoke its tokens'),
        body: { ...body({ refresh_token: REFRESH_IN }), type: ['object', 'null'] },
      },
    },
    async (req, reply) => {
      const now = clock();
      const login = auth.loginOf(req);
      const token = (req.body as { refresh_token?: string } | null)?.refresh_token;
      const families = new Set<string>();
      if (login.family) families.add(login.family);
      if (token) {
        const f = await familyOfRefreshToken(store, token);
        if (f) families.add(f);
      }
      if (login.session) await deleteSession(store, login.session.id);
      for (const f of families) await revokeFamily(store, f, now);
      await audit(store, actorOf(req), 'auth.logout', null, { kind: req.principal!.kind }, now);
      auth.clearLoginCookies(reply);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      onRequest: requireScope(),
      schema: {
        ...doc('Change your own password (ends every session and token of yours: log in again)'),
        body: body({ current_password: PASSWORD_IN, new_password: PASSWORD_IN }, [
          'current_password',
          'new_password',
        ]),
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      if (p.user_id === undefined || (p.kind !== 'session' && p.kind !== 'bearer'))
        throw new PalisadeError('PAL_ERR_FORBIDDEN', 'only a user signed in with a password can change it');
      const { current_password, new_password } = req.body as {
        current_password: string;
        new_password: string;
      };
      const now = clock();
      const user = await getUserById(store, p.user_id);
      if (!user || user.password_hash === null) throw new PalisadeError('PAL_ERR_AUTH_REQUIRED');
      // A wrong current password counts like a failed login (lockout), so a stolen session
      // cannot be used to guess it.
      if (!(await verifyPassword(user.password_hash, current_password))) {
        const locked = await recordLoginFailure(
          store,
          user.id,
          now,
          LOGIN_LIMITS.perUser,
          LOGIN_LIMITS.windowMs,
        );
        await audit(store, actorOf(req), 'auth.password_failed', `user:${user.id}`, { locked }, now);
        throw new PalisadeError('PAL_ERR_AUTH_FAILED', 'the current password is wrong');
      }
      try {
        checkPassword(new_password, user.name);
      } catch (e) {
        if (e instanceof PalisadeError) throw new PalisadeError(e.code, e.message, { field: 'new_password' });
        throw e;
      }
      if (new_password === current_password)
        throw new PalisadeError('PAL_ERR_VALIDATION', 'the new password must differ from the current one', {
          field: 'new_password',
        });
      await setPassword(store, user.id, await hashPassword(new_password), now);
      await audit(store, actorOf(req), 'user.password_change', `user:${user.id}`, null, now);
      auth.clearLoginCookies(reply);
      return reply.status(204).send();
    },
  );

  app.get('/api/v1/auth/me', { onRequest: requireScope(), schema: doc('Who is calling') }, async (req) => {
    const p = req.principal!;
    const user = p.user_id !== undefined ? await getUserById(store, p.user_id) : undefined;
    const session = auth.loginOf(req).session;
    return {
      user: user ? toPublicUser(user) : null,
      principal: { kind: p.kind, name: p.name, role: p.role ?? null, scopes: p.scopes },
      ...(session ? { csrf_token: session.csrf } : {}),
    };
  });

  const admin = requireScope('admin');

  app.get('/api/v1/users', { onRequest: admin, schema: doc('Every user') }, async () => ({
    users: (await listUsers(store)).map(toPublicUser),
  }));

  app.patch(
    '/api/v1/users/:id',
    {
      onRequest: admin,
      schema: {
        ...doc("Change a user's role or disable it (ends its sessions and tokens)"),
        params: ID_PARAMS,
        body: {
          ...body({ role: { type: 'string', enum: ROLES }, disabled: { type: 'boolean' } }),
          minProperties: 1,
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const change = req.body as { role?: Role; disabled?: boolean };
      const now = clock();
      const r = await updateUser(store, id, change, now);
      if (!r) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no user ${id}`);
      const target = `user:${id}`;
      if (r.before.role !== r.after.role)
        await audit(
          store,
          actorOf(req),
          'user.role',
          target,
          { username: r.after.name, from: r.before.role, to: r.after.role },
          now,
        );
      if ((r.before.disabled_ms === null) !== (r.after.disabled_ms === null))
        await audit(
          store,
          actorOf(req),
          r.after.disabled_ms === null ? 'user.enable' : 'user.disable',
          target,
          {
            username: r.after.name,
          },
          now,
        );
      return { user: toPublicUser(r.after) };
    },
  );

  app.delete(
    '/api/v1/users/:id',
    { onRequest: admin, schema: { ...doc('Delete a user'), params: ID_PARAMS } },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      const user = await deleteUser(store, id);
      if (!user) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no user ${id}`);
      await audit(
        store,
        actorOf(req),
        'user.delete',
        `user:${id}`,
        { username: user.name, role: user.role },
        clock(),
      );
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/users/invitations',
    {
      onRequest: admin,
      schema: {
        ...doc('A single-use invitation for a role (7 days)'),
        body: body({ role: { type: 'string', enum: ROLES } }, ['role']),
      },
    },
    async (req, reply) => {
      const { role } = req.body as { role: Role };
      const now = clock();
      const inv = await createInvitation(store, role, actorOf(req), now);
      await audit(store, actorOf(req), 'invitation.create', null, { role, expires_ms: inv.expires_ms }, now);
      return reply.status(201).send(inv);
    },
  );

  app.get('/api/v1/apikeys', { onRequest: admin, schema: doc('Every API key (no secrets)') }, async () => ({
    keys: await listApiKeys(store),
  }));

  app.post(
    '/api/v1/apikeys',
    {
      onRequest: admin,
      schema: {
        ...doc('Create an API key; the secret is returned once'),
        body: body(
          {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            scopes: {
              type: 'array',
              minItems: 1,
              maxItems: API_KEY_SCOPES.length,
              items: { type: 'string', enum: API_KEY_SCOPES },
            },
          },
          ['name', 'scopes'],
        ),
      },
    },
    async (req, reply) => {
      const { name, scopes } = req.body as { name: string; scopes: string[] };
      const now = clock();
      const created = await createApiKey(store, name, scopes, now);
      await audit(
        store,
        actorOf(req),
        'apikey.create',
        String(created.key.id),
        {
          name: created.key.name,
          scopes: created.key.scopes,
        },
        now,
      );
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/api/v1/apikeys/:id',
    { onRequest: admin, schema: { ...doc('Revoke an API key'), params: ID_PARAMS } },
    async (req, reply) => {
      const { id } = req.params as { id: number };
      if (!(await revokeApiKey(store, id, clock())))
        throw new PalisadeError('PAL_ERR_NOT_FOUND', `no active API key ${id}`);
      await audit(store, actorOf(req), 'apikey.revoke', String(id), undefined, clock());
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/audit',
    {
      onRequest: admin,
      schema: {
        ...doc('The audit log, newest first'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            cursor: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { limit: number; cursor?: string };
      const rows = await listAudit(store, {
        limit: q.limit,
        ...(q.cursor !== undefined ? { beforeId: Number(q.cursor) } : {}),
      });
      return {
        entries: rows.map((r) => ({
          id: r.id,
          ts_ms: Date.parse(r.ts),
          actor: r.actor,
          action: r.action,
          target: r.target,
          details: r.details,
        })),
        next_cursor: rows.length === q.limit ? String(rows[rows.length - 1]!.id) : null,
      };
    },
  );

  app.get(
    '/api/v1/settings/registration',
    { onRequest: admin, schema: doc('Whether registration is open') },
    async () => ({
      open: await registrationOpen(store),
    }),
  );

  app.put(
    '/api/v1/settings/registration',
    {
      onRequest: admin,
      schema: { ...doc('Open or close registration'), body: body({ open: { type: 'boolean' } }, ['open']) },
    },
    async (req) => {
      const { open } = req.body as { open: boolean };
      const now = clock();
      await putSetting(store, REGISTRATION_SETTING, { open }, actorOf(req), { now_ms: now });
      await audit(store, actorOf(req), 'settings.registration', REGISTRATION_SETTING, { open }, now);
      return { open };
    },
  );
}
