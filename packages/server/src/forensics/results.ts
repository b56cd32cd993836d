/**
 * The analyses' rows as the CLI and the API give them, built field by field from what an engine
 * returned: counts and times arrive as number (SQLite), text (PostgreSQL's bigint and numeric) or
 * bigint (DuckDB's BIGINT and HUGEINT) and leave as numbers; the brute force's sample columns become
 * one list. So the same data gives deep-equal results on every engine.
 */
import {
  SAMPLE_SOURCES,
  paramsOf,
  type Analysis,
  type ForensicsParams,
  type IntParamName,
} from './params.js';

export interface BurstRow {
  source: string;
  peak_events: number;
  /** First and last event of the busiest window (the earliest such window when several tie). */
  peak_start_ms: number;
  peak_end_ms: number;
  /** Events of the source in the range. */
  events: number;
}

export interface DistributedBruteforceRow {
  account: string;
  /** Most distinct source addresses failing within one window, and that window's failures. */
  peak_sources: number;
  peak_failures: number;
  /** First and last failure of that window (the earliest such window when several tie). */
  peak_start_ms: number;
  peak_end_ms: number;
  /** Failures and distinct sources of the account in the whole range. */
  failures: number;
  sources: number;
  first_seen_ms: number;
  last_seen_ms: number;
  /** Up to SAMPLE_SOURCES addresses of the peak window, by first failure. */
  sample_sources: string[];
}

export interface TopTalkerRow {
  source: string;
  first_seen_ms: number;
  last_seen_ms: number;
  events: number;
  blocked: number;
  alerts: number;
  paths: number;
  users: number;
}

export interface SessionRow {
  /** The fingerprint, or `<ip> <user agent>` when the event has none. */
  session_key: string;
  key_kind: 'fingerprint' | 'ip_ua';
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  events: number;
  paths: number;
  blocked: number;
  first_path: string | null;
  last_path: string | null;
}

export interface ForensicsRows {
  burst: BurstRow;
  'distributed-bruteforce': DistributedBruteforceRow;
  'top-talkers': TopTalkerRow;
  sessions: SessionRow;
}

export type ForensicsRow = ForensicsRows[Analysis];

/** The range and the analysis' own parameters (those of other analyses are left out). */
export type ForensicsResultParams = { from_ms: number; to_ms: number } & Partial<
  Record<IntParamName, number>
>;

/** One run: the parameters used, the rows, and whether more rows than `limit` matched. */
export interface ForensicsResult<A extends Analysis = Analysis> {
  analysis: A;
  params: ForensicsResultParams;
  rows: ForensicsRows[A][];
  truncated: boolean;
}

type Raw = Record<string, unknown>;

const num = (v: unknown): number => {
  const n = typeof v === 'bigint' ? Number(v) : Number(v as string | number);
  if (!Number.isFinite(n)) throw new Error(`forensics: not a number: ${String(v)}`);
  return n;
};
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const ROW: { [A in Analysis]: (r: Raw) => ForensicsRows[A] } = {
  burst: (r) => ({
    source: str(r.source),
    peak_events: num(r.peak_events),
    peak_start_ms: num(r.peak_start_ms),
    peak_end_ms: num(r.peak_end_ms),
    events: num(r.events),
  }),
  'distributed-bruteforce': (r) => ({
    account: str(r.account),
    peak_sources: num(r.peak_sources),
    peak_failures: num(r.peak_failures),
    peak_start_ms: num(r.peak_start_ms),
    peak_end_ms: num(r.peak_end_ms),
    failures: num(r.failures),
    sources: num(r.sources),
    first_seen_ms: num(r.first_seen_ms),
    last_seen_ms: num(r.last_seen_ms),
    sample_sources: Array.from({ length: SAMPLE_SOURCES }, (_, i) => strOrNull(r[`sample_${i + 1}`])).filter(
      (s): s is string => s !== null,
    ),
  }),
  'top-talkers': (r) => ({
    source: str(r.source),
    first_seen_ms: num(r.first_seen_ms),
    last_seen_ms: num(r.last_seen_ms),
    events: num(r.events),
    blocked: num(r.blocked),
    alerts: num(r.alerts),
    paths: num(r.paths),
    users: num(r.users),
  }),
  sessions: (r) => ({
    session_key: str(r.session_key),
    key_kind: r.key_kind === 'fingerprint' ? 'fingerprint' : 'ip_ua',
    start_ms: num(r.start_ms),
    end_ms: num(r.end_ms),
    duration_ms: num(r.duration_ms),
    events: num(r.events),
    paths: num(r.paths),
    blocked: num(r.blocked),
    first_path: strOrNull(r.first_path),
    last_path: strOrNull(r.last_path),
  }),
};

/** The result of `p` from an engine's raw rows (the queries fetch limit + 1 to tell truncation). */
export function toResult(p: ForensicsParams, raw: readonly Raw[]): ForensicsResult {
  const make = ROW[p.analysis] as (r: Raw) => ForensicsRow;
  const params: ForensicsResultParams = { from_ms: p.from_ms, to_ms: p.to_ms };
  for (const name of paramsOf(p.analysis)) params[name] = p[name];
  return {
    analysis: p.analysis,
    params,
    rows: raw.slice(0, p.limit).map(make) as ForensicsResult['rows'],
    truncated: raw.length > p.limit,
  };
}
