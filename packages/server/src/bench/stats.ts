/** Small numeric helpers shared by the bench sections. */

/** The `q` quantile of ascending `sorted` (nearest rank, 0 when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** `x` rounded to `digits` decimals. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Bytes → MiB with one decimal. */
export function mib(bytes: number): number {
  return round(bytes / 1048576, 1);
}
