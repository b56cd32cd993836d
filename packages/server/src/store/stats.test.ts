/**
 * Statistics on a real SQLite file and, when PALISADE_TEST_DATABASE_URL is set, on PostgreSQL: exact counts over ranges that cut buckets (checked against the
 * events list's own counting), attack origins (sources, countries, geo) of alert events only while a
 * busier benign address stays out, a replayed batch counted once, the backfill equal to the counts
 * kept on insert, the rollup still exact after retention cut a bucket, and the findings list's pages.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, insertEvents } from './events.js';
import type { Store } from './store.js';
import { purgeOlderThan } from './retention.js';
import { grainOf, HOUR_MS, rebuildStats, STATS_DIMS } from './stats-rollup.js';
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
import { STORE_ENGINES, tmpStore } from './testdata/tmp-store.mjs';
import {
  STATS_EVENTS,
  STATS_STEP_MS,
  STATS_T0,
  eventsIn,
  isAlert,
  statsEvent,
} from './testdata/stats-events.js';

const END = STATS_T0 + STATS_EVENTS.length * STATS_STEP_MS;
const DAY = 86_400_000;

/** Ranges that start and end inside minutes and hours, and ones inside a single minute. */
const RANGES: [number, number][] = [
  [STATS_T0, END],
  [STATS_T0 - 3_600_000, END + 3_600_000],
  [STATS_T0 + 17 * 60_000 + 12_345, STATS_T0 + 2 * 3_600_000 + 5 * 60_000 + 1],
  [STATS_T0 + 59 * 60_000 + 45_000, STATS_T0 + 61 * 60_000 + 15_000],
  [STATS_T0 + 90_000, STATS_T0 + 90_001],
  [STATS_T0 + 3_600_000, STATS_T0 + 7_200_000],
];

describe.each(STORE_ENGINES)('on %s', (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await tmpStore({ engine }));
    // In three batches, the last one overlapping the second: replayed events must not count twice.
    await insertEvents(store, STATS_EVENTS.slice(0, 100));
    await insertEvents(store, STATS_EVENTS.slice(100, 250));
    const replay = await insertEvents(store, STATS_EVENTS.slice(200));
    expect(replay).toEqual({ inserted: 50, duplicates: 50 });
  });

  afterAll(async () => {
    await cleanup?.();
  });

  describe('statistics', () => {
    it('counts every incident still open or acknowledged as open, whatever the range', async () => {
      const incident = (status: string, seen: number) => ({
        type: 'brute_force',
        severity: 'high',
        status,
        first_seen_ms: seen,
        last_seen_ms: seen,
        key_ip: '203.0.113.7',
        key_user: null,
        key_target: null,
        count: 5,
        rule: 'brute_force',
        rule_version: 1,
        thresholds: '{}',
        summary: null,
        created_ms: seen,
        updated_ms: seen,
        ref: `test-${status}-${seen}`,
        details: null,
        assignee: null,
      });
      const old = STATS_T0 - 30 * 86_400_000;
      await store.db
        .insertInto('incidents')
        .values([incident('open', old), incident('acknowledged', END), incident('resolved', END)])
        .execute();
      const summary = await statsSummary(store, resolveStatsRange({ from: STATS_T0, to: END }, END));
      expect(summary.open_incidents).toBe(2);
      await store.db.deleteFrom('incidents').execute();
    });

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
        const alerts = inRange.filter(isAlert);
        const attackers = new Set(alerts.map((e) => e.client.ip));
        expect(s.sources).toBe(attackers.size);
        for (const c of await statsClasses(store, r))
          expect(c.count).toBe(await countEvents(store, { ...f, class: c.class }));
        for (const x of await statsRules(store, r, 100))
          expect(x.count).toBe(await countEvents(store, { ...f, rule: x.rule }));
        const sources = await statsSources(store, r, 100);
        expect(sources.map((x) => x.ip).sort()).toEqual([...attackers].sort());
        for (const x of sources) {
          expect(x.count).toBe(alerts.filter((e) => e.client.ip === x.ip).length);
          expect(x.blocked).toBe(await countEvents(store, { ...f, ip: x.ip, action: 'block' }));
        }
        const countries = await statsCountries(store, r, 100);
        expect(countries.reduce((a, c) => a + c.count, 0)).toBe(alerts.length);
        expect(countries.map((c) => c.country)).not.toContain('JP');
        const geo = await statsGeoPoints(store, r, 2000);
        expect(geo.reduce((a, p) => a + p.count, 0)).toBe(alerts.length);
        const t = await statsTimeline(store, r);
        expect(t.points.reduce((a, p) => a + p.events, 0)).toBe(s.events);
        expect(t.points.reduce((a, p) => a + p.blocked, 0)).toBe(s.blocked);
      }
    });

    it('names the top items with their labels, most first, within the limit', async () => {
      const r = { from_ms: STATS_T0, to_ms: END };
      // Attack origins: 198.51.100.7 in Tokyo sends 60 benign events (more than any attacker) and is
      // no origin; the attackers' benign events are not counted either.
      expect(await statsCountries(store, r, 2)).toEqual([
        { country: 'US', count: 37 },
        { country: 'DE', count: 36 },
      ]);
      expect((await statsCountries(store, r, 100)).map((c) => c.country)).toEqual([
        'US',
        'DE',
        'CN',
        'FR',
        'BR',
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
      // 203.0.113.1 sends events 1, 8, 15, ... (43 in all, 34 not from Tokyo): 19 alert (every one
      // with i % 5 of 0 or 1, and event 57 rated low); 15, 50, 85, ... are blocked (9).
      expect((await statsSources(store, r, 1))[0]).toEqual({
        ip: '203.0.113.1',
        count: 19,
        blocked: 9,
        country: 'US',
      });
      const sources = await statsSources(store, r, 100);
      expect(sources).toHaveLength(7);
      expect(sources.map((x) => x.ip)).not.toContain('198.51.100.7');
      expect((await statsSummary(store, r)).sources).toBe(7);
      const geo = await statsGeoPoints(store, r, 2000);
      expect(geo).toHaveLength(6);
      expect(geo.map((p) => p.city)).not.toContain('Tokyo');
      expect(geo[0]).toEqual({ lat: 39, lon: -77.5, country: 'US', city: 'Ashburn', count: 37 });
      expect(geo.find((p) => p.city === 'São Paulo')).toEqual({
        lat: -23.6,
        lon: -46.6,
        country: 'BR',
        city: 'São Paulo',
        count: 17,
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
      await expect(
        statsTimeline(store, { from_ms: 0, to_ms: 100 * 86_400_000 }, 60_000),
      ).rejects.toMatchObject({
        details: { field: 'bucket' },
      });
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

  describe('statistics after retention', () => {
    it('drops the rollup rows before the cutoff and keeps the cut bucket exact', async () => {
      const { store: s, cleanup: done } = await tmpStore({ engine });
      try {
        await insertEvents(s, STATS_EVENTS);
        // Inside an hour and inside a minute: events 0..155 go, 156.. stay.
        const cutoff = STATS_T0 + 77 * 60_000 + 45_000;
        const r = await purgeOlderThan(s, 1, cutoff + 86_400_000);
        expect(r.events).toBe(156);
        expect(r.stats_rows).toBeGreaterThan(0);
        const rows = async () =>
          (
            await sql<
              Record<string, unknown>
            >`SELECT * FROM stats_rollup ORDER BY dim, bucket_ms, item`.execute(s.db)
          ).rows;
        const kept = await rows();
        for (const dim of STATS_DIMS) {
          const grain = grainOf(dim);
          const first = Math.min(...kept.filter((x) => x.dim === dim).map((x) => Number(x.bucket_ms)));
          expect(first + grain, dim).toBeGreaterThan(cutoff);
        }
        // Exactly what a recount of the remaining events gives (no row of purged events left over).
        await rebuildStats(s.db);
        expect(kept).toEqual(await rows());
        const all = { from_ms: STATS_T0, to_ms: END };
        const left = eventsIn(cutoff, END);
        const sum = await statsSummary(s, all);
        expect(sum.events).toBe(left.length);
        expect(sum.blocked).toBe(left.filter((e) => e.action === 'block').length);
        const hour = await statsSources(
          s,
          { from_ms: STATS_T0 + HOUR_MS, to_ms: STATS_T0 + 2 * HOUR_MS },
          100,
        );
        expect(hour.reduce((a, x) => a + x.count, 0)).toBe(
          eventsIn(cutoff, STATS_T0 + 2 * HOUR_MS).filter(isAlert).length,
        );
      } finally {
        await done();
      }
    });
  });

  describe('statistics over days', () => {
    it('reads whole days from the day level and stays exact across day, hour and minute edges', async () => {
      const { store: s, cleanup: done } = await tmpStore({ engine });
      try {
        // 500 events 17 minutes apart: about 6 days, so ranges hold whole days, hours and minutes.
        const step = 17 * 60_000;
        const events = Array.from({ length: 500 }, (_, i) => ({
          ...statsEvent(i),
          id: `day-${i}`,
          ts: new Date(STATS_T0 + i * step).toISOString(),
        }));
        await insertEvents(s, events);
        const at = (e: { ts: string }) => Date.parse(e.ts);
        const ranges: [number, number][] = [
          [STATS_T0, STATS_T0 + 500 * step],
          [STATS_T0 + 5 * 60_000 + 7, STATS_T0 + 4 * DAY + 3 * HOUR_MS + 11 * 60_000 + 1],
          [STATS_T0 + DAY, STATS_T0 + 3 * DAY],
          [STATS_T0 + DAY - 1, STATS_T0 + 2 * DAY + 1],
        ];
        for (const [from, to] of ranges) {
          const inRange = events.filter((e) => at(e) >= from && at(e) < to);
          const alerts = inRange.filter(isAlert);
          const byIp = new Map<string, number>();
          for (const e of alerts) byIp.set(e.client.ip, (byIp.get(e.client.ip) ?? 0) + 1);
          const r = { from_ms: from, to_ms: to };
          const sources = await statsSources(s, r, 100);
          expect(new Map(sources.map((x) => [x.ip, x.count])), `${from}..${to}`).toEqual(byIp);
          expect((await statsSummary(s, r)).sources).toBe(byIp.size);
          const geo = await statsGeoPoints(s, r, 100);
          expect(geo.reduce((a, g) => a + g.count, 0)).toBe(alerts.length);
        }
        // The week's rows: per address one a day, not one an hour.
        const { rows } = await sql<{
          n: unknown;
        }>`SELECT count(*) AS n FROM stats_rollup WHERE dim = 'ip_day'`.execute(s.db);
        expect(Number(rows[0]!.n)).toBeLessThanOrEqual(7 * 7);
      } finally {
        await done();
      }
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
      const hour = await listFindings(store, {
        from: STATS_T0,
        to: STATS_T0 + 3_600_000,
        rule: 'sqli.union',
      });
      expect(hour.findings).toHaveLength(24);
      await expect(listFindings(store, { cursor: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject({
        code: 'PAL_ERR_STORE_CURSOR',
      });
    });
  });
});
