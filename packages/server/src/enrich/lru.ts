/**
 * A bounded least-recently-used map (a Map keeps insertion order: a hit is moved to the end, the
 * oldest entry is evicted from the front). Enrichment caches per-ip results in it so memory stays
 * bounded however many distinct clients arrive.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  #evicted = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`Lru max must be a positive integer: ${max}`);
  }

  get size(): number {
    return this.#map.size;
  }

  /** Entries pushed out because the map was full. */
  get evicted(): number {
    return this.#evicted;
  }

  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    if (this.#map.has(key)) this.#map.delete(key);
    else if (this.#map.size >= this.max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) {
        this.#map.delete(oldest.value);
        this.#evicted++;
      }
    }
    this.#map.set(key, value);
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
