/**
 * The enricher: fills `event.client` with the fingerprint, geo, ASN and reputation, in place. It is
 * built synchronously (the install secret is read or created then); the GeoIP and ASN data and the
 * blocklists load in the background, and until they are in, lookups are skipped and counted
 * (`geo_loading`, `asn_loading`). Results per ip sit in a bounded LRU, so a repeated ip costs one map
 * lookup plus the fingerprint HMAC; the LRU is invalidated (by generation) when data finishes loading
 * or the blocklists change. Only an uncached AbuseIPDB lookup awaits, bounded by its timeout.
 */
import {
  formatIp,
  parseIp,
  specialRange,
  type AsnInfo,
  type GeoInfo,
  type IpAddress,
  type Reputation,
  type SecurityEvent,
} from '@palisade/engine';
import { loadAsn, type AsnDb, type AsnOptions } from './asn.js';
import type { AbuseIpdbOptions, AbuseIpdbStats } from './abuseipdb.js';
import type { BlocklistOptions, RejectedLine } from './blocklists.js';
import { createFingerprinter, loadInstallSecret } from './fingerprint.js';
import { openGeo, type GeoLookup, type GeoOptions } from './geo.js';
import { Lru } from './lru.js';
import { combineReputation, createReputation } from './reputation.js';

export { loadInstallSecret, createFingerprinter } from './fingerprint.js';

export interface EnricherOptions {
  /** Where `install-secret` lives (created on first start). */
  dataDir: string;
  /** Overrides `PALISADE_INSTALL_SECRET` and the file (tests, embedding). */
  installSecret?: Buffer | string;
  /** Environment to read `PALISADE_INSTALL_SECRET` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  geo?: GeoOptions | false;
  asn?: AsnOptions | false;
  /** Folder of `*.txt` / `*.list` IP/CIDR files; false or absent for none. */
  blocklistDir?: string | false;
  blocklist?: Omit<BlocklistOptions, 'dir' | 'onReload'>;
  abuseipdb?: AbuseIpdbOptions;
  /** Milliseconds since the epoch; for the AbuseIPDB cache TTL and rate limit. */
  clock?: () => number;
  /** Distinct ips whose results are cached. */
  cacheMax?: number;
  /** Where background load failures are reported (without secrets). */
  log?: (line: string) => void;
}

export type LoadState = 'off' | 'loading' | 'ready' | 'failed';

export interface EnricherStats {
  enriched: number;
  geo_hits: number;
  asn_hits: number;
  reputation_hits: number;
  /** Lookups not done, per event, by reason. */
  skipped: Record<string, number>;
  blocklist: { entries: number; files: number; rejected_lines: number; rejected: RejectedLine[] };
  abuseipdb?: AbuseIpdbStats;
  cache: { size: number; hits: number; misses: number };
  state: { geo: LoadState; asn: LoadState };
}

export interface Enricher {
  /** Fills `event.client.fingerprint`, `geo`, `asn`, `reputation`. Never rejects for a failed lookup. */
  enrich(event: SecurityEvent): Promise<void>;
  /** Resolves when geo, ASN and the blocklists have loaded; rejects with the first load error. */
  ready(): Promise<void>;
  stats(): EnricherStats;
  close(): void;
}

interface Entry {
  gen: number;
  /** Canonical text (the fingerprint input and the AbuseIPDB key). */
  text: string;
  /** Whether AbuseIPDB may be asked (a public address). */
  remote: boolean;
  geo?: GeoInfo;
  asn?: AsnInfo;
  lists?: readonly string[];
  local?: Reputation;
  /** Skip reasons to count for each event of this ip. */
  skips: readonly string[];
}

const DEFAULT_CACHE = 50_000;

/**
 * Builds the enricher. Throws PAL_ERR_ENRICH_SECRET when the install secret cannot be had.
 * @example const e = createEnricher({ dataDir: './data' }); await e.enrich(event);
 */
export function createEnricher(opts: EnricherOptions): Enricher {
  const secret =
    opts.installSecret !== undefined
      ? Buffer.from(opts.installSecret)
      : loadInstallSecret(opts.dataDir, opts.env ?? process.env);
  const fingerprint = createFingerprinter(secret);
  const log = opts.log ?? (() => undefined);
  const cache = new Lru<string, Entry>(opts.cacheMax ?? DEFAULT_CACHE);
  let gen = 0;
  const counts = { enriched: 0, geo_hits: 0, asn_hits: 0, reputation_hits: 0, hits: 0, misses: 0 };
  const skipped: Record<string, number> = {};
  const countSkip = (reason: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };

  let geo: GeoLookup | undefined;
  let asn: AsnDb | undefined;
  let closed = false;
  const state: { geo: LoadState; asn: LoadState } = {
    geo: opts.geo === false ? 'off' : 'loading',
    asn: opts.asn === false ? 'off' : 'loading',
  };
  const failures: Error[] = [];
  const loads: Array<Promise<void>> = [];
  if (opts.geo !== false) {
    loads.push(
      openGeo(opts.geo ?? {}).then(
        (g) => {
          // Closed while loading: the reader holds file handles, let them go.
          if (closed) return g.close();
          geo = g;
          state.geo = 'ready';
          gen++;
        },
        (e: Error) => {
          state.geo = 'failed';
          failures.push(e);
          log(`geo enrichment off: ${e.message}`);
          gen++;
        },
      ),
    );
  }
  if (opts.asn !== false) {
    loads.push(
      loadAsn(opts.asn ?? {}).then(
        (a) => {
          asn = a;
          state.asn = 'ready';
          gen++;
        },
        (e: Error) => {
          state.asn = 'failed';
          failures.push(e);
          log(`asn enrichment off: ${e.message}`);
          gen++;
        },
      ),
    );
  }
  const reputation = createReputation({
    blocklistDir: opts.blocklistDir ?? false,
    ...(opts.blocklist ? { blocklist: opts.blocklist } : {}),
    ...(opts.abuseipdb ? { abuseipdb: opts.abuseipdb } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    onReload: () => {
      gen++;
    },
  });
  loads.push(reputation.ready);
  const allLoaded = Promise.all(loads);

  function compute(ip: IpAddress): Entry {
    const skips: string[] = [];
    const special = specialRange(ip);
    const entry: Entry = { gen, text: formatIp(ip), remote: special === undefined, skips };
    if (special) {
      if (state.geo !== 'off') entry.geo = Object.freeze({ range: special });
      skips.push('special_range');
    } else {
      if (geo) {
        const g = geo.lookup(ip);
        if (g) entry.geo = Object.freeze(g);
      } else if (state.geo !== 'off') skips.push(`geo_${state.geo}`);
      if (asn) {
        const a = asn.lookup(ip);
        if (a) entry.asn = Object.freeze(a);
      } else if (state.asn !== 'off') skips.push(`asn_${state.asn}`);
    }
    const lists = reputation.local(ip);
    if (lists) {
      entry.lists = lists;
      entry.local = Object.freeze(combineReputation(lists, undefined, reputation.threshold)!);
    }
    return entry;
  }

  function entryFor(ipText: string): Entry | undefined {
    let e = cache.get(ipText);
    if (e && e.gen === gen) {
      counts.hits++;
      return e;
    }
    counts.misses++;
    const ip = parseIp(ipText);
    if (ip === null) return undefined;
    e = compute(ip);
    cache.set(ipText, e);
    return e;
  }

  return {
    async enrich(event) {
      const client = event.client;
      const ipText = client.ip;
      if (ipText === '') {
        // A log line that names no address (a local config change): nothing to look up.
        countSkip('no_ip');
        return;
      }
      const e = typeof ipText === 'string' ? entryFor(ipText) : undefined;
      client.fingerprint = fingerprint(e ? e.text : String(ipText ?? ''), event.http?.user_agent);
      counts.enriched++;
      if (!e) {
        countSkip('invalid_ip');
        return;
      }
      for (const s of e.skips) countSkip(s);
      if (e.geo) {
        client.geo = e.geo;
        if (!e.geo.range) counts.geo_hits++;
      }
      if (e.asn) {
        client.asn = e.asn;
        counts.asn_hits++;
      }
      let rep = e.local;
      if (reputation.remote && e.remote) {
        let score = reputation.remoteScore(e.text);
        if (score !== undefined && typeof score !== 'number') score = await score;
        if (score !== undefined && score >= reputation.threshold) {
          rep = combineReputation(e.lists, score, reputation.threshold);
        }
      }
      if (rep) {
        client.reputation = rep;
        counts.reputation_hits++;
      }
    },
    async ready() {
      await allLoaded;
      if (failures[0]) throw failures[0];
    },
    stats() {
      const r = reputation.stats();
      const abuse = r.abuseipdb;
      const all: Record<string, number> = { ...skipped };
      if (abuse) for (const [k, v] of Object.entries(abuse.skipped)) if (v > 0) all[k] = v;
      return {
        enriched: counts.enriched,
        geo_hits: counts.geo_hits,
        asn_hits: counts.asn_hits,
        reputation_hits: counts.reputation_hits,
        skipped: all,
        blocklist: {
          entries: r.blocklist.entries,
          files: r.blocklist.files,
          rejected_lines: r.blocklist.rejected_lines,
          rejected: r.blocklist.rejected,
        },
        ...(abuse ? { abuseipdb: abuse } : {}),
        cache: { size: cache.size, hits: counts.hits, misses: counts.misses },
        state: { ...state },
      };
    },
    close() {
      closed = true;
      geo?.close();
      geo = undefined;
      reputation.close();
      cache.clear();
    },
  };
}
