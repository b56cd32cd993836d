/**
 * The sensor core and the node:http path in detail: ban pulls (ETag, failures), static bans, clock,
 * shipAll, redaction, options checking, the generic inspect(), body edge cases (pipe, chunked, empty,
 * client gone, slow body) — with a real collector and real servers on port 0.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { createSensor, SensorConfigError, type Sensor, type SensorOptions } from './index.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function serve(h: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<number> {
  const server: Server = createServer(h);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

function sensorWith(o: SensorOptions): Sensor {
  const s = createSensor({ name: 'sensor:unit', ...o });
  closers.push(() => s.close(100));
  return s;
}

/** A collector answering bans with a scripted status/etag and recording what it was asked. */
async function banCollector() {
  const state = {
    status: 200,
    etag: '"v1"',
    bans: [{ value: '203.0.113.0/24', reason: 'scanner', until: null as string | null }] as unknown[],
    asked: [] as { inm?: string; auth?: string }[],
    events: [] as SecurityEvent[],
  };
  const port = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/api/v1/ingest') {
        state.events.push(
          ...(JSON.parse(Buffer.concat(chunks).toString()) as { events: SecurityEvent[] }).events,
        );
        res.writeHead(200).end('{}');
        return;
      }
      const inm = req.headers['if-none-match'];
      state.asked.push({ inm, auth: req.headers.authorization });
      if (state.status !== 200) return void res.writeHead(state.status).end();
      if (inm === state.etag) return void res.writeHead(304, { etag: state.etag }).end();
      res.writeHead(200, { etag: state.etag, 'content-type': 'application/json' });
      res.end(JSON.stringify({ bans: state.bans }));
    });
  });
  return { url: `http://127.0.0.1:${port}`, state };
}

function call(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function until(f: () => boolean | Promise<boolean>, what: string) {
  for (let i = 0; i < 300; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const echo = async (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  res.end(Buffer.concat(chunks));
};

describe('ban pull', () => {
  it('sends the key, honours the ETag, and keeps the last list when the collector fails', async () => {
    const col = await banCollector();
    const s = sensorWith({ bans: { url: col.url, apiKey: 'ban-key' }, trustProxy: ['127.0.0.1'] });
    await s.refreshBans();
    await s.refreshBans();
    expect(col.state.asked.slice(-2)).toEqual([
      { inm: undefined, auth: 'Bearer ban-key' },
      { inm: '"v1"', auth: 'Bearer ban-key' },
    ]);
    expect(s.stats().bans).toMatchObject({ active: 1, pulls: 1, not_modified: 1, errors: 0 });
    const port = await serve(s.http(echo));
    const banned = () => call(port, '/', { headers: { 'x-forwarded-for': '203.0.113.80' } });
    expect((await banned()).status).toBe(403);
    col.state.status = 500;
    await s.refreshBans();
    expect(s.stats().bans).toMatchObject({ active: 1, errors: 1, last_error: 'HTTP 500' });
    expect((await banned()).status).toBe(403);
    // A new list replaces the old one; bad entries are counted, the rest apply.
    col.state.status = 200;
    col.state.etag = '"v2"';
    col.state.bans = [{ value: '198.51.100.1', reason: 'x', until: null }, { value: 'not-an-ip' }, 42];
    await s.refreshBans();
    expect(s.stats().bans).toMatchObject({ active: 1, pulls: 2, invalid: 2 });
    expect((await banned()).status).toBe(200);
  });

  it('pulls at start and then every interval', async () => {
    const col = await banCollector();
    sensorWith({ bans: { url: col.url, apiKey: 'k', intervalMs: 20 } });
    await until(() => col.state.asked.length >= 3, 'three pulls');
  });
});

describe('static bans, clock, monitor', () => {
  it('expires a ban by the injected clock, and monitor mode passes a banned client with action log', async () => {
    let now = Date.parse('2025-06-01T00:00:00Z');
    const events: SecurityEvent[] = [];
    const s = sensorWith({
      mode: 'monitor',
      clock: { now: () => now },
      bans: { list: [{ value: '127.0.0.0/8', reason: 'test ban', until: '2025-06-01T01:00:00Z' }] },
      sink: async (e) => void events.push(...e),
    });
    const port = await serve(s.http(echo));
    expect((await call(port, '/')).status).toBe(200);
    now += 2 * 3600_000;
    expect((await call(port, '/')).status).toBe(200);
    await until(async () => (await s.flush(), events.length === 1), 'the ban event');
    expect(events[0]).toMatchObject({
      action: 'log',
      message: 'banned: test ban',
      ts: '2025-06-01T00:00:00.000Z',
    });
    expect(s.stats()).toMatchObject({ banned: 1, logged: 1, allowed: 1, blocked: 0 });
  });

  it('refuses an invalid static ban at creation', () => {
    expect(() => createSensor({ bans: { list: [{ value: '10.0.0.0/99' }] } })).toThrow(SensorConfigError);
  });
});

describe('options', () => {
  it('names the bad field', () => {
    const bad: [SensorOptions, string][] = [
      [{ mode: 'loud' as 'block' }, 'mode'],
      [{ failMode: 'maybe' as 'open' }, 'failMode'],
      [{ collector: { url: 'ftp://x', apiKey: 'k' } }, 'collector.url'],
      [{ collector: { url: 'http://x', apiKey: '' } }, 'collector.apiKey'],
      [{ collector: { url: 'http://x', apiKey: 'k', batchSize: 0 } }, 'collector.batchSize'],
      [{ exclusions: [{ path: 'no-slash', skip: true }] }, 'exclusions[0].path'],
      [{ exclusions: [{ path: '/x' }] }, 'exclusions[0]'],
      [{ engine: { sensitivity: 'extreme' as 'low' } }, 'engine.sensitivity'],
      [{ bans: { url: 'http://x' } }, 'bans.apiKey'],
      [{ blockResponse: { headers: { 'x-a': 'b\r\nc' } } }, 'blockResponse.headers.x-a'],
      [{ trustProxy: 'x' as unknown as string[] }, 'trustProxy'],
    ];
    for (const [o, field] of bad) {
      let err: unknown;
      try {
        createSensor(o);
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(SensorConfigError);
      expect((err as SensorConfigError).field).toBe(field);
      expect((err as SensorConfigError).code).toBe('PAL_ERR_SENSOR_CONFIG');
    }
  });
});

describe('events', () => {
  it('shipAll ships benign requests without raw; raw on attacks redacts credentials', async () => {
    const events: SecurityEvent[] = [];
    const s = sensorWith({ shipAll: true, sink: async (e) => void events.push(...e) });
    const port = await serve(s.http(echo));
    await call(port, '/login', {
      method: 'POST',
      body: 'user=a&password=hunter2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await call(port, "/q?id=1'%20OR%201=1--", {
      headers: { cookie: 'sid=SECRET-SESSION', authorization: 'Bearer SECRET-TOKEN', 'x-other': 'kept' },
    });
    await until(async () => (await s.flush(), events.length === 2), 'two events');
    const [benign, attack] = events;
    expect(benign).toMatchObject({ action: 'allow', findings: [], http: { path: '/login', status: 200 } });
    expect(benign!.raw).toBeUndefined();
    expect(attack!.raw).toContain('x-other: kept');
    expect(attack!.raw).toContain('cookie: [redacted]');
    expect(attack!.raw).not.toContain('SECRET');
    expect(attack!.raw_truncated).toBe(false);
  });

  it('inspect() serves frameworks without an adapter', async () => {
    const events: SecurityEvent[] = [];
    const s = sensorWith({ sink: async (e) => void events.push(...e) });
    let check: ReturnType<Sensor['inspect']> | undefined;
    const port = await serve(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      check = s.inspect(req, Buffer.concat(chunks));
      if (check.block) res.writeHead(check.block.status, check.block.headers).end(check.block.body);
      else res.end('ok');
      check.finish(res.statusCode);
    });
    expect(
      (
        await call(port, '/a', {
          method: 'POST',
          body: '{"q":"<script>alert(1)</script>"}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(port, '/a', {
          method: 'POST',
          body: '{"q":"hello"}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(200);
    await s.flush();
    expect(events.map((e) => e.action)).toEqual(['block']);
  });
});

describe('node:http body handling', () => {
  it('re-exposes the body to req.pipe() consumers and to chunked uploads', async () => {
    const s = sensorWith({});
    const port = await serve(
      s.http((req, res) => {
        const p = new PassThrough();
        const chunks: Buffer[] = [];
        p.on('data', (c: Buffer) => chunks.push(c));
        p.on('end', () => res.end(Buffer.concat(chunks)));
        req.pipe(p);
      }),
    );
    const body = 'a=1&b=' + 'x'.repeat(50_000);
    expect((await call(port, '/p', { method: 'POST', body })).text).toBe(body);
    // Chunked, in several writes, plus an empty chunked body.
    const chunked = (parts: string[]) =>
      new Promise<string>((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/c', method: 'POST', agent: false }, (res) => {
          const out: Buffer[] = [];
          res.on('data', (c: Buffer) => out.push(c));
          res.on('end', () => resolve(Buffer.concat(out).toString()));
        });
        req.setHeader('transfer-encoding', 'chunked');
        for (const p of parts) req.write(p);
        req.end();
      });
    expect(await chunked(['hello ', 'chunked ', 'world'])).toBe('hello chunked world');
    expect(await chunked([])).toBe('');
    expect(s.stats()).toMatchObject({ inspected: 3, blocked: 0 });
  });

  it('counts a client that leaves mid-body, and applies failMode to a body that never arrives', async () => {
    let called = 0;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      called++;
      req.resume();
      req.on('end', () => res.end('late'));
    };
    const open = sensorWith({ failMode: 'open', bodyTimeoutMs: 50 });
    const closed = sensorWith({ failMode: 'closed', bodyTimeoutMs: 50 });
    const pOpen = await serve(open.http(handler));
    const pClosed = await serve(closed.http(handler));
    const partial = (port: number, thenClose: boolean) =>
      new Promise<string>((resolve) => {
        const sock = connect(port, '127.0.0.1', () => {
          sock.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial');
          if (thenClose) setTimeout(() => sock.destroy(), 20);
        });
        let got = '';
        sock.on('data', (d) => {
          got += d.toString('latin1');
          if (got.includes('\r\n\r\n')) sock.destroy();
        });
        sock.on('close', () => resolve(got));
        sock.on('error', () => undefined);
      });
    expect(await partial(pOpen, true)).toBe('');
    await until(() => open.stats().aborted === 1, 'the aborted count');
    expect(called).toBe(0);
    // Fail-closed: refused once the wait is over. Fail-open: the app is called with the body so far.
    expect(await partial(pClosed, false)).toMatch(/^HTTP\/1\.1 503/);
    expect(closed.stats()).toMatchObject({ errors: 1, blocked: 1 });
    void partial(pOpen, false);
    await until(() => called === 1, 'the app called after the timeout');
    expect(open.stats().errors).toBe(1);
  });

  it('inspects the part of a JSON body that arrived before the timeout as cut, not malformed', async () => {
    const events: SecurityEvent[] = [];
    const s = sensorWith({
      failMode: 'open',
      bodyTimeoutMs: 50,
      sink: async (e) => void events.push(...e),
    });
    let called = 0;
    const app = await serve(
      s.http((req, res) => {
        called++;
        req.resume();
        req.on('end', () => res.end('late'));
      }),
    );
    const part = '{"items":[{"sku":"A1","name":"Mug"},{"sku":"A2","na';
    const sock = connect(app, '127.0.0.1', () =>
      sock.write(
        `POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n${part}`,
      ),
    );
    sock.on('error', () => undefined);
    await until(() => called === 1, 'the app called after the timeout');
    sock.destroy();
    await until(async () => {
      await s.flush();
      return events.length === 1;
    }, 'the event');
    const ev = events[0]!;
    expect(ev.findings.map((f) => `${f.rule}@${f.location}`)).toEqual(['protocol.limit_exceeded@body']);
    expect(ev.message).toMatch(/body not received within 50 ms/);
  });

  it('inspects a request once when two adapters see it', async () => {
    const s = sensorWith({});
    const app = express();
    app.use(s.express());
    app.use(express.json());
    app.post('/x', (req, res) => void res.json(req.body));
    const port = await serve(s.http(app));
    const r = await call(port, '/x', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(JSON.parse(r.text)).toEqual({ a: 1 });
    expect(s.stats().inspected).toBe(1);
  });
});
