/**
 * SecurityEvent ↔ table rows. `eventToRow` flattens an event into the events row (raw sealed with
 * the active key), `findingRows`/`honeypotRow` make the child rows, and `rowToEvent` rebuilds the
 * same SecurityEvent shape that went in (raw and the honeypot password only when decrypted on purpose).
 */
import type {
  AttackClass,
  EventKind,
  Finding,
  HoneypotHit,
  LogInfo,
  Outcome,
  SecurityEvent,
  Severity,
  SourceType,
  Action,
} from '@palisade/engine';
import { passwordAad, rawAad, type Keyring } from './crypto.js';
import type { EventRow, FindingRow, HoneypotHitsTable, NewEventRow, NewFindingRow } from './schema.js';
import type { Insertable, Selectable } from 'kysely';

export type HoneypotRow = Selectable<HoneypotHitsTable>;

const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export function eventToRow(
  e: SecurityEvent,
  tsMs: number,
  sourceId: number,
  keyring: Keyring,
  nowMs: number,
): NewEventRow {
  const c = e.client;
  const h = e.http;
  let rawEnc: Buffer | null = null;
  let rawKeyId: string | null = null;
  if (e.raw !== undefined && e.raw !== null) {
    const sealed = keyring.seal(Buffer.from(e.raw, 'latin1'), rawAad(e.id));
    rawEnc = sealed.blob;
    rawKeyId = sealed.keyId;
  }
  return {
    id: e.id,
    ts: e.ts,
    ts_ms: tsMs,
    source_id: sourceId,
    kind: e.kind,
    client_ip: c.ip,
    client_port: n(c.port),
    fingerprint: n(c.fingerprint),
    geo_country: n(c.geo?.country),
    geo_country_name: n(c.geo?.country_name),
    geo_city: n(c.geo?.city),
    geo_lat: n(c.geo?.lat),
    geo_lon: n(c.geo?.lon),
    geo_range: n(c.geo?.range),
    asn_number: n(c.asn?.number),
    asn_org: n(c.asn?.org),
    reputation_score: n(c.reputation?.score),
    reputation_lists: c.reputation ? JSON.stringify(c.reputation.lists) : null,
    method: n(h?.method),
    host: n(h?.host),
    path: n(h?.path),
    query: n(h?.query),
    status: n(h?.status),
    user_agent: n(h?.user_agent),
    referer: n(h?.referer),
    bytes_in: n(h?.bytes_in),
    bytes_out: n(h?.bytes_out),
    duration_ms: n(h?.duration_ms),
    user_name: n(e.user),
    outcome: n(e.outcome),
    action: e.action,
    score: e.score,
    severity: e.severity,
    ml_score: n(e.ml_score),
    anomaly_score: n(e.anomaly_score),
    label_detector: n(e.labels?.detector),
    label_analyst: n(e.labels?.analyst),
    label_split: n(e.labels?.split),
    message: n(e.message),
    raw_enc: rawEnc,
    raw_key_id: rawKeyId,
    raw_truncated: e.raw_truncated ? 1 : 0,
    findings_count: e.findings.length,
    created_ms: nowMs,
    event_type: n(e.log?.type ?? (h ? 'http_request' : undefined)),
    dst: n(e.log?.dst),
    terminal: n(e.log?.terminal),
    log_info: e.log ? JSON.stringify(e.log) : null,
  };
}

export function findingRows(e: SecurityEvent): NewFindingRow[] {
  return e.findings.map((f) => ({
    event_id: e.id,
    rule: f.rule,
    rule_version: f.rule_version,
    class: f.class,
    severity: f.severity,
    confidence: f.confidence,
    location: f.location,
    evidence: f.evidence ?? '',
    decoded_by: JSON.stringify(f.decoded_by),
  }));
}

export function honeypotRow(
  e: SecurityEvent,
  tsMs: number,
  keyring: Keyring,
): Insertable<HoneypotHitsTable> | undefined {
  const hp = e.honeypot;
  if (!hp) return undefined;
  const sealed =
    hp.password !== undefined && hp.password !== null
      ? keyring.seal(Buffer.from(hp.password, 'utf8'), passwordAad(e.id))
      : undefined;
  return {
    event_id: e.id,
    trap: hp.trap,
    username: n(hp.username),
    password_enc: sealed?.blob ?? null,
    password_key_id: sealed?.keyId ?? null,
    command: n(hp.command),
    ts_ms: tsMs,
  };
}

export function rowToFinding(r: FindingRow): Finding {
  return {
    rule: r.rule,
    rule_version: r.rule_version,
    class: r.class as AttackClass,
    severity: r.severity as Severity,
    confidence: r.confidence,
    location: r.location,
    evidence: r.evidence,
    decoded_by: JSON.parse(r.decoded_by) as string[],
  };
}

export interface RowToEventOptions {
  source: { name: string; type: string };
  findings: Finding[];
  honeypot?: HoneypotRow | undefined;
  /** Set to decrypt `raw` and the honeypot password (getEvent with `withRaw`). */
  keyring?: Keyring | undefined;
}

/** Rebuilds the SecurityEvent a row was made from; absent optional fields stay absent. */
export function rowToEvent(r: EventRow, o: RowToEventOptions): SecurityEvent {
  const e: SecurityEvent = {
    id: r.id,
    ts: r.ts,
    kind: r.kind as EventKind,
    source: { name: o.source.name, type: o.source.type as SourceType },
    client: { ip: r.client_ip },
    action: r.action as Action,
    score: r.score,
    severity: r.severity as Severity,
    findings: o.findings,
  };
  const c = e.client;
  if (r.client_port !== null) c.port = r.client_port;
  if (r.fingerprint !== null) c.fingerprint = r.fingerprint;
  if (
    r.geo_country !== null ||
    r.geo_country_name !== null ||
    r.geo_city !== null ||
    r.geo_lat !== null ||
    r.geo_lon !== null ||
    r.geo_range !== null
  ) {
    c.geo = {};
    if (r.geo_country !== null) c.geo.country = r.geo_country;
    if (r.geo_country_name !== null) c.geo.country_name = r.geo_country_name;
    if (r.geo_city !== null) c.geo.city = r.geo_city;
    if (r.geo_lat !== null) c.geo.lat = r.geo_lat;
    if (r.geo_lon !== null) c.geo.lon = r.geo_lon;
    if (r.geo_range !== null) c.geo.range = r.geo_range;
  }
  if (r.asn_number !== null) c.asn = { number: r.asn_number, org: r.asn_org ?? '' };
  if (r.reputation_score !== null)
    c.reputation = { score: r.reputation_score, lists: JSON.parse(r.reputation_lists ?? '[]') as string[] };
  if (r.method !== null) {
    const h: NonNullable<SecurityEvent['http']> = { method: r.method, path: r.path ?? '' };
    if (r.host !== null) h.host = r.host;
    if (r.query !== null) h.query = r.query;
    if (r.status !== null) h.status = r.status;
    if (r.user_agent !== null) h.user_agent = r.user_agent;
    if (r.referer !== null) h.referer = r.referer;
    if (r.bytes_in !== null) h.bytes_in = r.bytes_in;
    if (r.bytes_out !== null) h.bytes_out = r.bytes_out;
    if (r.duration_ms !== null) h.duration_ms = r.duration_ms;
    e.http = h;
  }
  if (r.user_name !== null) e.user = r.user_name;
  if (r.outcome !== null) e.outcome = r.outcome as Outcome;
  if (r.ml_score !== null) e.ml_score = r.ml_score;
  if (r.anomaly_score !== null) e.anomaly_score = r.anomaly_score;
  if (r.label_detector !== null || r.label_analyst !== null || r.label_split !== null) {
    const l: NonNullable<SecurityEvent['labels']> = {};
    if (r.label_detector !== null) l.detector = r.label_detector as 'attack' | 'benign';
    if (r.label_analyst !== null) l.analyst = r.label_analyst as 'attack' | 'benign';
    if (r.label_split !== null) l.split = r.label_split as 'train' | 'test';
    e.labels = l;
  }
  if (r.message !== null) e.message = r.message;
  if (r.log_info !== null) e.log = JSON.parse(r.log_info) as LogInfo;
  if (o.keyring && r.raw_enc !== null && r.raw_key_id !== null)
    e.raw = o.keyring
      .open(r.raw_enc, r.raw_key_id, rawAad(r.id), `raw payload of event ${r.id}`)
      .toString('latin1');
  if (r.raw_truncated) e.raw_truncated = true;
  const hp = o.honeypot;
  if (hp) {
    const hit: HoneypotHit = { trap: hp.trap };
    if (hp.username !== null) hit.username = hp.username;
    if (o.keyring && hp.password_enc !== null && hp.password_key_id !== null)
      hit.password = o.keyring
        .open(hp.password_enc, hp.password_key_id, passwordAad(r.id), `honeypot password of event ${r.id}`)
        .toString('utf8');
    if (hp.command !== null) hit.command = hp.command;
    e.honeypot = hit;
  }
  return e;
}
