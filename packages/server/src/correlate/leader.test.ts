import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { httpEvent } from '../bus/testdata/bus-scenario.js';
import { insertEvents } from '../store/events.js';
import { acquireLease, getLease, renewLease } from '../store/leases.js';
import { listIncidents } from '../store/incidents.js';
import { STORE_ENGINES, tmpStore } from '../store/testdata/tmp-store.mjs';
import type { Store } from '../store/store.js';
import { profileConfig } from './config.js';
import { createCorrelator } from './correlator.js';
import {
  CORRELATOR_LEASE,
  startCorrelationLeader,
  warmupHorizonMs,
  type CorrelationLeader,
} from './leader.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

/** sshd-like auth events: brute force from 3 addresses, a distributed attack on "root", noise. */
function attackEvents(): SecurityEvent[] {
  const out: SecurityEvent[] = [];
  let n = 0;
  const auth = (s: number, ip: string, user: string, outcome: 'success' | 'failure'): SecurityEvent => ({
    id: `lead-${String(++n).padStart(5, '0')}`,
    ts: new Date(T0 + s * 1000).toISOString(),
    kind: 'auth',
    source: { name: 'sshd:test', type: 'log' },
    client: { ip },
    action: 'allow',
    score: 0,
    severity: 'info',
    findings: [],
    user,
    outcome,
    log: { type: outcome === 'failure' ? 'auth_failure' : 'auth_success', dst: 'host1' },
  });
  for (let i = 0; i < 40; i++) {
    for (const a of [1, 2, 3]) out.push(auth(i * 3 + a, `198.51.100.${a}`, `user${i % 4}`, 'failure'));
    out.push(auth(i * 3 + 1, `192.0.2.${10 + (i % 8)}`, 'root', 'failure'));
    if (i % 5 === 0) out.push(auth(i * 3 + 2, `203.0.113.${i}`, 'alice', 'success'));
  }
  return out;
}

/** The incidents one correlator gives for the events in this order: ref → count. */
function reference(events: SecurityEvent[]): Map<string, { type: string; count: number }> {
  const c = createCorrelator(profileConfig('default'));
  const out = new Map<string, { type: string; count: number }>();
  for (const e of events)
    for (const u of c.observe(e)) out.set(u.state.ref, { type: u.state.type, count: u.state.count });
  return out;
}

async function stored(store: Store): Promise<Map<string, { type: string; count: number }>> {
  const incidents = await listIncidents(store, { limit: 500 });
  return new Map(incidents.map((i) => [i.ref!, { type: i.type, count: i.count }]));
}

async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe.each(STORE_ENGINES)('correlation leader (%s)', (engine) => {
  async function fresh() {
    const t = await tmpStore({ engine });
    cleanups.push(t.cleanup);
    return t.store;
  }
  function leader(store: Store, holder: string, extra: { now?: () => number } = {}): CorrelationLeader {
    const l = startCorrelationLeader(store, profileConfig('default'), {
      holder,
      pollMs: 20,
      leaseMs: 2000,
      ...extra,
    });
    cleanups.push(() => l.stop());
    return l;
  }

  it('one leader at a time; correlates the committed events into the incidents of a single correlator', async () => {
    const store = await fresh();
    const events = attackEvents();
    await insertEvents(store, events);
    const a = leader(store, 'a');
    const b = leader(store, 'b');
    await until(
      async () => (await getLease(store, CORRELATOR_LEASE))?.checkpoint === events.length,
      'checkpoint',
    );
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const want = reference(events);
    expect(want.size).toBeGreaterThanOrEqual(4);
    expect([...want.values()].map((v) => v.type)).toEqual(
      expect.arrayContaining(['brute_force', 'distributed_brute_force']),
    );
    expect(await stored(store)).toEqual(want);
  });

  it('a new leader takes over a lapsed lease, replays the window and neither loses nor doubles an incident', async () => {
    const store = await fresh();
    const events = attackEvents();
    const half = Math.floor(events.length / 2);
    await insertEvents(store, events.slice(0, half));
    const a = leader(store, 'a');
    await until(async () => (await getLease(store, CORRELATOR_LEASE))?.checkpoint === half, 'first half');
    await a.stop();
    // The old leader wrote its incidents but died before saving the last part of its progress:
    // the checkpoint is behind what it wrote, and it still holds the lease until it lapses.
    const clock = { t: Date.now() };
    expect(await acquireLease(store, CORRELATOR_LEASE, 'a', 60_000, clock.t)).toBeDefined();
    expect(await renewLease(store, CORRELATOR_LEASE, 'a', 60_000, clock.t, half - 40)).toBe(true);
    await insertEvents(store, events.slice(half));
    const b = leader(store, 'b', { now: () => clock.t });
    await new Promise((r) => setTimeout(r, 100));
    expect(b.isLeader()).toBe(false);
    clock.t += 61_000;
    await until(
      async () => (await getLease(store, CORRELATOR_LEASE))?.checkpoint === events.length,
      'take-over',
    );
    expect(b.isLeader()).toBe(true);
    expect(b.stats().warmed).toBeGreaterThan(0);
    expect((await getLease(store, CORRELATOR_LEASE))?.holder).toBe('b');
    expect(await stored(store)).toEqual(reference(events));
    // The old holder can no longer move the checkpoint.
    expect(await renewLease(store, CORRELATOR_LEASE, 'a', 60_000, clock.t, 1)).toBe(false);
  });

  it('a new leader still joins the late part of an attack to its early part (a batch redelivered after a worker died)', async () => {
    const store = await fresh();
    const web = (id: string, s: number, ip: string) => httpEvent(id, T0 + s * 1000, ip, true, 0);
    const attack = [0, 20, 40, 60, 80, 100].map((s, j) => web(`late-${j}`, s, '192.0.2.9'));
    // Two of the six are stored at once; the rest were held by a worker that died.
    await insertEvents(store, attack.slice(0, 2));
    // Five hours of other traffic (event time) are stored meanwhile.
    const later = Array.from({ length: 300 }, (_, i) =>
      web(`other-${i}`, 5 * 3600 + i * 60, `203.0.113.${i % 200}`),
    );
    await insertEvents(store, later);
    const a = leader(store, 'a');
    await until(async () => (await getLease(store, CORRELATOR_LEASE))?.checkpoint === 302, 'leader a');
    await a.stop();
    // The held events arrive after the leader changed.
    await insertEvents(store, attack.slice(2));
    const b = leader(store, 'b');
    await until(async () => (await getLease(store, CORRELATOR_LEASE))?.checkpoint === 306, 'leader b');
    expect(b.stats().warmed).toBe(302);
    const incidents = await listIncidents(store, { ip: '192.0.2.9', limit: 10 });
    expect(incidents.map((i) => [i.type, i.count])).toEqual([['web_attack', 6]]);
  });
});

describe('configuration changes', () => {
  it('a leader applies a new configuration version at once, keeping its lease', async () => {
    const t = await tmpStore();
    cleanups.push(t.cleanup);
    const store = t.store;
    const off = profileConfig('default');
    off.brute_force.enabled = false;
    let current = { version: 1, config: off };
    const l = startCorrelationLeader(store, off, {
      holder: 'a',
      pollMs: 20,
      configEveryMs: 100,
      loadConfig: async () => current,
    });
    cleanups.push(() => l.stop());
    const events = attackEvents();
    const half = Math.floor(events.length / 2);
    await insertEvents(store, events.slice(0, half));
    await until(async () => (await getLease(store, CORRELATOR_LEASE))?.checkpoint === half, 'first half');
    const types = async () => new Set((await listIncidents(store, { limit: 500 })).map((i) => i.type));
    expect(await types()).not.toContain('brute_force');
    current = { version: 2, config: profileConfig('default') };
    await until(() => l.stats().takeovers === 2, 'the new configuration');
    await insertEvents(store, events.slice(half));
    await until(
      async () => (await getLease(store, CORRELATOR_LEASE))?.checkpoint === events.length,
      'second half',
    );
    expect(await types()).toContain('brute_force');
    expect(l.isLeader()).toBe(true);
  });
});

describe('warm-up horizon', () => {
  it('is the longest window (or session) plus cool-down of the enabled rules, capped', () => {
    const c = profileConfig('default');
    // concurrent_login keeps sessions for a day: the cap applies.
    expect(warmupHorizonMs(c, 10 * 3600_000)).toBe(10 * 3600_000);
    c.concurrent_login.enabled = false;
    // impossible travel: its 3600 s cool-down.
    expect(warmupHorizonMs(c, 10 * 3600_000)).toBe(3_600_000);
    c.impossible_travel.enabled = false;
    // distributed brute force and credential stuffing: 600 s window + 600 s cool-down.
    expect(warmupHorizonMs(c, 10 * 3600_000)).toBe(1_200_000);
  });
});
