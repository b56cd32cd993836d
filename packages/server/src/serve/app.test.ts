/**
 * The collector's HTTP API on a real SQLite file: API-key authentication and scopes, ingest
 * (acknowledged after commit, idempotent, per-event rejections, limits), events list and detail,
 * bans, health and Prometheus metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, listAudit } from '../store/index.js';
import { initialApiKey, openTestApp, sqliEvent, testClient, type TestApp } from './test-client.js';
import type { Pipeline } from './pipeline.js';

let testApp: TestApp;
let pipeline: Pipeline;
let app: TestApp['app'];
let admin: string;
let ingestOnly: string;
let readOnly: string;

const call = testClient(() => app);

beforeAll(async () => {
  testApp = await openTestApp('palisade-app-', { app: { maxEventsPerRequest: 5 } });
  ({ pipeline, app } = testApp);
  admin = await initialApiKey(pipeline);
  ingestOnly = (await createApiKey(pipeline.store, 'sensor', ['ingest'])).secret;
  readOnly = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
  await app.ready();
});

afterAll(() => testApp?.close());

describe('authentication and scopes', () => {
  it('refuses requests without a key or with an unknown key', async () => {
    for (const key of [undefined, 'pal_not-a-real-key']) {
      const r = await call('GET', '/api/v1/events', key);
      expect(r.status).toBe(401);
      expect(r.json().error.code).toBe('PAL_ERR_AUTH_REQUIRED');
    }
  });

  it('checks the scope of each route', async () => {
    expect((await call('GET', '/api/v1/events', ingestOnly)).status).toBe(403);
    expect((await call('POST', '/api/v1/ingest', readOnly, { events: [] })).status).toBe(403);
    expect((await call('GET', '/api/v1/events', readOnly)).status).toBe(200);
    expect((await call('POST', '/api/v1/bans', readOnly, { value: '1.2.3.4', reason: 'x' })).status).toBe(
      403,
    );
  });

  it('does not hand out the first admin key twice', async () => {
    expect(await pipeline.ensureInitialApiKey()).toBeUndefined();
  });
});

describe('ingest', () => {
  it('acknowledges after commit: the events are readable as soon as the answer arrives', async () => {
    const r = await call('POST', '/api/v1/ingest', ingestOnly, {
      events: [sqliEvent('ing-1'), sqliEvent('ing-2')],
    });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ accepted: 2, rejected: [] });
    const detail = await call('GET', '/api/v1/events/ing-1', readOnly);
    expect(detail.status).toBe(200);
    expect(detail.json()).toMatchObject({
      id: 'ing-1',
      action: 'block',
      findings: [{ rule: 'sqli.tautology' }],
    });
    expect(detail.json().raw).toBeUndefined();
  });

  it('is idempotent by event id', async () => {
    await call('POST', '/api/v1/ingest', ingestOnly, { events: [sqliEvent('dup-1')] });
    await call('POST', '/api/v1/ingest', ingestOnly, { events: [sqliEvent('dup-1')] });
    const list = await call('GET', '/api/v1/events?q=search&limit=500', readOnly);
    expect(list.json().events.filter((e: SecurityEvent) => e.id === 'dup-1')).toHaveLength(1);
  });

  it('rejects bad events one by one with a reason and keeps the rest', async () => {
    const r = await call('POST', '/api/v1/ingest', ingestOnly, {
      events: [
        sqliEvent('ok-1'),
        { ...sqliEvent('bad-1'), kind: 'nonsense' },
        { id: 'bad-2' },
        sqliEvent('ok-2'),
      ],
    });
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((x: { index: number; reason: string }) => [x.index, x.reason])).toEqual([
      [1, 'invalid'],
      [2, 'invalid'],
    ]);
    expect((await call('GET', '/api/v1/events/ok-2', readOnly)).status).toBe(200);
  });

  it('limits batch size and body size, and validates the envelope', async () => {
    const six = Array.from({ length: 6 }, (_, i) => sqliEvent(`many-${i}`));
    const tooMany = await call('POST', '/api/v1/ingest', ingestOnly, { events: six });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json().error.code).toBe('PAL_ERR_VALIDATION');
    const big = await call('POST', '/api/v1/ingest', ingestOnly, {
      events: [sqliEvent('big', { message: 'x'.repeat(70_000) })],
    });
    expect(big.status).toBe(413);
    expect(big.json().error.code).toBe('PAL_ERR_PAYLOAD_TOO_LARGE');
    const noEvents = await call('POST', '/api/v1/ingest', ingestOnly, { something: 1 });
    expect(noEvents.status).toBe(400);
    expect(noEvents.json().error.details.field).toBe('events');
    const notJson = await call('POST', '/api/v1/ingest', ingestOnly, '{"events": [', {
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
  });
});

describe('read API', () => {
  it('filters, pages with a cursor, and shows raw only with the raw scope', async () => {
    await call('POST', '/api/v1/ingest', ingestOnly, {
      events: [
        sqliEvent('page-a', { client: { ip: '192.0.2.7' }, ts: '2026-11-21T00:00:01.000Z' }),
        sqliEvent('page-b', { client: { ip: '192.0.2.7' }, ts: '2026-11-21T00:00:02.000Z' }),
        sqliEvent('page-c', { client: { ip: '192.0.2.7' }, ts: '2026-11-21T00:00:03.000Z' }),
      ],
    });
    const first = (await call('GET', '/api/v1/events?ip=192.0.2.7&limit=2', readOnly)).json();
    expect(first.events.map((e: SecurityEvent) => e.id)).toEqual(['page-c', 'page-b']);
    const second = (
      await call(
        'GET',
        `/api/v1/events?ip=192.0.2.7&limit=2&cursor=${encodeURIComponent(first.next_cursor)}`,
        readOnly,
      )
    ).json();
    expect(second.events.map((e: SecurityEvent) => e.id)).toEqual(['page-a']);
    expect((await call('GET', '/api/v1/events/page-a?raw=true', readOnly)).status).toBe(403);
    const raw = await call('GET', '/api/v1/events/page-a?raw=true', admin);
    expect(raw.json().raw).toContain('GET /search?q=');
    expect((await call('GET', '/api/v1/events?severity=bogus', readOnly)).status).toBe(400);
    expect((await call('GET', '/api/v1/events?unknown=1', readOnly)).status).toBe(400);
    expect((await call('GET', '/api/v1/events/does-not-exist', readOnly)).status).toBe(404);
  });

  it('takes an analyst label with the label scope, audited, and shows it on the event', async () => {
    await call('POST', '/api/v1/ingest', ingestOnly, { events: [sqliEvent('label-a')] });
    const url = '/api/v1/events/label-a/label';
    expect((await call('PUT', url, readOnly, { label: 'benign' })).status).toBe(403);
    const labeller = (await createApiKey(pipeline.store, 'analyst', ['label'])).secret;
    const set = await call('PUT', url, labeller, { label: 'benign' });
    expect(set.status).toBe(200);
    expect(set.json()).toEqual({ id: 'label-a', previous: null, label: 'benign' });
    const shown = (await call('GET', '/api/v1/events/label-a', readOnly)).json();
    expect(shown.labels.analyst).toBe('benign');
    expect((await call('PUT', url, labeller, { label: 'attack' })).json().previous).toBe('benign');
    expect((await call('PUT', url, labeller, { label: null })).json()).toMatchObject({ label: null });
    expect((await call('GET', '/api/v1/events/label-a', readOnly)).json().labels?.analyst).toBeUndefined();
    expect((await call('PUT', url, labeller, { label: 'maybe' })).status).toBe(400);
    expect((await call('PUT', '/api/v1/events/nope/label', labeller, { label: 'attack' })).status).toBe(404);
    const trail = (await listAudit(pipeline.store)).filter((a) => a.action === 'event.label');
    expect(trail.map((a) => a.details)).toEqual([
      { from: 'attack', to: null },
      { from: 'benign', to: 'attack' },
      { from: null, to: 'benign' },
    ]);
  });
});

describe('bans, health and metrics', () => {
  it('adds, lists and removes a ban; the sensor feed follows with an ETag', async () => {
    const add = await call('POST', '/api/v1/bans', admin, {
      value: '198.51.100.0/24',
      reason: 'test',
      ttl_seconds: 60,
    });
    expect(add.status).toBe(201);
    const id = add.json().ban.id as number;
    const feed = await call('GET', '/api/v1/bans/active', ingestOnly);
    expect(feed.json().bans).toEqual([expect.objectContaining({ value: '198.51.100.0/24' })]);
    expect(pipeline.bans.banned('198.51.100.9', Date.now())).toBeDefined();
    expect(
      (
        await call('GET', '/api/v1/bans/active', ingestOnly, undefined, {
          'if-none-match': String(feed.headers.etag),
        })
      ).status,
    ).toBe(304);
    expect((await call('POST', '/api/v1/bans', admin, { value: 'not-an-ip', reason: 'x' })).status).toBe(400);
    expect((await call('DELETE', `/api/v1/bans/${id}`, admin)).status).toBe(204);
    expect(pipeline.bans.banned('198.51.100.9', Date.now())).toBeUndefined();
    expect((await call('DELETE', `/api/v1/bans/${id}`, admin)).status).toBe(404);
  });

  it('answers health without authentication and metrics in Prometheus text format', async () => {
    const health = await call('GET', '/api/v1/health');
    expect(health.json()).toMatchObject({ status: 'ok', version: 'test' });
    const metrics = await call('GET', '/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(/^# TYPE palisade_events_written_total counter$/m);
    const written = Number(/^palisade_events_written_total (\d+)$/m.exec(metrics.body)?.[1]);
    expect(written).toBeGreaterThanOrEqual(8);
    expect(metrics.body).toMatch(/^palisade_events_dropped_total\{reason="invalid"\} 2$/m);
    expect(metrics.body).toMatch(/^palisade_events_total\{action="block"\} \d+$/m);
  });

  it('answers unknown routes with the error envelope', async () => {
    const r = await call('GET', '/api/v1/nope');
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ error: { code: 'PAL_ERR_NOT_FOUND', message: 'Not found' } });
  });
});
