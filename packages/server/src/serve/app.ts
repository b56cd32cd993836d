/**
 * The HTTP face of `palisade serve` (Fastify): the API under /api/v1 (authentication, events,
 * bans, incidents, uploads, statistics, the live stream, exclusions, users and keys — the route
 * modules are registered here), the dashboard's files, OpenAPI + Swagger UI, health and Prometheus
 * metrics. Every response is an allow-list of fields; every error is
 * `{ error: { code, message, details } }`.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import type { SecurityEvent } from '@palisade/engine';
import { ERRORS, PalisadeError, type ErrorCode } from '../errors.js';
import { DropError } from '../sink.js';
import type { Pipeline } from './pipeline.js';
import { renderMetrics } from './metrics.js';
import { registerIncidentRoutes } from './routes-incidents.js';
import { registerStatsRoutes } from './routes-stats.js';
import { registerCompatRoutes } from './routes-compat.js';
import { registerOpenApi } from './openapi.js';
import { registerStreamRoutes } from './routes-stream.js';
import { registerExclusionRoutes } from './routes-exclusions.js';
import { registerForensicsRoutes } from './routes-forensics.js';
import { registerWeb } from './static.js';
import { actorOf, hasScope } from './principal.js';
import { createAuth, type Clock } from '../auth/authenticator.js';
import { registerAuthRoutes } from '../auth/routes.js';
import { DEFAULT_AUTH, type ServerConfig } from '../config/config.js';
import {
  activeBans,
  addBan,
  audit,
  listBans,
  removeBan,
  getEvent,
  listEvents,
  setAnalystLabel,
  ANALYST_LABELS,
  type AnalystLabel,
  type EventFilter,
} from '../store/index.js';

export interface AppOptions {
  pipeline: Pipeline;
  maxEventsPerRequest: number;
  maxBodyBytes: number;
  version: string;
  /** How long ingest waits for room in a full queue before answering 503. */
  busyWaitMs?: number;
  /** Largest log upload in bytes (default 100 MiB). */
  maxUploadBytes?: number;
  /** Zone of log timestamps without an offset in uploads (default UTC). */
  timeZone?: string;
  /** Sessions and the OIDC provider (config `auth`); default DEFAULT_AUTH. */
  auth?: ServerConfig['auth'];
  /** Epoch ms for authentication (sessions, tokens, lockouts); tests inject a fake. */
  clock?: Clock;
  /** Sees every route as it is added (tests walk the route table with it). */
  onRoute?: (route: RouteOptions) => void;
}

function errorBody(code: ErrorCode, message?: string, details?: unknown) {
  return { error: { code, message: message ?? ERRORS[code].message, ...(details ? { details } : {}) } };
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const { pipeline } = opts;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes,
    trustProxy: false,
    // Ids in paths and query values are short; reject absurd ones before routing.
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const started = Date.now();
  if (opts.onRoute) app.addHook('onRoute', opts.onRoute);

  app.setErrorHandler(
    (err: Error & { validation?: unknown; statusCode?: number; code?: string }, _req, reply) => {
      if (err instanceof PalisadeError)
        return reply.status(err.status).send(errorBody(err.code, err.message, err.details));
      if (err.validation) {
        const v = (
          err.validation as {
            instancePath?: string;
            params?: { missingProperty?: string; additionalProperty?: string };
          }[]
        )[0];
        const field = (v?.params?.missingProperty ?? v?.params?.additionalProperty ?? v?.instancePath ?? '')
          .replace(/^\//, '')
          .replace(/\//g, '.');
        return reply.status(400).send(errorBody('PAL_ERR_VALIDATION', err.message, { field }));
      }
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return reply.status(413).send(errorBody('PAL_ERR_PAYLOAD_TOO_LARGE'));
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
        return reply.status(err.statusCode).send(errorBody('PAL_ERR_VALIDATION', err.message));
      pipeline.log(`internal error on ${_req.method} ${_req.routeOptions.url ?? '?'}: ${err.message}`);
      return reply.status(500).send(errorBody('PAL_ERR_INTERNAL'));
    },
  );
  app.setNotFoundHandler((_req, reply) => reply.status(404).send(errorBody('PAL_ERR_NOT_FOUND')));
  registerOpenApi(app, { version: opts.version });
  registerWeb(app);

  // API keys, access tokens, OIDC tokens and session cookies (auth/authenticator.ts).
  const auth = createAuth({ store: pipeline.store, config: opts.auth ?? DEFAULT_AUTH, clock: opts.clock });
  auth.register(app);
  const { requireScope } = auth;

  const open = (summary: string) => ({ schema: { tags: ['meta'], summary, security: [] } });
  app.get('/api/v1/health', open('Health: version, uptime, queue, models'), async () => health());
  app.get('/healthz', open('Health (for load balancers)'), async () => health());
  function health() {
    const w = pipeline.writer.stats();
    return {
      status: 'ok',
      version: opts.version,
      uptime_s: Math.round((Date.now() - started) / 1000),
      queue: { depth: w.queued, written: w.written, dropped: w.dropped },
      models: pipeline.models,
    };
  }

  app.get('/metrics', open('Prometheus metrics'), async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderMetrics(pipeline.collectors)),
  );

  app.post(
    '/api/v1/ingest',
    {
      onRequest: requireScope('ingest'),
      schema: {
        tags: ['ingest'],
        summary: 'Submit security events (sensors, proxies)',
        body: {
          type: 'object',
          required: ['events'],
          properties: {
            events: { type: 'array', maxItems: opts.maxEventsPerRequest, items: { type: 'object' } },
          },
        },
      },
    },
    async (req, reply) => {
      const events = (req.body as { events: SecurityEvent[] }).events;
      if (!(await pipeline.writer.waitWritable(opts.busyWaitMs ?? 2000))) {
        pipeline.counters.ingest_busy++;
        return reply.status(503).header('retry-after', '1').send(errorBody('PAL_ERR_BUSY'));
      }
      const results = await Promise.allSettled(events.map((e) => pipeline.sink.submit(e)));
      const rejected: { index: number; reason: string; message: string }[] = [];
      results.forEach((r, index) => {
        if (r.status === 'rejected') {
          const err = r.reason as Error;
          rejected.push({
            index,
            reason: err instanceof DropError ? err.reason : 'write_failed',
            message: err.message.slice(0, 300),
          });
        }
      });
      pipeline.counters.ingest_requests++;
      if (rejected.some((r) => r.reason === 'queue_full' || r.reason === 'closing'))
        return reply
          .status(503)
          .header('retry-after', '1')
          .send(errorBody('PAL_ERR_BUSY', undefined, { rejected }));
      return { accepted: events.length - rejected.length, rejected };
    },
  );

  app.get(
    '/api/v1/bans/active',
    {
      onRequest: requireScope('ingest'),
      schema: { tags: ['ingest'], summary: 'Active bans for sensors (ETag)' },
    },
    async (req, reply) => {
      const bans = (await activeBans(pipeline.store, Date.now())).map((b) => ({
        value: b.value,
        reason: b.reason,
        until: b.until,
      }));
      const etag = `"${createHash('sha256').update(JSON.stringify(bans)).digest('base64url').slice(0, 27)}"`;
      if (req.headers['if-none-match'] === etag) return reply.status(304).header('etag', etag).send();
      return reply.header('etag', etag).send({ bans });
    },
  );

  app.get(
    '/api/v1/bans',
    { onRequest: requireScope('read'), schema: { tags: ['bans'], summary: 'List bans' } },
    async () => ({
      bans: await listBans(pipeline.store),
    }),
  );

  app.post(
    '/api/v1/bans',
    {
      onRequest: requireScope('ban'),
      schema: {
        tags: ['bans'],
        summary: 'Ban an address or CIDR',
        body: {
          type: 'object',
          required: ['value', 'reason'],
          additionalProperties: false,
          properties: {
            value: { type: 'string', minLength: 2, maxLength: 64 },
            reason: { type: 'string', minLength: 1, maxLength: 500 },
            ttl_seconds: { type: 'integer', minimum: 1, maximum: 31_536_000 },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { value: string; reason: string; ttl_seconds?: number };
      const now = Date.now();
      const ban = await addBan(pipeline.store, {
        value: body.value,
        reason: body.reason,
        source: 'api',
        created_by: actorOf(req),
        until: body.ttl_seconds ? now + body.ttl_seconds * 1000 : null,
        now_ms: now,
      });
      await pipeline.bans.reload();
      await audit(pipeline.store, actorOf(req), 'ban.add', ban.value, {
        reason: ban.reason,
        until: ban.until,
      });
      return reply.status(201).send({ ban });
    },
  );

  app.delete(
    '/api/v1/bans/:id',
    {
      onRequest: requireScope('ban'),
      schema: {
        tags: ['bans'],
        summary: 'Lift a ban',
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } },
      },
    },
    async (req, reply) => {
      const removed = await removeBan(pipeline.store, (req.params as { id: number }).id, actorOf(req));
      if (!removed) return reply.status(404).send(errorBody('PAL_ERR_NOT_FOUND', 'no such active ban'));
      await pipeline.bans.reload();
      await audit(pipeline.store, actorOf(req), 'ban.remove', String((req.params as { id: number }).id));
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/events',
    {
      onRequest: requireScope('read'),
      schema: {
        tags: ['events'],
        summary: 'List events (filters, cursor paging)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            ip: { type: 'string', maxLength: 64 },
            fingerprint: { type: 'string', maxLength: 64 },
            class: { type: 'string', maxLength: 40 },
            rule: { type: 'string', maxLength: 100 },
            severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] },
            action: { type: 'string', enum: ['allow', 'log', 'block'] },
            kind: { type: 'string', enum: ['http', 'auth', 'system', 'network', 'honeypot'] },
            source: { type: 'string', maxLength: 200 },
            q: { type: 'string', maxLength: 200 },
            cursor: { type: 'string', maxLength: 200 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
      },
    },
    async (req) => {
      return listEvents(pipeline.store, req.query as EventFilter & { cursor?: string; limit?: number });
    },
  );

  app.get(
    '/api/v1/events/:id',
    {
      onRequest: requireScope('read'),
      schema: {
        tags: ['events'],
        summary: 'One event (raw=true needs the raw scope)',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { raw: { type: 'boolean' } },
        },
      },
    },
    async (req, reply: FastifyReply) => {
      const { id } = req.params as { id: string };
      const withRaw = (req.query as { raw?: boolean }).raw === true;
      if (withRaw && !hasScope(req.principal, 'raw'))
        throw new PalisadeError('PAL_ERR_FORBIDDEN', 'reading the raw request needs the "raw" scope');
      const event = await getEvent(pipeline.store, id, { withRaw });
      if (!event) return reply.status(404).send(errorBody('PAL_ERR_NOT_FOUND', `no event ${id}`));
      return event;
    },
  );

  app.put(
    '/api/v1/events/:id/label',
    {
      onRequest: requireScope('label'),
      schema: {
        tags: ['events'],
        summary: 'Label an event attack or benign',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['label'],
          properties: { label: { type: ['string', 'null'], enum: [...ANALYST_LABELS, null] } },
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { label } = req.body as { label: AnalystLabel | null };
      return setAnalystLabel(pipeline.store, id, label, actorOf(req));
    },
  );

  registerIncidentRoutes(app, { ...opts, requireScope });
  registerStatsRoutes(app, { pipeline, requireScope });
  registerCompatRoutes(app, { ...opts, requireScope });
  registerStreamRoutes(app, { pipeline, requireScope });
  registerExclusionRoutes(app, { pipeline, requireScope });
  registerForensicsRoutes(app, { pipeline, requireScope });
  registerAuthRoutes(app, { auth });

  return app;
}
