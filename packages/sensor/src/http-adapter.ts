/**
 * node:http adapter: wraps a request handler so that every request is checked before the handler
 * runs. The handler reads the request as usual (the inspected part of the body is put back).
 *
 * @example
 * http.createServer(sensor.http((req, res) => res.end('ok'))).listen(8080);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ABORTED, admit, type Admission } from './admit.js';
import { writeBlock, type SensorCore } from './core.js';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export function createHttpWrapper(core: SensorCore) {
  return function http(handler: NodeHandler): (req: IncomingMessage, res: ServerResponse) => unknown {
    if (typeof handler !== 'function')
      throw new TypeError('sensor.http(handler): handler must be a function');
    return (req: IncomingMessage, res: ServerResponse) => {
      const a = admit(core, req, res);
      if (a === null) return handler(req, res);
      if (a instanceof Promise) {
        // A throw from the handler here surfaces as an unhandled rejection, as an uncaught exception
        // would from a plain handler.
        void a.then((d: Admission) => {
          if (d === null) handler(req, res);
          else if (d !== ABORTED) writeBlock(res, d);
        });
        return undefined;
      }
      if (a !== ABORTED) writeBlock(res, a);
      return undefined;
    };
  };
}
