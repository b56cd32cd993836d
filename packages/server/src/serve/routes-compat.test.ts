/**
 * The IT-Sec-Projekt aliases on a real SQLite file and the real pipeline: the seed's thresholds are
 * set through its config endpoint, an enriched auditd log is uploaded through its upload endpoint,
 * and logins, config changes, DoS and brute-force incidents and the unified log come back in the
 * seed's shapes; scopes are those of the v1 routes.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, listIncidents } from '../store/index.js';
import { initialApiKey, multipartForm, openTestApp, testClient, type TestApp } from './test-client.js';
import type { Pipeline } from './pipeline.js';

const LOG = readFileSync(new URL('./testdata/auditd-enriched-compat.log', import.meta.url));

let testApp: TestApp;
let pipeline: Pipeline;
let app: TestApp['app'];
let admin: string;
let readKey: string;
let uploadKey: string;
const call = testClient(() => app);

/** The seed frontend's upload: multipart with `file`, `source`, `uploaded_by`. */
async function upload(key: string, content: Buffer | string, name = 'audit.log') {
  const f = await multipartForm({
    fields: { source: 'firewall-1', uploaded_by: 'someone-else' },
    file: { name, content },
  });
  return call('POST', '/api/logfiles/', key, f.payload, f.headers);
}

beforeAll(async () => {
  testApp = await openTestApp('palisade-compat-', { app: { maxUploadBytes: 64 * 1024 } });
  ({ pipeline, app } = testApp);
  admin = await initialApiKey(pipeline);
  readKey = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
  uploadKey = (await createApiKey(pipeline.store, 'uploader', ['upload'])).secret;
  await app.ready();
});

afterAll(() => testApp?.close());

describe('IT-Sec-Projekt aliases', () => {
  it('guard each alias with the scope of its v1 route', async () => {
    expect((await call('GET', '/api/logfiles/processed-logins/')).json().error.code).toBe(
      'PAL_ERR_AUTH_REQUIRED',
    );
    expect((await call('GET', '/api/logfiles/unified-event-log/', uploadKey)).status).toBe(403);
    expect((await upload(readKey, 'x\n')).status).toBe(403);
    const post = await call('POST', '/api/incidents-config/', readKey, { dos: { packet_threshold: 3 } });
    expect(post.json().error.code).toBe('PAL_ERR_FORBIDDEN');
  });

  it('read and change the seed thresholds through the incident configuration', async () => {
    const before = (await call('GET', '/api/incidents-config/', readKey)).json();
    expect(Object.keys(before)).toEqual(['brute_force', 'dos', 'ddos']);
    expect(Object.keys(before.ddos)).toEqual([
      'packet_threshold',
      'time_delta',
      'repeat_threshold',
      'min_sources',
    ]);

    const tooShort = await call('POST', '/api/incidents-config/', admin, { dos: { time_delta: 10 } });
    expect(tooShort.status).toBe(400);
    expect(tooShort.json().error.details.field).toBe('dos.time_delta');

    const body = {
      brute_force: { attempt_threshold: 5, time_delta: 120, repeat_threshold: 600 },
      dos: { packet_threshold: 3, time_delta: 30 },
    };
    const r = await call('POST', '/api/incidents-config/', admin, body);
    expect(r.status, r.body).toBe(200);
    const saved = r.json();
    expect(saved.changed).toBe(true);
    expect(saved.config.brute_force).toEqual(body.brute_force);
    expect(saved.config.dos).toEqual({ ...before.dos, ...body.dos });
    expect(saved.config.ddos).toEqual(before.ddos);
    expect(Object.keys(saved.result.counts)).toEqual(
      expect.arrayContaining(['brute_force', 'critical_config_change', 'concurrent_logins', 'dos', 'ddos']),
    );
    // The v1 view shows the same thresholds: one configuration, two shapes.
    const v1 = (await call('GET', '/api/v1/incidents/config', readKey)).json();
    expect([v1.config.brute_force.threshold, v1.config.dos.packets, v1.config.dos.window_s]).toEqual([
      5, 3, 30,
    ]);

    const again = (await call('POST', '/api/incidents-config/', admin, body)).json();
    expect(again.changed).toBe(false);
    expect(again.message).toBe('Config unchanged');
  });

  it('upload an auditd log the way the seed frontend does and answer in its shape', async () => {
    const r = await upload(uploadKey, LOG);
    expect(r.status, r.body).toBe(200);
    const u = r.json();
    expect(u).toMatchObject({ status: 'success', filename: 'audit.log', entries_created: 13 });
    expect(u.incident_counts.brute_force).toBe(1);
    expect(u.incident_counts.dos).toBe(1);
    expect(u.incidents_created_total).toBe(
      Object.values(u.incident_counts as Record<string, number>).reduce((a, n) => a + n, 0),
    );
    // The same upload is in the v1 list, attributed to the caller, not to the form's uploaded_by.
    const v1 = (await call('GET', '/api/v1/logs', readKey)).json();
    expect(v1.uploads[0]).toMatchObject({ id: u.id, uploaded_by: 'apikey:uploader' });

    const dup = await upload(uploadKey, LOG, 'again.log');
    expect(dup.json().error.code).toBe('PAL_ERR_CONFLICT');
  });

  it('list processed logins, newest first, in the seed shape', async () => {
    const logins = (await call('GET', '/api/logfiles/processed-logins/', readKey)).json();
    expect(logins).toHaveLength(7);
    expect(logins[0]).toEqual({
      id: expect.any(String),
      timestamp: '2023-11-14T22:14:00.000Z',
      event_type: 'login',
      severity: 'normal',
      username: 'bob',
      src_ip_address: '198.51.100.7',
      terminal: 'ssh',
      result: 'success',
    });
    expect(logins.slice(1).every((l: { result: string }) => l.result === 'failed')).toBe(true);
    // start/end narrow the window; the seed's frontend calls without the trailing slash too.
    const window = await call(
      'GET',
      '/api/logfiles/processed-logins?start=2023-11-14T22:13:20Z&end=2023-11-14T22:13:30Z',
      readKey,
    );
    expect(window.json().map((l: { timestamp: string }) => l.timestamp)).toEqual([
      '2023-11-14T22:13:25.000Z',
      '2023-11-14T22:13:20.000Z',
    ]);
    expect((await call('GET', '/api/logfiles/processed-logins/?start=yesterday', readKey)).status).toBe(400);
  });

  it('list config changes, DoS packets and incidents in the seed shapes', async () => {
    const changes = (await call('GET', '/api/logfiles/config-changes/', readKey)).json();
    expect(changes).toEqual([
      expect.objectContaining({
        event_type: 'config change',
        table: 'config',
        action: 'update',
        key: 'password_policy',
        terminal: 'erin',
        result: 'success',
      }),
    ]);

    const dos = (await call('GET', '/api/logfiles/dos-packets/', readKey)).json();
    expect(dos).toEqual([
      {
        timestamp: expect.any(String),
        dst_ip_address: '192.168.1.10',
        protocol: 'TCP',
        packets: expect.any(Number),
        timeDelta: '30',
        src_ip_address: '203.0.113.77',
      },
    ]);
    expect(dos[0].packets).toBeGreaterThanOrEqual(3);
    expect((await call('GET', '/api/logfiles/ddos-packets/', readKey)).json()).toEqual([]);

    const incidents = (await call('GET', '/api/logfiles/incidents/', readKey)).json();
    const bf = incidents.find((i: { incident_type: string }) => i.incident_type === 'bruteforce');
    expect(bf).toMatchObject({ event_type: 'incident', src_ip_address: '198.51.100.7', timeDelta: '120' });
    expect(bf.attempts).toBeGreaterThanOrEqual(5);
    // Every incident of the store, mapped one to one.
    expect(incidents.map((i: { id: number }) => i.id)).toEqual(
      (await listIncidents(pipeline.store)).map((i) => i.id),
    );
  });

  it('merge events and incidents in the unified event log, newest first', async () => {
    const rows = (await call('GET', '/api/logfiles/unified-event-log/', readKey)).json() as {
      timestamp: string;
      event_type: string;
    }[];
    const types = new Set(rows.map((r) => r.event_type));
    expect([...types].sort()).toEqual(['config change', 'incident', 'login', 'logout', 'network packets']);
    expect(rows.filter((r) => r.event_type !== 'incident')).toHaveLength(13);
    const times = rows.map((r) => Date.parse(r.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(rows[0]).toMatchObject({ event_type: 'logout', username: 'bob', result: 'success' });
  });
});
