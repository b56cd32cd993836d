/**
 * A set of 64-bit keys (the first 16 hex digits of a request key) in an open-addressing table of
 * 32-bit words: about 16 bytes per key, where a Set of strings would take ten times that. With
 * 64 bits two distinct requests share a slot with odds of about n²/2⁶⁵ (1e-8 for a million rows).
 */
import { PalisadeError } from '../errors.js';

export class SeenSet {
  #table: Uint32Array;
  #size = 0;

  constructor(
    readonly maxKeys: number,
    initialSlots = 1 << 12,
  ) {
    this.#table = new Uint32Array(initialSlots * 2);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds the key of `hex` (≥ 16 hex digits); false when it was already there. */
  add(hex: string): boolean {
    let hi = Number.parseInt(hex.slice(0, 8), 16) >>> 0;
    const lo = Number.parseInt(hex.slice(8, 16), 16) >>> 0;
    // (0, 0) marks an empty slot.
    if (hi === 0 && lo === 0) hi = 1;
    if (!this.#insert(this.#table, hi, lo)) return false;
    this.#size++;
    if (this.#size > this.maxKeys)
      throw new PalisadeError(
        'PAL_ERR_VALIDATION',
        `more than ${this.maxKeys} distinct rows; narrow the range`,
      );
    if (this.#size * 2 > this.#table.length / 2) this.#grow();
    return true;
  }

  #insert(t: Uint32Array, hi: number, lo: number): boolean {
    const slots = t.length / 2;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & (slots - 1);
    for (;;) {
      const h = t[2 * i]!;
      const l = t[2 * i + 1]!;
      if (h === 0 && l === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        return true;
      }
      if (h === hi && l === lo) return false;
      i = (i + 1) & (slots - 1);
    }
  }

  #grow(): void {
    const old = this.#table;
    const t = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2)
      if (old[i] !== 0 || old[i + 1] !== 0) this.#insert(t, old[i]!, old[i + 1]!);
    this.#table = t;
  }
}
