/**
 * One forwarding target's bounded queue: deliveries wait here (at most `maxQueue`; more are dropped
 * and counted), one at a time go to the transport, a failed attempt is retried after an exponential
 * backoff with jitter, and after `maxAttempts` (or at once for a permanent refusal) the delivery is
 * dead-lettered: counted, remembered in a bounded list and logged — by kind and reference only,
 * never with its payload or the target's secrets. Nothing here ever blocks the caller of `push`.
 */
import type { Severity } from '@palisade/engine';

/** What goes to a target: the payload ready to send, and what to call it in logs and metrics. */
export interface Delivery {
  kind: 'alert' | 'incident';
  /** Event id or `incident <id>`. */
  ref: string;
  severity: Severity;
  /** The bytes or text the transport sends (a syslog line, a JSON body). */
  payload: string;
  /** Extra per-delivery facts the transport needs (a webhook's event name); not logged. */
  meta?: Readonly<Record<string, string>>;
}

/** A transport refusal that a retry cannot fix (HTTP 400, 401, 404, ...): dead-lettered at once. */
export class PermanentDeliveryError extends Error {}

export interface DeadLetter {
  target: string;
  kind: Delivery['kind'];
  ref: string;
  severity: Severity;
  attempts: number;
  error: string;
  /** ISO time it was given up. */
  at: string;
}

export interface DeliveryStats {
  sent: number;
  /** Failed attempts (a delivery retried twice and then sent counts 2). */
  failed: number;
  retried: number;
  dead_lettered: number;
  /** Deliveries never attempted, by reason: queue_full, shutdown. */
  dropped: Record<string, number>;
  queued: number;
}

export interface DeliveryQueueOptions {
  name: string;
  maxQueue: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  send(d: Delivery): Promise<void>;
  onDeadLetter(d: DeadLetter): void;
  /** 0..1 (tests pin it); default Math.random. */
  random?: () => number;
}

export interface DeliveryQueue {
  /** Queues a delivery; false (counted as dropped) when the queue is full or closed. */
  push(d: Delivery): boolean;
  stats(): DeliveryStats;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
  /** Stops taking deliveries; waits up to `drainMs` for the queue to empty, then drops the rest. */
  close(drainMs: number): Promise<void>;
}

/** The delay before retry `attempt` (1 = after the first failure): base·2^(attempt-1), capped, half jittered. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** A short, secret-free description of a failure (no URLs, no bodies). */
export function describeError(e: unknown): string {
  if (e instanceof PermanentDeliveryError) return e.message;
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timeout';
  const code = err?.cause?.code ?? err?.code;
  if (typeof code === 'string') return code;
  return (err?.message ?? String(e)).slice(0, 200);
}

export function createDeliveryQueue(o: DeliveryQueueOptions): DeliveryQueue {
  const random = o.random ?? Math.random;
  const queue: Delivery[] = [];
  const stats: DeliveryStats = { sent: 0, failed: 0, retried: 0, dead_lettered: 0, dropped: {}, queued: 0 };
  const drop = (reason: string, n = 1) => {
    stats.dropped[reason] = (stats.dropped[reason] ?? 0) + n;
  };
  let running: Promise<void> | undefined;
  let closed = false;
  /** Wakes a backoff wait early at shutdown. */
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    }).finally(() => {
      clearTimeout(timer);
      wake = undefined;
    });

  async function deliver(d: Delivery): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await o.send(d);
        stats.sent++;
        return;
      } catch (e) {
        stats.failed++;
        const permanent = e instanceof PermanentDeliveryError;
        if (permanent || attempt >= o.maxAttempts || closed) {
          stats.dead_lettered++;
          o.onDeadLetter({
            target: o.name,
            kind: d.kind,
            ref: d.ref,
            severity: d.severity,
            attempts: attempt,
            error: describeError(e),
            at: new Date().toISOString(),
          });
          return;
        }
        stats.retried++;
        await wait(backoffDelay(attempt, o.backoffMs, o.maxBackoffMs, random));
      }
    }
  }

  async function run(): Promise<void> {
    for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
      stats.queued = queue.length;
      await deliver(d);
    }
    stats.queued = 0;
    running = undefined;
  }

  return {
    push(d) {
      if (closed) {
        drop('shutdown');
        return false;
      }
      if (queue.length >= o.maxQueue) {
        drop('queue_full');
        return false;
      }
      queue.push(d);
      stats.queued = queue.length;
      running ??= run();
      return true;
    },
    stats: () => ({ ...stats, dropped: { ...stats.dropped }, queued: queue.length }),
    idle: async () => {
      while (running) await running;
    },
    async close(drainMs) {
      closed = true;
      if (running) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([running, new Promise<void>((r) => (t = setTimeout(r, drainMs)))]);
        clearTimeout(t);
      }
      // What did not go out in time is dropped; a backoff wait ends now, and its delivery gets one
      // last attempt (dead-lettered if that fails too).
      if (queue.length > 0) drop('shutdown', queue.splice(0).length);
      wake?.();
      await running;
    },
  };
}
