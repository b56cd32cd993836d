import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';
import type { LineBatch } from './line-splitter.js';

/** Feeds `data` in pieces cut at `cuts` and collects every batch (flush at EOF). */
function split(data: Buffer, cuts: number[], opts: ConstructorParameters<typeof LineSplitter>[0] = {}) {
  const s = new LineSplitter(opts);
  const batches: LineBatch[] = [];
  let prev = 0;
  for (const c of [...cuts.filter((c) => c > 0 && c < data.length).sort((a, b) => a - b), data.length]) {
    s.push(data.subarray(prev, c));
    for (let b = s.next(); b !== undefined; b = s.next()) batches.push(b);
    prev = c;
  }
  const last = s.flush(true);
  if (last !== undefined) batches.push(last);
  return batches;
}

/** The obvious reference: split the whole buffer at once. */
function reference(data: Buffer, maxLineBytes: number) {
  const lines: string[] = [];
  const tooLong: number[] = [];
  const ends: number[] = [];
  let start = 0;
  while (start < data.length) {
    const nl = data.indexOf(0x0a, start);
    const end = nl === -1 ? data.length : nl;
    let len = end - start;
    if (len > 0 && data[end - 1] === 0x0d) len--;
    if (len > maxLineBytes) {
      lines.push('');
      tooLong.push(lines.length);
    } else {
      let t = data.toString('utf8', start, start + len);
      if (start === 0 && t.startsWith('\uFEFF')) t = t.slice(1);
      lines.push(t);
    }
    start = nl === -1 ? data.length : nl + 1;
    ends.push(start);
  }
  return { lines, tooLong, ends };
}

describe('LineSplitter', () => {
  it('matches a whole-buffer split for any chunking, limits and content', () => {
    const byte = fc.constantFrom(
      0x0a,
      0x0d,
      0x61,
      0x20,
      0xc3,
      0xa9,
      0xe2,
      0x82,
      0xac,
      0xff,
      0xef,
      0xbb,
      0xbf,
    );
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 300 }),
        fc.array(fc.nat(300), { maxLength: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        (bytes, cuts, maxLineBytes, maxBatchLines) => {
          const data = Buffer.from(bytes);
          const batches = split(data, cuts, { maxLineBytes, maxBatchLines });
          const ref = reference(data, maxLineBytes);
          expect(batches.flatMap((b) => b.lines)).toEqual(ref.lines);
          expect(batches.flatMap((b) => b.tooLong)).toEqual(ref.tooLong);
          let next = 1;
          for (const b of batches) {
            expect(b.firstLine).toBe(next);
            expect(b.lines.length).toBeGreaterThan(0);
            expect(b.lines.length).toBeLessThanOrEqual(maxBatchLines);
            next += b.lines.length;
            expect(b.endOffset).toBe(ref.ends[next - 2]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps a line of exactly maxLineBytes, CRLF or not, and skips one byte more', () => {
    const data = Buffer.from('abcd\r\nabcd\nabcde\nabcde\r\n');
    const [b] = split(data, [], { maxLineBytes: 4 });
    expect(b).toEqual({
      lines: ['abcd', 'abcd', '', ''],
      firstLine: 1,
      endOffset: data.length,
      tooLong: [3, 4],
    });
  });

  it('starts at a given offset and line number and holds a partial line until flushed at EOF', () => {
    const s = new LineSplitter({ offset: 100, firstLine: 10 });
    s.push(Buffer.from('one\ntw'));
    expect(s.next()).toBeUndefined();
    expect(s.heldBytes).toBe(2);
    expect(s.flush(false)).toEqual({ lines: ['one'], firstLine: 10, endOffset: 104, tooLong: [] });
    expect(s.offset).toBe(104);
    expect(s.flush(true)).toEqual({ lines: ['tw'], firstLine: 11, endOffset: 106, tooLong: [] });
    expect(s.flush(true)).toBeUndefined();
  });

  it('closes a batch at maxBatchBytes', () => {
    const data = Buffer.from('aaaa\nbbbb\ncccc\n');
    const batches = split(data, [], { maxBatchBytes: 8 });
    expect(batches.map((b) => b.lines)).toEqual([['aaaa', 'bbbb'], ['cccc']]);
    expect(batches.map((b) => b.endOffset)).toEqual([10, 15]);
  });

  it('refuses a chunk before the previous one is consumed, and zero limits', () => {
    const s = new LineSplitter({ maxBatchLines: 1 });
    s.push(Buffer.from('a\nb\n'));
    expect(s.next()?.lines).toEqual(['a']);
    expect(() => s.push(Buffer.from('c\n'))).toThrow(/not consumed/);
    expect(() => new LineSplitter({ maxLineBytes: 0 })).toThrow(RangeError);
  });
});
