/** Seeded helpers over the demo's mulberry32 (deterministic for a seed; not for secrets). */
import { mulberry32 } from '../../demo/prng.js';

export interface Rng {
  /** [0, 1) */
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function createRng(seed: number): Rng {
  const u32 = mulberry32(seed);
  const next = () => u32() / 2 ** 32;
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}
