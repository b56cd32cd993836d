/** Alerts filters: URL round trip, the events query, and which streamed events join the list. */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_FILTERS,
  filtersFromSearch,
  filtersToQuery,
  filtersToSearch,
  matchesFilters,
  prependBounded,
} from './filters';
import type { SecurityEvent } from './types';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const ev = (over: Partial<SecurityEvent> = {}): SecurityEvent => ({
  id: 'e1',
  ts: '2026-11-20T11:59:00Z',
  kind: 'http',
  source: { name: 'sensor:t', type: 'sensor' },
  client: { ip: '203.0.113.9' },
  http: { method: 'GET', path: '/search', query: 'q=union+select', user_agent: 'sqlmap/1.7' },
  action: 'block',
  score: 5,
  severity: 'high',
  findings: [
    {
      rule: 'sqli.union',
      class: 'sqli',
      severity: 'high',
      location: 'query:q',
      evidence: 'union select',
      decoded_by: [],
    },
  ],
  ...over,
});

describe('filters', () => {
  it('round-trips through the URL, leaving defaults out', () => {
    const f = { ...EMPTY_FILTERS, ip: '203.0.113.9', severity: 'high' };
    expect(filtersToSearch(f)).toBe('?ip=203.0.113.9&severity=high');
    expect(filtersFromSearch('?ip=203.0.113.9&severity=high&bogus=1')).toEqual(f);
    expect(filtersToSearch(EMPTY_FILTERS)).toBe('');
  });

  it('builds the events query with the time range as a lower bound', () => {
    const q = filtersToQuery({ ...EMPTY_FILTERS, range: '1h', class: ' sqli ' }, NOW);
    expect(q.from).toBe(NOW - 3_600_000);
    expect(q.class).toBe('sqli');
    expect(q.ip).toBeUndefined();
    expect(filtersToQuery({ ...EMPTY_FILTERS, range: 'all' }, NOW).from).toBeUndefined();
  });

  it('lets a streamed event in only when it matches', () => {
    expect(matchesFilters(ev(), EMPTY_FILTERS, NOW)).toBe(true);
    expect(matchesFilters(ev(), { ...EMPTY_FILTERS, severity: 'critical' }, NOW)).toBe(false);
    expect(matchesFilters(ev(), { ...EMPTY_FILTERS, severity: 'medium' }, NOW)).toBe(true);
    expect(matchesFilters(ev(), { ...EMPTY_FILTERS, rule: 'xss.script' }, NOW)).toBe(false);
    expect(matchesFilters(ev(), { ...EMPTY_FILTERS, q: 'SQLMAP' }, NOW)).toBe(true);
    expect(matchesFilters(ev(), { ...EMPTY_FILTERS, action: 'log' }, NOW)).toBe(false);
    expect(matchesFilters(ev({ ts: '2026-11-19T00:00:00Z' }), { ...EMPTY_FILTERS, range: '1h' }, NOW)).toBe(
      false,
    );
  });

  it('prepends without duplicates and keeps the list bounded', () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: `r${i}` }));
    expect(prependBounded(rows, [{ id: 'n' }, { id: 'r0' }], 4).map((r) => r.id)).toEqual([
      'n',
      'r0',
      'r1',
      'r2',
    ]);
  });
});
