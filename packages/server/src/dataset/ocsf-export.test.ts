import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import type { ServerConfig } from '../config/config.js';
import { openPipeline } from '../serve/pipeline.js';
import { buildEvent } from '../proxy/proxy-event.js';
import { runIngest } from '../cli/ingest-command.js';
import { listEvents } from '../store/events.js';
import { listIncidents } from '../store/incidents.js';
import { openStore } from '../store/store.js';
import { loadKeyring } from '../store/keyring-file.js';
import { runDatasetCommand } from './dataset-command.js';
import { ocsfProblems } from '../forward/testdata/ocsf-check.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ACCESS = [
  '203.0.113.7 - - [22/Nov/2026:04:51:47 +0000] "GET /index.html HTTP/1.1" 200 612 "https://shop.example/" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"',
  '203.0.113.7 - - [22/Nov/2026:04:51:48 +0000] "GET /products?id=42 HTTP/1.1" 200 2048 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"',
  '203.0.113.8 - - [22/Nov/2026:04:51:49 +0000] "POST /cart HTTP/1.1" 302 0 "-" "Mozilla/5.0 (Macintosh) Safari/605.1.15"',
  '198.51.100.23 - - [22/Nov/2026:04:52:00 +0000] "GET /search?q=1\'%20union%20select%20password%20from%20users-- HTTP/1.1" 200 99 "-" "sqlmap/1.8"',
  '198.51.100.23 - - [22/Nov/2026:04:52:01 +0000] "GET /?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E HTTP/1.1" 200 99 "-" "Mozilla/5.0"',
];
const AUTH = [
  ...Array.from(
    { length: 9 },
    (_, i) =>
      `Nov 22 08:00:0${i} web1 sshd[900]: Failed password for root from 203.0.113.50 port ${40000 + i} ssh2`,
  ),
  'Nov 22 08:00:09 web1 sshd[901]: Accepted password for root from 203.0.113.50 port 40100 ssh2',
];
const AUDIT = [
  'type=NETFILTER_PKT msg=audit(1795320000.000:802): mark=0x0 saddr=203.0.113.77 daddr=192.168.1.10 proto=6',
  'type=ADD_USER msg=audit(1795320010.000:600): pid=1500 uid=0 auid=1000 ses=3 msg=\'op=add-user id=1005 exe="/usr/sbin/useradd" hostname=host1 addr=? terminal=pts/0 res=success\'',
];

/** The class each stored event must map to (from its stored facts), or none. */
function expectedClass(e: SecurityEvent): number | undefined {
  if (e.findings.length > 0 || e.action === 'block') return 2004;
  if (e.kind === 'http') return 4002;
  if (e.kind === 'auth') return 3002;
  if (e.kind === 'network') return 4001;
  return undefined;
}

describe('dataset export --format ocsf', () => {
  let dir: string;
  let config: ServerConfig;
  let objects: Obj[];
  let stored: SecurityEvent[];
  let summary: Obj;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pal-ocsf-'));
    config = testConfig(dir);
    // A blocked and an allowed request through the proxy's event builder and the real engine.
    const pipeline = await openPipeline(config, { retention: false });
    const now = Date.now();
    const exchange = async (url: string, ip: string, id: string, geo?: SecurityEvent['client']['geo']) => {
      const v = pipeline.engine.inspect({
        method: 'GET',
        url,
        headers: { host: 'shop.example', 'user-agent': 'curl/8.5.0' },
        remote: { ip, port: 51000 },
      });
      const e = buildEvent(
        {
          ts: now,
          sourceName: 'proxy:test',
          clientIp: ip,
          clientPort: 51000,
          method: 'GET',
          url,
          host: 'shop.example',
          userAgent: 'curl/8.5.0',
          referer: undefined,
          status: v.action === 'block' ? 403 : 200,
          bytesIn: 120,
          bytesOut: 900,
          durationMs: 3.4,
          action: v.action,
          score: v.score,
          severity: v.severity,
          findings: v.findings,
          raw: { raw: `GET ${url} HTTP/1.1\r\nhost: shop.example\r\n\r\n`, truncated: false },
        },
        id,
      );
      if (geo) e.client.geo = geo;
      await pipeline.sink.submit(e);
    };
    await exchange("/search?q=1'+union+select+password,2+from+users--", '198.51.100.7', 'proxy-sqli');
    await exchange('/products/42?ref=home', '203.0.113.9', 'proxy-ok', {
      country: 'NL',
      city: 'Amsterdam',
      lat: 52.37,
      lon: 4.89,
    });
    await pipeline.close();
    // Logs through `palisade ingest`: web requests (two attacks), sshd logins (a brute force that
    // got in), a packet and a new account.
    const files = { 'access.log': ACCESS, 'auth.log': AUTH, 'audit.log': AUDIT };
    for (const [name, lines] of Object.entries(files))
      writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
    await runIngest({
      config,
      files: Object.keys(files).map((f) => join(dir, f)),
      format: 'auto',
      json: true,
      out: new PassThrough().resume(),
    });
    let text = '';
    expect(
      await runDatasetCommand(['export', '--format', 'ocsf', '--out', join(dir, 'out'), '--json'], {
        config,
        write: (t) => void (text += t),
      }),
    ).toBe(0);
    summary = JSON.parse(text) as Obj;
    objects = readFileSync(join(dir, 'out', 'ocsf.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Obj);
    const store = await openStore({ path: config.db, keyring: loadKeyring({ dataDir: config.data_dir }) });
    stored = (await listEvents(store, { limit: 500 })).events;
    const incidents = await listIncidents(store);
    // sqlmap's user agent makes a scanner incident beside the brute force.
    expect(incidents.map((i) => [i.type, i.severity]).sort()).toEqual([
      ['brute_force', 'critical'],
      ['scanner', 'medium'],
    ]);
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes valid OCSF objects only', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(ocsfProblems(o), JSON.stringify(o).slice(0, 300)).toEqual([]);
  });

  it('maps every event of the mixed export to exactly one expected class, and counts the rest', () => {
    expect(stored.length).toBe(2 + ACCESS.length + AUTH.length + AUDIT.length);
    const byUid = new Map<string, Obj[]>();
    for (const o of objects) {
      const l = byUid.get(o.metadata.uid) ?? [];
      l.push(o);
      byUid.set(o.metadata.uid, l);
    }
    for (const e of stored) {
      const want = expectedClass(e);
      const got = (byUid.get(e.id) ?? []).map((o) => o.class_uid as number);
      expect(got, `${e.id} ${e.kind} ${e.log?.type ?? ''}`).toEqual(want === undefined ? [] : [want]);
    }
    const count = (uid: number) => objects.filter((o) => o.class_uid === uid).length;
    // The two flagged log lines and the blocked proxy request; three plain requests and the allowed one.
    expect(count(2004)).toBe(3);
    expect(count(4002)).toBe(4);
    expect(count(3002)).toBe(10);
    expect(count(4001)).toBe(1);
    expect(count(2005)).toBe(2);
    expect(summary).toMatchObject({
      objects: 20,
      by_class: {
        detection_finding: 3,
        http_activity: 4,
        authentication: 10,
        network_activity: 1,
        incident_finding: 2,
      },
      skipped: { system: 1 },
    });
  });

  it('HTTP Activity carries the request, the answer, the client and its location', () => {
    const o = objects.find((x) => x.metadata.uid === 'proxy-ok')!;
    expect(o).toMatchObject({
      class_uid: 4002,
      category_uid: 4,
      activity_id: 3,
      activity_name: 'Get',
      type_uid: 400203,
      severity_id: 1,
      action_id: 1,
      disposition_id: 1,
      status_id: 1,
      http_request: {
        http_method: 'GET',
        url: { hostname: 'shop.example', path: '/products/42', query_string: 'ref=home' },
        user_agent: 'curl/8.5.0',
      },
      http_response: { code: 200, length: 900 },
      src_endpoint: {
        ip: '203.0.113.9',
        port: 51000,
        location: { country: 'NL', city: 'Amsterdam', lat: 52.37, long: 4.89 },
      },
      metadata: { product: { name: 'Palisade', vendor_name: 'Palisade' }, uid: 'proxy-ok' },
    });
    expect(o.time).toBe(Date.parse(stored.find((e) => e.id === 'proxy-ok')!.ts));
    const post = objects.find((x) => x.http_request?.http_method === 'POST')!;
    expect(post).toMatchObject({ activity_id: 6, type_uid: 400206, http_response: { code: 302 } });
    expect(post.http_request.referrer).toBeUndefined();
    const withReferrer = objects.find((x) => x.http_request?.url?.path === '/index.html')!;
    expect(withReferrer.http_request.referrer).toBe('https://shop.example/');
  });

  it('Detection Finding names the rule, the classes and the outcome, with the request as evidence', () => {
    const o = objects.find((x) => x.metadata.uid === 'proxy-sqli')!;
    const e = stored.find((x) => x.id === 'proxy-sqli')!;
    expect(e.action).toBe('block');
    expect(o).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      action_id: 2,
      disposition_id: 2,
      is_alert: true,
      status_id: 1,
      finding_info: { uid: 'proxy-sqli', types: expect.arrayContaining(['sqli']) },
      evidences: [
        {
          src_endpoint: { ip: '198.51.100.7', port: 51000 },
          http_request: { http_method: 'GET', url: { path: '/search' } },
          http_response: { code: 403 },
        },
      ],
    });
    expect(o.severity_id).toBe({ info: 1, low: 2, medium: 3, high: 4, critical: 5 }[e.severity]);
    const rules = e.findings.map((f) => f.rule);
    expect(rules).toContain(o.finding_info.analytic.uid);
    expect(o.finding_info.analytic.type_id).toBeOneOf([1, 4]);
    expect(o.evidences[0].data.findings.map((f: Obj) => f.rule)).toEqual(rules);
    expect(o.confidence_score).toBeGreaterThan(0);
    // Flagged log lines: passed (a log cannot block), logged.
    const logged = objects.filter((x) => x.class_uid === 2004 && x.metadata.uid !== 'proxy-sqli');
    expect(logged.map((x) => [x.action_id, x.disposition_id])).toEqual([
      [1, 17],
      [1, 17],
    ]);
    expect(logged.flatMap((x) => x.finding_info.types).sort()).toEqual(
      expect.arrayContaining(['sqli', 'xss']),
    );
  });

  it('Authentication: failures and the success of a remote login, with the user and the service', () => {
    const auth = objects.filter((x) => x.class_uid === 3002);
    const failures = auth.filter((x) => x.status_id === 2);
    const successes = auth.filter((x) => x.status_id === 1);
    expect([failures.length, successes.length]).toEqual([9, 1]);
    for (const o of auth)
      expect(o).toMatchObject({
        category_uid: 3,
        activity_id: 1,
        type_uid: 300201,
        user: { name: 'root' },
        service: { name: 'sshd' },
        is_remote: true,
        src_endpoint: { ip: '203.0.113.50' },
        auth_protocol: 'password',
        auth_protocol_id: 99,
      });
    expect(successes[0]!.src_endpoint.port).toBe(40100);
  });

  it('Incident Finding: the brute force with its status, times and finding info', () => {
    const o = objects.find((x) => x.class_uid === 2005 && x.finding_info_list[0].types[0] === 'brute_force')!;
    expect(o).toMatchObject({
      category_uid: 2,
      activity_id: 1,
      type_uid: 200501,
      severity_id: 5,
      status_id: 1,
      status: 'New',
      assignee_group: { name: 'unassigned' },
      finding_info_list: [{ types: ['brute_force'], analytic: { type_id: 1 }, related_events_count: 10 }],
      observables: expect.arrayContaining([
        { name: 'src_endpoint.ip', type_id: 2, type: 'IP Address', value: '203.0.113.50' },
      ]),
    });
    expect(o.metadata.uid).toMatch(/^incident-\d+$/);
    expect(o.start_time).toBeLessThanOrEqual(o.end_time);
    expect(o.end_time - o.start_time).toBe(9000);
  });

  it('Network Activity: the packet with source and destination', () => {
    const o = objects.find((x) => x.class_uid === 4001)!;
    expect(o).toMatchObject({
      activity_id: 6,
      type_uid: 400106,
      src_endpoint: { ip: '203.0.113.77' },
      dst_endpoint: { ip: '192.168.1.10' },
      connection_info: { protocol_num: 6 },
    });
  });

  it('refuses dataset options that do not apply to OCSF', async () => {
    await expect(
      runDatasetCommand(['export', '--format', 'ocsf', '--split', '70/30', '--out', join(dir, 'x')], {
        config,
      }),
    ).rejects.toThrow(/--split does not apply/);
  });
});
