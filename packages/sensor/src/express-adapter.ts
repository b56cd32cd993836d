/**
 * Express middleware (Express 4 and 5). Mount it first — before express.json(), express.urlencoded()
 * or any body parser — so it sees the body; the parsers still get the untouched stream.
 *
 * @example
 * app.use(sensor.express());
 * app.use(express.json());
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ABORTED, admit, type Admission } from './admit.js';
import { writeBlock, type SensorCore } from './core.js';

export type ExpressMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

export function createExpressMiddleware(core: SensorCore): ExpressMiddleware {
  return function palisade(req, res, next) {
    const a = admit(core, req, res);
    if (a === null) return next();
    if (a instanceof Promise) {
      a.then((d: Admission) => {
        if (d === null) next();
        else if (d !== ABORTED) writeBlock(res, d);
      }, next);
      return;
    }
    if (a !== ABORTED) writeBlock(res, a);
  };
}
