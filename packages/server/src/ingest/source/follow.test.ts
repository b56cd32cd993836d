import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../errors.js';
import { checkpointAfter, fileIdOf, followFile } from './follow.js';
import type { FollowBatch, FollowOptions, RotateInfo, TruncateInfo } from './follow.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const freshPath = () => join(dir, `f${++n}.log`);

/** Polls `cond` until it holds; the bound is generous because CI machines stall. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Runs followFile in the background, recording batches and callbacks. */
function follow(path: string, opts: Partial<FollowOptions> = {}) {
  const ac = new AbortController();
  const batches: FollowBatch[] = [];
  const rotations: RotateInfo[] = [];
  const truncations: TruncateInfo[] = [];
  const done = (async () => {
    for await (const b of followFile(path, {
      pollMs: 5,
      onRotate: (i) => rotations.push(i),
      onTruncate: (i) => truncations.push(i),
      ...opts,
      signal: ac.signal,
    })) {
      batches.push(b);
    }
  })();
  const lines = () => batches.flatMap((b) => b.lines);
  /** [line number, text] of everything read. */
  const numbered = () => batches.flatMap((b) => b.lines.map((l, i) => [b.firstLine + i, l] as const));
  return {
    batches,
    rotations,
    truncations,
    lines,
    numbered,
    waitLines: (count: number) => waitFor(() => lines().length >= count, `${count} lines`),
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

describe('followFile', () => {
  it('reads the file, then lines appended later, with exact offsets', async () => {
    const p = freshPath();
    writeFileSync(p, 'a\nb\n');
    const f = follow(p);
    await f.waitLines(2);
    appendFileSync(p, 'c\r\n\nd\n');
    await f.waitLines(5);
    await f.stop();
    expect(f.numbered()).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, ''],
      [5, 'd'],
    ]);
    expect(f.batches.at(-1)?.endOffset).toBe(statSync(p).size);
    expect(new Set(f.batches.map((b) => b.fileId))).toEqual(new Set([fileIdOf(statSync(p))]));
  });

  it('holds a partial last line until its newline arrives', async () => {
    const p = freshPath();
    writeFileSync(p, 'first\npar');
    const f = follow(p);
    await f.waitLines(1);
    // Give the follower many polls to (wrongly) emit the partial line.
    await sleep(100);
    appendFileSync(p, 'tial\nnext\n');
    await f.waitLines(3);
    await f.stop();
    expect(f.lines()).toEqual(['first', 'partial', 'next']);
    expect(f.batches[0]?.endOffset).toBe(6);
  });

  it('restarts at 0 when the file is truncated, numbering from 1 again', async () => {
    const p = freshPath();
    writeFileSync(p, 'old 1\nold 2\nold 3\n');
    const f = follow(p);
    await f.waitLines(3);
    truncateSync(p, 0);
    await waitFor(() => f.truncations.length === 1, 'truncation');
    appendFileSync(p, 'new 1\n');
    await f.waitLines(4);
    await f.stop();
    expect(f.truncations).toEqual([{ path: p, fileId: fileIdOf(statSync(p)), offset: 18, size: 0 }]);
    expect(f.numbered().slice(3)).toEqual([[1, 'new 1']]);
    expect(f.batches.at(-1)?.endOffset).toBe(6);
  });

  it('follows a rename+create rotation without losing lines written to the old file after the rename', async () => {
    const p = freshPath();
    writeFileSync(p, 'a1\na2\n');
    const oldId = fileIdOf(statSync(p));
    const f = follow(p);
    await f.waitLines(2);
    renameSync(p, `${p}.1`);
    // The daemon has not reopened yet: it still writes to the renamed file, the last line unfinished.
    appendFileSync(`${p}.1`, 'a3\na4 unfinished');
    writeFileSync(p, 'b1\nb2\n');
    const newId = fileIdOf(statSync(p));
    await f.waitLines(6);
    appendFileSync(p, 'b3\n');
    await f.waitLines(7);
    await f.stop();
    expect(f.lines()).toEqual(['a1', 'a2', 'a3', 'a4 unfinished', 'b1', 'b2', 'b3']);
    expect(f.numbered().slice(4)).toEqual([
      [1, 'b1'],
      [2, 'b2'],
      [3, 'b3'],
    ]);
    expect(f.rotations).toEqual([{ path: p, fromFileId: oldId, fromOffset: 22, toFileId: newId }]);
    const oldBatches = f.batches.filter((b) => b.fileId === oldId);
    expect(oldBatches.at(-1)?.endOffset).toBe(22);
    expect(f.batches.filter((b) => b.fileId === newId).at(-1)?.endOffset).toBe(9);
  });

  it('keeps reading the old file while the path is missing after a rename', async () => {
    const p = freshPath();
    writeFileSync(p, 'x1\n');
    const f = follow(p);
    await f.waitLines(1);
    renameSync(p, `${p}.1`);
    appendFileSync(`${p}.1`, 'x2\n');
    await f.waitLines(2);
    writeFileSync(p, 'y1\n');
    await f.waitLines(3);
    await f.stop();
    expect(f.lines()).toEqual(['x1', 'x2', 'y1']);
    expect(f.rotations).toHaveLength(1);
  });

  it('waits for a file that does not exist yet', async () => {
    const p = freshPath();
    const f = follow(p);
    await sleep(30);
    writeFileSync(p, 'hello\n');
    await f.waitLines(1);
    await f.stop();
    expect(f.numbered()).toEqual([[1, 'hello']]);
    expect(f.rotations).toEqual([]);
  });

  it('resumes from a checkpoint while a writer appends, neither losing nor repeating a line', async () => {
    const p = freshPath();
    writeFileSync(p, '');
    const expected = Array.from({ length: 600 }, (_, i) => `event ${i + 1} ${'x'.repeat(i % 13)}`);
    const writer = (async () => {
      for (const [i, line] of expected.entries()) {
        appendFileSync(p, `${line}\n`);
        if (i % 20 === 0) await sleep(1);
      }
    })();
    const first = follow(p, { maxBatchLines: 7 });
    await first.waitLines(150);
    await first.stop();
    // The last batch counted as processed: the ones after it are read again by design.
    const kept = first.batches.slice(0, first.batches.length - 2);
    const cp = checkpointAfter(kept.at(-1)!);
    const second = follow(p, { checkpoint: cp, maxBatchLines: 7 });
    await writer;
    await second.waitLines(expected.length - cp.line);
    await second.stop();
    const union = [...kept.flatMap((b) => b.lines), ...second.lines()];
    expect(union).toEqual(expected);
    expect(second.batches[0]?.firstLine).toBe(cp.line + 1);
    expect([...first.numbered().slice(0, cp.line), ...second.numbered()].map(([no]) => no)).toEqual(
      expected.map((_, i) => i + 1),
    );
    expect(second.rotations).toEqual([]);
    expect(second.truncations).toEqual([]);
  });

  it('starts at 0 of the new file when the checkpoint names a file rotated away while down', async () => {
    const p = freshPath();
    writeFileSync(p, 'old\n');
    const oldId = fileIdOf(statSync(p));
    renameSync(p, `${p}.1`);
    writeFileSync(p, 'new 1\nnew 2\n');
    const f = follow(p, { checkpoint: { fileId: oldId, offset: 4, line: 1 } });
    await f.waitLines(2);
    await f.stop();
    expect(f.numbered()).toEqual([
      [1, 'new 1'],
      [2, 'new 2'],
    ]);
    expect(f.rotations).toEqual([
      { path: p, fromFileId: oldId, fromOffset: 4, toFileId: fileIdOf(statSync(p)) },
    ]);
  });

  it('starts at 0 when the checkpoint lies past the end of its file (truncated while down)', async () => {
    const p = freshPath();
    writeFileSync(p, 'short\n');
    const id = fileIdOf(statSync(p));
    const f = follow(p, { checkpoint: { fileId: id, offset: 500, line: 40 } });
    await f.waitLines(1);
    await f.stop();
    expect(f.numbered()).toEqual([[1, 'short']]);
    expect(f.truncations).toEqual([{ path: p, fileId: id, offset: 500, size: 6 }]);
  });

  it('reports an over-long line by number and keeps following', async () => {
    const p = freshPath();
    writeFileSync(p, `ok\n${'L'.repeat(5000)}`);
    const f = follow(p, { maxLineBytes: 100 });
    await f.waitLines(1);
    appendFileSync(p, `${'L'.repeat(5000)}\nafter\n`);
    await f.waitLines(3);
    await f.stop();
    expect(f.lines()).toEqual(['ok', '', 'after']);
    expect(f.batches.flatMap((b) => b.tooLong)).toEqual([2]);
    expect(f.batches.at(-1)?.endOffset).toBe(3 + 10_001 + 6);
  });

  it('ends quietly when aborted while waiting for a missing file', async () => {
    const f = follow(freshPath());
    await sleep(20);
    await f.stop();
    expect(f.batches).toEqual([]);
  });

  it('refuses a gzip path', async () => {
    const it = followFile(join(dir, 'x.log.gz'), { signal: new AbortController().signal });
    await expect(it.next()).rejects.toThrow(PalisadeError);
  });
});
