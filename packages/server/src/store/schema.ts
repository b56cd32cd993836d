/**
 * The store's tables as Kysely sees them (one interface per table, `Database` maps names to them).
 * Times are epoch milliseconds in `*_ms` columns; events also keep the original ISO text in `ts`.
 * JSON columns hold text so every dialect stores them the same way.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  name: string;
  /** scrypt or argon2 hash text, written by the auth module; never leaves the API. */
  password_hash: string | null;
  role: string;
  created_ms: number;
  disabled_ms: number | null;
}

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  /** SHA-256 of the whole secret, hex. The secret itself is never stored. */
  key_hash: string;
  /** The first characters of the secret (`pal_AbCdEfGh`), to recognise a key in a list. */
  prefix: string;
  /** Space-separated scope names. */
  scopes: string;
  user_id: number | null;
  created_ms: number;
  revoked_ms: number | null;
  last_used_ms: number | null;
}

export interface SourcesTable {
  id: Generated<number>;
  name: string;
  type: string;
  first_seen_ms: number;
  last_seen_ms: number;
}

export interface LogFilesTable {
  id: Generated<number>;
  source_id: number;
  path: string;
  /** `dev:ino` of the file when last read, to notice rotation. */
  file_id: string | null;
  offset_bytes: number;
  size_bytes: number;
  lines_read: number;
  lines_rejected: number;
  updated_ms: number;
}

export interface LogUploadsTable {
  id: Generated<number>;
  /** The uploaded file's name (sanitised); events from it have source `upload:<name>`. */
  name: string;
  /** SHA-256 of the uploaded bytes, hex; unique: the same file is ingested once. */
  sha256: string;
  size_bytes: number;
  /** `processing`, `done`, `partial` (stopped at a limit) or `failed`. */
  status: string;
  /** The format used (detected or given); null until known. */
  format: string | null;
  /** JSON of the ingest summary (lines, rejections, events and incidents by type). */
  summary: string | null;
  error: string | null;
  uploaded_ms: number;
  finished_ms: number | null;
  /** Who uploaded it (`apikey:<name>`). */
  uploaded_by: string;
}

export interface EventsTable {
  id: string;
  ts: string;
  ts_ms: number;
  source_id: number;
  kind: string;
  client_ip: string;
  client_port: number | null;
  fingerprint: string | null;
  geo_country: string | null;
  geo_country_name: string | null;
  geo_city: string | null;
  geo_lat: number | null;
  geo_lon: number | null;
  geo_range: string | null;
  asn_number: number | null;
  asn_org: string | null;
  reputation_score: number | null;
  /** JSON array of list names. */
  reputation_lists: string | null;
  method: string | null;
  host: string | null;
  path: string | null;
  query: string | null;
  status: number | null;
  user_agent: string | null;
  referer: string | null;
  bytes_in: number | null;
  bytes_out: number | null;
  duration_ms: number | null;
  user_name: string | null;
  outcome: string | null;
  action: string;
  score: number;
  severity: string;
  ml_score: number | null;
  /** Learning mode's score 0..1 (migration 0004). */
  anomaly_score: number | null;
  label_detector: string | null;
  label_analyst: string | null;
  label_split: string | null;
  message: string | null;
  /** AES-256-GCM sealed raw payload (crypto.ts), AAD bound to the event id. */
  raw_enc: Uint8Array | null;
  raw_key_id: string | null;
  raw_truncated: number;
  findings_count: number;
  created_ms: number;
  /** Log events: LogInfo.type (`auth_failure`, `config_change`, ...); `http_request` for web events. */
  event_type: string | null;
  dst: string | null;
  terminal: string | null;
  /** JSON of the LogInfo (host, program, pid, file, line, audit facts). */
  log_info: string | null;
}

export interface FindingsTable {
  id: Generated<number>;
  event_id: string;
  rule: string;
  rule_version: number;
  class: string;
  severity: string;
  confidence: number;
  location: string;
  evidence: string;
  /** JSON array of decoder names. */
  decoded_by: string;
}

export interface IncidentsTable {
  id: Generated<number>;
  type: string;
  severity: string;
  status: string;
  first_seen_ms: number;
  last_seen_ms: number;
  key_ip: string | null;
  key_user: string | null;
  key_target: string | null;
  count: number;
  rule: string;
  rule_version: number;
  /** JSON object: the thresholds that fired. */
  thresholds: string;
  summary: string | null;
  created_ms: number;
  updated_ms: number;
  /** Stable reference from the correlator (rule, keys, first evidence): upserts are idempotent. */
  ref: string | null;
  /** JSON object: sources, successes, the window, the profile. */
  details: string | null;
  assignee: string | null;
}

export interface IncidentEventsTable {
  incident_id: number;
  event_id: string;
}

export interface BansTable {
  id: Generated<number>;
  /** Canonical ip or CIDR text (ip.ts). */
  value: string;
  reason: string;
  /** What created it: `correlate:brute_force`, `api`, `cli`. */
  source: string;
  created_ms: number;
  until_ms: number | null;
  created_by: string;
  removed_ms: number | null;
  removed_by: string | null;
}

export interface SettingsTable {
  id: Generated<number>;
  key: string;
  version: number;
  /** JSON text. */
  value: string;
  created_ms: number;
  created_by: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  ts_ms: number;
  actor: string;
  action: string;
  target: string | null;
  /** JSON text. */
  details: string | null;
}

export interface HoneypotHitsTable {
  id: Generated<number>;
  event_id: string;
  trap: string;
  username: string | null;
  password_enc: Uint8Array | null;
  password_key_id: string | null;
  command: string | null;
  ts_ms: number;
}

export interface ModelsTable {
  /** `<kind>-<first 16 hex of sha256>`: the same bytes are the same model. */
  id: string;
  /** `classifier` or `anomaly`. */
  kind: string;
  name: string;
  sha256: string;
  size_bytes: number;
  bytes: Uint8Array;
  /** JSON of the training report's figures and of the comparison that activated it. */
  metrics: string | null;
  /** `candidate`, `active` or `retired`. */
  status: string;
  created_ms: number;
  created_by: string;
  activated_ms: number | null;
}

export interface Database {
  users: UsersTable;
  api_keys: ApiKeysTable;
  sources: SourcesTable;
  log_files: LogFilesTable;
  log_uploads: LogUploadsTable;
  events: EventsTable;
  findings: FindingsTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  bans: BansTable;
  settings: SettingsTable;
  audit_log: AuditLogTable;
  honeypot_hits: HoneypotHitsTable;
  models: ModelsTable;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type FindingRow = Selectable<FindingsTable>;
export type NewFindingRow = Insertable<FindingsTable>;
export type BanRow = Selectable<BansTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type SettingRow = Selectable<SettingsTable>;
export type AuditRow = Selectable<AuditLogTable>;
