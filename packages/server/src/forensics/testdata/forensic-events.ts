/**
 * Hand-made events for the forensics tests, in [T0, T0 + 3 h) unless said otherwise; the expected
 * results in forensics.test.ts are worked out by hand from this description.
 *
 * Bursts (user agent `bot/1.0`, no fingerprint, so each source is one ip+ua session):
 * - 203.0.113.10: 120 requests 250 ms apart from T0+10 min (paths /p/0../p/2 by i % 3), then 30
 *   requests 1 s apart from T0+30 min; i 90–99 logged (medium XSS), i 100–149 blocked (high SQLi).
 *   Also one request 1 ms before T0 and one at T0+3 h: outside the range.
 * - 10.0.0.2: 120 requests 400 ms apart from T0+20 min; 100.0.0.1: 120 requests 500 ms apart from
 *   T0+40 min (the first rated low). The two tie on every count: bytes order 10.0.0.2 first, where a
 *   language collation that skips punctuation would put 100.0.0.1 first.
 * - 198.51.100.5: 100 requests 600 ms apart from T0+70 min (paths /c/0, /c/1), and one more exactly
 *   60 s after the first: no 60-s window holds more than 100.
 * - 192.0.2.50: 99 requests 100 ms apart from T0+80 min (one short of the default threshold).
 *
 * Failed logins (kind auth, from a log source, no path):
 * - alice from 198.18.0.1–12: IP i fails at B+(i−1)·30 s and 5 s later (B = T0+120 min); .1 again
 *   at B+50 min; a success from .3 and a failure with no address do not count.
 * - bob: 203.0.113.99 fails 20 times 2 s apart from T0+130 min; .98 and .97 once each.
 * - carol from 10.9.0.1–11, one failure each 60 s apart from C0 = T0+140 min, and .1 again at
 *   C0+600 s: exactly one window length after its first, so at that instant .1 leaves and re-enters.
 * - dave from 172.16.0.1–10, 10 s apart from T0+150 min; Erin from 198.18.0.1–10, 1 s apart from
 *   T0+160 min (ties with dave; bytes order puts "Erin" before "dave").
 *
 * Browsing:
 * - fingerprint FP1 (192.0.2.10): /, /products, /products/1, /cart at T0, +1, +3, +10 min; after
 *   40 min idle /, /checkout at +50, +52 min; after exactly 30 min idle /account at +82 min.
 * - 192.0.2.20 without fingerprint: curl/8.5 at +5 min (/admin, blocked), +20 min (/), and
 *   29 min 59.999 s later (/robots.txt); a browser (Mozilla/5.0 B) from the same address at +5 min.
 * - FP2 (192.0.2.30): two requests at T0+100 min, ids ses-b-2 (/b) and ses-b-1 (/a).
 * - a request from a log line with no address and no fingerprint: in no session.
 */
import type { Finding, SecurityEvent } from '@palisade/engine';

export const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);
export const T_END = T0 + 3 * 3_600_000;
export const MIN = 60_000;
export const FP1 = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const FP2 = 'ffeeddccbbaa99887766554433221100';

const SENSOR = { name: 'sensor:shop', type: 'sensor' as const };
const AUTH_LOG = { name: 'log:auth', type: 'log' as const };

const finding = (cls: 'sqli' | 'xss', severity: 'high' | 'medium'): Finding => ({
  rule: cls === 'sqli' ? 'sqli.union' : 'xss.script',
  rule_version: 1,
  class: cls,
  severity,
  confidence: 0.9,
  location: 'query:q',
  evidence: cls === 'sqli' ? "' union select" : '<script>',
  decoded_by: ['url'],
});

interface Web {
  id: string;
  ts: number;
  ip: string;
  path: string;
  ua: string;
  fingerprint?: string;
  over?: Partial<SecurityEvent>;
}

function web(w: Web): SecurityEvent {
  return {
    id: w.id,
    ts: new Date(w.ts).toISOString(),
    kind: 'http',
    source: SENSOR,
    client: { ip: w.ip, port: 40000, ...(w.fingerprint ? { fingerprint: w.fingerprint } : {}) },
    http: { method: 'GET', host: 'shop.example', path: w.path, status: 200, user_agent: w.ua },
    action: 'allow',
    score: 0,
    severity: 'info',
    findings: [],
    ...w.over,
  };
}

function login(id: string, ts: number, ip: string, user: string, outcome: 'failure' | 'success'): SecurityEvent {
  return {
    id,
    ts: new Date(ts).toISOString(),
    kind: 'auth',
    source: AUTH_LOG,
    client: { ip },
    user,
    outcome,
    action: 'allow',
    score: 0,
    severity: 'info',
    findings: [],
    message: `${outcome === 'failure' ? 'Failed' : 'Accepted'} password for ${user}`,
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const BOT = 'bot/1.0';

function bursts(): SecurityEvent[] {
  const a = range(150).map((i) => {
    const ts = i < 120 ? T0 + 10 * MIN + i * 250 : T0 + 30 * MIN + (i - 120) * 1000;
    const over: Partial<SecurityEvent> =
      i >= 100
        ? { action: 'block', score: 9, severity: 'high', findings: [finding('sqli', 'high')] }
        : i >= 90
          ? { action: 'log', score: 5, severity: 'medium', findings: [finding('xss', 'medium')] }
          : {};
    return web({ id: `burst-a-${i}`, ts, ip: '203.0.113.10', path: `/p/${i % 3}`, ua: BOT, over });
  });
  const outside = [
    web({ id: 'burst-a-before', ts: T0 - 1, ip: '203.0.113.10', path: '/p/9', ua: BOT }),
    web({ id: 'burst-a-after', ts: T_END, ip: '203.0.113.10', path: '/p/9', ua: BOT }),
  ];
  const b = range(120).map((i) =>
    web({ id: `burst-b-${i}`, ts: T0 + 20 * MIN + i * 400, ip: '10.0.0.2', path: '/', ua: BOT }),
  );
  const b2 = range(120).map((i) =>
    web({
      id: `burst-b2-${i}`,
      ts: T0 + 40 * MIN + i * 500,
      ip: '100.0.0.1',
      path: '/',
      ua: BOT,
      ...(i === 0 ? { over: { severity: 'low', score: 1 } } : {}),
    }),
  );
  const c = range(101).map((j) =>
    web({
      id: `burst-c-${j}`,
      ts: T0 + 70 * MIN + (j < 100 ? j * 600 : 60_000),
      ip: '198.51.100.5',
      path: `/c/${j % 2}`,
      ua: BOT,
    }),
  );
  const d = range(99).map((i) =>
    web({ id: `burst-d-${i}`, ts: T0 + 80 * MIN + i * 100, ip: '192.0.2.50', path: '/d', ua: BOT }),
  );
  return [...a, ...outside, ...b, ...b2, ...c, ...d];
}

export const B_ALICE = T0 + 120 * MIN;
export const C0_CAROL = T0 + 140 * MIN;
export const D0_DAVE = T0 + 150 * MIN;
export const E0_ERIN = T0 + 160 * MIN;
export const BOB_T = T0 + 130 * MIN;

function logins(): SecurityEvent[] {
  const out: SecurityEvent[] = [];
  for (let i = 1; i <= 12; i++) {
    const t = B_ALICE + (i - 1) * 30_000;
    out.push(login(`alice-${i}-a`, t, `198.18.0.${i}`, 'alice', 'failure'));
    out.push(login(`alice-${i}-b`, t + 5000, `198.18.0.${i}`, 'alice', 'failure'));
  }
  out.push(login('alice-late', B_ALICE + 50 * MIN, '198.18.0.1', 'alice', 'failure'));
  out.push(login('alice-ok', B_ALICE + 400_000, '198.18.0.3', 'alice', 'success'));
  out.push(login('alice-noaddr', B_ALICE + 1000, '', 'alice', 'failure'));
  for (let k = 0; k < 20; k++) out.push(login(`bob-${k}`, BOB_T + k * 2000, '203.0.113.99', 'bob', 'failure'));
  out.push(login('bob-98', BOB_T + 1000, '203.0.113.98', 'bob', 'failure'));
  out.push(login('bob-97', BOB_T + 3000, '203.0.113.97', 'bob', 'failure'));
  for (let i = 1; i <= 11; i++)
    out.push(login(`carol-${i}`, C0_CAROL + (i - 1) * MIN, `10.9.0.${i}`, 'carol', 'failure'));
  out.push(login('carol-1-again', C0_CAROL + 10 * MIN, '10.9.0.1', 'carol', 'failure'));
  for (let i = 1; i <= 10; i++)
    out.push(login(`dave-${i}`, D0_DAVE + (i - 1) * 10_000, `172.16.0.${i}`, 'dave', 'failure'));
  for (let i = 1; i <= 10; i++)
    out.push(login(`erin-${i}`, E0_ERIN + (i - 1) * 1000, `198.18.0.${i}`, 'Erin', 'failure'));
  return out;
}

function browsing(): SecurityEvent[] {
  const fp1 = (id: string, minutes: number, path: string) =>
    web({ id, ts: T0 + minutes * MIN, ip: '192.0.2.10', path, ua: 'Mozilla/5.0 A', fingerprint: FP1 });
  return [
    fp1('ses-a-1', 0, '/'),
    fp1('ses-a-2', 1, '/products'),
    fp1('ses-a-3', 3, '/products/1'),
    fp1('ses-a-4', 10, '/cart'),
    fp1('ses-a-5', 50, '/'),
    fp1('ses-a-6', 52, '/checkout'),
    fp1('ses-a-7', 82, '/account'),
    web({
      id: 'ses-c-1',
      ts: T0 + 5 * MIN,
      ip: '192.0.2.20',
      path: '/admin',
      ua: 'curl/8.5',
      over: { action: 'block', score: 8, severity: 'high', findings: [finding('sqli', 'high')] },
    }),
    web({ id: 'ses-c-2', ts: T0 + 20 * MIN, ip: '192.0.2.20', path: '/', ua: 'curl/8.5' }),
    web({ id: 'ses-c-3', ts: T0 + 50 * MIN - 1, ip: '192.0.2.20', path: '/robots.txt', ua: 'curl/8.5' }),
    web({ id: 'ses-m-1', ts: T0 + 5 * MIN, ip: '192.0.2.20', path: '/', ua: 'Mozilla/5.0 B' }),
    web({ id: 'ses-b-2', ts: T0 + 100 * MIN, ip: '192.0.2.30', path: '/b', ua: 'Mozilla/5.0 C', fingerprint: FP2 }),
    web({ id: 'ses-b-1', ts: T0 + 100 * MIN, ip: '192.0.2.30', path: '/a', ua: 'Mozilla/5.0 C', fingerprint: FP2 }),
    {
      ...web({ id: 'ses-noaddr', ts: T0 + 100 * MIN, ip: '', path: '/x', ua: 'Mozilla/5.0 D' }),
      source: { name: 'log:access', type: 'log' },
    },
  ];
}

/** Every test event, in no particular order. */
export const FORENSIC_EVENTS: readonly SecurityEvent[] = [...browsing(), ...logins(), ...bursts()];
