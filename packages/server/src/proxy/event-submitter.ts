/**
 * Fire-and-forget hand-off of events to the sink, off the request path: the request never waits for
 * the store. Submissions in flight are bounded (past the bound the event is dropped as `backlog`);
 * every refusal is counted by the sink's reason. `idle()` waits for what is in flight (shutdown).
 */
import type { SecurityEvent } from '@palisade/engine';
import { DropError, type EventSink } from '../sink.js';
import type { ProxyStats } from './stats.js';

export class EventSubmitter {
  #pending = 0;
  #waiters: (() => void)[] = [];

  constructor(
    private readonly sink: EventSink,
    private readonly maxPending: number,
    private readonly stats: ProxyStats,
  ) {}

  get pending(): number {
    return this.#pending;
  }

  submit(event: SecurityEvent): void {
    if (this.#pending >= this.maxPending) return this.#drop('backlog');
    let p: Promise<void>;
    try {
      p = this.sink.submit(event);
    } catch (e) {
      return this.#drop(e instanceof DropError ? e.reason : 'sink_error');
    }
    this.stats.events.submitted++;
    this.#pending++;
    p.then(this.#onWritten, this.#onRefused);
  }

  // Made once, not per event.
  readonly #onWritten = (): void => {
    this.stats.events.written++;
    this.#settle();
  };

  readonly #onRefused = (e: unknown): void => {
    this.#drop(e instanceof DropError ? e.reason : 'sink_error');
    this.#settle();
  };

  /** Resolves when no submission is in flight, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      t.unref();
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  #drop(reason: string): void {
    const d = this.stats.events.dropped;
    d[reason] = (d[reason] ?? 0) + 1;
  }

  #settle(): void {
    if (--this.#pending === 0 && this.#waiters.length) {
      const w = this.#waiters;
      this.#waiters = [];
      for (const f of w) f();
    }
  }
}
