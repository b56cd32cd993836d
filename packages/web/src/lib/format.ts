/** Display helpers: times (ISO or epoch ms) in the browser's zone, counts, byte sizes. */

export function toMs(t: string | number | null | undefined): number | undefined {
  if (t === null || t === undefined || t === '') return undefined;
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function fmtTime(t: string | number | null | undefined): string {
  const ms = toMs(t);
  return ms === undefined ? '—' : dateTime.format(ms);
}

export function fmtNum(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString() : '—';
}

export function fmtScore(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(3) : '—';
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Time ranges offered by the filters, as a look-back in ms (0 = no lower bound). */
export const RANGES: ReadonlyArray<{ id: string; label: string; ms: number }> = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { id: 'all', label: 'All time', ms: 0 },
];

export function rangeFrom(id: string, now: number): number | undefined {
  const r = RANGES.find((x) => x.id === id);
  return r && r.ms > 0 ? now - r.ms : undefined;
}
