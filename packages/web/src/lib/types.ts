/**
 * The API shapes the dashboard reads (docs: /work/notes/API_CONTRACT.md, /api/v1/openapi.json).
 * Only the fields shown are typed; the server's responses are allow-lists of these.
 */

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type Action = 'allow' | 'log' | 'block';
export type EventKind = 'http' | 'auth' | 'system' | 'network' | 'honeypot';
export type Role = 'viewer' | 'analyst' | 'admin';
export type Label = 'attack' | 'benign';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
export const ACTIONS: readonly Action[] = ['allow', 'log', 'block'];
export const KINDS: readonly EventKind[] = ['http', 'auth', 'system', 'network', 'honeypot'];

export interface Finding {
  rule: string;
  rule_version?: number;
  class: string;
  severity: Severity;
  confidence?: number;
  location: string;
  evidence: string;
  decoded_by: string[];
}

export interface SecurityEvent {
  id: string;
  ts: string;
  kind: EventKind;
  source: { name: string; type: string };
  client: {
    ip: string;
    port?: number;
    fingerprint?: string;
    geo?: {
      country?: string;
      country_name?: string;
      city?: string;
      lat?: number;
      lon?: number;
      range?: string;
    };
    asn?: { number: number; org: string };
    reputation?: { lists: string[]; score: number };
  };
  http?: {
    method: string;
    host?: string;
    path: string;
    query?: string;
    status?: number;
    user_agent?: string;
    referer?: string;
  };
  user?: string;
  outcome?: string;
  action: Action;
  score: number;
  severity: Severity;
  findings: Finding[];
  ml_score?: number;
  anomaly_score?: number;
  labels?: { detector?: Label; analyst?: Label; split?: string };
  message?: string;
  raw?: string;
  raw_truncated?: boolean;
  log?: { type: string; host?: string; program?: string; file?: string; line?: number };
}

export interface User {
  id: number;
  username: string;
  role: Role;
  created_ms: number;
  last_login_ms: number | null;
  disabled: boolean;
}

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved' | 'false_positive';
export const INCIDENT_STATUSES: readonly IncidentStatus[] = [
  'open',
  'acknowledged',
  'resolved',
  'false_positive',
];

export interface Incident {
  id: number;
  type: string;
  severity: Severity;
  status: IncidentStatus;
  first_seen: string;
  last_seen: string;
  keys: { ip?: string; user?: string; target?: string };
  count: number;
  rule: string;
  thresholds: Record<string, unknown>;
  reason: string;
  details: Record<string, unknown>;
  assignee: string | null;
  created: string;
  updated: string;
}

export interface Comment {
  id: number;
  author: string;
  body: string;
  created_ms: number;
}

export interface Ban {
  id: number;
  value: string;
  reason: string;
  source: string;
  created: string;
  created_by: string;
  until: string | null;
}

export interface UploadSummary {
  format?: string;
  lines?: number;
  parsed?: number;
  events?: number;
  rejected?: number;
  rejections?: Array<{ line: number; reason: string }>;
  rejected_by_reason?: Record<string, number>;
  events_by_kind?: Record<string, number>;
  flagged?: number;
  refused?: number;
  incidents_by_type?: Record<string, number>;
  duration_ms?: number;
}

export interface Upload {
  id: number;
  name: string;
  sha256: string;
  size: number;
  status: string;
  format: string | null;
  uploaded: string;
  finished: string | null;
  uploaded_by: string;
  error: string | null;
  summary?: UploadSummary | null;
}

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  created_ms: number;
  revoked_ms: number | null;
  last_used_ms: number | null;
}

export interface Exclusion {
  id: number;
  rule?: string | null;
  class?: string | null;
  path?: string | null;
  method?: string | null;
  location?: string | null;
  reason: string;
  created_by: string;
  created_ms: number;
}

export interface StatsSummary {
  events: number;
  blocked: number;
  logged: number;
  alerts: Record<Severity, number>;
  open_incidents: number;
  sources: number;
}

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
