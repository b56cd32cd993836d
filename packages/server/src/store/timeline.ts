/**
 * The timeline of one user or one source address: their events (logins, logouts, config changes,
 * web requests — read from the events table's `user_name`/`client_ip` and `event_type` columns)
 * merged with the incidents that name them, newest first. Items are allow-lists: no raw payloads,
 * no query strings.
 */
import type { Store } from './store.js';

/** Most items one timeline query returns. */
export const TIMELINE_LIMIT_MAX = 1000;
const SUMMARY_MAX = 300;

interface ItemBase {
  /** ISO time: the event's time, or the incident's newest evidence. */
  ts: string;
  /** LogInfo type (`auth_failure`, `config_change`, `http_request`, ...) or the incident type. */
  type: string;
  summary: string;
  severity: string;
  ip: string | null;
  user: string | null;
}

export interface TimelineEvent extends ItemBase {
  kind: 'event';
  id: string;
  /** The event's kind: http, auth, system, network, honeypot. */
  event_kind: string;
  outcome: string | null;
  action: string;
  source: string;
}

export interface TimelineIncident extends ItemBase {
  kind: 'incident';
  id: number;
  status: string;
  first_seen: string;
  last_seen: string;
  count: number;
}

export type TimelineItem = TimelineEvent | TimelineIncident;

export interface TimelineQuery {
  /** Exactly one of user and ip. */
  user?: string;
  ip?: string;
  /** Inclusive lower bound, epoch ms. */
  sinceMs?: number;
  /** Exclusive upper bound, epoch ms. */
  untilMs?: number;
  /** 1..1000, default 100. */
  limit?: number;
}

const iso = (ms: number): string => new Date(Number(ms)).toISOString();
const cut = (s: string): string => (s.length > SUMMARY_MAX ? `${s.slice(0, SUMMARY_MAX - 1)}…` : s);

/** One line about an event: the log message, or `METHOD path → status` for a web request. */
function eventSummary(r: {
  message: string | null;
  method: string | null;
  path: string | null;
  status: number | null;
  kind: string;
}): string {
  if (r.message !== null && r.message !== '') return cut(r.message);
  if (r.method !== null || r.path !== null)
    return cut(`${r.method ?? '-'} ${r.path ?? ''}${r.status === null ? '' : ` → ${r.status}`}`);
  return r.kind;
}

/** The timeline of `q.user` or `q.ip`, newest first; an incident sorts before events of its time. */
export async function timeline(store: Store, q: TimelineQuery): Promise<TimelineItem[]> {
  const limit = Math.min(Math.max(q.limit ?? 100, 1), TIMELINE_LIMIT_MAX);
  const byUser = q.user !== undefined;
  const key = (byUser ? q.user : q.ip) ?? '';
  const events = await store.db
    .selectFrom('events')
    .innerJoin('sources', 'sources.id', 'events.source_id')
    .select([
      'events.id',
      'events.ts_ms',
      'events.kind',
      'events.event_type',
      'events.message',
      'events.method',
      'events.path',
      'events.status',
      'events.severity',
      'events.action',
      'events.outcome',
      'events.client_ip',
      'events.user_name',
      'sources.name as source',
    ])
    .where(byUser ? 'events.user_name' : 'events.client_ip', '=', key)
    .$if(q.sinceMs !== undefined, (qb) => qb.where('events.ts_ms', '>=', q.sinceMs!))
    .$if(q.untilMs !== undefined, (qb) => qb.where('events.ts_ms', '<', q.untilMs!))
    .orderBy('events.ts_ms', 'desc')
    .orderBy('events.id', 'desc')
    .limit(limit)
    .execute();
  const incidents = await store.db
    .selectFrom('incidents')
    .select([
      'id',
      'type',
      'severity',
      'status',
      'summary',
      'first_seen_ms',
      'last_seen_ms',
      'count',
      'key_ip',
      'key_user',
    ])
    .where(byUser ? 'key_user' : 'key_ip', '=', key)
    .$if(q.sinceMs !== undefined, (qb) => qb.where('last_seen_ms', '>=', q.sinceMs!))
    .$if(q.untilMs !== undefined, (qb) => qb.where('last_seen_ms', '<', q.untilMs!))
    .orderBy('last_seen_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();

  const out: TimelineItem[] = [];
  let e = 0;
  let i = 0;
  while (out.length < limit && (e < events.length || i < incidents.length)) {
    const ev = events[e];
    const inc = incidents[i];
    if (inc !== undefined && (ev === undefined || Number(inc.last_seen_ms) >= Number(ev.ts_ms))) {
      i++;
      out.push({
        ts: iso(inc.last_seen_ms),
        kind: 'incident',
        type: inc.type,
        summary: cut(inc.summary ?? inc.type),
        id: Number(inc.id),
        severity: inc.severity,
        status: inc.status,
        first_seen: iso(inc.first_seen_ms),
        last_seen: iso(inc.last_seen_ms),
        count: Number(inc.count),
        ip: inc.key_ip,
        user: inc.key_user,
      });
    } else if (ev !== undefined) {
      e++;
      out.push({
        ts: iso(ev.ts_ms),
        kind: 'event',
        type: ev.event_type ?? ev.kind,
        summary: eventSummary(ev),
        id: ev.id,
        event_kind: ev.kind,
        severity: ev.severity,
        outcome: ev.outcome,
        action: ev.action,
        source: ev.source,
        ip: ev.client_ip === '' ? null : ev.client_ip,
        user: ev.user_name,
      });
    }
  }
  return out;
}
