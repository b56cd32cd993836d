/**
 * The BanCheck sources ask before inspecting (sink.ts): the active bans held in memory in one
 * longest-prefix map (addresses are full-length prefixes), so a lookup is a few hash probes and an
 * IPv4 lookup allocates nothing. `banned()` does no I/O and returns at once when there are no bans;
 * expiries are honoured at lookup time, and `reload()` picks up bans added or removed in the database.
 */
import { CidrMap, normalizeCidr } from '@palisade/engine';
import type { BanCheck } from '../sink.js';
import { activeBans, type Ban } from './bans.js';
import type { Store } from './store.js';

interface Entry {
  reason: string;
  untilMs: number | null;
  until: string | null;
}

export interface BanCache extends BanCheck {
  /** Reads the active bans again. */
  reload(nowMs?: number): Promise<void>;
  /** Replaces the cached bans with these (reload does this with the database's list). */
  load(bans: readonly Ban[]): void;
  readonly size: number;
}

/** Keeps the entry that lasts longer (null = permanent). */
function longer(a: Entry | undefined, b: Entry): Entry {
  if (!a) return b;
  if (a.untilMs === null) return a;
  if (b.untilMs === null || b.untilMs > a.untilMs) return b;
  return a;
}

export function createBanCache(store?: Store): BanCache {
  let map = new CidrMap<Entry>();
  // The lookup's "now", so that one predicate serves every call (no closure per request).
  let lookupMs = 0;
  const live = (b: Entry) => b.untilMs === null || b.untilMs > lookupMs;

  const cache: BanCache = {
    get size() {
      return map.size;
    },
    load(bans) {
      // Several bans on one value (e.g. an expiring and a permanent one) keep the one that lasts longer.
      const byValue = new Map<string, Entry>();
      for (const b of bans) {
        const value = normalizeCidr(b.value);
        if (value === null) continue;
        const entry: Entry = { reason: b.reason, untilMs: b.until_ms, until: b.until };
        byValue.set(value, longer(byValue.get(value), entry));
      }
      const next = new CidrMap<Entry>();
      for (const [value, entry] of byValue) next.set(value, entry);
      map = next;
    },
    async reload(nowMs = Date.now()) {
      if (!store) return;
      cache.load(await activeBans(store, nowMs));
    },
    banned(ip, nowMs) {
      if (map.size === 0) return undefined;
      // An expired ban on an address must not hide a live one on a network around it.
      lookupMs = nowMs;
      const e = map.find(ip, live);
      return e ? { reason: e.reason, until: e.until } : undefined;
    },
  };
  return cache;
}
