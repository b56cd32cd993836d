/**
 * A MaxMind DB (MMDB format 2.0, https://maxmind.github.io/MaxMind-DB/) reader that reads the file
 * through a small block cache instead of loading it: the metadata is found by its marker near the end
 * of the file, the search tree (24, 28 or 32-bit records) is walked bit by bit, and a record is
 * decoded from the data section into plain values (maps as null-prototype objects, uint64/uint128 as
 * bigint, bytes as a Buffer copy), as the `maxmind` package does. Malformed data throws an Error; a
 * search tree walk never loops (at most 32 or 128 steps) and decoding is bounded in depth and size.
 */
import { BlockFile, type BlockFileStats } from './block-file.js';

export interface MmdbMetadata {
  binaryFormatMajorVersion: number;
  binaryFormatMinorVersion: number;
  /** Seconds since the epoch. */
  buildEpoch: number;
  databaseType: string;
  ipVersion: 4 | 6;
  recordSize: 24 | 28 | 32;
  nodeCount: number;
  languages: string[];
  description: Record<string, string>;
}

export interface MmdbOptions {
  /** Bytes of file blocks kept in memory; default 2 MiB. */
  cacheBytes?: number;
}

/** `\xAB\xCD\xEFMaxMind.com`: the metadata section follows the last one in the file. */
const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
/** The metadata is at most 128 KiB (spec), so the marker is searched only there. */
const METADATA_MAX_BYTES = 128 * 1024;
/** Zero bytes between the search tree and the data section. */
const DATA_SEPARATOR_BYTES = 16;
/** Deepest nesting of maps, arrays and pointers decoded (real databases use < 8). */
const MAX_DEPTH = 32;
const DEFAULT_CACHE_BYTES = 2 * 1024 * 1024;

const enum T {
  Extended = 0,
  Pointer = 1,
  Utf8 = 2,
  Double = 3,
  Bytes = 4,
  Uint16 = 5,
  Uint32 = 6,
  Map = 7,
  Int32 = 8,
  Uint64 = 9,
  Uint128 = 10,
  Array = 11,
  Boolean = 14,
  Float = 15,
}

/** Value added to a pointer's packed bits, by its size field (spec: "pointer value offset"). */
const POINTER_BIAS = [0, 2048, 526336, 0] as const;

export class MmdbReader {
  readonly metadata: MmdbMetadata;
  readonly #file: BlockFile;
  readonly #nodeCount: number;
  readonly #nodeBytes: number;
  readonly #recordSize: number;
  readonly #treeBytes: number;
  readonly #dataStart: number;
  /** End of the data section (start of the metadata marker). */
  readonly #dataEnd: number;
  readonly #ipv4Start: number;
  /** Offset after the last decoded value. */
  #pos = 0;

  /** Opens a database; throws an Error (fs error or format problem) when it cannot be read. */
  constructor(path: string, opts: MmdbOptions = {}) {
    this.#file = new BlockFile(path, opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    try {
      const markerAt = this.#findMarker();
      const metaStart = markerAt + METADATA_MARKER.length;
      const raw = this.#decode(metaStart, metaStart, 0);
      this.metadata = checkMetadata(raw);
      this.#nodeCount = this.metadata.nodeCount;
      this.#recordSize = this.metadata.recordSize;
      this.#nodeBytes = this.#recordSize / 4;
      this.#treeBytes = this.#nodeCount * this.#nodeBytes;
      this.#dataStart = this.#treeBytes + DATA_SEPARATOR_BYTES;
      this.#dataEnd = markerAt;
      if (this.#dataStart > markerAt) throw new Error('search tree is larger than the file');
      let node = 0;
      if (this.metadata.ipVersion === 6) {
        for (let i = 0; i < 96 && node < this.#nodeCount; i++) node = this.#record(node, 0);
      }
      this.#ipv4Start = node;
    } catch (e) {
      this.#file.close();
      throw e;
    }
  }

  /**
   * File offset of the record for an IPv4 address (uint32), or -1 when the database has none.
   * Offsets are stable: use them as a cache key for `decodeAt`.
   */
  findV4(value: number): number {
    let node = this.#ipv4Start;
    for (let bit = 31; bit >= 0 && node < this.#nodeCount; bit--)
      node = this.#record(node, (value >>> bit) & 1);
    return this.#resolve(node);
  }

  /** File offset of the record for an IPv6 address (four uint32 words), or -1; -1 in an IPv4 database. */
  findV6(words: ArrayLike<number>): number {
    if (this.metadata.ipVersion !== 6) return -1;
    let node = 0;
    for (let d = 0; d < 128 && node < this.#nodeCount; d++) {
      node = this.#record(node, (words[d >>> 5]! >>> (31 - (d & 31))) & 1);
    }
    return this.#resolve(node);
  }

  /** Decodes the record at an offset returned by `findV4`/`findV6`. */
  decodeAt(offset: number): unknown {
    if (offset < this.#dataStart || offset >= this.#dataEnd) throw new Error(`bad record offset ${offset}`);
    return this.#decode(offset, this.#dataStart, 0);
  }

  /** The record for an IPv4 address, or null. */
  getV4(value: number): unknown {
    const off = this.findV4(value);
    return off < 0 ? null : this.decodeAt(off);
  }

  /** The record for an IPv6 address, or null. */
  getV6(words: ArrayLike<number>): unknown {
    const off = this.findV6(words);
    return off < 0 ? null : this.decodeAt(off);
  }

  /** File size and block cache counts. */
  stats(): BlockFileStats & { file_bytes: number } {
    return { ...this.#file.stats(), file_bytes: this.#file.size };
  }

  close(): void {
    this.#file.close();
  }

  #findMarker(): number {
    const f = this.#file;
    const len = Math.min(METADATA_MAX_BYTES, f.size);
    const from = f.size - len;
    // The tail is read in one span (it may be up to 128 KiB) and searched from the end.
    const p = f.view(from, len);
    const at = f.buf.subarray(p, p + len).lastIndexOf(METADATA_MARKER);
    if (at < 0) throw new Error('not a MaxMind DB file (no metadata marker)');
    return from + at;
  }

  /** Record `side` (0 left, 1 right) of a node. */
  #record(node: number, side: number): number {
    const f = this.#file;
    const p = f.view(node * this.#nodeBytes, this.#nodeBytes);
    const b = f.buf;
    switch (this.#recordSize) {
      case 24:
        return side === 0
          ? (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!
          : (b[p + 3]! << 16) | (b[p + 4]! << 8) | b[p + 5]!;
      case 28:
        return side === 0
          ? ((b[p + 3]! & 0xf0) << 20) | (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!
          : ((b[p + 3]! & 0x0f) << 24) | (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]!;
      default:
        return b.readUInt32BE(p + side * 4);
    }
  }

  /** A final record value to a file offset in the data section, or -1 for "no data". */
  #resolve(node: number): number {
    if (node <= this.#nodeCount) return -1;
    const off = node - this.#nodeCount + this.#treeBytes;
    if (off < this.#dataStart || off >= this.#dataEnd)
      throw new Error(`search tree points outside the data (${node})`);
    return off;
  }

  /** Decodes the value at `off` (pointers relative to `base`); leaves the next offset in #pos. */
  #decode(off: number, base: number, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Error(`data nested deeper than ${MAX_DEPTH} at ${off}`);
    const f = this.#file;
    let p = f.view(off, 1);
    const ctrl = f.buf[p]!;
    off++;
    let type = ctrl >>> 5;
    if (type === T.Pointer) {
      const n = ((ctrl >>> 3) & 3) + 1;
      p = f.view(off, n);
      const b = f.buf;
      let v: number;
      if (n === 1) v = ((ctrl & 7) << 8) | b[p]!;
      else if (n === 2) v = ((ctrl & 7) << 16) | (b[p]! << 8) | b[p + 1]!;
      else if (n === 3) v = (ctrl & 7) * 0x1000000 + ((b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!);
      else v = b.readUInt32BE(p);
      const next = off + n;
      const value = this.#decode(base + v + POINTER_BIAS[n - 1]!, base, depth + 1);
      this.#pos = next;
      return value;
    }
    if (type === T.Extended) {
      p = f.view(off, 1);
      type = 7 + f.buf[p]!;
      off++;
      if (type < 8 || type > 15) throw new Error(`invalid extended type ${type} at ${off - 1}`);
    }
    let size = ctrl & 0x1f;
    if (size >= 29) {
      const n = size - 28;
      p = f.view(off, n);
      const b = f.buf;
      if (n === 1) size = 29 + b[p]!;
      else if (n === 2) size = 285 + ((b[p]! << 8) | b[p + 1]!);
      else size = 65821 + ((b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!);
      off += n;
    }
    switch (type) {
      case T.Utf8: {
        this.#pos = off + size;
        if (size === 0) return '';
        p = f.view(off, size);
        return f.buf.toString('utf8', p, p + size);
      }
      case T.Double:
        if (size !== 8) throw new Error(`invalid double size ${size} at ${off}`);
        this.#pos = off + 8;
        p = f.view(off, 8); // before reading f.buf: view may switch it
        return f.buf.readDoubleBE(p);
      case T.Float:
        if (size !== 4) throw new Error(`invalid float size ${size} at ${off}`);
        this.#pos = off + 4;
        p = f.view(off, 4);
        return f.buf.readFloatBE(p);
      case T.Bytes: {
        this.#pos = off + size;
        if (size === 0) return Buffer.alloc(0);
        p = f.view(off, size);
        return Buffer.from(f.buf.subarray(p, p + size));
      }
      case T.Uint16:
      case T.Uint32:
      case T.Int32: {
        if (size > 4 || (type === T.Uint16 && size > 2))
          throw new Error(`invalid integer size ${size} at ${off}`);
        this.#pos = off + size;
        if (size === 0) return 0;
        p = f.view(off, size);
        // A shorter int32 is zero-padded on the left, so only a 4-byte one can be negative.
        return type === T.Int32 && size === 4 ? f.buf.readInt32BE(p) : f.buf.readUIntBE(p, size);
      }
      case T.Uint64:
      case T.Uint128: {
        if (size > (type === T.Uint64 ? 8 : 16)) throw new Error(`invalid integer size ${size} at ${off}`);
        this.#pos = off + size;
        let v = 0n;
        if (size > 0) {
          p = f.view(off, size);
          for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(f.buf[p + i]!);
        }
        return v;
      }
      case T.Boolean:
        if (size > 1) throw new Error(`invalid boolean ${size} at ${off}`);
        this.#pos = off;
        return size === 1;
      case T.Map: {
        // Each pair takes at least two bytes: a size beyond the data is malformed, not a big allocation.
        if (off + size * 2 > this.#file.size)
          throw new Error(`map of ${size} pairs overruns the file at ${off}`);
        const map = Object.create(null) as Record<string, unknown>;
        for (let i = 0; i < size; i++) {
          const key = this.#decode(off, base, depth + 1);
          if (typeof key !== 'string') throw new Error(`map key is not a string at ${off}`);
          const value = this.#decode(this.#pos, base, depth + 1);
          map[key] = value;
          off = this.#pos;
        }
        this.#pos = off;
        return map;
      }
      case T.Array: {
        if (off + size > this.#file.size) throw new Error(`array of ${size} overruns the file at ${off}`);
        const arr: unknown[] = new Array<unknown>(size);
        for (let i = 0; i < size; i++) {
          arr[i] = this.#decode(off, base, depth + 1);
          off = this.#pos;
        }
        this.#pos = off;
        return arr;
      }
      default:
        throw new Error(`unsupported data type ${type} at ${off}`);
    }
  }
}

function checkMetadata(raw: unknown): MmdbMetadata {
  if (typeof raw !== 'object' || raw === null) throw new Error('metadata is not a map');
  const m = raw as Record<string, unknown>;
  const int = (k: string): number => {
    const v = m[k];
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new Error(`metadata ${k} is missing`);
    return n;
  };
  const major = int('binary_format_major_version');
  if (major !== 2) throw new Error(`unsupported MMDB format version ${major}`);
  const recordSize = int('record_size');
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) {
    throw new Error(`unsupported record size ${recordSize}`);
  }
  const ipVersion = int('ip_version');
  if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`unsupported ip_version ${ipVersion}`);
  const languages = Array.isArray(m.languages) ? m.languages.filter((l) => typeof l === 'string') : [];
  const description: Record<string, string> = {};
  if (typeof m.description === 'object' && m.description !== null) {
    for (const [k, v] of Object.entries(m.description)) if (typeof v === 'string') description[k] = v;
  }
  return {
    binaryFormatMajorVersion: major,
    binaryFormatMinorVersion: int('binary_format_minor_version'),
    buildEpoch: int('build_epoch'),
    databaseType: typeof m.database_type === 'string' ? m.database_type : '',
    ipVersion,
    recordSize,
    nodeCount: int('node_count'),
    languages,
    description,
  };
}
