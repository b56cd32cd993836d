/**
 * The test databases: SQLite always, PostgreSQL when PALISADE_TEST_DATABASE_URL is set (CI sets
 * it). Each PostgreSQL store of a test lives in a schema of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../store.js';

/** The PostgreSQL server of the tests, or undefined. */
export const TEST_DATABASE_URL: string | undefined = process.env.PALISADE_TEST_DATABASE_URL || undefined;

export type StoreEngine = 'sqlite' | 'postgres';

/** The engines the store suites run on. */
export const STORE_ENGINES: readonly StoreEngine[] = TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/** A schema name no other test run uses. */
export function uniqueSchema(prefix = 'pal_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(store: Store, schema: string): Promise<void> {
  if (!/^pal_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema ${schema}`);
  await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.db);
}

/** How many rows a table holds (any engine). */
export async function countRows(store: Store, table: string): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(store.db);
  return Number(rows[0]!.n);
}
