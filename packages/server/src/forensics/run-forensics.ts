/**
 * Runs an analysis: on the store (SQLite or PostgreSQL, through Kysely with bound parameters) or on
 * DuckDB over a Parquet file of events (forensics export, export-events.ts), the same statement from
 * queries.ts either way. DuckDB is an optional package: it is imported only when asked for, and its
 * absence is a clear error rather than a crash at start-up.
 */
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RawBuilder,
} from 'kysely';
import type * as DuckDb from '@duckdb/node-api';
import { PalisadeError } from '../errors.js';
import type { Store } from '../store/store.js';
import { FORENSIC_COLUMNS } from './export-events.js';
import type { ForensicsParams } from './params.js';
import { forensicsQuery } from './queries.js';
import { toResult, type ForensicsResult } from './results.js';

export interface RunForensicsOptions {
  /**
   * Most events the range may hold (counted first, from the time index); more is a 400 naming
   * `from`. The API sets it: on SQLite a query runs on the server's thread (about 20 µs per event
   * for the sessions analysis), so an unbounded range would stall ingest and every other request.
   */
  maxEvents?: number;
}

/** Runs `p` on the store's database. */
export async function runForensics(
  store: Store,
  p: ForensicsParams,
  opts: RunForensicsOptions = {},
): Promise<ForensicsResult> {
  if (opts.maxEvents !== undefined) {
    const { n } = await store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('ts_ms', '>=', p.from_ms)
      .where('ts_ms', '<', p.to_ms)
      .executeTakeFirstOrThrow();
    if (Number(n) > opts.maxEvents)
      throw new PalisadeError(
        'PAL_ERR_VALIDATION',
        `from: the range holds ${Number(n)} events, more than the ${opts.maxEvents} one analysis ` +
          'reads here: narrow the range, or run palisade forensics',
        { field: 'from', events: Number(n), max_events: opts.maxEvents },
      );
  }
  const { rows } = await (
    forensicsQuery(p, store.dialect.name) as RawBuilder<Record<string, unknown>>
  ).execute(store.db);
  return toResult(p, rows);
}

/** A DuckDB database whose view `events` reads one Parquet file. */
export interface DuckDbEvents {
  run(p: ForensicsParams): Promise<ForensicsResult>;
  close(): void;
}

/** Compiles statements only (never connects): PostgreSQL's `$n` placeholders, which DuckDB takes too. */
const compiler = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

async function loadDuckDb(): Promise<typeof DuckDb> {
  try {
    return await import('@duckdb/node-api');
  } catch {
    throw new PalisadeError(
      'PAL_ERR_CLI_USAGE',
      '--engine duckdb needs the optional package @duckdb/node-api (npm install @duckdb/node-api)',
    );
  }
}

/** Opens an in-memory DuckDB over `file`, checking that it has the columns the analyses read. */
export async function openDuckDbEvents(file: string): Promise<DuckDbEvents> {
  const { DuckDBInstance } = await loadDuckDb();
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  const close = () => {
    con.closeSync();
    instance.closeSync();
  };
  try {
    // A view cannot take a parameter; the path is a string literal with its quotes doubled.
    const lit = `'${file.replace(/'/g, "''")}'`;
    await con.run(`CREATE VIEW events AS SELECT * FROM read_parquet(${lit})`);
    const desc = (await con.runAndReadAll('DESCRIBE SELECT * FROM events')).getRowObjectsJson();
    const have = new Set(desc.map((d) => String(d.column_name)));
    const missing = FORENSIC_COLUMNS.map((c) => c.name).filter((n) => !have.has(n));
    if (missing.length > 0)
      throw new PalisadeError(
        'PAL_ERR_CLI_USAGE',
        `${file} lacks the columns ${missing.join(', ')}: write it with palisade forensics export`,
      );
  } catch (e) {
    close();
    if (e instanceof PalisadeError) throw e;
    throw new PalisadeError('PAL_ERR_CLI_USAGE', `cannot read ${file} as Parquet: ${(e as Error).message}`);
  }
  return {
    async run(p) {
      const q = forensicsQuery(p, 'duckdb').compile(compiler);
      const reader = await con.runAndReadAll(q.sql, q.parameters as (string | number)[]);
      return toResult(p, reader.getRowObjects());
    },
    close,
  };
}
