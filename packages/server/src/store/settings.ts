/**
 * Versioned settings: every change is a new row (key, version + 1, JSON value, who, when), so the
 * history is the audit trail and an old value can be restored. A writer may pass the version it
 * read; if someone saved in between, the write is refused with PAL_ERR_SETTINGS_CONFLICT.
 */
import type { Kysely } from 'kysely';
import { PalisadeError } from '../errors.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

const KEY = /^[a-z][a-z0-9_.-]{0,127}$/;
export const SETTING_VALUE_MAX = 64 * 1024;

export interface Setting<T = unknown> {
  key: string;
  version: number;
  value: T;
  created_ms: number;
  created_by: string;
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key))
    throw new PalisadeError(
      'PAL_ERR_SETTINGS_INVALID',
      'setting key must be lower-case letters, digits, _ . - (≤128)',
    );
}

/** The newest version of a setting, or undefined. */
export async function getSetting<T = unknown>(store: Store, key: string): Promise<Setting<T> | undefined> {
  checkKey(key);
  const r = await store.db
    .selectFrom('settings')
    .selectAll()
    .where('key', '=', key)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return (
    r && {
      key: r.key,
      version: r.version,
      value: JSON.parse(r.value) as T,
      created_ms: r.created_ms,
      created_by: r.created_by,
    }
  );
}

/** Every version of a setting, newest first. */
export async function settingHistory(store: Store, key: string, limit = 100): Promise<Setting[]> {
  checkKey(key);
  const rows = await store.db
    .selectFrom('settings')
    .selectAll()
    .where('key', '=', key)
    .orderBy('version', 'desc')
    .limit(Math.min(Math.max(1, limit), 1000))
    .execute();
  return rows.map((r) => ({ ...r, value: JSON.parse(r.value) as unknown }));
}

/** The newest version number of a setting, 0 when it has none (inside a writer's transaction). */
export async function settingVersion(db: Kysely<Database>, key: string): Promise<number> {
  const cur = await db
    .selectFrom('settings')
    .select('version')
    .where('key', '=', key)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return cur?.version ?? 0;
}

export interface PutSettingOptions {
  /** The version the caller read (0 when it saw none); a different current version is a conflict. */
  expectedVersion?: number;
  now_ms?: number;
}

/** Saves a new version; returns it. */
export async function putSetting(
  store: Store,
  key: string,
  value: unknown,
  actor: string,
  opts: PutSettingOptions = {},
): Promise<Setting> {
  checkKey(key);
  const json = JSON.stringify(value);
  if (json === undefined) throw new PalisadeError('PAL_ERR_SETTINGS_INVALID', 'value must be JSON');
  if (json.length > SETTING_VALUE_MAX)
    throw new PalisadeError(
      'PAL_ERR_SETTINGS_INVALID',
      `value is larger than ${SETTING_VALUE_MAX} characters as JSON`,
    );
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > 200)
    throw new PalisadeError('PAL_ERR_SETTINGS_INVALID', 'actor must be 1..200 characters');
  const now = opts.now_ms ?? Date.now();
  const conflict = (current: number) =>
    new PalisadeError('PAL_ERR_SETTINGS_CONFLICT', `setting ${key} is at version ${current}`, { current });
  return store.db.transaction().execute(async (trx) => {
    const current = await settingVersion(trx, key);
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== current) throw conflict(current);
    const row = { key, version: current + 1, value: json, created_ms: now, created_by: actor };
    try {
      await trx.insertInto('settings').values(row).execute();
    } catch (err) {
      // Another connection saved the same version first (unique key, version).
      if (/unique/i.test((err as Error).message)) throw conflict(current + 1);
      throw err;
    }
    return { ...row, value };
  });
}
