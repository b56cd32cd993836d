/**
 * The statistics rollup (`stats_rollup`, migrations 0007 and 0008): every event counted once per
 * dimension (totals, attack class, rule; and, for alert events only, client address, country and
 * geo point: the dashboard's attack origins) and time bucket, so statistics over a week of events
 * read thousands of rows instead of a million. Buckets are one minute for the totals (the timeline
 * needs minute resolution) and one hour for the other dimensions. Since migration 0010 there are
 * more levels (LEVELS): addresses also per day, 6 hours and minute, geo points per day, classes,
 * rules and countries per minute; a range is read from the coarsest whole buckets down and the
 * events fill only what no level covers, so at 10 M events a week's top sources read about 300,000
 * rows instead of the 1.7 million hourly ones, and the edges of a range minute rows instead of up
 * to two hours of events.
 *
 * An alert (ALERT, the one definition) is an event that was flagged: a finding, an action other
 * than allow, or a severity above info. Benign traffic counts in the totals only; leaving it out of
 * the address dimension also keeps that dimension small (busy benign clients would otherwise add a
 * row per address and hour).
 *
 * One SELECT per dimension computes rollup rows from events (`fromEvents`); it fills the rollup on
 * insert (`addEventsToStats`, called by the insert path inside its transaction with the ids that
 * were new rows: a replayed event is never counted twice), takes purged events out again
 * (`removeEventsFromStats`, retention.ts), backfills it (`rebuildStats`), and computes the partial
 * buckets at the edges of a queried range (`contributions`), so stored and computed counts cannot
 * disagree. Plain SQL that SQLite and PostgreSQL both run; values are bound parameters, the few
 * literals are this module's constants.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Ids per rollup statement (well under every dialect's parameter limit). */
const IDS_PER_STATEMENT = 5000;

/** The dimensions statistics ask for. */
export type StatsDim = 'total' | 'ip' | 'country' | 'class' | 'rule' | 'geo';
/**
 * Every dimension stored: those, the coarser levels of the two with many items per hour (addresses
 * per day and 6 hours, geo points per day) and the minute level of addresses, classes, rules and
 * countries (the edges of a range then read minute rows, not up to two hours of events).
 */
export type StoredDim =
  StatsDim | 'ip_day' | 'ip_6h' | 'ip_min' | 'geo_day' | 'class_min' | 'rule_min' | 'country_min';
export const STATS_DIMS: readonly StoredDim[] = [
  'total',
  'ip',
  'country',
  'class',
  'rule',
  'geo',
  'ip_day',
  'ip_6h',
  'ip_min',
  'geo_day',
  'class_min',
  'rule_min',
  'country_min',
];
/** The stored levels a dimension is read from, coarsest first (the events fill the rest). */
const LEVELS: Record<StatsDim, readonly StoredDim[]> = {
  total: ['total'],
  ip: ['ip_day', 'ip_6h', 'ip', 'ip_min'],
  geo: ['geo_day', 'geo'],
  country: ['country', 'country_min'],
  class: ['class', 'class_min'],
  rule: ['rule', 'rule_min'],
};

export const COUNTERS = [
  'events',
  'blocked',
  'logged',
  'alerts_critical',
  'alerts_high',
  'alerts_medium',
  'alerts_low',
  'alerts_info',
] as const;
export type Counter = (typeof COUNTERS)[number];

/** An alert event (alias `e`): a finding, an action other than allow, or a severity above info. */
const ALERT = sql`(e.findings_count > 0 OR e.action <> 'allow' OR e.severity <> 'info')`;

/** When an event adds to each counter (null: always). */
const CONDITIONS: Record<Counter, RawBuilder<unknown> | null> = {
  events: null,
  blocked: sql`e.action = 'block'`,
  logged: sql`e.action = 'log'`,
  alerts_critical: sql`e.severity = 'critical'`,
  alerts_high: sql`e.severity = 'high'`,
  alerts_medium: sql`e.severity = 'medium'`,
  alerts_low: sql`e.severity = 'low'`,
  alerts_info: sql`e.severity = 'info' AND ${ALERT}`,
};

interface DimSpec {
  /** Bucket size in the rollup. */
  grain: number;
  /** Counted per finding joined to its event (as `f`): counters count distinct events. */
  findings: boolean;
  item: RawBuilder<unknown>;
  label: RawBuilder<unknown>;
  label2: RawBuilder<unknown>;
  /** The events counted in this dimension (default: all). */
  only?: RawBuilder<unknown>;
}

const NONE = sql`NULL`;
const HOURLY: Record<StatsDim, DimSpec> = {
  total: { grain: MINUTE_MS, findings: false, item: sql`''`, label: NONE, label2: NONE },
  ip: {
    grain: HOUR_MS,
    findings: false,
    item: sql`e.client_ip`,
    label: sql`max(e.geo_country)`,
    label2: NONE,
    only: sql`e.client_ip <> '' AND ${ALERT}`,
  },
  country: {
    grain: HOUR_MS,
    findings: false,
    item: sql`e.geo_country`,
    label: NONE,
    label2: NONE,
    only: sql`e.geo_country IS NOT NULL AND ${ALERT}`,
  },
  class: { grain: HOUR_MS, findings: true, item: sql`f.class`, label: NONE, label2: NONE },
  rule: { grain: HOUR_MS, findings: true, item: sql`f.rule`, label: sql`max(f.class)`, label2: NONE },
  // Points on a 0.1° grid (about 11 km): `<lat×10>:<lon×10>`.
  geo: {
    grain: HOUR_MS,
    findings: false,
    item: sql`CAST(round(e.geo_lat * 10) AS integer) || ':' || CAST(round(e.geo_lon * 10) AS integer)`,
    label: sql`max(e.geo_country)`,
    label2: sql`max(e.geo_city)`,
    only: sql`e.geo_lat IS NOT NULL AND e.geo_lon IS NOT NULL AND ${ALERT}`,
  },
};

const DIMS: Record<StoredDim, DimSpec> = {
  ...HOURLY,
  ip_day: { ...HOURLY.ip, grain: DAY_MS },
  ip_6h: { ...HOURLY.ip, grain: 6 * HOUR_MS },
  ip_min: { ...HOURLY.ip, grain: MINUTE_MS },
  geo_day: { ...HOURLY.geo, grain: DAY_MS },
  class_min: { ...HOURLY.class, grain: MINUTE_MS },
  rule_min: { ...HOURLY.rule, grain: MINUTE_MS },
  country_min: { ...HOURLY.country, grain: MINUTE_MS },
};

/** The bucket size of a stored dimension. */
export const grainOf = (dim: StoredDim): number => DIMS[dim].grain;

/** Where `fromEvents` reads events (as `e`) and findings (as `f`): the tables, or a batch's rows. */
interface Source {
  events: RawBuilder<unknown>;
  /** The findings a findings dimension joins to its events. */
  findings(dim: StoredDim): RawBuilder<unknown>;
  /** Whether an event can have several such findings rows (counters then count distinct events). */
  repeats: boolean;
}
const TABLES: Source = { events: sql`events`, findings: () => sql`findings`, repeats: true };
/** The CTEs of `addBatch`: one finding row per event and class (`bc`, class) or rule (`br`, rule). */
const BATCH: Source = {
  events: sql`b`,
  findings: (dim) => (DIMS[dim].item === HOURLY.class.item ? sql`bc` : sql`br`),
  repeats: false,
};

function counter(cond: RawBuilder<unknown> | null, distinct: boolean): RawBuilder<unknown> {
  if (distinct)
    return cond === null ? sql`count(DISTINCT e.id)` : sql`count(DISTINCT CASE WHEN ${cond} THEN e.id END)`;
  return cond === null ? sql`count(*)` : sql`sum(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
}

/**
 * The rollup rows of `dim` computed from the events matching `where` (aliases: `e` events, `f`
 * findings): bucket_ms, item, label, label2 and the counters.
 */
function fromEvents(dim: StoredDim, where: RawBuilder<unknown>, src: Source = TABLES): RawBuilder<unknown> {
  const d = DIMS[dim];
  const bucket = sql`e.ts_ms - (e.ts_ms % ${sql.lit(d.grain)})`;
  const distinct = d.findings && src.repeats;
  const counters = sql.join(COUNTERS.map((c) => sql`${counter(CONDITIONS[c], distinct)} AS ${sql.ref(c)}`));
  const join = d.findings ? sql` JOIN ${src.findings(dim)} f ON f.event_id = e.id` : sql``;
  const only = d.only ? sql` AND ${d.only}` : sql``;
  return sql`SELECT ${bucket} AS bucket_ms, ${d.item} AS item, ${d.label} AS label, ${d.label2} AS label2, ${counters}
    FROM ${src.events} e${join} WHERE ${where}${only} GROUP BY 1, 2`;
}

/** The columns of a rollup row (after `dim`). */
export type RollupColumn = 'bucket_ms' | 'item' | 'label' | 'label2' | Counter;
const ROLLUP_COLUMNS: readonly RollupColumn[] = ['bucket_ms', 'item', 'label', 'label2', ...COUNTERS];
const COLUMNS = sql.join(ROLLUP_COLUMNS.map((c) => sql.ref(c)));
/** The event columns the dimensions read. */
const EVENT_COLUMNS = sql.join(
  [
    'id',
    'ts_ms',
    'client_ip',
    'geo_country',
    'geo_city',
    'geo_lat',
    'geo_lon',
    'action',
    'severity',
    'findings_count',
  ].map((c) => sql.ref(c)),
);

/**
 * Adds the rows computed from the events with `ids` to the rollup (`sign` -1: takes them out again,
 * labels kept), every dimension in one statement: the batch's events (`b`) and findings (`bf`) are
 * read once, each dimension groups them, and each grouped row is one upsert on the primary key (the
 * table is clustered on it: migration 0008).
 */
async function addBatch(
  db: Kysely<Database>,
  ids: readonly string[],
  sign: 1 | -1,
  span: TimeSpan | undefined,
): Promise<void> {
  const values =
    sign === 1
      ? sql`r.*`
      : sql`r.bucket_ms, r.item, NULL, NULL, ${sql.join(COUNTERS.map((c) => sql`-r.${sql.ref(c)}`))}`;
  const rows = sql.join(
    STATS_DIMS.map(
      (dim) =>
        sql`SELECT CAST(${dim} AS text) AS dim, ${values} FROM (${fromEvents(dim, sql`1 = 1`, BATCH)}) r`,
    ),
    sql` UNION ALL `,
  );
  const sums = sql.join(
    COUNTERS.map((c) => sql`${sql.ref(c)} = stats_rollup.${sql.ref(c)} + excluded.${sql.ref(c)}`),
  );
  // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
  // MATERIALIZED: each is read by several dimensions; `bf` looks the batch's findings up by event.
  // The time span lets a partitioned events table (PostgreSQL) look in the batch's days only.
  const within = span ? sql` AND ts_ms >= ${span[0]} AND ts_ms <= ${span[1]}` : sql``;
  await sql`WITH b AS MATERIALIZED (SELECT ${EVENT_COLUMNS} FROM events WHERE id IN (${sql.join(ids)})${within}),
      bf AS MATERIALIZED (SELECT event_id, class, rule FROM findings WHERE event_id IN (SELECT id FROM b)),
      bc AS MATERIALIZED (SELECT event_id, class FROM bf GROUP BY event_id, class),
      br AS MATERIALIZED (SELECT event_id, rule, max(class) AS class FROM bf GROUP BY event_id, rule)
    INSERT INTO stats_rollup (dim, ${COLUMNS})
    SELECT * FROM (${rows}) u WHERE true
    ON CONFLICT (dim, bucket_ms, item) DO UPDATE SET ${sums},
      label = coalesce(excluded.label, stats_rollup.label),
      label2 = coalesce(excluded.label2, stats_rollup.label2)`.execute(db);
}

/** The earliest and latest event time (ms) of a set of events, both inclusive. */
export type TimeSpan = readonly [number, number];

/**
 * Counts newly inserted events (and their findings, already written) in the rollup. Call it once
 * per event, inside the transaction that inserted it, with only the ids that were new rows (and,
 * when known, the span of their times).
 */
export async function addEventsToStats(
  db: Kysely<Database>,
  ids: readonly string[],
  span?: TimeSpan,
): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT)
    await addBatch(db, ids.slice(i, i + IDS_PER_STATEMENT), 1, span);
}

/**
 * Takes stored events out of the rollup: call it inside the transaction that deletes them, before
 * the delete (their findings still stored).
 */
export async function removeEventsFromStats(
  db: Kysely<Database>,
  ids: readonly string[],
  span?: TimeSpan,
): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT)
    await addBatch(db, ids.slice(i, i + IDS_PER_STATEMENT), -1, span);
}

/**
 * After every event before `cutoffMs` was deleted (removeEventsFromStats): drops the rollup rows of
 * buckets that end at or before the cutoff and the emptied rows of the bucket holding it (whose
 * other rows count exactly its remaining events). Returns the rows dropped.
 */
export async function dropStatsBefore(db: Kysely<Database>, cutoffMs: number): Promise<number> {
  let dropped = 0;
  for (const dim of STATS_DIMS) {
    const res = await db
      .deleteFrom('stats_rollup')
      .where('dim', '=', dim)
      .where('bucket_ms', '<', cutoffMs)
      .where((eb) => eb.or([eb('bucket_ms', '<=', cutoffMs - DIMS[dim].grain), eb('events', '<=', 0)]))
      .executeTakeFirst();
    dropped += Number(res.numDeletedRows);
  }
  return dropped;
}

/**
 * Recomputes the rollup from the stored events (migrations 0007, 0008; after a bulk load): every
 * dimension, or only `dims` (a migration adding one).
 */
export async function rebuildStats(
  db: Kysely<Database>,
  dims: readonly StoredDim[] = STATS_DIMS,
): Promise<void> {
  if (dims === STATS_DIMS) await sql`DELETE FROM stats_rollup`.execute(db);
  else await db.deleteFrom('stats_rollup').where('dim', 'in', dims).execute();
  for (const dim of dims)
    await sql`INSERT INTO stats_rollup (dim, ${COLUMNS}) SELECT CAST(${dim} AS text), r.* FROM (${fromEvents(dim, sql`1 = 1`)}) r`.execute(
      db,
    );
}

/** [from, to) in epoch ms. */
export interface StatsRange {
  from_ms: number;
  to_ms: number;
}

/**
 * The rollup rows of `dim` that make up exactly [from, to): the whole buckets of its coarsest stored
 * level, the whole buckets of the next finer level around them, and so on; what no level covers
 * (the partial buckets at the edges) computed from the events.
 */
export function contributions(
  dim: StatsDim,
  r: StatsRange,
  /** The columns wanted (default all): fewer let PostgreSQL answer from an index alone. */
  columns: readonly RollupColumn[] = ROLLUP_COLUMNS,
): RawBuilder<unknown> {
  const levels = LEVELS[dim];
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  const parts: RawBuilder<unknown>[] = [];
  const cover = (level: number, lo: number, hi: number): void => {
    if (lo >= hi) return;
    if (level === levels.length) {
      parts.push(sql`SELECT ${cols} FROM (${fromEvents(dim, sql`e.ts_ms >= ${lo} AND e.ts_ms < ${hi}`)}) x`);
      return;
    }
    const stored = levels[level]!;
    const g = DIMS[stored].grain;
    const a = Math.ceil(lo / g) * g;
    const b = Math.floor(hi / g) * g;
    if (a >= b) return cover(level + 1, lo, hi);
    parts.push(
      sql`SELECT ${cols} FROM stats_rollup WHERE dim = ${stored} AND bucket_ms >= ${a} AND bucket_ms < ${b}`,
    );
    cover(level + 1, lo, a);
    cover(level + 1, b, hi);
  };
  cover(0, r.from_ms, r.to_ms);
  if (parts.length === 0) parts.push(sql`SELECT ${cols} FROM (${fromEvents(dim, sql`1 = 0`)}) x`);
  return sql.join(parts, sql` UNION ALL `);
}
