/**
 * `GET /api/v1/stream`: the live stream as Server-Sent Events — `event: event` (an event as the
 * events list shows it), `event: incident` (as the incident list shows it), `: ping` comments —
 * optionally filtered by `class`, `severity` (a minimum) and `action`. The hub bounds the number of
 * streams (more answer 503) and each client's unsent bytes: a client that falls behind gets
 * `event: overflow` and its socket is destroyed after a grace period if it still does not read.
 * `Last-Event-ID` is not replayed: a reconnecting client reads what it missed from the events list.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SEVERITIES } from '@palisade/engine';
import { PalisadeError } from '../errors.js';
import type { ApiKeyScope } from '../store/index.js';
import type { LiveFilter } from './live-hub.js';
import type { Pipeline } from './pipeline.js';

/** How long a dropped client that does not read keeps its socket. */
const DROP_GRACE_MS = 10_000;
/** What a browser's EventSource waits before it reconnects after the stream ended. */
const RETRY_MS = 5000;

export interface StreamRoutesOptions {
  pipeline: Pipeline;
  /** The app's check: authenticates, sets `req.principal`, resolves when it holds one of `scopes`. */
  requireScope: (...scopes: ApiKeyScope[]) => (req: FastifyRequest) => Promise<void>;
}

export function registerStreamRoutes(app: FastifyInstance, opts: StreamRoutesOptions): void {
  const { pipeline, requireScope } = opts;
  /** Closers of this app's open streams: the server cannot close while they are open. */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get(
    '/api/v1/stream',
    {
      onRequest: requireScope('read'),
      schema: {
        tags: ['events'],
        summary: 'Live stream of new events and incidents (Server-Sent Events)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            class: { type: 'string', minLength: 1, maxLength: 40 },
            severity: { type: 'string', enum: [...SEVERITIES] },
            action: { type: 'string', enum: ['allow', 'log', 'block'] },
          },
        },
      },
    },
    async (req, reply) => {
      const res = reply.raw;
      let grace: NodeJS.Timeout | undefined;
      const unsubscribe = pipeline.live.subscribe(
        {
          write: (frame) => void res.write(frame),
          buffered: () => res.writableLength,
          end(frame) {
            res.end(frame);
            grace = setTimeout(() => res.destroy(), DROP_GRACE_MS).unref();
          },
        },
        req.query as LiveFilter,
      );
      if (unsubscribe === undefined) {
        void reply.header('retry-after', String(RETRY_MS / 1000));
        throw new PalisadeError('PAL_ERR_STREAM_LIMIT');
      }
      // Nothing can be published between subscribing and these lines (they run in one turn).
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        'x-content-type-options': 'nosniff',
        // Reverse proxies (nginx) must pass frames on at once instead of buffering them.
        'x-accel-buffering': 'no',
      });
      res.write(`retry: ${RETRY_MS}\n\n`);
      const close = () => {
        unsubscribe();
        res.destroy();
      };
      open.add(close);
      // A broken connection ends the subscription; its error needs no other handling.
      res.on('error', unsubscribe);
      res.on('close', () => {
        clearTimeout(grace);
        unsubscribe();
        open.delete(close);
      });
    },
  );
}
