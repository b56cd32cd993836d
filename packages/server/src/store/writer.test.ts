import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { DropError } from '../sink.js';
import { countEvents, createWriter, getEvent } from './index.js';
import { makeEvent } from './testdata/events.mjs';
import { nativeDb, STORE_ENGINES, tmpStore } from './testdata/tmp-store.mjs';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});
const ev = (i: number, over: Record<string, unknown> = {}) => makeEvent(i, over) as SecurityEvent;
async function setup(engine: 'sqlite' | 'postgres') {
  const t = await tmpStore({ engine });
  cleanup = t.cleanup;
  return t.store;
}

describe.each(STORE_ENGINES)('writer (%s)', (engine) => {
  it('acknowledges only committed events, in batches, idempotently', async () => {
    const store = await setup(engine);
    const w = createWriter(store, { batchSize: 50, flushMs: 5 });
    const events = Array.from({ length: 180 }, (_, i) => ev(i));
    await Promise.all(
      events.map(async (e) => {
        await w.submit(e);
        // Acknowledged means it is readable now.
        expect(await getEvent(store, e.id)).toBeDefined();
      }),
    );
    await Promise.all(events.slice(0, 10).map((e) => w.submit(e)));
    const s = w.stats();
    expect(s).toMatchObject({ written: 190, inserted: 180, queued: 0 });
    expect(s.batches).toBeGreaterThanOrEqual(4);
    expect(await countEvents(store)).toBe(180);
    await w.close();
  });

  it('rejects invalid events with a counted reason and keeps the rest', async () => {
    const store = await setup(engine);
    const w = createWriter(store, { flushMs: 1 });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ id: 'x'.repeat(65) }, /id is longer/],
      [{ id: '' }, /id is empty/],
      [{ ts: 'not a time' }, /ts is not a valid time/],
      [{ kind: 'weird' }, /kind must be/],
      [{ http: { method: 'GET', path: 'p'.repeat(8193) } }, /http.path is longer than 8192/],
      [{ http: { method: 'GET', path: '/', user_agent: 'u'.repeat(1025) } }, /user_agent/],
      [{ message: 'm'.repeat(4097) }, /message/],
      [{ raw: 'r'.repeat(256 * 1024 + 1) }, /raw/],
      [{ findings: Array.from({ length: 201 }, () => ev(0).findings[0]) }, /more than 200 findings/],
      [{ score: Number.NaN }, /score/],
      [{ client: {} }, /client.ip/],
      [{ source: { name: 's', type: 'mystery' } }, /source.type/],
    ];
    const results = await Promise.allSettled([
      ...bad.map(([over], i) => w.submit(ev(i, over))),
      w.submit(ev(99)),
    ]);
    bad.forEach(([, re], i) => {
      const r = results[i]!;
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as DropError;
      expect(err).toBeInstanceOf(DropError);
      expect(err.reason).toBe('invalid');
      expect(err.message).toMatch(re);
    });
    expect(results.at(-1)!.status).toBe('fulfilled');
    expect(w.stats().dropped.invalid).toBe(bad.length);
    await expect(w.submit(null as never)).rejects.toMatchObject({ reason: 'invalid' });
    await w.close();
  });

  it('refuses with queue_full when full, offers back-pressure, and refuses after close', async () => {
    const store = await setup(engine);
    const w = createWriter(store, { maxQueue: 10, batchSize: 100, flushMs: 50 });
    const accepted = Array.from({ length: 10 }, (_, i) => w.submit(ev(i)));
    expect(w.writable()).toBe(false);
    await expect(w.submit(ev(10))).rejects.toMatchObject({ reason: 'queue_full' });
    expect(w.stats().dropped.queue_full).toBe(1);
    await w.drained();
    expect(w.writable()).toBe(true);
    expect(await w.waitWritable(10)).toBe(true);
    await Promise.all(accepted);
    const late = w.submit(ev(20));
    await w.close();
    await late; // queued before close: flushed
    await expect(w.submit(ev(21))).rejects.toMatchObject({ reason: 'closing' });
    expect(w.stats().dropped).toEqual({ queue_full: 1, invalid: 0, closing: 1, write_failed: 0 });
    expect(await countEvents(store)).toBe(11);
  });

  it('rejects a failed batch with write_failed and keeps going', async () => {
    const store = await setup(engine);
    const w = createWriter(store, { batchSize: 10, flushMs: 1 });
    // A trigger makes the next insert fail the way a full disk would: the whole batch rolls back.
    if (engine === 'sqlite')
      nativeDb(store).exec(
        "CREATE TRIGGER fail BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END",
      );
    else {
      await sql`CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$`.execute(
        store.db,
      );
      await sql`CREATE TRIGGER fail BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail()`.execute(
        store.db,
      );
    }
    const failed = await Promise.allSettled([w.submit(ev(1)), w.submit(ev(2))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ reason: 'write_failed' });
    expect(w.stats().last_error).toMatch(/disk full/);
    await sql`DROP TRIGGER fail${sql.raw(engine === 'sqlite' ? '' : ' ON events')}`.execute(store.db);
    await w.submit(ev(3));
    expect(w.stats()).toMatchObject({ written: 1, dropped: { write_failed: 2 } });
    expect(await countEvents(store)).toBe(1);
    await w.close();
  });
});
