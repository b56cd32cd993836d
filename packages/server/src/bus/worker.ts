/**
 * The consuming side of the bus: fetches batches from the shared durable pull consumer and writes
 * them through the collector pipeline's bulk path (enrich + write, idempotent by event id). What
 * `palisade worker` runs; a factory, then `start()` (STYLE.md #6).
 *
 * Per fetched batch:
 * - every message is checked: at most `maxEventBytes`, JSON, `validateEvent`. A poison message is
 *   published to `<prefix>.dlq.events` with the headers `Palisade-Dlq-Reason` (`too_large`,
 *   `bad_json`, `invalid_event`, `write_failed`), `Palisade-Dlq-Detail`, the original subject,
 *   stream and sequence, then `term()`ed (never redelivered). If the DLQ publish fails it is
 *   `nak()`ed and tried again later.
 * - the good events go to the pipeline as one batch; their messages are acked only after that batch
 *   committed. A write failure `nak()`s them with a delay (growing with the delivery count); on the
 *   consumer's last delivery (`max_deliver`) a message that still fails goes to the DLQ.
 * - while a batch is being written, `working()` is sent for its messages every third of `ack_wait`,
 *   so a slow database does not cause redeliveries (and duplicate work) behind the worker's back.
 *
 * The next batch is fetched while one is written (writes stay one at a time, in order).
 *
 * A worker killed mid-batch acks nothing it had not committed: JetStream redelivers those messages
 * after `ack_wait` to the other workers, and the idempotent insert stores each event once.
 */
import { headers, type NatsConnection } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { SecurityEvent } from '@palisade/engine';
import { validateEvent } from '../store/validate-event.js';
import { DropError } from '../sink.js';
import type { BusNames } from './bus-config.js';
import {
  CONSUMER_DEFAULTS,
  ensureStreams,
  ensureWorkerConsumer,
  type StreamLimits,
  type WorkerConsumerOptions,
} from './streams.js';

/** What the worker writes into: the pipeline's bulk path and its writer's back-pressure. */
export interface WorkerTarget {
  ingestBatch(events: readonly SecurityEvent[]): Promise<{ refused: number }>;
  writer: { waitWritable(timeoutMs: number): Promise<boolean> };
}

export type DlqReason = 'too_large' | 'bad_json' | 'invalid_event' | 'write_failed';

export interface BusWorkerOptions extends WorkerConsumerOptions {
  names: BusNames;
  nc: NatsConnection;
  target: WorkerTarget;
  /** Messages per fetch (default 500). */
  batchSize?: number;
  /** How long a fetch waits for a full batch before taking what came (default and least 1000 ms). */
  fetchExpiresMs?: number;
  /** Largest message stored; larger ones go to the DLQ as `too_large` (default 1 MiB). */
  maxEventBytes?: number;
  /** Delay of a nak after a failed write, times the delivery count (default 1000 ms, at most 60 s). */
  nakDelayMs?: number;
  limits?: StreamLimits;
  log?: (line: string) => void;
}

export interface BusWorkerStats {
  /** Messages fetched (deliveries, including redeliveries). */
  consumed: number;
  /** Messages acked after their batch committed. */
  acked: number;
  /** Deliveries JetStream marked as redelivered (a worker died or nak'ed, or ack_wait passed). */
  redelivered: number;
  /** Batches fetched and processed. */
  batches: number;
  /** Messages given up to the DLQ, by reason. */
  dlq: Record<DlqReason, number>;
  /** DLQ publishes that failed (the message was nak'ed, or dropped on its last delivery). */
  dlq_failed: number;
  /** Messages nak'ed after a failed write. */
  naks: number;
  write_failures: number;
  last_error?: string;
}

export interface BusWorker {
  readonly stats: () => BusWorkerStats;
  /** Consumer lag: messages not yet delivered, and delivered but not acked. */
  lag(): Promise<{ num_pending: number; num_ack_pending: number; num_redelivered: number }>;
  /** Runs until `stop()`; resolves when the loop ended and the last batch was acked. */
  start(): Promise<void>;
  /** Stops fetching, finishes and acks the batch in hand, flushes the acks to the server. */
  stop(): Promise<void>;
}

/** Longest detail text kept in a DLQ header. */
const DETAIL_MAX = 500;
/** Body kept of a too-large message in the DLQ (the rest would not fit the server's max_payload). */
const TOO_LARGE_KEEP = 64 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

const headerSafe = (s: string) => s.replace(/[\r\n\0]+/g, ' ').slice(0, DETAIL_MAX);

/** Ensures the streams and the shared consumer; returns the worker (not yet started). */
export async function createBusWorker(o: BusWorkerOptions): Promise<BusWorker> {
  const { names, nc, target } = o;
  const log = o.log ?? (() => undefined);
  const jsm: JetStreamManager = await jetstreamManager(nc);
  await ensureStreams(jsm, names, o.limits);
  const c = { ...CONSUMER_DEFAULTS, ...definedOnly(o) };
  await ensureWorkerConsumer(jsm, names, c);
  const js: JetStreamClient = jetstream(nc);
  const batchSize = o.batchSize ?? 500;
  const fetchExpiresMs = Math.max(1000, o.fetchExpiresMs ?? 1000);
  const maxEventBytes = o.maxEventBytes ?? 1024 * 1024;
  const nakDelayMs = o.nakDelayMs ?? 1000;

  const stats: BusWorkerStats = {
    consumed: 0,
    acked: 0,
    redelivered: 0,
    batches: 0,
    dlq: { too_large: 0, bad_json: 0, invalid_event: 0, write_failed: 0 },
    dlq_failed: 0,
    naks: 0,
    write_failures: 0,
  };
  let stopping = false;
  let current: ConsumerMessages | undefined;
  let running: Promise<void> | undefined;

  const isLastDelivery = (m: JsMsg) => m.info.deliveryCount >= c.maxDeliver;
  const nakDelay = (m: JsMsg) => Math.min(60_000, nakDelayMs * m.info.deliveryCount);

  /** Publishes `m` to the DLQ with its reason; true once JetStream stored it. */
  async function deadLetter(m: JsMsg, reason: DlqReason, detail: string): Promise<boolean> {
    const h = headers();
    h.set('Palisade-Dlq-Reason', reason);
    h.set('Palisade-Dlq-Detail', headerSafe(detail) || reason);
    h.set('Palisade-Original-Subject', headerSafe(m.subject));
    h.set('Palisade-Original-Stream', m.info.stream);
    h.set('Palisade-Original-Sequence', String(m.seq));
    h.set('Palisade-Delivery-Count', String(m.info.deliveryCount));
    let body = m.data;
    if (body.length > TOO_LARGE_KEEP && reason === 'too_large') {
      h.set('Palisade-Dlq-Truncated', String(body.length));
      body = body.subarray(0, TOO_LARGE_KEEP);
    }
    try {
      // The msgID makes a DLQ publish retried after a lost PubAck (or by a redelivery) one message.
      await js.publish(names.dlqSubject, body, {
        headers: h,
        msgID: `${m.info.stream}:${m.seq}`,
        timeout: 5000,
      });
      stats.dlq[reason]++;
      return true;
    } catch (e) {
      stats.dlq_failed++;
      stats.last_error = `dlq publish: ${(e as Error).message}`.slice(0, 300);
      log(`DLQ publish failed (${reason}, sequence ${m.seq}): ${(e as Error).message}`);
      return false;
    }
  }

  // term() without a reason: NATS 2.9 ignores `+TERM <reason>` (2.10 added reasons), and redelivers.
  async function poison(m: JsMsg, reason: DlqReason, detail: string): Promise<void> {
    if (await deadLetter(m, reason, detail)) m.term();
    else if (isLastDelivery(m)) m.term();
    else m.nak(nakDelay(m));
  }

  /** Writes the batch; resolves true once committed, false after a write failure. */
  async function write(events: SecurityEvent[]): Promise<true | string> {
    for (;;) {
      try {
        await target.ingestBatch(events);
        return true;
      } catch (e) {
        // A full write queue is back-pressure, not a failure: wait for room and try again.
        if (e instanceof DropError && e.reason === 'queue_full') {
          await target.writer.waitWritable(1000);
          continue;
        }
        return String((e as Error)?.message ?? e).slice(0, DETAIL_MAX);
      }
    }
  }

  async function processBatch(msgs: JsMsg[]): Promise<void> {
    stats.batches++;
    stats.consumed += msgs.length;
    const good: { m: JsMsg; e: SecurityEvent }[] = [];
    const bad: Promise<void>[] = [];
    for (const m of msgs) {
      if (m.redelivered) stats.redelivered++;
      if (m.data.length > maxEventBytes) {
        bad.push(poison(m, 'too_large', `message of ${m.data.length} bytes, limit ${maxEventBytes}`));
        continue;
      }
      let e: unknown;
      try {
        e = JSON.parse(decoder.decode(m.data));
      } catch (err) {
        bad.push(poison(m, 'bad_json', (err as Error).message));
        continue;
      }
      const why =
        typeof e !== 'object' || e === null || Array.isArray(e)
          ? 'event must be an object'
          : validateEvent(e as SecurityEvent);
      if (why !== undefined) {
        bad.push(poison(m, 'invalid_event', why));
        continue;
      }
      good.push({ m, e: e as SecurityEvent });
    }
    // Keep the ack timers of the batch from running out while it is written.
    const keepAlive = setInterval(
      () => {
        for (const g of good) g.m.working();
      },
      Math.max(100, Math.floor(c.ackWaitMs / 3)),
    );
    try {
      if (good.length > 0) {
        // One row per id: a message published twice beyond the duplicate window, or redelivered
        // into the same batch, is written once and every copy acked after the commit.
        const seen = new Set<string>();
        const events: SecurityEvent[] = [];
        for (const g of good)
          if (!seen.has(g.e.id)) {
            seen.add(g.e.id);
            events.push(g.e);
          }
        const result = await write(events);
        if (result === true) {
          for (const g of good) g.m.ack();
          stats.acked += good.length;
        } else {
          stats.write_failures++;
          stats.last_error = `write: ${result}`;
          log(`batch of ${events.length} events not written: ${result}`);
          await Promise.all(
            good.map(async ({ m }) => {
              if (isLastDelivery(m)) await poison(m, 'write_failed', result);
              else {
                stats.naks++;
                m.nak(nakDelay(m));
              }
            }),
          );
        }
      }
      await Promise.all(bad);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async function loop(): Promise<void> {
    let consumer;
    for (;;) {
      try {
        consumer = await js.consumers.get(names.eventsStream, names.consumer);
        break;
      } catch (e) {
        if (stopping) return;
        log(`consumer: ${(e as Error).message}`);
        await sleep(1000);
      }
    }
    // One batch is written while the next is fetched; writes stay one at a time, in fetch order.
    let writing: Promise<void> = Promise.resolve();
    while (!stopping) {
      const msgs: JsMsg[] = [];
      try {
        current = await consumer.fetch({ max_messages: batchSize, expires: fetchExpiresMs });
        for await (const m of current) msgs.push(m);
      } catch (e) {
        stats.last_error = `fetch: ${(e as Error).message}`.slice(0, 300);
        if (!stopping && msgs.length === 0) {
          log(`fetch: ${(e as Error).message}`);
          await sleep(500);
        }
      } finally {
        current = undefined;
      }
      if (msgs.length > 0) {
        await writing;
        writing = processBatch(msgs).catch((e: Error) => {
          stats.last_error = `batch: ${e.message}`.slice(0, 300);
          log(`batch: ${e.message}`);
        });
      }
    }
    await writing;
  }

  return {
    stats: () => ({ ...stats, dlq: { ...stats.dlq } }),
    async lag() {
      const info = await jsm.consumers.info(names.eventsStream, names.consumer);
      return {
        num_pending: info.num_pending,
        num_ack_pending: info.num_ack_pending,
        num_redelivered: info.num_redelivered,
      };
    },
    start() {
      running ??= loop();
      return running;
    },
    async stop() {
      stopping = true;
      // End a fetch in progress: the messages it already brought are still processed and acked.
      current?.stop();
      await running;
      // Acks are fire-and-forget publishes: make sure they reached the server before we go.
      await nc.flush().catch(() => undefined);
    },
  };
}

function definedOnly(o: WorkerConsumerOptions): WorkerConsumerOptions {
  const out: WorkerConsumerOptions = {};
  if (o.ackWaitMs !== undefined) out.ackWaitMs = o.ackWaitMs;
  if (o.maxDeliver !== undefined) out.maxDeliver = o.maxDeliver;
  if (o.maxAckPending !== undefined) out.maxAckPending = o.maxAckPending;
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
