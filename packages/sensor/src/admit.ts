/**
 * The request-side steps shared by the node:http, Express and Koa adapters: open the transaction,
 * refuse a banned client without reading its body, inspect a bodiless request at once, or read the
 * first part of the body (put back for the app, see body-capture.ts) and inspect it with the head.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { captureBody, hasBody } from './body-capture.js';
import { onResponseEnd, SKIPPED, type BlockResponse, type SensorCore } from './core.js';

/** The client went away during the body: do not call the app, send nothing. */
export const ABORTED = Symbol('palisade.aborted');

export type Admission = BlockResponse | null | typeof ABORTED;

/** Marks a request already handled, so that two adapters on one app inspect it once. */
const kSeen = Symbol.for('palisade.sensor.seen');

/**
 * Decides whether the app may see this request: null = call the app, a BlockResponse = send it
 * instead, ABORTED = do neither. Synchronous unless a body has to be read.
 */
export function admit(
  core: SensorCore,
  req: IncomingMessage,
  res: ServerResponse,
): Admission | Promise<Admission> {
  const marked = req as IncomingMessage & { [kSeen]?: true };
  if (marked[kSeen]) return null;
  marked[kSeen] = true;
  try {
    const tx = core.open(req);
    if (tx === SKIPPED) return null;
    onResponseEnd(res, (status, bytesOut) => core.finish(tx, status, bytesOut));
    if (tx.banned && tx.action === 'block') {
      tx.bodyDone = !hasBody(req);
      return core.blockResponse(tx, 'PAL_BANNED');
    }
    if (!hasBody(req)) return core.inspect(tx, null);
    const o = core.options;
    return captureBody(req, o.maxBodyBytes, o.bodyTimeoutMs).then(
      (captured) => {
        if (captured.aborted) {
          core.abort(tx);
          return ABORTED;
        }
        return core.inspect(tx, captured);
      },
      (err: unknown) => core.fallback(err),
    );
  } catch (err) {
    return core.fallback(err);
  }
}
