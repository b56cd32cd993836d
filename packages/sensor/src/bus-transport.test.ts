/**
 * The sensor publishing to a real NATS JetStream (PALISADE_TEST_BUS_URL): events of a real node:http
 * server land in the stream on `<prefix>.events.<kind>`, once per id even when a batch is retried;
 * PALISADE_BUS_URL selects the bus when no collector or sink is given. The stream (normally made by
 * `palisade worker`) is created here with a duplicate window, under a prefix of its own.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { SecurityEvent } from '@palisade/engine';
import { createSensor } from './sensor.js';
import { compileOptions, SensorConfigError } from './options.js';
import { busTransport } from './bus-transport.js';

const BUS = process.env.PALISADE_TEST_BUS_URL || undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function stream(): Promise<{
  prefix: string;
  name: string;
  jsm: JetStreamManager;
  nc: NatsConnection;
}> {
  const prefix = `ts${process.pid}_${randomBytes(4).toString('hex')}`;
  const name = `${prefix.toUpperCase()}_EVENTS`;
  const nc = await connect({ servers: BUS! });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [`${prefix}.events.>`], duplicate_window: nanos(60_000) });
  cleanups.push(async () => {
    await jsm.streams.delete(name);
    await nc.close();
  });
  return { prefix, name, jsm, nc };
}

describe('bus option', () => {
  it('is checked when the sensor is created', () => {
    expect(() => createSensor({ bus: { url: 'http://127.0.0.1:4222' } })).toThrow(SensorConfigError);
    expect(() => createSensor({ bus: { url: 'nats://127.0.0.1:4222', prefix: 'a.b' } })).toThrow(
      /bus.prefix/,
    );
    expect(() =>
      createSensor({ bus: { url: 'nats://127.0.0.1:4222' }, collector: { url: 'http://x', apiKey: 'k' } }),
    ).toThrow(/one of collector, bus or sink/);
  });
});

describe.skipIf(!BUS)('bus transport (NATS JetStream)', () => {
  it('ships the sensor events to <prefix>.events.<kind>, once per id', async () => {
    const { prefix, name, jsm } = await stream();
    const sensor = createSensor({ name: 'sensor:bus', bus: { url: BUS!, prefix, flushMs: 10 } });
    const server: Server = createServer(sensor.http((_req, res) => res.end('ok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const answer = await fetch(`${base}/search?q=${encodeURIComponent("1' or 1=1--")}`);
    expect(answer.status).toBe(403);
    await answer.text();
    await sensor.close();
    expect(sensor.stats().shipped).toBe(1);
    const info = await jsm.streams.info(name, { subjects_filter: '>' });
    expect(info.state.messages).toBe(1);
    expect(Object.keys(info.state.subjects ?? {})).toEqual([`${prefix}.events.http`]);
  });

  it('a retried batch is stored once (Nats-Msg-Id = event id)', async () => {
    const { prefix, name, jsm } = await stream();
    const c = compileOptions({ bus: { url: BUS!, prefix } });
    const t = busTransport(c.bus!);
    cleanups.push(() => t.close());
    const events = [1, 2, 3].map((n): SecurityEvent => ({
      id: `00000000-0000-4000-8000-00000000000${n}`,
      ts: '2026-01-01T00:00:00.000Z',
      kind: n === 3 ? 'auth' : 'http',
      source: { name: 'sensor:test', type: 'sensor' },
      client: { ip: '192.0.2.1' },
      action: 'log',
      score: 3,
      severity: 'medium',
      findings: [],
    }));
    expect(await t.transport(events)).toEqual({ ok: true });
    expect(await t.transport(events)).toEqual({ ok: true });
    expect((await jsm.streams.info(name)).state.messages).toBe(3);
  });

  it('PALISADE_BUS_URL selects the bus when no collector or sink is given', () => {
    const before = process.env.PALISADE_BUS_URL;
    process.env.PALISADE_BUS_URL = BUS;
    try {
      const c = compileOptions({});
      expect(c.bus?.url).toBe(BUS);
      expect(c.bus?.prefix).toBe('palisade');
      expect(compileOptions({ sink: async () => undefined }).bus).toBeNull();
    } finally {
      if (before === undefined) delete process.env.PALISADE_BUS_URL;
      else process.env.PALISADE_BUS_URL = before;
    }
  });
});
