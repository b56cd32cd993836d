/**
 * Authentication rules: brute force (per source, or per user and source), credential stuffing
 * (distinct users from one source), distributed brute force / password spraying (distinct sources
 * against one user), concurrent logins and impossible travel.
 */
import type { BruteForceConfig, ConcurrentLoginConfig, DistinctConfig, TravelConfig } from '../config.js';
import { EvidenceWindow, LruMap, evidenceOf, formatDuration } from '../state.js';
import type { CorrelationEvent, IncidentState, Rule, Signal } from '../types.js';

/** Most keys each rule tracks at once (least recently seen dropped beyond). */
export const MAX_KEYS = 100_000;
/** Most events one window keeps. */
const WINDOW_CAP = 10_000;

const FAILURES = new Set(['auth_failure', 'invalid_user']);

/**
 * A login attempt: a failure, or a success that opens a login. PAM's USER_AUTH record repeats the
 * authentication of the USER_LOGIN that follows, so it is not counted twice.
 */
export function isLoginAttempt(ev: CorrelationEvent): boolean {
  if (!FAILURES.has(ev.type) && ev.type !== 'auth_success') return false;
  return ev.event.log?.audit?.types[0] !== 'USER_AUTH';
}

const isSuccess = (ev: CorrelationEvent): boolean => ev.type === 'auth_success';

export function bruteForceRule(c: BruteForceConfig): Rule {
  const windowMs = c.window_s * 1000;
  const windows = new LruMap<EvidenceWindow>(MAX_KEYS);
  const thresholds = { threshold: c.threshold, window_s: c.window_s, by: c.by, count: c.count };
  const span = formatDuration(windowMs);
  const describe = (s: IncidentState): string => {
    if (c.count === 'attempts')
      return s.successes > 0
        ? `${s.count} attempts in ${span}, ${s.successes} successful`
        : `${s.count} failed attempts in ${span}`;
    const users = s.users.size > 1 ? ` against ${s.users.size} users` : '';
    return s.successes > 0
      ? `${s.count - s.successes} failed logins in ${span}${users}, then ${s.successes} successful`
      : `${s.count} failed logins in ${span}${users}`;
  };
  return {
    id: 'brute_force',
    observe(ev, out) {
      if (!isLoginAttempt(ev)) return;
      if (c.by === 'ip' && ev.ip === undefined) return;
      const key = c.by === 'ip' ? (ev.ip ?? '') : `${ev.user ?? ''}\u0000${ev.ip ?? ''}`;
      const success = isSuccess(ev);
      const w = windows.upsert(key, () => new EvidenceWindow(windowMs, WINDOW_CAP));
      w.trim(ev.ts);
      if (success && c.count === 'failures') {
        // A success right after a brute force: the attack got in.
        if (w.size < c.threshold) return;
        w.push(evidenceOf(ev, true));
      } else w.push(evidenceOf(ev, success));
      if (w.size < c.threshold) return;
      const evidence = w.takeUnreported();
      const got = evidence.some((e) => e.success === true);
      const keys = c.by === 'ip' ? { ip: ev.ip } : { ip: ev.ip, user: ev.user };
      out.push({
        rule: 'brute_force',
        type: 'brute_force',
        severity: got ? 'critical' : 'high',
        ts: ev.ts,
        keys: clean(keys),
        dedupe: key,
        evidence,
        count: evidence.length,
        thresholds,
        cooldownMs: c.cooldown_s * 1000,
        cooldownFrom: 'first_seen',
        describe,
      });
    },
  };
}

/** Distinct values of one field per key: users per source (stuffing) or sources per user (spraying). */
export function distinctRule(
  type: 'credential_stuffing' | 'distributed_brute_force',
  c: DistinctConfig,
): Rule {
  const windowMs = c.window_s * 1000;
  const perIp = type === 'credential_stuffing';
  const windows = new LruMap<EvidenceWindow>(MAX_KEYS);
  const span = formatDuration(windowMs);
  const thresholds = { threshold: c.threshold, window_s: c.window_s };
  const describe = (s: IncidentState): string =>
    perIp
      ? `${s.users.size} distinct users tried from one source in ${span} (${s.count} failed logins)`
      : `${s.sources.size} sources tried one account in ${span} (${s.count} failed logins)`;
  return {
    id: type,
    observe(ev, out) {
      if (!FAILURES.has(ev.type) || !isLoginAttempt(ev)) return;
      const key = perIp ? ev.ip : ev.user;
      if (key === undefined || (perIp ? ev.user : ev.ip) === undefined) return;
      const w = windows.upsert(key, () => new EvidenceWindow(windowMs, WINDOW_CAP));
      w.trim(ev.ts);
      w.push(evidenceOf(ev));
      if (w.distinct(perIp ? 'user' : 'ip') < c.threshold) return;
      const evidence = w.takeUnreported();
      out.push({
        rule: type,
        type,
        severity: 'high',
        ts: ev.ts,
        keys: perIp ? { ip: key } : { user: key },
        dedupe: key,
        evidence,
        count: evidence.length,
        thresholds,
        cooldownMs: c.cooldown_s * 1000,
        cooldownFrom: 'last_seen',
        describe,
      });
    },
  };
}

interface Session {
  terminal: string;
  ip?: string;
  ts: number;
}

/** The session a login or logout belongs to: the terminal, else the program and pid of the line. */
function terminalOf(ev: CorrelationEvent): string | undefined {
  if (ev.terminal !== undefined) return ev.terminal;
  const l = ev.event.log;
  if (l?.pid !== undefined) return `${l.program ?? ''}[${l.pid}]`;
  return undefined;
}

/**
 * Concurrent login: a successful login of a user while another session of that user (another
 * terminal) has not logged out. Sessions end at a logout on their terminal, or after session_ttl_s.
 */
export function concurrentLoginRule(c: ConcurrentLoginConfig): Rule {
  const sessions = new LruMap<Map<string, Session>>(MAX_KEYS);
  /** The user of each open terminal, so a logout that names no user still ends its session. */
  const terminals = new LruMap<string>(MAX_KEYS);
  const ttlMs = c.session_ttl_s * 1000;
  const describe = (s: IncidentState): string =>
    s.count > 1
      ? `user logged in ${s.count} times without logging out before (from ${[...s.sources].join(', ') || 'unknown'})`
      : 'user logged in again without previous logout';
  return {
    id: 'concurrent_login',
    observe(ev, out) {
      if (ev.type === 'session_close') {
        const t = terminalOf(ev);
        if (t === undefined) return;
        const user = ev.user ?? terminals.get(t);
        if (user !== undefined) sessions.get(user)?.delete(t);
        terminals.delete(t);
        return;
      }
      if (ev.type !== 'auth_success' || !isLoginAttempt(ev) || ev.user === undefined) return;
      const t = terminalOf(ev) ?? `${ev.ip ?? ''}`;
      const open = sessions.upsert(ev.user, () => new Map());
      // Sessions are kept oldest first (a new login moves its terminal to the end), so expiry
      // stops at the first live one.
      if (ttlMs > 0)
        for (const [k, s] of open) {
          if (ev.ts - s.ts <= ttlMs) break;
          open.delete(k);
        }
      const others: Session[] = [];
      for (const s of open.values()) {
        if (others.length >= 16) break;
        if (s.terminal !== t) others.push(s);
      }
      open.delete(t);
      open.set(t, { terminal: t, ip: ev.ip, ts: ev.ts });
      if (open.size > 1024) open.delete(open.keys().next().value!);
      terminals.set(t, ev.user);
      if (others.length === 0) return;
      out.push({
        rule: 'concurrent_login',
        type: 'concurrent_login',
        severity: 'medium',
        ts: ev.ts,
        keys: clean({ user: ev.user, ip: ev.ip }),
        dedupe: c.dedupe === 'user' ? ev.user : `${ev.user}\u0000${ev.ip ?? ''}`,
        evidence: [evidenceOf(ev, true)],
        count: 1,
        thresholds: { session_ttl_s: c.session_ttl_s },
        cooldownMs: c.cooldown_s > 0 ? c.cooldown_s * 1000 : Number.POSITIVE_INFINITY,
        cooldownFrom: 'first_seen',
        describe,
        details: {
          other_sessions: others.slice(0, 16).map((s) => ({ terminal: s.terminal, ip: s.ip ?? null })),
        },
      });
    },
  };
}

const EARTH_KM = 6371;

/** Great-circle distance in km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

interface LastLogin {
  lat: number;
  lon: number;
  ts: number;
  ip?: string;
  place: string;
}

/** Impossible travel: two successful logins of a user further apart than a plane flies in between. */
export function impossibleTravelRule(c: TravelConfig): Rule {
  const last = new LruMap<LastLogin>(MAX_KEYS);
  const describe = (s: IncidentState): string => {
    const d = s.details as { distance_km?: number; hours?: number; from?: string; to?: string };
    return `logins ${d.distance_km ?? '?'} km apart within ${d.hours ?? '?'} h (${d.from ?? '?'} → ${d.to ?? '?'})`;
  };
  return {
    id: 'impossible_travel',
    observe(ev, out) {
      if (ev.type !== 'auth_success' || ev.user === undefined) return;
      const g = ev.event.client.geo;
      if (g?.lat === undefined || g.lon === undefined) return;
      const place = [g.city, g.country].filter(Boolean).join(', ') || `${g.lat},${g.lon}`;
      const prev = last.get(ev.user);
      last.set(ev.user, { lat: g.lat, lon: g.lon, ts: ev.ts, ip: ev.ip, place });
      if (prev === undefined || ev.ts < prev.ts) return;
      const km = haversineKm(prev.lat, prev.lon, g.lat, g.lon);
      if (km < c.min_distance_km) return;
      const hours = Math.max((ev.ts - prev.ts) / 3_600_000, 1 / 3600);
      if (km / hours <= c.max_speed_kmh) return;
      out.push({
        rule: 'impossible_travel',
        type: 'impossible_travel',
        severity: 'high',
        ts: ev.ts,
        keys: clean({ user: ev.user, ip: ev.ip }),
        dedupe: ev.user,
        evidence: [evidenceOf(ev, true)],
        count: 1,
        thresholds: { max_speed_kmh: c.max_speed_kmh, min_distance_km: c.min_distance_km },
        cooldownMs: c.cooldown_s * 1000,
        cooldownFrom: 'last_seen',
        describe,
        details: {
          distance_km: Math.round(km),
          hours: Math.round(hours * 100) / 100,
          from: `${prev.place} (${prev.ip ?? '?'})`,
          to: `${place} (${ev.ip ?? '?'})`,
        },
      });
    },
  };
}

/** Drops undefined keys (incident keys are compared and stored as given). */
export function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

export type { Signal };
