/**
 * Palisade's own access tokens: HS256 JWTs (issuer `palisade`, 15 minutes) with `sub` (user id),
 * `role`, `fam` (the refresh-token family, so logout and reuse detection revoke them at once),
 * `iat`, `exp` and `jti`. The signing key is derived with HKDF from the store's active encryption
 * key, so every `serve` instance sharing PALISADE_KEY (or keys.json) accepts the others' tokens and
 * no secret is hard-coded; rotating the key ends the outstanding access tokens (refresh still works).
 */
import { hkdfSync, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Keyring } from '../store/index.js';

export const ACCESS_ISSUER = 'palisade';
export const ACCESS_TTL_SECS = 15 * 60;
const AUDIENCE = 'palisade-api';

export interface AccessClaims {
  userId: number;
  role: string;
  family: string;
}

/** The HMAC key for access tokens: HKDF-SHA256 of the active store key, bound to this purpose. */
export function deriveSigningKey(keyring: Keyring): Uint8Array {
  const active = keyring.entries().find((e) => e.id === keyring.activeId)!;
  return new Uint8Array(hkdfSync('sha256', active.key, 'palisade-auth', 'access-token-hs256-v1', 32));
}

export async function signAccessToken(key: Uint8Array, c: AccessClaims, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ role: c.role, fam: c.family })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ACCESS_ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(String(c.userId))
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TTL_SECS)
    .setJti(randomUUID())
    .sign(key);
}

/** The claims of a valid access token, or undefined (bad signature, expired, other issuer). */
export async function verifyAccessToken(
  key: Uint8Array,
  token: string,
  nowMs: number,
): Promise<AccessClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ACCESS_ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(nowMs),
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    });
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || typeof payload.fam !== 'string' || typeof payload.role !== 'string')
      return undefined;
    return { userId, role: payload.role, family: payload.fam };
  } catch {
    return undefined;
  }
}
