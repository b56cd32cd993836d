/**
 * The dashboard's files (packages/web/dist) and the security headers of every response.
 *
 * Files: a small own handler rather than @fastify/static, because the Swagger UI plugin registers
 * that one too and one `GET /*` route is all the dashboard needs: hashed files under /assets/ are
 * cached for a year (their name changes with their content), everything else — index.html above
 * all — is revalidated on each load; an unknown path outside /api/ answers index.html so the
 * dashboard's own routes (/incidents/12) survive a reload. Dot segments and dotfiles are refused.
 *
 * Headers: a strict Content-Security-Policy (the build has no inline script; React and ECharts set
 * styles through the CSSOM, which CSP does not govern), no sniffing, no referrer, no framing, and
 * HSTS when the request came over HTTPS. A header a route has set itself (the Swagger UI's CSP) is
 * left alone.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PalisadeError } from '../errors.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Sent on every response unless the route set the header itself. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
  'cross-origin-opener-policy': 'same-origin',
});

const HSTS = 'max-age=31536000; includeSubDomains';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface WebOptions {
  /** Folder with the built dashboard; default `PALISADE_WEB_DIR`, else packages/web/dist. */
  webDir?: string;
}

/** The dashboard folder: `PALISADE_WEB_DIR`, else packages/web/dist beside this package. */
export function defaultWebDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.PALISADE_WEB_DIR;
  if (configured) return resolve(configured);
  // dist/serve/static.js and src/serve/static.ts are both three folders below packages/.
  return fileURLToPath(new URL('../../../web/dist', import.meta.url));
}

/** `/a/b.js` → `['a', 'b.js']`; undefined for encodings, dot segments, dotfiles and backslashes. */
function safeSegments(pathname: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  return segments.some((s) => s.startsWith('.')) ? undefined : segments;
}

async function sendFile(
  reply: FastifyReply,
  file: string,
  cache: string,
  ifNoneMatch: string | undefined,
): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return false;
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  reply.header('cache-control', cache).header('etag', etag);
  if (ifNoneMatch === etag) {
    await reply.status(304).send();
    return true;
  }
  await reply
    .type(CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('content-length', st.size)
    .send(createReadStream(file));
  return true;
}

/** Adds the security-header hook for the whole app and the dashboard's `GET /*` route. */
export function registerWeb(app: FastifyInstance, opts: WebOptions = {}): void {
  const root = resolve(opts.webDir ?? defaultWebDir());
  const index = resolve(root, 'index.html');

  app.addHook('onSend', async (req, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      if (!reply.hasHeader(name)) reply.header(name, value);
    if (req.protocol === 'https' && !reply.hasHeader('strict-transport-security'))
      reply.header('strict-transport-security', HSTS);
    return payload;
  });

  app.get('/*', async (req, reply) => {
    const pathname = req.url.split('?', 1)[0] ?? '/';
    if (pathname === '/api' || pathname.startsWith('/api/')) throw new PalisadeError('PAL_ERR_NOT_FOUND');
    const segments = safeSegments(pathname);
    if (segments === undefined) throw new PalisadeError('PAL_ERR_NOT_FOUND');
    const inm = req.headers['if-none-match'];
    if (segments.length > 0) {
      const file = resolve(root, ...segments);
      if (file.startsWith(root + sep)) {
        const cache = segments[0] === 'assets' ? IMMUTABLE : REVALIDATE;
        if (await sendFile(reply, file, cache, inm)) return reply;
      }
      // A missing script or style must not come back as HTML.
      if (segments[0] === 'assets') throw new PalisadeError('PAL_ERR_NOT_FOUND');
    }
    if (await sendFile(reply, index, REVALIDATE, inm)) return reply;
    throw new PalisadeError(
      'PAL_ERR_NOT_FOUND',
      'the dashboard is not built: run npm run build, or set PALISADE_WEB_DIR',
    );
  });
}
