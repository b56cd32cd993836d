import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import {
  insertEvents,
  openStore,
  runApiKeyCreate,
  runApiKeyList,
  runApiKeyRevoke,
  runBackup,
  runKeysList,
  runKeysRotate,
  runPurge,
  runRestore,
  runLabel,
  getEvent,
  listAudit,
} from './index.js';
import { makeEvent } from './testdata/events.mjs';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('store commands', () => {
  it('create/list/revoke keys, rotate, backup, restore, purge — text and JSON', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pal-cmd-'));
    const db = join(dir, 'data', 'palisade.db');
    const lines: string[] = [];
    const io = { write: (t: string) => void lines.push(t), env: undefined };
    const s = await openStore({ path: db, env: undefined });
    await insertEvents(s, [
      makeEvent(1, { ts: '2001-01-01T00:00:00Z' }),
      makeEvent(2, { ts: new Date().toISOString() }),
    ] as SecurityEvent[]);
    await s.close();

    expect(await runApiKeyCreate({ ...io, db, name: 'ci', scopes: ['ingest'], json: true })).toBe(0);
    const created = JSON.parse(lines.pop()!);
    expect(created.secret).toMatch(/^pal_/);
    expect(await runApiKeyList({ ...io, db })).toBe(0);
    expect(lines.pop()).toContain('active\tingest\tci');
    expect(lines.join('')).not.toContain(created.secret.slice(12));
    expect(await runApiKeyRevoke({ ...io, db, id: created.id })).toBe(0);
    expect(await runApiKeyRevoke({ ...io, db, id: created.id })).toBe(1);

    expect(await runKeysRotate({ ...io, db, retire: true })).toBe(0);
    expect(lines.pop()).toMatch(/active key k2 \(new\); re-encrypted 2 raw payloads.*retired k1/);
    expect(await runKeysList({ ...io, db })).toBe(0);
    expect(lines.pop()).toMatch(/\* k2 {2}2 values/);

    const out = join(dir, 'b.sql');
    expect(await runBackup({ ...io, db, out })).toBe(0);
    expect(lines.pop()).toContain('(events: 2)');
    await expect(runRestore({ ...io, db, file: out })).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_RESTORE',
    });
    expect(await runRestore({ ...io, db, file: out, force: true, json: true })).toBe(0);
    expect(JSON.parse(lines.pop()!).tables.events).toBe(2);

    expect(await runPurge({ ...io, db, days: 30 })).toBe(0);
    expect(lines.pop()).toMatch(/^deleted 1 events before/);
    await expect(runPurge({ ...io, db, days: -1 })).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    await expect(runBackup({ ...io, db, out: '' })).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });

    const s2 = await openStore({ path: db, env: undefined });
    const actions = (await listAudit(s2)).map((a) => a.action);
    await s2.close();
    expect(actions).toEqual(expect.arrayContaining(['store.restore', 'events.purge']));
    expect(JSON.stringify(actions)).not.toContain('pal_');
  });

  it('labels an event from the command line and refuses a bad label', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pal-cmd-'));
    const db = join(dir, 'palisade.db');
    const lines: string[] = [];
    const io = { write: (t: string) => void lines.push(t), env: undefined };
    const s = await openStore({ path: db, env: undefined });
    await insertEvents(s, [makeEvent(1)] as SecurityEvent[]);
    await s.close();
    expect(await runLabel({ ...io, db, id: 'evt-00000001', label: 'benign' })).toBe(0);
    expect(lines.pop()).toBe('event evt-00000001: unlabelled → benign\n');
    await expect(runLabel({ ...io, db, id: 'evt-00000001', label: 'fp' })).rejects.toMatchObject({
      code: 'PAL_ERR_CLI_USAGE',
    });
    await expect(runLabel({ ...io, db, id: 'nope', label: 'attack' })).rejects.toMatchObject({
      code: 'PAL_ERR_NOT_FOUND',
    });
    const s2 = await openStore({ path: db, env: undefined });
    expect((await getEvent(s2, 'evt-00000001'))!.labels).toEqual({ detector: 'attack', analyst: 'benign' });
    await s2.close();
  });
});
