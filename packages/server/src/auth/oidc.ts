/**
 * Bearer tokens from an external OpenID Connect provider (Keycloak, Entra ID, Auth0, ...): verified
 * with jose against the provider's JWKS (fetched and cached by kid), the configured issuer and
 * audience, and an allow-list of asymmetric algorithms — `none` and HS* never pass, so a token cannot
 * be signed with the public key as an HMAC secret. The role comes from a claim through the role map.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { OidcConfig } from '../config/config.js';
import { ROLES, type Role } from '../serve/principal.js';

const ALGORITHMS = ['RS256', 'ES256', 'PS256'];
const ROLE_VALUES_MAX = 100;

export interface OidcIdentity {
  subject: string;
  name: string;
  role: Role | undefined;
}

export type OidcVerifier = (token: string, nowMs: number) => Promise<OidcIdentity | undefined>;

export function createOidcVerifier(config: OidcConfig): OidcVerifier {
  const jwks = createRemoteJWKSet(new URL(config.jwks_url), {
    timeoutDuration: 5000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });
  return async (token, nowMs) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: ALGORITHMS,
        issuer: config.issuer,
        audience: config.audience,
        currentDate: new Date(nowMs),
        clockTolerance: 30,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch {
      return undefined;
    }
    const subject = String(payload.sub).slice(0, 200);
    const preferred = payload.preferred_username;
    return {
      subject,
      name: typeof preferred === 'string' ? preferred.slice(0, 200) : subject,
      role: mapRole(payload, config),
    };
  };
}

/** The highest Palisade role the token's role claim maps to, else the default role. */
export function mapRole(payload: JWTPayload, config: OidcConfig): Role | undefined {
  const paths = config.role_claim ? [config.role_claim] : ['roles', 'realm_access.roles'];
  let best = -1;
  for (const path of paths) {
    let v: unknown = payload;
    for (const k of path.split('.'))
      v =
        v !== null && typeof v === 'object' && Object.hasOwn(v, k)
          ? (v as Record<string, unknown>)[k]
          : undefined;
    const values = typeof v === 'string' ? [v] : Array.isArray(v) ? v.slice(0, ROLE_VALUES_MAX) : [];
    for (const name of values) {
      if (typeof name !== 'string') continue;
      const role: unknown = Object.hasOwn(config.role_map, name) ? config.role_map[name] : name;
      best = Math.max(best, ROLES.indexOf(role as Role));
    }
  }
  if (best >= 0) return ROLES[best];
  return config.default_role === 'none' ? undefined : config.default_role;
}
