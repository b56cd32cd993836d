import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import {
  countEvents,
  getEvent,
  insertEvents,
  keyUsage,
  openStore,
  purgeOlderThan,
  retireKey,
  rotateKeys,
  startRetention,
  Keyring,
} from './index.js';
import { makeEvent } from './testdata/events.mjs';
import { sql } from 'kysely';
import { listEventPartitions, partitionDay, partitionName } from './partitions.js';
import { rebuildStats } from './stats-rollup.js';
import { countRows, STORE_ENGINES, tmpStore } from './testdata/tmp-store.mjs';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});
const DAY = 86_400_000;

describe('key rotation', () => {
  it('adds a key to keys.json, re-encrypts every value, then lets the old key go', async () => {
    const t = await tmpStore();
    cleanup = t.cleanup;
    const { store, dir } = t;
    const events = Array.from({ length: 1203 }, (_, i) =>
      makeEvent(i, i % 100 === 0 ? { kind: 'honeypot', honeypot: { trap: 'wp', password: `pw${i}` } } : {}),
    ) as SecurityEvent[];
    await insertEvents(store, events);
    await expect(retireKey(store, 'k1')).rejects.toMatchObject({ code: 'PAL_ERR_KEY_IN_USE' });
    const r = await rotateKeys(store, { batchSize: 100 });
    expect(r).toEqual({ active: 'k2', added: true, raw: 1203, passwords: 13 });
    expect(await keyUsage(store)).toEqual({ k2: 1216 });
    const file = JSON.parse(readFileSync(join(dir, 'sub', 'keys.json'), 'utf8'));
    expect(file.active).toBe('k2');
    await retireKey(store, 'k1');
    expect(store.keyring.ids()).toEqual(['k2']);
    await store.close();
    const again = await openStore({ path: join(dir, 'sub', 'palisade.db'), env: undefined });
    try {
      expect(again.keyring.ids()).toEqual(['k2']);
      const e = await getEvent(again, 'evt-00000100', { withRaw: true });
      expect(e?.raw).toBe(events[100]!.raw);
      expect(e?.honeypot?.password).toBe('pw100');
    } finally {
      await again.close();
    }
  });

  it('says which key is missing instead of returning garbage', async () => {
    const t = await tmpStore();
    cleanup = t.cleanup;
    await insertEvents(t.store, [makeEvent(1) as SecurityEvent]);
    await t.store.close();
    const other = await openStore({
      path: join(t.dir, 'sub', 'palisade.db'),
      keyring: Keyring.generate('k7'),
    });
    try {
      await expect(getEvent(other, 'evt-00000001', { withRaw: true })).rejects.toMatchObject({
        code: 'PAL_ERR_KEY_MISSING',
        message: expect.stringContaining('raw payload of event evt-00000001 was encrypted with key k1'),
      });
      expect(await getEvent(other, 'evt-00000001')).toBeDefined(); // without raw it still reads
    } finally {
      await other.close();
    }
    const wrong = await openStore({
      path: join(t.dir, 'sub', 'palisade.db'),
      keyring: Keyring.generate('k1'),
    });
    try {
      await expect(getEvent(wrong, 'evt-00000001', { withRaw: true })).rejects.toMatchObject({
        code: 'PAL_ERR_KEY_INVALID',
      });
    } finally {
      await wrong.close();
    }
  });
});

describe.each(STORE_ENGINES)('retention (%s)', (engine) => {
  it('deletes old events with their findings and honeypot hits', async () => {
    const t = await tmpStore({ engine });
    cleanup = t.cleanup;
    const { store } = t;
    const now = Date.UTC(2026, 3, 1);
    const at = (i: number, daysAgo: number, over = {}) =>
      makeEvent(i, { ts: new Date(now - daysAgo * DAY).toISOString(), ...over }) as SecurityEvent;
    const events = [
      ...Array.from({ length: 2500 }, (_, i) => at(i, 40)),
      at(9000, 31, { kind: 'honeypot', honeypot: { trap: 'env', password: 'x' } }),
      at(9001, 29),
      at(9002, 1),
    ];
    await insertEvents(store, events);
    const r = await purgeOlderThan(store, 30, now);
    expect(r).toMatchObject({ events: 2501, findings: 2501, honeypot_hits: 1, incident_links: 0 });
    expect(await countEvents(store)).toBe(2);
    expect(await countRows(store, 'findings')).toBe(2);
    expect(await countRows(store, 'honeypot_hits')).toBe(0);
    await expect(purgeOlderThan(store, 0, now)).rejects.toThrow(/positive/);
  });

  it('keeps the statistics exact and every child row consistent across the cutoff', async () => {
    const t = await tmpStore({ engine });
    cleanup = t.cleanup;
    const { store } = t;
    const now = Date.UTC(2026, 3, 10, 12);
    // Four days of events, every 15 minutes; the cutoff falls at 06:00 inside the second day.
    const events = Array.from(
      { length: 4 * 96 },
      (_, i) =>
        makeEvent(i, {
          ts: new Date(Date.UTC(2026, 2, 10) + i * 15 * 60_000).toISOString(),
          ...(i % 7 === 0 ? { kind: 'honeypot', honeypot: { trap: 'env', password: 'x' } } : {}),
        }) as SecurityEvent,
    );
    await insertEvents(store, events);
    const cutoff = Date.UTC(2026, 2, 11, 6);
    const r = await purgeOlderThan(store, (now - cutoff) / DAY, now);
    const gone = events.filter((e) => Date.parse(e.ts) < cutoff);
    expect(r).toMatchObject({
      events: gone.length,
      findings: gone.length,
      honeypot_hits: gone.filter((e) => e.kind === 'honeypot').length,
    });
    expect(await countEvents(store)).toBe(events.length - gone.length);
    expect(await countRows(store, 'findings')).toBe(events.length - gone.length);
    expect(await countRows(store, 'honeypot_hits')).toBe(
      events.filter((e, i) => i >= gone.length && e.kind === 'honeypot').length,
    );
    expect(await getEvent(store, events[gone.length]!.id)).toBeDefined();
    expect(await getEvent(store, gone[gone.length - 1]!.id)).toBeUndefined();
    const rows = async () =>
      (
        await sql<Record<string, unknown>>`SELECT * FROM stats_rollup ORDER BY dim, bucket_ms, item`.execute(
          store.db,
        )
      ).rows;
    const kept = await rows();
    await rebuildStats(store.db);
    expect(kept).toEqual(await rows());
    if (engine === 'postgres') {
      // The first day went as a whole partition; the day of the cutoff stays, with its later rows.
      const days = (await listEventPartitions(store.db)).map((p) => p.name);
      expect(days).toEqual(['events_p20260311', 'events_p20260312', 'events_p20260313']);
    }
  });

  it('runs on a timer and stops cleanly', async () => {
    const t = await tmpStore({ engine });
    cleanup = t.cleanup;
    await insertEvents(t.store, [makeEvent(1, { ts: '2001-01-01T00:00:00Z' }) as SecurityEvent]);
    const done = new Promise((resolve) => {
      const r = startRetention(t.store, {
        days: 30,
        everyMs: 60_000,
        onResult: (res) => resolve(r.stop().then(() => res)),
      });
    });
    expect(await done).toMatchObject({ events: 1 });
  });
});

describe('partition names', () => {
  it('name a UTC day and read back only their own form', () => {
    const day = Date.UTC(2026, 11, 7);
    expect(partitionName(day)).toBe('events_p20261207');
    expect(partitionName(day + 86_399_999)).toBe('events_p20261207');
    expect(partitionDay('events_p20261207')).toBe(day);
    for (const bad of [
      'events_p20261332',
      'events_p2026127',
      'events',
      'events_p20261207; drop',
      'x_p20261207',
    ])
      expect(partitionDay(bad)).toBeUndefined();
    expect(() => partitionName(Number.NaN)).toThrow(RangeError);
  });
});
