/**
 * The bus against a real NATS JetStream (PALISADE_TEST_BUS_URL, e.g. nats://127.0.0.1:4222) and a
 * real SQLite store: the publisher's dedupe and bounds, the worker's dead-letter queue, and acks only
 * after the commit. Every test uses its own prefix (own streams), deleted afterwards.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { SecurityEvent } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import { openPipeline, type Pipeline } from '../serve/pipeline.js';
import { countEvents } from '../store/events.js';
import { busNames, eventSubject, type BusNames } from './bus-config.js';
import { deleteStreams } from './streams.js';
import { createBusPublisher } from './publisher.js';
import { createBusWorker, type BusWorker } from './worker.js';
import { busScenario, TEST_BUS_URL, uniquePrefix } from './testdata/bus-scenario.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function setup(): Promise<{ nc: NatsConnection; jsm: JetStreamManager; names: BusNames }> {
  const names = busNames({ url: TEST_BUS_URL!, prefix: uniquePrefix('tb') });
  const nc = await connect({ servers: TEST_BUS_URL! });
  const jsm = await jetstreamManager(nc);
  cleanups.push(async () => {
    await deleteStreams(jsm, names);
    await nc.close();
  });
  return { nc, jsm, names };
}

async function tmpPipeline(dir?: string): Promise<{ pipeline: Pipeline; dir: string }> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'pal-bus-'));
  if (!dir) cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  const pipeline = await openPipeline(testConfig(d), { retention: false, correlate: false });
  return { pipeline, dir: d };
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!TEST_BUS_URL)('bus (NATS JetStream)', () => {
  it('the publisher stores an event id once, however often it is published', async () => {
    const { nc, jsm, names } = await setup();
    const pub = await createBusPublisher({ names, nc });
    const [e] = busScenario(1000).events;
    await pub.submit(e!);
    await pub.submit(e!);
    await pub.submit({ ...e!, message: 'sent again after a lost PubAck' });
    const s = pub.stats();
    expect(s.published).toBe(1);
    expect(s.duplicates).toBe(2);
    const info = await jsm.streams.info(names.eventsStream);
    expect(info.state.messages).toBe(1);
    // The subject names the kind.
    const got = await (await jetstream(nc).streams.get(names.eventsStream)).getMessage({ seq: 1 });
    expect(got?.subject).toBe(eventSubject(names.prefix, e!.kind));
    expect(got?.json<SecurityEvent>().id).toBe(e!.id);
    await pub.close();
  });

  it('the publisher refuses (counted) beyond its bound and too-large events; close() flushes', async () => {
    const { nc, jsm, names } = await setup();
    const pub = await createBusPublisher({ names, nc, maxInFlight: 4, maxQueue: 50, maxMessageBytes: 4096 });
    const events = busScenario(1000).events.slice(0, 80);
    const results = await Promise.allSettled(events.map((e) => pub.submit(e)));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBe(30);
    expect(pub.stats().dropped.queue_full).toBe(30);
    const big = { ...events[0]!, id: 'too-big', message: 'x'.repeat(4000), raw: 'y'.repeat(4000) };
    await expect(pub.submit(big)).rejects.toThrow(/over the bus limit/);
    expect(pub.stats().dropped.too_large).toBe(1);
    // Everything taken is in the stream once close() returned.
    const more = events.slice(0, 10).map((e) => ({ ...e, id: `${e.id}-again` }));
    const pending = more.map((e) => pub.submit(e));
    await pub.close();
    await Promise.all(pending);
    expect((await jsm.streams.info(names.eventsStream)).state.messages).toBe(60);
    await expect(pub.submit(events[0]!)).rejects.toThrow(/closing/);
  });

  it('poison messages go to the DLQ with their reason; the rest are stored and acked', async () => {
    const { nc, jsm, names } = await setup();
    const { pipeline } = await tmpPipeline();
    cleanups.push(() => pipeline.close());
    const worker: BusWorker = await createBusWorker({
      names,
      nc,
      target: pipeline,
      maxEventBytes: 8192,
      ackWaitMs: 2000,
    });
    const done = worker.start();
    cleanups.push(() => worker.stop());
    const good = busScenario(1000).events.slice(0, 300);
    const pub = await createBusPublisher({ names, nc });
    await Promise.all(good.slice(0, 150).map((e) => pub.submit(e)));
    const js = jetstream(nc);
    const subject = `${names.prefix}.events.http`;
    await js.publish(subject, new TextEncoder().encode('{"id": "broken'), { msgID: 'poison-json' });
    await js.publish(
      subject,
      new TextEncoder().encode(JSON.stringify({ ...good[0]!, id: 'bad-kind', kind: 'fax' })),
    );
    await js.publish(
      subject,
      new TextEncoder().encode(JSON.stringify({ ...good[1]!, id: 'big', raw: 'z'.repeat(9000) })),
    );
    await js.publish(subject, new TextEncoder().encode('[1,2,3]'));
    await Promise.all(good.slice(150).map((e) => pub.submit(e)));
    await until('the stream consumed', async () => {
      const i = await worker.lag();
      return i.num_pending + i.num_ack_pending === 0;
    });
    expect(await countEvents(pipeline.store)).toBe(300);
    const s = worker.stats();
    expect(s.dlq).toEqual({ too_large: 1, bad_json: 1, invalid_event: 2, write_failed: 0 });
    expect(s.acked).toBe(300);
    // The DLQ holds the four, with reason, original subject and sequence.
    const dlq = await js.streams.get(names.dlqStream);
    expect((await jsm.streams.info(names.dlqStream)).state.messages).toBe(4);
    const reasons: string[] = [];
    for (let seq = 1; seq <= 4; seq++) {
      const m = await dlq.getMessage({ seq });
      expect(m?.subject).toBe(names.dlqSubject);
      expect(m?.header.get('Palisade-Original-Subject')).toBe(subject);
      expect(Number(m?.header.get('Palisade-Original-Sequence'))).toBeGreaterThan(0);
      expect(m?.header.get('Palisade-Original-Stream')).toBe(names.eventsStream);
      reasons.push(`${m?.header.get('Palisade-Dlq-Reason')}: ${m?.header.get('Palisade-Dlq-Detail')}`);
    }
    expect(reasons.sort()).toEqual([
      expect.stringMatching(/^bad_json: /),
      expect.stringMatching(/^invalid_event: event must be an object/),
      expect.stringMatching(/^invalid_event: kind must be one of/),
      expect.stringMatching(/^too_large: message of \d+ bytes, limit 8192/),
    ]);
    await worker.stop();
    await done;
    await pub.close();
  });

  it('acks only after the commit: a worker whose store is gone acks nothing, the next one stores all', async () => {
    const { nc, names } = await setup();
    const first = await tmpPipeline();
    // The database goes away under the first worker: every write fails.
    await first.pipeline.store.close();
    const w1 = await createBusWorker({ names, nc, target: first.pipeline, ackWaitMs: 2000, nakDelayMs: 200 });
    const run1 = w1.start();
    const events = busScenario(1000).events.slice(0, 200);
    const pub = await createBusPublisher({ names, nc });
    await Promise.all(events.map((e) => pub.submit(e)));
    await until('a failed write', () => w1.stats().write_failures > 0);
    await w1.stop();
    await run1;
    await first.pipeline.close().catch(() => undefined);
    expect(w1.stats().acked).toBe(0);
    const lag = await w1.lag();
    expect(lag.num_pending + lag.num_ack_pending).toBe(200);

    const second = await tmpPipeline(first.dir);
    cleanups.push(() => second.pipeline.close());
    const w2 = await createBusWorker({ names, nc, target: second.pipeline, ackWaitMs: 2000 });
    const run2 = w2.start();
    await until('all stored and acked', async () => {
      const i = await w2.lag();
      return i.num_pending + i.num_ack_pending === 0;
    });
    expect(await countEvents(second.pipeline.store)).toBe(200);
    expect(w2.stats().acked).toBe(200);
    expect(w2.stats().redelivered).toBeGreaterThan(0);
    await w2.stop();
    await run2;
    await pub.close();
  });

  it('a message that fails its last delivery goes to the DLQ as write_failed', async () => {
    const { nc, jsm, names } = await setup();
    const { pipeline } = await tmpPipeline();
    await pipeline.store.close();
    cleanups.push(() => pipeline.close().catch(() => undefined));
    const w = await createBusWorker({
      names,
      nc,
      target: pipeline,
      ackWaitMs: 2000,
      maxDeliver: 2,
      nakDelayMs: 100,
    });
    const run = w.start();
    const pub = await createBusPublisher({ names, nc });
    await Promise.all(
      busScenario(1000)
        .events.slice(0, 5)
        .map((e) => pub.submit(e)),
    );
    await until('five dead letters', () => w.stats().dlq.write_failed === 5);
    expect((await jsm.streams.info(names.dlqStream)).state.messages).toBe(5);
    const m = await (await jetstream(nc).streams.get(names.dlqStream)).getMessage({ seq: 1 });
    expect(m?.header.get('Palisade-Dlq-Reason')).toBe('write_failed');
    expect(m?.header.get('Palisade-Delivery-Count')).toBe('2');
    await w.stop();
    await run;
    await pub.close();
  });

  /** `palisade proxy` publishing to the test's stream, in front of an upstream answering "hello". */
  async function busProxy(names: BusNames, env: Record<string, string> = {}) {
    const upstream = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => upstream.close(() => r())));
    const dir = mkdtempSync(join(tmpdir(), 'pal-bus-proxy-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const proc = spawn(process.execPath, [CLI, 'proxy', '--upstream', up, '--listen', '127.0.0.1:0'], {
      cwd: dir,
      env: { PATH: process.env.PATH, PALISADE_BUS_URL: names.url, PALISADE_BUS_PREFIX: names.prefix, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
    let text = '';
    proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    await until('the proxy listening', () => /publishing to/.test(text));
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text)![1];
    const stop = async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      return proc.exitCode;
    };
    return { base: `http://127.0.0.1:${port}`, stop };
  }

  it('palisade proxy with PALISADE_BUS_URL and no --db publishes its events to the stream', async () => {
    const { jsm, names } = await setup();
    const proxy = await busProxy(names);
    const attack = await fetch(`${proxy.base}/?q=${encodeURIComponent("1' or 1=1--")}`);
    expect(attack.status).toBe(403);
    await attack.text();
    const benign = await fetch(`${proxy.base}/products`);
    expect(await benign.text()).toBe('hello');
    expect(await proxy.stop()).toBe(0);
    // record_all: both requests are events, flushed before exit; nothing was written locally.
    expect((await jsm.streams.info(names.eventsStream)).state.messages).toBe(2);
  });

  it('a proxy without a database enforces the bans it pulls from the collector', async () => {
    const { names } = await setup();
    // A stand-in for `serve`'s GET /api/v1/bans/active: 127.0.0.0/8 banned once the key is right.
    const auth: string[] = [];
    const collector = createServer((req, res) => {
      auth.push(String(req.headers.authorization));
      if (req.url !== '/api/v1/bans/active' || req.headers.authorization !== 'Bearer pal_test_key') {
        res.statusCode = 401;
        return res.end();
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ bans: [{ value: '127.0.0.0/8', reason: 'brute force', until: null }] }));
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => collector.close(() => r())));
    const proxy = await busProxy(names, {
      PALISADE_BANS_URL: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`,
      PALISADE_BANS_KEY: 'pal_test_key',
    });
    await until('the bans pulled', () => auth.length > 0);
    let status = 0;
    await until('a banned client refused', async () => {
      const res = await fetch(`${proxy.base}/products`);
      await res.text();
      status = res.status;
      return status !== 200;
    });
    expect(status).toBe(403);
    expect(auth.every((a) => a === 'Bearer pal_test_key')).toBe(true);
    expect(await proxy.stop()).toBe(0);
  });
});
