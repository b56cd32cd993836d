/**
 * SQLite through better-sqlite3 (the embedded default). The file and its directory are created on
 * first start. Pragmas: WAL (readers never block the writer, and backups read a snapshot),
 * foreign_keys=ON (cascades), busy_timeout (another process holding the lock waits instead of
 * failing), synchronous=FULL: every commit is fsynced before it returns, so an acknowledged event
 * survives a power loss, not only a process crash — the price is one fsync per batch, which the
 * batched writer amortises.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import { PalisadeError } from '../../errors.js';
import type { StoreDialect } from '../dialect.js';
import type { SchemaHooks } from '../migrations.js';

export interface SqliteOptions {
  path: string;
  /** How long to wait for a lock held by another connection; default 5000. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

export interface SqliteStoreDialect extends StoreDialect {
  readonly name: 'sqlite';
  readonly path: string;
  /** The better-sqlite3 handle (backup and restore use it; repositories go through Kysely). */
  readonly native: BetterSqlite3.Database;
}

export const sqliteHooks: SchemaHooks = {
  // INTEGER PRIMARY KEY is the rowid; AUTOINCREMENT keeps deleted ids from being reused.
  idColumn: (t) => t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
  blobType: 'blob',
  clusteredTables: true,
};

/** Applies the connection pragmas; returns the journal mode in effect. */
export function applyPragmas(db: BetterSqlite3.Database, busyTimeoutMs: number): string {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  return mode;
}

export function openSqliteNative(
  path: string,
  opts: Omit<SqliteOptions, 'path'> = {},
): BetterSqlite3.Database {
  const file = path === ':memory:' ? path : resolve(path);
  try {
    if (file !== ':memory:' && !opts.readonly) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const db = new BetterSqlite3(file, {
      readonly: opts.readonly ?? false,
      fileMustExist: opts.readonly ?? false,
    });
    if (opts.readonly) db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    else applyPragmas(db, opts.busyTimeoutMs ?? 5000);
    return db;
  } catch (err) {
    throw new PalisadeError(
      'PAL_ERR_STORE_OPEN',
      `cannot open database ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export function createSqliteDialect(opts: SqliteOptions): SqliteStoreDialect {
  const native = openSqliteNative(opts.path, opts);
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepared(text) {
      let st = statements.get(text);
      if (st === undefined) {
        st = native.prepare(text);
        statements.set(text, st);
      }
      const stmt = st;
      return (params) => stmt.run(...params).changes;
    },
    name: 'sqlite',
    path: opts.path === ':memory:' ? opts.path : resolve(opts.path),
    location: opts.path,
    native,
    kysely: new SqliteDialect({ database: native }),
    hooks: sqliteHooks,
    // SQLITE_MAX_VARIABLE_NUMBER is 32766 in the bundled SQLite; stay well below it.
    maxParams: 30000,
    ilike: 'like',
    commitSeq: 'rowid',
    eventKey: ['id'],
    close: async () => {
      if (native.open) native.close();
    },
  };
}
