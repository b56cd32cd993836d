/**
 * The statistics rollup (`stats_rollup`, migration 0007): every event counted once per dimension
 * (totals, client address, country, attack class, rule, geo point) and time bucket, so statistics
 * over a week of events read thousands of rows instead of a million. Buckets are one minute for the
 * totals (the timeline needs minute resolution) and one hour for the other dimensions, where minute
 * rows would be almost as many as events.
 *
 * One SELECT per dimension computes rollup rows from events (`fromEvents`); it fills the rollup on
 * insert (`addEventsToStats`, called by the insert path inside its transaction with the ids that
 * were new rows: a replayed event is never counted twice), backfills it (`rebuildStats`), and
 * computes the partial buckets at the edges of a queried range (`contributions`), so stored and
 * computed counts cannot disagree. Plain SQL that SQLite and PostgreSQL both run; values are bound
 * parameters, the few literals are this module's constants.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** Ids per rollup statement (well under every dialect's parameter limit). */
const IDS_PER_STATEMENT = 5000;

export type StatsDim = 'total' | 'ip' | 'country' | 'class' | 'rule' | 'geo';
export const STATS_DIMS: readonly StatsDim[] = ['total', 'ip', 'country', 'class', 'rule', 'geo'];

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

/** When an event adds to each counter (null: always). */
const CONDITIONS: Record<Counter, RawBuilder<unknown> | null> = {
  events: null,
  blocked: sql`e.action = 'block'`,
  logged: sql`e.action = 'log'`,
  alerts_critical: sql`e.severity = 'critical'`,
  alerts_high: sql`e.severity = 'high'`,
  alerts_medium: sql`e.severity = 'medium'`,
  alerts_low: sql`e.severity = 'low'`,
  alerts_info: sql`e.severity = 'info' AND (e.findings_count > 0 OR e.action <> 'allow')`,
};

interface DimSpec {
  /** Bucket size in the rollup. */
  grain: number;
  /** Counted per finding joined to its event (as `f`): counters count distinct events. */
  findings: boolean;
  item: RawBuilder<unknown>;
  label: RawBuilder<unknown>;
  label2: RawBuilder<unknown>;
  /** Rows that have no item in this dimension. */
  skip?: RawBuilder<unknown>;
}

const NONE = sql`NULL`;
const DIMS: Record<StatsDim, DimSpec> = {
  total: { grain: MINUTE_MS, findings: false, item: sql`''`, label: NONE, label2: NONE },
  ip: {
    grain: HOUR_MS,
    findings: false,
    item: sql`e.client_ip`,
    label: sql`max(e.geo_country)`,
    label2: NONE,
    skip: sql`e.client_ip <> ''`,
  },
  country: {
    grain: HOUR_MS,
    findings: false,
    item: sql`e.geo_country`,
    label: NONE,
    label2: NONE,
    skip: sql`e.geo_country IS NOT NULL`,
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
    skip: sql`e.geo_lat IS NOT NULL AND e.geo_lon IS NOT NULL`,
  },
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
function fromEvents(dim: StatsDim, where: RawBuilder<unknown>): RawBuilder<unknown> {
  const d = DIMS[dim];
  const bucket = sql`e.ts_ms - (e.ts_ms % ${sql.lit(d.grain)})`;
  const counters = sql.join(COUNTERS.map((c) => sql`${counter(CONDITIONS[c], d.findings)} AS ${sql.ref(c)}`));
  const join = d.findings ? sql` JOIN findings f ON f.event_id = e.id` : sql``;
  const skip = d.skip ? sql` AND ${d.skip}` : sql``;
  return sql`SELECT ${bucket} AS bucket_ms, ${d.item} AS item, ${d.label} AS label, ${d.label2} AS label2, ${counters}
    FROM events e${join} WHERE ${where}${skip} GROUP BY ${bucket}, ${d.item}`;
}

const COLUMNS = sql.join(['bucket_ms', 'item', 'label', 'label2', ...COUNTERS].map((c) => sql.ref(c)));

/** Adds the rows of `dim` computed from the events matching `where` to the rollup. */
async function addToRollup(db: Kysely<Database>, dim: StatsDim, where: RawBuilder<unknown>): Promise<void> {
  const sums = sql.join(
    COUNTERS.map((c) => sql`${sql.ref(c)} = stats_rollup.${sql.ref(c)} + excluded.${sql.ref(c)}`),
  );
  // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
  await sql`INSERT INTO stats_rollup (dim, ${COLUMNS})
    SELECT ${dim}, r.* FROM (${fromEvents(dim, where)}) r WHERE true
    ON CONFLICT (dim, bucket_ms, item) DO UPDATE SET ${sums},
      label = coalesce(excluded.label, stats_rollup.label),
      label2 = coalesce(excluded.label2, stats_rollup.label2)`.execute(db);
}

/**
 * Counts newly inserted events (and their findings, already written) in the rollup. Call it once
 * per event, inside the transaction that inserted it, with only the ids that were new rows.
 */
export async function addEventsToStats(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
    const part = ids.slice(i, i + IDS_PER_STATEMENT);
    for (const dim of STATS_DIMS) await addToRollup(db, dim, sql`e.id IN (${sql.join(part)})`);
  }
}

/** Recomputes the whole rollup from the stored events (migration 0007; after a bulk load). */
export async function rebuildStats(db: Kysely<Database>): Promise<void> {
  await sql`DELETE FROM stats_rollup`.execute(db);
  for (const dim of STATS_DIMS) await addToRollup(db, dim, sql`1 = 1`);
}

/** [from, to) in epoch ms. */
export interface StatsRange {
  from_ms: number;
  to_ms: number;
}

/** The rollup rows of `dim` that make up exactly [from, to): whole buckets stored, edges computed. */
export function contributions(dim: StatsDim, r: StatsRange): RawBuilder<unknown> {
  const g = DIMS[dim].grain;
  const a = Math.ceil(r.from_ms / g) * g;
  const b = Math.floor(r.to_ms / g) * g;
  const parts: RawBuilder<unknown>[] = [];
  const edges: [number, number][] = [];
  if (a < b) {
    parts.push(
      sql`SELECT ${COLUMNS} FROM stats_rollup WHERE dim = ${dim} AND bucket_ms >= ${a} AND bucket_ms < ${b}`,
    );
    edges.push([r.from_ms, a], [b, r.to_ms]);
  } else edges.push([r.from_ms, r.to_ms]);
  for (const [lo, hi] of edges)
    if (lo < hi) parts.push(fromEvents(dim, sql`e.ts_ms >= ${lo} AND e.ts_ms < ${hi}`));
  return sql.join(parts, sql` UNION ALL `);
}
