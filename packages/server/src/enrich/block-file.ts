/**
 * Random reads from a large read-only file through a bounded cache of 4 KiB blocks (least recently
 * used evicted), so a multi-megabyte database is used without holding it in memory: the MMDB reader
 * reads its search tree and records through this. The blocks live in one slab allocated without
 * touching its pages, so memory grows only with the blocks actually read, up to `cacheBytes`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Block size: the page size, so one read is one page of the page cache. */
export const BLOCK_BYTES = 4096;
/** Longest span `view` serves that crosses a block boundary or exceeds a block. */
export const MAX_SPAN_BYTES = 1 << 20;

export interface BlockFileStats {
  /** Blocks read from the file (cache misses). */
  reads: number;
  /** Block lookups served from the cache. */
  hits: number;
  /** Blocks held now. */
  blocks: number;
  /** Bytes the cache may hold. */
  capacity_bytes: number;
}

export class BlockFile {
  /** File size in bytes. */
  readonly size: number;
  /**
   * The buffer the last `view` points into (the slab or a scratch copy). Valid until the next `view`.
   */
  buf: Buffer;
  readonly #fd: number;
  readonly #slab: Buffer;
  readonly #slots: number;
  /** block number → slot, in least-recently-used-first order (a Map keeps insertion order). */
  readonly #slotOf = new Map<number, number>();
  #used = 0;
  #curBlock = -1;
  #curBase = 0;
  #scratch = Buffer.allocUnsafeSlow(256);
  #reads = 0;
  #hits = 0;
  #closed = false;

  /** Opens `path` for reading; throws the fs error when it cannot be. */
  constructor(path: string, cacheBytes: number) {
    if (!Number.isInteger(cacheBytes) || cacheBytes < BLOCK_BYTES) {
      throw new RangeError(`block cache must be at least ${BLOCK_BYTES} bytes: ${cacheBytes}`);
    }
    this.#fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.#fd).size;
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
    this.#slots = Math.floor(cacheBytes / BLOCK_BYTES);
    // allocUnsafeSlow leaves the pages untouched, so they count in RSS only once written.
    this.#slab = Buffer.allocUnsafeSlow(this.#slots * BLOCK_BYTES);
    this.buf = this.#slab;
  }

  /**
   * Makes bytes [off, off + len) readable at `this.buf[returned index ...]`. Throws a RangeError when
   * the span leaves the file or is longer than MAX_SPAN_BYTES.
   */
  view(off: number, len: number): number {
    if (off < 0 || len < 0 || off + len > this.size) {
      throw new RangeError(`read of ${len} bytes at ${off} is outside the file (${this.size} bytes)`);
    }
    const block = Math.floor(off / BLOCK_BYTES);
    const inner = off - block * BLOCK_BYTES;
    if (inner + len > BLOCK_BYTES) return this.#span(off, len);
    this.buf = this.#slab;
    if (block === this.#curBlock) {
      this.#hits++;
      return this.#curBase + inner;
    }
    let slot = this.#slotOf.get(block);
    if (slot !== undefined) {
      this.#hits++;
      this.#slotOf.delete(block);
    } else {
      slot = this.#load(block);
    }
    this.#slotOf.set(block, slot);
    this.#curBlock = block;
    this.#curBase = slot * BLOCK_BYTES;
    return this.#curBase + inner;
  }

  stats(): BlockFileStats {
    return {
      reads: this.#reads,
      hits: this.#hits,
      blocks: this.#slotOf.size,
      capacity_bytes: this.#slots * BLOCK_BYTES,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slotOf.clear();
    this.#curBlock = -1;
    closeSync(this.#fd);
  }

  /** Reads a block into a free slot, or the least recently used one. */
  #load(block: number): number {
    if (this.#closed) throw new Error('file is closed');
    let slot: number;
    if (this.#used < this.#slots) slot = this.#used++;
    else {
      const oldest = this.#slotOf.entries().next().value!;
      this.#slotOf.delete(oldest[0]);
      slot = oldest[1];
    }
    const pos = block * BLOCK_BYTES;
    const want = Math.min(BLOCK_BYTES, this.size - pos);
    this.#readFully(this.#slab, slot * BLOCK_BYTES, want, pos);
    return slot;
  }

  /** A span across blocks: read straight into a scratch buffer (rare: long strings, straddling nodes). */
  #span(off: number, len: number): number {
    if (len > MAX_SPAN_BYTES) throw new RangeError(`read of ${len} bytes at ${off} is too long`);
    if (this.#closed) throw new Error('file is closed');
    if (this.#scratch.length < len) {
      this.#scratch = Buffer.allocUnsafeSlow(
        Math.min(MAX_SPAN_BYTES, Math.max(len, this.#scratch.length * 2)),
      );
    }
    this.#readFully(this.#scratch, 0, len, off);
    this.buf = this.#scratch;
    return 0;
  }

  #readFully(into: Buffer, at: number, len: number, pos: number): void {
    this.#reads++;
    let done = 0;
    while (done < len) {
      const n = readSync(this.#fd, into, at + done, len - done, pos + done);
      if (n === 0) throw new RangeError(`file ended early at ${pos + done}`);
      done += n;
    }
  }
}
