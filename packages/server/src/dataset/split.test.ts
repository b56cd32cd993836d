import { describe, expect, it } from 'vitest';
import { parseSplit, splitUnit, StratifiedSplit, testCount } from './split.js';
import { SeenSet } from './seen-set.js';
import { normaliseQuery, requestKey } from './request-key.js';

const keys = (n: number, p = 'k') =>
  Array.from({ length: n }, (_, i) => requestKey('GET', `/${p}${i}`, null, ''));

function splitAll(strata: Record<string, string[]>, seed: number, test = 20) {
  const s = new StratifiedSplit({ train: 100 - test, test }, seed);
  for (const [st, ks] of Object.entries(strata)) for (const k of ks) s.add(st, k);
  s.seal();
  const out = new Map<string, 'train' | 'test'>();
  for (const [st, ks] of Object.entries(strata)) for (const k of ks) out.set(k, s.assign(st, k));
  return out;
}

describe('split', () => {
  it('parses TRAIN/TEST and refuses anything else', () => {
    expect(parseSplit('80/20')).toEqual({ train: 80, test: 20 });
    expect(parseSplit('100/0')).toEqual({ train: 100, test: 0 });
    for (const bad of ['80/30', '0/100', '80', '80:20', '-10/110', ' 80/20'])
      expect(() => parseSplit(bad), bad).toThrow(/--split/);
  });

  it('puts round(n × share) of each stratum in test, at least one of each side from two rows', () => {
    expect([0, 1, 2, 3, 10, 11, 101].map((n) => testCount(n, { train: 80, test: 20 }))).toEqual([
      0, 0, 1, 1, 2, 2, 20,
    ]);
    expect(testCount(5, { train: 100, test: 0 })).toBe(0);
    const strata = {
      'attack/sqli': keys(101, 's'),
      'attack/xss': keys(7, 'x'),
      benign: keys(1000, 'b'),
      'attack/rare': keys(2, 'r'),
    };
    const out = splitAll(strata, 1);
    for (const [st, ks] of Object.entries(strata)) {
      const t = ks.filter((k) => out.get(k) === 'test').length;
      expect(t, st).toBe(testCount(ks.length, { train: 80, test: 20 }));
    }
  });

  it('is stable for a seed, differs between seeds, and barely moves when rows are added', () => {
    const base = { a: keys(500, 'a') };
    const one = splitAll(base, 7);
    expect(splitAll(base, 7)).toEqual(one);
    const other = splitAll(base, 8);
    const moved = [...one].filter(([k, v]) => other.get(k) !== v).length;
    expect(moved).toBeGreaterThan(50);
    const grown = splitAll({ a: [...base.a, ...keys(50, 'new')] }, 7);
    const changed = base.a.filter((k) => grown.get(k) !== one.get(k)).length;
    expect(changed).toBeLessThan(15);
  });

  it('hashes into [0, 1) evenly', () => {
    const us = keys(5000).map((k) => splitUnit(3, k));
    expect(Math.min(...us)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...us)).toBeLessThan(1);
    expect(us.filter((u) => u < 0.2).length / us.length).toBeGreaterThan(0.17);
    expect(us.filter((u) => u < 0.2).length / us.length).toBeLessThan(0.23);
  });
});

describe('request keys and the seen set', () => {
  it('keys equal requests equally however they were encoded', () => {
    expect(normaliseQuery('b=2&a=x%20y')).toBe(normaliseQuery('a=x+y&b=2'));
    expect(requestKey('get', '/d%75p', 'a=1', '')).toBe(requestKey('GET', '/dup', 'a=1', ''));
    expect(requestKey('GET', '/a', 'q=%zz', '')).toBe(requestKey('GET', '/a', 'q=%zz', ''));
    expect(requestKey('POST', '/a', null, 'h1')).not.toBe(requestKey('POST', '/a', null, 'h2'));
    expect(requestKey('GET', '/a', 'x=1', '')).not.toBe(requestKey('POST', '/a', 'x=1', ''));
  });

  it('remembers keys across growth and enforces its limit', () => {
    const s = new SeenSet(100_000, 4);
    const ks = keys(20_000);
    for (const k of ks) expect(s.add(k)).toBe(true);
    for (const k of ks) expect(s.add(k)).toBe(false);
    expect(s.size).toBe(20_000);
    expect(s.add('0000000000000000')).toBe(true);
    expect(s.add('0000000000000000')).toBe(false);
    const small = new SeenSet(3);
    for (const k of keys(3)) small.add(k);
    expect(() => small.add(keys(4)[3]!)).toThrow(/more than 3 distinct rows/);
  });
});
