/**
 * PostgreSQL through node-postgres (the scale-out store): the same Kysely schema and repositories
 * as SQLite. A pool of connections; 64-bit integers and numerics come back as JavaScript numbers
 * (every one the store keeps — epoch milliseconds, counters, sequences — is far below 2^53), so
 * the repositories read the same types on both engines.
 *
 * Commit order: PostgreSQL commits concurrent transactions in any order, so a sequence value does
 * not say which event became visible first. Every event-writing transaction therefore takes one
 * transaction-scoped advisory lock before it inserts (`beginEventWrite`): the `events.seq` values
 * it draws are higher than every committed one, and a reader that has seen sequence n has seen
 * every event below n — the store tail (live stream, the correlation leader) relies on that. The
 * writes serialise at the insert, as they do on SQLite; batches keep that cheap.
 *
 * Events are partitioned by day of event time (store/partitions.ts): retention drops whole days,
 * and range queries read only the days they cover.
 *
 * `schema` (or `?schema=` on the URL) keeps Palisade's tables in a schema of their own (created on
 * first start); the tests give each run its own.
 */
import { sql, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { PalisadeError } from '../../errors.js';
import type { StoreDialect } from '../dialect.js';
import type { SchemaHooks } from '../migrations.js';
import type { Database } from '../schema.js';
import { ensureEventPartitions } from '../partitions.js';
import { COUNTERS } from '../stats-rollup.js';

export interface PostgresOptions {
  /** `postgres://user@host:port/db` (password in the URL or PGPASSWORD; never printed). */
  url: string;
  /** Schema for Palisade's tables; default `?schema=` of the URL, else the server's search_path. */
  schema?: string;
  /** Most connections in the pool; default 10. */
  poolSize?: number;
}

export interface PostgresStoreDialect extends StoreDialect {
  readonly name: 'postgres';
  readonly pool: pg.Pool;
  readonly schema: string | undefined;
}

/** Advisory lock key of event writes ("PAL" "EVT" in ASCII; any constant unlikely to clash). */
const EVENT_WRITE_LOCK = 0x50414c45_5654;

export const postgresHooks: SchemaHooks = {
  idColumn: (t) => t.addColumn('id', 'serial', (c) => c.primaryKey()),
  blobType: 'bytea',
  commitSequenceColumn: true,
  partitionedEvents: true,
  // Sums of int4 are int8 sums (int8 sums accumulate in numeric); the covering index lets the
  // statistics read their rows from the index alone once autovacuum has marked the pages.
  async tuneStatsRollup(db) {
    const alter = COUNTERS.map((c) => sql`ALTER COLUMN ${sql.ref(c)} TYPE integer`);
    await sql`ALTER TABLE stats_rollup ${sql.join(alter)}`.execute(db);
    await sql`CREATE INDEX stats_rollup_cover ON stats_rollup (dim, bucket_ms)
      INCLUDE (item, label, label2, events, blocked)`.execute(db);
  },
};

/** A type name as information_schema spells it (`text`, `bigint`, `double precision`, ...). */
const TYPE_NAME = /^[a-z][a-z ]{0,40}$/;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const INT8 = 20;
const NUMERIC = 1700;

/** The address without its password (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable address)';
  }
}

export async function createPostgresDialect(opts: PostgresOptions): Promise<PostgresStoreDialect> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new PalisadeError('PAL_ERR_STORE_OPEN', `not a PostgreSQL address: ${redactUrl(opts.url)}`);
  }
  const schema = opts.schema ?? (url.searchParams.get('schema') || undefined);
  url.searchParams.delete('schema');
  if (schema !== undefined && !SCHEMA_NAME.test(schema))
    throw new PalisadeError(
      'PAL_ERR_STORE_OPEN',
      `schema name must be lower-case letters, digits and _ (at most 63): ${JSON.stringify(schema)}`,
    );
  const location = redactUrl(url.toString()) + (schema ? ` (schema ${schema})` : '');
  const numberParser = (v: string) => Number(v);
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: Math.max(1, opts.poolSize ?? 10),
    application_name: 'palisade',
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8 || oid === NUMERIC
          ? numberParser
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that kills
  // the process. The next query reconnects.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new PalisadeError(
      'PAL_ERR_STORE_OPEN',
      `cannot open database ${location}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let ended = false;
  /** Column types of the tables insertMany writes, read once from the catalog. */
  const columnTypes = new Map<string, Map<string, string>>();
  return {
    name: 'postgres',
    pool,
    schema,
    location,
    kysely: new PostgresDialect({ pool }),
    hooks: postgresHooks,
    // The protocol allows 65535 bound parameters per statement.
    maxParams: 30000,
    ilike: 'ilike',
    commitSeq: 'seq',
    eventKey: ['id', 'ts_ms'],
    async beginEventWrite(trx: Transaction<Database>, tsMs: readonly number[]) {
      await sql`SELECT pg_advisory_xact_lock(${sql.lit(EVENT_WRITE_LOCK)})`.execute(trx);
      await ensureEventPartitions(trx, tsMs);
    },
    async insertMany(trx, table, rows, opts = {}) {
      if (rows.length === 0) return [];
      let types = columnTypes.get(table);
      if (types === undefined) {
        const { rows: cols } = await sql<{ name: string; type: string }>`SELECT column_name AS name,
          data_type AS type FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = ${table}`.execute(trx);
        types = new Map(cols.filter((c) => TYPE_NAME.test(c.type)).map((c) => [c.name, c.type]));
        columnTypes.set(table, types);
      }
      const names = Object.keys(rows[0]!);
      const arrays = names.map((name) => {
        const type = types.get(name);
        if (type === undefined) throw new Error(`${table}.${name}: no such column`);
        return sql`CAST(${rows.map((r) => r[name] ?? null)} AS ${sql.raw(type)}[])`;
      });
      const conflict = opts.conflict
        ? sql` ON CONFLICT (${sql.join(opts.conflict.map((c) => sql.ref(c)))}) DO NOTHING`
        : sql``;
      const returning = opts.returning ? sql` RETURNING ${sql.ref(opts.returning)}` : sql``;
      const res = await sql<Record<string, unknown>>`INSERT INTO ${sql.table(table)}
        (${sql.join(names.map((n) => sql.ref(n)))}) SELECT * FROM unnest(${sql.join(arrays)})${conflict}${returning}`.execute(
        trx,
      );
      return opts.returning ? res.rows.map((r) => r[opts.returning!]) : [];
    },
    close: async () => {
      // Kysely's destroy() ends the pool; a second end() would throw.
      if (!ended && !pool.ended) {
        ended = true;
        await pool.end().catch(() => undefined);
      }
    },
  };
}
