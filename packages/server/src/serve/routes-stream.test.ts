/**
 * The live stream on a listening server, read by a real HTTP client: events posted to the ingest
 * API arrive as `event: event` frames equal to the events list's rows (never the raw payload), the
 * incident they open arrives as `event: incident`, filters hold back what they do not match, pings
 * keep the connection open, the stream count is capped, a disconnect unsubscribes, and a client
 * that stops reading is dropped with a final `event: overflow` and counted in the metrics. Events
 * and incidents another process commits to the same database file arrive too, each exactly once.
 */
import { request, type IncomingMessage } from 'node:http';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import { createApiKey, insertEvents, openStore } from '../store/index.js';
import type { Pipeline } from './pipeline.js';
import { initialApiKey, openTestApp, sqliEvent, type TestApp } from './test-client.js';

const MAX_CLIENTS = 3;

let testApp: TestApp;
let pipeline: Pipeline;
let app: TestApp['app'];
let base: string;
let readKey: string;
let ingestKey: string;
let adminKey: string;

beforeAll(async () => {
  testApp = await openTestApp('palisade-stream-', {
    pipeline: { live: { maxClients: MAX_CLIENTS, maxBufferedBytes: 64 * 1024, pingMs: 50 } },
    app: { maxBodyBytes: 256 * 1024 },
  });
  ({ pipeline, app } = testApp);
  adminKey = await initialApiKey(pipeline);
  readKey = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
  ingestKey = (await createApiKey(pipeline.store, 'sensor', ['ingest'])).secret;
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(() => testApp?.close());

interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** An open stream: its frames as they arrive, and a wait for the next one a predicate accepts. */
interface Stream {
  res: IncomingMessage;
  frames: Frame[];
  next(pred: (f: Frame) => boolean): Promise<Frame>;
  ended: Promise<void>;
  /** Everything received, once the response ended. */
  text(): Promise<string>;
  close(): void;
}

function parseFrame(block: string): Frame {
  const f: Frame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) f.comment = line.slice(1).trim();
    else {
      const i = line.indexOf(':');
      const k = line.slice(0, i) as 'id' | 'event' | 'data';
      f[k] = line.slice(i + 1).trimStart();
    }
  }
  return f;
}

/** Opens `GET /api/v1/stream{query}`; resolves with the response (any status) once headers arrive. */
function openStream(query = '', key: string | null = readKey): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/stream${query}`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const frames: Frame[] = [];
      const waiting: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void; from: number }[] = [];
      let buf = '';
      let all = '';
      res.setEncoding('utf8');
      const ended = new Promise<void>((r) => res.on('close', r));
      res.on('data', (chunk: string) => {
        all += chunk;
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buf.slice(0, i)));
          buf = buf.slice(i + 2);
        }
        for (const w of [...waiting]) {
          const hit = frames.slice(w.from).find(w.pred);
          if (hit) {
            waiting.splice(waiting.indexOf(w), 1);
            w.resolve(hit);
          }
        }
      });
      resolve({
        res,
        frames,
        ended,
        text: () => ended.then(() => all),
        next: (pred) =>
          new Promise((r) => {
            const hit = frames.find(pred);
            if (hit) r(hit);
            else waiting.push({ pred, resolve: r, from: 0 });
          }),
        close: () => req.destroy(),
      });
    });
    req.end();
  });
}

async function post(path: string, key: string, payload: unknown) {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(5);
}

/** The store tail's reads so far, from the metrics. */
async function tailPolls(): Promise<number> {
  const text = await fetch(`${base}/metrics`).then((x) => x.text());
  return Number(/^palisade_stream_tail_polls_total (\d+)$/m.exec(text)![1]);
}

/** Waits until the store tail has read `n` more times (so anything committed before was read). */
async function tailReads(n: number): Promise<void> {
  const from = await tailPolls();
  while ((await tailPolls()) < from + n) await sleep(20);
}

const attack = (id: string, over: Partial<SecurityEvent> = {}): SecurityEvent =>
  sqliEvent(id, {
    source: { name: 'sensor:stream', type: 'sensor' },
    client: { ip: '198.51.100.7', port: 40000 },
    ...over,
  });

describe('live stream', () => {
  it('asks for a key with the read scope', async () => {
    const anon = await openStream('', null);
    expect(anon.res.statusCode).toBe(401);
    expect(JSON.parse(await anon.text()).error.code).toBe('PAL_ERR_AUTH_REQUIRED');
    const sensor = await openStream('', ingestKey);
    expect(sensor.res.statusCode).toBe(403);
    await sensor.text();
    const bad = await openStream('?severity=urgent');
    expect(bad.res.statusCode).toBe(400);
    await bad.text();
    expect(pipeline.live.clients).toBe(0);
  });

  it('pushes committed events as the events list shows them, then the incident they open', async () => {
    const all = await openStream();
    expect(all.res.statusCode).toBe(200);
    expect(all.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const allowOnly = await openStream('?action=allow');
    const events = [1, 2, 3, 4, 5].map((i) => attack(`stream-attack-${i}`));
    const r = await post('/api/v1/ingest', ingestKey, { events });
    expect(r.json).toMatchObject({ accepted: 5 });

    for (const e of events) await all.next((f) => f.event === 'event' && f.data!.includes(`"${e.id}"`));
    const pushed = all.frames
      .filter((f) => f.event === 'event')
      .map((f) => JSON.parse(f.data!) as SecurityEvent);
    const listed = await fetch(`${base}/api/v1/events?ip=198.51.100.7&limit=10`, {
      headers: { authorization: `Bearer ${readKey}` },
    }).then((x) => x.json() as Promise<{ events: SecurityEvent[] }>);
    expect(pushed).toHaveLength(5);
    for (const p of pushed) {
      expect(p.raw).toBeUndefined();
      expect(p).toEqual(listed.events.find((l) => l.id === p.id));
    }
    const ids = all.frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    // Five requests with findings from one source within 300 s: a web attack incident.
    const inc = await all.next((f) => f.event === 'incident');
    expect(JSON.parse(inc.data!)).toMatchObject({
      type: 'web_attack',
      status: 'open',
      keys: { ip: '198.51.100.7' },
      assignee: null,
    });
    expect(JSON.parse(inc.data!).ref).toBeUndefined();

    // The filtered stream saw none of the blocked events: the first event it gets is this one.
    const allowed = attack('stream-allowed', { action: 'allow', findings: [], severity: 'info', score: 0 });
    expect((await post('/api/v1/ingest', ingestKey, { events: [allowed] })).json).toMatchObject({
      accepted: 1,
    });
    const first = await allowOnly.next((f) => f.event === 'event');
    expect(JSON.parse(first.data!).id).toBe('stream-allowed');
    expect(allowOnly.frames.some((f) => f.event === 'incident')).toBe(true);

    // Pings keep an idle connection open.
    await allowOnly.next((f) => f.comment === 'ping');
    all.close();
    allowOnly.close();
    await until(() => pipeline.live.clients === 0);
  });

  it('pushes what another process commits to the same database, each event and incident once', async () => {
    const s = await openStream();
    // Another process: its own store handle on the same SQLite file.
    const other = await openStore({ path: testConfig(testApp.dir).db, keyring: pipeline.store.keyring });
    try {
      await tailReads(2);
      const theirs = [1, 2, 3].map((i) => attack(`other-${i}`, { client: { ip: '203.0.113.9' } }));
      await insertEvents(other, theirs);
      const ours = attack('own-1', { client: { ip: '203.0.113.10' } });
      expect((await post('/api/v1/ingest', ingestKey, { events: [ours] })).json).toMatchObject({
        accepted: 1,
      });
      const now = Date.now();
      const { id } = await other.db
        .insertInto('incidents')
        .values({
          ref: 'other:brute',
          type: 'brute_force',
          severity: 'high',
          status: 'open',
          first_seen_ms: now,
          last_seen_ms: now,
          key_ip: '203.0.113.9',
          key_user: null,
          key_target: null,
          count: 1,
          rule: 'brute_force',
          rule_version: 1,
          thresholds: '{}',
          summary: 'from another process',
          details: '{}',
          created_ms: now,
          updated_ms: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const e of [...theirs, ours])
        await s.next((f) => f.event === 'event' && f.data!.includes(`"${e.id}"`));
      const incidentFrames = () =>
        s.frames
          .filter((f) => f.event === 'incident')
          .map((f) => JSON.parse(f.data!) as { id: number; count: number; status: string })
          .filter((i) => i.id === id);
      await s.next((f) => f.event === 'incident' && incidentFrames().length > 0);
      await other.db
        .updateTable('incidents')
        .set({ count: 2, updated_ms: now + 1 })
        .where('id', '=', id)
        .execute();
      await until(() => incidentFrames().length === 2);
      // The analyst's update is pushed at once by this process; the tail then reads it again.
      const patched = await fetch(`${base}/api/v1/incidents/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'acknowledged' }),
      });
      expect(patched.status).toBe(200);
      await until(() => incidentFrames().length === 3);
      await tailReads(3);
      const eventIds = s.frames
        .filter((f) => f.event === 'event')
        .map((f) => (JSON.parse(f.data!) as SecurityEvent).id);
      expect(eventIds).toEqual(['other-1', 'other-2', 'other-3', 'own-1']);
      expect(incidentFrames().map((i) => [i.count, i.status])).toEqual([
        [1, 'open'],
        [2, 'open'],
        [2, 'acknowledged'],
      ]);
    } finally {
      s.close();
      await other.close();
    }
    await until(() => pipeline.live.clients === 0);
  });

  it('caps the number of streams and frees a slot on disconnect', async () => {
    const open = await Promise.all(Array.from({ length: MAX_CLIENTS }, () => openStream()));
    expect(open.map((s) => s.res.statusCode)).toEqual(Array(MAX_CLIENTS).fill(200));
    const refused = await openStream();
    expect(refused.res.statusCode).toBe(503);
    expect(refused.res.headers['retry-after']).toBe('5');
    expect(JSON.parse(await refused.text()).error.code).toBe('PAL_ERR_STREAM_LIMIT');
    open[0]!.close();
    await until(() => pipeline.live.clients === MAX_CLIENTS - 1);
    const again = await openStream();
    expect(again.res.statusCode).toBe(200);
    for (const s of [...open.slice(1), again]) s.close();
    await until(() => pipeline.live.clients === 0);
  });

  it('drops a client that stops reading, with a last overflow frame, and counts it', async () => {
    const slow = await openStream();
    await slow.next((f) => f.comment === 'ping');
    slow.res.pause();
    const big = attack('stream-big', { message: 'x'.repeat(4000) });
    const dropped = () => pipeline.live.stats().dropped.overflow;
    const before = dropped();
    // Socket buffers take some megabytes first; the hub's bound is what must give way.
    for (let i = 0; dropped() === before && i < 100_000; i++) {
      pipeline.live.publishEvent(big);
      if (i % 100 === 0) await turn();
    }
    expect(dropped()).toBe(before + 1);
    expect(pipeline.live.clients).toBe(0);
    slow.res.resume();
    await slow.ended;
    expect(slow.frames.at(-1)).toMatchObject({ event: 'overflow' });
    const metrics = await fetch(`${base}/metrics`).then((x) => x.text());
    expect(metrics).toContain(`palisade_stream_dropped_total{reason="overflow"} ${before + 1}`);
    expect(metrics).toContain('palisade_stream_refused_total{reason="limit"} 1');
  });
});
