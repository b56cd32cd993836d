// Tmp-dir store helper for the store tests: a fresh database and keyring per call, removed by cleanup().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../index.js';

/** @param {Record<string, unknown>} [opts] */
export async function tmpStore(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pal-store-'));
  const store = await openStore({ path: join(dir, 'sub', 'palisade.db'), env: undefined, ...opts });
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
