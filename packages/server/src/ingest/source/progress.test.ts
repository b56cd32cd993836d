import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';
import type { ProgressStream } from './progress.js';

const MIB = 1024 * 1024;

function terminal(isTTY: boolean, columns = 120): ProgressStream & { out: string[] } {
  const out: string[] = [];
  return { isTTY, columns, out, write: (t: string) => out.push(t) };
}

/** A fake clock (the only fake allowed in tests). */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createProgress', () => {
  it('writes nothing when the stream is not a TTY', () => {
    const s = terminal(false);
    const p = createProgress({ label: 'auth.log', totalBytes: 10, stream: s });
    p.update(5, 1);
    p.done();
    expect(s.out).toEqual([]);
  });

  it('draws a bar with percentage, sizes, lines and rate, redrawing in place', () => {
    const s = terminal(true);
    const c = clock();
    const p = createProgress({ label: 'auth.log', totalBytes: 40 * MIB, stream: s, now: c.now });
    c.advance(2000);
    p.update(10 * MIB, 123_456);
    expect(s.out).toEqual([
      '\rauth.log  [#####...............] 25%  10.0/40.0 MiB  123,456 lines  5.0 MiB/s\x1b[K',
    ]);
  });

  it('redraws at most every 100 ms, and done() draws the final totals and ends the line', () => {
    const s = terminal(true);
    const c = clock();
    const p = createProgress({ label: 'stdin', stream: s, now: c.now });
    p.update(1, 1);
    c.advance(50);
    p.update(2, 2);
    c.advance(50);
    p.update(3 * MIB, 3);
    expect(s.out).toHaveLength(2);
    expect(s.out[1]).toContain('3.0 MiB  3 lines');
    c.advance(10);
    p.update(4 * MIB, 4);
    p.done();
    expect(s.out).toHaveLength(4);
    expect(s.out[2]).toContain('4.0 MiB  4 lines');
    expect(s.out[3]).toBe('\n');
    p.update(5, 5);
    p.done();
    expect(s.out).toHaveLength(4);
  });

  it('fits the line to the terminal width', () => {
    const s = terminal(true, 30);
    const p = createProgress({
      label: 'a-very-long-file-name-that-does-not-fit.log',
      stream: s,
      now: () => 0,
    });
    p.update(0, 0);
    expect(s.out[0]).toBe(`\r${'a-very-long-file-name-that-does-not-fit.log'.slice(0, 29)}\x1b[K`);
  });
});
