/**
 * The API's one authenticator. `requireScope(...scopes)` is the `onRequest` hook every route uses
 * (it runs before the body is read or validated: an unauthenticated caller gets 401, never a
 * validation answer, and its body is not parsed). It finds who is calling — in this order an API key (`Bearer pal_…` or `X-Api-Key`), a Palisade access
 * token, an OIDC provider's token, the `pal_session` cookie (with `X-CSRF-Token` on unsafe methods)
 * — sets `req.principal` and checks that it holds one of the scopes (none given: any caller).
 * Users are read from the store on every request, so a disabled, deleted or demoted user loses
 * access at once; access tokens of a revoked refresh family (logout, reuse) stop working at once.
 */
import { timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import { decodeJwt } from 'jose';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/config.js';
import { PalisadeError } from '../errors.js';
import { verifyApiKey, type ApiKeyScope, type Store } from '../store/index.js';
import type { UserRow } from '../store/schema.js';
import { hasScope, ROLE_SCOPES, type Principal, type Role } from '../serve/principal.js';
import { ACCESS_ISSUER, deriveSigningKey, verifyAccessToken } from './access-tokens.js';
import { createOidcVerifier, type OidcVerifier } from './oidc.js';
import { findSession, isFamilyRevoked } from './sessions.js';
import { getUserById, isRole } from './users.js';
import { FailureWindow } from './failure-window.js';

export const SESSION_COOKIE = 'pal_session';
export const CSRF_COOKIE = 'pal_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const BEARER_MAX = 8192;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Login limits: failures per client address, consecutive failures per user, both over 15 minutes. */
export const LOGIN_LIMITS = { perIp: 10, perUser: 5, windowMs: 15 * 60_000 } as const;

export type Clock = () => number;

/** What the authenticator knows of a request's login beyond the principal. */
export interface LoginContext {
  /** Refresh-token family of a session or access token. */
  family?: string;
  /** The session cookie value and its CSRF token. */
  session?: { id: string; csrf: string };
}

export interface Auth {
  requireScope(...scopes: ApiKeyScope[]): (req: FastifyRequest) => Promise<void>;
  /** Adds cookie parsing to the app (call before routes). */
  register(app: FastifyInstance): void;
  /** The login behind an authenticated request (after requireScope). */
  loginOf(req: FastifyRequest): LoginContext;
  store: Store;
  clock: Clock;
  signingKey: Uint8Array;
  oidc: boolean;
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** Failed logins per client address (429 when over). */
  ipFailures: FailureWindow;
  /** Failed logins per unknown user name, so unknown names lock like real ones. */
  unknownUserFailures: FailureWindow;
  /** Sets the session and CSRF cookies (Secure when the request came over HTTPS). */
  setLoginCookies(req: FastifyRequest, reply: FastifyReply, session: { id: string; csrf: string }): void;
  clearLoginCookies(reply: FastifyReply): void;
}

export interface AuthOptions {
  store: Store;
  config: ServerConfig['auth'];
  /** Epoch ms; tests inject a fake. */
  clock?: Clock;
}

function unauthorized(message: string): PalisadeError {
  return new PalisadeError('PAL_ERR_AUTH_REQUIRED', message);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createAuth(opts: AuthOptions): Auth {
  const { store, config } = opts;
  const clock = opts.clock ?? Date.now;
  const signingKey = deriveSigningKey(store.keyring);
  const oidc: OidcVerifier | undefined = config.oidc ? createOidcVerifier(config.oidc) : undefined;
  const logins = new WeakMap<FastifyRequest, LoginContext>();

  function userPrincipal(kind: 'session' | 'bearer', user: UserRow | undefined): Principal {
    if (!user || user.disabled_ms !== null || !isRole(user.role))
      throw unauthorized('the user is disabled or no longer exists');
    const role: Role = user.role;
    return {
      kind,
      actor: `user:${user.name}`,
      name: user.name,
      user_id: user.id,
      role,
      scopes: ROLE_SCOPES[role],
    };
  }

  async function fromBearer(req: FastifyRequest, token: string): Promise<Principal> {
    if (token.length > BEARER_MAX) throw unauthorized('bearer token too long');
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthorized('unknown or revoked API key or token');
    }
    const now = clock();
    if (issuer === ACCESS_ISSUER) {
      const claims = await verifyAccessToken(signingKey, token, now);
      if (!claims) throw unauthorized('invalid or expired access token');
      if (await isFamilyRevoked(store, claims.family)) throw unauthorized('this login was ended');
      logins.set(req, { family: claims.family });
      return userPrincipal('bearer', await getUserById(store, claims.userId));
    }
    if (!oidc) throw unauthorized('invalid token');
    const id = await oidc(token, now);
    if (!id) throw unauthorized('invalid or expired identity-provider token');
    if (!id.role) throw new PalisadeError('PAL_ERR_FORBIDDEN', 'the token maps to no Palisade role');
    return {
      kind: 'oidc',
      actor: `oidc:${id.subject}`,
      name: id.name,
      role: id.role,
      scopes: ROLE_SCOPES[id.role],
    };
  }

  async function fromSession(req: FastifyRequest, id: string): Promise<Principal> {
    const session = await findSession(store, id, clock(), config.session_idle_secs * 1000);
    if (!session) throw unauthorized('the session ended; log in again');
    const principal = userPrincipal('session', await getUserById(store, session.user_id));
    if (UNSAFE.has(req.method)) {
      const header = req.headers[CSRF_HEADER];
      if (typeof header !== 'string' || !sameSecret(header, session.csrf_token))
        throw new PalisadeError('PAL_ERR_CSRF');
    }
    logins.set(req, { family: session.family, session: { id, csrf: session.csrf_token } });
    return principal;
  }

  async function authenticate(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    const bearer = header && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
    const apiKey = bearer?.startsWith('pal_') ? bearer : req.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey) {
      const key = await verifyApiKey(store, apiKey, clock());
      if (!key) throw unauthorized('unknown or revoked API key');
      return { kind: 'apikey', actor: `apikey:${key.name}`, name: key.name, scopes: key.scopes };
    }
    if (bearer) return fromBearer(req, bearer);
    const sessionId = req.cookies?.[SESSION_COOKIE];
    if (sessionId) return fromSession(req, sessionId);
    throw new PalisadeError('PAL_ERR_AUTH_REQUIRED');
  }

  function cookieOptions(req: FastifyRequest | undefined) {
    return {
      path: '/',
      sameSite: 'strict' as const,
      secure: req?.protocol === 'https',
      maxAge: config.session_max_secs,
    };
  }

  return {
    requireScope:
      (...scopes) =>
      async (req) => {
        req.principal ??= await authenticate(req);
        if (scopes.length > 0 && !scopes.some((s) => hasScope(req.principal, s)))
          throw new PalisadeError(
            'PAL_ERR_FORBIDDEN',
            `this ${req.principal.kind === 'apikey' ? 'key' : 'role'} lacks the "${scopes.join('" or "')}" scope`,
          );
      },
    register(app) {
      void app.register(cookie);
    },
    loginOf: (req) => logins.get(req) ?? {},
    store,
    clock,
    signingKey,
    oidc: oidc !== undefined,
    sessionIdleMs: config.session_idle_secs * 1000,
    sessionMaxMs: config.session_max_secs * 1000,
    ipFailures: new FailureWindow(LOGIN_LIMITS.perIp, LOGIN_LIMITS.windowMs),
    unknownUserFailures: new FailureWindow(LOGIN_LIMITS.perUser, LOGIN_LIMITS.windowMs),
    setLoginCookies(req, reply, session) {
      reply.setCookie(SESSION_COOKIE, session.id, { ...cookieOptions(req), httpOnly: true });
      reply.setCookie(CSRF_COOKIE, session.csrf, { ...cookieOptions(req), httpOnly: false });
    },
    clearLoginCookies(reply) {
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.clearCookie(CSRF_COOKIE, { path: '/' });
    },
  };
}
