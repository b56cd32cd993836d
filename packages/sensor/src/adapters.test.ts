/**
 * One suite run against every adapter (node:http, Express, Fastify, Koa), each a real framework app on
 * port 0 with its own body parsers, shipping to a real local collector (a node:http server that records
 * the POSTed batches and serves a ban list with an ETag).
 */
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type SecurityEvent } from '@palisade/engine';
import { createSensor, type Sensor, type SensorOptions } from './index.js';

// ---------------------------------------------------------------------------------------------------
// The test collector

interface TestCollector {
  url: string;
  events(): SecurityEvent[];
  posts: number;
  banRequests: { ifNoneMatch: string | undefined; auth: string | undefined; status: number }[];
  setBans(bans: { value: string; reason: string; until: string | null }[], etag: string): void;
  close(): Promise<void>;
}

const API_KEY = 'pal_test_key';

async function startCollector(): Promise<TestCollector> {
  const batches: SecurityEvent[][] = [];
  let bans: unknown[] = [];
  let etag = '"none"';
  const c: Omit<TestCollector, 'url' | 'close'> = {
    events: () => batches.flat(),
    posts: 0,
    banRequests: [],
    setBans(list, tag) {
      bans = list;
      etag = tag;
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${API_KEY}`) {
        res.writeHead(401).end();
        return;
      }
      if (req.method === 'POST' && req.url === '/api/v1/ingest') {
        c.posts++;
        const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: SecurityEvent[] };
        batches.push(doc.events);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: doc.events.length, rejected: [] }));
      } else if (req.method === 'GET' && req.url === '/api/v1/bans/active') {
        const inm = req.headers['if-none-match'];
        const status = inm === etag ? 304 : 200;
        c.banRequests.push({ ifNoneMatch: inm, auth: req.headers.authorization, status });
        if (status === 304) res.writeHead(304, { etag }).end();
        else res.writeHead(200, { etag, 'content-type': 'application/json' }).end(JSON.stringify({ bans }));
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(c, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

// ---------------------------------------------------------------------------------------------------
// The same small app in each framework

interface Received {
  bodies: unknown[];
}

type Kind = 'http' | 'express' | 'fastify' | 'koa';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function login(sensor: Sensor, req: Parameters<Sensor['reportAuth']>[0], body: Record<string, string>) {
  const ok = body.password === 'right';
  sensor.reportAuth(req, { user: body.user ?? '', success: ok, ...(!ok && { reason: 'bad password' }) });
  return ok;
}

async function startApp(
  kind: Kind,
  sensor: Sensor,
  got: Received,
): Promise<{ port: number; close(): Promise<void> }> {
  const listen = async (server: Server) => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  };
  if (kind === 'http') {
    // A plain handler that reads the body with `for await`, as many do.
    const handler = async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const ct = req.headers['content-type'] ?? '';
      const body: Record<string, string> = ct.startsWith('application/json')
        ? (JSON.parse(text) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(text));
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && path === '/echo') {
        got.bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ body }));
      } else if (req.method === 'POST' && path === '/big') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ len: body.data?.length, sha: sha(body.data ?? '') }));
      } else if (req.method === 'POST' && path === '/login') {
        res.writeHead(login(sensor, req, body) ? 200 : 401).end();
      } else res.writeHead(200).end('ok');
    };
    return listen(createServer(sensor.http(handler)));
  }
  if (kind === 'express') {
    const app = express();
    app.use(sensor.express());
    app.use(express.json({ limit: '5mb' }));
    app.use(express.urlencoded({ extended: false, limit: '5mb' }));
    app.post('/echo', (req, res) => {
      got.bodies.push(req.body);
      res.json({ body: req.body });
    });
    app.post('/big', (req, res) => {
      const data = (req.body as { data: string }).data;
      res.json({ len: data.length, sha: sha(data) });
    });
    app.post('/login', (req, res) => {
      res.status(login(sensor, req, req.body as Record<string, string>) ? 200 : 401).end();
    });
    app.use((_req, res) => {
      res.send('ok');
    });
    return listen(createServer(app));
  }
  if (kind === 'fastify') {
    const app = Fastify({ bodyLimit: 5 * 1024 * 1024 });
    await app.register(sensor.fastify());
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 5 * 1024 * 1024 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    app.post('/echo', async (req) => {
      got.bodies.push(req.body);
      return { body: req.body };
    });
    app.post('/big', async (req) => {
      const data = (req.body as { data: string }).data;
      return { len: data.length, sha: sha(data) };
    });
    app.post('/login', async (req, reply) => {
      reply.code(login(sensor, req, req.body as Record<string, string>) ? 200 : 401).send();
    });
    app.setNotFoundHandler(async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  }
  const app = new Koa();
  app.use(sensor.koa());
  app.use(bodyParser({ jsonLimit: '5mb', formLimit: '5mb' }));
  app.use(async (ctx) => {
    const body = ctx.request.body as Record<string, string>;
    if (ctx.method === 'POST' && ctx.path === '/echo') {
      got.bodies.push(body);
      ctx.body = { body };
    } else if (ctx.method === 'POST' && ctx.path === '/big') {
      ctx.body = { len: body.data?.length, sha: sha(body.data ?? '') };
    } else if (ctx.method === 'POST' && ctx.path === '/login') {
      ctx.status = login(sensor, ctx, body) ? 200 : 401;
    } else ctx.body = 'ok';
  });
  return listen(createServer(app.callback()));
}

// ---------------------------------------------------------------------------------------------------
// Client

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function call(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = opts.body;
    const headers: Record<string, string | number> = { ...opts.headers };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (v: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(v) });
const form = (v: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(v).toString(),
});

async function waitFor<T>(f: () => T | Promise<T>, what: string): Promise<NonNullable<T>> {
  for (let i = 0; i < 200; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Flushes until the collector holds an event matching `pred`. */
function shipped(sensor: Sensor, col: TestCollector, pred: (e: SecurityEvent) => boolean, what: string) {
  return waitFor(async () => {
    await sensor.flush();
    return col.events().find(pred);
  }, what);
}

const SQLI = "/search?q=1'%20OR%20'1'%3D'1";

// ---------------------------------------------------------------------------------------------------

describe.each<Kind>(['http', 'express', 'fastify', 'koa'])('%s adapter', (kind) => {
  let col: TestCollector;
  const open: { close(): Promise<void> }[] = [];
  const sensors: Sensor[] = [];

  beforeAll(async () => {
    col = await startCollector();
  });
  afterAll(async () => {
    await col.close();
  });
  afterEach(async () => {
    for (const a of open.splice(0)) await a.close();
    for (const s of sensors.splice(0)) await s.close(200);
  });

  async function setup(extra: SensorOptions = {}) {
    const sensor = createSensor({
      name: `sensor:test-${kind}`,
      collector: { url: col.url, apiKey: API_KEY, flushMs: 50 },
      ...extra,
    });
    sensors.push(sensor);
    const got: Received = { bodies: [] };
    const app = await startApp(kind, sensor, got);
    open.push(app);
    return { sensor, got, port: app.port };
  }

  it('blocks SQLi in the query with the configured response and ships the event with findings', async () => {
    const { sensor, port } = await setup({
      blockResponse: { status: 406, headers: { 'x-blocked-by': 'palisade' } },
    });
    const r = await call(port, 'GET', SQLI, { headers: { 'user-agent': 'sqlmap/1.7' } });
    expect(r.status).toBe(406);
    expect(r.headers['x-blocked-by']).toBe('palisade');
    const body = JSON.parse(r.text) as { error: { code: string; event_id: string } };
    expect(body.error.code).toBe('PAL_BLOCKED');
    const ev = await shipped(sensor, col, (e) => e.id === body.error.event_id, 'the blocked event');
    expect(ev).toMatchObject({
      kind: 'http',
      action: 'block',
      source: { name: `sensor:test-${kind}`, type: 'sensor' },
      client: { ip: '127.0.0.1' },
      http: {
        method: 'GET',
        path: '/search',
        query: "q=1'%20OR%20'1'%3D'1",
        status: 406,
        user_agent: 'sqlmap/1.7',
      },
    });
    expect(ev.findings.some((f) => f.class === 'sqli')).toBe(true);
    expect(ev.raw?.startsWith(`GET ${SQLI} HTTP/1.1\r\n`)).toBe(true);
    expect(new Date(ev.ts).toISOString()).toBe(ev.ts);
    expect(sensor.stats()).toMatchObject({ blocked: 1, inspected: 1 });
  });

  it('blocks XSS in a JSON body before the app sees it', async () => {
    const { sensor, got, port } = await setup();
    const r = await call(port, 'POST', '/echo', json({ comment: '<script>alert(1)</script>' }));
    expect(r.status).toBe(403);
    expect(got.bodies).toEqual([]);
    const ev = await shipped(
      sensor,
      col,
      (e) => e.http?.path === '/echo' && e.action === 'block',
      'xss event',
    );
    expect(ev.findings.some((f) => f.class === 'xss' && f.location.startsWith('body.json'))).toBe(true);
    expect(ev.raw).toContain('<script>alert(1)</script>');
  });

  it('hands benign JSON and form bodies to the app exactly, and ships nothing for them', async () => {
    const { sensor, got, port } = await setup({ name: `sensor:benign-${kind}` });
    const doc = { user: { name: 'Zoë', tags: ['a', 'b'] }, qty: 2, note: 'leave at the door', ok: true };
    const r1 = await call(port, 'POST', '/echo', json(doc));
    expect(r1.status).toBe(200);
    expect(JSON.parse(r1.text)).toEqual({ body: doc });
    const r2 = await call(port, 'POST', '/echo', form({ a: '1', b: 'x y' }));
    expect(r2.status).toBe(200);
    expect(got.bodies).toEqual([doc, { a: '1', b: 'x y' }]);
    await waitFor(() => sensor.stats().allowed === 2, 'two finished requests');
    await sensor.flush();
    expect(col.events().filter((e) => e.source.name === `sensor:benign-${kind}`)).toEqual([]);
    expect(sensor.stats()).toMatchObject({ inspected: 2, allowed: 2, shipped: 0 });
  });

  it('monitor mode passes the attack and ships it with action log', async () => {
    const { sensor, got, port } = await setup({ mode: 'monitor', name: `sensor:monitor-${kind}` });
    const r = await call(port, 'POST', '/echo', json({ q: "1' UNION SELECT password FROM users--" }));
    expect(r.status).toBe(200);
    expect(got.bodies).toHaveLength(1);
    const ev = await shipped(sensor, col, (e) => e.source.name === `sensor:monitor-${kind}`, 'monitor event');
    expect(ev.action).toBe('log');
    expect(ev.http?.status).toBe(200);
    expect(ev.findings.length).toBeGreaterThan(0);
  });

  it('fail-open passes and fail-closed refuses when the engine throws', async () => {
    const broken = {
      ...createEngine(),
      inspect: () => {
        throw new Error('engine exploded');
      },
    };
    const a = await setup({ engine: broken, failMode: 'open', name: `sensor:failopen-${kind}` });
    expect((await call(a.port, 'POST', '/echo', json({ x: 1 }))).status).toBe(200);
    const ev = await shipped(
      a.sensor,
      col,
      (e) => e.source.name === `sensor:failopen-${kind}`,
      'fail-open event',
    );
    expect(ev).toMatchObject({ action: 'allow', message: 'inspection failed: engine exploded' });
    expect(a.sensor.stats().errors).toBe(1);

    const b = await setup({ engine: broken, failMode: 'closed' });
    const r = await call(b.port, 'GET', '/hello');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'PAL_ERR_SENSOR_INSPECT_FAILED' } });
    expect(b.sensor.stats()).toMatchObject({ errors: 1, blocked: 1 });
  });

  it('honours per-route exclusions: skipped routes and switched-off rules', async () => {
    const { sensor, port } = await setup({
      name: `sensor:excl-${kind}`,
      exclusions: [
        { path: '/health/*', skip: true },
        { path: '/echo', class: 'xss', reason: 'comments may hold markup' },
      ],
    });
    expect((await call(port, 'GET', "/health/check?q=1'%20OR%20'1'%3D'1")).status).toBe(200);
    // A path that could be routed elsewhere is inspected even under a skipped prefix.
    expect((await call(port, 'GET', "/health/../search?q=1'%20OR%20'1'%3D'1")).status).toBe(403);
    expect((await call(port, 'POST', '/echo', json({ c: '<script>alert(1)</script>' }))).status).toBe(200);
    expect(
      (await call(port, 'POST', '/echo', json({ c: "1' UNION SELECT password FROM users--" }))).status,
    ).toBe(403);
    expect(sensor.stats()).toMatchObject({ excluded: 1, inspected: 3 });
  });

  it('refuses banned addresses and CIDRs pulled from the collector, via trusted X-Forwarded-For', async () => {
    col.setBans(
      [
        { value: '203.0.113.5', reason: 'brute force', until: null },
        { value: '198.51.100.0/24', reason: 'scanner net', until: '2999-01-01T00:00:00Z' },
        { value: '2001:db8:bad::/48', reason: 'v6 abuse', until: null },
        { value: '192.0.2.9', reason: 'expired', until: '2000-01-01T00:00:00Z' },
      ],
      `"bans-${kind}"`,
    );
    const { sensor, got, port } = await setup({
      name: `sensor:ban-${kind}`,
      trustProxy: ['127.0.0.1'],
      bans: { url: col.url },
    });
    await sensor.refreshBans();
    expect(sensor.stats().bans).toMatchObject({ active: 4 });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const body = json({ a: 1 });
    const r1 = await call(port, 'POST', '/echo', {
      ...body,
      headers: { ...body.headers, ...from('203.0.113.5') },
    });
    expect(r1.status).toBe(403);
    expect(JSON.parse(r1.text)).toMatchObject({ error: { code: 'PAL_BANNED' } });
    expect((await call(port, 'GET', '/hello', { headers: from('198.51.100.77') })).status).toBe(403);
    expect((await call(port, 'GET', '/hello', { headers: from('2001:db8:bad:1::5') })).status).toBe(403);
    expect((await call(port, 'GET', '/hello', { headers: from('192.0.2.9') })).status).toBe(200);
    expect((await call(port, 'GET', '/hello', { headers: from('192.0.2.1') })).status).toBe(200);
    expect(got.bodies).toEqual([]);
    const ev = await shipped(
      sensor,
      col,
      (e) => e.source.name === `sensor:ban-${kind}` && e.client.ip === '203.0.113.5',
      'ban event',
    );
    expect(ev).toMatchObject({
      action: 'block',
      message: 'banned: brute force',
      findings: [],
      http: { status: 403 },
    });
    expect(sensor.stats()).toMatchObject({ banned: 3, blocked: 3 });
  });

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    col.setBans([{ value: '203.0.113.5', reason: 'brute force', until: null }], `"bans2-${kind}"`);
    const { sensor, port } = await setup({ bans: { url: col.url } });
    await sensor.refreshBans();
    expect(
      (await call(port, 'GET', '/hello', { headers: { 'x-forwarded-for': '203.0.113.5' } })).status,
    ).toBe(200);
  });

  it('ships failed and successful logins as auth events without raw data', async () => {
    const { sensor, port } = await setup({ name: `sensor:auth-${kind}` });
    expect((await call(port, 'POST', '/login', form({ user: 'alice', password: 'wrong' }))).status).toBe(401);
    expect((await call(port, 'POST', '/login', json({ user: 'alice', password: 'right' }))).status).toBe(200);
    const mine = (e: SecurityEvent) => e.source.name === `sensor:auth-${kind}` && e.kind === 'auth';
    await waitFor(async () => {
      await sensor.flush();
      return col.events().filter(mine).length === 2;
    }, 'two auth events');
    const [fail, ok] = col.events().filter(mine);
    expect(fail).toMatchObject({
      user: 'alice',
      outcome: 'failure',
      message: 'login failure: bad password',
      client: { ip: '127.0.0.1' },
      http: { method: 'POST', path: '/login' },
    });
    expect(ok).toMatchObject({ user: 'alice', outcome: 'success' });
    for (const e of [fail!, ok!]) {
      expect(e.raw).toBeUndefined();
      expect(JSON.stringify(e)).not.toContain('wrong');
      expect(JSON.stringify(e)).not.toContain('right');
    }
    expect(sensor.stats().auth).toBe(2);
  });

  it('passes a body beyond the inspection limit to the app intact and flags the limit', async () => {
    const { sensor, port } = await setup({ maxBodyBytes: 4096, name: `sensor:big-${kind}` });
    const data = 'lorem ipsum dolor sit amet '.repeat(8000); // ~216 KB
    const r = await call(port, 'POST', '/big', form({ data }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ len: data.length, sha: sha(data) });
    const ev = await shipped(sensor, col, (e) => e.source.name === `sensor:big-${kind}`, 'limit event');
    expect(ev.findings.map((f) => f.rule)).toContain('protocol.limit_exceeded');
    expect(ev.action).toBe('log');
    expect(ev.raw_truncated).toBe(true);
    expect(ev.http?.bytes_in).toBe(Buffer.byteLength(form({ data }).body));
  });

  it('passes a legitimate JSON body over 128 KiB (default limit) and records limit_exceeded', async () => {
    const { sensor, port } = await setup({ name: `sensor:bigjson-${kind}` });
    const data = 'Blue cotton shirt. Soft, breathable and easy to wash. '.repeat(3000); // ~160 KB
    const r = await call(port, 'POST', '/big', json({ data, note: 'bulk import' }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ len: data.length, sha: sha(data) });
    const ev = await shipped(sensor, col, (e) => e.source.name === `sensor:bigjson-${kind}`, 'limit event');
    expect(ev.action).toBe('log');
    expect(ev.findings.map((f) => `${f.rule}@${f.location}`)).toEqual(['protocol.limit_exceeded@body']);
    expect(ev.findings[0]!.severity).toBe('low');
  });

  it('still blocks an attack in the first KB of a large JSON body', async () => {
    const { sensor, port } = await setup({ name: `sensor:bigattack-${kind}` });
    const data = 'Blue cotton shirt. Soft, breathable and easy to wash. '.repeat(3000);
    const r = await call(
      port,
      'POST',
      '/big',
      json({ q: "x' UNION SELECT username, password FROM users--", data }),
    );
    expect(r.status).toBe(403);
    const ev = await shipped(
      sensor,
      col,
      (e) => e.source.name === `sensor:bigattack-${kind}`,
      'attack event',
    );
    expect(ev.action).toBe('block');
    expect(ev.findings.some((f) => f.class === 'sqli' && f.location.startsWith('body.json'))).toBe(true);
  });
});
