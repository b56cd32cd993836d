/**
 * The forensic analyses as SQL: one statement per analysis, with every value a bound parameter, that
 * SQLite (≥ 3.28: window RANGE offsets), PostgreSQL (≥ 11) and DuckDB run unchanged over a table or
 * view `events` with the store's column names. Portability rules kept here:
 *
 * - time is `ts_ms` (epoch ms, BIGINT) and only integer arithmetic on it, no date functions;
 * - every numeric parameter is `CAST(? AS BIGINT)`, so PostgreSQL infers no other type for a text
 *   parameter and DuckDB none for a JS number (a DOUBLE), and window frame offsets stay integers;
 * - window lengths are `window_ms - 1 PRECEDING`: the frame (t − W, t] holds exactly W ms;
 * - every ORDER BY ends in a unique tie-breaker, so rows and the row LIMIT cuts are the same
 *   everywhere; text tie-breakers sort by bytes: PostgreSQL gets `COLLATE "C"` after them (the one
 *   dialect substitution — SQLite and DuckDB already compare text bytewise, and know no "C");
 * - counts come back as number, bigint or text depending on the driver: results.ts normalises.
 *
 * Events with an empty `client_ip` (log lines that name no address) belong to no source.
 */
import { sql, type RawBuilder } from 'kysely';
import { SAMPLE_SOURCES, type ForensicsParams } from './params.js';

/** The engines the analyses run on. */
export type ForensicsEngine = 'sqlite' | 'postgres' | 'duckdb';

/** An integer bound parameter, typed BIGINT in every engine. */
const int = (v: number): RawBuilder<unknown> => sql`CAST(${v} AS BIGINT)`;

/** What follows a text sort key so it sorts by bytes (see the header). */
const bytewise = (e: ForensicsEngine): RawBuilder<unknown> => sql.raw(e === 'postgres' ? ' COLLATE "C"' : '');

/** The range filter on `events`. */
const inRange = (p: ForensicsParams) => sql`ts_ms >= ${int(p.from_ms)} AND ts_ms < ${int(p.to_ms)}`;

/**
 * burst: per source, the most events within any W-second window (the frame ending at each of its
 * events), where that busiest window's first and last event fall (the earliest such window when
 * several tie), and its total in the range; sources whose peak reaches `threshold`, busiest first.
 */
export function burstQuery(p: ForensicsParams, e: ForensicsEngine): RawBuilder<unknown> {
  const frame = int(p.window_secs * 1000 - 1);
  return sql`WITH ev AS (
  SELECT client_ip, ts_ms FROM events WHERE ${inRange(p)} AND client_ip <> ''
),
win AS (
  SELECT client_ip, ts_ms,
    COUNT(*) OVER (PARTITION BY client_ip ORDER BY ts_ms RANGE BETWEEN ${frame} PRECEDING AND CURRENT ROW) AS n,
    MIN(ts_ms) OVER (PARTITION BY client_ip ORDER BY ts_ms RANGE BETWEEN ${frame} PRECEDING AND CURRENT ROW) AS first_ms
  FROM ev
),
ranked AS (
  SELECT client_ip, ts_ms, n, first_ms,
    ROW_NUMBER() OVER (PARTITION BY client_ip ORDER BY n DESC, ts_ms) AS rn,
    COUNT(*) OVER (PARTITION BY client_ip) AS total
  FROM win
)
SELECT client_ip AS source, n AS peak_events, first_ms AS peak_start_ms, ts_ms AS peak_end_ms, total AS events
FROM ranked
WHERE rn = 1 AND n >= ${int(p.threshold)}
ORDER BY n DESC, client_ip${bytewise(e)}
LIMIT ${int(p.limit + 1)}`;
}

/**
 * distributed-bruteforce: failed logins (`user_name` set, `outcome = 'failure'`) per account; the
 * most distinct source addresses failing on it within any W-second window (t − W, t] ending at one
 * of its failures. COUNT(DISTINCT) is no window function in SQLite or PostgreSQL, so as a sweep
 * line: an address counts during [s, s + W) after each failure s; its failures closer than W merge
 * into one interval (LAG/LEAD: gaps and islands), each interval adds +1 at its start and −1 at its
 * end, and a running SUM is the distinct count at every instant. Listed: accounts whose peak
 * reaches `min_sources`, with the failures in that window, the range's totals, and the first
 * SAMPLE_SOURCES addresses of the window by first failure.
 */
export function distributedBruteforceQuery(p: ForensicsParams, e: ForensicsEngine): RawBuilder<unknown> {
  const w = int(p.window_secs * 1000);
  const frame = int(p.window_secs * 1000 - 1);
  const c = bytewise(e);
  const samples = Array.from(
    { length: SAMPLE_SOURCES },
    (_, i) => sql`MAX(CASE WHEN f.rn = ${sql.lit(i + 1)} THEN f.ip END) AS ${sql.ref(`sample_${i + 1}`)}`,
  );
  return sql`WITH fails AS (
  SELECT user_name AS account, client_ip AS ip, ts_ms FROM events
  WHERE ${inRange(p)} AND user_name IS NOT NULL AND outcome = 'failure' AND client_ip <> ''
),
marked AS (
  SELECT account, ip, ts_ms,
    CASE WHEN LAG(ts_ms) OVER (PARTITION BY account, ip ORDER BY ts_ms) > ts_ms - ${w} THEN 0 ELSE 1 END AS opens,
    CASE WHEN LEAD(ts_ms) OVER (PARTITION BY account, ip ORDER BY ts_ms) < ts_ms + ${w} THEN 0 ELSE 1 END AS closes
  FROM fails
),
points AS (
  SELECT account, ts_ms AS t, opens AS delta, 1 AS fail FROM marked
  UNION ALL
  SELECT account, ts_ms + ${w} AS t, -1 AS delta, 0 AS fail FROM marked WHERE closes = 1
),
swept AS (
  SELECT account, t, fail,
    SUM(delta) OVER (PARTITION BY account ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sources,
    SUM(fail) OVER (PARTITION BY account ORDER BY t RANGE BETWEEN ${frame} PRECEDING AND CURRENT ROW) AS failures,
    MIN(CASE WHEN fail = 1 THEN t END) OVER (PARTITION BY account ORDER BY t RANGE BETWEEN ${frame} PRECEDING AND CURRENT ROW) AS first_t
  FROM points
),
best AS (
  SELECT account, t, sources, failures, first_t,
    ROW_NUMBER() OVER (PARTITION BY account ORDER BY sources DESC, t) AS rn
  FROM swept WHERE fail = 1
),
totals AS (
  SELECT account, COUNT(*) AS failures, COUNT(DISTINCT ip) AS sources, MIN(ts_ms) AS first_ms, MAX(ts_ms) AS last_ms
  FROM fails GROUP BY account
),
hits AS (
  SELECT b.account, b.sources AS peak_sources, b.failures AS peak_failures, b.first_t AS peak_start_ms,
    b.t AS peak_end_ms, x.failures, x.sources, x.first_ms, x.last_ms
  FROM best b JOIN totals x ON x.account = b.account
  WHERE b.rn = 1 AND b.sources >= ${int(p.min_sources)}
  ORDER BY b.sources DESC, b.account${c}
  LIMIT ${int(p.limit + 1)}
),
firsts AS (
  SELECT h.account, f.ip, MIN(f.ts_ms) AS first_ms
  FROM hits h JOIN fails f ON f.account = h.account AND f.ts_ms > h.peak_end_ms - ${w} AND f.ts_ms <= h.peak_end_ms
  GROUP BY h.account, f.ip
),
firsts_ranked AS (
  SELECT account, ip, ROW_NUMBER() OVER (PARTITION BY account ORDER BY first_ms, ip${c}) AS rn FROM firsts
)
SELECT h.account, h.peak_sources, h.peak_failures, h.peak_start_ms, h.peak_end_ms,
  h.failures, h.sources, h.first_ms AS first_seen_ms, h.last_ms AS last_seen_ms,
  ${sql.join(samples)}
FROM hits h LEFT JOIN firsts_ranked f ON f.account = h.account AND f.rn <= ${int(SAMPLE_SOURCES)}
GROUP BY h.account, h.peak_sources, h.peak_failures, h.peak_start_ms, h.peak_end_ms,
  h.failures, h.sources, h.first_ms, h.last_ms
ORDER BY h.peak_sources DESC, h.account${c}`;
}

/**
 * top-talkers: per source address, first and last event, events, blocked, alerts (as the
 * statistics count them: a finding, an action other than allow, or a severity above info), distinct
 * paths and user names; the most events first.
 */
export function topTalkersQuery(p: ForensicsParams, e: ForensicsEngine): RawBuilder<unknown> {
  return sql`SELECT client_ip AS source, MIN(ts_ms) AS first_seen_ms, MAX(ts_ms) AS last_seen_ms,
  COUNT(*) AS events,
  SUM(CASE WHEN action = 'block' THEN 1 ELSE 0 END) AS blocked,
  SUM(CASE WHEN findings_count > 0 OR action <> 'allow' OR severity <> 'info' THEN 1 ELSE 0 END) AS alerts,
  COUNT(DISTINCT path) AS paths,
  COUNT(DISTINCT user_name) AS users
FROM events
WHERE ${inRange(p)} AND client_ip <> ''
GROUP BY client_ip
ORDER BY COUNT(*) DESC, client_ip${bytewise(e)}
LIMIT ${int(p.limit + 1)}`;
}

/**
 * sessions: web requests (events with a path) grouped by client: the fingerprint when the collector
 * set one (an HMAC of address and user agent), else the address and the user agent themselves —
 * the same grouping, readable. A gap of `gap_secs` or more since the client's previous request
 * starts a new session (gaps and islands: LAG marks starts, a running SUM numbers the sessions).
 * Sessions are cut at the range's edges. Earliest first.
 */
export function sessionsQuery(p: ForensicsParams, e: ForensicsEngine): RawBuilder<unknown> {
  const c = bytewise(e);
  const gap = int(p.gap_secs * 1000);
  return sql`WITH ev AS (
  SELECT id, ts_ms, path, action,
    CASE WHEN fingerprint IS NOT NULL THEN 'fingerprint' ELSE 'ip_ua' END AS key_kind,
    CASE WHEN fingerprint IS NOT NULL THEN fingerprint ELSE client_ip || ' ' || COALESCE(user_agent, '') END AS skey
  FROM events
  WHERE ${inRange(p)} AND path IS NOT NULL AND (fingerprint IS NOT NULL OR client_ip <> '')
),
marked AS (
  SELECT id, ts_ms, path, action, key_kind, skey,
    CASE WHEN LAG(ts_ms) OVER (PARTITION BY skey ORDER BY ts_ms, id${c}) > ts_ms - ${gap} THEN 0 ELSE 1 END AS starts
  FROM ev
),
numbered AS (
  SELECT id, ts_ms, path, action, key_kind, skey,
    SUM(starts) OVER (PARTITION BY skey ORDER BY ts_ms, id${c} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
  FROM marked
),
ordered AS (
  SELECT ts_ms, path, action, key_kind, skey, session_no,
    ROW_NUMBER() OVER (PARTITION BY skey, session_no ORDER BY ts_ms, id${c}) AS rn_first,
    ROW_NUMBER() OVER (PARTITION BY skey, session_no ORDER BY ts_ms DESC, id${c} DESC) AS rn_last
  FROM numbered
)
SELECT skey AS session_key, MAX(key_kind) AS key_kind, MIN(ts_ms) AS start_ms, MAX(ts_ms) AS end_ms,
  MAX(ts_ms) - MIN(ts_ms) AS duration_ms, COUNT(*) AS events, COUNT(DISTINCT path) AS paths,
  SUM(CASE WHEN action = 'block' THEN 1 ELSE 0 END) AS blocked,
  MAX(CASE WHEN rn_first = 1 THEN path END) AS first_path,
  MAX(CASE WHEN rn_last = 1 THEN path END) AS last_path
FROM ordered
GROUP BY skey, session_no
ORDER BY MIN(ts_ms), skey${c}
LIMIT ${int(p.limit + 1)}`;
}

/** The statement of an analysis for an engine. */
export function forensicsQuery(p: ForensicsParams, e: ForensicsEngine): RawBuilder<unknown> {
  switch (p.analysis) {
    case 'burst':
      return burstQuery(p, e);
    case 'distributed-bruteforce':
      return distributedBruteforceQuery(p, e);
    case 'top-talkers':
      return topTalkersQuery(p, e);
    case 'sessions':
      return sessionsQuery(p, e);
  }
}
