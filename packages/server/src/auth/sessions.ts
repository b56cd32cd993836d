/**
 * Login state in the store: browser sessions and refresh tokens. A login opens one refresh-token
 * family (and, for browsers, one session bound to it). Refresh tokens rotate on every use; presenting
 * one that was already used means it was copied, so the whole family is revoked (and with it the
 * access tokens that carry the family id). Only SHA-256 hashes of the secrets are stored.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.js';
import { sha256Hex } from './users.js';

export const REFRESH_TTL_MS = 7 * 86_400_000;
/** last_seen_ms is written at most this often per session, so a request is not always a write. */
const TOUCH_RESOLUTION_MS = 60_000;
const USER_AGENT_MAX = 200;

function secret(): string {
  return randomBytes(32).toString('base64url');
}

/** A random id for a new login's refresh-token family. */
export function newFamily(): string {
  return randomBytes(16).toString('base64url');
}

export interface NewSession {
  userId: number;
  family: string;
  ip: string | null;
  userAgent: string | null;
  nowMs: number;
  maxMs: number;
}

/** Opens a session; returns the cookie value (the only copy) and the CSRF token. */
export async function createSession(store: Store, s: NewSession): Promise<{ id: string; csrf: string }> {
  const id = secret();
  const csrf = secret();
  await store.db
    .insertInto('sessions')
    .values({
      id_hash: sha256Hex(id),
      user_id: s.userId,
      csrf_token: csrf,
      family: s.family,
      created_ms: s.nowMs,
      expires_ms: s.nowMs + s.maxMs,
      last_seen_ms: s.nowMs,
      ip: s.ip?.slice(0, 64) ?? null,
      user_agent: s.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
    })
    .execute();
  return { id, csrf };
}

export interface LiveSession {
  user_id: number;
  csrf_token: string;
  family: string;
}

/** The live session of a cookie value (not past its absolute or idle end), or undefined. */
export async function findSession(
  store: Store,
  id: string,
  nowMs: number,
  idleMs: number,
): Promise<LiveSession | undefined> {
  if (id.length !== 43) return undefined;
  const idHash = sha256Hex(id);
  const row = await store.db
    .selectFrom('sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.expires_ms <= nowMs || row.last_seen_ms + idleMs <= nowMs) {
    await store.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return undefined;
  }
  if (nowMs - row.last_seen_ms >= TOUCH_RESOLUTION_MS)
    await store.db
      .updateTable('sessions')
      .set({ last_seen_ms: nowMs })
      .where('id_hash', '=', idHash)
      .execute();
  return { user_id: row.user_id, csrf_token: row.csrf_token, family: row.family };
}

/** Ends a session; returns its refresh-token family, if it existed. */
export async function deleteSession(store: Store, id: string): Promise<string | undefined> {
  const row = await store.db
    .deleteFrom('sessions')
    .where('id_hash', '=', sha256Hex(id))
    .returning('family')
    .executeTakeFirst();
  return row?.family;
}

/** Issues a refresh token in `family`; returns the token (the only copy). */
export async function issueRefreshToken(
  store: Store,
  userId: number,
  family: string,
  nowMs: number,
): Promise<string> {
  const token = `palr_${secret()}`;
  await store.db
    .insertInto('refresh_tokens')
    .values({
      token_hash: sha256Hex(token),
      family,
      user_id: userId,
      created_ms: nowMs,
      expires_ms: nowMs + REFRESH_TTL_MS,
    })
    .execute();
  return token;
}

export type RotateResult =
  | { ok: true; userId: number; family: string; token: string }
  | { ok: false; reuse?: { userId: number; family: string } };

/**
 * Spends a refresh token and issues its successor in the same family. A token already spent (or
 * spent concurrently) revokes the family and reports the reuse.
 */
export async function rotateRefreshToken(store: Store, token: string, nowMs: number): Promise<RotateResult> {
  const hash = sha256Hex(token);
  const row = await store.db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  if (!row || row.expires_ms <= nowMs) return { ok: false };
  if (row.revoked_ms !== null) return { ok: false };
  const spent = await store.db
    .updateTable('refresh_tokens')
    .set({ used_ms: nowMs })
    .where('id', '=', row.id)
    .where('used_ms', 'is', null)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) === 0) {
    await revokeFamily(store, row.family, nowMs);
    return { ok: false, reuse: { userId: row.user_id, family: row.family } };
  }
  const next = await issueRefreshToken(store, row.user_id, row.family, nowMs);
  return { ok: true, userId: row.user_id, family: row.family, token: next };
}

/** The family of a refresh token (used or not), to revoke it on logout. */
export async function familyOfRefreshToken(store: Store, token: string): Promise<string | undefined> {
  const row = await store.db
    .selectFrom('refresh_tokens')
    .select('family')
    .where('token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  return row?.family;
}

/** Revokes every token of a family and ends the session bound to it. */
export async function revokeFamily(store: Store, family: string, nowMs: number): Promise<void> {
  await store.db
    .updateTable('refresh_tokens')
    .set({ revoked_ms: nowMs })
    .where('family', '=', family)
    .where('revoked_ms', 'is', null)
    .execute();
  await store.db.deleteFrom('sessions').where('family', '=', family).execute();
}

/** Whether a family was revoked (logout, reuse, disable): its access tokens stop working at once. */
export async function isFamilyRevoked(store: Store, family: string): Promise<boolean> {
  const row = await store.db
    .selectFrom('refresh_tokens')
    .select('id')
    .where('family', '=', family)
    .where('revoked_ms', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes expired sessions, refresh tokens and invitations (run on login, so the tables stay small). */
export async function purgeExpiredLogins(store: Store, nowMs: number): Promise<void> {
  await store.db.deleteFrom('sessions').where('expires_ms', '<=', nowMs).execute();
  await store.db.deleteFrom('refresh_tokens').where('expires_ms', '<=', nowMs).execute();
  await store.db
    .deleteFrom('invitations')
    .where('expires_ms', '<=', nowMs)
    .where('used_ms', 'is', null)
    .execute();
}
