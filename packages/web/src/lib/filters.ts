/**
 * The alerts filters: one shape for the form, the query of GET /api/v1/events, and the check of
 * events arriving on the live stream (so a filtered view only gains matching rows). Severity is a
 * minimum, as on the server; `q` is a case-insensitive substring of path, query, user agent or message.
 */
import { SEVERITIES, type SecurityEvent, type Severity } from './types';
import { rangeFrom } from './format';

export interface EventFilters {
  range: string;
  ip: string;
  class: string;
  rule: string;
  severity: string;
  action: string;
  kind: string;
  q: string;
}

export const EMPTY_FILTERS: EventFilters = {
  range: '24h',
  ip: '',
  class: '',
  rule: '',
  severity: '',
  action: '',
  kind: '',
  q: '',
};

const FILTER_KEYS = Object.keys(EMPTY_FILTERS) as Array<keyof EventFilters>;

/** Filters from a URL query (`?ip=…&class=…`), unknown keys ignored. */
export function filtersFromSearch(search: string): EventFilters {
  const p = new URLSearchParams(search);
  const out = { ...EMPTY_FILTERS };
  for (const k of FILTER_KEYS) {
    const v = p.get(k);
    if (v !== null) out[k] = v.slice(0, 200);
  }
  return out;
}

export function filtersToSearch(f: EventFilters): string {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k] !== '' && f[k] !== EMPTY_FILTERS[k]) p.set(k, f[k]);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/** The query of GET /api/v1/events for these filters. */
export function filtersToQuery(f: EventFilters, now: number): Record<string, string | number | undefined> {
  return {
    from: rangeFrom(f.range, now),
    ip: f.ip.trim() || undefined,
    class: f.class.trim() || undefined,
    rule: f.rule.trim() || undefined,
    severity: f.severity || undefined,
    action: f.action || undefined,
    kind: f.kind || undefined,
    q: f.q.trim() || undefined,
  };
}

const rank = (s: string): number => SEVERITIES.indexOf(s as Severity);

/** True when a streamed event belongs in the list under these filters. */
export function matchesFilters(e: SecurityEvent, f: EventFilters, now: number): boolean {
  const from = rangeFrom(f.range, now);
  if (from !== undefined && Date.parse(e.ts) < from) return false;
  if (f.ip.trim() && e.client.ip !== f.ip.trim()) return false;
  if (f.class.trim() && !e.findings.some((x) => x.class === f.class.trim())) return false;
  if (f.rule.trim() && !e.findings.some((x) => x.rule === f.rule.trim())) return false;
  if (f.severity && rank(e.severity) < rank(f.severity)) return false;
  if (f.action && e.action !== f.action) return false;
  if (f.kind && e.kind !== f.kind) return false;
  const q = f.q.trim().toLowerCase();
  if (q) {
    const h = e.http;
    const hay = [h?.path, h?.query, h?.user_agent, e.message].filter(Boolean).join('\n').toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

/** Prepends `incoming` to `rows` without duplicates (by id), keeping at most `max` rows. */
export function prependBounded<T extends { id: string }>(
  rows: readonly T[],
  incoming: readonly T[],
  max: number,
): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const r of [...incoming, ...rows]) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r);
    if (out.length >= max) break;
  }
  return out;
}
