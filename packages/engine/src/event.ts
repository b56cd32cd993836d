/**
 * SecurityEvent: what every source (sensor, proxy, log ingest, honeypot) hands to the collector and
 * what the store keeps. The JSON form travels on `POST /api/v1/ingest` and on the bus; field names
 * are snake_case and map to ECS on export (DESIGN.md, "Contracts that everything shares").
 */
import type { Action, Finding, Severity } from './types.js';

export type EventKind = 'http' | 'auth' | 'system' | 'network' | 'honeypot';
export type Outcome = 'success' | 'failure' | 'unknown';
export type SourceType = 'sensor' | 'proxy' | 'log' | 'upload' | 'collector';

export interface GeoInfo {
  country?: string;
  country_name?: string;
  city?: string;
  lat?: number;
  lon?: number;
  /** Set instead of a location for private, loopback, link-local, CGNAT, documentation, ... ranges. */
  range?: string;
}

export interface AsnInfo {
  number: number;
  org: string;
}

export interface Reputation {
  /** Which lists matched: local blocklist file names, `abuseipdb`. */
  lists: string[];
  /** 0..100, the highest confidence among the matches. */
  score: number;
}

export interface ClientInfo {
  ip: string;
  port?: number;
  /** HMAC-SHA256(install secret, ip + user agent), hex; set by enrichment. */
  fingerprint?: string;
  geo?: GeoInfo;
  asn?: AsnInfo;
  reputation?: Reputation;
}

export interface HttpInfo {
  method: string;
  host?: string;
  path: string;
  /** The raw query string without `?`, percent-encoded as sent. */
  query?: string;
  status?: number;
  user_agent?: string;
  referer?: string;
  bytes_in?: number;
  bytes_out?: number;
  duration_ms?: number;
}

export interface EventSource {
  /** Stable name of the sensor, proxy, log file or upload (`sensor:shop`, `proxy:0.0.0.0:8080`). */
  name: string;
  type: SourceType;
}

export interface EventLabels {
  /** What the detectors concluded. */
  detector?: 'attack' | 'benign';
  /** What an analyst said (issue 5): a true or false positive. */
  analyst?: 'attack' | 'benign';
  split?: 'train' | 'test';
}

export interface SecurityEvent {
  /** Unique id assigned where the event was captured (a UUID); inserts are idempotent by id. */
  id: string;
  /** Event time, ISO 8601 with zone (the time in the request or log line, not the arrival time). */
  ts: string;
  kind: EventKind;
  source: EventSource;
  client: ClientInfo;
  http?: HttpInfo;
  user?: string;
  outcome?: Outcome;
  /** What Palisade did: `block` (refused), `log` (flagged, passed), `allow` (nothing found). */
  action: Action;
  score: number;
  severity: Severity;
  findings: Finding[];
  ml_score?: number;
  /** Learning mode's anomaly score 0..1 when an anomaly model is loaded (`verdict.anomaly`). */
  anomaly_score?: number;
  labels?: EventLabels;
  /** A short human text: the log line's message, the honeypot's note, the auth report. */
  message?: string;
  /**
   * The raw request (head and body, within the capture limit) or log line, as Latin-1 text: one
   * character per byte, so binary bodies survive JSON. Encrypted at rest; never shown without a role.
   */
  raw?: string;
  /** True when `raw` was cut at the capture limit. */
  raw_truncated?: boolean;
  /** For `kind: 'honeypot'`: which decoy was hit and what the visitor tried there. */
  honeypot?: HoneypotHit;
  /** For events read from logs: what the line said, beyond the fields above. */
  log?: LogInfo;
}

/**
 * What a log line (or a group of auditd records) said. `type` is the parsers' fixed vocabulary:
 * `http_request`, `auth_failure`, `auth_success`, `invalid_user`, `session_open`, `session_close`,
 * `disconnect`, `sudo`, `user_add`, `user_del`, `password_change`, `config_change`, `exec`,
 * `netfilter_packet`, `other`.
 */
export interface LogInfo {
  type: string;
  /** The host that wrote the line (syslog hostname, auditd node). */
  host?: string;
  program?: string;
  pid?: number;
  /** Login method: `password`, `publickey`, ... */
  method?: string;
  /** Terminal or session (auditd `terminal`, sshd pid). */
  terminal?: string;
  /** Destination address or host the line names (netfilter `daddr`, web vhost). */
  dst?: string;
  /** Where the line came from: file path (or upload name) and line number. */
  file?: string;
  line?: number;
  audit?: AuditInfo;
}

/** The auditd facts of an event (record types, rule key, the process and the files touched). */
export interface AuditInfo {
  types: string[];
  serial: number;
  key?: string;
  op?: string;
  /** USYS_CONFIG `table=`. */
  table?: string;
  /** NETFILTER_PKT protocol number. */
  proto?: number;
  uid?: number;
  auid?: number;
  exe?: string;
  command?: string;
  paths?: string[];
}

export interface HoneypotHit {
  /** The decoy's name, e.g. `wp-login`, `env-file`, `admin-panel`. */
  trap: string;
  username?: string;
  /** The password the visitor tried (attacker data, kept encrypted at rest like `raw`). */
  password?: string;
  /** A command or query the visitor tried to run through the decoy. */
  command?: string;
}

/** Longest accepted event id. */
export const EVENT_ID_MAX = 64;
