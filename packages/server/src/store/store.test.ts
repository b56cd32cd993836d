import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import {
  countEvents,
  getEvent,
  insertEvents,
  listEvents,
  openStore,
  getSetting,
  putSetting,
  settingHistory,
  audit,
  listAudit,
  createApiKey,
  verifyApiKey,
  revokeApiKey,
  listApiKeys,
  countApiKeys,
} from './index.js';
import { makeEvent } from './testdata/events.mjs';
import {
  countRows,
  dropSchema,
  nativeDb,
  STORE_ENGINES,
  TEST_DATABASE_URL,
  tmpStore,
  uniqueSchema,
} from './testdata/tmp-store.mjs';
import { Keyring } from './crypto.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});
async function fresh(engine: 'sqlite' | 'postgres' = 'sqlite') {
  const t = await tmpStore({ engine });
  cleanups.push(t.cleanup);
  return t;
}
const ev = (i: number, over: Partial<SecurityEvent> = {}) => makeEvent(i, over) as SecurityEvent;

describe('openStore', () => {
  it('creates the directory, the file and keys.json (0600), sets pragmas, migrates idempotently', async () => {
    const { dir, store } = await fresh();
    const dbPath = join(dir, 'sub', 'palisade.db');
    expect(existsSync(dbPath)).toBe(true);
    expect(statSync(join(dir, 'sub', 'keys.json')).mode & 0o777).toBe(0o600);
    const native = nativeDb(store);
    expect(native.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(native.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(native.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(Number(native.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    await insertEvents(store, [ev(1)]);
    await store.close();
    const again = await openStore({ path: dbPath, env: undefined });
    expect(await countEvents(again)).toBe(1);
    expect(again.keyring.activeId).toBe(store.keyring.activeId);
    await again.close();
  });

  it('names the path when the database cannot be opened', async () => {
    const { dir } = await fresh();
    await expect(openStore({ path: join(dir, 'sub'), env: undefined })).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_OPEN',
    });
  });
});

describe.runIf(TEST_DATABASE_URL)('openStore on PostgreSQL', () => {
  it('never shows the password of the address, refuses a bad schema name and keeps tables in the schema', async () => {
    const url = new URL(TEST_DATABASE_URL!);
    url.password = 'sup3r-secret';
    const schema = uniqueSchema();
    url.searchParams.set('schema', schema);
    const store = await openStore({ path: url.toString(), keyring: Keyring.generate() });
    try {
      expect(store.dialect.name).toBe('postgres');
      expect(store.dialect.location).not.toContain('sup3r-secret');
      expect(store.dialect.location).toContain(schema);
      const { rows } = await sql<{ n: unknown }>`SELECT count(*) AS n FROM information_schema.tables
        WHERE table_schema = ${schema} AND table_name = 'events'`.execute(store.db);
      expect(Number(rows[0]!.n)).toBe(1);
    } finally {
      await dropSchema(store, schema);
      await store.close();
    }
    await expect(
      openStore({ path: TEST_DATABASE_URL!, schema: 'x; DROP TABLE y', keyring: Keyring.generate() }),
    ).rejects.toMatchObject({ code: 'PAL_ERR_STORE_OPEN' });
    const down = new URL(TEST_DATABASE_URL!);
    down.port = '1';
    down.password = 'sup3r-secret';
    const err = await openStore({ path: down.toString(), keyring: Keyring.generate() }).catch(
      (e: Error) => e,
    );
    expect(err).toMatchObject({ code: 'PAL_ERR_STORE_OPEN' });
    expect((err as Error).message).not.toContain('sup3r-secret');
  });
});

describe.each(STORE_ENGINES)('events (%s)', (engine) => {
  it('round-trips an event (raw only on request) and is idempotent by id', async () => {
    const { store } = await fresh(engine);
    const e = ev(7, {
      kind: 'honeypot',
      honeypot: { trap: 'wp-login', username: 'admin', password: 'hunter2', command: 'id' },
      raw_truncated: true,
      outcome: 'failure',
      user: 'alice',
      anomaly_score: 0.61,
    });
    expect(await insertEvents(store, [e, e])).toEqual({ inserted: 1, duplicates: 1 });
    expect(await insertEvents(store, [e])).toEqual({ inserted: 0, duplicates: 1 });
    const withRaw = await getEvent(store, e.id, { withRaw: true });
    expect(withRaw).toEqual(e);
    const plain = await getEvent(store, e.id);
    const { raw: _raw, ...rest } = e;
    expect(plain).toEqual({ ...rest, honeypot: { trap: 'wp-login', username: 'admin', command: 'id' } });
    expect(await countRows(store, 'findings')).toBe(1);
    expect(await countRows(store, 'honeypot_hits')).toBe(1);
    const row = await store.db
      .selectFrom('events')
      .select(['raw_enc', 'raw_key_id'])
      .executeTakeFirstOrThrow();
    expect(row.raw_key_id).toBe('k1');
    expect(row.raw_enc!.includes(Buffer.from('union'))).toBe(false); // encrypted at rest
    expect(await getEvent(store, 'nope')).toBeUndefined();
    expect(await getEvent(store, 'x'.repeat(100))).toBeUndefined();
  });

  it('keeps minimal events minimal', async () => {
    const { store } = await fresh(engine);
    const e: SecurityEvent = {
      id: 'min-1',
      ts: '2026-02-01T00:00:00Z',
      kind: 'auth',
      source: { name: 'log:auth', type: 'log' },
      client: { ip: '192.0.2.1' },
      action: 'allow',
      score: 0,
      severity: 'info',
      findings: [],
    };
    await insertEvents(store, [e]);
    expect(await getEvent(store, 'min-1', { withRaw: true })).toEqual(e);
  });

  it('refuses invalid events with the field named', async () => {
    const { store } = await fresh(engine);
    await expect(insertEvents(store, [ev(1), ev(2, { ts: 'yesterday' })])).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_INVALID_EVENT',
      message: expect.stringContaining('event 1: ts'),
    });
    expect(await countEvents(store)).toBe(0);
    await expect(insertEvents(store, [ev(3, { anomaly_score: Number.NaN })])).rejects.toMatchObject({
      message: expect.stringContaining('anomaly_score must be a finite number'),
    });
  });

  it('filters and pages newest first with an opaque cursor', async () => {
    const { store } = await fresh(engine);
    const events: SecurityEvent[] = [];
    for (let i = 0; i < 30; i++) {
      const over: Partial<SecurityEvent> = {};
      if (i % 3 === 0) {
        over.action = 'allow';
        over.severity = 'info';
        over.findings = [];
      }
      if (i === 5) over.source = { name: 'proxy:edge', type: 'proxy' };
      if (i === 6) over.message = 'odd 100%_match here';
      events.push(ev(i, over));
    }
    // Two events at the same millisecond: the id breaks the tie.
    events.push(ev(100, { id: 'same-a', ts: events[29]!.ts }), ev(101, { id: 'same-b', ts: events[29]!.ts }));
    await insertEvents(store, events);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEvents(store, { limit: 7, cursor });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(32);
    expect(new Set(seen).size).toBe(32);
    expect(seen.slice(0, 3)).toEqual(['same-b', 'same-a', 'evt-00000029']);
    expect(await countEvents(store, { action: 'allow' })).toBe(10);
    expect(await countEvents(store, { severity: 'high' })).toBe(22);
    expect(await countEvents(store, { severity: 'info' })).toBe(32);
    expect(await countEvents(store, { class: 'sqli' })).toBe(22);
    expect(await countEvents(store, { rule: 'sqli.union' })).toBe(22);
    expect(await countEvents(store, { rule: 'xss.script' })).toBe(0);
    expect(await countEvents(store, { source: 'proxy:edge' })).toBe(1);
    expect(await countEvents(store, { ip: '203.0.113.4' })).toBe(1);
    expect(await countEvents(store, { fingerprint: 'fp1' })).toBe(2);
    expect(await countEvents(store, { kind: 'auth' })).toBe(0);
    expect(await countEvents(store, { from: events[10]!.ts, to: Date.parse(events[20]!.ts) })).toBe(10);
    expect(await countEvents(store, { from: String(Date.parse(events[28]!.ts)) })).toBe(4);
    expect(await countEvents(store, { q: '100%_m' })).toBe(1);
    expect(await countEvents(store, { q: '%' })).toBe(1); // % is literal, not a wildcard
    expect(await countEvents(store, { q: 'union+select+12-' })).toBe(1);
    const page = await listEvents(store, { class: 'sqli', limit: 500 });
    expect(page.events.every((e) => e.findings.length === 1 && e.raw === undefined)).toBe(true);
    expect(page.next_cursor).toBeNull();
  });

  it('rejects bad filters and cursors with clear codes', async () => {
    const { store } = await fresh(engine);
    await expect(listEvents(store, { limit: 501 })).rejects.toMatchObject({ code: 'PAL_ERR_STORE_FILTER' });
    await expect(listEvents(store, { limit: 0 })).rejects.toMatchObject({ code: 'PAL_ERR_STORE_FILTER' });
    await expect(listEvents(store, { from: 'not a date' })).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_FILTER',
    });
    await expect(listEvents(store, { severity: 'huge' as never })).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_FILTER',
    });
    await expect(listEvents(store, { action: 'drop' as never })).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_FILTER',
    });
    await expect(listEvents(store, { q: 'x'.repeat(300) })).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_FILTER',
    });
    for (const cursor of ['!!!', 'e30', Buffer.from('["a","b"]').toString('base64url'), 'x'.repeat(300)])
      await expect(listEvents(store, { cursor })).rejects.toMatchObject({ code: 'PAL_ERR_STORE_CURSOR' });
  });
});

describe.each(STORE_ENGINES)('api keys (%s)', (engine) => {
  it('shows the secret once, verifies it, revokes it', async () => {
    const { store } = await fresh(engine);
    const { secret, key } = await createApiKey(store, 'ci', ['ingest', 'read']);
    expect(secret).toMatch(/^pal_[A-Za-z0-9_-]{43}$/);
    expect(key.prefix).toBe(secret.slice(0, 12));
    expect(await verifyApiKey(store, secret)).toMatchObject({ id: key.id, scopes: ['ingest', 'read'] });
    expect(
      await verifyApiKey(store, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`),
    ).toBeUndefined();
    expect(await verifyApiKey(store, 'pal_short')).toBeUndefined();
    expect(await verifyApiKey(store, undefined as never)).toBeUndefined();
    expect(await countApiKeys(store)).toBe(1);
    const listed = await listApiKeys(store);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed[0]!.last_used_ms).not.toBeNull();
    expect(await revokeApiKey(store, key.id)).toBe(true);
    expect(await revokeApiKey(store, key.id)).toBe(false);
    expect(await verifyApiKey(store, secret)).toBeUndefined();
    await expect(createApiKey(store, '', ['read'])).rejects.toMatchObject({ code: 'PAL_ERR_APIKEY_INVALID' });
    await expect(createApiKey(store, 'x', ['root'])).rejects.toMatchObject({
      code: 'PAL_ERR_APIKEY_INVALID',
    });
    await expect(createApiKey(store, 'x', [])).rejects.toMatchObject({ code: 'PAL_ERR_APIKEY_INVALID' });
  });
});

describe.each(STORE_ENGINES)('settings and audit (%s)', (engine) => {
  it('versions every change and refuses a stale writer', async () => {
    const { store } = await fresh(engine);
    expect(await getSetting(store, 'engine.mode')).toBeUndefined();
    expect((await putSetting(store, 'engine.mode', 'monitor', 'alice')).version).toBe(1);
    expect((await putSetting(store, 'engine.mode', 'block', 'bob', { expectedVersion: 1 })).version).toBe(2);
    await expect(
      putSetting(store, 'engine.mode', 'x', 'carol', { expectedVersion: 1 }),
    ).rejects.toMatchObject({
      code: 'PAL_ERR_SETTINGS_CONFLICT',
    });
    expect(await getSetting(store, 'engine.mode')).toMatchObject({
      version: 2,
      value: 'block',
      created_by: 'bob',
    });
    expect((await settingHistory(store, 'engine.mode')).map((s) => s.value)).toEqual(['block', 'monitor']);
    await expect(putSetting(store, 'Bad Key', 1, 'a')).rejects.toMatchObject({
      code: 'PAL_ERR_SETTINGS_INVALID',
    });
    await expect(putSetting(store, 'k', 'x'.repeat(70_000), 'a')).rejects.toMatchObject({
      code: 'PAL_ERR_SETTINGS_INVALID',
    });
    await expect(putSetting(store, 'k', undefined, 'a')).rejects.toMatchObject({
      code: 'PAL_ERR_SETTINGS_INVALID',
    });
  });

  it('appends audit records', async () => {
    const { store } = await fresh(engine);
    await audit(store, 'alice', 'ban.add', '10.0.0.0/8', { reason: 'scan' });
    await audit(store, 'bob', 'settings.put', null, { big: 'x'.repeat(20_000) });
    const rows = await listAudit(store);
    expect(rows.map((r) => r.action)).toEqual(['settings.put', 'ban.add']);
    expect(rows[1]).toMatchObject({ actor: 'alice', target: '10.0.0.0/8', details: { reason: 'scan' } });
    expect(rows[0]!.details).toEqual({ truncated: true, chars: expect.any(Number) });
  });
});
