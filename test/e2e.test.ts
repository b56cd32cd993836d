/**
 * End to end with real parts: the collector (`serve`'s pipeline and Fastify app on a real SQLite
 * file), a real Express app with the sensor middleware shipping to it, and the real reverse proxy in
 * front of a real upstream. Attacks are refused and stored with findings, geo, ASN and fingerprint;
 * benign traffic passes byte-identical; a WebSocket echo works through the proxy.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import type { SecurityEvent } from '@palisade/engine';
import { createSensor, type Sensor } from '@palisade/sensor';
import { loadConfig } from '../packages/server/src/config/config.js';
import { openPipeline, type Pipeline } from '../packages/server/src/serve/pipeline.js';
import { buildApp } from '../packages/server/src/serve/app.js';
import { createProxy, type Proxy } from '../packages/server/src/proxy/index.js';

const listen = (s: Server): Promise<string> =>
  new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)),
  );
const closeServer = (s: Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The upstream: fixed headers, no Date, a streamed chunked binary body, an echo. */
const BLOB = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
function upstreamApp(seen: string[]): Server {
  const s = createServer((req, res) => {
    res.sendDate = false;
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/stream') {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'x-upstream': 'yes',
        'set-cookie': ['a=1', 'b=2'],
      });
      let i = 0;
      const step = () => {
        if (i >= BLOB.length) return res.end();
        res.write(BLOB.subarray(i, i + 65_536));
        i += 65_536;
        setImmediate(step);
      };
      return step();
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  const wss = new WebSocketServer({ server: s });
  wss.on('connection', (ws) => ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary })));
  return s;
}

/** Hop-by-hop headers a proxy may change (RFC 9110 §7.6.1). */
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
]);
const endToEnd = (h: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k)));

describe('end to end: sensor, proxy, collector and store', () => {
  let dir: string;
  let pipeline: Pipeline;
  let api: string;
  let apiKey: string;
  let app: ReturnType<typeof buildApp>;
  const servers: Server[] = [];
  let sensor: Sensor;
  let expressUrl: string;
  let proxy: Proxy;
  let proxyUrl: string;
  let upstreamUrl: string;
  const upstreamSeen: string[] = [];
  const shopSeen: unknown[] = [];

  async function events(query: string): Promise<SecurityEvent[]> {
    const r = await send(`${api}/api/v1/events?${query}`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(r.status).toBe(200);
    return (JSON.parse(r.body.toString()) as { events: SecurityEvent[] }).events;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-e2e-'));
    const config = loadConfig({ cwd: dir, env: {}, flags: { data_dir: dir, listen: '127.0.0.1:0' } });
    pipeline = await openPipeline(config, { retention: false });
    await pipeline.enricher.ready();
    const keyFile = await pipeline.ensureInitialApiKey();
    apiKey = readFileSync(keyFile!, 'utf8').trim();
    app = buildApp({ pipeline, maxEventsPerRequest: 1000, maxBodyBytes: 10 << 20, version: 'test' });
    api = await app.listen({ host: '127.0.0.1', port: 0 });

    sensor = createSensor({
      name: 'sensor:e2e-express',
      collector: { url: api, apiKey, flushMs: 20 },
      trustProxy: ['127.0.0.1'],
    });
    const shop = express();
    shop.use(sensor.express());
    shop.use(express.json());
    shop.use(express.urlencoded({ extended: false }));
    shop.all('/{*any}', (req, res) => {
      shopSeen.push(req.body);
      res.json({ ok: true, body: req.body as unknown });
    });
    const shopServer = createServer(shop);
    servers.push(shopServer);
    expressUrl = await listen(shopServer);

    const upstream = upstreamApp(upstreamSeen);
    servers.push(upstream);
    upstreamUrl = await listen(upstream);
    proxy = createProxy({
      upstream: upstreamUrl,
      engine: pipeline.engine,
      sink: pipeline.sink,
      bans: pipeline.bans,
      trustedProxies: ['127.0.0.1'],
      sourceName: 'proxy:e2e',
    });
    const a = await proxy.listen('127.0.0.1', 0);
    proxyUrl = `http://127.0.0.1:${a.port}`;
  });

  afterAll(async () => {
    await sensor?.close();
    await proxy?.close();
    for (const s of servers) await closeServer(s);
    await app?.close();
    await pipeline?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the sensor refuses an attack in an Express app and the collector stores it enriched', async () => {
    const r = await send(
      `${expressUrl}/search?q=${encodeURIComponent("1' UNION SELECT password FROM users--")}`,
      {
        headers: { 'x-forwarded-for': '8.8.8.8', 'user-agent': 'e2e-attacker/1.0' },
      },
    );
    expect(r.status).toBe(403);
    await sensor.flush();
    const [e] = await events('source=sensor:e2e-express&action=block');
    expect(e).toBeDefined();
    expect(e!.findings.some((f) => f.class === 'sqli')).toBe(true);
    expect(e!.client.ip).toBe('8.8.8.8');
    expect(e!.client.geo?.country).toBe('US');
    expect(e!.client.asn?.number).toBe(15169);
    expect(e!.client.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(e!.http?.status).toBe(403);
  });

  it('an in-process sensor writes straight into the local store (no collector)', async () => {
    const local = createSensor({
      name: 'sensor:e2e-local',
      sink: (batch) => pipeline.submitBatch(batch),
      sinkOptions: { flushMs: 10 },
    });
    const server = createServer(local.http((_req, res) => res.end('ok')));
    const url = await listen(server);
    try {
      expect((await send(`${url}/?q=${encodeURIComponent('<svg onload=alert(1)>')}`)).status).toBe(403);
      await local.flush();
      const [e] = await events('source=sensor:e2e-local');
      expect(e?.findings.some((f) => f.class === 'xss')).toBe(true);
    } finally {
      await local.close();
      await closeServer(server);
    }
  });

  it('the sensor passes a benign JSON body to the app parsed and unchanged', async () => {
    const body = { items: [{ id: 2, qty: 1 }], note: "ring twice, it's the blue door" };
    const r = await send(`${expressUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ ok: true, body });
  });

  it('the proxy refuses an attack without contacting the upstream and stores it with evidence', async () => {
    const before = upstreamSeen.length;
    const r = await send(`${proxyUrl}/download?file=..%2F..%2F..%2Fetc%2Fpasswd`, {
      headers: { 'x-forwarded-for': '8.8.8.8', 'user-agent': 'curl/8.5.0' },
    });
    expect(r.status).toBe(403);
    expect(upstreamSeen.length).toBe(before);
    let stored: SecurityEvent[] = [];
    for (let i = 0; i < 50 && stored.length === 0; i++) {
      stored = await events('source=proxy:e2e&action=block&class=traversal');
      if (!stored.length) await new Promise((res) => setTimeout(res, 50));
    }
    const e = stored[0]!;
    expect(e.findings[0]!.evidence).toContain('../');
    expect(e.client).toMatchObject({ ip: '8.8.8.8', geo: { country: 'US' }, asn: { number: 15169 } });
    expect(e.client.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    const detail = await send(`${api}/api/v1/events/${e.id}?raw=true`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect((JSON.parse(detail.body.toString()) as SecurityEvent).raw).toContain('GET /download?file=..%2F');
  });

  it('a benign response passes the proxy byte-identical: status, headers, streamed body', async () => {
    const direct = await send(`${upstreamUrl}/stream`);
    const proxied = await send(`${proxyUrl}/stream`);
    expect(proxied.status).toBe(direct.status);
    expect(endToEnd(proxied.headers)).toEqual(endToEnd(direct.headers));
    expect(createHash('sha256').update(proxied.body).digest('hex')).toBe(
      createHash('sha256').update(BLOB).digest('hex'),
    );
    const post = await send(`${proxyUrl}/echo?x=1`, {
      method: 'POST',
      body: 'name=Zoë&qty=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(JSON.parse(post.body.toString())).toEqual({
      method: 'POST',
      url: '/echo?x=1',
      body: 'name=Zoë&qty=2',
    });
  });

  it('a WebSocket echo works through the proxy', async () => {
    const ws = new WebSocket(`${proxyUrl.replace('http', 'ws')}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello through palisade'));
      ws.on('message', (m) => resolve(String(m)));
      ws.on('error', reject);
    });
    ws.close();
    expect(reply).toBe('hello through palisade');
  });

  it('a ban added in the store refuses the source at the proxy', async () => {
    const add = await send(`${api}/api/v1/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: '203.0.113.0/24', reason: 'e2e ban', ttl_seconds: 3600 }),
    });
    expect(add.status).toBe(201);
    const r = await send(`${proxyUrl}/hello`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(r.status).toBe(403);
    expect(r.body.toString()).toContain('PAL_BANNED');
    const feed = await send(`${api}/api/v1/bans/active`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(JSON.parse(feed.body.toString())).toMatchObject({
      bans: [{ value: '203.0.113.0/24', reason: 'e2e ban' }],
    });
    const again = await send(`${api}/api/v1/bans/active`, {
      headers: { authorization: `Bearer ${apiKey}`, 'if-none-match': String(feed.headers.etag) },
    });
    expect(again.status).toBe(304);
  });
});
