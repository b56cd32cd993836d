/**
 * Stored events and incidents as OCSF 1.x objects (Open Cybersecurity Schema Framework), for the
 * `dataset export --format ocsf` file and the forwarders' JSON format. One class per event:
 *
 * - an event with findings, or a blocked one → Detection Finding (2004), the request in `evidences`;
 * - other web requests → HTTP Activity (4002);
 * - `auth` events (sshd, auditd, login logs) → Authentication (3002);
 * - `network` events (netfilter packets) → Network Activity (4001);
 * - incidents → Incident Finding (2005);
 * - anything else (system events without findings) has no class here and is skipped by the caller.
 *
 * Pure functions; allow-lists: the raw payload and a honeypot password never leave through here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Finding, SecurityEvent, Severity } from '@palisade/engine';
import type { Incident } from '../store/incidents.js';

/** The OCSF schema version the objects follow. */
export const OCSF_VERSION = '1.3.0';

export const OCSF_CLASSES = {
  detection_finding: { uid: 2004, name: 'Detection Finding', category: 2, category_name: 'Findings' },
  incident_finding: { uid: 2005, name: 'Incident Finding', category: 2, category_name: 'Findings' },
  authentication: {
    uid: 3002,
    name: 'Authentication',
    category: 3,
    category_name: 'Identity & Access Management',
  },
  network_activity: { uid: 4001, name: 'Network Activity', category: 4, category_name: 'Network Activity' },
  http_activity: { uid: 4002, name: 'HTTP Activity', category: 4, category_name: 'Network Activity' },
} as const;
export type OcsfClassName = keyof typeof OCSF_CLASSES;

export type OcsfObject = Record<string, unknown> & {
  class_uid: number;
  category_uid: number;
  activity_id: number;
  type_uid: number;
  severity_id: number;
  time: number;
  metadata: { product: { name: string; vendor_name: string; version: string }; version: string; uid: string };
};

export interface OcsfOptions {
  /** Product version in `metadata.product.version` (default: the server package's version). */
  version?: string;
}

let packageVersion: string | undefined;
/** The version of the `palisade` package (read once). */
export function productVersion(): string {
  if (packageVersion === undefined) {
    try {
      const file = createRequire(import.meta.url).resolve('../../package.json');
      packageVersion = (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
    } catch {
      packageVersion = '0.0.0';
    }
  }
  return packageVersion;
}

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical (0 Unknown). */
export const SEVERITY_IDS: Readonly<Record<Severity, number>> = {
  info: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};
const SEVERITY_NAMES = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'];

const HTTP_ACTIVITIES: Readonly<Record<string, [number, string]>> = {
  CONNECT: [1, 'Connect'],
  DELETE: [2, 'Delete'],
  GET: [3, 'Get'],
  HEAD: [4, 'Head'],
  OPTIONS: [5, 'Options'],
  POST: [6, 'Post'],
  PUT: [7, 'Put'],
  TRACE: [8, 'Trace'],
  PATCH: [9, 'Patch'],
};

/** Security-control outcome: action_id 1 Allowed / 2 Denied; disposition_id 1 Allowed, 2 Blocked, 17 Logged. */
function control(action: SecurityEvent['action']): Record<string, unknown> {
  if (action === 'block')
    return { action_id: 2, action: 'Denied', disposition_id: 2, disposition: 'Blocked' };
  if (action === 'log') return { action_id: 1, action: 'Allowed', disposition_id: 17, disposition: 'Logged' };
  return { action_id: 1, action: 'Allowed', disposition_id: 1, disposition: 'Allowed' };
}

/** Which OCSF class an event maps to, or undefined when none fits (system events without findings). */
export function ocsfClassOf(e: SecurityEvent): OcsfClassName | undefined {
  if (e.findings.length > 0 || e.action === 'block') return 'detection_finding';
  if (e.http) return 'http_activity';
  if (e.kind === 'auth') return 'authentication';
  if (e.kind === 'network') return 'network_activity';
  return undefined;
}

function base(
  cls: OcsfClassName,
  activity: [number, string],
  severity: Severity,
  time: number,
  uid: string,
  o: OcsfOptions,
  profiles?: string[],
): OcsfObject {
  const c = OCSF_CLASSES[cls];
  const sev = SEVERITY_IDS[severity] ?? 0;
  return {
    class_uid: c.uid,
    class_name: c.name,
    category_uid: c.category,
    category_name: c.category_name,
    activity_id: activity[0],
    activity_name: activity[1],
    type_uid: c.uid * 100 + activity[0],
    type_name: `${c.name}: ${activity[1]}`,
    severity_id: sev,
    severity: SEVERITY_NAMES[sev] ?? 'Unknown',
    time,
    metadata: {
      product: { name: 'Palisade', vendor_name: 'Palisade', version: o.version ?? productVersion() },
      version: OCSF_VERSION,
      uid,
      ...(profiles ? { profiles } : {}),
    },
  };
}

/** Drops undefined values (OCSF consumers treat a present null/undefined as a value). */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** The client as an OCSF network endpoint: ip, port, location, autonomous system. */
export function srcEndpoint(e: SecurityEvent): Record<string, unknown> | undefined {
  const c = e.client;
  const out: Record<string, unknown> = {};
  if (c.ip) out.ip = c.ip;
  if (c.port !== undefined) out.port = c.port;
  const g = c.geo;
  if (g && (g.country !== undefined || g.city !== undefined)) {
    out.location = compact({
      country: g.country,
      city: g.city,
      lat: g.lat,
      long: g.lon,
      ...(g.lat !== undefined && g.lon !== undefined ? { coordinates: [g.lon, g.lat] } : {}),
    });
  }
  if (c.asn) out.autonomous_system = { number: c.asn.number, name: c.asn.org };
  return Object.keys(out).length > 0 ? out : undefined;
}

function httpRequest(e: SecurityEvent): Record<string, unknown> | undefined {
  const h = e.http;
  if (!h) return undefined;
  const target = h.query ? `${h.path}?${h.query}` : h.path;
  return compact({
    http_method: h.method,
    url: compact({
      hostname: h.host,
      path: h.path,
      query_string: h.query,
      url_string: target,
    }),
    user_agent: h.user_agent,
    referrer: h.referer,
    length: h.bytes_in,
  });
}

function httpResponse(e: SecurityEvent): Record<string, unknown> | undefined {
  const h = e.http;
  if (h?.status === undefined) return undefined;
  return compact({
    code: h.status,
    length: h.bytes_out,
    latency: h.duration_ms === undefined ? undefined : Math.round(h.duration_ms),
  });
}

/** Observables: the client ip (type 2) and the user name (type 4). */
function observables(
  ip: string | undefined,
  user: string | undefined,
): Record<string, unknown>[] | undefined {
  const out: Record<string, unknown>[] = [];
  if (ip) out.push({ name: 'src_endpoint.ip', type_id: 2, type: 'IP Address', value: ip });
  if (user) out.push({ name: 'user.name', type_id: 4, type: 'User Name', value: user });
  return out.length > 0 ? out : undefined;
}

/** Palisade's own fields that OCSF has no attribute for. */
function palisadeFields(e: SecurityEvent): Record<string, unknown> {
  return compact({
    event_id: e.id,
    kind: e.kind,
    source: { name: e.source.name, type: e.source.type },
    score: e.score,
    severity: e.severity,
    ml_score: e.ml_score,
    anomaly_score: e.anomaly_score,
    log_type: e.log?.type,
    honeypot_trap: e.honeypot?.trap,
    labels: e.labels,
  });
}

const timeOf = (iso: string): number => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** HTTP Activity (4002): method → activity, request, response, client, control outcome. */
export function httpActivity(e: SecurityEvent, o: OcsfOptions = {}): OcsfObject {
  const h = e.http!;
  const method = h.method.toUpperCase();
  const activity = HTTP_ACTIVITIES[method] ?? [99, method || 'Other'];
  const status = h.status;
  return compact({
    ...base('http_activity', activity, e.severity, timeOf(e.ts), e.id, o, ['security_control']),
    ...control(e.action),
    status_id: status === undefined ? 0 : status < 400 ? 1 : 2,
    status: status === undefined ? 'Unknown' : status < 400 ? 'Success' : 'Failure',
    message: e.message ?? `${method} ${h.path}`,
    http_request: httpRequest(e),
    http_response: httpResponse(e),
    src_endpoint: srcEndpoint(e),
    dst_endpoint: h.host ? { hostname: h.host } : undefined,
    duration: h.duration_ms === undefined ? undefined : Math.round(h.duration_ms),
    observables: observables(e.client.ip, e.user),
    unmapped: palisadeFields(e),
  }) as OcsfObject;
}

const LOGON_TYPES = new Set(['auth_success', 'auth_failure', 'invalid_user', 'session_open']);
const LOGOFF_TYPES = new Set(['session_close', 'disconnect']);

/** Authentication (3002): login → Logon, session end → Logoff, other auth records → Other (99). */
export function authentication(e: SecurityEvent, o: OcsfOptions = {}): OcsfObject {
  const type = e.log?.type ?? 'other';
  const activity: [number, string] = LOGOFF_TYPES.has(type)
    ? [2, 'Logoff']
    : LOGON_TYPES.has(type) || (type === 'other' && e.outcome !== undefined)
      ? [1, 'Logon']
      : [99, type];
  const outcome = e.outcome ?? (type === 'auth_failure' || type === 'invalid_user' ? 'failure' : undefined);
  const statusId = outcome === 'success' ? 1 : outcome === 'failure' ? 2 : 0;
  const method = e.log?.method;
  return compact({
    ...base('authentication', activity, e.severity, timeOf(e.ts), e.id, o),
    status_id: statusId,
    status: ['Unknown', 'Success', 'Failure'][statusId],
    status_detail: type === 'invalid_user' ? 'USER_DOES_NOT_EXIST' : undefined,
    message: e.message,
    user: e.user ? { name: e.user } : { type_id: 0, type: 'Unknown' },
    // The login method (password, publickey) has no OCSF protocol id: Other, named.
    auth_protocol_id: method ? 99 : 0,
    auth_protocol: method ?? 'Unknown',
    is_remote: e.client.ip ? true : undefined,
    service: { name: e.log?.program ?? e.source.name },
    src_endpoint: srcEndpoint(e),
    dst_endpoint: e.log?.host ? { hostname: e.log.host } : undefined,
    session: e.log?.terminal ? { terminal: e.log.terminal } : undefined,
    observables: observables(e.client.ip, e.user),
    unmapped: palisadeFields(e),
  }) as OcsfObject;
}

/** Network Activity (4001): a logged packet is Traffic (6). */
export function networkActivity(e: SecurityEvent, o: OcsfOptions = {}): OcsfObject {
  const proto = e.log?.audit?.proto;
  return compact({
    ...base('network_activity', [6, 'Traffic'], e.severity, timeOf(e.ts), e.id, o),
    message: e.message,
    src_endpoint: srcEndpoint(e),
    dst_endpoint: e.log?.dst ? { ip: e.log.dst } : undefined,
    connection_info: proto === undefined ? undefined : { protocol_num: proto },
    observables: observables(e.client.ip, undefined),
    unmapped: palisadeFields(e),
  }) as OcsfObject;
}

/** Analytic type of a finding: 1 Rule (signatures, honeypot), 4 Learning (classifier), 3 Statistical (anomaly). */
function analytic(f: Finding): Record<string, unknown> {
  const [typeId, type] =
    f.class === 'ml' ? [4, 'Learning (ML/DL)'] : f.class === 'anomaly' ? [3, 'Statistical'] : [1, 'Rule'];
  return { name: f.rule, uid: f.rule, type_id: typeId, type, version: String(f.rule_version) };
}

const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** The strongest finding (severity, then confidence; the first on ties). */
export function mainFinding(findings: readonly Finding[]): Finding | undefined {
  let best: Finding | undefined;
  for (const f of findings)
    if (
      !best ||
      SEVERITY_ORDER.indexOf(f.severity) > SEVERITY_ORDER.indexOf(best.severity) ||
      (f.severity === best.severity && f.confidence > best.confidence)
    )
      best = f;
  return best;
}

/** A short title of an alert: "sqli blocked (sqli.union)". */
export function alertTitle(e: SecurityEvent): string {
  const f = mainFinding(e.findings);
  const verb = e.action === 'block' ? 'blocked' : e.action === 'log' ? 'logged' : 'detected';
  return f ? `${f.class} ${verb} (${f.rule})` : `request ${verb}`;
}

/** Detection Finding (2004): the event's findings, the request and client as evidence, the outcome. */
export function detectionFinding(e: SecurityEvent, o: OcsfOptions = {}): OcsfObject {
  const t = timeOf(e.ts);
  const main = mainFinding(e.findings);
  const confidence = main ? Math.round(Math.max(...e.findings.map((f) => f.confidence)) * 100) : undefined;
  const evidence = compact({
    src_endpoint: srcEndpoint(e),
    http_request: httpRequest(e),
    http_response: httpResponse(e),
    user: e.user ? { name: e.user } : undefined,
    data: {
      findings: e.findings.map((f) => ({
        rule: f.rule,
        rule_version: f.rule_version,
        class: f.class,
        severity: f.severity,
        confidence: f.confidence,
        location: f.location,
        evidence: f.evidence,
        decoded_by: f.decoded_by,
      })),
    },
  });
  return compact({
    ...base('detection_finding', [1, 'Create'], e.severity, t, e.id, o, ['security_control']),
    ...control(e.action),
    is_alert: true,
    status_id: 1,
    status: 'New',
    message: alertTitle(e),
    finding_info: compact({
      uid: e.id,
      title: alertTitle(e),
      desc: e.message,
      types: [...new Set(e.findings.map((f) => f.class))],
      analytic: main ? analytic(main) : { name: 'block', type_id: 99, type: 'Other' },
      related_analytics:
        e.findings.length > 1 ? e.findings.filter((f) => f !== main).map(analytic) : undefined,
      created_time: t,
      first_seen_time: t,
      last_seen_time: t,
      data_sources: [e.source.type],
    }),
    confidence_id: confidence === undefined ? 0 : confidence >= 80 ? 3 : confidence >= 50 ? 2 : 1,
    confidence_score: confidence,
    evidences: [evidence],
    observables: observables(e.client.ip, e.user),
    unmapped: palisadeFields(e),
  }) as OcsfObject;
}

/** The event's one OCSF object, or undefined when no class fits (see `ocsfClassOf`). */
export function eventToOcsf(e: SecurityEvent, o: OcsfOptions = {}): OcsfObject | undefined {
  switch (ocsfClassOf(e)) {
    case 'detection_finding':
      return detectionFinding(e, o);
    case 'http_activity':
      return httpActivity(e, o);
    case 'authentication':
      return authentication(e, o);
    case 'network_activity':
      return networkActivity(e, o);
    default:
      return undefined;
  }
}

/** Incident status → OCSF status_id: open 1 New, acknowledged 2 In Progress, resolved 4, false positive 5 Closed. */
const INCIDENT_STATUS: Readonly<Record<string, [number, string]>> = {
  open: [1, 'New'],
  acknowledged: [2, 'In Progress'],
  resolved: [4, 'Resolved'],
  false_positive: [5, 'Closed'],
};

export interface IncidentOcsfOptions extends OcsfOptions {
  /** Create (1), Update (2) or Close (3); default from the status (closed ones Close, acknowledged Update). */
  activity?: 'create' | 'update' | 'close';
}

/** Incident Finding (2005) of a stored incident. */
export function incidentToOcsf(i: Incident, o: IncidentOcsfOptions = {}): OcsfObject {
  const status = INCIDENT_STATUS[i.status] ?? [99, i.status];
  const activity =
    o.activity ??
    (i.status === 'resolved' || i.status === 'false_positive'
      ? 'close'
      : i.status === 'acknowledged'
        ? 'update'
        : 'create');
  const act: [number, string] =
    activity === 'close' ? [3, 'Close'] : activity === 'update' ? [2, 'Update'] : [1, 'Create'];
  const first = Date.parse(i.first_seen);
  const last = Date.parse(i.last_seen);
  const updated = Date.parse(i.updated);
  const uid = `incident-${i.id}`;
  const sev = SEVERITY_IDS[i.severity] ?? 0;
  return compact({
    ...base('incident_finding', act, i.severity, updated, uid, o),
    status_id: status[0],
    status: status[1],
    status_detail: i.status === 'false_positive' ? 'false_positive' : undefined,
    message: i.reason,
    desc: i.reason,
    finding_info_list: [
      compact({
        uid,
        title: `${i.type}: ${i.reason}`.slice(0, 500),
        desc: i.reason,
        types: [i.type],
        analytic: { name: i.rule, uid: i.rule, type_id: 1, type: 'Rule' },
        created_time: Date.parse(i.created),
        modified_time: updated,
        first_seen_time: first,
        last_seen_time: last,
        related_events_count: i.count,
      }),
    ],
    start_time: first,
    end_time: last,
    // OCSF asks for an assignee or an assignee group; before triage the incident has neither.
    ...(i.assignee ? { assignee: { name: i.assignee } } : { assignee_group: { name: 'unassigned' } }),
    // priority_id 1 Low .. 4 Critical (informational incidents are low).
    priority_id: Math.max(1, sev - 1),
    priority: ['Unknown', 'Low', 'Medium', 'High', 'Critical'][Math.max(1, sev - 1)],
    observables: observables(i.keys.ip, i.keys.user),
    unmapped: compact({
      incident_id: i.id,
      type: i.type,
      status: i.status,
      keys: i.keys,
      count: i.count,
      thresholds: i.thresholds,
      details: i.details,
    }),
  }) as OcsfObject;
}
