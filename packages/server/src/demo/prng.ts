import { createPrng } from '@palisade/engine';

/**
 * The engine's seeded PRNG (mulberry32) as 32-bit integers: reproducible demo traffic and test
 * samples. Not for secrets.
 */
export function mulberry32(seed: number): () => number {
  const next = createPrng(seed);
  return () => next() * 4294967296;
}
