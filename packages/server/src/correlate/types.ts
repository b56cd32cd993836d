/**
 * The correlator's contracts. Rules read CorrelationEvents (a flat view of a SecurityEvent, with its
 * event time in ms) and emit Signals; the IncidentTracker turns signals into incidents, merging the
 * signals of one key within a cool-down. Everything runs on event time only, so replaying a file gives
 * the same incidents as watching it live.
 */
import type { SecurityEvent, Severity } from '@palisade/engine';

export const INCIDENT_TYPES = [
  'brute_force',
  'credential_stuffing',
  'distributed_brute_force',
  'dos',
  'ddos',
  'concurrent_login',
  'impossible_travel',
  'critical_config_change',
  'scanner',
  'web_attack',
] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** One event as the rules see it. */
export interface CorrelationEvent {
  id: string;
  /** Event time, epoch ms. */
  ts: number;
  /** LogInfo.type, or `http_request` for web events. */
  type: string;
  ip?: string;
  user?: string;
  outcome?: string;
  terminal?: string;
  /** Destination address or web host. */
  dst?: string;
  event: SecurityEvent;
}

export interface Evidence {
  id: string;
  ts: number;
  /** A successful login among the evidence (a brute force that got in). */
  success?: boolean;
  ip?: string;
  user?: string;
}

export interface IncidentKeys {
  ip?: string;
  user?: string;
  target?: string;
}

/** What a rule says when its condition holds. */
export interface Signal {
  /** Rule id, e.g. `brute_force` or `dos.packets`. */
  rule: string;
  type: IncidentType;
  severity: Severity;
  /** Event time of the newest evidence. */
  ts: number;
  keys: IncidentKeys;
  /** Signals with the same type and dedupe key within the cool-down become one incident. */
  dedupe: string;
  /** Events not reported before (at most MAX_EVIDENCE_LINKS are linked per incident). */
  evidence: Evidence[];
  /** Units this signal adds to the incident's count (attempts, packets, requests). */
  count: number;
  thresholds: Record<string, number | string | boolean>;
  cooldownMs: number;
  /**
   * `last_seen`: the cool-down runs from the incident's newest evidence (a continuing attack stays
   * one incident); `first_seen`: from its first signal (the IT-Sec-Projekt repeat threshold).
   */
  cooldownFrom: 'last_seen' | 'first_seen';
  /** Writes the readable reason from the merged incident. */
  describe(state: IncidentState): string;
  /** Extra facts to keep with the incident (merged shallowly). */
  details?: Record<string, unknown>;
}

/** Most evidence event ids linked to one incident; the count keeps growing beyond. */
export const MAX_EVIDENCE_LINKS = 1000;
/** Most distinct sources/users remembered per incident. */
export const MAX_DISTINCT = 256;

export interface IncidentState {
  /** Stable reference: type, dedupe key and the first evidence id (idempotent upserts). */
  ref: string;
  type: IncidentType;
  rule: string;
  severity: Severity;
  first_seen: number;
  last_seen: number;
  /** When the first signal came (the `first_seen` cool-down anchor). */
  anchor: number;
  keys: IncidentKeys;
  /** Evidence units (attempts, packets, requests). */
  count: number;
  successes: number;
  sources: Set<string>;
  users: Set<string>;
  thresholds: Record<string, number | string | boolean>;
  reason: string;
  details: Record<string, unknown>;
  evidenceIds: Set<string>;
}

/** One change to persist: the incident as it is now, and the evidence added by this signal. */
export interface IncidentUpdate {
  state: IncidentState;
  created: boolean;
  newEvidence: string[];
}

export interface Rule {
  readonly id: string;
  observe(ev: CorrelationEvent, out: Signal[]): void;
}
