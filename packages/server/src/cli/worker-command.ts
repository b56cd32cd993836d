/**
 * `palisade worker`: one of N processes that move events from NATS JetStream into the store. Each
 * opens the collector pipeline with inline correlation off, consumes from the shared durable pull
 * consumer (bus/worker.ts: validate, DLQ the poison, write, ack after commit) and takes part in the
 * election of the single correlation leader (correlate/leader.ts) unless `--no-correlate`.
 * SIGINT/SIGTERM: stop fetching, finish and ack the batch in hand, step down, flush, exit 0.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { PalisadeError } from '../errors.js';
import { INCIDENT_CONFIG_SETTING, openPipeline } from '../serve/pipeline.js';
import { getSetting } from '../store/settings.js';
import { resolveCorrelationConfig } from '../correlate/config.js';
import { startCorrelationLeader, type CorrelationLeader } from '../correlate/leader.js';
import { busFromEnv } from '../bus/bus-config.js';
import { connectBus, redact } from '../bus/connect.js';
import { createBusWorker } from '../bus/worker.js';

export const WORKER_USAGE = `palisade worker [--bus nats://HOST:PORT] [--prefix NAME] [--db PATH|postgres://…] [--config FILE]
                [--batch N] [--ack-wait S] [--max-deliver N] [--max-ack-pending N] [--max-event-bytes N]
                [--no-correlate] [--json] [--stats-every S]
  Consumes events from NATS JetStream (PALISADE_BUS_URL, PALISADE_BUS_PREFIX) into the store
  (config db / PALISADE_DATABASE_URL). Run several: they share one durable consumer.
  --batch N            messages per fetch (default 500)
  --ack-wait S         seconds a delivery may stay unacked before redelivery (default 30)
  --max-deliver N      deliveries per message; the last failing one goes to the DLQ (default 5)
  --max-ack-pending N  unacked messages over all workers (default 20000)
  --max-event-bytes N  larger messages go to the DLQ as too_large (default 1048576)
  --no-correlate       do not stand for correlation leader
  --json               JSON lines: start, stats every --stats-every seconds (default 10), final stats
`;

function positiveInt(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n < min || n > max)
    throw new PalisadeError('PAL_ERR_CLI_USAGE', `--${name} must be a number ${min}..${max}, got ${v}`);
  return n;
}

/** `palisade worker …` from its arguments (everything after `worker`). */
export async function runWorkerCommand(
  args: string[],
  io: { out?: NodeJS.WritableStream; err?: NodeJS.WritableStream; signals?: NodeJS.EventEmitter } = {},
): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const signals = io.signals ?? process;
  const { values: v } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string', short: 'c' },
      db: { type: 'string' },
      bus: { type: 'string' },
      prefix: { type: 'string' },
      batch: { type: 'string' },
      'ack-wait': { type: 'string' },
      'max-deliver': { type: 'string' },
      'max-ack-pending': { type: 'string' },
      'max-event-bytes': { type: 'string' },
      'no-correlate': { type: 'boolean' },
      json: { type: 'boolean' },
      'stats-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out.write(WORKER_USAGE);
    return 0;
  }
  const names = busFromEnv(process.env, { url: v.bus, prefix: v.prefix });
  if (!names)
    throw new PalisadeError(
      'PAL_ERR_CLI_USAGE',
      'worker needs the NATS address: PALISADE_BUS_URL or --bus URL',
    );
  const batchSize = positiveInt('batch', v.batch, 1, 10_000);
  const ackWaitS = positiveInt('ack-wait', v['ack-wait'], 1, 3600);
  const maxDeliver = positiveInt('max-deliver', v['max-deliver'], 1, 100);
  const maxAckPending = positiveInt('max-ack-pending', v['max-ack-pending'], 1, 1_000_000);
  const maxEventBytes = positiveInt('max-event-bytes', v['max-event-bytes'], 1024, 64 * 1024 * 1024);
  const statsEveryS = positiveInt('stats-every', v['stats-every'], 1, 86_400) ?? 10;
  const config = loadConfig({ file: v.config, flags: { db: v.db } });
  const json = v.json === true;
  const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const log = (line: string) => err.write(`palisade worker: ${line}\n`);

  // NATS first: an unreachable bus fails before the database is opened.
  const { nc } = await connectBus(names.url, { name: `palisade-worker ${holder}` });
  const pipeline = await openPipeline(config, { log, retention: false, correlate: false }).catch(
    async (e: unknown) => {
      await nc.close().catch(() => undefined);
      throw e;
    },
  );
  const worker = await createBusWorker({
    names,
    nc,
    target: pipeline,
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(ackWaitS !== undefined ? { ackWaitMs: Math.round(ackWaitS * 1000) } : {}),
    ...(maxDeliver !== undefined ? { maxDeliver } : {}),
    ...(maxAckPending !== undefined ? { maxAckPending } : {}),
    ...(maxEventBytes !== undefined ? { maxEventBytes } : {}),
    log,
  }).catch(async (e: unknown) => {
    await nc.close().catch(() => undefined);
    await pipeline.close();
    throw e;
  });

  // The leader correlates with the configuration serve would use: the one saved through the API
  // (polled: a change applies within 10 s), else the config file's. Its incidents are forwarded.
  let leader: CorrelationLeader | undefined;
  if (v['no-correlate'] !== true) {
    const loadCorrelation = async () => {
      const saved = await getSetting(pipeline.store, INCIDENT_CONFIG_SETTING);
      return {
        version: saved?.version ?? 0,
        config: saved ? resolveCorrelationConfig(saved.value) : config.correlation,
      };
    };
    leader = startCorrelationLeader(pipeline.store, (await loadCorrelation()).config, {
      holder,
      log,
      loadConfig: loadCorrelation,
      onBan: () => void pipeline.bans.reload().catch((e: Error) => log(`ban reload: ${e.message}`)),
      onPersisted: (list) => pipeline.forwarder.incidents(list),
    });
  }

  const where = pipeline.store.dialect.location;
  if (json)
    out.write(
      `${JSON.stringify({ type: 'started', holder, stream: names.eventsStream, consumer: names.consumer, db: where, correlate: leader !== undefined })}\n`,
    );
  else
    out.write(
      `palisade worker ${holder}: ${redact(names.url)} ${names.eventsStream}/${names.consumer} → ${where}` +
        ` (correlation: ${leader ? 'leader election' : 'off'})\n`,
    );

  async function snapshot(final: boolean) {
    const lag = await worker.lag().catch(() => undefined);
    const w = pipeline.writer.stats();
    return {
      type: final ? 'final' : 'stats',
      holder,
      ...worker.stats(),
      lag: lag ? lag.num_pending : null,
      ack_pending: lag ? lag.num_ack_pending : null,
      written: w.written,
      inserted: w.inserted,
      leader: leader?.stats(),
    };
  }

  const timer = json
    ? setInterval(() => {
        void snapshot(false).then((s) => out.write(`${JSON.stringify(s)}\n`));
      }, statsEveryS * 1000)
    : undefined;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      if (timer) clearInterval(timer);
      // The batch in hand is written and acked before anything closes.
      await worker.stop();
    })());
  signals.on('SIGINT', stop);
  signals.on('SIGTERM', stop);

  const loop = worker.start();
  await loop;
  await stop();
  const s = await snapshot(true);
  await leader?.stop();
  await pipeline.close();
  await nc.drain().catch(() => nc.close());
  if (json) out.write(`${JSON.stringify({ ...s, leader: leader?.stats() })}\n`);
  else
    out.write(
      `palisade worker ${holder}: consumed ${s.consumed}, acked ${s.acked}, redelivered ${s.redelivered}, ` +
        `batches ${s.batches}, dlq ${JSON.stringify(s.dlq)}, naks ${s.naks}, lag ${s.lag ?? '?'}` +
        (leader
          ? `, incidents opened ${leader.stats().opened} (leader ${leader.stats().takeovers} times)`
          : '') +
        '\n',
    );
  return 0;
}
