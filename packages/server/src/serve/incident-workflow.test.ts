/**
 * The incident workflow on a real SQLite file and the real pipeline: an incident opened by ingested
 * attacks is assigned and unassigned (shown in detail and list, audited as `incident.assign`),
 * and analysts comment on it (bounded bodies, oldest first, audited as `incident.comment`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { createApiKey, listAudit } from '../store/index.js';
import { initialApiKey, openTestApp, testClient, type TestApp } from './test-client.js';
import type { Pipeline } from './pipeline.js';
import { STORE_ENGINES } from '../store/testdata/tmp-store.mjs';

describe.each(STORE_ENGINES)('on %s', (engine) => {
  let testApp: TestApp;
  let pipeline: Pipeline;
  let app: TestApp['app'];
  let admin: string;
  let readKey: string;
  let labelKey: string;
  let url: string;

  const call = testClient(() => app);

  const attack = (i: number): SecurityEvent => ({
    id: `workflow-${i}`,
    ts: new Date(Date.now() + i).toISOString(),
    kind: 'http',
    source: { name: 'sensor:workflow', type: 'sensor' },
    client: { ip: '192.0.2.44', port: 40000 + i },
    http: { method: 'GET', path: '/item', query: 'id=1 union select 1', status: 403 },
    action: 'block',
    score: 5,
    severity: 'high',
    findings: [
      {
        rule: 'sqli.union',
        rule_version: 1,
        class: 'sqli',
        severity: 'high',
        confidence: 0.9,
        location: 'query:id',
        evidence: 'union select',
        decoded_by: [],
      },
    ],
  });

  beforeAll(async () => {
    testApp = await openTestApp('palisade-workflow-', { engine, app: { maxEventsPerRequest: 10 } });
    ({ pipeline, app } = testApp);
    admin = await initialApiKey(pipeline);
    readKey = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
    labelKey = (await createApiKey(pipeline.store, 'analyst', ['label'])).secret;
    await app.ready();
    const events = [1, 2, 3, 4, 5].map(attack);
    expect((await call('POST', '/api/v1/ingest', admin, { events })).json()).toMatchObject({ accepted: 5 });
    await pipeline.incidents.idle();
    const list = (await call('GET', '/api/v1/incidents?ip=192.0.2.44', readKey)).json();
    expect(list.incidents).toHaveLength(1);
    url = `/api/v1/incidents/${list.incidents[0].id}`;
  });

  afterAll(() => testApp?.close());

  describe('assignment', () => {
    it('assigns and unassigns, shown in detail and list, audited', async () => {
      expect((await call('GET', url, readKey)).json().incident.assignee).toBeNull();
      expect((await call('PATCH', url, readKey, { assignee: 'carol' })).status).toBe(403);
      const assigned = await call('PATCH', url, labelKey, { assignee: 'carol' });
      expect(assigned.status).toBe(200);
      expect(assigned.json().incident).toMatchObject({ assignee: 'carol', status: 'open' });
      const listed = (await call('GET', '/api/v1/incidents?ip=192.0.2.44', readKey)).json().incidents[0];
      expect(listed.assignee).toBe('carol');
      expect((await call('PATCH', url, labelKey, { assignee: null })).json().incident.assignee).toBeNull();
      expect((await call('GET', url, readKey)).json().incident.assignee).toBeNull();

      const entries = (await listAudit(pipeline.store)).filter(
        (a) => a.target === url.replace('/api/v1/incidents/', 'incident:'),
      );
      expect(entries.map((a) => [a.action, a.details])).toEqual([
        ['incident.assign', { from: 'carol', to: null }],
        ['incident.assign', { from: null, to: 'carol' }],
      ]);
      expect((await call('PATCH', url, labelKey, { assignee: '' })).json().error.details.field).toBe(
        'assignee',
      );
    });
  });

  describe('comments', () => {
    it('adds comments with the label scope and lists them oldest first', async () => {
      expect((await call('GET', `${url}/comments`, readKey)).json()).toEqual({ comments: [] });
      expect((await call('POST', `${url}/comments`, readKey, { body: 'mine' })).status).toBe(403);
      const first = await call('POST', `${url}/comments`, labelKey, {
        body: 'blocked at the edge; checking logs',
      });
      expect(first.status).toBe(201);
      expect(first.json().comment).toMatchObject({
        id: expect.any(Number),
        author: 'apikey:analyst',
        body: 'blocked at the edge; checking logs',
        created_ms: expect.any(Number),
      });
      const long = 'x'.repeat(4000);
      expect((await call('POST', `${url}/comments`, admin, { body: long })).status).toBe(201);
      const comments = (await call('GET', `${url}/comments`, readKey)).json().comments;
      expect(comments.map((c: { body: string; author: string }) => [c.author, c.body])).toEqual([
        ['apikey:analyst', 'blocked at the edge; checking logs'],
        ['apikey:admin (first start)', long],
      ]);
      expect(Object.keys(comments[0]).sort()).toEqual(['author', 'body', 'created_ms', 'id']);
      const audited = (await listAudit(pipeline.store)).filter((a) => a.action === 'incident.comment');
      expect(audited.map((a) => a.details)).toEqual([
        { comment_id: comments[1].id },
        { comment_id: comments[0].id },
      ]);
    });

    it('refuses empty, oversized and unknown-field bodies and unknown incidents', async () => {
      const field = async (body: unknown) => {
        const r = await call('POST', `${url}/comments`, labelKey, body);
        expect(r.status).toBe(400);
        return r.json().error.details.field as string;
      };
      expect(await field({ body: '' })).toBe('body');
      expect(await field({ body: '  \n ' })).toBe('body');
      expect(await field({ body: 'x'.repeat(4001) })).toBe('body');
      expect(await field({ body: 'x', pinned: true })).toBe('pinned');
      expect(await field({})).toBe('body');
      expect((await call('GET', '/api/v1/incidents/99999/comments', readKey)).status).toBe(404);
      expect((await call('POST', '/api/v1/incidents/99999/comments', labelKey, { body: 'x' })).status).toBe(
        404,
      );
      expect((await call('GET', `${url}/comments`, readKey)).json().comments).toHaveLength(2);
    });
  });
});
