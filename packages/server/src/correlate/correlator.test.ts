import { describe, expect, it } from 'vitest';
import type { Finding, LogInfo, SecurityEvent } from '@palisade/engine';
import { createCorrelator } from './correlator.js';
import { profileConfig, resolveCorrelationConfig, type CorrelationConfig } from './config.js';
import type { IncidentUpdate } from './types.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
let seq = 0;

interface Ev {
  s: number;
  type: string;
  ip?: string;
  user?: string;
  outcome?: 'success' | 'failure';
  terminal?: string;
  log?: Partial<LogInfo>;
  kind?: SecurityEvent['kind'];
  http?: SecurityEvent['http'];
  findings?: Finding[];
  action?: SecurityEvent['action'];
  geo?: { lat: number; lon: number; city?: string };
  message?: string;
}

function ev(e: Ev): SecurityEvent {
  const out: SecurityEvent = {
    id: `e${++seq}`,
    ts: new Date(T0 + e.s * 1000).toISOString(),
    kind: e.kind ?? (e.http ? 'http' : 'auth'),
    source: { name: 'test', type: 'log' },
    client: { ip: e.ip ?? '' },
    action: e.action ?? 'allow',
    score: 0,
    severity: 'info',
    findings: e.findings ?? [],
    log: { type: e.type, ...(e.terminal ? { terminal: e.terminal } : {}), ...e.log },
  };
  if (e.user) out.user = e.user;
  if (e.outcome) out.outcome = e.outcome;
  if (e.http) out.http = e.http;
  if (e.geo) out.client.geo = e.geo;
  if (e.message) out.message = e.message;
  return out;
}

function run(
  config: CorrelationConfig,
  events: Ev[],
): { opened: IncidentUpdate[]; last: Map<string, IncidentUpdate> } {
  const c = createCorrelator(config);
  const opened: IncidentUpdate[] = [];
  const last = new Map<string, IncidentUpdate>();
  for (const e of events)
    for (const u of c.observe(ev(e))) {
      if (u.created) opened.push(u);
      last.set(u.state.ref, u);
    }
  return { opened, last };
}

const fail = (s: number, ip: string, user = 'root'): Ev => ({
  s,
  type: 'auth_failure',
  ip,
  user,
  outcome: 'failure',
});
const ok = (s: number, ip: string, user = 'root', terminal?: string): Ev => ({
  s,
  type: 'auth_success',
  ip,
  user,
  outcome: 'success',
  ...(terminal ? { terminal } : {}),
});

describe('brute force', () => {
  it('opens one incident at 8 failures in 120 s (default), merges the rest, and a later success makes it critical', () => {
    const events = [
      ...Array.from({ length: 12 }, (_, i) => fail(i * 5, '203.0.113.9', `u${i % 3}`)),
      ok(70, '203.0.113.9', 'u1'),
    ];
    const { opened, last } = run(profileConfig('default'), events);
    const bf = opened.filter((u) => u.state.type === 'brute_force');
    expect(bf).toHaveLength(1);
    const s = last.get(bf[0]!.state.ref)!.state;
    expect(s.count).toBe(13);
    expect(s.successes).toBe(1);
    expect(s.severity).toBe('critical');
    expect(s.reason).toBe('12 failed logins in 2 minutes against 3 users, then 1 successful');
    expect(s.evidenceIds.size).toBe(13);
  });

  it('does not fire below the threshold or when the failures are spread out', () => {
    const slow = Array.from({ length: 20 }, (_, i) => fail(i * 30, '203.0.113.9'));
    expect(
      run(profileConfig('default'), slow).opened.filter((u) => u.state.type === 'brute_force'),
    ).toHaveLength(0);
    expect(run(profileConfig('default'), slow.slice(0, 7)).opened).toHaveLength(0);
  });

  it('seed-compat counts attempts per (user, source) and says "N attempts in 2 minutes, K successful"', () => {
    const events = [
      ...Array.from({ length: 19 }, (_, i) => fail(i, '192.0.2.40', 'admin')),
      ok(19, '192.0.2.40', 'admin'),
    ];
    const { opened, last } = run(profileConfig('seed-compat'), events);
    expect(opened).toHaveLength(1);
    expect(last.get(opened[0]!.state.ref)!.state.reason).toBe('20 attempts in 2 minutes, 1 successful');
    // 9 attempts are not enough; a new burst after the 600 s repeat threshold is a second incident.
    expect(run(profileConfig('seed-compat'), events.slice(0, 9)).opened).toHaveLength(0);
    const twice = [...events, ...Array.from({ length: 10 }, (_, i) => fail(700 + i, '192.0.2.40', 'admin'))];
    expect(run(profileConfig('seed-compat'), twice).opened).toHaveLength(2);
  });
});

describe('stuffing and spraying', () => {
  it('credential stuffing: 5 distinct users from one source', () => {
    const events = ['a', 'b', 'c', 'd', 'e'].map((u, i) => fail(i * 10, '198.51.100.7', u));
    const { opened } = run(profileConfig('default'), events);
    expect(opened.map((u) => u.state.type)).toEqual(['credential_stuffing']);
    expect(opened[0]!.state.reason).toContain('5 distinct users');
  });

  it('distributed brute force: 5 sources against one user', () => {
    const events = Array.from({ length: 5 }, (_, i) => fail(i * 10, `198.51.100.${i + 1}`, 'alice'));
    const { opened } = run(profileConfig('default'), events);
    expect(opened.map((u) => u.state.type)).toEqual(['distributed_brute_force']);
    expect(opened[0]!.state.keys).toEqual({ user: 'alice' });
  });
});

describe('sessions', () => {
  it('concurrent login needs an open session on another terminal, and a logout closes it', () => {
    const close = (s: number, terminal: string): Ev => ({
      s,
      type: 'session_close',
      user: 'admin',
      terminal,
    });
    const { opened } = run(profileConfig('default'), [
      ok(0, '192.0.2.1', 'admin', 't1'),
      close(10, 't1'),
      ok(20, '192.0.2.2', 'admin', 't2'),
      ok(30, '192.0.2.3', 'admin', 't3'),
    ]);
    expect(opened.map((u) => [u.state.type, u.state.keys.ip])).toEqual([['concurrent_login', '192.0.2.3']]);
  });

  it('impossible travel: Berlin then New York 30 minutes later', () => {
    const { opened } = run(profileConfig('default'), [
      { ...ok(0, '192.0.2.1', 'bob'), geo: { lat: 52.52, lon: 13.4, city: 'Berlin' } },
      { ...ok(1800, '192.0.2.2', 'bob'), geo: { lat: 40.71, lon: -74.0, city: 'New York' } },
    ]);
    // Two logins without a logout between them are also a concurrent login.
    expect(opened.map((u) => u.state.type)).toEqual(['concurrent_login', 'impossible_travel']);
    expect(opened[1]!.state.reason).toMatch(/^logins 63\d\d km apart within 0.5 h/);
  });
});

describe('critical configuration changes', () => {
  const usys = (s: number, table: string, key: string, outcome: 'success' | 'failure'): Ev => ({
    s,
    type: 'config_change',
    kind: 'system',
    outcome,
    terminal: 'admin',
    log: { audit: { types: ['USYS_CONFIG'], serial: 1, table, op: 'update', key } },
  });

  it('matches the configured rules only, with the source ip of the last login (seed-compat)', () => {
    const { opened } = run(profileConfig('seed-compat'), [
      ok(0, '192.0.2.40', 'admin', 'x'),
      usys(10, 'config', 'password_policy', 'failure'),
      usys(11, 'user', 'password_changetime', 'failure'),
      usys(12, 'users', 'password_changetime', 'success'),
    ]);
    expect(opened.map((u) => [u.state.severity, u.state.keys.ip])).toEqual([
      ['critical', '192.0.2.40'],
      ['high', '192.0.2.40'],
    ]);
    expect(opened[0]!.state.reason).toBe(
      'update on password_policy (critical config, result: failed, user: admin)',
    );
  });

  it('a watched file and a new uid-0 account are critical changes (default)', () => {
    const { opened } = run(profileConfig('default'), [
      {
        s: 0,
        type: 'other',
        kind: 'system',
        user: 'eve',
        outcome: 'success',
        log: {
          audit: { types: ['SYSCALL', 'PATH'], serial: 2, key: 'identity', paths: ['/etc/sudoers.d/x'] },
        },
      },
      {
        s: 5,
        type: 'user_add',
        kind: 'system',
        user: 'eve',
        outcome: 'success',
        message: 'new user: name=toor, UID=0, GID=0',
      },
      // root running useradd (process uid=0) for a normal account is not a uid-0 account
      {
        s: 9,
        type: 'user_add',
        kind: 'system',
        user: 'eve',
        outcome: 'success',
        message: "ADD_USER pid=1 uid=0 auid=1000 msg='op=adding user id=1005'",
      },
    ]);
    expect(opened.map((u) => [u.state.rule, u.state.severity])).toEqual([
      ['critical_config_change.identity_files', 'high'],
      ['critical_config_change.uid0_account', 'critical'],
    ]);
  });
});

describe('volume', () => {
  const pkt = (s: number, src: string, dst = '10.0.0.1'): Ev => ({
    s,
    type: 'netfilter_packet',
    kind: 'network',
    ip: src,
    log: { dst, audit: { types: ['NETFILTER_PKT'], serial: 1, proto: 6 } },
  });

  it('DoS: 100 packets from one source in a window (seed-compat buckets), once per repeat threshold', () => {
    const burst = Array.from({ length: 150 }, () => pkt(1, '172.16.0.2'));
    const { opened, last } = run(profileConfig('seed-compat'), burst);
    expect(opened.map((u) => u.state.type)).toEqual(['dos']);
    expect(last.get(opened[0]!.state.ref)!.state.reason).toBe('150 packets in 30 seconds');
    expect(run(profileConfig('seed-compat'), burst.slice(0, 99)).opened).toHaveLength(0);
  });

  it('DDoS: two sources with 30 packets each against one destination (seed-compat)', () => {
    const events = [
      ...Array.from({ length: 30 }, () => pkt(1, '192.0.2.1')),
      ...Array.from({ length: 30 }, () => pkt(2, '192.0.2.2')),
    ];
    const { opened } = run(profileConfig('seed-compat'), events);
    expect(opened.map((u) => [u.state.type, u.state.keys.target])).toEqual([['ddos', '10.0.0.1']]);
  });

  it('web DoS: requests per source over the configured rate', () => {
    const config = resolveCorrelationConfig({ dos: { requests: 50, window_s: 10 } });
    const events = Array.from({ length: 60 }, (_, i) => ({
      s: i * 0.1,
      type: 'http_request',
      ip: '198.51.100.1',
      http: { method: 'GET', path: '/', status: 200 },
    }));
    expect(run(config, events).opened.map((u) => u.state.type)).toEqual(['dos']);
  });
});

describe('web', () => {
  const finding = (cls: Finding['class']): Finding => ({
    rule: `${cls}.x`,
    rule_version: 1,
    class: cls,
    severity: 'high',
    confidence: 0.9,
    location: 'query:q',
    evidence: 'x',
    decoded_by: [],
  });

  it('repeated attacks from one source; 4xx-heavy scanning', () => {
    const attacks = Array.from({ length: 5 }, (_, i) => ({
      s: i,
      type: 'http_request',
      ip: '203.0.113.5',
      action: 'log' as const,
      findings: [finding('sqli')],
      http: { method: 'GET', path: '/p', status: 500 },
    }));
    const probes = Array.from({ length: 25 }, (_, i) => ({
      s: 100 + i,
      type: 'http_request',
      ip: '203.0.113.6',
      http: { method: 'GET', path: `/x${i}`, status: 404 },
    }));
    const { opened } = run(profileConfig('default'), [...attacks, ...probes]);
    expect(opened.map((u) => [u.state.type, u.state.keys.ip])).toEqual([
      ['web_attack', '203.0.113.5'],
      ['scanner', '203.0.113.6'],
    ]);
  });
});

describe('configuration', () => {
  it('merges over the profile and names the field at fault', () => {
    const c = resolveCorrelationConfig({ profile: 'seed-compat', brute_force: { threshold: 3 } });
    expect(c.brute_force).toMatchObject({ threshold: 3, by: 'user_ip', count: 'attempts' });
    expect(() => resolveCorrelationConfig({ brute_force: { threshold: -1 } })).toThrow(
      /brute_force.threshold/,
    );
    expect(() => resolveCorrelationConfig({ brute_force: { tresh: 1 } })).toThrow(
      /brute_force.tresh: unknown field/,
    );
    expect(() => resolveCorrelationConfig({ profile: 'nope' })).toThrow(/profile/);
    expect(() =>
      resolveCorrelationConfig({
        critical_config_change: { matchers: [{ name: 'x', severity_success: 'huge' }] },
      }),
    ).toThrow(/matchers\[0\].severity_success/);
    expect(() => resolveCorrelationConfig({ response: { ban_ttl_s: { nope: 1 } } })).toThrow(
      /ban_ttl_s.nope/,
    );
  });

  it('disabled rules do not run', () => {
    const c = resolveCorrelationConfig({ brute_force: { enabled: false } });
    expect(
      run(
        c,
        Array.from({ length: 10 }, (_, i) => fail(i, '203.0.113.9')),
      ).opened,
    ).toHaveLength(0);
  });
});
