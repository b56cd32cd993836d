/**
 * `tail -F` for one path: reads new complete lines as the file grows, survives truncation and
 * rotation, and hands out checkpoints so a restart neither loses nor repeats a line. Polls with
 * fs.stat (works on every filesystem, including network mounts where fs.watch is silent).
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PalisadeError } from '../../errors.js';
import { isGzipPath } from './line-reader.js';
import { LineSplitter } from './line-splitter.js';
import type { LineBatch } from './line-splitter.js';

/** A batch of lines and the file (`${dev}:${ino}`) they come from. */
export interface FollowBatch extends LineBatch {
  fileId: string;
}

/**
 * Where a follower stands: `offset` is a line boundary in file `fileId` and `line` the number of the
 * last line before it (0 at the start of a file). Store `checkpointAfter(batch)` once a batch is
 * fully processed; pass it back as `checkpoint` to resume.
 */
export interface FollowCheckpoint {
  fileId: string;
  offset: number;
  line: number;
}

/** The path now names another file; the old one was read to its end first. */
export interface RotateInfo {
  path: string;
  /** The file read before, or the checkpoint's file when the rotation happened while not following. */
  fromFileId: string;
  toFileId: string;
  /** How far the old file was read (its size), or the checkpoint offset when rotated while down. */
  fromOffset: number;
}

/** The file shrank below the read position; reading restarts at 0. */
export interface TruncateInfo {
  path: string;
  fileId: string;
  /** The read position before (or the checkpoint offset at start). */
  offset: number;
  size: number;
}

export interface FollowOptions {
  /** Resume point from checkpointAfter(); without one, the file is read from its start. */
  checkpoint?: FollowCheckpoint;
  /** Interval between fs.stat polls, ms (default 250). */
  pollMs?: number;
  /** Aborting ends the iteration without an error; required because following never ends by itself. */
  signal: AbortSignal;
  onRotate?(info: RotateInfo): void;
  onTruncate?(info: TruncateInfo): void;
  /** Longest line kept, in bytes (default MAX_LINE_BYTES). */
  maxLineBytes?: number;
  maxBatchLines?: number;
  maxBatchBytes?: number;
}

const READ_CHUNK_BYTES = 64 * 1024;

/** The checkpoint to store once `batch` is processed. */
export function checkpointAfter(batch: FollowBatch): FollowCheckpoint {
  return { fileId: batch.fileId, offset: batch.endOffset, line: batch.firstLine + batch.lines.length - 1 };
}

/** `${dev}:${ino}`: identifies a file across renames, so rotation is seen when the path changes file. */
export function fileIdOf(st: Pick<Stats, 'dev' | 'ino'>): string {
  return `${st.dev}:${st.ino}`;
}

interface Current {
  fh: FileHandle;
  fileId: string;
  /** Bytes read so far (complete lines plus a held partial line). */
  pos: number;
}

/**
 * Follows `path` like `tail -F` until `signal` aborts. Emits complete lines only; a partial last line
 * is held (bounded by maxLineBytes) until its newline arrives. Starts at the checkpoint when its file
 * is still at `path` and not shorter than its offset; otherwise at offset 0 of what is there now (lines
 * the old file got after the checkpoint, while nothing was following, are not read). While running:
 * growth → new lines; size below the read position → truncation, restart at 0 (line numbers restart
 * at 1); another file at the path → the old descriptor is read to its end (a final line without `\n`
 * included), then the new file from 0; a missing path is waited for, while the old descriptor is still
 * read. Limits: a truncation followed by regrowth past the read position within one poll, or a new
 * file reusing the old inode, looks like growth. Gzip files cannot be followed (read them with readLines).
 */
export async function* followFile(
  path: string,
  opts: FollowOptions,
): AsyncGenerator<FollowBatch, void, undefined> {
  if (isGzipPath(path)) {
    throw new PalisadeError('PAL_ERR_CLI_USAGE', `cannot follow a gzip file: ${path}`);
  }
  const { signal } = opts;
  const pollMs = opts.pollMs ?? 250;
  const splitter = new LineSplitter({
    maxLineBytes: opts.maxLineBytes,
    maxBatchLines: opts.maxBatchLines,
    maxBatchBytes: opts.maxBatchBytes,
  });
  const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let checkpoint = opts.checkpoint;
  let cur: Current | undefined;
  /** The file read before the current one, once a rotation started. */
  let previous: { fileId: string; pos: number } | undefined;

  /** Reads `c` to its current end, yielding complete lines. */
  async function* drain(c: Current): AsyncGenerator<FollowBatch, void, undefined> {
    for (;;) {
      if (signal.aborted) return;
      const { bytesRead } = await c.fh.read(buf, 0, buf.length, c.pos);
      if (bytesRead === 0) break;
      c.pos += bytesRead;
      splitter.push(buf.subarray(0, bytesRead));
      for (let b = splitter.next(); b !== undefined; b = splitter.next()) yield { ...b, fileId: c.fileId };
    }
    const rest = splitter.flush(false);
    if (rest !== undefined) yield { ...rest, fileId: c.fileId };
  }

  try {
    while (!signal.aborted) {
      const st = await statOrMissing(path);
      if (st !== undefined && cur !== undefined && fileIdOf(st) === cur.fileId) {
        if (st.size < cur.pos) {
          opts.onTruncate?.({ path, fileId: cur.fileId, offset: cur.pos, size: st.size });
          cur.pos = 0;
          splitter.reset(0, 1);
        }
      } else if (st !== undefined) {
        // First open, or rotation: finish the old file before switching.
        if (cur !== undefined) {
          const old = cur;
          yield* drain(old);
          if (signal.aborted) return;
          const tail = splitter.flush(true);
          if (tail !== undefined) yield { ...tail, fileId: old.fileId };
          cur = undefined;
          previous = { fileId: old.fileId, pos: old.pos };
          await old.fh.close();
        }
        const next = await openOrMissing(path);
        if (next !== undefined) {
          cur = next.current;
          const start = startOf(next.current.fileId, next.size, previous, checkpoint);
          previous = undefined;
          checkpoint = undefined;
          cur.pos = start.offset;
          splitter.reset(start.offset, start.line + 1);
          if (start.rotated !== undefined) opts.onRotate?.({ path, ...start.rotated, toFileId: cur.fileId });
          if (start.truncated !== undefined) {
            opts.onTruncate?.({ path, fileId: cur.fileId, ...start.truncated });
          }
        }
      }
      if (cur !== undefined) yield* drain(cur);
      if (signal.aborted || !(await pause(pollMs, signal))) return;
    }
  } finally {
    await cur?.fh.close();
  }
}

interface Start {
  offset: number;
  line: number;
  rotated?: { fromFileId: string; fromOffset: number };
  truncated?: { offset: number; size: number };
}

/** Where to start in a newly opened file, given the file read before or the stored checkpoint. */
function startOf(
  fileId: string,
  size: number,
  old: { fileId: string; pos: number } | undefined,
  checkpoint: FollowCheckpoint | undefined,
): Start {
  if (old !== undefined)
    return { offset: 0, line: 0, rotated: { fromFileId: old.fileId, fromOffset: old.pos } };
  if (checkpoint === undefined) return { offset: 0, line: 0 };
  if (checkpoint.fileId !== fileId) {
    return { offset: 0, line: 0, rotated: { fromFileId: checkpoint.fileId, fromOffset: checkpoint.offset } };
  }
  if (size < checkpoint.offset) return { offset: 0, line: 0, truncated: { offset: checkpoint.offset, size } };
  return { offset: checkpoint.offset, line: checkpoint.line };
}

async function statOrMissing(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function openOrMissing(path: string): Promise<{ current: Current; size: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  try {
    // fstat, not the path's stat: the id must be that of the file actually opened.
    const st = await fh.stat();
    return { current: { fh, fileId: fileIdOf(st), pos: 0 }, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Waits `ms`; false when the signal aborted meanwhile. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
