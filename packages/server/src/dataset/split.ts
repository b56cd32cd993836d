/**
 * The train/test split: each row gets a seeded hash of its request key, a number in [0, 1). Within
 * each stratum (label + class) the rows with the smallest hashes, round(n × test share) of them,
 * go to test: so every stratum is split in the asked proportion (a stratum of two or more rows
 * keeps at least one row on each side), and the same data with the same seed always splits the
 * same way. When rows are added, only rows near their stratum's boundary can change side.
 */
import { createHash } from 'node:crypto';
import { PalisadeError } from '../errors.js';

export interface SplitRatio {
  train: number;
  test: number;
}

/** Parses `80/20` (two whole percentages adding up to 100; the test share may be 0). */
export function parseSplit(v: string): SplitRatio {
  const m = /^(\d{1,3})\/(\d{1,3})$/.exec(v);
  const train = m ? Number(m[1]) : NaN;
  const test = m ? Number(m[2]) : NaN;
  if (!m || train + test !== 100 || train === 0)
    throw new PalisadeError(
      'PAL_ERR_CLI_USAGE',
      `--split must be TRAIN/TEST percentages adding to 100, e.g. 80/20`,
    );
  return { train, test };
}

/** The seeded hash of a request key as a number in [0, 1) (48 bits). */
export function splitUnit(seed: number, key: string): number {
  const d = createHash('sha256').update(`split:${seed}:${key}`).digest();
  return d.readUIntBE(0, 6) / 2 ** 48;
}

/** How many of a stratum's `n` rows go to test. */
export function testCount(n: number, ratio: SplitRatio): number {
  if (ratio.test === 0 || n === 0) return 0;
  const k = Math.round((n * ratio.test) / 100);
  if (n < 2) return k;
  return Math.min(n - 1, Math.max(1, k));
}

/** Collects the hashes per stratum (pass one), then answers test or train per row (pass two). */
export class StratifiedSplit {
  readonly #units = new Map<string, { a: Float64Array; n: number }>();
  #thresholds: Map<string, number> | undefined;

  constructor(
    readonly ratio: SplitRatio,
    readonly seed: number,
  ) {}

  add(stratum: string, key: string): void {
    let s = this.#units.get(stratum);
    if (!s) this.#units.set(stratum, (s = { a: new Float64Array(64), n: 0 }));
    if (s.n === s.a.length) {
      const a = new Float64Array(s.a.length * 2);
      a.set(s.a);
      s.a = a;
    }
    s.a[s.n++] = splitUnit(this.seed, key);
  }

  /** Fixes the per-stratum boundaries; call once after pass one. */
  seal(): void {
    this.#thresholds = new Map();
    for (const [stratum, s] of this.#units) {
      const sorted = s.a.subarray(0, s.n).sort();
      const k = testCount(s.n, this.ratio);
      this.#thresholds.set(stratum, k === 0 ? -1 : sorted[k - 1]!);
    }
    this.#units.clear();
  }

  assign(stratum: string, key: string): 'train' | 'test' {
    if (!this.#thresholds) throw new Error('StratifiedSplit.assign before seal');
    const t = this.#thresholds.get(stratum) ?? -1;
    return splitUnit(this.seed, key) <= t ? 'test' : 'train';
  }
}
