/**
 * The batched writer: the EventSink that `serve` and `proxy --db` write through. Events queue in
 * memory (bounded), and one batch at a time is written in a single transaction; each submit
 * promise settles only after the transaction holding its event has committed (durable: WAL with
 * synchronous=FULL). Refusals are DropErrors counted by reason. Sources that can wait (file
 * ingest) check `writable()` and await `drained()` instead of being dropped.
 */
import type { SecurityEvent } from '@palisade/engine';
import { DropError, type EventSink } from '../sink.js';
import { insertValidatedEvents } from './events.js';
import type { Store } from './store.js';
import { validateEvent } from './validate-event.js';

export interface WriterOptions {
  /** Most events waiting in memory; beyond it submit rejects with `queue_full`. Default 10000. */
  maxQueue?: number;
  /** Most events per transaction. Default 500. */
  batchSize?: number;
  /** How long a partial batch waits for more events before it is written. Default 20. */
  flushMs?: number;
}

export interface WriterStats {
  queued: number;
  /** Events acknowledged (committed, including ids that were already stored). */
  written: number;
  /** Events that were new rows. */
  inserted: number;
  batches: number;
  dropped: { queue_full: number; invalid: number; closing: number; write_failed: number };
  last_error?: string;
}

export interface Writer extends EventSink {
  /**
   * Takes a batch of events already validated by the caller: one promise for all, resolved when
   * the last is committed. Refused as a whole (queue_full) when the queue lacks room for it.
   */
  submitAll(events: readonly SecurityEvent[]): Promise<void>;
  /** True while the queue has room. */
  writable(): boolean;
  /** Resolves once the queue is at most half full (at once if it already is, or when closing). */
  drained(): Promise<void>;
  /** Waits up to `timeoutMs` for room; true when there is room. */
  waitWritable(timeoutMs: number): Promise<boolean>;
  stats(): WriterStats;
  /** Refuses new events, writes everything queued, then resolves. Does not close the store. */
  close(): Promise<void>;
}

interface Pending {
  event: SecurityEvent;
  resolve: () => void;
  reject: (err: Error) => void;
}

export function createWriter(store: Store, opts: WriterOptions = {}): Writer {
  const maxQueue = Math.max(1, opts.maxQueue ?? 10_000);
  const batchSize = Math.max(1, opts.batchSize ?? 500);
  const flushMs = Math.max(0, opts.flushMs ?? 20);
  const lowWater = Math.floor(maxQueue / 2);

  let queue: Pending[] = [];
  let writing = false;
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  let idle: (() => void)[] = [];
  let waiters: (() => void)[] = [];
  const s: WriterStats = {
    queued: 0,
    written: 0,
    inserted: 0,
    batches: 0,
    dropped: { queue_full: 0, invalid: 0, closing: 0, write_failed: 0 },
  };

  const wakeWaiters = () => {
    if (waiters.length === 0 || (queue.length > lowWater && !closing)) return;
    const w = waiters;
    waiters = [];
    for (const fn of w) fn();
  };

  const schedule = () => {
    if (writing || queue.length === 0) return;
    if (queue.length >= batchSize || closing) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      setImmediate(writeBatch);
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        writeBatch();
      }, flushMs);
    }
  };

  async function writeBatch(): Promise<void> {
    if (writing || queue.length === 0) return;
    writing = true;
    const batch = queue.length <= batchSize ? queue : queue.slice(0, batchSize);
    queue = batch === queue ? [] : queue.slice(batchSize);
    try {
      const res = await insertValidatedEvents(
        store,
        batch.map((p) => p.event),
      );
      s.batches++;
      s.written += batch.length;
      s.inserted += res.inserted;
      for (const p of batch) p.resolve();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      s.dropped.write_failed += batch.length;
      s.last_error = msg.slice(0, 500);
      for (const p of batch) p.reject(new DropError('write_failed', `event not written: ${s.last_error}`));
    } finally {
      writing = false;
      s.queued = queue.length;
      wakeWaiters();
      if (queue.length === 0 && idle.length > 0) {
        const w = idle;
        idle = [];
        for (const fn of w) fn();
      }
      schedule();
    }
  }

  const writer: Writer = {
    submit(event) {
      if (closing) {
        s.dropped.closing++;
        return Promise.reject(new DropError('closing', 'the writer is closing'));
      }
      const reason = validateEvent(event);
      if (reason) {
        s.dropped.invalid++;
        return Promise.reject(new DropError('invalid', `invalid event: ${reason}`));
      }
      if (queue.length >= maxQueue) {
        s.dropped.queue_full++;
        return Promise.reject(new DropError('queue_full', `write queue is full (${maxQueue} events)`));
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        s.queued = queue.length;
        schedule();
      });
    },
    submitAll(events) {
      if (events.length === 0) return Promise.resolve();
      if (closing) {
        s.dropped.closing += events.length;
        return Promise.reject(new DropError('closing', 'the writer is closing'));
      }
      if (queue.length + events.length > maxQueue && queue.length > 0) {
        s.dropped.queue_full += events.length;
        return Promise.reject(new DropError('queue_full', `write queue is full (${maxQueue} events)`));
      }
      return new Promise<void>((resolve, reject) => {
        let left = events.length;
        let failed = false;
        const done = () => {
          if (--left === 0 && !failed) resolve();
        };
        const fail = (err: Error) => {
          if (!failed) {
            failed = true;
            reject(err);
          }
        };
        for (const event of events) queue.push({ event, resolve: done, reject: fail });
        s.queued = queue.length;
        schedule();
      });
    },
    writable: () => !closing && queue.length < maxQueue,
    drained() {
      if (closing || queue.length <= lowWater) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    async waitWritable(timeoutMs) {
      if (writer.writable()) return true;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([writer.drained(), new Promise<void>((r) => (t = setTimeout(r, timeoutMs)))]);
      clearTimeout(t);
      return writer.writable();
    },
    stats: () => ({ ...s, queued: queue.length, dropped: { ...s.dropped } }),
    async close() {
      closing = true;
      wakeWaiters();
      if (queue.length === 0 && !writing) return;
      await new Promise<void>((resolve) => {
        idle.push(resolve);
        schedule();
      });
    },
  };
  return writer;
}
