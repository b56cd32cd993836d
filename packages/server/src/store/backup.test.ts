import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import {
  backupToSql,
  createWriter,
  getEvent,
  openStore,
  restoreFromSql,
  addBan,
  putSetting,
} from './index.js';
import { sqlLiteral } from './backup.js';
import { makeEvent } from './testdata/events.mjs';
import { tmpStore } from './testdata/tmp-store.mjs';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0;

describe('SQL literals', () => {
  it('quotes every SQLite value type', () => {
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(12n)).toBe('12');
    expect(sqlLiteral(9007199254740993n)).toBe('9007199254740993');
    expect(sqlLiteral(1)).toBe('1.0');
    expect(sqlLiteral(0.1)).toBe('0.1');
    expect(sqlLiteral(-1.5e300)).toBe('-1.5e+300');
    expect(sqlLiteral(Infinity)).toBe('1e999');
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral('a\0b')).toBe(`CAST(X'610062' AS TEXT)`);
    expect(sqlLiteral(Buffer.from([0, 255]))).toBe("X'00ff'");
  });
});

describe('backup and restore', () => {
  it('dumps a consistent snapshot while the writer writes; restores it; raw still decrypts', async () => {
    const t = await tmpStore();
    cleanup = t.cleanup;
    const { store, dir } = t;
    const w = createWriter(store, { batchSize: 100, flushMs: 1 });
    const ev = (i: number) => makeEvent(i, { message: `it's "quoted"\nline ${i}` }) as SecurityEvent;
    await Promise.all(Array.from({ length: 2000 }, (_, i) => w.submit(ev(i))));
    await addBan(store, { value: '10.0.0.0/8', reason: "o'reilly", source: 'cli', created_by: 'me' });
    await putSetting(store, 'engine.mode', { mode: 'block', pi: 3.14 }, 'me');
    // Keep writing during the backup.
    let writing = true;
    let n = 2000;
    const background = (async () => {
      while (writing && n < 8000) await Promise.all(Array.from({ length: 50 }, () => w.submit(ev(n++))));
    })();
    const out = join(dir, 'backup', 'dump.sql');
    const r = await backupToSql(store, out);
    writing = false;
    await background;
    await w.close();
    expect(r.tables.events).toBeGreaterThanOrEqual(2000);
    expect(r.tables.findings).toBe(r.tables.events); // one finding each: no torn batch in the snapshot
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE')).toBe(true);
    expect(text.trimEnd().endsWith('COMMIT;')).toBe(true);
    expect(text).toContain('CREATE INDEX');
    expect(text).toContain("'o''reilly'");

    const restored = join(dir, 'restored', 'palisade.db');
    const rr = await restoreFromSql(restored, out);
    expect(rr.foreign_key_violations).toBe(0);
    expect(rr.tables.events).toBe(r.tables.events);
    expect(rr.tables.findings).toBe(r.tables.findings);
    expect(rr.tables.bans).toBe(1);
    const again = await openStore({ path: restored, keyring: store.keyring });
    try {
      const sample = (await getEvent(again, 'evt-00000123', { withRaw: true }))!;
      expect(sample).toEqual(await getEvent(store, 'evt-00000123', { withRaw: true }));
      expect(sample.raw).toContain('union');
    } finally {
      await again.close();
    }

    await expect(restoreFromSql(restored, out)).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_RESTORE',
      message: expect.stringContaining('--force'),
    });
    expect((await restoreFromSql(restored, out, { force: true })).tables.events).toBe(r.tables.events);

    if (hasSqlite3) {
      const cli = join(dir, 'cli.db');
      execFileSync('sqlite3', [cli], { input: readFileSync(out) });
      const counts = execFileSync('sqlite3', [
        cli,
        'SELECT count(*) FROM events; SELECT count(*) FROM findings; PRAGMA integrity_check;',
      ])
        .toString()
        .trim()
        .split('\n');
      expect(counts).toEqual([String(r.tables.events), String(r.tables.findings), 'ok']);
    } else {
      console.warn('sqlite3 CLI not installed: the dump was checked with restoreFromSql only');
    }
  }, 60_000);

  it('refuses broken dumps and leaves no database behind', async () => {
    const t = await tmpStore();
    cleanup = t.cleanup;
    const bad = join(t.dir, 'bad.sql');
    writeFileSync(bad, "BEGIN;\nCREATE TABLE t(a);\nINSERT INTO t VALUES('unterminated);\n");
    const target = join(t.dir, 'r', 'x.db');
    await expect(restoreFromSql(target, bad)).rejects.toMatchObject({ code: 'PAL_ERR_STORE_RESTORE' });
    writeFileSync(bad, 'BEGIN;\nCREATE TABLE t(a);\n');
    await expect(restoreFromSql(target, bad)).rejects.toThrow(/COMMIT/);
    writeFileSync(bad, 'BEGIN;\nNOT SQL;\nCOMMIT;\n');
    await expect(restoreFromSql(target, bad)).rejects.toThrow(/syntax error/);
    expect(existsSync(target)).toBe(false);
    await expect(restoreFromSql(target, join(t.dir, 'none.sql'))).rejects.toThrow(/no backup file/);
  });
});
