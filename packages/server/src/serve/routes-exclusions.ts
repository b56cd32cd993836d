/**
 * Engine exclusions at run time: `GET /api/v1/exclusions` (read), `POST` and `DELETE
 * /api/v1/exclusions/:id` (admin). A new exclusion is checked by the engine itself (`createEngine`)
 * before it is saved, so a bad one is a 400 naming the field, never a broken engine; once saved,
 * this process rebuilds its engine at once and other processes (proxy, another serve) at their
 * next 10 s poll. Run-time exclusions apply together with the configured `engine.exclusions`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfigError, createEngine, type Exclusion } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import {
  addExclusion,
  listExclusions,
  removeExclusion,
  EXCLUSION_FIELD_MAX,
  type ApiKeyScope,
  type ExclusionMatch,
} from '../store/index.js';
import type { Pipeline } from './pipeline.js';
import { actorOf } from './principal.js';
import { schemaError } from './routes-incidents.js';

export interface ExclusionRoutesOptions {
  pipeline: Pipeline;
  /** The app's check: authenticates, sets `req.principal`, resolves when it holds one of `scopes`. */
  requireScope: (...scopes: ApiKeyScope[]) => (req: FastifyRequest) => Promise<void>;
}

/** Checks an exclusion as the engine does; a refusal names the field (`rule`, or `body` for the whole). */
function checkExclusion(ex: Exclusion): void {
  try {
    createEngine({ exclusions: [ex] });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const field = e.field.replace(/^exclusions\[0\]\.?/, '') || 'body';
    throw new PalisadeError('PAL_ERR_VALIDATION', `${field}: ${e.message}`, { field });
  }
}

export function registerExclusionRoutes(app: FastifyInstance, opts: ExclusionRoutesOptions): void {
  const { pipeline, requireScope } = opts;
  const { store } = pipeline;
  const text = (maxLength: number) => ({ type: 'string', maxLength });

  void app.register(async (scope) => {
    scope.setSchemaErrorFormatter(schemaError);

    const tags = ['exclusions'];
    scope.get(
      '/api/v1/exclusions',
      { onRequest: requireScope('read'), schema: { tags, summary: 'Engine exclusions added at run time' } },
      async () => {
        const { version, exclusions } = await listExclusions(store);
        return { exclusions, version };
      },
    );

    scope.post(
      '/api/v1/exclusions',
      {
        onRequest: requireScope('admin'),
        schema: {
          tags,
          summary: 'Add an exclusion (applied without restart)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['reason'],
            properties: {
              rule: text(EXCLUSION_FIELD_MAX.rule),
              class: text(EXCLUSION_FIELD_MAX.class),
              path: text(EXCLUSION_FIELD_MAX.path),
              method: { type: 'string', pattern: '^[A-Za-z-]{1,20}$' },
              location: text(EXCLUSION_FIELD_MAX.location),
              reason: { type: 'string', minLength: 1, maxLength: EXCLUSION_FIELD_MAX.reason },
            },
          },
        },
      },
      async (req, reply) => {
        const { reason, ...match } = req.body as ExclusionMatch & { reason: string };
        checkExclusion({ ...match, reason } as Exclusion);
        const saved = await addExclusion(store, match, reason, actorOf(req));
        await pipeline.reloadModels();
        return reply.status(201).send({ exclusion: saved.exclusion, version: saved.version });
      },
    );

    scope.delete(
      '/api/v1/exclusions/:id',
      {
        onRequest: requireScope('admin'),
        schema: {
          tags,
          summary: 'Remove an exclusion',
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
          },
        },
      },
      async (req, reply) => {
        const { id } = req.params as { id: number };
        if ((await removeExclusion(store, id, actorOf(req))) === undefined)
          throw new PalisadeError('PAL_ERR_NOT_FOUND', `no exclusion ${id}`);
        await pipeline.reloadModels();
        return reply.status(204).send();
      },
    );
  });
}
