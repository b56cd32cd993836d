/**
 * Daily partitions of the events table on PostgreSQL (migration 0001 with `partitionedEvents`).
 * A partition per UTC day of event time, `events_pYYYYMMDD` for [day, day + 1) in `ts_ms`, made by
 * the transaction that first writes an event of that day (under the event-write lock, so two
 * writers never race for it); retention drops a whole day at once instead of deleting its rows,
 * and queries over a time range read only the days in it (partition pruning).
 *
 * Partition bounds and names are computed here from integers; DDL cannot take bound parameters, so
 * the values are inlined as numeric literals and the names are built from digits only.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export const DAY_MS = 86_400_000;

/** The UTC day (its first millisecond) holding `tsMs`. */
export const dayOf = (tsMs: number): number => Math.floor(tsMs / DAY_MS) * DAY_MS;

/** `events_pYYYYMMDD` of the day starting at `dayMs`. */
export function partitionName(dayMs: number): string {
  const d = new Date(dayMs);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(dayMs) || y < 0 || y > 9999) throw new RangeError(`no partition for time ${dayMs}`);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `events_p${String(y).padStart(4, '0')}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}`;
}

const NAME = /^events_p(\d{4})(\d{2})(\d{2})$/;

/** The day a partition name stands for, or undefined for another table. */
export function partitionDay(name: string): number | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return partitionName(ms) === name ? ms : undefined;
}

/** Creates the partitions of the days of `tsMs` that do not exist yet (inside the write transaction). */
export async function ensureEventPartitions(
  trx: Transaction<Database>,
  tsMs: Iterable<number>,
): Promise<void> {
  const days = new Set<number>();
  for (const t of tsMs) days.add(dayOf(t));
  for (const day of days)
    await sql`CREATE TABLE IF NOT EXISTS ${sql.id(partitionName(day))} PARTITION OF events
      FOR VALUES FROM (${sql.lit(day)}) TO (${sql.lit(day + DAY_MS)})`.execute(trx);
}

/** The partitions of the events table, oldest first: name and day. */
export async function listEventPartitions(db: Kysely<Database>): Promise<{ name: string; day: number }[]> {
  const { rows } = await sql<{ name: string }>`SELECT c.relname AS name FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`.execute(db);
  const out: { name: string; day: number }[] = [];
  for (const r of rows) {
    const day = partitionDay(r.name);
    if (day !== undefined) out.push({ name: r.name, day });
  }
  return out.sort((a, b) => a.day - b.day);
}
