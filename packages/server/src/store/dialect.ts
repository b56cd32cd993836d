/**
 * The seam between the store and a database engine (STYLE.md #1): a dialect opens the connection,
 * hands Kysely its `Dialect`, tells the migrations how it spells ids and blobs, and says how many
 * bound parameters one statement may carry. SQLite lives in dialects/sqlite.ts; PostgreSQL becomes
 * dialects/postgres.ts implementing the same interface.
 */
import type { Dialect, Transaction } from 'kysely';
import type { SchemaHooks } from './migrations.js';
import type { Database } from './schema.js';

export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly kysely: Dialect;
  readonly hooks: SchemaHooks;
  /** Most bound parameters one statement may carry (multi-row inserts are cut to fit). */
  readonly maxParams: number;
  /** PostgreSQL: the schema of Palisade's tables, when one was chosen. */
  readonly schema?: string | undefined;
  /** A human name of the database for messages (file path or host/db, never a password). */
  readonly location: string;
  /**
   * A cached prepared statement on the connection Kysely uses (so it runs inside the current
   * transaction), for the writer's hot inserts; returns the number of rows changed. Dialects
   * without one make the writer use Kysely's multi-row inserts.
   */
  readonly prepared?: (sql: string) => (params: readonly unknown[]) => number;
  /**
   * The column that orders events by commit (the store tail reads events after a sequence):
   * SQLite's rowid (writers are serialised, so it grows in commit order), PostgreSQL's `seq`.
   */
  readonly commitSeq: 'rowid' | 'seq';
  /** The case-insensitive LIKE (SQLite's `like` ignores ASCII case; PostgreSQL needs `ilike`). */
  readonly ilike: 'like' | 'ilike';
  /**
   * Runs first in every transaction that inserts events, with their times (PostgreSQL: orders the
   * commits and makes the day partitions they need).
   */
  beginEventWrite?(trx: Transaction<Database>, tsMs: readonly number[]): Promise<void>;
  /** The key an event is unique by (insert conflicts): its id, or (id, ts_ms) on partitioned tables. */
  readonly eventKey: readonly ('id' | 'ts_ms')[];
  /**
   * Inserts many rows of one shape in one statement (PostgreSQL: a column array per column through
   * `unnest`, far cheaper than a bound parameter per value); with `conflict`, rows whose key exists
   * are skipped. Returns the `returning` column of the rows written. Dialects without it use
   * Kysely's multi-row inserts.
   */
  insertMany?(
    trx: Transaction<Database>,
    table: 'events' | 'findings' | 'honeypot_hits',
    rows: readonly Record<string, unknown>[],
    opts?: { conflict?: readonly string[]; returning?: string },
  ): Promise<unknown[]>;
  /** Releases resources not owned by Kysely (Kysely's own destroy() closes the connection). */
  close(): Promise<void>;
}

/** True for a `postgres://` or `postgresql://` address (the store's location is then PostgreSQL). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(location);
}
