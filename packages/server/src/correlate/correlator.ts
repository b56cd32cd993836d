/**
 * The correlator: every event goes through the enabled rules in arrival order; their signals go to
 * the incident tracker, which opens an incident or merges the signal into the open one of the same
 * type and key when it falls within the cool-down. Pure and synchronous: the pipeline persists the
 * updates it returns (store/incidents.ts) and applies the active response.
 */
import { createHash } from 'node:crypto';
import { SEVERITIES, type SecurityEvent, type Severity } from '@palisade/engine';
import type { CorrelationConfig } from './config.js';
import { LruMap } from './state.js';
import {
  MAX_DISTINCT,
  MAX_EVIDENCE_LINKS,
  type CorrelationEvent,
  type IncidentState,
  type IncidentUpdate,
  type Rule,
  type Signal,
} from './types.js';
import { bruteForceRule, concurrentLoginRule, distinctRule, impossibleTravelRule } from './rules/auth.js';
import { ddosRule, dosRule } from './rules/volume.js';
import { configChangeRule } from './rules/change.js';
import { scannerRule, webAttackRule } from './rules/web.js';

/** Most incidents kept open in memory for merging (least recently updated forgotten). */
const MAX_OPEN_INCIDENTS = 100_000;
const MAX_DETAIL_LIST = 32;

export interface CorrelatorStats {
  events: number;
  signals: number;
  incidents: number;
  /** Events without a usable time, skipped. */
  skipped: number;
}

export interface Correlator {
  readonly config: CorrelationConfig;
  /** Runs one event through the rules; returns the incidents it opened or changed. */
  observe(event: SecurityEvent): IncidentUpdate[];
  stats(): CorrelatorStats;
}

export function buildRules(c: CorrelationConfig): Rule[] {
  const rules: Rule[] = [];
  if (c.brute_force.enabled) rules.push(bruteForceRule(c.brute_force));
  if (c.credential_stuffing.enabled) rules.push(distinctRule('credential_stuffing', c.credential_stuffing));
  if (c.distributed_brute_force.enabled)
    rules.push(distinctRule('distributed_brute_force', c.distributed_brute_force));
  if (c.dos.enabled) rules.push(dosRule(c.dos));
  if (c.ddos.enabled) rules.push(ddosRule(c.ddos));
  if (c.concurrent_login.enabled) rules.push(concurrentLoginRule(c.concurrent_login));
  if (c.impossible_travel.enabled) rules.push(impossibleTravelRule(c.impossible_travel));
  if (c.critical_config_change.enabled) rules.push(configChangeRule(c.critical_config_change));
  if (c.scanner.enabled) rules.push(scannerRule(c.scanner));
  if (c.web_attack.enabled) rules.push(webAttackRule(c.web_attack));
  return rules;
}

/** The flat view rules read; undefined when the event has no usable time. */
export function toCorrelationEvent(e: SecurityEvent): CorrelationEvent | undefined {
  const ts = Date.parse(e.ts);
  if (!Number.isFinite(ts)) return undefined;
  const ev: CorrelationEvent = {
    id: e.id,
    ts,
    type: e.log?.type ?? (e.kind === 'http' ? 'http_request' : e.kind),
    event: e,
  };
  if (e.client.ip) ev.ip = e.client.ip;
  if (e.user !== undefined) ev.user = e.user;
  if (e.outcome !== undefined) ev.outcome = e.outcome;
  if (e.log?.terminal !== undefined) ev.terminal = e.log.terminal;
  const dst = e.log?.dst ?? e.http?.host;
  if (dst !== undefined) ev.dst = dst;
  return ev;
}

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

function refOf(s: Signal): string {
  const first = s.evidence[0]?.id ?? String(s.ts);
  return createHash('sha256').update(`${s.type}\u0000${s.dedupe}\u0000${first}`).digest('hex').slice(0, 32);
}

/** Merges details: lists are united (bounded), `max_*` numbers keep the largest, the rest is replaced. */
function mergeDetails(into: Record<string, unknown>, add: Record<string, unknown> | undefined): void {
  if (add === undefined) return;
  for (const [k, v] of Object.entries(add)) {
    const cur = into[k];
    if (k.startsWith('max_') && typeof cur === 'number' && typeof v === 'number') into[k] = Math.max(cur, v);
    else if (Array.isArray(cur) && Array.isArray(v)) {
      const seen = new Set(cur.map((x) => JSON.stringify(x)));
      for (const x of v) {
        if (cur.length >= MAX_DETAIL_LIST) break;
        if (!seen.has(JSON.stringify(x))) cur.push(x);
      }
    } else into[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
  }
}

function addEvidence(state: IncidentState, s: Signal): string[] {
  const added: string[] = [];
  for (const e of s.evidence) {
    if (state.evidenceIds.has(e.id)) continue;
    if (e.success === true) state.successes++;
    if (e.ip !== undefined && state.sources.size < MAX_DISTINCT) state.sources.add(e.ip);
    if (e.user !== undefined && state.users.size < MAX_DISTINCT) state.users.add(e.user);
    if (e.ts < state.first_seen) state.first_seen = e.ts;
    if (state.evidenceIds.size < MAX_EVIDENCE_LINKS) {
      state.evidenceIds.add(e.id);
      added.push(e.id);
    }
  }
  return added;
}

/** Turns signals into incidents: one per type and key within the cool-down. */
export function createIncidentTracker(): { apply(s: Signal): IncidentUpdate; open(): number } {
  const open = new LruMap<IncidentState>(MAX_OPEN_INCIDENTS);
  return {
    open: () => open.size,
    apply(s) {
      const key = `${s.type}\u0000${s.dedupe}`;
      const cur = open.get(key);
      const since = cur === undefined ? 0 : s.cooldownFrom === 'first_seen' ? cur.anchor : cur.last_seen;
      if (cur !== undefined && s.ts - since <= s.cooldownMs) {
        const added = addEvidence(cur, s);
        cur.count += s.count;
        if (s.ts > cur.last_seen) cur.last_seen = s.ts;
        if (rank(s.severity) > rank(cur.severity)) cur.severity = s.severity;
        mergeDetails(cur.details, s.details);
        cur.reason = s.describe(cur);
        return { state: cur, created: false, newEvidence: added };
      }
      const state: IncidentState = {
        ref: refOf(s),
        type: s.type,
        rule: s.rule,
        severity: s.severity,
        first_seen: s.ts,
        last_seen: s.ts,
        anchor: s.ts,
        keys: { ...s.keys },
        count: s.count,
        successes: 0,
        sources: new Set(),
        users: new Set(),
        thresholds: s.thresholds,
        reason: '',
        details: {},
        evidenceIds: new Set(),
      };
      const added = addEvidence(state, s);
      mergeDetails(state.details, s.details);
      state.reason = s.describe(state);
      open.set(key, state);
      return { state, created: true, newEvidence: added };
    },
  };
}

export function createCorrelator(config: CorrelationConfig): Correlator {
  const rules = buildRules(config);
  const tracker = createIncidentTracker();
  const stats: CorrelatorStats = { events: 0, signals: 0, incidents: 0, skipped: 0 };
  const signals: Signal[] = [];
  return {
    config,
    observe(event) {
      const ev = toCorrelationEvent(event);
      if (ev === undefined) {
        stats.skipped++;
        return [];
      }
      stats.events++;
      signals.length = 0;
      for (const r of rules) r.observe(ev, signals);
      if (signals.length === 0) return [];
      const updates: IncidentUpdate[] = [];
      for (const s of signals) {
        stats.signals++;
        const u = tracker.apply(s);
        if (u.created) stats.incidents++;
        updates.push(u);
      }
      return updates;
    },
    stats: () => ({ ...stats }),
  };
}
