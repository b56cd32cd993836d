/**
 * The statistics, geo and findings routes through the real app and pipeline on a SQLite file:
 * the read scope, closed querystrings whose refusals name the field, and the response shapes.
 * (Counting itself is tested in store/stats.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, insertEvents } from '../store/index.js';
import { STATS_EVENTS, STATS_STEP_MS, STATS_T0 } from '../store/testdata/stats-events.js';
import type { Pipeline } from './pipeline.js';
import { initialApiKey, openTestApp, testClient, type TestApp } from './test-client.js';

let testApp: TestApp;
let pipeline: Pipeline;
let app: TestApp['app'];
let admin: string;
let ingestKey: string;
let readKey: string;
const call = testClient(() => app);
const RANGE = `from=${new Date(STATS_T0).toISOString()}&to=${STATS_T0 + STATS_EVENTS.length * STATS_STEP_MS}`;

const ROUTES = [
  '/api/v1/stats/summary',
  '/api/v1/stats/timeline',
  '/api/v1/stats/classes',
  '/api/v1/stats/countries',
  '/api/v1/stats/sources',
  '/api/v1/stats/rules',
  '/api/v1/geo/points',
  '/api/v1/findings',
];

beforeAll(async () => {
  testApp = await openTestApp('palisade-routes-stats-');
  ({ pipeline, app } = testApp);
  admin = await initialApiKey(pipeline);
  ingestKey = (await createApiKey(pipeline.store, 'sensor', ['ingest'])).secret;
  readKey = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
  await insertEvents(pipeline.store, STATS_EVENTS);
  await app.ready();
});

afterAll(() => testApp?.close());

describe('statistics routes', () => {
  it('need a key with the read scope', async () => {
    for (const url of ROUTES) {
      const none = await call('GET', url);
      expect(none.status, url).toBe(401);
      expect(none.json().error.code).toBe('PAL_ERR_AUTH_REQUIRED');
      const wrong = await call('GET', url, ingestKey);
      expect(wrong.status, url).toBe(403);
      expect(wrong.json().error.code).toBe('PAL_ERR_FORBIDDEN');
      expect((await call('GET', url, readKey)).status, url).toBe(200);
    }
  });

  it('answer the contract shapes', async () => {
    expect((await call('GET', `/api/v1/stats/summary?${RANGE}`, readKey)).json()).toEqual({
      events: 300,
      blocked: 60,
      logged: 60,
      alerts: { critical: 20, high: 40, medium: 60, low: 6, info: 0 },
      open_incidents: 0,
      sources: 7,
    });
    const t = (await call('GET', `/api/v1/stats/timeline?${RANGE}&bucket=3600000`, readKey)).json();
    expect(t).toEqual({
      bucket_ms: 3_600_000,
      points: [
        { t_ms: STATS_T0, events: 120, blocked: 24, alerts: 51 },
        { t_ms: STATS_T0 + 3_600_000, events: 120, blocked: 24, alerts: 50 },
        { t_ms: STATS_T0 + 7_200_000, events: 60, blocked: 12, alerts: 25 },
      ],
    });
    expect((await call('GET', `/api/v1/stats/timeline?${RANGE}`, readKey)).json().bucket_ms).toBe(60_000);
    expect((await call('GET', `/api/v1/stats/classes?${RANGE}`, readKey)).json().classes).toHaveLength(2);
    const countries = (await call('GET', `/api/v1/stats/countries?${RANGE}`, readKey)).json().countries;
    // Attack origins only: Tokyo's benign address (60 events) is no source, JP no country.
    expect(countries.map((c: { country: string }) => c.country)).toEqual(['US', 'DE', 'CN', 'FR', 'BR']);
    expect((await call('GET', `/api/v1/stats/countries?${RANGE}&limit=1`, admin)).json().countries).toEqual([
      { country: 'US', count: 37 },
    ]);
    expect((await call('GET', `/api/v1/stats/sources?${RANGE}&limit=2`, readKey)).json().sources).toEqual([
      { ip: '203.0.113.1', count: 19, blocked: 9, country: 'US' },
      { ip: '203.0.113.0', count: 18, blocked: 9, country: 'DE' },
    ]);
    expect((await call('GET', `/api/v1/stats/rules?${RANGE}&limit=1`, readKey)).json().rules).toEqual([
      { rule: 'sqli.union', class: 'sqli', count: 60 },
    ]);
    expect((await call('GET', `/api/v1/geo/points?${RANGE}&limit=1`, readKey)).json().points).toEqual([
      { lat: 39, lon: -77.5, country: 'US', city: 'Ashburn', count: 37 },
    ]);
    const page = (await call('GET', `/api/v1/findings?${RANGE}&class=xss&limit=50`, readKey)).json();
    expect(page.findings).toHaveLength(50);
    const rest = await call('GET', `/api/v1/findings?class=xss&cursor=${page.next_cursor}`, readKey);
    expect(rest.json()).toMatchObject({ next_cursor: null });
    expect(rest.json().findings).toHaveLength(10);
    // Nothing in the last 24 h (the events are in 2026-01): the default range is counted, not all time.
    expect((await call('GET', '/api/v1/stats/summary', readKey)).json().events).toBe(0);
  });

  it('refuse bad values naming the field', async () => {
    const cases: [string, string][] = [
      ['/api/v1/stats/summary?from=yesterday', 'from'],
      ['/api/v1/stats/summary?from=2026-01-10&to=2026-01-09', 'to'],
      ['/api/v1/stats/summary?since=1', 'since'],
      ['/api/v1/stats/timeline?bucket=7', 'bucket'],
      ['/api/v1/stats/timeline?from=0&to=8640000000&bucket=60000', 'bucket'],
      ['/api/v1/stats/countries?limit=101', 'limit'],
      ['/api/v1/stats/sources?limit=0', 'limit'],
      ['/api/v1/geo/points?limit=2001', 'limit'],
      ['/api/v1/findings?severity=huge', 'severity'],
      ['/api/v1/findings?limit=501', 'limit'],
      [`/api/v1/findings?from=${'9'.repeat(41)}`, 'from'],
    ];
    for (const [url, field] of cases) {
      const r = await call('GET', url, readKey);
      expect(r.status, url).toBe(400);
      expect(r.json().error, url).toMatchObject({ code: 'PAL_ERR_VALIDATION', details: { field } });
    }
    const bad = await call('GET', '/api/v1/findings?cursor=bm90IGEgY3Vyc29y', readKey);
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('PAL_ERR_STORE_CURSOR');
  });
});
