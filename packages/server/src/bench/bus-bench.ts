/**
 * Bus section of `palisade bench`: scale-out over NATS JetStream into PostgreSQL. Two `palisade
 * worker` processes (the built CLI, correlation leader election on, GeoIP/ASN enrichment on) consume
 * one stream into a fresh schema (dropped after):
 * - throughput: events/s from the first publish of a burst until the consumer has nothing pending
 *   (published as fast as JetStream acks them, so it includes publishing on the same machine);
 * - lag under a steady publish rate: consumer `num_pending + num_ack_pending`, sampled every 250 ms,
 *   p50 and max.
 * Skipped with a message when NATS (PALISADE_BENCH_BUS_URL, default nats://127.0.0.1:4222) or
 * PostgreSQL (PALISADE_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) is not
 * reachable.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { SecurityEvent } from '@palisade/engine';
import { openStore, type Store } from '../store/index.js';
import { busNames } from '../bus/bus-config.js';
import { connectBus, type BusConnection } from '../bus/connect.js';
import { createBusPublisher, type BusPublisher } from '../bus/publisher.js';
import { deleteStreams } from '../bus/streams.js';
import { busScenario } from '../bus/testdata/bus-scenario.js';
import { childScript, startChild, type Child } from './processes.js';
import { quantile, round } from './stats.js';

export interface BusBenchOptions {
  /** Events of the throughput burst. Default 40,000. */
  events?: number;
  /** Steady publish rate (events/s) and how long. Default 5,000 for 20 s. */
  rate?: number;
  seconds?: number;
  workers?: number;
  /** More `palisade worker` flags (e.g. `--batch 1000`, `--no-correlate`). */
  workerArgs?: string[];
}

export type BusBenchResult =
  | {
      status: 'measured';
      workers: number;
      db: string;
      correlate: boolean;
      burst: { events: number; seconds: number; events_per_s: number };
      steady: {
        target_rate: number;
        achieved_rate: number;
        seconds: number;
        lag_p50: number;
        lag_max: number;
        /** Time after the last publish until the lag was 0 again (null: not within 25 s). */
        drain_s: number | null;
        /** Lag when the section stopped waiting (0 when drained). */
        lag_left: number;
      };
    }
  | { status: 'skipped'; detail: string };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function lagOf(bus: BusConnection, stream: string, consumer: string): Promise<number> {
  const i = await bus.jsm.consumers.info(stream, consumer);
  return i.num_pending + i.num_ack_pending;
}

export async function benchBus(opts: BusBenchOptions = {}): Promise<BusBenchResult> {
  const busUrl = process.env.PALISADE_BENCH_BUS_URL || 'nats://127.0.0.1:4222';
  const dbUrl = process.env.PALISADE_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const n = opts.events ?? 40_000;
  const rate = opts.rate ?? 5000;
  const seconds = opts.seconds ?? 20;
  const nWorkers = opts.workers ?? 2;
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const names = busNames({ url: busUrl, prefix: `bench${tag}` });
  const schema = `pal_bench_${tag}`;

  let bus: BusConnection;
  try {
    bus = await connectBus(busUrl, { timeoutMs: 2000, name: 'palisade-bench' });
  } catch (e) {
    return { status: 'skipped', detail: `NATS not reachable: ${(e as Error).message}` };
  }
  let store: Store;
  try {
    store = await openStore({ path: dbUrl, schema, env: randomBytes(32).toString('base64') });
  } catch (e) {
    await bus.nc.close();
    return { status: 'skipped', detail: `PostgreSQL not reachable: ${(e as Error).message}` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-bus-'));
  const workers: Child[] = [];
  let pub: BusPublisher | undefined;
  try {
    const cfg = join(dir, 'palisade.config.json');
    writeFileSync(cfg, JSON.stringify({}));
    const env = {
      ...process.env,
      PALISADE_KEY: randomBytes(32).toString('base64'),
      PALISADE_INSTALL_SECRET: randomBytes(32).toString('base64'),
      PALISADE_DATA_DIR: dir,
      PALISADE_BUS_URL: busUrl,
      PALISADE_BUS_PREFIX: names.prefix,
    };
    const main = childScript('cli/main.js');
    const dbArg = `${dbUrl}${dbUrl.includes('?') ? '&' : '?'}schema=${schema}`;
    for (let i = 0; i < nWorkers; i++)
      workers.push(
        startChild(
          process.execPath,
          [main, 'worker', '--db', dbArg, '--config', cfg, '--json', ...(opts.workerArgs ?? [])],
          {
            env,
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        ),
      );
    await Promise.all(workers.map((w) => w.waitFor(/"type":"started"/, 60_000)));
    pub = await createBusPublisher({ names, nc: bus.nc, maxInFlight: 1024, maxQueue: 50_000 });
    const lag = () => lagOf(bus, names.eventsStream, names.consumer);

    // Burst: publish n events as fast as JetStream acks them; time until the consumer drained.
    const burst = busScenario(n).events.map((e) => ({ ...e, id: `b-${e.id}` }));
    const t0 = performance.now();
    const sends: Promise<void>[] = [];
    for (const e of burst) {
      while (pub.stats().queued + pub.stats().in_flight > 40_000) await sleep(5);
      sends.push(pub.submit(e));
    }
    await Promise.all(sends);
    while ((await lag()) > 0) await sleep(50);
    const burstS = (performance.now() - t0) / 1000;

    // Steady: `rate` events/s in 100 ms ticks for `seconds`, lag sampled every 250 ms.
    const steadyEvents: SecurityEvent[] = busScenario(Math.ceil(rate * seconds)).events.map((e) => ({
      ...e,
      id: `s-${e.id}`,
    }));
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await lag());
        await sleep(250);
      }
    })();
    const perTick = Math.max(1, Math.round(rate / 10));
    const s0 = performance.now();
    const steadySends: Promise<void>[] = [];
    for (let i = 0, tick = 0; i < steadyEvents.length; i += perTick, tick++) {
      for (const e of steadyEvents.slice(i, i + perTick))
        steadySends.push(pub.submit(e).catch(() => undefined));
      const due = s0 + (tick + 1) * 100;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(steadySends);
    const published = (performance.now() - s0) / 1000;
    // The section stays within ~90 s: a backlog not drained within 25 s is reported as it stands.
    const d0 = performance.now();
    let left = await lag();
    while (left > 0 && performance.now() - d0 < 25_000) {
      await sleep(50);
      left = await lag();
    }
    const drainS = left > 0 ? null : (performance.now() - d0) / 1000;
    sampling = false;
    await sampler;
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      status: 'measured',
      workers: nWorkers,
      db: 'PostgreSQL',
      correlate: !(opts.workerArgs ?? []).includes('--no-correlate'),
      burst: { events: n, seconds: round(burstS, 2), events_per_s: Math.round(n / burstS) },
      steady: {
        target_rate: rate,
        achieved_rate: Math.round(steadyEvents.length / published),
        seconds: round(published, 1),
        lag_p50: quantile(sorted, 0.5),
        lag_max: sorted.at(-1) ?? 0,
        drain_s: drainS === null ? null : round(drainS, 2),
        lag_left: left,
      },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop(15_000)));
    await pub?.close(1000);
    await deleteStreams(bus.jsm, names).catch(() => undefined);
    await bus.nc.close();
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(store.db).catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBus(r: BusBenchResult): string {
  if (r.status !== 'measured') return `bus: skipped: ${r.detail}`;
  const s = r.steady;
  return [
    `NATS JetStream → ${r.workers} palisade worker processes → ${r.db} (enrichment on, correlation leader ${r.correlate ? 'on' : 'off'})`,
    `burst of ${r.burst.events} events: ${r.burst.events_per_s.toLocaleString('en-US')} events/s (${r.burst.seconds} s, publish to committed and acked)`,
    `steady ${s.target_rate.toLocaleString('en-US')} ev/s for ${s.seconds} s (achieved ${s.achieved_rate.toLocaleString('en-US')} ev/s): ` +
      `consumer lag p50 ${s.lag_p50}, max ${s.lag_max} messages; ` +
      (s.drain_s === null
        ? `${s.lag_left} still pending 25 s after the last publish`
        : `drained ${s.drain_s} s after the last publish`),
  ].join('\n');
}
