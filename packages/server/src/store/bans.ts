/**
 * Ban repository: an ip or CIDR banned for a reason until a time (or forever). Removing a ban keeps
 * the row (removed_ms, removed_by) so the history stays auditable; a ban is active while it is not
 * removed and its `until` is in the future.
 */
import { normalizeCidr } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import type { BanRow } from './schema.js';
import type { Store } from './store.js';

const TEXT_MAX = 512;

export interface Ban {
  id: number;
  /** Canonical ip or CIDR. */
  value: string;
  reason: string;
  source: string;
  created: string;
  created_ms: number;
  created_by: string;
  /** ISO time the ban ends, or null for a permanent ban. */
  until: string | null;
  until_ms: number | null;
  removed_ms: number | null;
  removed_by: string | null;
}

function toBan(r: BanRow): Ban {
  return {
    id: r.id,
    value: r.value,
    reason: r.reason,
    source: r.source,
    created: new Date(r.created_ms).toISOString(),
    created_ms: r.created_ms,
    created_by: r.created_by,
    until: r.until_ms === null ? null : new Date(r.until_ms).toISOString(),
    until_ms: r.until_ms,
    removed_ms: r.removed_ms,
    removed_by: r.removed_by,
  };
}

export interface NewBan {
  /** An ip or CIDR, IPv4 or IPv6; stored in canonical form. */
  value: string;
  reason: string;
  /** What created it, e.g. `correlate:brute_force`, `api`, `cli`. */
  source: string;
  created_by: string;
  /** End of the ban in epoch ms or ISO; omit or null for permanent. */
  until?: number | string | null;
  /** Creation time; default Date.now(). */
  now_ms?: number;
}

function checkText(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > TEXT_MAX)
    throw new PalisadeError('PAL_ERR_BAN_INVALID', `${name} must be 1..${TEXT_MAX} characters`);
  return v;
}

/** Adds a ban; throws PAL_ERR_BAN_INVALID for a value that is no ip/CIDR or a bad `until`. */
export async function addBan(store: Store, ban: NewBan): Promise<Ban> {
  const value = typeof ban.value === 'string' ? normalizeCidr(ban.value.trim()) : null;
  if (!value)
    throw new PalisadeError(
      'PAL_ERR_BAN_INVALID',
      `not an IPv4/IPv6 address or CIDR: ${String(ban.value).slice(0, 80)}`,
    );
  const now = ban.now_ms ?? Date.now();
  let until: number | null = null;
  if (ban.until !== undefined && ban.until !== null) {
    until = typeof ban.until === 'number' ? ban.until : Date.parse(ban.until);
    if (!Number.isFinite(until)) throw new PalisadeError('PAL_ERR_BAN_INVALID', 'until is not a valid time');
    if (until <= now) throw new PalisadeError('PAL_ERR_BAN_INVALID', 'until is in the past');
  }
  const row = await store.db
    .insertInto('bans')
    .values({
      value,
      reason: checkText(ban.reason, 'reason'),
      source: checkText(ban.source, 'source'),
      created_by: checkText(ban.created_by, 'created_by'),
      created_ms: now,
      until_ms: until,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toBan(row);
}

/** Ends a ban now; false when no active ban has this id. */
export async function removeBan(
  store: Store,
  id: number,
  removedBy: string,
  nowMs = Date.now(),
): Promise<boolean> {
  const res = await store.db
    .updateTable('bans')
    .set({ removed_ms: nowMs, removed_by: checkText(removedBy, 'removed_by') })
    .where('id', '=', id)
    .where('removed_ms', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export interface ListBansOptions {
  /** Include removed and expired bans (history); default false. */
  all?: boolean;
  now_ms?: number;
  limit?: number;
}

/** Bans newest first: active ones, or every one with `all`. */
export async function listBans(store: Store, opts: ListBansOptions = {}): Promise<Ban[]> {
  const limit = Math.min(Math.max(1, opts.limit ?? 1000), 10_000);
  if (!opts.all) return (await activeBans(store, opts.now_ms ?? Date.now())).slice(0, limit);
  const rows = await store.db.selectFrom('bans').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toBan);
}

/** Whether a ban placed by `source` is in force on exactly `value` at `nowMs`. */
export async function hasActiveBan(
  store: Store,
  value: string,
  source: string,
  nowMs: number,
): Promise<boolean> {
  const v = normalizeCidr(value);
  if (!v) return false;
  const row = await store.db
    .selectFrom('bans')
    .select('id')
    .where('value', '=', v)
    .where('source', '=', source)
    .where('removed_ms', 'is', null)
    .where((eb) => eb.or([eb('until_ms', 'is', null), eb('until_ms', '>', nowMs)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every ban in force at `nowMs`. */
export async function activeBans(store: Store, nowMs: number): Promise<Ban[]> {
  const rows = await store.db
    .selectFrom('bans')
    .selectAll()
    .where('removed_ms', 'is', null)
    .where((eb) => eb.or([eb('until_ms', 'is', null), eb('until_ms', '>', nowMs)]))
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toBan);
}
