/**
 * Statistics on a real SQLite file: exact counts over ranges that cut buckets (checked against the
 * events list's own counting), a replayed batch counted once, the backfill equal to the counts kept
 * on insert, and the findings list's pages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from './crypto.js';
import { countEvents, insertEvents } from './events.js';
import { openStore, type Store } from './store.js';
import { rebuildStats } from './stats-rollup.js';
import {
  listFindings,
  resolveStatsRange,
  statsClasses,
  statsCountries,
  statsGeoPoints,
  statsRules,
  statsSources,
  statsSummary,
  statsTimeline,
} from './stats.js';
import { STATS_EVENTS, STATS_STEP_MS, STATS_T0, eventsIn } from './testdata/stats-events.js';

let dir: string;
let store: Store;
const END = STATS_T0 + STATS_EVENTS.length * STATS_STEP_MS;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-stats-'));
  store = await openStore({ path: join(dir, 'p.db'), keyring: Keyring.generate() });
  // In three batches, the last one overlapping the second: replayed events must not count twice.
  await insertEvents(store, STATS_EVENTS.slice(0, 100));
  await insertEvents(store, STATS_EVENTS.slice(100, 250));
  const replay = await insertEvents(store, STATS_EVENTS.slice(200));
  expect(replay).toEqual({ inserted: 50, duplicates: 50 });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Ranges that start and end inside minutes and hours, and ones inside a single minute. */
const RANGES: [number, number][] = [
  [STATS_T0, END],
  [STATS_T0 - 3_600_000, END + 3_600_000],
  [STATS_T0 + 17 * 60_000 + 12_345, STATS_T0 + 2 * 3_600_000 + 5 * 60_000 + 1],
  [STATS_T0 + 59 * 60_000 + 45_000, STATS_T0 + 61 * 60_000 + 15_000],
  [STATS_T0 + 90_000, STATS_T0 + 90_001],
  [STATS_T0 + 3_600_000, STATS_T0 + 7_200_000],
];

describe('statistics', () => {
  it('counts exactly what the events list counts, for ranges cutting buckets', async () => {
    for (const [from_ms, to_ms] of RANGES) {
      const r = { from_ms, to_ms };
      const f = { from: from_ms, to: to_ms };
      const s = await statsSummary(store, r);
      const inRange = eventsIn(from_ms, to_ms);
      expect(s.events, `${from_ms}`).toBe(await countEvents(store, f));
      expect(s.events).toBe(inRange.length);
      expect(s.blocked).toBe(await countEvents(store, { ...f, action: 'block' }));
      expect(s.logged).toBe(await countEvents(store, { ...f, action: 'log' }));
      expect(s.alerts.critical).toBe(await countEvents(store, { ...f, severity: 'critical' }));
      expect(s.alerts.low).toBe(inRange.filter((e) => e.severity === 'low').length);
      expect(s.alerts.info).toBe(0);
      expect(s.sources).toBe(new Set(inRange.map((e) => e.client.ip)).size);
      for (const c of await statsClasses(store, r))
        expect(c.count).toBe(await countEvents(store, { ...f, class: c.class }));
      for (const x of await statsRules(store, r, 100))
        expect(x.count).toBe(await countEvents(store, { ...f, rule: x.rule }));
      const sources = await statsSources(store, r, 100);
      for (const x of sources) {
        expect(x.count).toBe(await countEvents(store, { ...f, ip: x.ip }));
        expect(x.blocked).toBe(await countEvents(store, { ...f, ip: x.ip, action: 'block' }));
      }
      const countries = await statsCountries(store, r, 100);
      expect(countries.reduce((a, c) => a + c.count, 0)).toBe(s.events);
      const t = await statsTimeline(store, r);
      expect(t.points.reduce((a, p) => a + p.events, 0)).toBe(s.events);
      expect(t.points.reduce((a, p) => a + p.blocked, 0)).toBe(s.blocked);
    }
  });

  it('names the top items with their labels, most first, within the limit', async () => {
    const r = { from_ms: STATS_T0, to_ms: END };
    expect(await statsCountries(store, r, 2)).toEqual([
      { country: 'DE', count: 86 },
      { country: 'US', count: 86 },
    ]);
    expect(await statsClasses(store, r)).toEqual([
      { class: 'sqli', count: 60 },
      { class: 'xss', count: 60 },
    ]);
    expect(await statsRules(store, r, 10)).toEqual([
      { rule: 'sqli.union', class: 'sqli', count: 60 },
      { rule: 'xss.script', class: 'xss', count: 60 },
      { rule: 'sqli.tautology', class: 'sqli', count: 30 },
    ]);
    // 203.0.113.0 sends events 0, 7, 14, ...: 43 of them; 0, 35, 70, ... are blocked (9).
    expect((await statsSources(store, r, 1))[0]).toEqual({
      ip: '203.0.113.0',
      count: 43,
      blocked: 9,
      country: 'DE',
    });
    const geo = await statsGeoPoints(store, r, 2000);
    expect(geo).toHaveLength(6);
    expect(geo[0]).toEqual({ lat: 39, lon: -77.5, country: 'US', city: 'Ashburn', count: 86 });
    expect(geo.find((p) => p.city === 'São Paulo')).toEqual({
      lat: -23.6,
      lon: -46.6,
      country: 'BR',
      city: 'São Paulo',
      count: 42,
    });
  });

  it('puts events on bucket boundaries into the bucket they start, and fills empty buckets', async () => {
    const t = await statsTimeline(store, { from_ms: STATS_T0, to_ms: STATS_T0 + 3 * 3_600_000 }, 3_600_000);
    expect(t.bucket_ms).toBe(3_600_000);
    expect(t.points.map((p) => [p.t_ms - STATS_T0, p.events, p.blocked])).toEqual([
      [0, 120, 24],
      [3_600_000, 120, 24],
      [7_200_000, 60, 12],
    ]);
    const m = await statsTimeline(store, { from_ms: STATS_T0 - 60_000, to_ms: STATS_T0 + 120_000 }, 60_000);
    expect(m.points.map((p) => [p.t_ms - STATS_T0, p.events, p.alerts])).toEqual([
      [-60_000, 0, 0],
      [0, 2, 2],
      [60_000, 2, 0],
    ]);
  });

  it('picks a bucket giving at most 300 points, refuses too many and unknown sizes', async () => {
    const day = { from_ms: STATS_T0, to_ms: STATS_T0 + 86_400_000 };
    expect((await statsTimeline(store, day)).bucket_ms).toBe(300_000);
    expect((await statsTimeline(store, day)).points).toHaveLength(288);
    expect(
      (await statsTimeline(store, { from_ms: STATS_T0, to_ms: STATS_T0 + 7 * 86_400_000 })).bucket_ms,
    ).toBe(3_600_000);
    await expect(statsTimeline(store, { from_ms: 0, to_ms: 100 * 86_400_000 }, 60_000)).rejects.toMatchObject(
      {
        details: { field: 'bucket' },
      },
    );
    await expect(statsTimeline(store, day, 7)).rejects.toMatchObject({ details: { field: 'bucket' } });
  });

  it('defaults to the last 24 h and refuses a bad range naming the field', () => {
    expect(resolveStatsRange({}, 1_000_000_000)).toEqual({
      from_ms: 1_000_000_000 - 86_400_000,
      to_ms: 1_000_000_000,
    });
    expect(resolveStatsRange({ from: '2026-01-10T00:00:00Z', to: String(STATS_T0 + 5) }, 0)).toEqual({
      from_ms: STATS_T0,
      to_ms: STATS_T0 + 5,
    });
    expect(() => resolveStatsRange({ from: 'yesterday' }, 0)).toThrow(
      expect.objectContaining({ details: { field: 'from' } }),
    );
    expect(() => resolveStatsRange({ from: 10, to: 10 }, 0)).toThrow(
      expect.objectContaining({ details: { field: 'to' } }),
    );
    expect(() => resolveStatsRange({ from: 0, to: 401 * 86_400_000 }, 0)).toThrow(
      expect.objectContaining({ details: { field: 'from' } }),
    );
  });

  it('backfills the same rollup rows as were counted on insert', async () => {
    const dump = async () =>
      (await sql`SELECT * FROM stats_rollup ORDER BY dim, bucket_ms, item`.execute(store.db)).rows;
    const live = await dump();
    expect(live.length).toBeGreaterThan(0);
    await rebuildStats(store.db);
    expect(await dump()).toEqual(live);
  });
});

describe('findings list', () => {
  it('pages through every finding newest first with the cursor, and filters', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let last = Infinity;
    for (let page = 0; page < 20; page++) {
      const p = await listFindings(store, { limit: 40, ...(cursor ? { cursor } : {}) });
      for (const f of p.findings) {
        expect(f.ts_ms).toBeLessThanOrEqual(last);
        last = f.ts_ms;
        seen.push(`${f.event_id} ${f.rule}`);
      }
      if (p.next_cursor === null) break;
      cursor = p.next_cursor;
    }
    expect(seen).toHaveLength(150);
    expect(new Set(seen).size).toBe(150);
    expect(Object.keys((await listFindings(store, { limit: 1 })).findings[0]!).sort()).toEqual(
      ['class', 'event_id', 'evidence', 'location', 'rule', 'severity', 'ts_ms'].sort(),
    );
    const xss = await listFindings(store, { class: 'xss', limit: 500 });
    expect(xss.findings).toHaveLength(60);
    expect(xss.next_cursor).toBeNull();
    const high = await listFindings(store, { severity: 'high', limit: 500 });
    expect(high.findings).toHaveLength(90);
    const hour = await listFindings(store, { from: STATS_T0, to: STATS_T0 + 3_600_000, rule: 'sqli.union' });
    expect(hour.findings).toHaveLength(24);
    await expect(listFindings(store, { cursor: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject({
      code: 'PAL_ERR_STORE_CURSOR',
    });
  });
});
