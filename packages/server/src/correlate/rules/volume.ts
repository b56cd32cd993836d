/**
 * Volume rules: DoS (packets per source, destination and protocol; web requests per source) and DDoS
 * (many sources, each over a rate, against one destination). Counts live in event-time buckets, so
 * a flood costs a few map updates per event and a bounded amount of memory.
 */
import type { DdosConfig, DosConfig } from '../config.js';
import { BucketCounter, LruMap, RecentIds, evidenceOf, formatDuration } from '../state.js';
import type { CorrelationEvent, IncidentState, Rule } from '../types.js';
import { MAX_KEYS, clean } from './auth.js';

/** Evidence ids linked when a threshold is crossed (the count covers the rest). */
const LINKED_AT_CROSSING = 50;

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** The name of an IP protocol number (`TCP` for 6), as incidents name it. */
export function protocolNameOf(proto: number | undefined): string {
  return proto === undefined ? 'unknown' : (PROTOCOLS[proto] ?? String(proto));
}

function protocolName(ev: CorrelationEvent): string {
  return protocolNameOf(ev.event.log?.audit?.proto);
}

type Unit = 'packets' | 'requests';

/** What an event counts as: a netfilter packet, a web request, or nothing. */
function unitOf(ev: CorrelationEvent): Unit | undefined {
  if (ev.type === 'netfilter_packet') return 'packets';
  if (ev.event.kind === 'http' || ev.type === 'http_request') return 'requests';
  return undefined;
}

interface DosKey {
  counter: BucketCounter;
  recent: RecentIds;
  /** Units counted since the last signal (added to the incident by the next one). */
  pending: number;
}

export function dosRule(c: DosConfig): Rule {
  const windowMs = c.window_s * 1000;
  const bucketMs = Math.max(1, c.bucket_s) * 1000;
  const keys = new LruMap<DosKey>(MAX_KEYS);
  const span = formatDuration(windowMs);
  const describe = (unit: Unit) => (s: IncidentState) => {
    const peak = (s.details.max_in_window as number | undefined) ?? s.count;
    return s.count > peak
      ? `${peak} ${unit} in ${span} (${s.count} in all)`
      : `${s.count} ${unit} in ${span}`;
  };
  return {
    id: 'dos',
    observe(ev, out) {
      const unit = unitOf(ev);
      if (unit === undefined || ev.ip === undefined) return;
      const limit = unit === 'packets' ? c.packets : c.requests;
      if (limit <= 0) return;
      const proto = unit === 'packets' ? protocolName(ev) : 'http';
      const dst = ev.dst ?? '';
      const key = `${unit}\u0000${ev.ip}\u0000${dst}\u0000${proto}`;
      const k = keys.upsert(key, () => ({
        counter: new BucketCounter(bucketMs, windowMs),
        recent: new RecentIds(LINKED_AT_CROSSING),
        pending: 0,
      }));
      k.counter.add(ev.ts);
      k.pending++;
      const total = k.counter.sum(ev.ts);
      if (total < limit) {
        k.recent.push(evidenceOf(ev));
        return;
      }
      const evidence = k.recent.take();
      evidence.push(evidenceOf(ev));
      // The first signal of a burst carries the window; later ones what came since.
      const count = Math.min(k.pending, total);
      k.pending = 0;
      out.push({
        rule: `dos.${unit}`,
        type: 'dos',
        severity: 'high',
        ts: ev.ts,
        keys: clean({ ip: ev.ip, target: dst || undefined }),
        dedupe: key,
        evidence,
        count,
        thresholds: { [unit]: limit, window_s: c.window_s, bucket_s: c.bucket_s },
        cooldownMs: c.cooldown_s * 1000,
        cooldownFrom: 'first_seen',
        describe: describe(unit),
        details: { protocol: proto, max_in_window: total },
      });
    },
  };
}

interface DdosKey {
  /** bucket start → source → units. */
  buckets: Map<number, Map<string, number>>;
  /** bucket start → units (all sources). */
  totals: Map<number, number>;
  recent: RecentIds;
  pending: number;
  /** The last full scan: its bucket, the events since, and what it found. */
  scanBucket: number;
  sinceScan: number;
  last: { fires: boolean; active: number; total: number; sources: number };
}

/** A full per-source scan runs at most once per this many events of one bucket. */
const SCAN_EVERY = 64;

/** Most sources counted per destination bucket. */
const MAX_SOURCES_PER_BUCKET = 50_000;

export function ddosRule(c: DdosConfig): Rule {
  const windowMs = c.window_s * 1000;
  const bucketMs = Math.max(1, c.bucket_s) * 1000;
  const keys = new LruMap<DdosKey>(MAX_KEYS);
  const span = formatDuration(windowMs);
  const units = new Set<Unit>(c.units);
  const describe = (s: IncidentState): string => {
    const d = s.details as { active_sources?: number; total?: number; unit?: string };
    return (d.active_sources ?? 0) >= c.min_sources
      ? `${d.active_sources} sources sent >= ${c.per_source} ${d.unit} in ${span}`
      : `${s.sources.size} sources sent a total of ${d.total ?? s.count} ${d.unit} in ${span}`;
  };
  return {
    id: 'ddos',
    observe(ev, out) {
      const unit = unitOf(ev);
      if (unit === undefined || !units.has(unit) || ev.ip === undefined) return;
      const proto = unit === 'packets' ? protocolName(ev) : 'http';
      const dst = ev.dst ?? ev.event.http?.host ?? '';
      const key = `${unit}\u0000${dst}\u0000${proto}`;
      const k = keys.upsert(key, () => ({
        buckets: new Map(),
        totals: new Map(),
        recent: new RecentIds(LINKED_AT_CROSSING),
        pending: 0,
        scanBucket: Number.NaN,
        sinceScan: 0,
        last: { fires: false, active: 0, total: 0, sources: 0 },
      }));
      const b = Math.floor(ev.ts / bucketMs) * bucketMs;
      let bucket = k.buckets.get(b);
      if (bucket === undefined) {
        bucket = new Map();
        k.buckets.set(b, bucket);
        for (const start of k.buckets.keys())
          if (start < b - windowMs) {
            k.buckets.delete(start);
            k.totals.delete(start);
          }
      }
      if (bucket.size < MAX_SOURCES_PER_BUCKET || bucket.has(ev.ip))
        bucket.set(ev.ip, (bucket.get(ev.ip) ?? 0) + 1);
      k.totals.set(b, (k.totals.get(b) ?? 0) + 1);
      k.pending++;
      k.sinceScan++;
      let windowTotal = 0;
      for (const [start, n] of k.totals) if (start >= b - windowMs && start <= b) windowTotal += n;
      // Both conditions need per_source × min_sources units in the window: a cheap first test.
      if (windowTotal < c.per_source * c.min_sources) {
        k.recent.push(evidenceOf(ev));
        return;
      }
      // Few sources: scan every event (exact); many: at most every SCAN_EVERY events of a bucket.
      if (b !== k.scanBucket || k.sinceScan >= SCAN_EVERY || (!k.last.fires && k.last.sources < SCAN_EVERY)) {
        k.scanBucket = b;
        k.sinceScan = 0;
        // Per-source totals over the window: this bucket and those that start within the window before it.
        const bySource = new Map<string, number>();
        for (const [start, m] of k.buckets) {
          if (start < b - windowMs || start > b) continue;
          for (const [src, n] of m) bySource.set(src, (bySource.get(src) ?? 0) + n);
        }
        let active = 0;
        for (const n of bySource.values()) if (n >= c.per_source) active++;
        const fires =
          active >= c.min_sources ||
          (c.total_rule && bySource.size >= c.min_sources && windowTotal >= c.per_source * c.min_sources);
        k.last = { fires, active, total: windowTotal, sources: bySource.size };
      }
      const { fires, active } = k.last;
      const total = windowTotal;
      if (!fires) {
        k.recent.push(evidenceOf(ev));
        return;
      }
      const evidence = k.recent.take();
      evidence.push(evidenceOf(ev));
      const count = k.pending;
      k.pending = 0;
      out.push({
        rule: `ddos.${unit}`,
        type: 'ddos',
        severity: 'high',
        ts: ev.ts,
        keys: clean({ target: dst || undefined }),
        dedupe: key,
        evidence,
        count,
        thresholds: { per_source: c.per_source, min_sources: c.min_sources, window_s: c.window_s },
        cooldownMs: c.cooldown_s * 1000,
        cooldownFrom: 'first_seen',
        describe,
        details: { active_sources: active, total, unit, protocol: proto, sources_in_window: k.last.sources },
      });
    },
  };
}
