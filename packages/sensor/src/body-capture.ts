/**
 * Reads the first part of a request body for inspection and puts it back, so that whatever reads the
 * request next (body-parser, koa-bodyparser, Fastify's content parsers, `for await (const c of req)`,
 * `req.pipe(...)`) sees the stream exactly as it came from the client.
 *
 * How: the bytes are taken with `read()` in paused mode and returned with `req.unshift()` before the
 * stream has emitted 'end' (unshift after 'end' is an error). End of input is recognised by
 * `req.complete` (set by the HTTP parser before it pushes EOF), never by the 'end' event. A body longer
 * than the limit is read only up to the limit (plus the chunk that crossed it); the rest stays in the
 * socket, under the stream's own back-pressure, and reaches the app untouched.
 */
import type { IncomingMessage } from 'node:http';

export interface CapturedBody {
  /** The bytes read (up to the limit plus the chunk that crossed it). */
  body: Buffer;
  /** True when this is the whole body. */
  complete: boolean;
  /** True when the body did not arrive within the timeout. */
  timedOut: boolean;
  /** True when the client went away or the stream failed: there is nothing to hand on. */
  aborted: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Whether the request announces a body (a chunked one, or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const cl = h['content-length'];
  return cl !== undefined && cl !== '0';
}

/** Reads up to `limit` bytes (a little more if a chunk crosses it) and puts them back on the stream. */
export function captureBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<CapturedBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;

    const finish = (complete: boolean, timedOut: boolean, aborted: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.removeListener('readable', onReadable);
      req.removeListener('error', onError);
      req.removeListener('close', onClose);
      const body = chunks.length === 1 ? chunks[0]! : chunks.length ? Buffer.concat(chunks, bytes) : EMPTY;
      if (!aborted && bytes > 0) req.unshift(body);
      // Resolve after the stream's own 'readable'-listener bookkeeping (also a nextTick, queued by
      // removeListener above), so a reader attached by the continuation starts from a settled state.
      process.nextTick(resolve, { body, complete, timedOut, aborted });
    };
    const onReadable = () => {
      // `read()` in paused mode returns everything buffered; reading only while data is buffered means
      // we never make an ended stream emit 'end' before the bytes are back.
      while (bytes <= limit && req.readableLength > 0) {
        const chunk = req.read() as Buffer | null;
        if (chunk === null) break;
        chunks.push(chunk);
        bytes += chunk.length;
      }
      if (bytes > limit) finish(false, false, false);
      else if (req.complete && req.readableLength === 0) finish(true, false, false);
    };
    const onError = () => finish(false, false, true);
    const onClose = () => {
      if (!req.complete) finish(false, false, true);
    };
    const timer = setTimeout(() => finish(false, true, false), timeoutMs);
    timer.unref();
    req.on('error', onError);
    req.on('close', onClose);
    req.on('readable', onReadable);
    // Already fully received with nothing buffered (an empty chunked body): nothing will be emitted.
    if (req.complete && req.readableLength === 0) finish(true, false, false);
  });
}
