/**
 * Hand-made events for the statistics tests: 300 events, one every 30 s from STATS_T0 (2.5 hours),
 * from 7 addresses in 5 countries; every 5th is blocked (SQL injection, some with two rules), the
 * next one logged (XSS), a few allowed log events rated low, the rest allowed and benign. Of the
 * benign ones, those with i % 5 = 3 come from one busy address in Tokyo that never alerts (60 events,
 * more than any attacker sends): they count in the totals but are no attack origin.
 */
import type { Finding, SecurityEvent, Severity } from '@palisade/engine';

export const STATS_T0 = Date.UTC(2026, 0, 10);
export const STATS_STEP_MS = 30_000;

const PLACES = [
  { country: 'DE', city: 'Berlin', lat: 52.52, lon: 13.405 },
  { country: 'US', city: 'Ashburn', lat: 39.0438, lon: -77.4874 },
  { country: 'FR', city: 'Paris', lat: 48.8566, lon: 2.3522 },
  { country: 'DE', city: 'Munich', lat: 48.1351, lon: 11.582 },
  { country: 'CN', city: 'Beijing', lat: 39.9042, lon: 116.4074 },
  { country: 'US', city: 'Ashburn', lat: 39.0438, lon: -77.4874 },
  { country: 'BR', city: 'São Paulo', lat: -23.5505, lon: -46.6333 },
];
const BENIGN_PLACE = { country: 'JP', city: 'Tokyo', lat: 35.6762, lon: 139.6503 };

const finding = (rule: string, cls: string, severity: Severity): Finding =>
  ({ rule, rule_version: 1, class: cls, severity, confidence: 0.9, location: 'query:id', evidence: "' OR 1=1", decoded_by: ['url'] }) as Finding;

export function statsEvent(i: number): SecurityEvent {
  const benign = i % 5 === 3;
  const place = benign ? BENIGN_PLACE : PLACES[i % PLACES.length]!;
  const base = {
    id: `st-${i}`,
    ts: new Date(STATS_T0 + i * STATS_STEP_MS).toISOString(),
    kind: 'http' as const,
    source: { name: 'sensor:stats', type: 'sensor' as const },
    client: {
      ip: benign ? '198.51.100.7' : `203.0.113.${i % PLACES.length}`,
      port: 40000,
      geo: { ...place },
    },
    http: { method: 'GET', path: `/p/${i}`, status: 200 },
  };
  if (i % 5 === 0) {
    const severity: Severity = i % 15 === 0 ? 'critical' : 'high';
    const findings = [finding('sqli.union', 'sqli', severity)];
    if (i % 10 === 0) findings.push(finding('sqli.tautology', 'sqli', 'high'));
    return { ...base, action: 'block', score: 9, severity, findings };
  }
  if (i % 5 === 1)
    return { ...base, action: 'log', score: 5, severity: 'medium', findings: [finding('xss.script', 'xss', 'medium')] };
  if (i % 50 === 7) return { ...base, action: 'allow', score: 1, severity: 'low', findings: [] };
  return { ...base, action: 'allow', score: 0, severity: 'info', findings: [] };
}

export const STATS_EVENTS: readonly SecurityEvent[] = Array.from({ length: 300 }, (_, i) => statsEvent(i));

/** Independent of the store's SQL: a finding, an action other than allow, or a severity above info. */
export const isAlert = (e: SecurityEvent): boolean =>
  e.findings.length > 0 || e.action !== 'allow' || e.severity !== 'info';

/** The events with time in [from, to). */
export function eventsIn(from: number, to: number): SecurityEvent[] {
  return STATS_EVENTS.filter((e) => {
    const t = Date.parse(e.ts);
    return t >= from && t < to;
  });
}
