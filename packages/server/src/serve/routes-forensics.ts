/**
 * The forensic analyses over HTTP (`GET /api/v1/forensics/{burst,distributed-bruteforce,
 * top-talkers,sessions}`), for the "read" scope like the statistics. One route per analysis, so each
 * documents exactly the parameters it takes; querystrings are closed schemas with the bounds of
 * forensics/params.ts, and params.ts checks them again (the range, ISO or epoch-ms times), so the
 * CLI and the API refuse the same values with the same 400 naming the field. A range holding more
 * than API_FORENSICS_MAX_EVENTS events is refused too (a long query would stall the server on
 * SQLite); the CLI has no such bound. Responses have a schema: only the listed fields leave.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyScope } from '../store/index.js';
import {
  ANALYSES,
  INT_PARAMS,
  paramsOf,
  resolveForensicsParams,
  runForensics,
  type Analysis,
  type ForensicsInput,
} from '../forensics/index.js';
import type { Pipeline } from './pipeline.js';
import { schemaError } from './routes-incidents.js';

/** Most events one API analysis reads (see RunForensicsOptions.maxEvents). */
export const API_FORENSICS_MAX_EVENTS = 200_000;

export interface ForensicsRoutesOptions {
  pipeline: Pipeline;
  /** Default API_FORENSICS_MAX_EVENTS. */
  maxEvents?: number;
  /** The app's check: authenticates, sets `req.principal`, resolves when it holds one of `scopes`. */
  requireScope: (...scopes: ApiKeyScope[]) => (req: FastifyRequest) => Promise<void>;
}

const SUMMARY: Record<Analysis, string> = {
  burst: 'Sources by their most events within any sliding window (request bursts)',
  'distributed-bruteforce': 'Accounts whose logins failed from many source addresses within a sliding window',
  'top-talkers': 'Source addresses with the most events: first and last seen, blocked, alerts, paths, users',
  sessions: 'Client sessions (fingerprint, else address and user agent) split at idle gaps',
};

const INT = { type: 'integer' } as const;
const STR = { type: 'string' } as const;
const MS = { type: 'integer', description: 'epoch milliseconds' } as const;

const ROW_PROPERTIES: Record<Analysis, Record<string, unknown>> = {
  burst: { source: STR, peak_events: INT, peak_start_ms: MS, peak_end_ms: MS, events: INT },
  'distributed-bruteforce': {
    account: STR,
    peak_sources: INT,
    peak_failures: INT,
    peak_start_ms: MS,
    peak_end_ms: MS,
    failures: INT,
    sources: INT,
    first_seen_ms: MS,
    last_seen_ms: MS,
    sample_sources: { type: 'array', items: STR },
  },
  'top-talkers': {
    source: STR,
    first_seen_ms: MS,
    last_seen_ms: MS,
    events: INT,
    blocked: INT,
    alerts: INT,
    paths: INT,
    users: INT,
  },
  sessions: {
    session_key: STR,
    key_kind: { type: 'string', enum: ['fingerprint', 'ip_ua'] },
    start_ms: MS,
    end_ms: MS,
    duration_ms: INT,
    events: INT,
    paths: INT,
    blocked: INT,
    first_path: { type: ['string', 'null'] },
    last_path: { type: ['string', 'null'] },
  },
};

function schemaOf(a: Analysis) {
  const ints = Object.fromEntries(
    paramsOf(a).map((name) => {
      const spec = INT_PARAMS[name];
      return [
        name,
        {
          type: 'integer',
          minimum: spec.min,
          maximum: spec.max,
          default: (spec.defaults as Partial<Record<Analysis, number>>)[a],
          description: spec.description,
        },
      ];
    }),
  );
  const time = (d: string) => ({ type: 'string', minLength: 1, maxLength: 40, description: d });
  const params = Object.fromEntries(
    [['from_ms', MS], ['to_ms', MS], ...paramsOf(a).map((n) => [n, INT])].map(([k, v]) => [k, v]),
  );
  return {
    tags: ['forensics'],
    summary: SUMMARY[a],
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        from: time('Start (inclusive): ISO 8601 or epoch ms; default 24 h before `to`'),
        to: time('End (exclusive): ISO 8601 or epoch ms; default now; at most 31 days after `from`'),
        ...ints,
      },
    },
    response: {
      200: {
        type: 'object',
        required: ['analysis', 'params', 'rows', 'truncated'],
        properties: {
          analysis: { type: 'string', enum: [a] },
          params: { type: 'object', properties: params },
          rows: { type: 'array', items: { type: 'object', properties: ROW_PROPERTIES[a] } },
          truncated: { type: 'boolean', description: 'more rows matched than `limit`' },
        },
      },
    },
  };
}

/** Registers one GET route per forensic analysis on `app`. */
export function registerForensicsRoutes(app: FastifyInstance, opts: ForensicsRoutesOptions): void {
  const { pipeline, requireScope } = opts;
  const maxEvents = opts.maxEvents ?? API_FORENSICS_MAX_EVENTS;
  const read = requireScope('read');
  void app.register(async (scope) => {
    scope.setSchemaErrorFormatter(schemaError);
    for (const a of ANALYSES)
      scope.get(`/api/v1/forensics/${a}`, { onRequest: read, schema: schemaOf(a) }, async (req) =>
        runForensics(pipeline.store, resolveForensicsParams(a, req.query as ForensicsInput, Date.now()), {
          maxEvents,
        }),
      );
  });
}
