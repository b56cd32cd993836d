/**
 * Incident repository: idempotent upserts of the correlator's updates (by `ref`), links to every
 * evidence event, the analyst workflow (open → acknowledged → resolved | false_positive, audited),
 * and the queries of the API and the CLI summary.
 */
import { sql, type Selectable } from 'kysely';
import type { Severity } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import type { IncidentStatus, IncidentType, IncidentUpdate } from '../correlate/types.js';
import { INCIDENT_STATUSES } from '../correlate/types.js';
import { audit } from './audit.js';
import type { Store } from './store.js';
import type { IncidentsTable } from './schema.js';

export interface Incident {
  id: number;
  ref: string | null;
  type: IncidentType;
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

/** Most evidence ids one statement links (SQLite's parameter limit is far above). */
const LINK_CHUNK = 400;

/** Persists correlator updates in one transaction; returns the incident id of each update. */
export async function applyIncidentUpdates(
  store: Store,
  updates: readonly IncidentUpdate[],
  nowMs: number,
): Promise<number[]> {
  if (updates.length === 0) return [];
  return store.db.transaction().execute(async (trx) => {
    const ids: number[] = [];
    for (const u of updates) {
      const s = u.state;
      const details = JSON.stringify({
        ...s.details,
        successes: s.successes,
        sources: [...s.sources].slice(0, 64),
        users: [...s.users].slice(0, 64),
      });
      const row = await trx
        .insertInto('incidents')
        .values({
          ref: s.ref,
          type: s.type,
          severity: s.severity,
          status: 'open',
          first_seen_ms: s.first_seen,
          last_seen_ms: s.last_seen,
          key_ip: s.keys.ip ?? null,
          key_user: s.keys.user ?? null,
          key_target: s.keys.target ?? null,
          count: s.count,
          rule: s.rule,
          rule_version: 1,
          thresholds: JSON.stringify(s.thresholds),
          summary: s.reason,
          details,
          created_ms: nowMs,
          updated_ms: nowMs,
        })
        .onConflict((oc) =>
          oc.column('ref').doUpdateSet({
            severity: s.severity,
            first_seen_ms: s.first_seen,
            last_seen_ms: s.last_seen,
            count: s.count,
            summary: s.reason,
            details,
            updated_ms: nowMs,
          }),
        )
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(row.id);
      for (let i = 0; i < u.newEvidence.length; i += LINK_CHUNK) {
        const chunk = u.newEvidence.slice(i, i + LINK_CHUNK);
        // Only events that were stored can be linked (an event refused as invalid is not there).
        await trx
          .insertInto('incident_events')
          .columns(['incident_id', 'event_id'])
          .expression(
            trx
              .selectFrom('events')
              .select([sql<number>`${row.id}`.as('incident_id'), 'id as event_id'])
              .where('id', 'in', chunk),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    }
    return ids;
  });
}

type Row = Selectable<IncidentsTable>;

const iso = (ms: number): string => new Date(Number(ms)).toISOString();

function toIncident(r: Row): Incident {
  const keys: Incident['keys'] = {};
  if (r.key_ip !== null) keys.ip = r.key_ip;
  if (r.key_user !== null) keys.user = r.key_user;
  if (r.key_target !== null) keys.target = r.key_target;
  return {
    id: Number(r.id),
    ref: r.ref,
    type: r.type as IncidentType,
    severity: r.severity as Severity,
    status: r.status as IncidentStatus,
    first_seen: iso(r.first_seen_ms),
    last_seen: iso(r.last_seen_ms),
    keys,
    count: Number(r.count),
    rule: r.rule,
    thresholds: JSON.parse(r.thresholds) as Record<string, unknown>,
    reason: r.summary ?? '',
    details: r.details === null ? {} : (JSON.parse(r.details) as Record<string, unknown>),
    assignee: r.assignee,
    created: iso(r.created_ms),
    updated: iso(r.updated_ms),
  };
}

/** An incident as the API shows it (list, detail, live stream): every field but the internal ref. */
export function incidentView(i: Incident) {
  return {
    id: i.id,
    type: i.type,
    severity: i.severity,
    status: i.status,
    first_seen: i.first_seen,
    last_seen: i.last_seen,
    keys: i.keys,
    count: i.count,
    rule: i.rule,
    thresholds: i.thresholds,
    reason: i.reason,
    details: i.details,
    assignee: i.assignee,
    created: i.created,
    updated: i.updated,
  };
}

export interface ListIncidentsOptions {
  status?: IncidentStatus;
  type?: string;
  ip?: string;
  user?: string;
  sinceMs?: number;
  untilMs?: number;
  /** Incidents with an id below this (the cursor of the previous page). */
  beforeId?: number;
  limit?: number;
}

/** Newest first. */
export async function listIncidents(store: Store, o: ListIncidentsOptions = {}): Promise<Incident[]> {
  let q = store.db.selectFrom('incidents').selectAll();
  if (o.status !== undefined) q = q.where('status', '=', o.status);
  if (o.type !== undefined) q = q.where('type', '=', o.type);
  if (o.ip !== undefined) q = q.where('key_ip', '=', o.ip);
  if (o.user !== undefined) q = q.where('key_user', '=', o.user);
  if (o.sinceMs !== undefined) q = q.where('last_seen_ms', '>=', o.sinceMs);
  if (o.untilMs !== undefined) q = q.where('first_seen_ms', '<', o.untilMs);
  if (o.beforeId !== undefined) q = q.where('id', '<', o.beforeId);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(o.limit ?? 100, 1), 1000))
    .execute();
  return rows.map((r) => toIncident(r));
}

export async function getIncident(store: Store, id: number): Promise<Incident | undefined> {
  const r = await store.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  return r === undefined ? undefined : toIncident(r);
}

/**
 * Incidents updated at or after `sinceMs` (wall-clock `updated_ms`), oldest update first, in keyset
 * order `(updated_ms, id)` after `afterId` at `sinceMs`: the live stream's store tail.
 */
export async function incidentsUpdatedSince(
  store: Store,
  sinceMs: number,
  afterId = 0,
  limit = 500,
): Promise<Incident[]> {
  const rows = await store.db
    .selectFrom('incidents')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('updated_ms', '>', sinceMs),
        eb.and([eb('updated_ms', '=', sinceMs), eb('id', '>', afterId)]),
      ]),
    )
    .orderBy('updated_ms')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => toIncident(r));
}

/** The newest `updated_ms` of any incident, 0 when there is none. */
export async function lastIncidentUpdateMs(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('incidents')
    .select((eb) => eb.fn.max('updated_ms').as('ms'))
    .executeTakeFirst();
  return Number(row?.ms ?? 0);
}

/** Evidence event ids of an incident, oldest first. */
export async function incidentEventIds(store: Store, id: number, limit = 1000): Promise<string[]> {
  const rows = await store.db
    .selectFrom('incident_events')
    .innerJoin('events', 'events.id', 'incident_events.event_id')
    .select('events.id')
    .where('incident_events.incident_id', '=', id)
    .orderBy('events.ts_ms')
    .orderBy('events.id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Incidents per type (all statuses), for summaries. */
export async function countIncidentsByType(
  store: Store,
  sinceCreatedMs = 0,
): Promise<Record<string, number>> {
  const rows = await store.db
    .selectFrom('incidents')
    .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_ms', '>=', sinceCreatedMs)
    .groupBy('type')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
}

const TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  open: ['acknowledged', 'resolved', 'false_positive'],
  acknowledged: ['open', 'resolved', 'false_positive'],
  resolved: ['open'],
  false_positive: ['open'],
};

/**
 * Moves an incident along the workflow and (re)assigns it (`assignee` undefined keeps it, null
 * clears it); refuses a transition the workflow does not have (PAL_ERR_VALIDATION) and an unknown
 * id (PAL_ERR_NOT_FOUND). Each change is audited (`incident.status`, `incident.assign`).
 */
export async function setIncidentStatus(
  store: Store,
  id: number,
  status: string,
  actor: string,
  nowMs = Date.now(),
  assignee?: string | null,
): Promise<Incident> {
  if (!(INCIDENT_STATUSES as readonly string[]).includes(status))
    throw new PalisadeError('PAL_ERR_VALIDATION', `status must be one of ${INCIDENT_STATUSES.join(', ')}`, {
      field: 'status',
    });
  const cur = await getIncident(store, id);
  if (cur === undefined) throw new PalisadeError('PAL_ERR_NOT_FOUND', `incident ${id} does not exist`);
  const next = status as IncidentStatus;
  if (next !== cur.status && !TRANSITIONS[cur.status].includes(next))
    throw new PalisadeError('PAL_ERR_VALIDATION', `an incident cannot go from ${cur.status} to ${next}`, {
      field: 'status',
    });
  await store.db
    .updateTable('incidents')
    .set({ status: next, updated_ms: nowMs, ...(assignee === undefined ? {} : { assignee }) })
    .where('id', '=', id)
    .execute();
  if (next !== cur.status)
    await audit(store, actor, 'incident.status', `incident:${id}`, { from: cur.status, to: next }, nowMs);
  if (assignee !== undefined && assignee !== cur.assignee)
    await audit(
      store,
      actor,
      'incident.assign',
      `incident:${id}`,
      { from: cur.assignee, to: assignee },
      nowMs,
    );
  return (await getIncident(store, id))!;
}
