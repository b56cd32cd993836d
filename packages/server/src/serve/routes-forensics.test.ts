/**
 * The forensics routes through the real app and pipeline on a SQLite file: the read scope, answers
 * equal to the analyses run directly (the analyses themselves are tested in
 * forensics/forensics.test.ts), ISO and epoch-ms times, and 400s in the API's error shape naming
 * the field for every bound: windows, gaps, limits, the range, parameters of another analysis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSES, resolveForensicsParams, runForensics } from '../forensics/index.js';
import { FORENSIC_EVENTS, T0, T_END } from '../forensics/testdata/forensic-events.js';
import { createApiKey, insertEvents } from '../store/index.js';
import type { Pipeline } from './pipeline.js';
import { openTestApp, testClient, type TestApp } from './test-client.js';

let testApp: TestApp;
let pipeline: Pipeline;
let app: TestApp['app'];
let readKey: string;
let ingestKey: string;
const call = testClient(() => app);
const RANGE = `from=${new Date(T0).toISOString()}&to=${T_END}`;

beforeAll(async () => {
  testApp = await openTestApp('palisade-routes-forensics-');
  ({ pipeline, app } = testApp);
  readKey = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
  ingestKey = (await createApiKey(pipeline.store, 'sensor', ['ingest'])).secret;
  await insertEvents(pipeline.store, FORENSIC_EVENTS);
  await app.ready();
});

afterAll(() => testApp?.close());

describe('forensics routes', () => {
  it('need the read scope', async () => {
    for (const a of ANALYSES) {
      const url = `/api/v1/forensics/${a}?${RANGE}`;
      expect((await call('GET', url)).json().error.code, a).toBe('PAL_ERR_AUTH_REQUIRED');
      expect((await call('GET', url, ingestKey)).status, a).toBe(403);
      expect((await call('GET', url, readKey)).status, a).toBe(200);
    }
  });

  it('answer what the analyses give, with their parameters', async () => {
    const cases: [(typeof ANALYSES)[number], string, Record<string, number>][] = [
      ['burst', 'window_secs=30&threshold=50&limit=2', { window_secs: 30, threshold: 50, limit: 2 }],
      ['distributed-bruteforce', 'min_sources=3', { min_sources: 3 }],
      ['top-talkers', 'limit=5', { limit: 5 }],
      ['sessions', 'gap_secs=600', { gap_secs: 600 }],
    ];
    for (const [a, qs, input] of cases) {
      const res = await call('GET', `/api/v1/forensics/${a}?${RANGE}&${qs}`, readKey);
      expect(res.status, a).toBe(200);
      const body = res.json();
      const direct = await runForensics(
        pipeline.store,
        resolveForensicsParams(a, { from: T0, to: T_END, ...input }, 0),
      );
      expect(body, a).toEqual(JSON.parse(JSON.stringify(direct)));
      expect(body.rows.length, a).toBeGreaterThan(0);
    }
    const burst = (await call('GET', `/api/v1/forensics/burst?${RANGE}&limit=1`, readKey)).json();
    expect(burst).toMatchObject({
      analysis: 'burst',
      params: { from_ms: T0, to_ms: T_END, window_secs: 60, threshold: 100, limit: 1 },
      rows: [{ source: '10.0.0.2', peak_events: 120 }],
      truncated: true,
    });
  });

  it('refuse out-of-bounds and foreign parameters with a 400 naming the field', async () => {
    const bad: [string, string][] = [
      ['burst?window_secs=0', 'window_secs'],
      ['burst?window_secs=86401', 'window_secs'],
      ['burst?threshold=abc', 'threshold'],
      ['burst?gap_secs=60', 'gap_secs'],
      ['top-talkers?limit=1001', 'limit'],
      ['top-talkers?limit=0', 'limit'],
      ['sessions?gap_secs=86401', 'gap_secs'],
      ['distributed-bruteforce?min_sources=1', 'min_sources'],
      [`sessions?from=${T0}&to=${T0 + 32 * 86_400_000}`, 'from'],
      [`sessions?from=${T0}&to=${T0}`, 'to'],
      ['sessions?from=yesterday', 'from'],
      [`sessions?to=${'9'.repeat(41)}`, 'to'],
    ];
    for (const [q, field] of bad) {
      const res = await call('GET', `/api/v1/forensics/${q}`, readKey);
      expect(res.status, q).toBe(400);
      expect(res.json().error, q).toMatchObject({ code: 'PAL_ERR_VALIDATION', details: { field } });
    }
    expect((await call('GET', '/api/v1/forensics/nothing', readKey)).status).toBe(404);
  });
});
