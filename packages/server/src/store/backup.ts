/**
 * Backup and restore of the SQLite store as a plain SQL dump that the `sqlite3` CLI also loads:
 * `PRAGMA foreign_keys=OFF; BEGIN; CREATE TABLE ...; INSERT ...; CREATE INDEX ...; COMMIT;`.
 * The dump reads through its own read-only connection inside one read transaction: WAL gives it a
 * consistent snapshot while the writer keeps committing, and the event loop is yielded to between
 * chunks. The file is written to a temp name, fsynced and renamed, so a crash never leaves a
 * half-written backup under the final name. (A PostgreSQL store is backed up with pg_dump.)
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  openSync,
  closeSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import BetterSqlite3 from 'better-sqlite3';
import { PalisadeError } from '../errors.js';
import { applyPragmas } from './dialects/sqlite.js';
import { SqlSplitter } from './sql-split.js';
import type { Store } from './store.js';

const FLUSH_CHARS = 1 << 20;
const YIELD_ROWS = 2000;

/** SQL literal for a value read with safeIntegers (integers as bigint, reals as number). */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NULL';
    if (!Number.isFinite(v)) return v > 0 ? '1e999' : '-1e999';
    const s = String(v);
    // Keep reals real on the way back: `1` would come back as an integer.
    return s.includes('.') || s.includes('e') ? s : `${s}.0`;
  }
  if (typeof v === 'string') {
    // NUL cannot appear inside a literal read by the sqlite3 shell; go through a blob instead.
    if (v.includes('\0')) return `CAST(X'${Buffer.from(v, 'utf8').toString('hex')}' AS TEXT)`;
    return `'${v.replaceAll("'", "''")}'`;
  }
  if (v instanceof Uint8Array)
    return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
  throw new PalisadeError('PAL_ERR_STORE_BACKUP', `cannot write a ${typeof v} as SQL`);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface BackupResult {
  path: string;
  bytes: number;
  /** Rows written per table. */
  tables: Record<string, number>;
}

/** Writes a complete SQL dump of the store's database to `outPath` (atomically). */
export async function backupToSql(store: Store, outPath: string): Promise<BackupResult> {
  if (store.dialect.name !== 'sqlite')
    throw new PalisadeError(
      'PAL_ERR_STORE_BACKUP',
      'SQL dumps are for SQLite stores; use pg_dump for PostgreSQL',
    );
  const dbPath = (store.dialect as { path?: string }).path;
  if (!dbPath || dbPath === ':memory:')
    throw new PalisadeError('PAL_ERR_STORE_BACKUP', 'an in-memory store has no file to back up');
  return dumpSqliteFile(dbPath, outPath);
}

export async function dumpSqliteFile(dbPath: string, outPath: string): Promise<BackupResult> {
  const final = resolve(outPath);
  mkdirSync(dirname(final), { recursive: true });
  const tmp = `${final}.${process.pid}.tmp`;
  const src = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  src.pragma('busy_timeout = 5000');
  const out = createWriteStream(tmp, { mode: 0o600 });
  const tables: Record<string, number> = {};
  let pending = '';
  let bytes = 0;
  const flush = async (force = false) => {
    if (pending.length < FLUSH_CHARS && !force) return;
    bytes += Buffer.byteLength(pending);
    if (!out.write(pending)) await once(out, 'drain');
    pending = '';
  };
  try {
    src.exec('BEGIN');
    // The first read fixes the snapshot every later read in this transaction sees.
    const schema = src
      .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid')
      .all() as { type: string; name: string; tbl_name: string; sql: string }[];
    pending += 'PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n';
    const dataTables = schema.filter((s) => s.type === 'table' && !s.name.startsWith('sqlite_'));
    for (const t of dataTables) {
      pending += `${t.sql};\n`;
      const info = src.prepare(`PRAGMA table_info(${quoteIdent(t.name)})`).all() as {
        name: string;
        pk: number;
      }[];
      const colList = info.map((c) => quoteIdent(c.name)).join(',');
      // A WITHOUT ROWID table (stats_rollup) has no rowid: its primary key orders it.
      const clustered =
        src.prepare('SELECT wr FROM pragma_table_list WHERE name = ?').pluck().get(t.name) === 1;
      const order = clustered
        ? info
            .filter((c) => c.pk > 0)
            .sort((x, y) => x.pk - y.pk)
            .map((c) => quoteIdent(c.name))
            .join(',')
        : 'rowid';
      const stmt = src
        .prepare(`SELECT ${colList} FROM ${quoteIdent(t.name)} ORDER BY ${order}`)
        .raw(true)
        .safeIntegers(true);
      const head = `INSERT INTO ${quoteIdent(t.name)}(${colList}) VALUES(`;
      let n = 0;
      for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
        pending += `${head}${row.map(sqlLiteral).join(',')});\n`;
        if (++n % YIELD_ROWS === 0) {
          await flush();
          await new Promise((r) => setImmediate(r));
        }
      }
      tables[t.name] = n;
    }
    const seq = schema.some((s) => s.name === 'sqlite_sequence');
    if (seq) {
      pending += 'DELETE FROM sqlite_sequence;\n';
      for (const r of src
        .prepare('SELECT name, seq FROM sqlite_sequence')
        .raw(true)
        .safeIntegers(true)
        .iterate() as IterableIterator<unknown[]>)
        pending += `INSERT INTO sqlite_sequence(name,seq) VALUES(${r.map(sqlLiteral).join(',')});\n`;
    }
    for (const s of schema) if (s.type !== 'table') pending += `${s.sql};\n`;
    pending += 'COMMIT;\n';
    src.exec('COMMIT');
    await flush(true);
    out.end();
    await once(out, 'finish');
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    return { path: final, bytes, tables };
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    if (err instanceof PalisadeError) throw err;
    throw new PalisadeError('PAL_ERR_STORE_BACKUP', `backup to ${final} failed: ${(err as Error).message}`);
  } finally {
    src.close();
  }
}

export interface RestoreResult {
  path: string;
  statements: number;
  tables: Record<string, number>;
  /** Rows violating a foreign key after the restore (0 for a dump of a healthy store). */
  foreign_key_violations: number;
}

/** True when the database file exists and has at least one table. */
function hasTables(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    return (
      (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n >
      0
    );
  } finally {
    db.close();
  }
}

/**
 * Loads a SQL dump into a new database at `dbPath`. Refuses a database that already has tables
 * unless `force`, which deletes the old file first. Nothing is left behind when the dump fails.
 */
export async function restoreFromSql(
  dbPath: string,
  sqlFile: string,
  opts: { force?: boolean } = {},
): Promise<RestoreResult> {
  const target = resolve(dbPath);
  if (!existsSync(sqlFile)) throw new PalisadeError('PAL_ERR_STORE_RESTORE', `no backup file ${sqlFile}`);
  if (hasTables(target) && !opts.force)
    throw new PalisadeError(
      'PAL_ERR_STORE_RESTORE',
      `${target} already holds data; pass --force to replace it`,
    );
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const tmp = `${target}.restore-${process.pid}`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const db = new BetterSqlite3(tmp);
  let statements = 0;
  try {
    db.pragma('journal_mode = DELETE');
    const splitter = new SqlSplitter();
    const decoder = new StringDecoder('utf8');
    const run = (stmts: string[]) => {
      if (stmts.length === 0) return;
      db.exec(stmts.join('\n'));
      statements += stmts.length;
    };
    for await (const chunk of createReadStream(sqlFile, { highWaterMark: 1 << 20 })) {
      run(splitter.push(decoder.write(chunk as Buffer)));
    }
    run(splitter.push(decoder.end()));
    const rest = splitter.rest();
    if (rest !== '') throw new Error(`the file ends inside a statement: ${rest.slice(0, 80)}`);
    if (db.inTransaction) throw new Error('the dump has no COMMIT (incomplete file?)');
    const fk = db.prepare('PRAGMA foreign_key_check').all().length;
    const tables: Record<string, number> = {};
    for (const { name } of db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { name: string }[])
      tables[name] = (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get() as { n: number }).n;
    applyPragmas(db, 5000);
    db.close();
    for (const f of [target, `${target}-wal`, `${target}-shm`]) rmSync(f, { force: true });
    renameSync(tmp, target);
    for (const f of [`${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    return { path: target, statements, tables, foreign_key_violations: fk };
  } catch (err) {
    if (db.open) db.close();
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    throw new PalisadeError(
      'PAL_ERR_STORE_RESTORE',
      `restore from ${sqlFile} failed: ${(err as Error).message}`,
    );
  }
}
