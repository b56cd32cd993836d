/**
 * IP → autonomous system (number and organisation) from `@ip-location-db/asn`: `asn-ipv4-num.csv`
 * (`start,end,asn,org` with uint32 bounds) and `asn-ipv6.csv` (the same with IPv6 text bounds).
 * The ranges are held in typed arrays (IPv4: 16 bytes a range; IPv6: 40 bytes, full 128 bits) with
 * a de-duplicated organisation table, and found by binary search: ~10 MB for ~515k ranges instead
 * of hundreds of MB as objects. Files are streamed, so loading never holds a whole CSV in memory.
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AsnInfo } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { parseIPv6, type IpAddress } from './ip.js';

export interface AsnOptions {
  /** Folder holding `asn-ipv4-num.csv` and `asn-ipv6.csv`. Default: the `@ip-location-db/asn` package. */
  dir?: string;
}

export interface AsnStats {
  v4_ranges: number;
  v6_ranges: number;
  orgs: number;
  /** Lines that were not `start,end,asn,org`, had start > end, or came out of order. */
  rejected_lines: number;
  /** Bytes held by the typed arrays (organisation strings not included). */
  table_bytes: number;
  load_ms: number;
}

export interface AsnDb {
  /** The AS announcing the range that holds `ip`; undefined when none does. */
  lookup(ip: IpAddress): AsnInfo | undefined;
  stats(): AsnStats;
}

export const ASN_V4_FILE = 'asn-ipv4-num.csv';
export const ASN_V6_FILE = 'asn-ipv6.csv';
/** Longest accepted CSV line; longer ones are rejected (the longest in the data is ~200 bytes). */
const MAX_LINE_BYTES = 1024;
/** Most ranges accepted per family (the data has ~412k IPv4, ~103k IPv6). */
const MAX_RANGES = 4_000_000;

/** The folder of the default ASN data package. */
export function defaultAsnDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
}

/** A Uint32Array that doubles when full; `done()` returns an exact-size copy. */
class U32Builder {
  #a = new Uint32Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.#a.length) {
      const b = new Uint32Array(this.#a.length * 2);
      b.set(this.#a);
      this.#a = b;
    }
    this.#a[this.length++] = v;
  }
  at(i: number): number {
    return this.#a[i]!;
  }
  done(): Uint32Array {
    return this.#a.slice(0, this.length);
  }
}

/** FNV-1a over a byte span: no allocation. */
function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * De-duplicated organisation names. Most ASNs recur with the same name, so a line whose (asn, hash of
 * the name bytes) was seen before reuses the index without decoding the name into a string.
 */
class OrgTable {
  readonly #index = new Map<string, number>();
  readonly #byAsn = new Map<number, { hash: number; idx: number }>();
  readonly names: string[] = [];

  intern(asn: number, buf: Buffer, start: number, end: number): number | null {
    const hash = hashBytes(buf, start, end);
    const seen = this.#byAsn.get(asn);
    if (seen && seen.hash === hash) return seen.idx;
    const name = readOrg(buf, start, end);
    if (name === null) return null;
    let idx = this.#index.get(name);
    if (idx === undefined) {
      idx = this.names.length;
      this.names.push(name);
      this.#index.set(name, idx);
    }
    this.#byAsn.set(asn, { hash, idx });
    return idx;
  }
}

/**
 * Calls `onLine(buf, start, end)` for each line of a file (without the newline), streaming in 64 KB
 * chunks; a line split across chunks is joined in one small reused buffer, so loading makes little
 * garbage. A line longer than MAX_LINE_BYTES is passed as a span longer than that (to be rejected).
 */
async function eachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number) => void,
): Promise<void> {
  const carry = Buffer.alloc(MAX_LINE_BYTES + 1);
  const tooLong = () => onLine(carry, 0, MAX_LINE_BYTES + 1);
  let carryLen = 0;
  let skipping = false;
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    if (skipping || carryLen > 0) {
      const nl = chunk.indexOf(10);
      const upto = nl < 0 ? chunk.length : nl;
      if (skipping) {
        if (nl >= 0) skipping = false;
      } else if (carryLen + upto > MAX_LINE_BYTES) {
        tooLong();
        carryLen = 0;
        skipping = nl < 0;
      } else {
        chunk.copy(carry, carryLen, 0, upto);
        carryLen += upto;
        if (nl >= 0) {
          onLine(carry, 0, carryLen > 0 && carry[carryLen - 1] === 13 ? carryLen - 1 : carryLen);
          carryLen = 0;
        }
      }
      if (nl < 0) continue;
      from = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      onLine(chunk, from, nl > from && chunk[nl - 1] === 13 ? nl - 1 : nl);
      from = nl + 1;
    }
    const restLen = chunk.length - from;
    if (restLen > MAX_LINE_BYTES) {
      tooLong();
      skipping = true;
    } else if (restLen > 0) {
      chunk.copy(carry, 0, from);
      carryLen = restLen;
    }
  }
  if (carryLen > 0 && !skipping) onLine(carry, 0, carry[carryLen - 1] === 13 ? carryLen - 1 : carryLen);
}

/** Positions of the three leading commas of `a,b,c,org`, filled by `findCommas`. */
const comma = new Int32Array(3);

/** Finds the three leading commas of `a,b,c,org` into `comma`; false when the line has fewer fields. */
function findCommas(buf: Buffer, start: number, end: number): boolean {
  let from = start;
  for (let k = 0; k < 3; k++) {
    const c = buf.indexOf(44, from);
    if (c < 0 || c >= end) return false;
    comma[k] = c;
    from = c + 1;
  }
  return true;
}

/** A decimal uint32 from bytes; -1 when not one. */
function readU32(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 10) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v > 0xffffffff ? -1 : v;
}

/** The organisation field: plain, or a CSV-quoted string with `""` escapes. */
function readOrg(buf: Buffer, start: number, end: number): string | null {
  if (end > start && buf[start] === 34) {
    if (end - start < 2 || buf[end - 1] !== 34) return null;
    return buf.toString('utf8', start + 1, end - 1).replaceAll('""', '"');
  }
  return buf.toString('utf8', start, end);
}

function compare128(a: Uint32Array, i: number, w: readonly number[]): number {
  for (let k = 0; k < 4; k++) {
    const x = a[i * 4 + k]!;
    const y = w[k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

interface Tables {
  s4: Uint32Array;
  e4: Uint32Array;
  a4: Uint32Array;
  o4: Uint32Array;
  /** IPv6 bounds: four words per range. */
  s6: Uint32Array;
  e6: Uint32Array;
  a6: Uint32Array;
  o6: Uint32Array;
  names: string[];
  rejected: number;
}

async function readTables(dir: string): Promise<Tables> {
  const orgs = new OrgTable();
  let rejected = 0;

  const v4Start = new U32Builder();
  const v4End = new U32Builder();
  const v4Asn = new U32Builder();
  const v4Org = new U32Builder();
  const v4Path = join(dir, ASN_V4_FILE);
  try {
    await eachLine(v4Path, (buf, s, e) => {
      if (e === s) return;
      const c = e - s <= MAX_LINE_BYTES && findCommas(buf, s, e);
      const start = c ? readU32(buf, s, comma[0]!) : -1;
      const end = c ? readU32(buf, comma[0]! + 1, comma[1]!) : -1;
      const asn = c ? readU32(buf, comma[1]! + 1, comma[2]!) : -1;
      const n = v4Start.length;
      // Sorted by start; an overlap with the previous range is fine (the later start wins).
      const ok =
        start >= 0 && end >= start && asn >= 0 && n < MAX_RANGES && (n === 0 || start >= v4Start.at(n - 1));
      const org = ok ? orgs.intern(asn, buf, comma[2]! + 1, e) : null;
      if (org === null) {
        rejected++;
        return;
      }
      v4Start.push(start);
      v4End.push(end);
      v4Asn.push(asn);
      v4Org.push(org);
    });
  } catch (e) {
    throw new PalisadeError('PAL_ERR_ENRICH_DATA', `ASN data ${v4Path}: ${(e as Error).message}`);
  }

  const v6Start = new U32Builder();
  const v6End = new U32Builder();
  const v6Asn = new U32Builder();
  const v6Org = new U32Builder();
  const v6Path = join(dir, ASN_V6_FILE);
  let prev: number[] | undefined;
  const less = (a: readonly number[], b: readonly number[]) => {
    for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return a[k]! < b[k]!;
    return false;
  };
  try {
    await eachLine(v6Path, (buf, s, e) => {
      if (e === s) return;
      const c = e - s <= MAX_LINE_BYTES && findCommas(buf, s, e);
      const start = c ? parseIPv6(buf.toString('latin1', s, comma[0]!)) : null;
      const end = c ? parseIPv6(buf.toString('latin1', comma[0]! + 1, comma[1]!)) : null;
      const asn = c ? readU32(buf, comma[1]! + 1, comma[2]!) : -1;
      const ok =
        start &&
        end &&
        !less(end, start) &&
        asn >= 0 &&
        v6Asn.length < MAX_RANGES &&
        !(prev && less(start, prev));
      const org = ok ? orgs.intern(asn, buf, comma[2]! + 1, e) : null;
      if (!start || !end || org === null) {
        rejected++;
        return;
      }
      prev = start;
      for (const w of start) v6Start.push(w);
      for (const w of end) v6End.push(w);
      v6Asn.push(asn);
      v6Org.push(org);
    });
  } catch (e) {
    throw new PalisadeError('PAL_ERR_ENRICH_DATA', `ASN data ${v6Path}: ${(e as Error).message}`);
  }
  return {
    s4: v4Start.done(),
    e4: v4End.done(),
    a4: v4Asn.done(),
    o4: v4Org.done(),
    s6: v6Start.done(),
    e6: v6End.done(),
    a6: v6Asn.done(),
    o6: v6Org.done(),
    names: orgs.names,
    rejected,
  };
}

/**
 * The lookup over loaded tables. Built in its own function so its closures hold only the final
 * arrays, not the builders and the intern map of the load (V8 shares one context per function).
 */
function createAsnDb(t: Tables, loadMs: number): AsnDb {
  const { s4, e4, a4, o4, s6, e6, a6, o6, names } = t;
  const tableBytes = [s4, e4, a4, o4, s6, e6, a6, o6].reduce((n, a) => n + a.byteLength, 0);
  const rejected = t.rejected;
  return {
    lookup(ip) {
      if (ip.version === 4) {
        const v = ip.value;
        // the last range whose start is <= v
        let lo = 0;
        let hi = s4.length - 1;
        let found = -1;
        while (lo <= hi) {
          const mid = (lo + hi) >>> 1;
          if (s4[mid]! <= v) {
            found = mid;
            lo = mid + 1;
          } else hi = mid - 1;
        }
        if (found < 0 || v > e4[found]!) return undefined;
        return { number: a4[found]!, org: names[o4[found]!]! };
      }
      const w = ip.words;
      let lo = 0;
      let hi = a6.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (compare128(s6, mid, w) <= 0) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found < 0 || compare128(e6, found, w) < 0) return undefined;
      return { number: a6[found]!, org: names[o6[found]!]! };
    },
    stats: () => ({
      v4_ranges: s4.length,
      v6_ranges: a6.length,
      orgs: names.length,
      rejected_lines: rejected,
      table_bytes: tableBytes,
      load_ms: Math.round(loadMs),
    }),
  };
}

/**
 * Loads the ASN tables (~0.5 s, streamed, yielding between chunks). Rejects with PAL_ERR_ENRICH_DATA
 * when a file cannot be read; bad lines are only counted.
 * @example const asn = await loadAsn(); asn.lookup(parseIp('8.8.8.8')!) // { number: 15169, org: 'Google LLC' }
 */
export async function loadAsn(opts: AsnOptions = {}): Promise<AsnDb> {
  const t0 = performance.now();
  const tables = await readTables(opts.dir ?? defaultAsnDir());
  return createAsnDb(tables, performance.now() - t0);
}
