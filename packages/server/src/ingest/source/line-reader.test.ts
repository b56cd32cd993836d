import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readLines } from './line-reader.js';
import type { LineBatch, ReadLinesOptions } from './line-reader.js';
import { MAX_LINE_BYTES } from './line-splitter.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer, name = `f${++n}.log`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function collect(input: Readable | string, opts?: ReadLinesOptions): Promise<LineBatch[]> {
  const out: LineBatch[] = [];
  for await (const b of readLines(input, opts)) out.push(b);
  return out;
}

const allLines = (bs: LineBatch[]) => bs.flatMap((b) => b.lines);

describe('readLines from a file', () => {
  it('numbers every line from 1, empty ones included, with the exact end offset', async () => {
    const bs = await collect(file('a\n\nb\n\n'));
    expect(bs).toEqual([{ lines: ['a', '', 'b', ''], firstLine: 1, endOffset: 6, tooLong: [] }]);
  });

  it('strips CRLF and counts both bytes in offsets', async () => {
    const bs = await collect(file('GET /\r\n\r\nPOST /x\r\n'), { maxBatchLines: 2 });
    expect(bs).toEqual([
      { lines: ['GET /', ''], firstLine: 1, endOffset: 9, tooLong: [] },
      { lines: ['POST /x'], firstLine: 3, endOffset: 18, tooLong: [] },
    ]);
  });

  it('emits a last line without newline at the end of the file', async () => {
    const bs = await collect(file('one\ntwo'));
    expect(bs).toEqual([{ lines: ['one', 'two'], firstLine: 1, endOffset: 7, tooLong: [] }]);
  });

  it('yields nothing for an empty file', async () => {
    expect(await collect(file(''))).toEqual([]);
  });

  it('decodes UTF-8 per line (invalid bytes → U+FFFD) and drops a leading BOM', async () => {
    const data = Buffer.concat([
      Buffer.from('\uFEFFcafé\n'),
      Buffer.from([0x61, 0xff, 0x62, 0x0a]),
      Buffer.from('€\n'),
    ]);
    expect(allLines(await collect(file(data)))).toEqual(['café', 'a\uFFFDb', '€']);
  });

  it('batches at 1000 lines with end offsets on line boundaries, and resumes from each', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => `line ${i + 1} ${'x'.repeat(i % 7)}`);
    const text = lines.join('\n') + '\n';
    const p = file(text);
    const bs = await collect(p);
    expect(bs.map((b) => [b.firstLine, b.lines.length])).toEqual([
      [1, 1000],
      [1001, 1000],
      [2001, 500],
    ]);
    expect(allLines(bs)).toEqual(lines);
    for (const b of bs) {
      const before = lines.slice(0, b.firstLine - 1 + b.lines.length);
      expect(b.endOffset).toBe(Buffer.byteLength(before.join('\n') + '\n'));
      const rest = await collect(p, { startOffset: b.endOffset, firstLine: b.firstLine + b.lines.length });
      expect(allLines(rest)).toEqual(lines.slice(b.firstLine - 1 + b.lines.length));
      if (rest[0] !== undefined) expect(rest[0].firstLine).toBe(b.firstLine + b.lines.length);
    }
  });

  it('closes a batch at about 1 MiB', async () => {
    const line = 'y'.repeat(100 * 1024);
    const bs = await collect(file(`${line}\n`.repeat(25)));
    expect(bs.map((b) => b.lines.length)).toEqual([11, 11, 3]);
  });

  it('skips a 10 MB line, reports its number and keeps the lines around it', async () => {
    const p = file(`before\n${'z'.repeat(10_000_000)}\r\nafter\n`);
    const bs = await collect(p);
    expect(allLines(bs)).toEqual(['before', '', 'after']);
    expect(bs.flatMap((b) => b.tooLong)).toEqual([2]);
    expect(bs.at(-1)?.endOffset).toBe(7 + 10_000_002 + 6);
  });

  it('honours maxLineBytes, also for a final line without newline', async () => {
    const bs = await collect(file('short\nlonger line\nok\ntoo long at end'), { maxLineBytes: 8 });
    expect(bs).toEqual([{ lines: ['short', '', 'ok', ''], firstLine: 1, endOffset: 36, tooLong: [2, 4] }]);
  });

  it('refuses a negative start offset', async () => {
    await expect(collect(file('a\n'), { startOffset: -1 })).rejects.toThrow(RangeError);
  });
});

describe('readLines with gzip', () => {
  const text = Array.from({ length: 3000 }, (_, i) => `event ${i}`).join('\n') + '\n';
  const lines = text.split('\n').slice(0, -1);

  it('gunzips a .gz path; offsets count decompressed bytes', async () => {
    const bs = await collect(file(gzipSync(text), 'auth.log.gz'));
    expect(allLines(bs)).toEqual(lines);
    expect(bs.at(-1)?.endOffset).toBe(Buffer.byteLength(text));
  });

  it('recognises gzip by its magic bytes without the extension, and resumes at a decompressed offset', async () => {
    const p = file(gzipSync(text), 'rotated.1');
    const first = await collect(p);
    const b = first[0]!;
    const rest = await collect(p, { startOffset: b.endOffset, firstLine: 1001 });
    expect(rest[0]?.firstLine).toBe(1001);
    expect(allLines(rest)).toEqual(lines.slice(1000));
  });

  it('reads concatenated gzip members (logrotate delaycompress + cat)', async () => {
    const p = file(Buffer.concat([gzipSync('a\nb\n'), gzipSync('c\n')]), 'multi.gz');
    expect(allLines(await collect(p))).toEqual(['a', 'b', 'c']);
  });

  it('gunzips a Readable whose first chunk is a single byte', async () => {
    const gz = gzipSync(text);
    const stream = Readable.from([gz.subarray(0, 1), gz.subarray(1, 5000), gz.subarray(5000)]);
    expect(allLines(await collect(stream))).toEqual(lines);
  });

  it('throws on a corrupt gzip file', async () => {
    const gz = gzipSync(text);
    await expect(collect(file(gz.subarray(0, gz.length - 20), 'cut.gz'))).rejects.toThrow(/end of file/);
  });
});

describe('readLines from a stream (stdin)', () => {
  it('joins lines split across chunks, even inside a UTF-8 character or a CRLF', async () => {
    const data = Buffer.from('héllo\r\nwörld\r\nlast');
    const chunks = [data.subarray(0, 2), data.subarray(2, 7), data.subarray(7, 8), data.subarray(8)];
    const bs = await collect(Readable.from(chunks));
    expect(allLines(bs)).toEqual(['héllo', 'wörld', 'last']);
    expect(bs.map((b) => [b.firstLine, b.endOffset])).toEqual([
      [1, 8],
      [2, 16],
      [3, 20],
    ]);
  });

  it('accepts string chunks (a stream with setEncoding)', async () => {
    expect(allLines(await collect(Readable.from(['a\nb', '\nc\n'])))).toEqual(['a', 'b', 'c']);
  });

  it('skips startOffset bytes of a stream and keeps offsets absolute', async () => {
    const bs = await collect(Readable.from([Buffer.from('one\ntwo\nthree\n')]), {
      startOffset: 4,
      firstLine: 2,
    });
    expect(bs).toEqual([{ lines: ['two', 'three'], firstLine: 2, endOffset: 14, tooLong: [] }]);
  });

  it('skips a 256 MiB line from a stream without buffering it', async () => {
    const piece = Buffer.alloc(1024 * 1024, 0x41);
    let peakGrowth = 0;
    const base = process.memoryUsage().arrayBuffers;
    async function* source() {
      yield Buffer.from('first\n');
      for (let i = 0; i < 256; i++) {
        // The same buffer every time: any growth is the reader's own buffering.
        yield piece;
        peakGrowth = Math.max(peakGrowth, process.memoryUsage().arrayBuffers - base);
      }
      yield Buffer.from('\nlast\n');
    }
    const bs = await collect(Readable.from(source(), { objectMode: false }));
    expect(allLines(bs)).toEqual(['first', '', 'last']);
    expect(bs.flatMap((b) => b.tooLong)).toEqual([2]);
    expect(bs.at(-1)?.endOffset).toBe(6 + 256 * 1024 * 1024 + 6);
    expect(peakGrowth).toBeLessThan(4 * MAX_LINE_BYTES + 16 * 1024 * 1024);
  });

  it('ends quietly when aborted while waiting for input, destroying the stream', async () => {
    const stdin = new PassThrough();
    const ac = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const b of readLines(stdin, { signal: ac.signal })) {
        seen.push(...b.lines);
        ac.abort();
      }
    })();
    stdin.write('x\ny\n');
    await run;
    expect(seen).toEqual(['x', 'y']);
    expect(stdin.destroyed).toBe(true);
  });

  it('returns at once for an already aborted signal', async () => {
    expect(await collect(file('a\n'), { signal: AbortSignal.abort() })).toEqual([]);
  });
});
