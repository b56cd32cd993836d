// Store helper for the tests: a fresh database and keyring per call, removed by cleanup(). The
// store suites run on every engine in STORE_ENGINES: SQLite always, PostgreSQL when
// PALISADE_TEST_DATABASE_URL is set (each store in a schema of its own, dropped by cleanup()).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, openStore } from '../index.js';
import { countRows, dropSchema, STORE_ENGINES, TEST_DATABASE_URL, uniqueSchema } from './test-database.ts';

export { TEST_DATABASE_URL, STORE_ENGINES, uniqueSchema, dropSchema, countRows };

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

/** The better-sqlite3 handle of a SQLite store, for assertions on the raw tables. */
export function nativeDb(store) {
  return store.dialect.native;
}
