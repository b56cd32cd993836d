/**
 * Koa middleware. Use it first — before koa-bodyparser — so it sees the body; the parser still gets
 * the untouched stream. A refused request gets its status, headers and body through the context.
 *
 * @example
 * app.use(sensor.koa());
 * app.use(bodyParser());
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ABORTED, admit } from './admit.js';
import type { SensorCore } from './core.js';

/** The part of a Koa context the middleware uses (so the sensor needs no Koa types). */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  status: number;
  body: unknown;
  respond?: boolean;
  set(fields: Record<string, string>): void;
}

export type KoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown>;

export function createKoaMiddleware(core: SensorCore): KoaMiddleware {
  return async function palisade(ctx, next) {
    let a = admit(core, ctx.req, ctx.res);
    if (a instanceof Promise) a = await a;
    if (a === null) return next();
    if (a === ABORTED) {
      // The client is gone: Koa must not try to answer.
      ctx.respond = false;
      return undefined;
    }
    ctx.status = a.status;
    ctx.set(a.headers);
    ctx.body = a.body;
    return undefined;
  };
}
