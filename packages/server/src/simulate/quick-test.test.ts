import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type SecurityEvent } from '@palisade/engine';
import type { EventSink } from '../sink.js';
import { createProxy, type Proxy } from '../proxy/index.js';
import { createSimulator, sendSimRequest } from './simulator.js';
import type { SimRequest } from './sim-request.js';

/**
 * The seed system's quick test, end to end: a real upstream, a real Palisade proxy in block mode in
 * front of it (in-process, ephemeral ports, trusting X-Forwarded-For from loopback), and requests sent
 * by the simulator's own sender. What the proxy decided is read from its answers (403 = blocked) and
 * from the events it hands its sink (action and findings).
 */

class MemorySink implements EventSink {
  events: SecurityEvent[] = [];
  submit(e: SecurityEvent): Promise<void> {
    this.events.push(e);
    return Promise.resolve();
  }
}

let upstream: http.Server;
let proxy: Proxy;
let target: URL;
const sink = new MemorySink();
const reached: string[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      reached.push(req.url!);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
      res.end('ok\n');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = createProxy({
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    engine: createEngine({ mode: 'block' }),
    sink,
    trustedProxies: ['127.0.0.1', '::1'],
  });
  const a = await proxy.listen('127.0.0.1', 0);
  target = new URL(`http://127.0.0.1:${a.port}/`);
});

afterAll(async () => {
  await proxy.close();
  await new Promise((r) => upstream.close(r));
});

let seq = 0;
function get(path: string, source = '81.2.69.160'): SimRequest {
  return {
    seq: seq++,
    kind: 'normal',
    family: 'quick-test',
    method: 'GET',
    path,
    headers: {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      accept: 'text/html,*/*;q=0.8',
      'x-forwarded-for': source,
    },
    source,
  };
}

/** The event the proxy recorded for a request-target (its path and query). */
async function eventFor(path: string): Promise<SecurityEvent> {
  const [p, q] = path.split('?');
  for (let i = 0; i < 500; i++) {
    const ev = sink.events.find((e) => e.http?.path === p && (q === undefined || e.http?.query === q));
    if (ev) return ev;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no event for ${path}`);
}

const q = (v: string) => `/search?q=${encodeURIComponent(v)}`;

describe('quick test through a real proxy in block mode', () => {
  it('allows a normal search', async () => {
    const r = await sendSimRequest(target, get(q('normal query')));
    expect(r.status).toBe(200);
    expect((await eventFor(q('normal query'))).action).toBe('allow');
  });

  it.each([
    ["admin' OR '1'='1", 'sqli'],
    ['<script>alert(1)</script>', 'xss'],
    ['../../../etc/passwd', 'traversal'],
  ])('blocks %s as a parameter value (403, %s finding)', async (payload, cls) => {
    const path = q(payload);
    const r = await sendSimRequest(target, get(path));
    expect(r.status).toBe(403);
    expect(reached).not.toContain(path);
    const ev = await eventFor(path);
    expect(ev.action).toBe('block');
    expect(ev.findings.map((f) => f.class)).toContain(cls);
  });

  it.each(['/login/auth', '/transfer/internal', '/api/balance/check', '/support/ticket'])(
    'allows the application path %s untouched',
    async (path) => {
      const r = await sendSimRequest(target, get(path));
      expect(r.status).toBe(200);
      expect(reached).toContain(path);
      const ev = await eventFor(path);
      expect(ev.action).toBe('allow');
      expect(ev.findings).toEqual([]);
    },
  );

  it('flags /etc/passwd as a path (blocked, with a finding)', async () => {
    const r = await sendSimRequest(target, get('/etc/passwd'));
    expect(r.status).toBe(403);
    const ev = await eventFor('/etc/passwd');
    expect(['log', 'block']).toContain(ev.action);
    expect(ev.findings.map((f) => f.rule)).toContain('traversal.os_file');
  });

  it('flags /api/admin/export?table=credit_cards (logged, forwarded: a low finding alone never blocks)', async () => {
    const path = '/api/admin/export?table=credit_cards';
    const r = await sendSimRequest(target, get(path));
    expect(r.status).toBe(200);
    expect(reached).toContain(path);
    const ev = await eventFor(path);
    expect(ev.action).toBe('log');
    expect(ev.findings.map((f) => f.rule)).toContain('sensitive_file.data_export');
  });

  it('records scenario traffic under the X-Forwarded-For addresses (the proxy trusts loopback)', async () => {
    const before = sink.events.length;
    const sim = createSimulator({
      target: target.href,
      ratePerSec: 5000,
      durationSecs: 10,
      maxRequests: 200,
      seed: 11,
      mix: 'scenario:1',
      scenario: 'ddos',
    });
    const s = await sim.start();
    expect(s.sent).toBe(200);
    expect(s.status['200']).toBe(200);
    for (let i = 0; i < 500 && sink.events.length < before + 200; i++)
      await new Promise((r) => setTimeout(r, 10));
    const ips = new Set(sink.events.slice(before).map((e) => e.client.ip));
    expect(ips.size).toBeGreaterThan(150);
    expect([...ips].some((ip) => ip.startsWith('127.'))).toBe(false);
  });
});
