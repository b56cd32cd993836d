/**
 * The incident, configuration, upload and timeline routes on a real SQLite file and the real
 * pipeline: an uploaded auditd log with 12 failed logins becomes a brute-force incident under the
 * seed-compat profile set through the API, the incident lists its evidence, analysts move it along
 * the workflow, and the timeline merges a user's events with the incidents that name them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { createApiKey, listAudit } from '../store/index.js';
import { initialApiKey, multipartForm, openTestApp, testClient, type TestApp } from './test-client.js';
import type { Pipeline } from './pipeline.js';
import { STORE_ENGINES } from '../store/testdata/tmp-store.mjs';

const BRUTE_FORCE_LOG = readFileSync(new URL('./testdata/auditd-brute-force.log', import.meta.url));
const MAX_UPLOAD = 8 * 1024;

describe.each(STORE_ENGINES)('on %s', (engine) => {
  let spoolDir: string;
  let testApp: TestApp;
  let pipeline: Pipeline;
  let app: TestApp['app'];
  let admin: string;
  let ingestKey: string;
  let readKey: string;
  let labelKey: string;

  const call = testClient(() => app);

  async function upload(
    key: string | undefined,
    parts: Parameters<typeof multipartForm>[0],
  ): Promise<Awaited<ReturnType<typeof call>>> {
    const f = await multipartForm(parts);
    return call('POST', '/api/v1/logs', key, f.payload, f.headers);
  }

  /** `n` failed sshd logins of `user` from `ip`, 5 s apart, as auditd writes them. */
  function failedLogins(user: string, ip: string, n: number, startS: number, serial: number): string {
    let out = '';
    for (let i = 0; i < n; i++)
      out +=
        `type=USER_LOGIN msg=audit(${startS + i * 5}.000:${serial + i}): pid=${700 + i} uid=0 auid=4294967295 ` +
        `ses=4294967295 msg='op=login acct="${user}" exe="/usr/sbin/sshd" hostname=? addr=${ip} terminal=ssh res=failed'\n`;
    return out;
  }

  const web = (id: string, ts: string, path: string): SecurityEvent => ({
    id,
    ts,
    kind: 'http',
    source: { name: 'sensor:test', type: 'sensor' },
    client: { ip: '203.0.113.5', port: 40000 },
    http: { method: 'GET', path, query: 'token=secret', status: 404, user_agent: 'curl/8' },
    action: 'allow',
    score: 0,
    severity: 'info',
    findings: [],
    raw: `GET ${path}?token=secret HTTP/1.1\r\n\r\n`,
  });

  beforeAll(async () => {
    testApp = await openTestApp('palisade-routes-', {
      engine,
      app: (dir) => {
        spoolDir = join(dir, 'spool');
        mkdirSync(spoolDir);
        // Not an object literal: the spool folder goes through buildApp's options as-is.
        const opts = { maxUploadBytes: MAX_UPLOAD, spoolDir };
        return opts;
      },
    });
    ({ pipeline, app } = testApp);
    admin = await initialApiKey(pipeline);
    ingestKey = (await createApiKey(pipeline.store, 'uploader', ['ingest'])).secret;
    readKey = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
    labelKey = (await createApiKey(pipeline.store, 'analyst', ['label'])).secret;
    await app.ready();
  });

  afterAll(() => testApp?.close());

  describe('authentication and scopes', () => {
    it('asks for a key and the scope of each route', async () => {
      for (const url of [
        '/api/v1/incidents',
        '/api/v1/incidents/config',
        '/api/v1/logs',
        '/api/v1/timeline?ip=x',
      ])
        expect((await call('GET', url)).json().error.code, url).toBe('PAL_ERR_AUTH_REQUIRED');
      expect((await call('GET', '/api/v1/incidents', ingestKey)).status).toBe(403);
      expect((await call('GET', '/api/v1/logs', ingestKey)).status).toBe(403);
      expect((await call('GET', '/api/v1/timeline?ip=x', labelKey)).status).toBe(403);
      expect((await call('PATCH', '/api/v1/incidents/1', readKey, { status: 'acknowledged' })).status).toBe(
        403,
      );
      expect((await call('PUT', '/api/v1/incidents/config', labelKey, { profile: 'default' })).status).toBe(
        403,
      );
      const up = await upload(readKey, { file: { name: 'x.log', content: 'x\n' } });
      expect(up.status).toBe(403);
      expect(up.json().error.code).toBe('PAL_ERR_FORBIDDEN');
      expect((await call('GET', '/api/v1/incidents', readKey)).status).toBe(200);
    });
  });

  describe('incident configuration', () => {
    it('shows the effective config and version 0 before anything is saved', async () => {
      const r = await call('GET', '/api/v1/incidents/config', readKey);
      expect(r.status).toBe(200);
      expect(r.headers.etag).toBe('"0"');
      expect(r.json()).toMatchObject({
        version: 0,
        config: { profile: 'default', brute_force: { threshold: 8 } },
      });
    });

    it('refuses a bad field with 400 naming it, and saves nothing', async () => {
      const bad = await call('PUT', '/api/v1/incidents/config', admin, {
        brute_force: { threshold: 'many' },
      });
      expect(bad.status).toBe(400);
      expect(bad.json().error).toMatchObject({
        code: 'PAL_ERR_VALIDATION',
        details: { field: 'brute_force.threshold' },
      });
      const unknown = await call('PUT', '/api/v1/incidents/config', admin, { dos: { packetz: 1 } });
      expect(unknown.json().error.details.field).toBe('dos.packetz');
      const profile = await call('PUT', '/api/v1/incidents/config', admin, { profile: 'strict' });
      expect(profile.json().error.details.field).toBe('profile');
      expect((await call('PUT', '/api/v1/incidents/config', admin, [1, 2])).status).toBe(400);
      expect((await call('GET', '/api/v1/incidents/config', readKey)).json().version).toBe(0);
    });

    it('applies a new config at once, versions it, audits it, and refuses a stale If-Match', async () => {
      const r = await call(
        'PUT',
        '/api/v1/incidents/config',
        admin,
        { profile: 'seed-compat' },
        { 'if-match': '"0"' },
      );
      expect(r.status).toBe(200);
      expect(r.headers.etag).toBe('"1"');
      expect(r.json()).toMatchObject({
        version: 1,
        config: { profile: 'seed-compat', brute_force: { threshold: 10, by: 'user_ip', count: 'attempts' } },
      });
      expect(pipeline.incidents.correlator.config.profile).toBe('seed-compat');
      const stale = await call(
        'PUT',
        '/api/v1/incidents/config',
        admin,
        { profile: 'default' },
        { 'if-match': '"0"' },
      );
      expect(stale.status).toBe(409);
      expect(stale.json().error.code).toBe('PAL_ERR_SETTINGS_CONFLICT');
      expect(pipeline.incidents.correlator.config.profile).toBe('seed-compat');
      const entry = (await listAudit(pipeline.store)).find((a) => a.action === 'incident_config.update');
      expect(entry).toMatchObject({
        actor: 'apikey:admin (first start)',
        details: { version: 1, profile: 'seed-compat' },
      });
    });
  });

  let uploadId: number;

  describe('log uploads', () => {
    it('ingests an upload through the pipeline and answers with its summary', async () => {
      const r = await upload(ingestKey, {
        file: { name: '/var/log/audit/auditd-brute-force.log', content: BRUTE_FORCE_LOG },
      });
      expect(r.status).toBe(201);
      const u = r.json().upload;
      uploadId = u.id;
      expect(u).toMatchObject({
        name: 'auditd-brute-force.log',
        sha256: createHash('sha256').update(BRUTE_FORCE_LOG).digest('hex'),
        size: BRUTE_FORCE_LOG.length,
        status: 'done',
        format: 'auditd',
        uploaded_by: 'apikey:uploader',
      });
      expect(u.summary).toMatchObject({
        source: 'upload:auditd-brute-force.log',
        format: 'auditd',
        lines: 15,
        events: 14,
        rejected: 1,
        rejections: [{ line: 14, reason: 'not an audit record' }],
        events_by_kind: { auth: 14 },
        events_by_type: { auth_failure: 12, auth_success: 1, session_close: 1 },
        incidents_by_type: { brute_force: 1 },
      });
      // The spool file is gone once the answer is out.
      expect(readdirSync(spoolDir)).toEqual([]);
      const events = (
        await call('GET', '/api/v1/events?source=upload%3Aauditd-brute-force.log&limit=100', readKey)
      ).json();
      expect(events.events).toHaveLength(14);
      expect(events.events[0].source).toEqual({ name: 'upload:auditd-brute-force.log', type: 'upload' });
    });

    it('answers 409 to the same content under another name, naming the first upload', async () => {
      const r = await upload(ingestKey, { file: { name: 'again.log', content: BRUTE_FORCE_LOG } });
      expect(r.status).toBe(409);
      expect(r.json().error).toMatchObject({ code: 'PAL_ERR_CONFLICT', details: { upload_id: uploadId } });
      expect(readdirSync(spoolDir)).toEqual([]);
    });

    it('answers 413 over the size limit and ingests nothing', async () => {
      const big = failedLogins('mallory', '198.51.100.66', 60, 1700100000, 5000);
      expect(big.length).toBeGreaterThan(MAX_UPLOAD);
      const r = await upload(ingestKey, { file: { name: 'big.log', content: big } });
      expect(r.status).toBe(413);
      expect(r.json().error.code).toBe('PAL_ERR_PAYLOAD_TOO_LARGE');
      expect((await call('GET', '/api/v1/timeline?user=mallory', readKey)).json().items).toEqual([]);
      expect((await call('GET', '/api/v1/logs', readKey)).json().uploads).toHaveLength(1);
      expect(readdirSync(spoolDir)).toEqual([]);
    });

    it('stops reading a compressed upload that expands beyond 16 times the limit', async () => {
      const line = failedLogins('zed', '198.51.100.99', 1, 1700200000, 9000);
      const bomb = gzipSync(line.repeat(Math.ceil((MAX_UPLOAD * 16) / line.length) + 100));
      expect(bomb.length).toBeLessThan(MAX_UPLOAD);
      const r = await upload(ingestKey, { file: { name: 'bomb.log.gz', content: bomb } });
      expect(r.status).toBe(201);
      expect(r.json().upload).toMatchObject({
        status: 'partial',
        error: expect.stringContaining('decompressed'),
      });
      expect(r.json().upload.summary.lines).toBeLessThan(MAX_UPLOAD * 16);
    });

    it('validates the form: format, missing or empty file, unknown fields, not multipart', async () => {
      const fmt = await upload(ingestKey, {
        fields: { format: 'evtx' },
        file: { name: 'a.log', content: 'x\n' },
      });
      expect(fmt.status).toBe(400);
      expect(fmt.json().error.details.field).toBe('format');
      const none = await upload(ingestKey, { fields: { format: 'auditd' } });
      expect(none.json().error.details.field).toBe('file');
      const empty = await upload(ingestKey, { file: { name: 'empty.log', content: '' } });
      expect(empty.json().error.details.field).toBe('file');
      const extra = await upload(ingestKey, {
        fields: { colour: 'red' },
        file: { name: 'a.log', content: 'x\n' },
      });
      expect(extra.status).toBe(400);
      expect(extra.json().error.details.field).toBe('colour');
      const broken = await call('POST', '/api/v1/logs', ingestKey, '--x\r\nContent-Disposition: form-da', {
        'content-type': 'multipart/form-data; boundary=x',
      });
      expect(broken.status).toBe(400);
      expect(broken.json().error.code).toBe('PAL_ERR_VALIDATION');
      const json = await call('POST', '/api/v1/logs', ingestKey, { file: 'x' });
      expect(json.status).toBe(400);
      expect(json.json().error.details.field).toBe('file');
      expect(readdirSync(spoolDir)).toEqual([]);
    });

    it('takes the format field and lists uploads, newest first, with the summary only in detail', async () => {
      const bob = failedLogins('bob', '198.51.100.20', 11, 1700003600, 2000);
      const r = await upload(ingestKey, {
        fields: { format: 'audit' },
        file: { name: 'bob.log', content: bob },
      });
      expect(r.status).toBe(201);
      expect(r.json().upload.summary).toMatchObject({
        format: 'auditd',
        events: 11,
        incidents_by_type: { brute_force: 1 },
      });
      const first = (await call('GET', '/api/v1/logs?limit=1', readKey)).json();
      expect(first.uploads.map((u: { name: string }) => u.name)).toEqual(['bob.log']);
      expect(first.uploads[0].summary).toBeUndefined();
      const second = (await call('GET', `/api/v1/logs?limit=2&cursor=${first.next_cursor}`, readKey)).json();
      expect(second.uploads.map((u: { name: string }) => u.name)).toEqual([
        'bomb.log.gz',
        'auditd-brute-force.log',
      ]);
      expect(second.next_cursor).toBeNull();
      const detail = await call('GET', `/api/v1/logs/${uploadId}`, readKey);
      expect(detail.json().upload.summary.lines).toBe(15);
      expect((await call('GET', '/api/v1/logs/99999', readKey)).status).toBe(404);
      expect((await call('GET', '/api/v1/logs?limit=1001', readKey)).json().error.details.field).toBe(
        'limit',
      );
    });
  });

  let aliceIncident: number;

  describe('incidents', () => {
    it('lists the incidents the correlator opened, filtered and paged by id', async () => {
      const all = (await call('GET', '/api/v1/incidents?type=brute_force', readKey)).json();
      expect(all.incidents).toHaveLength(2);
      expect(all.next_cursor).toBeNull();
      const alice = (
        await call('GET', '/api/v1/incidents?user=alice&ip=203.0.113.5&status=open', readKey)
      ).json();
      expect(alice.incidents).toHaveLength(1);
      const inc = alice.incidents[0];
      aliceIncident = inc.id;
      expect(inc).toMatchObject({
        type: 'brute_force',
        status: 'open',
        keys: { ip: '203.0.113.5', user: 'alice' },
        first_seen: '2023-11-14T22:13:20.000Z',
        assignee: null,
      });
      expect(inc.ref).toBeUndefined();
      const page1 = (await call('GET', '/api/v1/incidents?limit=1', readKey)).json();
      expect(page1.incidents[0].keys.user).toBe('bob');
      const page2 = (
        await call('GET', `/api/v1/incidents?limit=1&cursor=${page1.next_cursor}`, readKey)
      ).json();
      expect(page2.incidents[0].id).toBe(aliceIncident);
      expect(page2.next_cursor).toBeNull();
      const since = (await call('GET', '/api/v1/incidents?since=2023-11-14T23:00:00Z', readKey)).json();
      expect(since.incidents.map((i: { keys: { user: string } }) => i.keys.user)).toEqual(['bob']);
      const until = (await call('GET', '/api/v1/incidents?until=2023-11-14T23:00:00Z', readKey)).json();
      expect(until.incidents.map((i: { keys: { user: string } }) => i.keys.user)).toEqual(['alice']);
      expect((await call('GET', '/api/v1/incidents?status=resolved', readKey)).json().incidents).toEqual([]);
    });

    it('validates the query, naming the field', async () => {
      for (const [query, field] of [
        ['limit=1001', 'limit'],
        ['since=yesterday', 'since'],
        ['until=2023-13-45T99:00:00Z', 'until'],
        ['since=2023-11-15&until=2023-11-14', 'until'],
        ['status=closed', 'status'],
        ['type=phishing', 'type'],
        ['cursor=abc', 'cursor'],
        ['colour=red', 'colour'],
      ]) {
        const r = await call('GET', `/api/v1/incidents?${query}`, readKey);
        expect(r.status, query).toBe(400);
        expect(r.json().error, query).toMatchObject({ code: 'PAL_ERR_VALIDATION', details: { field } });
      }
    });

    it('shows an incident with its evidence events, oldest first, without raw payloads', async () => {
      const r = await call('GET', `/api/v1/incidents/${aliceIncident}`, readKey);
      expect(r.status).toBe(200);
      const { incident, events } = r.json();
      expect(incident.id).toBe(aliceIncident);
      expect(events.length).toBeGreaterThanOrEqual(10);
      const times = events.map((e: SecurityEvent) => Date.parse(e.ts));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      for (const e of events as SecurityEvent[]) {
        expect(e).toMatchObject({ user: 'alice', client: { ip: '203.0.113.5' }, source: { type: 'upload' } });
        expect(e.raw).toBeUndefined();
      }
      expect((await call('GET', '/api/v1/incidents/99999', readKey)).json().error.code).toBe(
        'PAL_ERR_NOT_FOUND',
      );
      expect((await call('GET', '/api/v1/incidents/abc', readKey)).json().error.details.field).toBe('id');
    });

    it('moves an incident along the workflow with the label scope, audited', async () => {
      const url = `/api/v1/incidents/${aliceIncident}`;
      const ack = await call('PATCH', url, labelKey, { status: 'acknowledged', assignee: 'carol' });
      expect(ack.status).toBe(200);
      expect(ack.json().incident).toMatchObject({ status: 'acknowledged', assignee: 'carol' });
      const assign = await call('PATCH', url, labelKey, { assignee: 'dave' });
      expect(assign.json().incident).toMatchObject({ status: 'acknowledged', assignee: 'dave' });
      expect((await call('PATCH', url, labelKey, { status: 'resolved' })).json().incident.status).toBe(
        'resolved',
      );
      const entry = (await listAudit(pipeline.store)).find((a) => a.action === 'incident.status');
      expect(entry).toMatchObject({ actor: 'apikey:analyst', target: `incident:${aliceIncident}` });
    });

    it('refuses a transition the workflow does not have and bad bodies with 400', async () => {
      const url = `/api/v1/incidents/${aliceIncident}`;
      const back = await call('PATCH', url, labelKey, { status: 'acknowledged' });
      expect(back.status).toBe(400);
      expect(back.json().error).toMatchObject({ code: 'PAL_ERR_VALIDATION', details: { field: 'status' } });
      expect(back.json().error.message).toContain('resolved to acknowledged');
      expect((await call('PATCH', url, labelKey, { status: 'closed' })).json().error.details.field).toBe(
        'status',
      );
      expect((await call('PATCH', url, labelKey, { priority: 1 })).json().error.details.field).toBe(
        'priority',
      );
      expect((await call('PATCH', url, labelKey, {})).status).toBe(400);
      expect((await call('PATCH', '/api/v1/incidents/99999', labelKey, { status: 'open' })).status).toBe(404);
      expect((await call('GET', url, readKey)).json().incident.status).toBe('resolved');
    });
  });

  describe('timeline', () => {
    it("merges a user's events with the incidents naming them, newest first", async () => {
      const r = await call('GET', '/api/v1/timeline?user=alice', readKey);
      expect(r.status).toBe(200);
      const items = r.json().items as {
        ts: string;
        kind: string;
        type: string;
        id: unknown;
        summary: string;
      }[];
      expect(items).toHaveLength(15);
      const times = items.map((i) => Date.parse(i.ts));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(items[0]).toMatchObject({
        kind: 'event',
        type: 'session_close',
        ts: '2023-11-14T22:14:50.000Z',
      });
      expect(items.filter((i) => i.kind === 'incident')).toEqual([
        expect.objectContaining({ type: 'brute_force', id: aliceIncident, status: 'resolved' }),
      ]);
      expect(items.filter((i) => i.type === 'auth_failure')).toHaveLength(12);
      expect(items.every((i) => !('raw' in i))).toBe(true);
    });

    it("shows a source address's web requests without their query strings, and honours since, until, limit", async () => {
      await pipeline.submitBatch([
        web('tl-web-1', '2023-11-14T22:20:00.000Z', '/wp-login.php'),
        web('tl-web-2', '2023-11-14T22:21:00.000Z', '/.env'),
      ]);
      const items = (await call('GET', '/api/v1/timeline?ip=203.0.113.5', readKey)).json().items;
      expect(items.slice(0, 2)).toEqual([
        expect.objectContaining({
          kind: 'event',
          id: 'tl-web-2',
          type: 'http_request',
          summary: 'GET /.env → 404',
        }),
        expect.objectContaining({ kind: 'event', id: 'tl-web-1', source: 'sensor:test' }),
      ]);
      expect(JSON.stringify(items)).not.toContain('token=secret');
      const windowed = (
        await call(
          'GET',
          '/api/v1/timeline?ip=203.0.113.5&since=2023-11-14T22:14:20Z&until=2023-11-14T22:20:30Z',
          readKey,
        )
      ).json().items;
      expect(windowed.map((i: { ts: string; kind: string }) => `${i.ts} ${i.kind}`)).toEqual([
        '2023-11-14T22:20:00.000Z event',
        '2023-11-14T22:14:50.000Z event',
        '2023-11-14T22:14:25.000Z incident',
        '2023-11-14T22:14:25.000Z event',
      ]);
      expect(
        (await call('GET', '/api/v1/timeline?ip=203.0.113.5&limit=3', readKey)).json().items,
      ).toHaveLength(3);
    });

    it('needs exactly one of user and ip, and validates the rest', async () => {
      expect((await call('GET', '/api/v1/timeline', readKey)).json().error.details.field).toBe('user');
      expect((await call('GET', '/api/v1/timeline?user=a&ip=b', readKey)).json().error.details.field).toBe(
        'ip',
      );
      expect(
        (await call('GET', '/api/v1/timeline?user=a&limit=1001', readKey)).json().error.details.field,
      ).toBe('limit');
      expect(
        (await call('GET', '/api/v1/timeline?user=a&since=now', readKey)).json().error.details.field,
      ).toBe('since');
    });
  });
});
