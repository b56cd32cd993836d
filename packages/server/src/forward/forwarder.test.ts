import { createHmac, timingSafeEqual } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import { resolveForwardConfig } from '../config/forward-config.js';
import { openPipeline, type Pipeline } from '../serve/pipeline.js';
import { renderMetrics } from '../serve/metrics.js';
import { sqliEvent } from '../serve/test-client.js';
import { ocsfProblems } from './testdata/ocsf-check.js';
import { parseCef, parseSyslog5424, splitOctetCounted } from './testdata/cef-parse.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pipelineWith(forward: unknown): Promise<{ p: Pipeline; logs: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'pal-forward-'));
  const config = testConfig(dir);
  config.forward = resolveForwardConfig(forward, {});
  const logs: string[] = [];
  const p = await openPipeline(config, { retention: false, log: (l) => logs.push(l) });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => p.close());
  return { p, logs };
}

let n = 0;
const login = (outcome: 'failure' | 'success', ip: string, tsMs: number): SecurityEvent => ({
  id: `fwd-${++n}`,
  ts: new Date(tsMs).toISOString(),
  kind: 'auth',
  source: { name: 'log:auth', type: 'log' },
  client: { ip, port: 40000 + n },
  user: 'root',
  outcome,
  action: 'allow',
  score: 0,
  severity: outcome === 'failure' ? 'low' : 'info',
  findings: [],
  log: { type: outcome === 'failure' ? 'auth_failure' : 'auth_success', program: 'sshd', method: 'password' },
});

/** Nine failed logins (a high brute force incident), committed and persisted. */
async function bruteForce(p: Pipeline, ip: string, t0: number): Promise<void> {
  await p.submitBatch(Array.from({ length: 9 }, (_, i) => login('failure', ip, t0 + i * 1000)));
  await p.incidents.idle();
}

/** A success from the same source: the incident turns critical. */
async function breakIn(p: Pipeline, ip: string, t0: number): Promise<void> {
  await p.sink.submit(login('success', ip, t0 + 9500));
  await p.incidents.idle();
}

/** Events that are not alerts, or below a `medium` threshold. */
const quiet = (id: string): SecurityEvent[] => [
  sqliEvent(`${id}-allow`, { action: 'allow', severity: 'info', score: 0, findings: [] }),
  sqliEvent(`${id}-low`, {
    action: 'log',
    severity: 'low',
    score: 2,
    findings: [{ ...sqliEvent('x').findings[0]!, rule: 'ml.classifier', class: 'ml', severity: 'low' }],
  }),
];

function listen<S extends Server | ReturnType<typeof createHttpServer>>(
  server: S,
  port = 0,
): Promise<number> {
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** A TCP receiver collecting what arrives; closed (its connections dropped) after the test. */
async function tcpReceiver(port = 0): Promise<{ port: number; chunks: Buffer[]; connections: () => number }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => sockets.delete(s));
  });
  const bound = await listen(server, port);
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: bound, chunks, connections: () => connections };
}

describe('forwarding to syslog', () => {
  it('sends alerts and incidents as RFC 5424 + CEF datagrams over UDP, only at the threshold', async () => {
    const got: string[] = [];
    const udp = createSocket('udp4').on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => udp.close(() => r())));
    const { p } = await pipelineWith({
      syslog: [{ host: '127.0.0.1', port: udp.address().port, protocol: 'udp', min_severity: 'medium' }],
    });
    await p.submitBatch([sqliEvent('udp-alert'), ...quiet('udp')]);
    const t0 = Date.now() - 60_000;
    await bruteForce(p, '203.0.113.60', t0);
    await breakIn(p, '203.0.113.60', t0);
    await p.forwarder.idle();
    await vi.waitFor(() => expect(got).toHaveLength(3), { timeout: 5000, interval: 20 });
    const msgs = got.map(parseSyslog5424);
    const cef = msgs.map((m) => parseCef(m.msg));
    expect(msgs.map((m) => [m.appName, m.msgId, m.pri])).toEqual([
      ['palisade', 'alert', 13 * 8 + 2],
      ['palisade', 'incident', 13 * 8 + 3],
      ['palisade', 'incident', 13 * 8 + 2],
    ]);
    expect(cef.map((c) => [c.vendor, c.signatureId, c.severity])).toEqual([
      ['Palisade', 'sqli.tautology', 10],
      ['Palisade', 'incident:brute_force', 8],
      ['Palisade', 'incident:brute_force', 10],
    ]);
    expect(cef[0]!.ext).toMatchObject({
      externalId: 'udp-alert',
      src: '8.8.8.8',
      act: 'block',
      request: '/search?q=%27%20or%201%3D1--',
    });
    expect(cef[2]!.ext).toMatchObject({ src: '203.0.113.60', cat: 'brute_force', cnt: '10', cs4: 'open' });
    expect(p.forwarder.stats().targets[`syslog:127.0.0.1:${udp.address().port}`]).toMatchObject({
      sent: 3,
      failed: 0,
      dead_lettered: 0,
      queued: 0,
    });
  });

  it('reconnects over TCP with backoff and frames OCSF JSON by octet counting', async () => {
    const probe = createTcpServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    const { p } = await pipelineWith({
      syslog: [
        {
          host: '127.0.0.1',
          port,
          protocol: 'tcp',
          format: 'json',
          min_severity: 'high',
          backoff_ms: 20,
          max_backoff_ms: 200,
          max_attempts: 20,
          timeout_ms: 2000,
        },
      ],
    });
    const name = `syslog:127.0.0.1:${port}`;
    // Nobody listens yet: the first attempts are refused and retried.
    await p.sink.submit(sqliEvent('tcp-1'));
    await vi.waitFor(() => expect(p.forwarder.stats().targets[name]!.failed).toBeGreaterThan(0), {
      timeout: 5000,
      interval: 5,
    });
    const { chunks, connections } = await tcpReceiver(port);
    await p.forwarder.idle();
    await p.sink.submit(sqliEvent('tcp-2', { severity: 'high' }));
    await bruteForce(p, '203.0.113.61', Date.now() - 60_000);
    await p.forwarder.idle();
    await vi.waitFor(() => expect(splitOctetCounted(Buffer.concat(chunks))).toHaveLength(3), {
      timeout: 5000,
      interval: 20,
    });
    const objs = splitOctetCounted(Buffer.concat(chunks)).map(
      (m) => JSON.parse(parseSyslog5424(m).msg) as Obj,
    );
    for (const o of objs) expect(ocsfProblems(o)).toEqual([]);
    expect(objs.map((o) => [o.class_uid, o.metadata.uid])).toEqual([
      [2004, 'tcp-1'],
      [2004, 'tcp-2'],
      [2005, expect.stringMatching(/^incident-\d+$/)],
    ]);
    expect(connections()).toBe(1);
    expect(p.forwarder.stats().targets[name]).toMatchObject({ sent: 3, dead_lettered: 0 });
    expect(p.forwarder.stats().targets[name]!.retried).toBeGreaterThan(0);
  });

  it('frames CEF with newlines over TCP when asked', async () => {
    const { port, chunks } = await tcpReceiver();
    const { p } = await pipelineWith({
      syslog: [
        { host: '127.0.0.1', port, protocol: 'tcp', framing: 'newline', alerts: true, incidents: false },
      ],
    });
    const ua = 'evil\nagent=1|x';
    await p.sink.submit(sqliEvent('nl-1', { http: { ...sqliEvent('x').http!, user_agent: ua } }));
    await p.sink.submit(sqliEvent('nl-2'));
    await bruteForce(p, '203.0.113.62', Date.now() - 60_000);
    await p.forwarder.idle();
    await vi.waitFor(() => expect(Buffer.concat(chunks).toString().split('\n')).toHaveLength(3), {
      timeout: 5000,
      interval: 20,
    });
    const lines = Buffer.concat(chunks).toString().split('\n');
    expect(lines.pop()).toBe('');
    const cef = lines.map((l) => parseCef(parseSyslog5424(l).msg));
    expect(cef.map((c) => c.ext.externalId)).toEqual(['nl-1', 'nl-2']);
    expect(cef[0]!.ext.requestClientApplication).toBe(ua);
  });
});

interface Hit {
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP receiver answering each request with `answer(n)` (n from 1): a status, or 'hang'. */
async function receiver(answer: (n: number) => number | 'hang'): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      const a = answer(hits.length);
      if (a !== 'hang') res.writeHead(a, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  const port = await listen(server);
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, hits };
}

const fast = { backoff_ms: 5, max_backoff_ms: 20, timeout_ms: 300 };

describe('incident webhooks', () => {
  it('retries after a 500 and a timeout, then delivers one signed JSON body with the OCSF incident', async () => {
    const r = await receiver((i) => (i === 1 ? 500 : i === 2 ? 'hang' : 200));
    const { p } = await pipelineWith({
      webhooks: [{ url: `${r.url}/hook`, secret: 'topsecret', max_attempts: 5, ...fast }],
    });
    await bruteForce(p, '203.0.113.70', Date.now() - 60_000);
    await p.forwarder.idle();
    expect(r.hits).toHaveLength(3);
    const name = `webhook:${new URL(r.url).host}`;
    expect(p.forwarder.stats().targets[name]).toMatchObject({
      sent: 1,
      failed: 2,
      retried: 2,
      dead_lettered: 0,
    });
    // One delivery: the same id and body on every attempt.
    expect(new Set(r.hits.map((h) => h.headers['x-palisade-delivery'])).size).toBe(1);
    expect(new Set(r.hits.map((h) => h.body)).size).toBe(1);
    const hit = r.hits[2]!;
    const sig = String(hit.headers['x-palisade-signature']);
    const want = `sha256=${createHmac('sha256', 'topsecret').update(hit.body).digest('hex')}`;
    expect(timingSafeEqual(Buffer.from(sig), Buffer.from(want))).toBe(true);
    const wrong = `sha256=${createHmac('sha256', 'other').update(hit.body).digest('hex')}`;
    expect(sig).not.toBe(wrong);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['x-palisade-event']).toBe('incident.created');
    const body = JSON.parse(hit.body) as Obj;
    expect(body).toMatchObject({
      event: 'incident.created',
      incident: { type: 'brute_force', severity: 'high', status: 'open', keys: { ip: '203.0.113.70' } },
      ocsf: { class_uid: 2005, activity_id: 1, severity_id: 4, status_id: 1 },
    });
    expect(body.text).toContain('brute_force');
    expect(body.text).toContain('203.0.113.70');
    expect(ocsfProblems(body.ocsf)).toEqual([]);
    expect(body.ocsf.metadata.uid).toBe(`incident-${body.incident.id}`);
  });

  it('dead-letters after the last attempt, remembering and logging it without the URL or secret', async () => {
    const r = await receiver(() => 503);
    const { p, logs } = await pipelineWith({
      webhooks: [{ url: `${r.url}/hook/T0K3N?key=abc123`, secret: 'sekrit', max_attempts: 3, ...fast }],
    });
    await bruteForce(p, '203.0.113.71', Date.now() - 60_000);
    await p.forwarder.idle();
    const name = `webhook:${new URL(r.url).host}`;
    expect(r.hits).toHaveLength(3);
    expect(p.forwarder.stats().targets[name]).toMatchObject({
      sent: 0,
      failed: 3,
      retried: 2,
      dead_lettered: 1,
    });
    const dead = p.forwarder.deadLetters();
    expect(dead).toMatchObject([
      { target: name, kind: 'incident', attempts: 3, error: 'HTTP 503', severity: 'high' },
    ]);
    expect(dead[0]!.ref).toMatch(/^incident \d+$/);
    const told = JSON.stringify(dead) + logs.join('\n');
    expect(logs.some((l) => l.includes('gave up on incident'))).toBe(true);
    for (const secret of ['T0K3N', 'abc123', 'sekrit']) expect(told).not.toContain(secret);
    const metrics = renderMetrics(p.collectors);
    expect(metrics).toContain(`palisade_forward_dead_lettered_total{target="${name}"} 1`);
    expect(metrics).toContain(`palisade_forward_failures_total{target="${name}"} 3`);
    expect(metrics).toContain(`palisade_forward_queue_depth{target="${name}"} 0`);
  });

  it('Slack format: only { text }; an incident raised to the threshold goes out as an update', async () => {
    const r = await receiver(() => 200);
    const { p } = await pipelineWith({
      webhooks: [{ url: `${r.url}/services/x`, format: 'slack', min_severity: 'critical', ...fast }],
    });
    const t0 = Date.now() - 60_000;
    await bruteForce(p, '203.0.113.72', t0);
    await p.forwarder.idle();
    expect(r.hits).toHaveLength(0); // high: below the threshold
    await breakIn(p, '203.0.113.72', t0);
    await p.forwarder.idle();
    expect(r.hits).toHaveLength(1);
    const body = JSON.parse(r.hits[0]!.body) as Obj;
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toMatch(
      /^\[CRITICAL\] Palisade incident #\d+ brute_force \(severity raised to critical\)/,
    );
    expect(r.hits[0]!.headers['x-palisade-event']).toBe('incident.severity_raised');
    expect(r.hits[0]!.headers['x-palisade-signature']).toBeUndefined();
  });

  it('a permanent refusal (404) is dead-lettered without retries', async () => {
    const r = await receiver(() => 404);
    const { p } = await pipelineWith({ webhooks: [{ url: `${r.url}/gone`, ...fast }] });
    await bruteForce(p, '203.0.113.73', Date.now() - 60_000);
    await p.forwarder.idle();
    expect(r.hits).toHaveLength(1);
    expect(p.forwarder.deadLetters()).toMatchObject([{ attempts: 1, error: 'HTTP 404' }]);
  });
});
