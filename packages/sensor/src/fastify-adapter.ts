/**
 * Fastify plugin (encapsulation skipped, like fastify-plugin, so its hooks cover every route):
 * - onRequest: client, bans, exclusions; a request without a body is inspected here (head + query);
 * - preParsing: a request with a body has its first part read, inspected with the head, and put back
 *   on the stream, so Fastify's content-type parsers (JSON, form, custom) parse it as usual;
 * - onResponse: status, size and duration are recorded and the event is shipped.
 *
 * @example
 * await app.register(sensor.fastify());
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { captureBody, hasBody } from './body-capture.js';
import { SKIPPED, type BlockResponse, type SensorCore, type Transaction } from './core.js';

/** The parts of Fastify's request and reply the plugin uses (so the sensor needs no Fastify types). */
export interface FastifyRequestLike {
  raw: IncomingMessage;
}
export interface FastifyReplyLike {
  statusCode: number;
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  getHeader(name: string): unknown;
  send(payload?: unknown): FastifyReplyLike;
}
type Done = (err?: Error | null, value?: unknown) => void;
/**
 * The one Fastify method the plugin calls. Loosely typed on purpose: Fastify's own `addHook` has an
 * overload per hook with generics that a structural type cannot restate; this keeps a real
 * FastifyInstance assignable, so `app.register(sensor.fastify())` type-checks without Fastify types here.
 */
export interface FastifyInstanceLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
}

export interface FastifyPlugin {
  (instance: FastifyInstanceLike, opts: unknown, done: (err?: Error) => void): void;
  [key: symbol]: unknown;
}

const kTx = Symbol('palisade.tx');
const kSeen = Symbol.for('palisade.sensor.seen');
type Marked = IncomingMessage & { [kTx]?: Transaction; [kSeen]?: true };

function send(reply: FastifyReplyLike, b: BlockResponse): void {
  reply.code(b.status).headers(b.headers).send(b.body);
}

export function createFastifyPlugin(core: SensorCore): FastifyPlugin {
  const o = core.options;

  function onRequest(request: FastifyRequestLike, reply: FastifyReplyLike, done: Done): void {
    const req = request.raw as Marked;
    if (req[kSeen]) return done();
    req[kSeen] = true;
    let block: BlockResponse | null;
    try {
      const tx = core.open(req);
      if (tx === SKIPPED) return done();
      req[kTx] = tx;
      if (tx.banned && tx.action === 'block') {
        tx.bodyDone = !hasBody(req);
        block = core.blockResponse(tx, 'PAL_BANNED');
      } else if (hasBody(req))
        return done(); // inspected in preParsing, with the body
      else block = core.inspect(tx, null);
    } catch (err) {
      block = core.fallback(err);
    }
    // After reply.send the hook chain must not continue: `done` is not called.
    if (block) send(reply, block);
    else done();
  }

  function preParsing(
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
    payload: Readable,
    done: Done,
  ): void {
    const req = request.raw as Marked;
    const tx = req[kTx];
    if (!tx || tx.verdict !== null || tx.done || !hasBody(req)) return done(null, payload);
    // An earlier preParsing hook may have replaced the stream (decompression, say): its output is
    // not an HTTP message and cannot be put back the same way, so only the head is inspected then.
    if (payload !== req) {
      const b = core.inspect(tx, null);
      return b ? send(reply, b) : done(null, payload);
    }
    captureBody(req, o.maxBodyBytes, o.bodyTimeoutMs).then(
      (captured) => {
        if (captured.aborted) return core.abort(tx);
        const b = core.inspect(tx, captured);
        if (b) send(reply, b);
        else done(null, payload);
      },
      (err: unknown) => {
        const b = core.fallback(err);
        if (b) send(reply, b);
        else done(null, payload);
      },
    );
  }

  function onResponse(request: FastifyRequestLike, reply: FastifyReplyLike, done: Done): void {
    const tx = (request.raw as Marked)[kTx];
    if (tx) {
      const cl = Number(reply.getHeader('content-length'));
      core.finish(tx, reply.statusCode, Number.isFinite(cl) ? cl : undefined);
    }
    done();
  }

  const plugin = (instance: FastifyInstanceLike, _opts: unknown, done: (err?: Error) => void): void => {
    instance.addHook('onRequest', onRequest);
    instance.addHook('preParsing', preParsing);
    instance.addHook('onResponse', onResponse);
    done();
  };
  // What fastify-plugin sets: hooks apply to the parent context, and the plugin has a name.
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'palisade',
  });
}
