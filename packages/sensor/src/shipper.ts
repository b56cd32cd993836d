/**
 * Ships events in batches through a transport (the collector's ingest API or an in-process sink),
 * off the request path: `push` only queues. The queue is bounded; when it is full the oldest benign
 * event goes first, then the oldest of any kind, and every drop is counted by reason. One batch is in
 * flight at a time; a retryable failure (network, timeout, 408, 429, 5xx) keeps the batch and retries
 * it after an exponential back-off with jitter; a permanent refusal (other 4xx) drops it, counted.
 */
import type { SecurityEvent } from '@palisade/engine';
import { Fifo } from './fifo.js';
import type { CompiledShipper } from './options.js';

/** What a transport reports for one batch. */
export type SendOutcome =
  | { ok: true; /** Events the receiver refused one by one (invalid). */ rejected?: number; reason?: string }
  | {
      ok: false;
      retry: boolean;
      reason: string;
      /** Receiver's Retry-After, in ms. */ retryAfterMs?: number;
    };

export type Transport = (events: SecurityEvent[]) => Promise<SendOutcome>;

export interface ShipperStats {
  shipped: number;
  dropped: {
    /** The queue was full (collector slow or down for long). */
    buffer_full: number;
    /** The receiver refused the batch or single events (4xx, invalid). */
    rejected: number;
    /** Still queued when `close()` reached its deadline, or pushed after it. */
    shutdown: number;
  };
  /** Batches sent again after a retryable failure. */
  retries: number;
  /** Events queued plus the batch in flight. */
  buffer: number;
  last_rejection?: string;
  last_error?: string;
}

interface Entry {
  seq: number;
  event: SecurityEvent;
}

export class Shipper {
  readonly #stats: ShipperStats = {
    shipped: 0,
    dropped: { buffer_full: 0, rejected: 0, shutdown: 0 },
    retries: 0,
    buffer: 0,
  };
  // Two queues so that the oldest benign event can be dropped in O(1); batches merge them by sequence.
  readonly #notable = new Fifo<Entry>();
  readonly #benign = new Fifo<Entry>();
  #seq = 0;
  #inflight: SecurityEvent[] | null = null;
  #attempt = 0;
  #draining: Promise<void> | null = null;
  #flushTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #kickScheduled = false;
  #closed = false;

  constructor(
    private readonly opts: CompiledShipper,
    private readonly transport: Transport,
    private readonly random: () => number = Math.random,
  ) {}

  get queued(): number {
    return this.#notable.length + this.#benign.length;
  }

  stats(): ShipperStats {
    const s = this.#stats;
    return { ...s, dropped: { ...s.dropped }, buffer: this.queued + (this.#inflight?.length ?? 0) };
  }

  /** Queues one event; `benign` ones are dropped first when the queue is full. Never blocks. */
  push(event: SecurityEvent, benign: boolean): void {
    if (this.#closed) {
      this.#stats.dropped.shutdown++;
      return;
    }
    if (this.queued >= this.opts.maxBuffer) {
      (this.#benign.length ? this.#benign : this.#notable).shift();
      this.#stats.dropped.buffer_full++;
    }
    (benign ? this.#benign : this.#notable).push({ seq: this.#seq++, event });
    if (this.queued >= this.opts.batchSize) this.#kickSoon();
    else if (this.#flushTimer === null) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = null;
        this.#kick();
      }, this.opts.flushMs);
      this.#flushTimer.unref();
    }
  }

  /** Sends everything queued now (also cutting a back-off short). Resolves when the queue is empty or a send failed. */
  async flush(): Promise<void> {
    this.#clearRetry();
    if (this.#draining) await this.#draining;
    if (this.queued > 0 || this.#inflight) await this.#drain();
  }

  /**
   * Stops taking events and sends what is queued, retrying until `deadlineMs` from now; whatever is
   * left then is counted as dropped (`shutdown`).
   */
  async close(deadlineMs = 5000): Promise<void> {
    const end = performance.now() + deadlineMs;
    this.#closed = true;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    while (this.queued > 0 || this.#inflight) {
      const left = end - performance.now();
      if (left <= 0) break;
      // These waits keep the process alive on purpose: the caller is waiting for the events to leave.
      await raceDeadline(this.flush(), left);
      const rest = end - performance.now();
      if (this.#inflight && rest > 0) await raceDeadline(never, Math.min(this.#backoff(this.#attempt), rest));
    }
    this.#clearRetry();
    const left = this.queued + (this.#inflight?.length ?? 0);
    this.#stats.dropped.shutdown += left;
    this.#notable.clear();
    this.#benign.clear();
    this.#inflight = null;
    // A send still under way when the deadline passed must not count its batch twice.
    this.#abandoned = true;
  }

  #abandoned = false;

  #kickSoon(): void {
    if (this.#kickScheduled) return;
    this.#kickScheduled = true;
    setImmediate(() => {
      this.#kickScheduled = false;
      this.#kick();
    }).unref();
  }

  #kick(): void {
    if (this.#draining || this.#retryTimer || this.#abandoned) return;
    if (this.queued > 0 || this.#inflight) void this.#drain();
  }

  #drain(): Promise<void> {
    this.#draining ??= this.#loop().finally(() => {
      this.#draining = null;
    });
    return this.#draining;
  }

  async #loop(): Promise<void> {
    while (!this.#abandoned && (this.#inflight || this.queued > 0)) {
      if (this.#flushTimer) {
        clearTimeout(this.#flushTimer);
        this.#flushTimer = null;
      }
      const batch = (this.#inflight ??= this.#take());
      let outcome: SendOutcome;
      try {
        outcome = await this.transport(batch);
      } catch (err) {
        outcome = { ok: false, retry: true, reason: (err as Error).message };
      }
      if (this.#abandoned) return;
      if (outcome.ok) {
        const refused = Math.min(outcome.rejected ?? 0, batch.length);
        this.#stats.shipped += batch.length - refused;
        this.#stats.dropped.rejected += refused;
        if (refused && outcome.reason) this.#stats.last_rejection = outcome.reason;
        this.#inflight = null;
        this.#attempt = 0;
      } else if (!outcome.retry) {
        this.#stats.dropped.rejected += batch.length;
        this.#stats.last_rejection = outcome.reason;
        this.#inflight = null;
        this.#attempt = 0;
      } else {
        this.#stats.last_error = outcome.reason;
        const delay = Math.max(this.#backoff(this.#attempt++), outcome.retryAfterMs ?? 0);
        this.#retryTimer = setTimeout(
          () => {
            this.#retryTimer = null;
            this.#stats.retries++;
            this.#kick();
          },
          Math.min(delay, this.opts.backoffMaxMs),
        );
        this.#retryTimer.unref();
        return;
      }
    }
  }

  /** Back-off before retry number `attempt` (0-based): base·2^attempt, capped, with equal jitter. */
  #backoff(attempt: number): number {
    const d = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** Math.min(attempt, 30));
    return d / 2 + this.random() * (d / 2);
  }

  #clearRetry(): void {
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#stats.retries++;
    }
  }

  /** The next batch: the oldest events of both queues, in arrival order. */
  #take(): SecurityEvent[] {
    const n = Math.min(this.opts.batchSize, this.queued);
    const out: SecurityEvent[] = new Array<SecurityEvent>(n);
    for (let i = 0; i < n; i++) {
      const a = this.#notable.peek();
      const b = this.#benign.peek();
      const q = a && (!b || a.seq < b.seq) ? this.#notable : this.#benign;
      out[i] = q.shift()!.event;
    }
    return out;
  }
}

const never = new Promise<void>(() => {});

/** Waits for `p` or `ms`, whichever comes first, and clears the timer either way. */
async function raceDeadline(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
