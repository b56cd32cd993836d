/**
 * `createSensor`: the core plus its adapters, as one object an app keeps for its lifetime.
 */
import type { IncomingMessage } from 'node:http';
import { createSensorCore, SKIPPED, type BlockResponse, type SensorCore } from './core.js';
import { createExpressMiddleware, type ExpressMiddleware } from './express-adapter.js';
import { createFastifyPlugin, type FastifyPlugin } from './fastify-adapter.js';
import { createHttpWrapper } from './http-adapter.js';
import { createKoaMiddleware, type KoaMiddleware } from './koa-adapter.js';
import type { SensorOptions } from './options.js';

/** The result of `sensor.inspect` for frameworks without an adapter. */
export interface SensorCheck {
  /** Send this instead of calling the app; null = let the request through. */
  block: BlockResponse | null;
  /** Call once the response is sent, to record status and size and ship the event. */
  finish(status: number, bytesOut?: number): void;
}

export interface Sensor extends Pick<SensorCore, 'reportAuth' | 'stats' | 'flush' | 'refreshBans'> {
  /**
   * Checks one request whose body (if any) the caller has already read — for frameworks without an
   * adapter. Bans, exclusions, inspection and fail mode apply as in the adapters.
   */
  inspect(req: IncomingMessage, body?: Uint8Array | null): SensorCheck;
  /** Wraps a node:http request handler. */
  http: ReturnType<typeof createHttpWrapper>;
  /** Express 4/5 middleware; mount before body parsers. */
  express(): ExpressMiddleware;
  /** Fastify plugin: `app.register(sensor.fastify())`. */
  fastify(): FastifyPlugin;
  /** Koa middleware; use before koa-bodyparser. */
  koa(): KoaMiddleware;
  /** Stops pulling bans and ships what is queued, for at most `deadlineMs` (default 5000). */
  close(deadlineMs?: number): Promise<void>;
}

const NOOP_CHECK: SensorCheck = Object.freeze({ block: null, finish: () => undefined });

/**
 * Creates a sensor. Options are checked here (a bad one throws `SensorConfigError` naming it); the
 * ban pull starts at once. Keep one sensor per process and `close()` it on shutdown.
 */
export function createSensor(options: SensorOptions = {}): Sensor {
  const core = createSensorCore(options);
  const http = createHttpWrapper(core);

  function inspect(req: IncomingMessage, body?: Uint8Array | null): SensorCheck {
    const tx = core.open(req);
    if (tx === SKIPPED) return NOOP_CHECK;
    const finish = (status: number, bytesOut?: number) => core.finish(tx, status, bytesOut);
    if (tx.banned && tx.action === 'block') return { block: core.blockResponse(tx, 'PAL_BANNED'), finish };
    const buf = body && body.byteLength ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : null;
    const block = core.inspect(
      tx,
      buf ? { body: buf, complete: true, timedOut: false, aborted: false } : null,
    );
    return { block, finish };
  }

  return Object.freeze({
    inspect,
    http,
    express: () => createExpressMiddleware(core),
    fastify: () => createFastifyPlugin(core),
    koa: () => createKoaMiddleware(core),
    reportAuth: core.reportAuth,
    stats: core.stats,
    flush: core.flush,
    refreshBans: core.refreshBans,
    close: core.close,
  });
}
