/**
 * Event repository: idempotent batch inserts (one transaction per batch, `ON CONFLICT DO NOTHING`
 * by id, child rows only for newly inserted events), filtered keyset paging newest first, single
 * event reads with findings (and the decrypted raw payload on request), and counts.
 */
import type { Action, EventKind, Finding, SecurityEvent, Severity } from '@palisade/engine';
import { EVENT_ID_MAX, SEVERITIES } from '@palisade/engine';
import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SqlBool,
  type Transaction,
} from 'kysely';
import { PalisadeError } from '../errors.js';
import type { Database, EventRow } from './schema.js';
import type { Store } from './store.js';
import { eventTimeMs, validateEvent } from './validate-event.js';
import {
  eventToRow,
  findingRows,
  honeypotRow,
  rowToEvent,
  rowToFinding,
  type HoneypotRow,
} from './event-rows.js';
import type { Keyring } from './crypto.js';
import { addEventsToStats } from './stats-rollup.js';

export const LIST_LIMIT_MAX = 500;
export const LIST_LIMIT_DEFAULT = 100;
const Q_MAX = 256;
const CURSOR_MAX = 256;
const ACTIONS: readonly string[] = ['allow', 'log', 'block'];

export interface InsertResult {
  /** Events newly written by this call. */
  inserted: number;
  /** Events whose id was already stored (or repeated within the batch): nothing written for them. */
  duplicates: number;
}

/** Rows per statement so that rows × columns stays under the dialect's parameter limit. */
function chunk<T extends object>(rows: T[], maxParams: number): T[][] {
  if (rows.length === 0) return [];
  const cols = Object.keys(rows[0]!).length;
  const per = Math.max(1, Math.floor(maxParams / cols));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += per) out.push(rows.slice(i, i + per));
  return out;
}

async function upsertSources(
  trx: Transaction<Database>,
  store: Store,
  batch: { e: SecurityEvent; tsMs: number }[],
): Promise<Map<string, number>> {
  const span = new Map<string, { type: string; first: number; last: number }>();
  for (const { e, tsMs } of batch) {
    const s = span.get(e.source.name);
    if (!s) span.set(e.source.name, { type: e.source.type, first: tsMs, last: tsMs });
    else {
      if (tsMs < s.first) s.first = tsMs;
      if (tsMs > s.last) s.last = tsMs;
    }
  }
  const ids = new Map<string, number>();
  for (const [name, s] of span) {
    const row = await trx
      .insertInto('sources')
      .values({ name, type: s.type, first_seen_ms: s.first, last_seen_ms: s.last })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet((eb) => ({
          first_seen_ms: eb
            .case()
            .when('excluded.first_seen_ms', '<', eb.ref('sources.first_seen_ms'))
            .then(eb.ref('excluded.first_seen_ms'))
            .else(eb.ref('sources.first_seen_ms'))
            .end(),
          last_seen_ms: eb
            .case()
            .when('excluded.last_seen_ms', '>', eb.ref('sources.last_seen_ms'))
            .then(eb.ref('excluded.last_seen_ms'))
            .else(eb.ref('sources.last_seen_ms'))
            .end(),
        })),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.set(name, row.id);
    store.sourceIds.set(name, row.id);
  }
  return ids;
}

export interface InsertOptions {
  /**
   * Count the new events in the statistics rollup (default true). Only a bulk load turns it off,
   * and calls rebuildStats once when done.
   */
  stats?: boolean;
}

/**
 * Writes events that already passed validateEvent, in one transaction. Idempotent by event id:
 * re-inserting a stored id writes nothing (not even findings).
 */
export async function insertValidatedEvents(
  store: Store,
  events: readonly SecurityEvent[],
  opts: InsertOptions = {},
): Promise<InsertResult> {
  const stats = opts.stats ?? true;
  const seen = new Set<string>();
  const batch: { e: SecurityEvent; tsMs: number }[] = [];
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    batch.push({ e, tsMs: eventTimeMs(e.ts) });
  }
  if (batch.length === 0) return { inserted: 0, duplicates: events.length };
  const now = Date.now();
  const { keyring } = store;
  const { maxParams } = store.dialect;
  let lo = Infinity;
  let hi = -Infinity;
  for (const { tsMs } of batch) {
    if (tsMs < lo) lo = tsMs;
    if (tsMs > hi) hi = tsMs;
  }
  const span = [lo, hi] as const;
  return store.db.transaction().execute(async (trx) => {
    await store.dialect.beginEventWrite?.(
      trx,
      batch.map((b) => b.tsMs),
    );
    const sourceIds = await upsertSources(trx, store, batch);
    const rows = batch.map(({ e, tsMs }) => eventToRow(e, tsMs, sourceIds.get(e.source.name)!, keyring, now));
    if (store.dialect.prepared) {
      const freshIds: string[] = [];
      const res = insertPrepared(trx, store.dialect.prepared, batch, rows, keyring, events.length, freshIds);
      if (stats) await addEventsToStats(trx, freshIds, span);
      return res;
    }
    const inserted = new Set<string>();
    const { insertMany, eventKey } = store.dialect;
    if (insertMany) {
      const ids = await insertMany(trx, 'events', rows, { conflict: eventKey, returning: 'id' });
      for (const id of ids) inserted.add(id as string);
    } else
      for (const part of chunk(rows, maxParams)) {
        const res = await trx
          .insertInto('events')
          .values(part)
          .onConflict((oc) => oc.columns(eventKey).doNothing())
          .returning('id')
          .execute();
        for (const r of res) inserted.add(r.id);
      }
    const fresh = inserted.size === batch.length ? batch : batch.filter(({ e }) => inserted.has(e.id));
    const findings = fresh.flatMap(({ e }) => findingRows(e));
    const hits = fresh.flatMap(({ e, tsMs }) => honeypotRow(e, tsMs, keyring) ?? []);
    if (insertMany) {
      await insertMany(trx, 'findings', findings);
      await insertMany(trx, 'honeypot_hits', hits);
    } else {
      for (const part of chunk(findings, maxParams)) await trx.insertInto('findings').values(part).execute();
      for (const part of chunk(hits, maxParams)) await trx.insertInto('honeypot_hits').values(part).execute();
    }
    if (stats)
      await addEventsToStats(
        trx,
        fresh.map(({ e }) => e.id),
        span,
      );
    return { inserted: inserted.size, duplicates: events.length - inserted.size };
  });
}

/** The SQL of a one-row insert of `row`'s columns (in their key order), compiled once per table and shape. */
const insertSql = new Map<string, string>();

function rowInsert(
  trx: Transaction<Database>,
  table: 'events' | 'findings' | 'honeypot_hits',
  row: object,
  ignoreConflict: boolean,
): string {
  const key = `${table}\u0000${ignoreConflict}\u0000${Object.keys(row).join(',')}`;
  let text = insertSql.get(key);
  if (text === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one builder for three tables
    const q = trx.insertInto(table).values(row as any);
    text = (ignoreConflict ? q.onConflict((oc) => oc.column('id' as never).doNothing()) : q).compile().sql;
    insertSql.set(key, text);
  }
  return text;
}

/**
 * The same writes through cached prepared statements, one row each (SQLite: no SQL is built or
 * parsed per batch; the statements run on Kysely's connection, inside its transaction).
 */
function insertPrepared(
  trx: Transaction<Database>,
  prepared: NonNullable<Store['dialect']['prepared']>,
  batch: { e: SecurityEvent; tsMs: number }[],
  rows: ReturnType<typeof eventToRow>[],
  keyring: Keyring,
  total: number,
  /** Receives the ids that were new rows. */
  freshIds: string[],
): InsertResult {
  if (rows.length === 0) return { inserted: 0, duplicates: total };
  // eventToRow, findingRows and honeypotRow always build the same columns in the same order.
  const insertEvent = prepared(rowInsert(trx, 'events', rows[0]!, true));
  let insertFinding: ((params: readonly unknown[]) => number) | undefined;
  let insertHit: ((params: readonly unknown[]) => number) | undefined;
  let inserted = 0;
  for (let i = 0; i < rows.length; i++) {
    if (insertEvent(Object.values(rows[i]!)) === 0) continue;
    inserted++;
    const { e, tsMs } = batch[i]!;
    freshIds.push(e.id);
    for (const f of findingRows(e)) {
      insertFinding ??= prepared(rowInsert(trx, 'findings', f, false));
      insertFinding(Object.values(f));
    }
    const hit = honeypotRow(e, tsMs, keyring);
    if (hit) {
      insertHit ??= prepared(rowInsert(trx, 'honeypot_hits', hit, false));
      insertHit(Object.values(hit));
    }
  }
  return { inserted, duplicates: total - inserted };
}

/** Validates and writes events in one transaction; throws PAL_ERR_STORE_INVALID_EVENT on the first bad one. */
export async function insertEvents(
  store: Store,
  events: readonly SecurityEvent[],
  opts: InsertOptions = {},
): Promise<InsertResult> {
  for (let i = 0; i < events.length; i++) {
    const reason = validateEvent(events[i]!);
    if (reason)
      throw new PalisadeError('PAL_ERR_STORE_INVALID_EVENT', `event ${i}: ${reason}`, { index: i, reason });
  }
  return insertValidatedEvents(store, events, opts);
}

export interface EventFilter {
  /** Inclusive lower bound: ISO time or epoch ms. */
  from?: string | number;
  /** Exclusive upper bound: ISO time or epoch ms. */
  to?: string | number;
  ip?: string;
  fingerprint?: string;
  /** Events with at least one finding of this attack class. */
  class?: string;
  /** Events with at least one finding of this rule id. */
  rule?: string;
  /** Minimum severity. */
  severity?: Severity;
  action?: Action;
  /** Source name. */
  source?: string;
  kind?: EventKind;
  /** Log events of one of these LogInfo types (`auth_failure`, `config_change`, ...). */
  event_type?: readonly string[];
  /** Substring of path, query, user agent or message. */
  q?: string;
}

export interface EventPageQuery extends EventFilter {
  /** `next_cursor` of the previous page. */
  cursor?: string;
  /** 1..500, default 100. */
  limit?: number;
}

export interface EventPage {
  events: SecurityEvent[];
  next_cursor: string | null;
}

function filterError(message: string): PalisadeError {
  return new PalisadeError('PAL_ERR_STORE_FILTER', message);
}

/** Epoch ms from an ISO time or a number of ms (also as decimal text). */
export function parseTimeBound(v: string | number, name: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw filterError(`${name} must be a finite number of ms`);
    return v;
  }
  const ms = /^\d{1,16}$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(ms)) throw filterError(`${name} is not a time: ${String(v).slice(0, 40)}`);
  return ms;
}

export function encodeCursor(tsMs: number, id: string): string {
  return Buffer.from(JSON.stringify([tsMs, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { tsMs: number; id: string } {
  const bad = () => new PalisadeError('PAL_ERR_STORE_CURSOR', 'cursor is not one this server issued');
  if (typeof cursor !== 'string' || cursor.length > CURSOR_MAX) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== 'number' ||
    !Number.isFinite(v[0]) ||
    typeof v[1] !== 'string'
  )
    throw bad();
  return { tsMs: v[0], id: v[1] };
}

/**
 * Keyset paging newest first: the rows after `cursor` in (time desc, id desc) order; `ts` and `id`
 * are the columns (of events, or of findings joined to their events).
 */
export function beforeCursor<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  ts: Expression<number>,
  id: Expression<string | number>,
  cursor: { tsMs: number; id: string | number },
): Expression<SqlBool> {
  return eb.or([eb(ts, '<', cursor.tsMs), eb.and([eb(ts, '=', cursor.tsMs), eb(id, '<', cursor.id)])]);
}

/** One page of a query that asked for `limit + 1` rows; the next cursor is null on the last page. */
export function pageOf<R>(
  rows: R[],
  limit: number,
  cursorOf: (last: R) => string,
): { rows: R[]; next_cursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { rows: page, next_cursor: more && last !== undefined ? cursorOf(last) : null };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

type EventsEB = ExpressionBuilder<Database, 'events'>;

const Q_COLUMNS = ['path', 'query', 'user_agent', 'message'] as const;

/** The WHERE condition for a filter; throws PAL_ERR_STORE_FILTER on a bad value. */
/** `like`: the dialect's case-insensitive LIKE for `q` (StoreDialect.ilike). */
export function filterWhere(
  eb: EventsEB,
  f: EventFilter,
  like: 'like' | 'ilike' = 'like',
): Expression<SqlBool> {
  const c: Expression<SqlBool>[] = [];
  if (f.from !== undefined) c.push(eb('events.ts_ms', '>=', parseTimeBound(f.from, 'from')));
  if (f.to !== undefined) c.push(eb('events.ts_ms', '<', parseTimeBound(f.to, 'to')));
  if (f.ip !== undefined) c.push(eb('events.client_ip', '=', f.ip));
  if (f.fingerprint !== undefined) c.push(eb('events.fingerprint', '=', f.fingerprint));
  if (f.action !== undefined) {
    if (!ACTIONS.includes(f.action)) throw filterError('action must be allow|log|block');
    c.push(eb('events.action', '=', f.action));
  }
  if (f.kind !== undefined) c.push(eb('events.kind', '=', f.kind));
  if (f.event_type !== undefined) c.push(eb('events.event_type', 'in', [...f.event_type]));
  if (f.severity !== undefined) {
    const i = SEVERITIES.indexOf(f.severity);
    if (i < 0) throw filterError(`severity must be one of ${SEVERITIES.join('|')}`);
    c.push(eb('events.severity', 'in', SEVERITIES.slice(i)));
  }
  if (f.source !== undefined)
    c.push(
      eb(
        'events.source_id',
        'in',
        eb.selectFrom('sources').select('sources.id').where('sources.name', '=', f.source),
      ),
    );
  for (const [col, value] of [
    ['class', f.class],
    ['rule', f.rule],
  ] as const) {
    if (value === undefined) continue;
    c.push(
      eb.exists(
        eb
          .selectFrom('findings')
          .select('findings.id')
          .whereRef('findings.event_id', '=', 'events.id')
          .where(`findings.${col}`, '=', value),
      ),
    );
  }
  if (f.q !== undefined && f.q !== '') {
    if (f.q.length > Q_MAX) throw filterError(`q is longer than ${Q_MAX} characters`);
    const pattern = `%${escapeLike(f.q)}%`;
    c.push(
      eb.or(
        Q_COLUMNS.map(
          (col) => sql<SqlBool>`${eb.ref(`events.${col}`)} ${sql.raw(like)} ${pattern} escape '\\'`,
        ),
      ),
    );
  }
  return eb.and(c);
}

async function hydrate(
  db: Kysely<Database>,
  rows: EventRow[],
  keyring: Keyring | undefined,
): Promise<SecurityEvent[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const findingsByEvent = new Map<string, Finding[]>();
  if (rows.some((r) => r.findings_count > 0)) {
    const frows = await db
      .selectFrom('findings')
      .selectAll()
      .where('event_id', 'in', ids)
      .orderBy('id')
      .execute();
    for (const f of frows) {
      let list = findingsByEvent.get(f.event_id);
      if (!list) findingsByEvent.set(f.event_id, (list = []));
      list.push(rowToFinding(f));
    }
  }
  const hits = new Map<string, HoneypotRow>();
  if (rows.some((r) => r.kind === 'honeypot')) {
    const hrows = await db.selectFrom('honeypot_hits').selectAll().where('event_id', 'in', ids).execute();
    for (const h of hrows) hits.set(h.event_id, h);
  }
  const sourceIds = [...new Set(rows.map((r) => r.source_id))];
  const sources = new Map(
    (
      await db.selectFrom('sources').select(['id', 'name', 'type']).where('id', 'in', sourceIds).execute()
    ).map((s) => [s.id, s]),
  );
  return rows.map((r) =>
    rowToEvent(r, {
      source: sources.get(r.source_id) ?? { name: 'unknown', type: 'collector' },
      findings: findingsByEvent.get(r.id) ?? [],
      honeypot: hits.get(r.id),
      keyring,
    }),
  );
}

/** One page of events, newest first, matching `query`; `next_cursor` is null on the last page. */
export async function listEvents(store: Store, query: EventPageQuery = {}): Promise<EventPage> {
  const limit = query.limit ?? LIST_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX)
    throw filterError(`limit must be an integer from 1 to ${LIST_LIMIT_MAX}`);
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await store.db
    .selectFrom('events')
    .selectAll()
    .where((eb) => filterWhere(eb, query, store.dialect.ilike))
    .$if(cursor !== undefined, (qb) =>
      qb.where((eb) => beforeCursor(eb, eb.ref('ts_ms'), eb.ref('id'), cursor!)),
    )
    .orderBy('ts_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = pageOf(rows, limit, (last) => encodeCursor(last.ts_ms, last.id));
  return { events: await hydrate(store.db, page.rows, undefined), next_cursor: page.next_cursor };
}

/**
 * The commit sequence of events (store/dialect.ts `commitSeq`): SQLite's rowid, which grows in
 * commit order because SQLite serialises writers; PostgreSQL's `seq`, drawn under the event-write
 * lock (dialects/postgres.ts).
 */
const commitSeq = (store: Store) => sql<number>`${sql.ref(store.dialect.commitSeq)}`;

/** Where the commit order of events stands: the highest commit sequence, 0 for an empty table. */
export async function lastEventSeq(store: Store): Promise<number> {
  const COMMIT_SEQ = commitSeq(store);
  const row = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.max(COMMIT_SEQ).as('seq'))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/**
 * Events committed after sequence `after`, in commit order, as the events list shows them (no raw
 * payload), with the sequence of the last one (the live stream's store tail, serve/live-tail.ts;
 * the correlation leader, correlate/leader.ts). `upto`: only sequences ≤ it; `since`: only events
 * whose time or whose commit (`created_ms`) is at or after the given one (a leader's warm-up
 * replays a recent slice).
 */
export async function eventsCommittedAfter(
  store: Store,
  after: number,
  limit = LIST_LIMIT_MAX,
  range: { upto?: number; since?: { tsMs: number; createdMs: number } } = {},
): Promise<{ events: SecurityEvent[]; last: number }> {
  const COMMIT_SEQ = commitSeq(store);
  const rows = await store.db
    .selectFrom('events')
    .selectAll()
    .select(COMMIT_SEQ.as('seq'))
    .where(COMMIT_SEQ, '>', after)
    .$if(range.upto !== undefined, (qb) => qb.where(COMMIT_SEQ, '<=', range.upto!))
    .$if(range.since !== undefined, (qb) =>
      qb.where((eb) =>
        eb.or([eb('ts_ms', '>=', range.since!.tsMs), eb('created_ms', '>=', range.since!.createdMs)]),
      ),
    )
    .orderBy(COMMIT_SEQ)
    .limit(limit)
    .execute();
  const last = rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : after;
  return { events: await hydrate(store.db, rows, undefined), last };
}

/** The event time and commit time of the event with commit sequence `seq`, or undefined. */
export async function eventTimesAtSeq(
  store: Store,
  seq: number,
): Promise<{ tsMs: number; createdMs: number } | undefined> {
  const row = await store.db
    .selectFrom('events')
    .select(['ts_ms', 'created_ms'])
    .where(commitSeq(store), '=', seq)
    .executeTakeFirst();
  return row === undefined ? undefined : { tsMs: Number(row.ts_ms), createdMs: Number(row.created_ms) };
}

/** How many events match `filter`. */
export async function countEvents(store: Store, filter: EventFilter = {}): Promise<number> {
  const row = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((eb) => filterWhere(eb, filter, store.dialect.ilike))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface GetEventOptions {
  /** Decrypt and include `raw` (and a honeypot password). Only for callers with the right role. */
  withRaw?: boolean;
}

/** One event with its findings, or undefined. */
export async function getEvent(
  store: Store,
  id: string,
  opts: GetEventOptions = {},
): Promise<SecurityEvent | undefined> {
  if (typeof id !== 'string' || id.length === 0 || id.length > EVENT_ID_MAX) return undefined;
  const row = await store.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const [e] = await hydrate(store.db, [row], opts.withRaw ? store.keyring : undefined);
  return e;
}
