import { afterEach, describe, expect, it } from 'vitest';
import { activeBans, addBan, createBanCache, listBans, removeBan } from './index.js';
import { STORE_ENGINES, tmpStore } from './testdata/tmp-store.mjs';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const T0 = Date.UTC(2026, 0, 1);

describe.each(STORE_ENGINES)('bans (%s)', (engine) => {
  it('stores canonical values, honours expiry and removal, and feeds the cache', async () => {
    const t = await tmpStore({ engine });
    cleanup = t.cleanup;
    const { store } = t;
    const base = { reason: 'brute force', source: 'correlate:brute_force', created_by: 'system', now_ms: T0 };
    const a = await addBan(store, { ...base, value: '203.0.113.7' });
    await addBan(store, { ...base, value: '10.1.2.3/8', until: T0 + 60_000 });
    await addBan(store, { ...base, value: '2001:DB8:0:0::/32', until: new Date(T0 + 120_000).toISOString() });
    const fe = await addBan(store, { ...base, value: 'fe80::1' });
    expect((await activeBans(store, T0)).map((b) => b.value).sort()).toEqual(
      ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7', 'fe80::1'].sort(),
    );
    expect((await activeBans(store, T0 + 90_000)).map((b) => b.value)).not.toContain('10.0.0.0/8');

    const cache = createBanCache(store);
    expect(cache.banned('203.0.113.7', T0)).toBeUndefined(); // nothing loaded yet
    await cache.reload(T0);
    expect(cache.size).toBe(4);
    expect(cache.banned('203.0.113.7', T0)).toEqual({ reason: 'brute force', until: null });
    expect(cache.banned('::ffff:203.0.113.7', T0)).toMatchObject({ reason: 'brute force' });
    expect(cache.banned('203.0.113.8', T0)).toBeUndefined();
    expect(cache.banned('10.200.0.1', T0)).toEqual({
      reason: 'brute force',
      until: new Date(T0 + 60_000).toISOString(),
    });
    expect(cache.banned('10.200.0.1', T0 + 60_000)).toBeUndefined(); // expired without a reload
    expect(cache.banned('2001:db8:ffff::9', T0 + 100_000)).toBeDefined();
    expect(cache.banned('2001:db9::9', T0)).toBeUndefined();
    expect(cache.banned('FE80:0::1', T0)).toBeDefined();
    expect(cache.banned('fe80::1%eth0', T0)).toBeDefined();
    expect(cache.banned('not an ip', T0)).toBeUndefined();

    expect(await removeBan(store, a.id, 'alice', T0 + 1)).toBe(true);
    expect(await removeBan(store, a.id, 'alice', T0 + 2)).toBe(false);
    await cache.reload(T0 + 10);
    expect(cache.banned('203.0.113.7', T0 + 10)).toBeUndefined();
    expect((await listBans(store, { all: true })).length).toBe(4);
    expect((await listBans(store, { now_ms: T0 + 10 })).map((b) => b.id)).toContain(fe.id);
  });

  it('refuses bad values and times', async () => {
    const t = await tmpStore({ engine });
    cleanup = t.cleanup;
    const base = { reason: 'r', source: 'api', created_by: 'a', now_ms: T0 };
    for (const value of ['1.2.3', '10.0.0.0/33', 'example.com', ''])
      await expect(addBan(t.store, { ...base, value })).rejects.toMatchObject({
        code: 'PAL_ERR_BAN_INVALID',
      });
    await expect(addBan(t.store, { ...base, value: '1.2.3.4', until: 'soon' })).rejects.toMatchObject({
      code: 'PAL_ERR_BAN_INVALID',
    });
    await expect(addBan(t.store, { ...base, value: '1.2.3.4', until: T0 - 1 })).rejects.toThrow(/past/);
    await expect(addBan(t.store, { ...base, value: '1.2.3.4', reason: '' })).rejects.toThrow(/reason/);
  });

  it('an expired exact ban does not hide a covering network ban', () => {
    const cache = createBanCache();
    const ban = (value: string, until_ms: number | null) => ({
      id: 1,
      value,
      reason: value,
      source: 's',
      created: '',
      created_ms: 0,
      created_by: 'a',
      until: until_ms === null ? null : new Date(until_ms).toISOString(),
      until_ms,
      removed_ms: null,
      removed_by: null,
    });
    cache.load([ban('192.0.2.1', 10), ban('192.0.2.0/24', null)]);
    expect(cache.banned('192.0.2.1', 5)?.reason).toBe('192.0.2.1');
    expect(cache.banned('192.0.2.1', 50)?.reason).toBe('192.0.2.0/24');
  });
});
