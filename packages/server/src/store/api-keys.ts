/**
 * API keys: `pal_` + 32 random bytes (base64url). Only the SHA-256 of the secret is stored, with
 * the first characters as a display prefix; the secret is shown once, at creation. Verification
 * finds candidates by prefix and compares hashes in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PalisadeError } from '../errors.js';
import type { ApiKeyRow } from './schema.js';
import type { Store } from './store.js';

/** What a key (or a user's role) may do. `admin` implies every other scope; `upload` is log uploads. */
export const API_KEY_SCOPES = ['admin', 'ingest', 'read', 'raw', 'label', 'ban', 'upload'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const SECRET = /^pal_[A-Za-z0-9_-]{43}$/;
const PREFIX_CHARS = 12; // `pal_` + 8 characters (48 of the 256 random bits)
const NAME_MAX = 200;
/** last_used_ms is written at most this often per key, so verification is not a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  created_ms: number;
  revoked_ms: number | null;
  last_used_ms: number | null;
}

function toKey(r: ApiKeyRow): ApiKey {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes.split(' ').filter(Boolean) as ApiKeyScope[],
    created_ms: r.created_ms,
    revoked_ms: r.revoked_ms,
    last_used_ms: r.last_used_ms,
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Creates a key; the returned `secret` is the only copy. */
export async function createApiKey(
  store: Store,
  name: string,
  scopes: readonly string[],
  nowMs = Date.now(),
): Promise<{ secret: string; key: ApiKey }> {
  if (typeof name !== 'string' || name.trim() === '' || name.length > NAME_MAX)
    throw new PalisadeError('PAL_ERR_APIKEY_INVALID', `name must be 1..${NAME_MAX} characters`);
  if (!Array.isArray(scopes) || scopes.length === 0)
    throw new PalisadeError(
      'PAL_ERR_APIKEY_INVALID',
      `scopes must name at least one of ${API_KEY_SCOPES.join(', ')}`,
    );
  for (const s of scopes)
    if (!(API_KEY_SCOPES as readonly string[]).includes(s))
      throw new PalisadeError(
        'PAL_ERR_APIKEY_INVALID',
        `unknown scope "${String(s).slice(0, 40)}" (known: ${API_KEY_SCOPES.join(', ')})`,
      );
  const secret = `pal_${randomBytes(32).toString('base64url')}`;
  const row = await store.db
    .insertInto('api_keys')
    .values({
      name: name.trim(),
      key_hash: sha256(secret).toString('hex'),
      prefix: secret.slice(0, PREFIX_CHARS),
      scopes: [...new Set(scopes)].join(' '),
      created_ms: nowMs,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { secret, key: toKey(row) };
}

/** The key a secret belongs to, or undefined when unknown, malformed or revoked. */
export async function verifyApiKey(
  store: Store,
  secret: string,
  nowMs = Date.now(),
): Promise<ApiKey | undefined> {
  if (typeof secret !== 'string' || !SECRET.test(secret)) return undefined;
  const hash = sha256(secret);
  const candidates = await store.db
    .selectFrom('api_keys')
    .selectAll()
    .where('prefix', '=', secret.slice(0, PREFIX_CHARS))
    .where('revoked_ms', 'is', null)
    .execute();
  let match: ApiKeyRow | undefined;
  for (const c of candidates) {
    const stored = Buffer.from(c.key_hash, 'hex');
    if (stored.length === hash.length && timingSafeEqual(stored, hash)) match = c;
  }
  if (!match) return undefined;
  if (match.last_used_ms === null || nowMs - match.last_used_ms >= LAST_USED_RESOLUTION_MS) {
    await store.db.updateTable('api_keys').set({ last_used_ms: nowMs }).where('id', '=', match.id).execute();
    match.last_used_ms = nowMs;
  }
  return toKey(match);
}

/** Revokes a key; false when there is no unrevoked key with this id. */
export async function revokeApiKey(store: Store, id: number, nowMs = Date.now()): Promise<boolean> {
  const res = await store.db
    .updateTable('api_keys')
    .set({ revoked_ms: nowMs })
    .where('id', '=', id)
    .where('revoked_ms', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Every key (without secrets or hashes), newest first. */
export async function listApiKeys(store: Store): Promise<ApiKey[]> {
  const rows = await store.db.selectFrom('api_keys').selectAll().orderBy('id', 'desc').execute();
  return rows.map(toKey);
}

/** How many keys are not revoked. */
export async function countApiKeys(store: Store): Promise<number> {
  const r = await store.db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('revoked_ms', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
