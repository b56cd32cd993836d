import { describe, expect, it } from 'vitest';
import {
  averagePathLength,
  buildIsolationForest,
  compileForest,
  forestScore,
  linkTree,
} from './isolation-forest.js';
import { createPrng } from './prng.js';

/** A seeded 2-D Gaussian cluster (Box-Muller). */
function cluster(n: number, seed: number): number[][] {
  const r = createPrng(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u));
    rows.push([m * Math.cos(2 * Math.PI * v), m * Math.sin(2 * Math.PI * v)]);
  }
  return rows;
}

describe('isolation forest', () => {
  it('c(n) matches the paper', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(10.2447, 3);
  });

  it('scores an outlier above every inlier', () => {
    const rows = cluster(1000, 3);
    const f = compileForest(buildIsolationForest(rows, { seed: 1, trees: 100 }));
    const inliers = rows.slice(0, 200).map((x) => forestScore(f, x));
    const outlier = forestScore(f, [8, 8]);
    expect(outlier).toBeGreaterThan(Math.max(...inliers));
    expect(outlier).toBeGreaterThan(0.6);
    expect(forestScore(f, [0, 0])).toBeLessThan(0.5);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const rows = cluster(500, 5);
    const a = JSON.stringify(buildIsolationForest(rows, { seed: 9, trees: 20 }));
    const b = JSON.stringify(buildIsolationForest(rows, { seed: 9, trees: 20 }));
    const c = JSON.stringify(buildIsolationForest(rows, { seed: 10, trees: 20 }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('isolates a value never seen in a constant feature only with the domain split', () => {
    // Feature 1 is zero in every training row: the plain algorithm cannot split on it.
    const rows = cluster(600, 7).map(([x]) => [x!, 0]);
    const opts = { seed: 2, trees: 100, minDomain: [0, 1] };
    const domain = compileForest(buildIsolationForest(rows, opts));
    const plain = compileForest(buildIsolationForest(rows, { ...opts, domainSplit: false }));
    const novel = [0, 1];
    const usual = [0, 0];
    expect(forestScore(plain, novel)).toBe(forestScore(plain, usual));
    expect(forestScore(domain, novel)).toBeGreaterThan(forestScore(domain, usual) + 0.1);
  });

  it('rejects malformed tree layouts', () => {
    expect(linkTree({ f: [], s: [] })).toMatch(/no nodes/);
    expect(linkTree({ f: [0, -1], s: [0.5, 3] })).toMatch(/ends inside/);
    expect(linkTree({ f: [-1, -1], s: [3, 3] })).toMatch(/after its end/);
    expect(linkTree({ f: [0, -1, 1, -1, -1], s: [0.5, 1, 0.2, 1, 1] })).toEqual(
      new Int32Array([2, 0, 4, 0, 0]),
    );
    expect(() => compileForest({ dims: 1, sampleSize: 4, trees: [{ f: [0], s: [1] }] })).toThrow(/tree 0/);
  });

  it('refuses empty or ragged input', () => {
    expect(() => buildIsolationForest([], { seed: 1 })).toThrow(/at least one row/);
    expect(() => buildIsolationForest([[1, 2], [1]], { seed: 1 })).toThrow(/differ in length/);
    expect(() => buildIsolationForest([[1, NaN]], { seed: 1 })).toThrow(/non-finite/);
  });
});
