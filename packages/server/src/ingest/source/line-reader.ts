/**
 * Reads a whole input once — a file path, a `.gz` file, or any Readable such as stdin — as batches
 * of lines with exact byte offsets (see LineSplitter). For `--follow`, see followFile.
 */
import { open } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LineSplitter } from './line-splitter.js';
import type { LineBatch } from './line-splitter.js';

export type { LineBatch } from './line-splitter.js';

/** Where to start and how big lines and batches may get. */
export interface ReadLinesOptions {
  /**
   * Byte offset to resume at: a previous batch's `endOffset`, so a line boundary. A regular file is
   * read from there; a Readable or gzip content has that many (decompressed) bytes skipped.
   */
  startOffset?: number;
  /** Number of the first line read (default 1; after a checkpoint, the next line's number). */
  firstLine?: number;
  /** Longest line kept, in bytes (default MAX_LINE_BYTES); longer lines are reported in `tooLong`. */
  maxLineBytes?: number;
  maxBatchLines?: number;
  maxBatchBytes?: number;
  /** Aborting stops reading (the stream is destroyed) and ends the iteration without an error. */
  signal?: AbortSignal;
}

const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Reads `input` (a path or a Readable) to its end as batches of at most ~1000 lines / 1 MiB; the
 * next chunk is read only when the caller asks for the next batch (back-pressure). Gzip is undone
 * when the path ends in `.gz` or the content starts with 1f 8b; offsets then count decompressed bytes
 * (followFile refuses gzip: a compressed file does not grow line by line). A last line without `\n`
 * is emitted at the end. From a pipe or stream, complete lines are handed over after every chunk, so
 * a slow writer's lines are not held back until 1000 gather. Offsets in a batch are absolute (they
 * include `startOffset`). A Readable is destroyed when the iteration stops early.
 *
 * @example for await (const b of readLines('/var/log/auth.log')) for (const [i, l] of b.lines.entries()) parse(l, b.firstLine + i);
 */
export async function* readLines(
  input: Readable | string,
  opts: ReadLinesOptions = {},
): AsyncGenerator<LineBatch, void, undefined> {
  const { signal } = opts;
  if (signal?.aborted) return;
  const startOffset = opts.startOffset ?? 0;
  if (!Number.isSafeInteger(startOffset) || startOffset < 0) {
    throw new RangeError(`startOffset must be a non-negative integer, got ${startOffset}`);
  }
  const splitter = new LineSplitter({
    offset: startOffset,
    firstLine: opts.firstLine ?? 1,
    maxLineBytes: opts.maxLineBytes,
    maxBatchLines: opts.maxBatchLines,
    maxBatchBytes: opts.maxBatchBytes,
  });
  let opened: OpenedInput | undefined;
  let content: AsyncIterable<Buffer> | undefined;
  const stop = (): void => {
    if (typeof input !== 'string') input.destroy();
    opened?.raw.destroy();
    if (content instanceof Readable) content.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    opened =
      typeof input === 'string' ? await openPath(input, startOffset) : await sniffStream(input, startOffset);
    content = opened.gzip ? gunzip(opened.chunks) : opened.chunks;
    let skip = opened.skip;
    for await (let chunk of content) {
      if (signal?.aborted) return;
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
      }
      splitter.push(chunk);
      for (let batch = splitter.next(); batch !== undefined; batch = splitter.next()) {
        yield batch;
        if (signal?.aborted) return;
      }
      // A pipe may pause for long (`tail -f | palisade ingest -`): hand over what is complete.
      const ready = opened.live ? splitter.flush(false) : undefined;
      if (ready !== undefined) yield ready;
    }
    if (signal?.aborted) return;
    const last = splitter.flush(true);
    if (last !== undefined) yield last;
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}

interface OpenedInput {
  /** The stream read from; destroyed when reading stops. */
  raw: Readable;
  /** Its bytes, from the first (the sniffed head included). */
  chunks: AsyncIterable<Buffer>;
  gzip: boolean;
  /** Content bytes still to skip to reach startOffset. */
  skip: number;
  /** A pipe or stream rather than a regular file: complete lines are handed over after each chunk. */
  live: boolean;
}

/** True when the path names a gzip file by its extension (follow mode refuses these). */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

async function openPath(path: string, startOffset: number): Promise<OpenedInput> {
  const fh = await open(path, 'r');
  let raw: Readable;
  try {
    const st = await fh.stat();
    if (st.isFile()) {
      const magic = Buffer.alloc(2);
      const { bytesRead } = await fh.read(magic, 0, 2, 0);
      const gzip = isGzipPath(path) || (bytesRead === 2 && isGzipMagic(magic));
      raw = fh.createReadStream({ start: gzip ? 0 : startOffset, highWaterMark: READ_CHUNK_BYTES });
      return {
        raw,
        chunks: bytesOf(raw[Symbol.asyncIterator](), undefined),
        gzip,
        skip: gzip ? startOffset : 0,
        live: false,
      };
    }
    // A FIFO or device (e.g. /dev/stdin) cannot seek: sniff and skip as for any stream.
    raw = fh.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
  } catch (err) {
    await fh.close();
    throw err;
  }
  return sniffStream(raw, startOffset);
}

/** Reads the first two bytes to tell gzip from text; they are replayed at the front of `chunks`. */
async function sniffStream(raw: Readable, skip: number): Promise<OpenedInput> {
  const it: AsyncIterator<unknown> = raw[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const r = await it.next();
    if (r.done === true) break;
    head = Buffer.concat([head, toBuffer(r.value)]);
  }
  return { raw, chunks: bytesOf(it, head), gzip: isGzipMagic(head), skip, live: true };
}

function isGzipMagic(b: Buffer): boolean {
  return b[0] === 0x1f && b[1] === 0x8b;
}

async function* bytesOf(it: AsyncIterator<unknown>, head: Buffer | undefined): AsyncGenerator<Buffer, void> {
  if (head !== undefined && head.length > 0) yield head;
  for (let r = await it.next(); r.done !== true; r = await it.next()) yield toBuffer(r.value);
}

function gunzip(chunks: AsyncIterable<Buffer>): Readable {
  const out = createGunzip();
  // pipeline destroys every stream on error; the error reaches the reader through `out`.
  pipeline(Readable.from(chunks), out, () => {});
  return out;
}

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('readLines: the stream must yield bytes or strings');
}
