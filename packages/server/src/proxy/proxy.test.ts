import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createEngine, trainAnomalyModel, type SecurityEvent } from '@palisade/engine';
import { loadDefaultModel } from '../ml/load-model.js';
import { DropError, type BanCheck, type EventSink } from '../sink.js';
import { createProxy, type Proxy } from './proxy.js';
import type { ProxyOptions } from './options.js';
import { runProxy } from './command.js';

// ---- test kit: a recording upstream, an in-memory sink, raw and parsed clients ------------------

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const BINARY = Buffer.alloc(1024 * 1024);
for (let i = 0; i < BINARY.length; i++) BINARY[i] = (i * 7919 + (i >> 8)) & 255;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function upstreamHandler(seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: req.method!,
        url: req.url!,
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body,
      });
      res.sendDate = false;
      const path = req.url!.split('?')[0];
      if (path === '/binary') {
        res.writeHead(200, 'OK', [
          'Content-Type',
          'application/octet-stream',
          'Content-Length',
          String(BINARY.length),
          'Set-Cookie',
          'a=1; Path=/',
          'Set-Cookie',
          'b=2; Path=/',
          'X-Mixed-Case',
          'Value',
          'Keep-Alive',
          'timeout=5',
        ]);
        res.end(BINARY);
      } else if (path === '/chunked') {
        res.writeHead(200, ['Content-Type', 'text/plain', 'X-Stream', 'yes']);
        let n = 0;
        const tick = () => {
          if (n === 5) return res.end();
          res.write(`chunk ${n++} ${'x'.repeat(1000 * n)}\n`);
          setTimeout(tick, 5);
        };
        tick();
      } else if (path === '/slow') {
        // never answers
      } else {
        const out = Buffer.from(
          JSON.stringify({ method: req.method, url: req.url, sha: sha(body), length: body.length }),
        );
        res.writeHead(201, 'Created Here', [
          'Content-Type',
          'application/json',
          'Content-Length',
          String(out.length),
          'X-Up',
          '1',
        ]);
        res.end(out);
      }
    });
  };
}

class MemorySink implements EventSink {
  events: SecurityEvent[] = [];
  constructor(private readonly reject: DropError | null = null) {}
  submit(e: SecurityEvent): Promise<void> {
    if (this.reject) return Promise.reject(this.reject);
    this.events.push(e);
    return Promise.resolve();
  }
}

async function waitFor<T>(f: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Reply {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  port: number,
  opts: {
    method?: string;
    path?: string;
    headers?: Record<string, string | string[]>;
    body?: Buffer | string | Buffer[];
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            statusMessage: res.statusMessage!,
            rawHeaders: res.rawHeaders,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    if (Array.isArray(opts.body)) for (const b of opts.body) req.write(b);
    else if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Writes raw bytes and returns everything read until the server closes (or 3 s). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(bytes, 'latin1')));
    let out = '';
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.on('error', () => {});
  });
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade']);
const endToEnd = (rawHeaders: string[]) => {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (!HOP.has(rawHeaders[i]!.toLowerCase())) out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  return out;
};

let upstream: http.Server;
let upstreamPort: number;
const seen: Seen[] = [];
const proxies: Proxy[] = [];

beforeAll(async () => {
  upstream = http.createServer(upstreamHandler(seen));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});
afterEach(async () => {
  seen.length = 0;
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function start(extra: Partial<ProxyOptions> = {}, sink = new MemorySink()) {
  const proxy = createProxy({
    upstream: `http://127.0.0.1:${upstreamPort}`,
    engine: createEngine(),
    sink,
    sourceName: 'proxy:test',
    ...extra,
  });
  proxies.push(proxy);
  const { port } = await proxy.listen('127.0.0.1', 0);
  return { proxy, port, sink };
}

// ---- pass-through --------------------------------------------------------------------------------

describe('forwarding', () => {
  it('passes a benign GET: status, reason, headers and body as the upstream sent them; forwarding headers added, hop-by-hop removed', async () => {
    const { port, sink, proxy } = await start();
    const headers = {
      'User-Agent': 'Mozilla/5.0 test',
      Referer: 'http://shop.example/',
      Connection: 'keep-alive, X-Secret-Hop',
      'X-Secret-Hop': 'drop me',
      'Keep-Alive': 'timeout=5',
      TE: 'trailers',
      'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
      Via: '1.1 edge',
    };
    const direct = await request(upstreamPort, { path: '/items?q=blue+shoes', headers });
    seen.length = 0;
    const viaProxy = await request(port, { path: '/items?q=blue+shoes', headers });
    expect(viaProxy.status).toBe(201);
    expect(viaProxy.statusMessage).toBe('Created Here');
    expect(endToEnd(viaProxy.rawHeaders)).toEqual(endToEnd(direct.rawHeaders));
    expect(viaProxy.body.equals(direct.body)).toBe(true);

    const up = seen[0]!;
    expect(up.url).toBe('/items?q=blue+shoes');
    expect(up.headers['x-secret-hop']).toBeUndefined();
    expect(up.headers['keep-alive']).toBeUndefined();
    expect(up.headers.te).toBeUndefined();
    expect(up.headers['proxy-authorization']).toBeUndefined();
    expect(up.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(up.headers['x-forwarded-proto']).toBe('http');
    expect(up.headers['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
    expect(up.headers.host).toBe(`127.0.0.1:${port}`);
    expect(up.headers.via).toBe('1.1 edge, 1.1 palisade');

    const ev = await waitFor(() => sink.events[0]);
    expect(ev).toMatchObject({
      kind: 'http',
      source: { name: 'proxy:test', type: 'proxy' },
      client: { ip: '127.0.0.1' },
      action: 'allow',
      findings: [],
      http: {
        method: 'GET',
        path: '/items',
        query: 'q=blue+shoes',
        status: 201,
        user_agent: 'Mozilla/5.0 test',
        referer: 'http://shop.example/',
        bytes_in: 0,
        bytes_out: direct.body.length,
      },
    });
    expect(ev.raw).toMatch(/^GET \/items\?q=blue\+shoes HTTP\/1\.1\r\n/);
    expect(typeof ev.http!.duration_ms).toBe('number');
    expect(proxy.stats()).toMatchObject({ requests: 1, forwarded: 1 });
  });

  it('passes a 1 MiB binary response byte for byte, repeated Set-Cookie kept', async () => {
    const { port } = await start();
    const r = await request(port, { path: '/binary' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(BINARY.length);
    expect(sha(r.body)).toBe(sha(BINARY));
    expect(r.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(r.rawHeaders).toContain('X-Mixed-Case');
    expect(r.headers['keep-alive']).toBeUndefined();
  });

  it('streams a chunked response unchanged', async () => {
    const { port } = await start();
    const direct = await request(upstreamPort, { path: '/chunked' });
    const r = await request(port, { path: '/chunked' });
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.headers['x-stream']).toBe('yes');
    expect(r.body.equals(direct.body)).toBe(true);
    expect(r.body.toString()).toContain('chunk 4');
  });

  it('forwards a benign POST body intact, Content-Length and chunked', async () => {
    const { port, sink } = await start();
    const json = JSON.stringify({ name: 'Alice', comment: 'Great product, fast delivery!' });
    const a = await request(port, {
      method: 'POST',
      path: '/api/comments',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    expect(a.status).toBe(201);
    expect(seen[0]!.body.toString()).toBe(json);
    const b = await request(port, {
      method: 'POST',
      path: '/api/comments',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: [json.slice(0, 10), json.slice(10)],
    });
    expect(b.status).toBe(201);
    expect(seen[1]!.body.toString()).toBe(json);
    expect(seen[1]!.headers['transfer-encoding']).toBe('chunked');
    const ev = await waitFor(() => sink.events.find((e) => e.http?.method === 'POST'));
    expect(ev.http!.bytes_in).toBe(Buffer.byteLength(json));
    expect(ev.raw).toContain('Great product');
  });

  it('streams a body longer than inspectBodyBytes to the upstream intact', async () => {
    const { port, sink } = await start({ inspectBodyBytes: 64 * 1024 });
    const big = Buffer.from('lorem ipsum dolor sit amet '.repeat(12_000)); // ~320 KB of text
    const r = await request(port, {
      method: 'POST',
      path: '/upload',
      headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
      body: [big.subarray(0, 100_000), big.subarray(100_000)],
    });
    expect(r.status).toBe(201);
    expect(seen[0]!.body.length).toBe(big.length);
    expect(sha(seen[0]!.body)).toBe(sha(big));
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.http!.bytes_in).toBe(big.length);
    // The uninspected rest is recorded as an anomaly, not skipped silently.
    expect(ev.findings.map((f) => f.rule)).toContain('protocol.limit_exceeded');
    expect(ev.raw_truncated).toBe(true);
  });

  it('forwards a legitimate JSON body over 128 KiB and records the uninspected rest as limit_exceeded', async () => {
    const { port, sink, proxy } = await start();
    // 450 values (under the engine's max_params), ~200 KB.
    const items = Array.from({ length: 150 }, (_, i) => ({
      sku: `SKU-${i}`,
      price: 19.99 + i,
      description: `Blue cotton shirt, size ${i % 5}. Soft, breathable and easy to wash. `.repeat(20),
    }));
    const json = Buffer.from(JSON.stringify({ items }));
    expect(json.length).toBeGreaterThan(150 * 1024);
    // In several chunks, so the cut falls inside a JSON value.
    const body = [json.subarray(0, 50_000), json.subarray(50_000, 150_000), json.subarray(150_000)];
    for (const headers of [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    ]) {
      const r = await request(port, { method: 'POST', path: '/api/products/import', headers, body });
      expect(r.status).toBe(201);
    }
    expect(seen.map((x) => sha(x.body))).toEqual([sha(json), sha(json)]);
    const evs = await waitFor(() => (sink.events.length >= 2 ? sink.events : undefined));
    for (const ev of evs) {
      expect(ev.action).toBe('log');
      expect(ev.findings.map((f) => `${f.rule}@${f.location}`)).toEqual(['protocol.limit_exceeded@body']);
      expect(ev.findings[0]!.severity).toBe('low');
      expect(ev.http!.bytes_in).toBe(json.length);
    }
    expect(proxy.stats()).toMatchObject({ forwarded: 2, flagged: 2 });
    // A proxy that inspects less than the engine would: the cut is still not a malformed body.
    const small = await start({ inspectBodyBytes: 10_000 }, new MemorySink());
    const r = await request(small.port, {
      method: 'POST',
      path: '/api/products/import',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(r.status).toBe(201);
    const ev = await waitFor(() => small.sink.events[0]);
    expect(ev.findings.map((f) => `${f.rule}@${f.location}`)).toEqual(['protocol.limit_exceeded@body']);
  });

  it('still blocks an attack in the first KB of a large JSON body', async () => {
    const { port, sink, proxy } = await start();
    const items = Array.from({ length: 5000 }, (_, i) => ({ sku: `SKU-${i}`, name: `Shirt ${i}` }));
    items[1]!.name = "x' UNION SELECT username, password FROM users--";
    const json = JSON.stringify({ items });
    expect(json.length).toBeGreaterThan(128 * 1024);
    const r = await request(port, {
      method: 'POST',
      path: '/api/products/import',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    expect(r.status).toBe(403);
    expect(seen).toHaveLength(0);
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.action).toBe('block');
    expect(ev.findings.some((f) => f.class === 'sqli' && f.location.startsWith('body.json'))).toBe(true);
    expect(ev.findings.some((f) => f.rule === 'protocol.limit_exceeded')).toBe(true);
    expect(proxy.stats().blocked.verdict).toBe(1);
  });

  it('answers 413 for a declared or streamed body over maxBodyBytes', async () => {
    const { port, sink, proxy } = await start({ maxBodyBytes: 100_000, inspectBodyBytes: 10_000 });
    const declared = await raw(
      port,
      'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5000000\r\n\r\n',
    );
    expect(declared).toMatch(/^HTTP\/1\.1 413 /);
    expect(declared).toContain('PAL_ERR_PROXY_BODY_TOO_LARGE');
    const streamed = await request(port, {
      method: 'POST',
      path: '/upload',
      headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
      body: Array.from({ length: 15 }, () => Buffer.alloc(10_000, 'a')),
    });
    expect(streamed.status).toBe(413);
    expect(proxy.stats().blocked.too_large).toBe(2);
    const evs = await waitFor(() => (sink.events.length >= 2 ? sink.events : undefined));
    for (const e of evs) {
      expect(e.http!.status).toBe(413);
      expect(e.action).toBe('block');
      expect(e.findings[0]!.rule).toBe('protocol.limit_exceeded');
    }
  });
});

// ---- blocking ------------------------------------------------------------------------------------

describe('blocking', () => {
  it('blocks an attack with 403 PAL_BLOCKED, records its findings, and never contacts the upstream', async () => {
    const { port, sink, proxy } = await start();
    const r = await request(port, { path: "/search?q=1'%20union%20select%20password%20from%20users--" });
    expect(r.status).toBe(403);
    const body = JSON.parse(r.body.toString()) as {
      error: { code: string; message: string; event_id: string };
    };
    expect(body.error.code).toBe('PAL_BLOCKED');
    const form = await request(port, {
      method: 'POST',
      path: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=admin&pass=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E',
    });
    expect(form.status).toBe(403);
    expect(seen).toHaveLength(0);
    const ev = await waitFor(() => sink.events.find((e) => e.id === body.error.event_id));
    expect(ev.action).toBe('block');
    expect(ev.http!.status).toBe(403);
    expect(ev.findings.some((f) => f.class === 'sqli')).toBe(true);
    expect(ev.labels?.detector).toBe('attack');
    const ev2 = await waitFor(() => sink.events.find((e) => e.http?.method === 'POST'));
    expect(ev2.findings.some((f) => f.class === 'xss')).toBe(true);
    expect(proxy.stats().blocked.verdict).toBe(2);
  });

  it('uses a custom block response', async () => {
    const { port } = await start({
      blockResponse: { status: 406, contentType: 'text/plain', body: 'nope {{event_id}}' },
    });
    const r = await request(port, { path: '/?q=%3Cscript%3Ealert(1)%3C/script%3E' });
    expect(r.status).toBe(406);
    expect(r.body.toString()).toMatch(/^nope [0-9a-f-]{36}$/);
  });

  it('in monitor mode forwards the attack and records it as `log`', async () => {
    const { port, sink, proxy } = await start({ engine: createEngine({ mode: 'monitor' }) });
    const r = await request(port, { path: "/search?q=1'%20union%20select%20password%20from%20users--" });
    expect(r.status).toBe(201);
    expect(seen).toHaveLength(1);
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.action).toBe('log');
    expect(ev.findings.length).toBeGreaterThan(0);
    expect(proxy.stats().flagged).toBe(1);
  });

  it('records the classifier and learning-mode scores; an anomaly is logged and forwarded', async () => {
    const benign = Array.from({ length: 300 }, (_, i) => ({
      method: 'GET',
      url: `/items?q=${['shoes', 'lamp', 'chair'][i % 3]}&page=${i % 9}`,
      headers: { 'user-agent': 'Mozilla/5.0 test' },
    }));
    const anomaly = { model: trainAnomalyModel(benign, { seed: 1 }), id: 'site' };
    const model = loadDefaultModel();
    const { port, sink } = await start({ engine: createEngine({ model, anomaly }) });
    const r = await request(port, {
      path: '/items?q=lamp&page=2&debug=1',
      headers: { 'User-Agent': 'Mozilla/5.0 test' },
    });
    expect(r.status).toBe(201);
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.action).toBe('log');
    expect(ev.anomaly_score).toBeGreaterThan(anomaly.model.threshold);
    expect(typeof ev.ml_score).toBe('number');
    expect(ev.findings.map((f) => f.rule)).toContain('anomaly.request');
  });

  it('refuses a banned client with 403 PAL_BANNED before inspection', async () => {
    const bans: BanCheck = {
      banned: (ip) => (ip === '127.0.0.1' ? { reason: 'brute force', until: null } : undefined),
    };
    const { port, sink, proxy } = await start({ bans });
    const r = await request(port, { path: '/' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body.toString()).error.code).toBe('PAL_BANNED');
    expect(seen).toHaveLength(0);
    const ev = await waitFor(() => sink.events[0]);
    expect(ev).toMatchObject({ action: 'block', message: 'banned: brute force' });
    expect(proxy.stats().blocked.ban).toBe(1);
  });

  it('records only flagged requests when recordAll is false', async () => {
    const { port, sink } = await start({ recordAll: false });
    await request(port, { path: '/fine' });
    await request(port, { path: '/?q=%3Cscript%3Ealert(1)%3C/script%3E' });
    await waitFor(() => sink.events[0]);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]!.action).toBe('block');
  });

  it('counts sink refusals by reason without failing the request', async () => {
    const { port, proxy } = await start({}, new MemorySink(new DropError('queue_full')));
    expect((await request(port, { path: '/' })).status).toBe(201);
    await waitFor(() => proxy.stats().events.dropped.queue_full === 1);
  });
});

// ---- client address ----------------------------------------------------------------------------

describe('X-Forwarded-For', () => {
  it('ignores and replaces X-Forwarded-For from an untrusted peer', async () => {
    const { port, sink } = await start();
    await request(port, {
      path: '/',
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' },
    });
    expect(seen[0]!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen[0]!.headers['x-forwarded-proto']).toBe('http');
    expect((await waitFor(() => sink.events[0])).client.ip).toBe('127.0.0.1');
  });

  it('believes a trusted peer: the client is the right-most untrusted address, the chain is extended', async () => {
    const { port, sink } = await start({ trustedProxies: ['127.0.0.1', '10.0.0.0/8'] });
    await request(port, {
      path: '/',
      headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.2.3', 'x-forwarded-proto': 'https' },
    });
    expect(seen[0]!.headers['x-forwarded-for']).toBe('6.6.6.6, 203.0.113.9, 10.1.2.3, 127.0.0.1');
    expect(seen[0]!.headers['x-forwarded-proto']).toBe('https');
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.client.ip).toBe('203.0.113.9');
    expect(ev.client.port).toBeUndefined();
  });
});

// ---- upstream failures, health -------------------------------------------------------------------

describe('upstream failures and health', () => {
  it('answers 502 when the upstream is down (HTML for browsers), records it, and health says degraded', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const { port, sink, proxy } = await start({ upstream: `http://127.0.0.1:${deadPort}` });
    const r = await request(port, { path: '/' });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).error.code).toBe('PAL_ERR_PROXY_UPSTREAM_UNAVAILABLE');
    const page = await request(port, { path: '/x', headers: { accept: 'text/html,*/*' } });
    expect(page.status).toBe(502);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body.toString()).toContain('Bad Gateway');
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.http!.status).toBe(502);
    expect(ev.message).toMatch(/upstream unavailable: ECONNREFUSED/);
    expect(proxy.stats().upstream_errors.unavailable).toBe(2);
    const h = await request(port, { path: '/_palisade/health' });
    const health = JSON.parse(h.body.toString());
    expect(health).toMatchObject({
      status: 'degraded',
      upstream: { reachable: false, last_error: 'ECONNREFUSED' },
    });
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    const { port, proxy } = await start({ timeouts: { upstreamResponseMs: 200 } });
    const r = await request(port, { path: '/slow' });
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body.toString()).error.code).toBe('PAL_ERR_PROXY_UPSTREAM_TIMEOUT');
    expect(proxy.stats().upstream_errors.timeout).toBe(1);
  });

  it('answers its health endpoint itself, without an event', async () => {
    const { port, sink } = await start();
    await request(port, { path: '/' });
    const h = await request(port, { path: '/_palisade/health' });
    expect(h.status).toBe(200);
    const body = JSON.parse(h.body.toString());
    expect(body).toMatchObject({ status: 'ok', mode: 'block', upstream: { reachable: true } });
    expect(body.counters.requests).toBe(1);
    expect(typeof body.uptime_secs).toBe('number');
    expect(seen).toHaveLength(1);
    await waitFor(() => sink.events[0]);
    expect(sink.events).toHaveLength(1);
  });
});

// ---- WebSocket -----------------------------------------------------------------------------------

describe('upgrade', () => {
  let wss: WebSocketServer;
  let wsPort: number;
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wsPort = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws, req) => {
      ws.send(`hello ${req.headers['x-forwarded-for']}`);
      ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
    });
  });
  afterAll(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });

  it('passes a WebSocket through both ways', async () => {
    const { port, sink, proxy } = await start({ upstream: `http://127.0.0.1:${wsPort}` });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket?room=1`);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m) => {
        got.push(m.toString());
        if (got.length === 1) ws.send('ping');
        if (got.length === 2) ws.send(Buffer.from([0, 1, 2, 255]));
        if (got.length === 3) resolve();
      });
      ws.on('error', reject);
    });
    expect(got[0]).toBe('hello 127.0.0.1');
    expect(got[1]).toBe('ping');
    expect([...Buffer.from(got[2]!, 'binary')].length).toBeGreaterThan(0);
    ws.close();
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.http).toMatchObject({ method: 'GET', path: '/socket', query: 'room=1', status: 101 });
    expect(proxy.stats().ws_upgrades).toEqual({ received: 1, forwarded: 1 });
  });

  it('refuses a hostile handshake with 403 on the socket', async () => {
    const { port, sink } = await start({ upstream: `http://127.0.0.1:${wsPort}` });
    const ws = new WebSocket(
      `ws://127.0.0.1:${port}/socket?room=${encodeURIComponent("1' union select password from users--")}`,
    );
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.action).toBe('block');
    expect(ev.findings.some((f) => f.class === 'sqli')).toBe(true);
  });
});

// ---- request smuggling -------------------------------------------------------------------------

describe('request smuggling guards', () => {
  const cases: [string, string][] = [
    [
      'CL and TE',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two Content-Length',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
    ],
    ['Content-Length list', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 4\r\n\r\nabcd'],
    ['TE gzip', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabcd'],
    ['TE gzip, chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'],
    [
      'TE twice',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['TE on HTTP/1.0', 'POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    [
      'TE with space before colon',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
    ],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'],
    ['control char in value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n'],
    ['bare CR in value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n'],
    ['bad header name', 'GET / HTTP/1.1\r\nHost: a\r\nX(A: b\r\n\r\n'],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    [
      'bad chunk size line',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\nabcd\r\n0\r\n\r\n',
    ],
  ];

  it.each(cases)('%s → 400, an event with a protocol finding, never forwarded', async (_name, bytes) => {
    const { port, sink, proxy } = await start();
    const out = await raw(port, bytes);
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    expect(out).toContain('PAL_ERR_PROXY_BAD_REQUEST');
    expect(seen).toHaveLength(0);
    const ev = await waitFor(() => sink.events[0]);
    expect(ev.action).toBe('block');
    expect(ev.http!.status).toBe(400);
    expect(ev.findings[0]!.class).toBe('protocol');
    expect(ev.raw!.length).toBeGreaterThan(0);
    expect(proxy.stats().blocked.smuggling).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(sink.events).toHaveLength(1);
  });

  it('refuses HTTP/1.1 without Host, forwards HTTP/1.0 without it', async () => {
    const { port, proxy } = await start();
    expect(await raw(port, 'GET / HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(proxy.stats().blocked.protocol).toBe(1);
    const ok = await raw(port, 'GET /old HTTP/1.0\r\n\r\n');
    expect(ok).toMatch(/^HTTP\/1\.1 201 /);
    expect(seen[0]!.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
  });

  it('refuses CONNECT (no open tunnel)', async () => {
    const { port } = await start();
    expect(await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 405 /,
    );
  });
});

// ---- honeypot ------------------------------------------------------------------------------------

describe('honeypot', () => {
  it('answers /wp-login.php itself and records the credentials tried, escaped in the page', async () => {
    const { port, sink, proxy } = await start();
    const get = await request(port, { path: '/wp-login.php' });
    expect(get.status).toBe(200);
    expect(get.body.toString()).toContain('name="loginform"');
    const post = await request(port, {
      method: 'POST',
      path: '/wp-login.php',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'log=admin%3Cscript%3E&pwd=hunter2&wp-submit=Log+In',
    });
    expect(post.status).toBe(200);
    const html = post.body.toString();
    expect(html).toContain('admin&lt;script&gt;');
    expect(html).not.toContain('admin<script>');
    expect(seen).toHaveLength(0);
    const ev = await waitFor(() => sink.events.find((e) => e.honeypot?.password));
    expect(ev).toMatchObject({
      kind: 'honeypot',
      action: 'block',
      severity: 'high',
      honeypot: { trap: 'wp-login', username: 'admin<script>', password: 'hunter2' },
    });
    expect(ev.findings[0]).toMatchObject({ rule: 'honeypot.wp-login', class: 'scanner', confidence: 0.99 });
    expect(proxy.stats().honeypot_hits).toBe(2);
  });

  it('serves a fake .env with canary values, git config, and captures commands and XML-RPC logins', async () => {
    const { port, sink } = await start({ honeypot: { canary: 'c4n4ry' } });
    const env = await request(port, { path: '/.env' });
    expect(env.body.toString()).toMatch(/^APP_NAME=Laravel/);
    expect(env.body.toString()).toMatch(/AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16}/);
    expect((await request(port, { path: '/.git/config' })).body.toString()).toContain('[remote "origin"]');
    await request(port, {
      path: '/cgi-bin/test.cgi',
      headers: { 'user-agent': '() { :; }; /bin/bash -c "id"' },
    });
    await request(port, {
      method: 'POST',
      path: '/xmlrpc.php',
      headers: { 'content-type': 'text/xml' },
      body: '<?xml version="1.0"?><methodCall><methodName>wp.getUsersBlogs</methodName><params><param><value><string>admin</string></value></param><param><value><string>letmein</string></value></param></params></methodCall>',
    });
    const admin = await request(port, {
      method: 'POST',
      path: '/administrator/index.php',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=root&password=toor',
    });
    expect(admin.body.toString()).toContain('Invalid username or password.');
    expect(seen).toHaveLength(0);
    const evs = await waitFor(() => (sink.events.length >= 5 ? sink.events : undefined));
    const by = (trap: string) => evs.find((e) => e.honeypot?.trap === trap)!.honeypot;
    expect(by('cgi-bin')!.command).toBe('() { :; }; /bin/bash -c "id"');
    expect(by('xmlrpc')).toMatchObject({ username: 'admin', password: 'letmein' });
    expect(by('admin-panel')).toMatchObject({ username: 'root', password: 'toor' });
    expect(by('env-file')).toEqual({ trap: 'env-file' });
  });

  it('can be turned off, and then forwards those paths', async () => {
    const { port } = await start({ honeypot: false });
    expect((await request(port, { path: '/wp-login.php' })).status).toBe(201);
    expect(seen).toHaveLength(1);
  });
});

// ---- CLI entry -----------------------------------------------------------------------------------

describe('runProxy', () => {
  it('prints where it listens and stops on SIGTERM, flushing the sink', async () => {
    const out = new PassThrough();
    let printed = '';
    out.on('data', (d: Buffer) => (printed += d.toString()));
    const signals = new EventEmitter();
    let flushed = false;
    const running = await runProxy({
      upstream: `http://127.0.0.1:${upstreamPort}`,
      listen: '127.0.0.1:0',
      engine: createEngine(),
      sink: new MemorySink(),
      flush: async () => {
        flushed = true;
      },
      out,
      signals,
    });
    expect(printed).toBe(
      `palisade proxy listening on http://127.0.0.1:${running.address.port} → http://127.0.0.1:${upstreamPort}\n`,
    );
    expect((await request(running.address.port, { path: '/' })).status).toBe(201);
    signals.emit('SIGTERM');
    await running.stopped;
    expect(flushed).toBe(true);
    expect(running.proxy.server.listening).toBe(false);
  });
});
