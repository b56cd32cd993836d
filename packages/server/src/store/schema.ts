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
  /** Consecutive failed logins since the last success or lockout (migration 0005). */
  failed_logins: Generated<number>;
  locked_until_ms: number | null;
  last_login_ms: number | null;
  password_changed_ms: number | null;
}

/** Browser sessions: the cookie holds a random id; only its SHA-256 (hex) is stored. */
export interface SessionsTable {
  id_hash: string;
  user_id: number;
  /** Sent back as the `X-CSRF-Token` header on unsafe requests; not a secret from the user. */
  csrf_token: string;
  /** The refresh-token family issued with this login; logout revokes both. */
  family: string;
  created_ms: number;
  /** Absolute end of the session; the idle limit is checked against last_seen_ms. */
  expires_ms: number;
  last_seen_ms: number;
  ip: string | null;
  /** Truncated to 200 characters. */
  user_agent: string | null;
}

/** Opaque refresh tokens (SHA-256 hex stored), rotated on every use; a reused one revokes its family. */
export interface RefreshTokensTable {
  id: Generated<number>;
  token_hash: string;
  family: string;
  user_id: number;
  created_ms: number;
  expires_ms: number;
  used_ms: number | null;
  revoked_ms: number | null;
}

/** Single-use registration invitations (SHA-256 hex of the token stored) with the role they grant. */
export interface InvitationsTable {
  id: Generated<number>;
  token_hash: string;
  role: string;
  created_by: string;
  created_ms: number;
  expires_ms: number;
  used_ms: number | null;
  used_by: number | null;
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

export interface IncidentCommentsTable {
  id: Generated<number>;
  incident_id: number;
  /** Audit actor of who wrote it (`user:<name>`, `apikey:<name>`). */
  author: string;
  body: string;
  created_ms: number;
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

/** Statistics rollup (stats.ts): event counts per dimension, time bucket and item (migration 0007). */
export interface StatsRollupTable {
  /** `total`, `ip`, `country`, `class`, `rule` or `geo`. */
  dim: string;
  /** Start of the bucket (a minute for `total`, an hour otherwise). */
  bucket_ms: number;
  /** The client address, country code, class, rule id or `<lat×10>:<lon×10>`; '' for `total`. */
  item: string;
  /** Country of an address or a point; class of a rule. */
  label: string | null;
  /** City of a point. */
  label2: string | null;
  events: number;
  blocked: number;
  logged: number;
  alerts_critical: number;
  alerts_high: number;
  alerts_medium: number;
  alerts_low: number;
  alerts_info: number;
}

/** A named role held by one process at a time until `expires_ms` (renewed while it works). */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_ms: number;
  acquired_ms: number;
  /** Where the holder's work stands (the correlation leader: the last event sequence it observed). */
  checkpoint: Generated<number>;
  updated_ms: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  sources: SourcesTable;
  log_files: LogFilesTable;
  log_uploads: LogUploadsTable;
  events: EventsTable;
  findings: FindingsTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  incident_comments: IncidentCommentsTable;
  bans: BansTable;
  settings: SettingsTable;
  audit_log: AuditLogTable;
  honeypot_hits: HoneypotHitsTable;
  models: ModelsTable;
  stats_rollup: StatsRollupTable;
  leases: LeasesTable;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type FindingRow = Selectable<FindingsTable>;
export type NewFindingRow = Insertable<FindingsTable>;
export type BanRow = Selectable<BansTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type UserRow = Selectable<UsersTable>;
export type SettingRow = Selectable<SettingsTable>;
export type AuditRow = Selectable<AuditLogTable>;
