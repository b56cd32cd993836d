/**
 * IP → autonomous system (number and organisation) from `@ip-location-db/asn`: `asn-ipv4-num.csv`
 * (`start,end,asn,org` with uint32 bounds) and `asn-ipv6.csv` (the same with IPv6 text bounds).
 * The ranges are held in typed arrays (IPv4: 16 bytes a range; IPv6: 40 bytes, full 128 bits) with
 * a de-duplicated organisation table (UTF-8 bytes, no strings), and found by binary search: ~13 MB
 * for ~515k ranges. Loading parses bytes in one reused buffer (csv-bytes.ts) into tables sized by a
 * first counting pass, so it leaves no garbage behind to grow the heap (and RSS) for good.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AsnInfo, IpAddress } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import { countLines, eachLine, parseIPv6Bytes, readBuffer, readU32 } from './csv-bytes.js';

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
  /** Bytes held by the range tables (organisation names not included). */
  table_bytes: number;
  /** Bytes of the pages holding the de-duplicated organisation names (UTF-8). */
  org_bytes: number;
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

/** FNV-1a over a byte span: no allocation. */
function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/** Bytes per page of organisation names (a name never spans pages; the longest line is 1 KiB). */
const ORG_PAGE_BYTES = 256 * 1024;

/**
 * De-duplicated organisation names as UTF-8 bytes in fixed pages (`pages[i]`, from `starts[i]` to
 * `ends[i]`, offsets within the page), found by an open-addressing hash table over the bytes:
 * interning a name allocates nothing unless it is new, pages are never copied to grow, and no strings
 * are made at all (the lookup decodes one).
 */
class OrgTable {
  readonly #pages: Buffer[] = [];
  #page: Buffer = Buffer.allocUnsafeSlow(ORG_PAGE_BYTES);
  #len = 0;
  #pageOf: Uint32Array = new Uint32Array(1 << 12);
  #starts: Uint32Array = new Uint32Array(1 << 12);
  #ends: Uint32Array = new Uint32Array(1 << 12);
  #hashes: Uint32Array = new Uint32Array(1 << 12);
  count = 0;
  /** Name index + 1 per slot; 0 is empty. Kept at most half full. */
  #slots = new Int32Array(1 << 13);

  /** Index of the (CSV-unquoted) name in `buf[start, end)`; -1 when its quoting is broken. */
  intern(buf: Buffer, start: number, end: number): number {
    // Unquote into the free end of the page first: a new name is then already in place.
    if (ORG_PAGE_BYTES - this.#len < end - start) {
      this.#pages.push(this.#page.subarray(0, this.#len));
      this.#page = Buffer.allocUnsafeSlow(ORG_PAGE_BYTES);
      this.#len = 0;
    }
    const page = this.#page;
    const from = this.#len;
    let to = from;
    if (end > start && buf[start] === 34) {
      if (end - start < 2 || buf[end - 1] !== 34) return -1;
      for (let i = start + 1; i < end - 1; i++) {
        const c = buf[i]!;
        page[to++] = c;
        if (c === 34 && buf[i + 1] === 34 && i + 1 < end - 1) i++; // "" is one "
      }
    } else {
      to += buf.copy(page, from, start, end);
    }
    const hash = hashBytes(page, from, to);
    const mask = this.#slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const idx = this.#slots[s]! - 1;
      if (idx < 0) {
        this.#slots[s] = this.#add(hash, from, to) + 1;
        if (this.count * 2 > this.#slots.length) this.#rehash();
        return this.count - 1;
      }
      if (this.#hashes[idx] === hash && this.#same(idx, from, to)) return idx;
    }
  }

  /** The names' pages and, per name, its page and span (exact size: the load's spare room dropped). */
  done(): OrgNames {
    const pages = [...this.#pages, this.#page.subarray(0, this.#len)];
    const n = this.count;
    return {
      pages,
      pageOf: this.#pageOf.slice(0, n),
      starts: this.#starts.slice(0, n),
      ends: this.#ends.slice(0, n),
    };
  }

  #add(hash: number, from: number, to: number): number {
    if (this.count === this.#ends.length) {
      this.#pageOf = growU32(this.#pageOf);
      this.#starts = growU32(this.#starts);
      this.#ends = growU32(this.#ends);
      this.#hashes = growU32(this.#hashes);
    }
    this.#pageOf[this.count] = this.#pages.length;
    this.#starts[this.count] = from;
    this.#ends[this.count] = to;
    this.#hashes[this.count] = hash;
    this.#len = to;
    return this.count++;
  }

  #same(idx: number, from: number, to: number): boolean {
    const s = this.#starts[idx]!;
    const e = this.#ends[idx]!;
    if (e - s !== to - from) return false;
    const p = this.#pageOf[idx]!;
    const b = p === this.#pages.length ? this.#page : this.#pages[p]!;
    const page = this.#page;
    for (let i = 0; i < e - s; i++) if (b[s + i] !== page[from + i]) return false;
    return true;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let idx = 0; idx < this.count; idx++) {
      let s = this.#hashes[idx]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = idx + 1;
    }
    this.#slots = slots;
  }
}

interface OrgNames {
  pages: Buffer[];
  pageOf: Uint32Array;
  starts: Uint32Array;
  ends: Uint32Array;
}

function growU32(a: Uint32Array): Uint32Array {
  const n = new Uint32Array(a.length * 2);
  n.set(a);
  return n;
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

function compare128(a: Uint32Array, i: number, w: ArrayLike<number>): number {
  for (let k = 0; k < 4; k++) {
    const x = a[i * 4 + k]!;
    const y = w[k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Whether the 128-bit value at a[i] is below the one at b[j]. */
function below128(a: Uint32Array, i: number, b: Uint32Array, j: number): boolean {
  for (let k = 0; k < 4; k++) {
    const x = a[i * 4 + k]!;
    const y = b[j * 4 + k]!;
    if (x !== y) return x < y;
  }
  return false;
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
  orgs: OrgNames;
  rejected: number;
}

/** Counts lines to size the tables once (no doubling: no discarded copies left in the allocator). */
async function capacity(path: string, buf: Buffer): Promise<number> {
  return Math.min(MAX_RANGES, await countLines(path, buf));
}

async function readTables(dir: string): Promise<Tables> {
  const orgs = new OrgTable();
  const buf = readBuffer();
  let rejected = 0;

  const v4Path = join(dir, ASN_V4_FILE);
  let n4 = 0;
  let s4: Uint32Array, e4: Uint32Array, a4: Uint32Array, o4: Uint32Array;
  try {
    const cap = await capacity(v4Path, buf);
    [s4, e4, a4, o4] = [
      new Uint32Array(cap),
      new Uint32Array(cap),
      new Uint32Array(cap),
      new Uint32Array(cap),
    ];
    await eachLine(
      v4Path,
      MAX_LINE_BYTES,
      (buf, s, e) => {
        if (e === s) return;
        const c = e - s <= MAX_LINE_BYTES && findCommas(buf, s, e);
        const start = c ? readU32(buf, s, comma[0]!) : -1;
        const end = c ? readU32(buf, comma[0]! + 1, comma[1]!) : -1;
        const asn = c ? readU32(buf, comma[1]! + 1, comma[2]!) : -1;
        // Sorted by start; an overlap with the previous range is fine (the later start wins).
        const ok = start >= 0 && end >= start && asn >= 0 && n4 < cap && (n4 === 0 || start >= s4[n4 - 1]!);
        const org = ok ? orgs.intern(buf, comma[2]! + 1, e) : -1;
        if (org < 0) {
          rejected++;
          return;
        }
        s4[n4] = start;
        e4[n4] = end;
        a4[n4] = asn;
        o4[n4++] = org;
      },
      buf,
    );
  } catch (e) {
    throw new PalisadeError('PAL_ERR_ENRICH_DATA', `ASN data ${v4Path}: ${(e as Error).message}`);
  }

  const v6Path = join(dir, ASN_V6_FILE);
  let n6 = 0;
  let s6: Uint32Array, e6: Uint32Array, a6: Uint32Array, o6: Uint32Array;
  try {
    const cap = await capacity(v6Path, buf);
    // A line's bounds are parsed straight into slot n6; a rejected line's are overwritten by the next.
    [s6, e6, a6, o6] = [
      new Uint32Array(cap * 4),
      new Uint32Array(cap * 4),
      new Uint32Array(cap),
      new Uint32Array(cap),
    ];
    await eachLine(
      v6Path,
      MAX_LINE_BYTES,
      (buf, s, e) => {
        if (e === s) return;
        const c = e - s <= MAX_LINE_BYTES && findCommas(buf, s, e);
        const ok =
          c &&
          n6 < cap &&
          parseIPv6Bytes(buf, s, comma[0]!, s6, n6 * 4) &&
          parseIPv6Bytes(buf, comma[0]! + 1, comma[1]!, e6, n6 * 4) &&
          !below128(e6, n6, s6, n6) &&
          !(n6 > 0 && below128(s6, n6, s6, n6 - 1));
        const asn = ok ? readU32(buf, comma[1]! + 1, comma[2]!) : -1;
        const org = asn >= 0 ? orgs.intern(buf, comma[2]! + 1, e) : -1;
        if (org < 0) {
          rejected++;
          return;
        }
        a6[n6] = asn;
        o6[n6++] = org;
      },
      buf,
    );
  } catch (e) {
    throw new PalisadeError('PAL_ERR_ENRICH_DATA', `ASN data ${v6Path}: ${(e as Error).message}`);
  }

  // Views of the exact length (rejected lines leave a few unused slots at the end).
  return {
    s4: s4.subarray(0, n4),
    e4: e4.subarray(0, n4),
    a4: a4.subarray(0, n4),
    o4: o4.subarray(0, n4),
    s6: s6.subarray(0, n6 * 4),
    e6: e6.subarray(0, n6 * 4),
    a6: a6.subarray(0, n6),
    o6: o6.subarray(0, n6),
    orgs: orgs.done(),
    rejected,
  };
}

/**
 * The lookup over loaded tables. Built in its own function so its closures hold only the final
 * arrays, not the builders and the intern map of the load (V8 shares one context per function).
 */
function createAsnDb(t: Tables, loadMs: number): AsnDb {
  const { s4, e4, a4, o4, s6, e6, a6, o6 } = t;
  const { pages, pageOf, starts, ends } = t.orgs;
  const tableBytes = [s4, e4, a4, o4, s6, e6, a6, o6, pageOf, starts, ends].reduce(
    (n, a) => n + a.buffer.byteLength,
    0,
  );
  const orgBytes = pages.reduce((n, p) => n + p.buffer.byteLength, 0);
  // Names are decoded per lookup (the enricher caches per ip), so the table holds no strings.
  const name = (i: number) => pages[pageOf[i]!]!.toString('utf8', starts[i]!, ends[i]!);
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
        return { number: a4[found]!, org: name(o4[found]!) };
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
      return { number: a6[found]!, org: name(o6[found]!) };
    },
    stats: () => ({
      v4_ranges: s4.length,
      v6_ranges: a6.length,
      orgs: ends.length,
      org_bytes: orgBytes,
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
