/**
 * Publishes events to JetStream for `palisade worker` to store: the proxy's (and any server-side
 * source's) EventSink when Palisade scales out. Each event goes to `<prefix>.events.<kind>` with
 * `Nats-Msg-Id` = its id, so a publish retried after a lost PubAck is stored once (the stream's
 * duplicate window). `submit` resolves when JetStream acknowledged the message (it is on disk in
 * the stream), never before.
 *
 * Bounded: at most `maxInFlight` publishes await their PubAck; at most `maxQueue` events are held in
 * all (waiting, in flight, waiting to retry); beyond that `submit` refuses at once (`queue_full`,
 * counted) so the request path never waits. A failed publish (timeout, NATS down, stream full) is
 * retried with exponential back-off and jitter up to `maxAttempts`, then refused (`failed`,
 * counted). `close()` stops taking events and flushes what is held, up to a deadline.
 */
import type { SecurityEvent } from '@palisade/engine';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { DropError, type EventSink } from '../sink.js';
import { eventSubject, type BusNames } from './bus-config.js';
import { connectBus } from './connect.js';
import { ensureStreams, STREAM_DEFAULTS, type StreamLimits } from './streams.js';

export interface BusPublisherOptions {
  names: BusNames;
  /** A connection to use (not closed by `close()`); default: connect to `names.url`. */
  nc?: NatsConnection;
  /** Publishes awaiting their PubAck at once. Default 512. */
  maxInFlight?: number;
  /** Events held in all (queued, in flight, waiting to retry). Default 10,000. */
  maxQueue?: number;
  /** Tries per event before it is dropped as `failed`. Default 8. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Wait for one PubAck. Default 5000 ms. */
  ackTimeoutMs?: number;
  /** Largest message; default the stream's `max_msg_size` (1 MiB) or the server's max_payload if smaller. */
  maxMessageBytes?: number;
  /** Create/update the streams first (default true). */
  ensure?: boolean;
  limits?: StreamLimits;
  /** Name of the connection (seen in NATS monitoring). */
  name?: string;
  random?: () => number;
}

export interface BusPublisherStats {
  /** Events taken by `submit`. */
  submitted: number;
  /** Acknowledged by JetStream as new messages. */
  published: number;
  /** Acknowledged as duplicates (same id within the duplicate window: stored once). */
  duplicates: number;
  /** Publishes sent again after a failure. */
  retries: number;
  dropped: { queue_full: number; too_large: number; failed: number; closing: number; shutdown: number };
  queued: number;
  in_flight: number;
  last_error?: string;
}

export interface BusPublisher extends EventSink {
  readonly names: BusNames;
  stats(): BusPublisherStats;
  /** Resolves when nothing is held (every submitted event acked or dropped). */
  flush(): Promise<void>;
  /** Stops taking events, flushes until `deadlineMs`, counts the rest as `shutdown`, closes its connection. */
  close(deadlineMs?: number): Promise<void>;
}

interface Job {
  subject: string;
  data: Uint8Array;
  id: string | undefined;
  attempt: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const encoder = new TextEncoder();

/** Connects (unless given a connection), ensures the streams and returns the publisher. */
export async function createBusPublisher(o: BusPublisherOptions): Promise<BusPublisher> {
  const names = o.names;
  const own = o.nc === undefined;
  const conn = o.nc
    ? { nc: o.nc, jsm: undefined }
    : await connectBus(names.url, { name: o.name ?? 'palisade-publisher' });
  const nc = conn.nc;
  try {
    if (o.ensure !== false) await ensureStreams(conn.jsm ?? (await jetstreamManager(nc)), names, o.limits);
  } catch (e) {
    if (own) await nc.close().catch(() => undefined);
    throw e;
  }
  const js: JetStreamClient = jetstream(nc);
  const maxInFlight = o.maxInFlight ?? 512;
  const maxQueue = Math.max(o.maxQueue ?? 10_000, maxInFlight);
  const maxAttempts = o.maxAttempts ?? 8;
  const baseMs = o.backoffBaseMs ?? 100;
  const maxMs = o.backoffMaxMs ?? 5000;
  const ackTimeoutMs = o.ackTimeoutMs ?? 5000;
  const random = o.random ?? Math.random;
  const maxBytes = Math.min(
    o.maxMessageBytes ?? o.limits?.maxMsgBytes ?? STREAM_DEFAULTS.maxMsgBytes,
    nc.info?.max_payload ?? Infinity,
  );

  const stats: BusPublisherStats = {
    submitted: 0,
    published: 0,
    duplicates: 0,
    retries: 0,
    dropped: { queue_full: 0, too_large: 0, failed: 0, closing: 0, shutdown: 0 },
    queued: 0,
    in_flight: 0,
  };
  // A FIFO with a moving head: O(1) shift without copying.
  let queue: Job[] = [];
  let head = 0;
  let inFlight = 0;
  const retrying = new Set<NodeJS.Timeout>();
  const retryJobs = new Map<NodeJS.Timeout, Job>();
  let closing = false;
  let idleWaiters: (() => void)[] = [];

  const held = () => queue.length - head + inFlight + retrying.size;

  function settleIdle(): void {
    if (held() === 0 && idleWaiters.length > 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  }

  function pump(): void {
    while (inFlight < maxInFlight && head < queue.length) {
      const job = queue[head]!;
      queue[head++] = undefined as unknown as Job;
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      send(job);
    }
  }

  function send(job: Job): void {
    inFlight++;
    job.attempt++;
    js.publish(job.subject, job.data, {
      timeout: ackTimeoutMs,
      ...(job.id !== undefined ? { msgID: job.id } : {}),
    }).then(
      (ack) => {
        inFlight--;
        if (ack.duplicate) stats.duplicates++;
        else stats.published++;
        job.resolve();
        pump();
        settleIdle();
      },
      (e: Error) => {
        inFlight--;
        stats.last_error = String(e?.message ?? e).slice(0, 300);
        if (job.attempt >= maxAttempts) {
          stats.dropped.failed++;
          job.reject(new DropError('write_failed', `not published: ${stats.last_error}`));
        } else {
          const d = Math.min(maxMs, baseMs * 2 ** Math.min(job.attempt - 1, 30));
          const t = setTimeout(
            () => {
              retrying.delete(t);
              retryJobs.delete(t);
              stats.retries++;
              // Back in front of the line: the oldest event goes first.
              if (head > 0) queue[--head] = job;
              else queue.unshift(job);
              pump();
            },
            d / 2 + random() * (d / 2),
          );
          retrying.add(t);
          retryJobs.set(t, job);
        }
        pump();
        settleIdle();
      },
    );
  }

  const publisher: BusPublisher = {
    names,
    submit(event: SecurityEvent): Promise<void> {
      if (closing) {
        stats.dropped.closing++;
        return Promise.reject(new DropError('closing', 'the bus publisher is closing'));
      }
      if (held() >= maxQueue) {
        stats.dropped.queue_full++;
        return Promise.reject(new DropError('queue_full', 'the bus publisher queue is full'));
      }
      const data = encoder.encode(JSON.stringify(event));
      if (data.length > maxBytes) {
        stats.dropped.too_large++;
        return Promise.reject(
          new DropError('invalid', `event of ${data.length} bytes is over the bus limit of ${maxBytes}`),
        );
      }
      stats.submitted++;
      const id = typeof event?.id === 'string' && event.id !== '' ? event.id : undefined;
      return new Promise<void>((resolve, reject) => {
        queue.push({
          subject: eventSubject(names.prefix, event?.kind),
          data,
          id,
          attempt: 0,
          resolve,
          reject,
        });
        pump();
      });
    },
    stats() {
      return {
        ...stats,
        dropped: { ...stats.dropped },
        queued: queue.length - head + retrying.size,
        in_flight: inFlight,
      };
    },
    flush() {
      if (held() === 0) return Promise.resolve();
      // A retry waiting for its back-off goes now.
      for (const [t, job] of retryJobs) {
        clearTimeout(t);
        retrying.delete(t);
        retryJobs.delete(t);
        stats.retries++;
        queue.push(job);
      }
      pump();
      return new Promise((r) => idleWaiters.push(r));
    },
    async close(deadlineMs = 10_000) {
      if (closing) return;
      closing = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([publisher.flush(), new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)))]);
      clearTimeout(timer);
      // Whatever is left is given up, counted, and its submitter told.
      for (const [t, job] of retryJobs) {
        clearTimeout(t);
        job.reject(new DropError('closing', 'the bus publisher closed'));
        stats.dropped.shutdown++;
      }
      retrying.clear();
      retryJobs.clear();
      for (let i = head; i < queue.length; i++) {
        queue[i]!.reject(new DropError('closing', 'the bus publisher closed'));
        stats.dropped.shutdown++;
      }
      queue = [];
      head = 0;
      if (own) await nc.drain().catch(() => nc.close());
    },
  };
  return publisher;
}
