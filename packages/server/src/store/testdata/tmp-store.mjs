// Store helper for the tests: a fresh database and keyring per call, removed by cleanup(). The
// store suites run on every engine in STORE_ENGINES: SQLite always, PostgreSQL when
// PALISADE_TEST_DATABASE_URL is set (each store in a schema of its own, dropped by cleanup()).
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Keyring, openStore } from '../index.js';

/** The PostgreSQL server of the tests, or undefined. */
export const TEST_DATABASE_URL = process.env.PALISADE_TEST_DATABASE_URL || undefined;

/** @type {readonly ('sqlite' | 'postgres')[]} */
export const STORE_ENGINES = TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/** A schema name no other test run uses. */
export function uniqueSchema(prefix = 'pal_test') {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/**
 * @param {Record<string, unknown> & { engine?: 'sqlite' | 'postgres' }} [opts]
 */
export async function tmpStore(opts = {}) {
  const { engine = 'sqlite', ...rest } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'pal-store-'));
  if (engine === 'postgres') {
    if (!TEST_DATABASE_URL) throw new Error('PALISADE_TEST_DATABASE_URL is not set');
    const schema = uniqueSchema();
    const store = await openStore({
      path: TEST_DATABASE_URL,
      schema,
      keyring: Keyring.generate(),
      env: undefined,
      ...rest,
    });
    return {
      dir,
      store,
      schema,
      async cleanup() {
        await dropSchema(store, schema);
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const store = await openStore({ path: join(dir, 'sub', 'palisade.db'), env: undefined, ...rest });
  return {
    dir,
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Drops a test schema and everything in it. */
export async function dropSchema(store, schema) {
  if (!/^pal_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema ${schema}`);
  await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.db);
}

/** How many rows a table holds (any engine). */
export async function countRows(store, table) {
  const { rows } = await sql`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(store.db);
  return Number(rows[0].n);
}

/** The better-sqlite3 handle of a SQLite store, for assertions on the raw tables. */
export function nativeDb(store) {
  return store.dialect.native;
}
