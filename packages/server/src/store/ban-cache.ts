/**
 * The BanCheck sources ask before inspecting (sink.ts): the active bans held in memory, exact
 * addresses in a Map keyed by canonical text and networks in a list per family. `banned()` does no
 * I/O and returns at once when there are no bans; expiries are honoured at lookup
 * time, and `reload()` picks up bans added or removed in the database.
 */
import type { BanCheck } from '../sink.js';
import { activeBans, type Ban } from './bans.js';
import { cidrContains, formatIp, parseCidr, parseIpInto, type Cidr } from './ip.js';
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
  let exact = new Map<string, Entry>();
  let nets: { cidr: Cidr; entry: Entry }[] = [];
  const scratch = new Uint32Array(4);

  const active = (e: Entry | undefined, nowMs: number) =>
    e && (e.untilMs === null || e.untilMs > nowMs) ? { reason: e.reason, until: e.until } : undefined;

  const cache: BanCache = {
    get size() {
      return exact.size + nets.length;
    },
    load(bans) {
      const nextExact = new Map<string, Entry>();
      const nextNets: { cidr: Cidr; entry: Entry }[] = [];
      for (const b of bans) {
        const entry: Entry = { reason: b.reason, untilMs: b.until_ms, until: b.until };
        if (b.value.includes('/')) {
          const cidr = parseCidr(b.value);
          if (cidr) nextNets.push({ cidr, entry });
        } else nextExact.set(b.value, longer(nextExact.get(b.value), entry));
      }
      exact = nextExact;
      nets = nextNets;
    },
    async reload(nowMs = Date.now()) {
      if (!store) return;
      cache.load(await activeBans(store, nowMs));
    },
    banned(ip, nowMs) {
      if (exact.size === 0 && nets.length === 0) return undefined;
      const hit = active(exact.get(ip), nowMs);
      if (hit) return hit;
      const family = parseIpInto(ip, scratch);
      if (family === 0) return undefined;
      if (exact.size > 0) {
        const canon = formatIp(family, scratch);
        if (canon !== ip) {
          const r = active(exact.get(canon), nowMs);
          if (r) return r;
        }
      }
      for (const n of nets) {
        if (!cidrContains(n.cidr, family, scratch)) continue;
        const r = active(n.entry, nowMs);
        if (r) return r;
      }
      return undefined;
    },
  };
  return cache;
}
