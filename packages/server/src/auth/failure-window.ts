/**
 * Counts failures per key (a client address, a user name) in memory: after `max` failures within
 * `windowMs` the key is blocked for `windowMs` from the last one. The map holds at most `capacity`
 * keys (the least recently failed go first), so a flood of distinct keys cannot grow it.
 */
export class FailureWindow {
  readonly #entries = new Map<string, { count: number; until: number }>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    readonly capacity = 10_000,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may now. */
  blockedMs(key: string, nowMs: number): number {
    const e = this.#entries.get(key);
    return e && e.count >= this.max && e.until > nowMs ? e.until - nowMs : 0;
  }

  /** Counts one failure; true when it reached the limit (the key is now blocked). */
  fail(key: string, nowMs: number): boolean {
    let e = this.#entries.get(key);
    if (!e || e.until <= nowMs) e = { count: 0, until: nowMs + this.windowMs };
    e.count++;
    if (e.count >= this.max) e.until = nowMs + this.windowMs;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return e.count === this.max;
  }

  get size(): number {
    return this.#entries.size;
  }
}
