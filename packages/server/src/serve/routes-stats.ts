/**
 * The dashboard's statistics API (`/api/v1/stats/*`, `/api/v1/geo/points`) and the findings list
 * (`/api/v1/findings`), all for the "read" scope. Querystrings are closed schemas with bounded
 * limits; a refusal names the field. Ranges are [from, to) in ISO time or epoch ms, the last 24 h by
 * default. Responses are built field by field (store/stats.ts returns exactly the listed fields).
 * Sources, countries and geo points are attack origins: alert events only (store/stats.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SEVERITIES, type Severity } from '@palisade/engine';
import type { ApiKeyScope } from '../store/index.js';
import { LIST_LIMIT_MAX } from '../store/index.js';
import {
  GEO_LIMIT_MAX,
  TIMELINE_BUCKETS_MS,
  TOP_LIMIT_MAX,
  listFindings,
  resolveStatsRange,
  statsClasses,
  statsCountries,
  statsGeoPoints,
  statsRules,
  statsSources,
  statsSummary,
  statsTimeline,
} from '../store/stats.js';
import type { Pipeline } from './pipeline.js';
import { schemaError } from './routes-incidents.js';

export interface StatsRoutesOptions {
  pipeline: Pipeline;
  /** The app's check: authenticates, sets `req.principal`, resolves when it holds one of `scopes`. */
  requireScope: (...scopes: ApiKeyScope[]) => (req: FastifyRequest) => Promise<void>;
}

const TIME = { type: 'string', minLength: 1, maxLength: 40 } as const;
const RANGE = { from: TIME, to: TIME } as const;

function query(summary: string, properties: Record<string, unknown>) {
  return {
    tags: ['stats'],
    summary,
    querystring: { type: 'object', additionalProperties: false, properties },
  };
}

const limit = (def: number, max: number) => ({ type: 'integer', minimum: 1, maximum: max, default: def });

interface RangeQuery {
  from?: string;
  to?: string;
}

/** Registers the statistics, geo and findings routes on `app`. */
export function registerStatsRoutes(app: FastifyInstance, opts: StatsRoutesOptions): void {
  const { pipeline, requireScope } = opts;
  const { store } = pipeline;
  const range = (q: RangeQuery) => resolveStatsRange(q, Date.now());
  const read = requireScope('read');

  void app.register(async (scope) => {
    scope.setSchemaErrorFormatter(schemaError);

    scope.get(
      '/api/v1/stats/summary',
      {
        onRequest: read,
        schema: query(
          'Totals: events, blocked, logged, alerts by severity, open incidents, alerting source addresses',
          RANGE,
        ),
      },
      async (req) => statsSummary(store, range(req.query as RangeQuery)),
    );

    scope.get(
      '/api/v1/stats/timeline',
      {
        onRequest: read,
        schema: query('Events, blocked and alerts per time bucket', {
          ...RANGE,
          bucket: { type: 'string', enum: ['auto', ...TIMELINE_BUCKETS_MS.map(String)] },
        }),
      },
      async (req) => {
        const q = req.query as RangeQuery & { bucket?: string };
        const bucket = q.bucket === undefined || q.bucket === 'auto' ? undefined : Number(q.bucket);
        return statsTimeline(store, range(q), bucket);
      },
    );

    scope.get(
      '/api/v1/stats/classes',
      { onRequest: read, schema: query('Events per attack class', RANGE) },
      async (req) => ({
        classes: await statsClasses(store, range(req.query as RangeQuery)),
      }),
    );

    type Limited = RangeQuery & { limit: number };
    scope.get(
      '/api/v1/stats/countries',
      {
        onRequest: read,
        schema: query('Top countries of alert events', { ...RANGE, limit: limit(5, TOP_LIMIT_MAX) }),
      },
      async (req) => {
        const q = req.query as Limited;
        return { countries: await statsCountries(store, range(q), q.limit) };
      },
    );

    scope.get(
      '/api/v1/stats/sources',
      {
        onRequest: read,
        schema: query('Top source addresses of alert events', { ...RANGE, limit: limit(10, TOP_LIMIT_MAX) }),
      },
      async (req) => {
        const q = req.query as Limited;
        return { sources: await statsSources(store, range(q), q.limit) };
      },
    );

    scope.get(
      '/api/v1/stats/rules',
      { onRequest: read, schema: query('Top rules', { ...RANGE, limit: limit(10, TOP_LIMIT_MAX) }) },
      async (req) => {
        const q = req.query as Limited;
        return { rules: await statsRules(store, range(q), q.limit) };
      },
    );

    scope.get(
      '/api/v1/geo/points',
      {
        onRequest: read,
        schema: query('Alert events per 0.1° grid point', { ...RANGE, limit: limit(500, GEO_LIMIT_MAX) }),
      },
      async (req) => {
        const q = req.query as Limited;
        return { points: await statsGeoPoints(store, range(q), q.limit) };
      },
    );

    scope.get(
      '/api/v1/findings',
      {
        onRequest: read,
        schema: query('Findings, newest first, with cursor paging', {
          ...RANGE,
          rule: { type: 'string', minLength: 1, maxLength: 100 },
          class: { type: 'string', minLength: 1, maxLength: 40 },
          severity: { type: 'string', enum: [...SEVERITIES] },
          cursor: { type: 'string', minLength: 1, maxLength: 200 },
          limit: limit(100, LIST_LIMIT_MAX),
        }),
      },
      async (req) => {
        const q = req.query as RangeQuery & {
          rule?: string;
          class?: string;
          severity?: Severity;
          cursor?: string;
          limit: number;
        };
        return listFindings(store, q);
      },
    );
  });
}
