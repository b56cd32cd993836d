/**
 * The shipper against a real local collector (a node:http server whose answers the test scripts):
 * retries with back-off, permanent refusals, per-event refusals, a bounded buffer, close deadlines.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { compileOptions } from './options.js';
import { Shipper } from './shipper.js';
import { collectorTransport, sinkTransport } from './transports.js';

interface Script {
  /** Status codes to answer, in order; the last one repeats. */
  statuses: number[];
  /** Optional body per answer. */
  bodies?: (string | undefined)[];
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function collector(script: Script) {
  const got: { auth?: string; events: SecurityEvent[]; status: number }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const i = Math.min(got.length, script.statuses.length - 1);
      const status = script.statuses[i]!;
      const events = (JSON.parse(Buffer.concat(chunks).toString()) as { events: SecurityEvent[] }).events;
      got.push({ auth: req.headers.authorization, events, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        script.bodies?.[i] ?? (status < 300 ? JSON.stringify({ accepted: events.length, rejected: [] }) : ''),
      );
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

const ev = (n: number, benign = false): SecurityEvent => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  ts: '2025-01-01T00:00:00.000Z',
  kind: 'http',
  source: { name: 'sensor:test', type: 'sensor' },
  client: { ip: '192.0.2.1' },
  action: benign ? 'allow' : 'log',
  score: benign ? 0 : 3,
  severity: benign ? 'info' : 'medium',
  findings: [],
});

function shipperFor(url: string, o: Record<string, number> = {}) {
  const c = compileOptions({ collector: { url, apiKey: 'k1', backoffBaseMs: 5, backoffMaxMs: 20, ...o } });
  return new Shipper(c.shipper, collectorTransport(c.collector!));
}

async function until(f: () => boolean, what: string) {
  for (let i = 0; i < 300 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!f()) throw new Error(`timed out waiting for ${what}`);
}

describe('Shipper', () => {
  it('posts batches with the bearer key and counts them shipped', async () => {
    const col = await collector({ statuses: [200] });
    const s = shipperFor(col.url, { batchSize: 3 });
    for (let i = 0; i < 7; i++) s.push(ev(i), false);
    await s.flush();
    expect(col.got.map((g) => g.events.length)).toEqual([3, 3, 1]);
    expect(col.got[0]!.auth).toBe('Bearer k1');
    expect(col.got.flatMap((g) => g.events.map((e) => e.id))).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((n) => ev(n).id),
    );
    expect(s.stats()).toMatchObject({ shipped: 7, buffer: 0, retries: 0 });
    await s.close(100);
  });

  it('sends a partial batch after flushMs without being asked', async () => {
    const col = await collector({ statuses: [200] });
    const s = shipperFor(col.url, { flushMs: 20 });
    s.push(ev(1), false);
    await until(() => s.stats().shipped === 1, 'timed flush');
    await s.close(100);
  });

  it('retries a 503 with back-off, then delivers the same batch', async () => {
    const col = await collector({ statuses: [503, 503, 200] });
    const s = shipperFor(col.url);
    s.push(ev(1), false);
    s.push(ev(2), false);
    await s.flush();
    expect(s.stats()).toMatchObject({ shipped: 0, buffer: 2, last_error: 'HTTP 503' });
    await until(() => s.stats().shipped === 2, 'retried delivery');
    expect(col.got.map((g) => g.status)).toEqual([503, 503, 200]);
    expect(col.got.every((g) => g.events.length === 2)).toBe(true);
    expect(s.stats()).toMatchObject({ retries: 2, buffer: 0, dropped: { rejected: 0 } });
    await s.close(100);
  });

  it('retries network errors (collector not listening)', async () => {
    const col = await collector({ statuses: [200] });
    const dead = await collector({ statuses: [200] });
    const deadUrl = dead.url;
    await new Promise((r) => servers.pop()!.close(r));
    const s = shipperFor(deadUrl);
    s.push(ev(1), false);
    await s.flush();
    expect(s.stats().last_error).toMatch(/^network: /);
    expect(s.stats().buffer).toBe(1);
    await s.close(30);
    expect(s.stats().dropped.shutdown).toBe(1);
    expect(col.got).toEqual([]);
  });

  it('counts a permanent 400 as rejected and does not retry it', async () => {
    const col = await collector({
      statuses: [400, 200],
      bodies: [JSON.stringify({ error: { code: 'PAL_ERR_VALIDATION', message: 'events[0].ts invalid' } })],
    });
    const s = shipperFor(col.url);
    s.push(ev(1), false);
    s.push(ev(2), false);
    await s.flush();
    await new Promise((r) => setTimeout(r, 60));
    expect(col.got).toHaveLength(1);
    expect(s.stats()).toMatchObject({
      shipped: 0,
      buffer: 0,
      retries: 0,
      dropped: { rejected: 2 },
      last_rejection: 'HTTP 400 PAL_ERR_VALIDATION: events[0].ts invalid',
    });
    s.push(ev(3), false);
    await s.flush();
    expect(s.stats().shipped).toBe(1);
    await s.close(100);
  });

  it('counts events the collector refused one by one', async () => {
    const col = await collector({
      statuses: [200],
      bodies: [
        JSON.stringify({ accepted: 2, rejected: [{ index: 1, reason: 'invalid', message: 'bad id' }] }),
      ],
    });
    const s = shipperFor(col.url);
    for (let i = 0; i < 3; i++) s.push(ev(i), false);
    await s.flush();
    expect(s.stats()).toMatchObject({
      shipped: 2,
      dropped: { rejected: 1 },
      last_rejection: 'event refused: invalid: bad id',
    });
    await s.close(100);
  });

  it('bounds the buffer: drops the oldest benign events first, then the oldest, counted', async () => {
    const col = await collector({ statuses: [503, 200] });
    const s = shipperFor(col.url, {
      maxBuffer: 4,
      batchSize: 2,
      backoffBaseMs: 60_000,
      backoffMaxMs: 60_000,
    });
    s.push(ev(1), false);
    s.push(ev(2), false);
    await s.flush(); // 1 and 2 are now the batch waiting for its retry
    s.push(ev(3, true), true);
    s.push(ev(4), false);
    s.push(ev(5, true), true);
    s.push(ev(6), false);
    expect(s.stats()).toMatchObject({ buffer: 6, dropped: { buffer_full: 0 } });
    s.push(ev(7), false); // full: benign 3 goes
    s.push(ev(8), false); // full: benign 5 goes
    s.push(ev(9), false); // full, no benign left: oldest (4) goes
    expect(s.stats()).toMatchObject({ buffer: 6, dropped: { buffer_full: 3 } });
    await s.flush();
    const ids = col.got.filter((g) => g.status === 200).flatMap((g) => g.events.map((e) => e.id));
    expect(ids).toEqual([1, 2, 6, 7, 8, 9].map((n) => ev(n).id));
    await s.close(100);
  });

  it('close() sends what is queued, and counts what it could not send by its deadline', async () => {
    const ok = await collector({ statuses: [200] });
    const s1 = shipperFor(ok.url, { flushMs: 60_000 });
    s1.push(ev(1), false);
    await s1.close(1000);
    expect(s1.stats()).toMatchObject({ shipped: 1, dropped: { shutdown: 0 } });
    s1.push(ev(2), false);
    expect(s1.stats().dropped.shutdown).toBe(1);

    const down = await collector({ statuses: [503] });
    const s2 = shipperFor(down.url);
    s2.push(ev(1), false);
    s2.push(ev(2), false);
    await s2.close(50);
    expect(s2.stats()).toMatchObject({ shipped: 0, buffer: 0, dropped: { shutdown: 2 } });
  });

  it('works with an in-process sink; retryable=false drops, other errors retry', async () => {
    const kept: string[] = [];
    let fail: 'retry' | 'drop' | null = 'retry';
    const sink = async (events: SecurityEvent[]) => {
      if (fail === 'retry') {
        fail = null;
        throw new Error('store busy');
      }
      if (fail === 'drop') throw Object.assign(new Error('invalid event'), { retryable: false });
      kept.push(...events.map((e) => e.id));
    };
    const c = compileOptions({ sink, sinkOptions: { backoffBaseMs: 5, backoffMaxMs: 10 } });
    const s = new Shipper(c.shipper, sinkTransport(c.sink!));
    s.push(ev(1), false);
    await s.flush();
    await until(() => kept.length === 1, 'sink retry');
    fail = 'drop';
    s.push(ev(2), false);
    await s.flush();
    expect(s.stats()).toMatchObject({
      shipped: 1,
      retries: 1,
      dropped: { rejected: 1 },
      last_rejection: 'sink: invalid event',
    });
    await s.close(100);
  });
});
