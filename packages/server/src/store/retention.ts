/**
 * Retention: deletes events older than N days (by event time) with everything that hangs off them
 * (findings, honeypot hits, incident links), in batches so the writer is never blocked for long.
 * On PostgreSQL the events table is partitioned by day (store/partitions.ts): every day wholly
 * before the cutoff goes at once — its rows' children deleted, the partition dropped, the rollup
 * rows of its buckets dropped — and only the day holding the cutoff is deleted row by row.
 * `startRetention` runs it on a timer that does not keep the process alive.
 *
 * The statistics rollup stays exact: each batch takes its events out of the rollup in the
 * transaction that deletes them, and the last one drops the rollup rows of buckets ending at or
 * before the cutoff. The bucket holding the cutoff keeps rows counting exactly its remaining events.
 */
import { sql, type RawBuilder, type Transaction } from 'kysely';
import { PalisadeError } from '../errors.js';
import { DAY_MS, listEventPartitions } from './partitions.js';
import type { Database } from './schema.js';
import { dropStatsBefore, removeEventsFromStats } from './stats-rollup.js';
import type { Store } from './store.js';

export const DEFAULT_RETENTION_DAYS = 30;
const BATCH = 2000;

export interface PurgeResult {
  cutoff: string;
  events: number;
  findings: number;
  honeypot_hits: number;
  incident_links: number;
  /** Statistics rollup rows dropped. */
  stats_rows: number;
}

const CHILDREN = ['findings', 'honeypot_hits', 'incident_events'] as const;
const RESULT_KEY = {
  findings: 'findings',
  honeypot_hits: 'honeypot_hits',
  incident_events: 'incident_links',
} as const;

/**
 * Deletes the rows pointing at the events `ids` selects (a list, or a subquery of a partition) and
 * adds their counts to `out`.
 */
async function deleteChildren(
  trx: Transaction<Database>,
  ids: readonly string[] | RawBuilder<string>,
  out: PurgeResult,
): Promise<void> {
  for (const table of CHILDREN) {
    const res = await trx.deleteFrom(table).where('event_id', 'in', ids).executeTakeFirst();
    out[RESULT_KEY[table]] += Number(res.numDeletedRows);
  }
}

/** PostgreSQL: drops every day partition that ends at or before `cutoff`, one transaction each. */
async function dropWholeDays(store: Store, cutoff: number, out: PurgeResult): Promise<void> {
  for (const p of await listEventPartitions(store.db)) {
    if (p.day + DAY_MS > cutoff) break;
    await store.db.transaction().execute(async (trx) => {
      const part = sql.table(p.name);
      await deleteChildren(trx, sql<string>`(SELECT id FROM ${part})`, out);
      const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM ${part}`.execute(trx);
      out.events += Number(rows[0]!.n);
      await sql`DROP TABLE ${part}`.execute(trx);
      out.stats_rows += await dropStatsBefore(trx, p.day + DAY_MS);
    });
  }
}

/** Deletes events with ts older than `days` before `nowMs`. */
export async function purgeOlderThan(
  store: Store,
  days = DEFAULT_RETENTION_DAYS,
  nowMs = Date.now(),
): Promise<PurgeResult> {
  if (!Number.isFinite(days) || days <= 0)
    throw new PalisadeError('PAL_ERR_CONFIG', 'retention days must be a positive number');
  const cutoff = nowMs - days * DAY_MS;
  const out: PurgeResult = {
    cutoff: new Date(cutoff).toISOString(),
    events: 0,
    findings: 0,
    honeypot_hits: 0,
    incident_links: 0,
    stats_rows: 0,
  };
  if (store.dialect.hooks.partitionedEvents) await dropWholeDays(store, cutoff, out);
  for (;;) {
    const done = await store.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('events')
        .select(['id', 'ts_ms'])
        .where('ts_ms', '<', cutoff)
        .orderBy('ts_ms')
        .limit(BATCH)
        .execute();
      const ids = rows.map((r) => r.id);
      if (ids.length > 0) {
        // The rollup reads the events' findings: first. Then the children explicitly, not by
        // cascade: a partitioned events table has no foreign keys to it.
        await removeEventsFromStats(trx, ids, [Number(rows[0]!.ts_ms), Number(rows.at(-1)!.ts_ms)]);
        await deleteChildren(trx, ids, out);
        const res = await trx.deleteFrom('events').where('id', 'in', ids).executeTakeFirst();
        out.events += Number(res.numDeletedRows);
      }
      if (ids.length === BATCH) return false;
      out.stats_rows += await dropStatsBefore(trx, cutoff);
      return true;
    });
    if (done) break;
  }
  // PostgreSQL's autovacuum analyzes each partition but never the partitioned parent, whose
  // statistics the planner uses for joins; the hourly purge keeps them current.
  if (store.dialect.hooks.partitionedEvents) await sql`ANALYZE events`.execute(store.db);
  return out;
}

export interface RetentionOptions {
  days?: number;
  /** How often to purge; default hourly. */
  everyMs?: number;
  onResult?: (r: PurgeResult) => void;
  onError?: (err: Error) => void;
}

/** Purges now and then every `everyMs`; `stop()` ends it. The timer never holds the process open. */
export function startRetention(store: Store, opts: RetentionOptions = {}): { stop(): Promise<void> } {
  const days = opts.days ?? DEFAULT_RETENTION_DAYS;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = purgeOlderThan(store, days)
      .then(
        (r) => opts.onResult?.(r),
        (e: Error) => opts.onError?.(e),
      )
      .finally(() => (running = undefined));
  };
  const timer = setInterval(run, Math.max(1000, opts.everyMs ?? 3_600_000));
  timer.unref();
  const first = setTimeout(run, 0);
  first.unref();
  return {
    /** Stops the timer; resolves when a purge in progress has finished. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
      await running;
    },
  };
}
