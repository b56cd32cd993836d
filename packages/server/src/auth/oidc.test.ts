/**
 * OIDC bearer tokens against a local JWKS server (real HTTP on 127.0.0.1): a valid token maps its
 * roles and acts as `oidc:<sub>`; wrong issuer, wrong audience, expired, unknown kid, tampered
 * signature, `alg: none` and HS256 tokens are refused; the role claim and map are applied.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { testConfig } from '../config/test-config.js';
import { loadConfig, type OidcConfig } from '../config/config.js';
import { buildApp } from '../serve/app.js';
import { openPipeline, type Pipeline } from '../serve/pipeline.js';
import { mapRole } from './oidc.js';

const ISSUER = 'https://idp.example.test/realms/soc';
const AUDIENCE = 'palisade';

let dir: string;
let pipeline: Pipeline;
let app: ReturnType<typeof buildApp>;
let jwksServer: Server;
let rsa: CryptoKey;
let ec: CryptoKey;
let stranger: CryptoKey;
let jwksRequests = 0;

async function token(
  claims: JWTPayload,
  opts: { key?: CryptoKey; alg?: string; kid?: string; iss?: string; aud?: string; expSecs?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'u-123', preferred_username: 'carol', ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'rsa1' })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt(now - 10)
    .setExpirationTime(now + (opts.expSecs ?? 300))
    .sign(opts.key ?? rsa);
}

async function me(tok: string) {
  const res = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/me',
    headers: { authorization: `Bearer ${tok}` },
  });
  return { status: res.statusCode, json: JSON.parse(res.body) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  const rsaPair = await generateKeyPair('RS256');
  const ecPair = await generateKeyPair('ES256');
  stranger = (await generateKeyPair('RS256')).privateKey;
  rsa = rsaPair.privateKey;
  ec = ecPair.privateKey;
  const keys = [
    { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ecPair.publicKey)), kid: 'ec1', alg: 'ES256', use: 'sig' },
  ];
  jwksServer = createServer((_req, res) => {
    jwksRequests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  const port = (jwksServer.address() as AddressInfo).port;

  dir = mkdtempSync(join(tmpdir(), 'palisade-oidc-'));
  const config = testConfig(dir);
  pipeline = await openPipeline(config, { retention: false });
  app = buildApp({
    pipeline,
    maxEventsPerRequest: 5,
    maxBodyBytes: 64 * 1024,
    version: 'test',
    auth: {
      ...config.auth,
      oidc: {
        issuer: ISSUER,
        jwks_url: `http://127.0.0.1:${port}/certs`,
        audience: AUDIENCE,
        role_claim: '',
        role_map: { 'soc-analyst': 'analyst', 'soc-lead': 'admin' },
        default_role: 'none',
      },
    },
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await pipeline?.close();
  await new Promise((r) => jwksServer?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('OIDC bearer tokens', () => {
  it('accepts a valid token, maps Keycloak realm roles and audits as oidc:<sub>', async () => {
    const tok = await token({ realm_access: { roles: ['offline_access', 'soc-analyst'] } });
    const r = await me(tok);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      user: null,
      principal: {
        kind: 'oidc',
        name: 'carol',
        role: 'analyst',
        scopes: ['read', 'raw', 'label', 'ban', 'upload'],
      },
    });
    const ban = await app.inject({
      method: 'POST',
      url: '/api/v1/bans',
      headers: { authorization: `Bearer ${tok}` },
      payload: { value: '198.51.100.4', reason: 'oidc test' },
    });
    expect(ban.statusCode).toBe(201);
    const entry = await pipeline.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'ban.add')
      .executeTakeFirstOrThrow();
    expect(entry.actor).toBe('oidc:u-123');
    const status = await app.inject({ method: 'GET', url: '/api/v1/auth/status' });
    expect(JSON.parse(status.body).oidc).toBe(true);
  });

  it('accepts ES256 and a flat roles claim; refuses a token that maps to no role', async () => {
    expect(
      (await me(await token({ roles: ['soc-lead'] }, { key: ec, alg: 'ES256', kid: 'ec1' }))).json.principal
        .role,
    ).toBe('admin');
    const none = await me(await token({ roles: ['marketing'] }));
    expect(none.status).toBe(403);
    expect(none.json.error.code).toBe('PAL_ERR_FORBIDDEN');
  });

  it('refuses wrong issuer, wrong audience, expired, unknown kid and tampered tokens', async () => {
    const roles = { roles: ['soc-analyst'] };
    const valid = await token(roles);
    const [h, p, s] = valid.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as JWTPayload;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, roles: ['soc-lead'] })).toString('base64url')}.${s}`;
    const flipped = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const hmac = await new SignJWT({ ...roles, sub: 'u-1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    const cases: Record<string, string> = {
      'wrong issuer': await token(roles, { iss: 'https://evil.example.test/' }),
      'wrong audience': await token(roles, { aud: 'other-app' }),
      expired: await token(roles, { expSecs: -120 }),
      'unknown kid': await token(roles, { key: stranger, kid: 'rsa9' }),
      'known kid, other key': await token(roles, { key: stranger }),
      tampered,
      flipped,
      'alg none': unsigned,
      'HS256 with the issuer': hmac,
      'not a JWT': 'abc.def',
    };
    const before = jwksRequests;
    for (const [name, tok] of Object.entries(cases)) {
      const r = await me(tok);
      expect(r.status, name).toBe(401);
      expect(r.json.error.code, name).toBe('PAL_ERR_AUTH_REQUIRED');
    }
    expect(jwksRequests - before).toBeLessThanOrEqual(2);
    expect((await me(valid)).status).toBe(200);
  });
});

describe('mapRole', () => {
  const base: OidcConfig = {
    issuer: ISSUER,
    jwks_url: 'http://127.0.0.1/',
    audience: AUDIENCE,
    role_claim: 'groups',
    role_map: { wafadmins: 'admin' },
    default_role: 'viewer',
  };
  it('reads the configured claim, takes the highest role, falls back to the default role', () => {
    expect(mapRole({ groups: ['analyst', 'wafadmins'] }, base)).toBe('admin');
    expect(mapRole({ groups: 'analyst' }, base)).toBe('analyst');
    expect(mapRole({ roles: ['admin'] }, base)).toBe('viewer');
    expect(
      mapRole({ groups: ['__proto__', 'constructor'] }, { ...base, default_role: 'none' }),
    ).toBeUndefined();
  });
});

describe('auth config', () => {
  it('defaults to no provider; takes PALISADE_OIDC_* and fills the optional keys', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'palisade-oidc-cfg-'));
    try {
      expect(loadConfig({ cwd, env: {} }).auth).toEqual({
        session_idle_secs: 3600,
        session_max_secs: 43_200,
        oidc: null,
      });
      const env = {
        PALISADE_OIDC_ISSUER: ISSUER,
        PALISADE_OIDC_JWKS_URL: 'https://idp.example.test/certs',
        PALISADE_OIDC_AUDIENCE: AUDIENCE,
      };
      expect(loadConfig({ cwd, env }).auth.oidc).toEqual({
        issuer: ISSUER,
        jwks_url: 'https://idp.example.test/certs',
        audience: AUDIENCE,
        role_claim: '',
        role_map: {},
        default_role: 'none',
      });
      expect(() => loadConfig({ cwd, env: { PALISADE_OIDC_ISSUER: ISSUER } })).toThrow(
        /auth\.oidc\.jwks_url/,
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
