/**
 * The forensic analyses' parameters: names, defaults and limits in one table, and the one check
 * that the CLI and the API both run, so `palisade forensics` and `/api/v1/forensics/*` accept and
 * refuse the same values. A refusal is `PAL_ERR_VALIDATION` naming the field (400 on the API).
 * Times are [from, to) in ISO 8601 or epoch ms, the last 24 hours by default, at most 31 days.
 */
import { PalisadeError } from '../errors.js';
import { parseTimeBound } from '../store/events.js';

export const ANALYSES = ['burst', 'distributed-bruteforce', 'top-talkers', 'sessions'] as const;
export type Analysis = (typeof ANALYSES)[number];

const DAY_MS = 86_400_000;
/** The range when none is given: the 24 hours before now. */
export const FORENSICS_DEFAULT_RANGE_MS = DAY_MS;
/** Longest range one analysis may read. */
export const FORENSICS_RANGE_MAX_MS = 31 * DAY_MS;
export const FORENSICS_LIMIT_MAX = 1000;
/** Window and gap lengths: 1 s to 1 day. */
export const SECS_MIN = 1;
export const SECS_MAX = 86_400;
/** How many sample source addresses a distributed brute force lists. */
export const SAMPLE_SOURCES = 5;

/** One integer parameter: its bounds and its default per analysis that takes it. */
interface IntParam {
  min: number;
  max: number;
  description: string;
  defaults: Partial<Record<Analysis, number>>;
}

/** Every integer parameter; an analysis takes exactly those with a default for it. */
export const INT_PARAMS = {
  window_secs: {
    min: SECS_MIN,
    max: SECS_MAX,
    description: 'Sliding window length in seconds',
    defaults: { burst: 60, 'distributed-bruteforce': 600 },
  },
  threshold: {
    min: 1,
    max: 1_000_000,
    description: 'Least peak number of events in one window for a source to be listed',
    defaults: { burst: 100 },
  },
  min_sources: {
    min: 2,
    max: 100_000,
    description: 'Least number of distinct source addresses failing on one account within one window',
    defaults: { 'distributed-bruteforce': 10 },
  },
  gap_secs: {
    min: SECS_MIN,
    max: SECS_MAX,
    description: 'Idle gap in seconds that ends a session (a gap this long or longer starts a new one)',
    defaults: { sessions: 1800 },
  },
  limit: {
    min: 1,
    max: FORENSICS_LIMIT_MAX,
    description: 'Most rows returned',
    defaults: { burst: 100, 'distributed-bruteforce': 100, 'top-talkers': 20, sessions: 100 },
  },
} as const satisfies Record<string, IntParam>;
export type IntParamName = keyof typeof INT_PARAMS;
const SPECS: Readonly<Record<IntParamName, IntParam>> = INT_PARAMS;

/** The integer parameter names an analysis takes. */
export function paramsOf(a: Analysis): IntParamName[] {
  return (Object.keys(INT_PARAMS) as IntParamName[]).filter((k) => SPECS[k].defaults[a] !== undefined);
}

/** Checked, complete parameters of one run. */
export interface ForensicsParams {
  analysis: Analysis;
  from_ms: number;
  to_ms: number;
  window_secs: number;
  threshold: number;
  min_sources: number;
  gap_secs: number;
  limit: number;
}

/** What a caller gives: times as ISO or epoch ms (text or number), integers as numbers or digits. */
export type ForensicsInput = Partial<Record<IntParamName, number | string>> & {
  from?: string | number;
  to?: string | number;
};

const invalid = (field: string, message: string): PalisadeError =>
  new PalisadeError('PAL_ERR_VALIDATION', `${field}: ${message}`, { field });

export function isAnalysis(v: string): v is Analysis {
  return (ANALYSES as readonly string[]).includes(v);
}

/** Checks `input` for `analysis` and fills the defaults; `nowMs` ends the default range. */
export function resolveForensicsParams(
  analysis: Analysis,
  input: ForensicsInput,
  nowMs: number,
): ForensicsParams {
  const bound = (v: string | number, field: 'from' | 'to') => {
    try {
      return parseTimeBound(v, field);
    } catch {
      throw invalid(field, 'must be an ISO 8601 time or epoch milliseconds');
    }
  };
  const to = input.to === undefined ? nowMs : bound(input.to, 'to');
  const from = input.from === undefined ? to - FORENSICS_DEFAULT_RANGE_MS : bound(input.from, 'from');
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to))
    throw invalid('from', 'times must be whole milliseconds');
  if (to <= from) throw invalid('to', 'must be later than from');
  if (to - from > FORENSICS_RANGE_MAX_MS)
    throw invalid('from', `the range may span at most ${FORENSICS_RANGE_MAX_MS / DAY_MS} days`);
  const taken = new Set(paramsOf(analysis));
  const out: ForensicsParams = {
    analysis,
    from_ms: from,
    to_ms: to,
    window_secs: 60,
    threshold: 1,
    min_sources: 2,
    gap_secs: 1800,
    limit: 100,
  };
  for (const name of Object.keys(INT_PARAMS) as IntParamName[]) {
    const spec = SPECS[name];
    const given = input[name];
    if (!taken.has(name)) {
      if (given !== undefined) throw invalid(name, `is not a parameter of ${analysis}`);
      continue;
    }
    let v = spec.defaults[analysis]!;
    if (given !== undefined) {
      v = typeof given === 'number' ? given : /^\d{1,10}$/.test(given) ? Number(given) : Number.NaN;
      if (!Number.isInteger(v) || v < spec.min || v > spec.max)
        throw invalid(name, `must be an integer from ${spec.min} to ${spec.max}`);
    }
    out[name] = v;
  }
  return out;
}
