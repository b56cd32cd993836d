/**
 * Bounded state for the rules: an LRU map of keys, sliding windows of evidence in event time, and
 * bucketed counters for high-volume signals (packets, requests). Every structure has a cap; what
 * falls out is counted, never an unbounded growth under attack.
 */
import type { CorrelationEvent, Evidence } from './types.js';

interface Slot<V> {
  v: V;
  /** When the key last moved to the young end. */
  t: number;
}

/**
 * A Map that keeps at most `max` keys, dropping the least recently used. A hit moves its key to the
 * young end only when it is in the older half of the map, so a hot key costs a lookup, not a
 * delete and an insert per use (an approximation of LRU that never drops a key used recently).
 */
export class LruMap<V> {
  private readonly m = new Map<string, Slot<V>>();
  private tick = 0;
  evicted = 0;
  constructor(private readonly max: number) {}

  get size(): number {
    return this.m.size;
  }

  get(key: string): V | undefined {
    const slot = this.m.get(key);
    if (slot === undefined) return undefined;
    if (this.tick - slot.t > this.max / 2) {
      this.m.delete(key);
      slot.t = ++this.tick;
      this.m.set(key, slot);
    }
    return slot.v;
  }

  set(key: string, value: V): void {
    this.m.delete(key);
    this.m.set(key, { v: value, t: ++this.tick });
    if (this.m.size > this.max) {
      const oldest = this.m.keys().next();
      if (oldest.done !== true) {
        this.m.delete(oldest.value);
        this.evicted++;
      }
    }
  }

  /** The value for `key`, created by `make` when absent. */
  upsert(key: string, make: () => V): V {
    let v = this.get(key);
    if (v === undefined) {
      v = make();
      this.set(key, v);
    }
    return v;
  }

  delete(key: string): void {
    this.m.delete(key);
  }

  *values(): IterableIterator<V> {
    for (const slot of this.m.values()) yield slot.v;
  }
}

/** Occurrences per value, so distinct counts stay O(1) as items come and go. */
class Tally {
  private readonly m = new Map<string, number>();
  get size(): number {
    return this.m.size;
  }
  add(v: string | undefined): void {
    if (v !== undefined) this.m.set(v, (this.m.get(v) ?? 0) + 1);
  }
  remove(v: string | undefined): void {
    if (v === undefined) return;
    const n = (this.m.get(v) ?? 0) - 1;
    if (n <= 0) this.m.delete(v);
    else this.m.set(v, n);
  }
}

/**
 * Evidence of one key within the last `windowMs` of event time, oldest first, at most `cap` items.
 * Items arrive in roughly time order; an item older than the window is still taken (logs interleave
 * a little) and leaves at the next trim. Distinct sources and users and the successes are counted
 * as items come and go, and the unreported items are always the newest ones, so every operation
 * costs O(1) amortised — a flood against one key stays linear.
 */
export class EvidenceWindow {
  private items: Evidence[] = [];
  private head = 0;
  /** Items from here on were not reported yet. */
  private unreported = 0;
  private readonly ips = new Tally();
  private readonly users = new Tally();
  private wins = 0;
  constructor(
    private readonly windowMs: number,
    private readonly cap: number,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  private drop(): void {
    const it = this.items[this.head++]!;
    this.ips.remove(it.ip);
    this.users.remove(it.user);
    if (it.success === true) this.wins--;
  }

  /** Drops items older than `now - windowMs`. */
  trim(now: number): void {
    const from = now - this.windowMs;
    while (this.head < this.items.length && this.items[this.head]!.ts < from) this.drop();
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.unreported = Math.max(0, this.unreported - this.head);
      this.head = 0;
    }
  }

  push(e: Evidence): void {
    this.items.push(e);
    this.ips.add(e.ip);
    this.users.add(e.user);
    if (e.success === true) this.wins++;
    if (this.size > this.cap) this.drop();
  }

  /** Items not reported yet (the newest ones), marked reported now. */
  takeUnreported(): Evidence[] {
    const from = Math.max(this.head, this.unreported);
    this.unreported = this.items.length;
    return this.items.slice(from);
  }

  /** How many distinct values of `field` the items have. */
  distinct(field: 'ip' | 'user'): number {
    return field === 'ip' ? this.ips.size : this.users.size;
  }

  successes(): number {
    return this.wins;
  }
}

/**
 * Counts in event-time buckets of `bucketMs`; `sum(now)` adds the buckets that start within
 * `windowMs` before the bucket of `now` (with 30 s buckets and a 30 s window: this bucket and the
 * one before, the IT-Sec-Projekt aggregation). Keeps only the buckets a window can still reach.
 */
export class BucketCounter {
  private readonly buckets = new Map<number, number>();
  constructor(
    private readonly bucketMs: number,
    private readonly windowMs: number,
  ) {}

  bucketOf(ts: number): number {
    return Math.floor(ts / this.bucketMs) * this.bucketMs;
  }

  add(ts: number, n = 1): void {
    const b = this.bucketOf(ts);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    if (this.buckets.size > Math.ceil(this.windowMs / this.bucketMs) + 2) this.prune(b);
  }

  sum(ts: number): number {
    const b = this.bucketOf(ts);
    const from = b - this.windowMs;
    let total = 0;
    for (const [start, n] of this.buckets) if (start >= from && start <= b) total += n;
    return total;
  }

  private prune(latest: number): void {
    for (const start of this.buckets.keys()) if (start < latest - this.windowMs) this.buckets.delete(start);
  }
}

/** Recent event ids, to link some evidence of high-volume signals without keeping them all. */
export class RecentIds {
  private readonly ids: Evidence[] = [];
  constructor(private readonly cap: number) {}
  push(e: Evidence): void {
    this.ids.push(e);
    if (this.ids.length > this.cap) this.ids.shift();
  }
  take(): Evidence[] {
    return this.ids.splice(0, this.ids.length);
  }
}

/** `120000` → `2 minutes` (the wording of the IT-Sec-Projekt reasons). */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const unit = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s % 3600 === 0 && s >= 3600) return unit(s / 3600, 'hour');
  if (s % 60 === 0 && s >= 60) return unit(s / 60, 'minute');
  return unit(s, 'second');
}

export function evidenceOf(ev: CorrelationEvent, success = false): Evidence {
  const e: Evidence = { id: ev.id, ts: ev.ts };
  if (success) e.success = true;
  if (ev.ip !== undefined) e.ip = ev.ip;
  if (ev.user !== undefined) e.user = ev.user;
  return e;
}
