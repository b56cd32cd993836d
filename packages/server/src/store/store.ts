/**
 * Opening the store: picks the dialect (a `postgres://` address opens PostgreSQL, anything else is
 * a SQLite file), loads the keyring, runs migrations to the newest schema and returns the handle
 * every repository function takes. `./data/palisade.db` is the default file.
 */
import { dirname, resolve } from 'node:path';
import { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { isPostgresUrl, type StoreDialect } from './dialect.js';
import type { Keyring } from './crypto.js';
import { loadKeyring } from './keyring-file.js';
import { migrateToLatest } from './migrations.js';
import { createSqliteDialect } from './dialects/sqlite.js';
import { createPostgresDialect } from './dialects/postgres.js';

/** Where `palisade serve` keeps its database unless told otherwise. */
export const DEFAULT_DB_PATH = './data/palisade.db';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  readonly keyring: Keyring;
  /** Source name → id, filled as batches upsert sources (ids never change once assigned). */
  readonly sourceIds: Map<string, number>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /**
   * SQLite file (created with its directory on first start; default DEFAULT_DB_PATH), or a
   * `postgres://user@host:port/db[?schema=name]` address.
   */
  path?: string;
  /** PostgreSQL: schema of Palisade's tables (overrides `?schema=`). */
  schema?: string;
  /** PostgreSQL: most pooled connections (default 10). */
  poolSize?: number;
  /**
   * Keys for raw payloads; default: PALISADE_KEY (`env`) or `keys.json` in the directory of the
   * SQLite file (for PostgreSQL in `./data`).
   */
  keyring?: Keyring;
  /** The PALISADE_KEY value when no keyring is given; default process.env.PALISADE_KEY. */
  env?: string | undefined;
  busyTimeoutMs?: number;
}

/** Opens (creating when needed) and migrates the store. */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const path = opts.path ?? DEFAULT_DB_PATH;
  const postgres = isPostgresUrl(path);
  const keyring =
    opts.keyring ??
    loadKeyring({
      dataDir: path === ':memory:' || postgres ? resolve('data') : dirname(resolve(path)),
      env: 'env' in opts ? opts.env : process.env.PALISADE_KEY,
    });
  const dialect: StoreDialect = postgres
    ? await createPostgresDialect({ url: path, schema: opts.schema, poolSize: opts.poolSize })
    : createSqliteDialect({ path, busyTimeoutMs: opts.busyTimeoutMs });
  const db = new Kysely<Database>({ dialect: dialect.kysely });
  try {
    await migrateToLatest(db, dialect.hooks, dialect.schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closed = false;
  return {
    db,
    dialect,
    keyring,
    sourceIds: new Map(),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await dialect.close();
    },
  };
}
