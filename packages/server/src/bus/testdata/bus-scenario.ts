/**
 * Test data of the bus tests: unique names per run, and a deterministic mix of events whose
 * incidents do not depend on the order the events are stored in (every attack's events fall within
 * one rule window, attacks are hours apart), so N workers writing in any interleaving must give the
 * incidents of one in-process correlation: brute force (12 failed logins of one source within a
 * minute), distributed brute force (6 sources × 2 failures against one account within 5 minutes),
 * web attacks (6 blocked SQLi requests of one source within 2 minutes), and benign filler (requests
 * and successful logins spread thin over many sources).
 */
import { randomBytes } from 'node:crypto';
import type { SecurityEvent } from '@palisade/engine';

/** The NATS server of the tests, or undefined (the bus tests are skipped). */
export const TEST_BUS_URL = process.env.PALISADE_TEST_BUS_URL || undefined;

/** A subject prefix (and so stream names) no other test run uses. */
export function uniquePrefix(tag = 't'): string {
  return `${tag}${process.pid}_${randomBytes(4).toString('hex')}`;
}

const BASE = Date.UTC(2026, 0, 5);
const MIN = 60_000;

/** A web request: a blocked SQL injection when `attack`, else a product page. */
export function httpEvent(id: string, tsMs: number, ip: string, attack: boolean, i: number): SecurityEvent {
  return {
    id,
    ts: new Date(tsMs).toISOString(),
    kind: 'http',
    source: { name: 'sensor:bus-test', type: 'sensor' },
    client: { ip, port: 40000 + (i % 20000) },
    http: attack
      ? {
          method: 'GET',
          host: 'shop.example',
          path: '/search',
          query: `q=1'+union+select+${i}--`,
          status: 403,
          user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
        }
      : {
          method: 'GET',
          host: 'shop.example',
          path: `/products/${i % 500}`,
          status: 200,
          user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
        },
    action: attack ? 'block' : 'allow',
    score: attack ? 5 : 0,
    severity: attack ? 'high' : 'info',
    findings: attack
      ? [
          {
            rule: 'sqli.union',
            rule_version: 2,
            class: 'sqli',
            severity: 'high',
            confidence: 0.9,
            location: 'query:q',
            evidence: "' union select",
            decoded_by: ['url'],
          },
        ]
      : [],
  } as SecurityEvent;
}

function authEvent(id: string, tsMs: number, ip: string, user: string, ok: boolean): SecurityEvent {
  return {
    id,
    ts: new Date(tsMs).toISOString(),
    kind: 'auth',
    source: { name: 'log:/var/log/auth.log', type: 'log' },
    client: { ip },
    user,
    outcome: ok ? 'success' : 'failure',
    action: 'log',
    score: 0,
    severity: ok ? 'info' : 'low',
    findings: [],
    message: `${ok ? 'Accepted' : 'Failed'} password for ${user} from ${ip}`,
    log: { type: ok ? 'auth_success' : 'auth_failure', program: 'sshd', method: 'password' },
  } as SecurityEvent;
}

export interface Scenario {
  events: SecurityEvent[];
  /** How many incidents of each type the mix was built to open. */
  planned: Record<string, number>;
}

/** `total` events (at least ~1,000): 40 brute forces, 10 sprays, 30 web attackers, the rest benign. */
export function busScenario(total = 20_000): Scenario {
  const attacks: SecurityEvent[] = [];
  // Brute force: attacker k, 12 failures against one account in 55 s, in slot k (20 min apart).
  for (let k = 0; k < 40; k++) {
    const t0 = BASE + k * 20 * MIN;
    for (let j = 0; j < 12; j++)
      attacks.push(authEvent(`bf-${k}-${j}`, t0 + j * 5000, `198.51.100.${k + 1}`, `admin${k}`, false));
  }
  // Distributed brute force: account victim<k>, 6 sources × 2 failures within 5 minutes.
  for (let k = 0; k < 10; k++) {
    const t0 = BASE + (k * 20 + 5) * MIN;
    for (let s = 0; s < 6; s++)
      for (let j = 0; j < 2; j++)
        attacks.push(
          authEvent(`dbf-${k}-${s}-${j}`, t0 + (s * 2 + j) * 20_000, `100.64.${k}.${s + 1}`, `victim${k}`, false),
        );
  }
  // Web attacks: source k, 6 blocked SQLi requests within 2 minutes.
  for (let k = 0; k < 30; k++) {
    const t0 = BASE + (k * 20 + 10) * MIN;
    for (let j = 0; j < 6; j++)
      attacks.push(httpEvent(`web-${k}-${j}`, t0 + j * 20_000, `192.0.2.${k + 1}`, true, k * 10 + j));
  }
  // Benign filler over the same 14 hours: 1,500 sources, a few requests each, some good logins.
  const filler = Math.max(0, total - attacks.length);
  const span = 40 * 20 * MIN;
  const benign: SecurityEvent[] = [];
  for (let i = 0; i < filler; i++) {
    const ip = `10.${(i % 1500) >> 8}.${(i % 1500) & 255}.7`;
    const ts = BASE + Math.floor((i * span) / Math.max(1, filler));
    benign.push(
      i % 25 === 0
        ? authEvent(`ok-${i}`, ts, ip, `user${i}`, true)
        : httpEvent(`req-${i}`, ts, ip, false, i),
    );
  }
  // Publish order: roughly by time, attacks spread among the filler.
  const events = [...benign, ...attacks].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  return { events, planned: { brute_force: 40, distributed_brute_force: 10, web_attack: 30 } };
}
