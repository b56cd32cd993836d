/**
 * The bans the sensor enforces: a static list from the options plus the list pulled from the collector
 * (replaced whole on each pull). A lookup is a few hash probes; expiry is checked against the injected
 * clock at lookup time, so an expired ban stops applying without waiting for the next pull.
 */
import { CidrMap, type IpAddress } from '@palisade/engine';
import { SensorConfigError, type BanInput } from './options.js';

export interface ActiveBan {
  reason: string;
  /** Expiry in ms since epoch; null = until lifted. */
  until: number | null;
}

/** Most bans held from one source; more are counted as invalid. */
export const MAX_BANS = 100_000;
const REASON_MAX_CHARS = 200;

export interface BuiltBans {
  map: CidrMap<ActiveBan>;
  /** Entries refused, with the first reason. */
  invalid: number;
  firstError?: string;
}

/** Validates ban entries into a lookup map; bad entries are counted, the rest still apply. */
export function buildBans(entries: readonly unknown[]): BuiltBans {
  const map = new CidrMap<ActiveBan>();
  let invalid = 0;
  let firstError: string | undefined;
  const refuse = (i: number, why: string) => {
    invalid++;
    firstError ??= `bans[${i}]: ${why}`;
  };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as BanInput | null;
    if (typeof e !== 'object' || e === null || typeof e.value !== 'string') {
      refuse(i, 'expected { value, reason?, until? }');
      continue;
    }
    let until: number | null = null;
    if (e.until !== undefined && e.until !== null) {
      until = typeof e.until === 'string' && e.until.length <= 40 ? Date.parse(e.until) : NaN;
      if (Number.isNaN(until)) {
        refuse(i, 'until is not an ISO time');
        continue;
      }
    }
    if (map.size >= MAX_BANS) {
      refuse(i, `more than ${MAX_BANS} bans`);
      continue;
    }
    const reason = typeof e.reason === 'string' ? e.reason.slice(0, REASON_MAX_CHARS) : 'banned';
    if (!map.set(e.value.trim(), { reason, until })) refuse(i, 'value is not an IP address or CIDR');
  }
  return firstError === undefined ? { map, invalid } : { map, invalid, firstError };
}

export class BanList {
  #static: CidrMap<ActiveBan>;
  #pulled = new CidrMap<ActiveBan>();
  /** The lookup's "now", so that one predicate serves every call (no closure per request). */
  #nowMs = 0;
  readonly #live = (b: ActiveBan): boolean => b.until === null || b.until > this.#nowMs;

  /** Static bans are configuration: any bad entry throws. */
  constructor(list: readonly BanInput[]) {
    const built = buildBans(list);
    if (built.firstError !== undefined) throw new SensorConfigError('bans.list', built.firstError);
    this.#static = built.map;
  }

  /** Replaces the pulled bans. */
  replacePulled(map: CidrMap<ActiveBan>): void {
    this.#pulled = map;
  }

  get size(): number {
    return this.#static.size + this.#pulled.size;
  }

  /** The ban covering this address (text or parsed) at `nowMs`, if any. IPv4 text allocates nothing. */
  find(ip: string | IpAddress, nowMs: number): ActiveBan | undefined {
    this.#nowMs = nowMs;
    return (
      (this.#static.size ? this.#static.find(ip, this.#live) : undefined) ??
      (this.#pulled.size ? this.#pulled.find(ip, this.#live) : undefined)
    );
  }
}
