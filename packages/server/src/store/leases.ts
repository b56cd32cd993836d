/**
 * Leases: a named role (the correlation leader among `palisade worker` processes) held by one
 * process at a time until it expires, renewed while the holder works, taken over by another once
 * it lapses. The holder's progress (`checkpoint`) lives on the same row, and every write of it is
 * fenced by the holder: a process that lost the lease cannot move it. One statement each, the same
 * on SQLite and PostgreSQL (an upsert whose update applies only to an expired or own lease).
 */
import type { Store } from './store.js';

const LEASE_COLUMNS = ['name', 'holder', 'expires_ms', 'acquired_ms', 'checkpoint'] as const;

export interface Lease {
  name: string;
  holder: string;
  expires_ms: number;
  acquired_ms: number;
  checkpoint: number;
}

/**
 * Takes the lease `name` for `holder` until `nowMs + ttlMs` when it is free, expired or already
 * ours; returns it (with the checkpoint its last holder left), or undefined while another holds it.
 */
export async function acquireLease(
  store: Store,
  name: string,
  holder: string,
  ttlMs: number,
  nowMs: number,
): Promise<Lease | undefined> {
  const row = await store.db
    .insertInto('leases')
    .values({ name, holder, expires_ms: nowMs + ttlMs, acquired_ms: nowMs, checkpoint: 0, updated_ms: nowMs })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet((eb) => ({
          holder: eb.ref('excluded.holder'),
          expires_ms: eb.ref('excluded.expires_ms'),
          acquired_ms: eb
            .case()
            .when('leases.holder', '=', eb.ref('excluded.holder'))
            .then(eb.ref('leases.acquired_ms'))
            .else(eb.ref('excluded.acquired_ms'))
            .end(),
          updated_ms: eb.ref('excluded.updated_ms'),
        }))
        .where((eb) => eb.or([eb('leases.expires_ms', '<', nowMs), eb('leases.holder', '=', holder)])),
    )
    .returning(LEASE_COLUMNS)
    .executeTakeFirst();
  return row === undefined || row.holder !== holder ? undefined : toLease(row);
}

/**
 * Extends our lease to `nowMs + ttlMs` and, with `checkpoint`, records our progress; false when the
 * lease is no longer ours (taken over: nothing is written).
 */
export async function renewLease(
  store: Store,
  name: string,
  holder: string,
  ttlMs: number,
  nowMs: number,
  checkpoint?: number,
): Promise<boolean> {
  const res = await store.db
    .updateTable('leases')
    .set({
      expires_ms: nowMs + ttlMs,
      updated_ms: nowMs,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Gives the lease up at once (a clean shutdown), keeping the checkpoint for the next holder. */
export async function releaseLease(store: Store, name: string, holder: string, nowMs: number): Promise<void> {
  await store.db
    .updateTable('leases')
    .set({ expires_ms: nowMs - 1, updated_ms: nowMs })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .execute();
}

/** The lease row, whoever holds it. */
export async function getLease(store: Store, name: string): Promise<Lease | undefined> {
  const row = await store.db
    .selectFrom('leases')
    .select(LEASE_COLUMNS)
    .where('name', '=', name)
    .executeTakeFirst();
  return row === undefined ? undefined : toLease(row);
}

function toLease(row: Record<keyof Lease, unknown>): Lease {
  return {
    name: String(row.name),
    holder: String(row.holder),
    expires_ms: Number(row.expires_ms),
    acquired_ms: Number(row.acquired_ms),
    checkpoint: Number(row.checkpoint),
  };
}
