/**
 * The simulator's seeded random source: the demo's mulberry32 with the helpers generators need. Every
 * choice the simulator makes goes through one Rng, so one seed fixes the whole request sequence.
 */
import { mulberry32 } from '../demo/prng.js';

/** Public /8 networks the simulated clients come from (no private, reserved or documentation space). */
const PUBLIC_FIRST_OCTETS = [
  2, 5, 23, 31, 37, 41, 45, 46, 62, 77, 78, 79, 81, 82, 85, 86, 89, 91, 93, 94, 95, 102, 103, 105, 109, 112,
  113, 116, 118, 121, 125, 154, 176, 177, 178, 181, 185, 186, 188, 190, 191, 193, 194, 195, 196, 197, 200,
  201, 212, 213, 217,
];

/** A seeded random source (not for secrets). */
export class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.#next() / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)]!;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }

  /** `n` characters from `alphabet`. */
  chars(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.float() * alphabet.length)];
    return s;
  }

  /** `n` random bytes (four per draw: high-entropy blobs stay cheap). */
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.#next();
      b[i] = v & 255;
      if (i + 1 < n) b[i + 1] = (v >>> 8) & 255;
      if (i + 2 < n) b[i + 2] = (v >>> 16) & 255;
      if (i + 3 < n) b[i + 3] = v >>> 24;
    }
    return b;
  }

  /** A public IPv4 address. */
  ipv4(): string {
    return `${this.pick(PUBLIC_FIRST_OCTETS)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }

  /** A derived, independent source (a scenario or a session keeps its own stream). */
  fork(): Rng {
    return new Rng(this.#next());
  }
}

/** `n` distinct public IPv4 addresses. */
export function addressPool(rng: Rng, n: number): string[] {
  const seen = new Set<string>();
  while (seen.size < n) seen.add(rng.ipv4());
  return [...seen];
}
