/**
 * Byte-level line splitting shared by `readLines` (files, gzip, stdin) and `followFile` (tail -F):
 * chunks in, batches of decoded lines out, with exact byte offsets so that a batch's `endOffset` is a
 * checkpoint at a line boundary. Memory is bounded: a line longer than `maxLineBytes` is skipped to its
 * newline without being buffered, and a batch stops at `maxBatchLines` lines or `maxBatchBytes` bytes.
 */
import { MAX_LINE_CHARS } from '../parsers/types.js';

/**
 * Longest line kept, in bytes (excluding `\r\n`). A UTF-16 code unit takes at most 3 UTF-8 bytes, so
 * every line a parser accepts (≤ MAX_LINE_CHARS chars) fits; longer ones are skipped here, unbuffered.
 */
export const MAX_LINE_BYTES = 3 * MAX_LINE_CHARS;
/** Most lines in one batch: small enough that awaiting each batch applies back-pressure. */
export const MAX_BATCH_LINES = 1000;
/** Batch size in bytes at which a batch is closed (it may pass this by at most one line). */
export const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Consecutive lines of one input. `lines[i]` is line number `firstLine + i`; a line over the limit is
 * an empty string there and its number is in `tooLong` (ascending), so the caller can count it as a
 * rejection instead of parsing it. `endOffset` is the byte offset just after the last line's newline
 * (or the end of input for a final line without one): resuming at `endOffset` with
 * `firstLine + lines.length` neither loses nor repeats a line.
 */
export interface LineBatch {
  lines: string[];
  firstLine: number;
  endOffset: number;
  tooLong: number[];
}

/** Where splitting starts and how big lines and batches may get. */
export interface LineSplitterOptions {
  /** Byte offset of the first chunk's first byte (default 0). */
  offset?: number;
  /** Number of the first line (default 1). */
  firstLine?: number;
  maxLineBytes?: number;
  maxBatchLines?: number;
  maxBatchBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = '\uFEFF';

/**
 * Splits byte chunks on `\n` (a trailing `\r` is dropped) and decodes each line as UTF-8 (invalid bytes
 * become U+FFFD). A UTF-8 byte-order mark at offset 0 is dropped. Usage: `push(chunk)`, then call
 * `next()` until it returns undefined (the chunk is consumed), then push the next chunk; at the end,
 * `flush(eof)` returns what is gathered. The chunk is not kept after `next()` returns undefined, so a
 * caller may reuse its read buffer.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #maxBatchLines: number;
  readonly #maxBatchBytes: number;
  #chunk: Buffer | undefined;
  #pos = 0;
  /** Bytes of the current, incomplete line (copied; empty while skipping). */
  #parts: Buffer[] = [];
  #partsLen = 0;
  /** All bytes of the current incomplete line seen so far, skipped ones included. */
  #heldBytes = 0;
  #skipping = false;
  /** Offset just after the last complete line. */
  #boundary: number;
  #nextLine: number;
  #lines: string[] = [];
  #tooLong: number[] = [];
  #batchFirst: number;
  #batchBytes = 0;

  constructor(opts: LineSplitterOptions = {}) {
    this.#maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
    this.#maxBatchLines = opts.maxBatchLines ?? MAX_BATCH_LINES;
    this.#maxBatchBytes = opts.maxBatchBytes ?? MAX_BATCH_BYTES;
    if (!(this.#maxLineBytes >= 1 && this.#maxBatchLines >= 1 && this.#maxBatchBytes >= 1)) {
      throw new RangeError('line and batch limits must be at least 1');
    }
    this.#boundary = opts.offset ?? 0;
    this.#nextLine = opts.firstLine ?? 1;
    this.#batchFirst = this.#nextLine;
  }

  /** Offset just after the last complete line (a line boundary). */
  get offset(): number {
    return this.#boundary;
  }

  /** Bytes of an incomplete last line read but not yet emitted. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Forgets everything held and restarts at `offset` / `firstLine` (after a truncation or rotation). */
  reset(offset: number, firstLine: number): void {
    this.#chunk = undefined;
    this.#pos = 0;
    this.#dropPartial();
    this.#boundary = offset;
    this.#nextLine = firstLine;
    this.#lines = [];
    this.#tooLong = [];
    this.#batchFirst = firstLine;
    this.#batchBytes = 0;
  }

  /** Gives the next chunk; the previous one must be consumed (`next()` returned undefined). */
  push(chunk: Buffer): void {
    if (this.#chunk !== undefined) throw new Error('LineSplitter.push: previous chunk not consumed');
    if (chunk.length > 0) {
      this.#chunk = chunk;
      this.#pos = 0;
    }
  }

  /** A full batch, or undefined once the current chunk is consumed and the batch is not full. */
  next(): LineBatch | undefined {
    const chunk = this.#chunk;
    if (chunk === undefined) return undefined;
    while (this.#pos < chunk.length) {
      const start = this.#pos;
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      // One byte of slack: a `\r` before the newline is not part of the line.
      if (!this.#skipping && this.#partsLen + (end - start) > this.#maxLineBytes + 1) {
        this.#skipping = true;
        this.#parts = [];
        this.#partsLen = 0;
      }
      if (nl === -1) {
        if (!this.#skipping) {
          this.#parts.push(Buffer.from(chunk.subarray(start)));
          this.#partsLen += end - start;
        }
        this.#heldBytes += end - start;
        break;
      }
      this.#heldBytes += end - start + 1;
      this.#pos = nl + 1;
      this.#completeLine(chunk, start, end);
      if (this.#full()) return this.#take();
    }
    this.#chunk = undefined;
    return undefined;
  }

  /**
   * The lines gathered so far (undefined when none). With `eof`, an incomplete last line is emitted
   * too: at the end of a file read once, or of a rotated file that will not grow any more.
   */
  flush(eof: boolean): LineBatch | undefined {
    if (eof && this.#heldBytes > 0) {
      const empty = Buffer.alloc(0);
      this.#completeLine(empty, 0, 0);
    }
    return this.#lines.length > 0 ? this.#take() : undefined;
  }

  #completeLine(chunk: Buffer, start: number, end: number): void {
    const lineNo = this.#nextLine++;
    const lineStart = this.#boundary;
    this.#boundary += this.#heldBytes;
    this.#heldBytes = 0;
    if (this.#skipping) {
      this.#dropPartial();
      this.#lines.push('');
      this.#tooLong.push(lineNo);
      return;
    }
    let bytes: Buffer;
    if (this.#partsLen === 0) {
      bytes = chunk.subarray(start, end);
    } else {
      this.#parts.push(chunk.subarray(start, end));
      bytes = Buffer.concat(this.#parts, this.#partsLen + (end - start));
    }
    this.#dropPartial();
    let len = bytes.length;
    if (len > 0 && bytes[len - 1] === CR) len--;
    if (len > this.#maxLineBytes) {
      this.#lines.push('');
      this.#tooLong.push(lineNo);
      return;
    }
    let text = bytes.toString('utf8', 0, len);
    if (lineStart === 0 && text.startsWith(BOM)) text = text.slice(1);
    this.#lines.push(text);
    this.#batchBytes += len + 1;
  }

  #dropPartial(): void {
    this.#parts = [];
    this.#partsLen = 0;
    this.#heldBytes = 0;
    this.#skipping = false;
  }

  #full(): boolean {
    return this.#lines.length >= this.#maxBatchLines || this.#batchBytes >= this.#maxBatchBytes;
  }

  #take(): LineBatch {
    const batch: LineBatch = {
      lines: this.#lines,
      firstLine: this.#batchFirst,
      endOffset: this.#boundary,
      tooLong: this.#tooLong,
    };
    this.#lines = [];
    this.#tooLong = [];
    this.#batchFirst = this.#nextLine;
    this.#batchBytes = 0;
    return batch;
  }
}
