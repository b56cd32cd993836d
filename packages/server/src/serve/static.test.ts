/**
 * The dashboard's files and the security headers, through the real app on a real SQLite file and a
 * real folder of built files: SPA fallback, caching, traversal refused, /api stays JSON, and every
 * response (API, error, 404, child-scope routes) carries the headers without overriding a route's own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../config/test-config.js';
import { buildApp } from './app.js';
import { openPipeline, type Pipeline } from './pipeline.js';
import { CONTENT_SECURITY_POLICY, defaultWebDir } from './static.js';

let dir: string;
let pipeline: Pipeline;
let app: ReturnType<typeof buildApp>;
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script></head></html>';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-static-'));
  const web = join(dir, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), INDEX);
  writeFileSync(join(web, 'assets', 'app-1a2b.js'), 'console.log(1)');
  writeFileSync(join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(web, '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'outside.txt'), 'outside');
  pipeline = await openPipeline(testConfig(join(dir, 'data')), { retention: false });
  process.env.PALISADE_WEB_DIR = web;
  try {
    app = buildApp({ pipeline, maxEventsPerRequest: 5, maxBodyBytes: 64 * 1024, version: 'test' });
  } finally {
    delete process.env.PALISADE_WEB_DIR;
  }
  app.get('/own-csp', async (_req, reply) =>
    reply.header('content-security-policy', "default-src 'none'").send('x'),
  );
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await pipeline?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers });

describe('dashboard files', () => {
  it('serves index.html at / and for unknown dashboard paths, revalidated on each load', async () => {
    for (const url of ['/', '/incidents/12', '/alerts?ip=1.2.3.4']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(INDEX);
    }
  });

  it('caches hashed assets for a year and answers 304 to a matching ETag', async () => {
    const res = await get('/assets/app-1a2b.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe('console.log(1)');
    const again = await get('/assets/app-1a2b.js', { 'if-none-match': String(res.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect((await get('/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
  });

  it('answers 404 for a missing asset instead of HTML', async () => {
    const res = await get('/assets/missing.js');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('PAL_ERR_NOT_FOUND');
  });

  it('refuses dotfiles and paths that climb out of the folder', async () => {
    for (const url of [
      '/.env',
      '/%2e%2e/outside.txt',
      '/..%2foutside.txt',
      '/assets/..%5c..%5coutside.txt',
      '/%00',
    ]) {
      const res = await get(url);
      // The injector may normalise %2e%2e away; then the fallback page is the answer, never the file.
      if (res.statusCode !== 404) expect(res.body, url).toBe(INDEX);
      expect(res.body).not.toContain('SECRET');
      expect(res.body).not.toContain('outside');
    }
  });

  it('keeps unknown /api paths as JSON 404s', async () => {
    const res = await get('/api/v1/no-such-thing');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'PAL_ERR_NOT_FOUND', message: expect.any(String) } });
  });

  it('finds packages/web/dist from this file unless PALISADE_WEB_DIR is set', () => {
    expect(defaultWebDir({})).toMatch(/packages[/\\]web[/\\]dist$/);
    expect(defaultWebDir({ PALISADE_WEB_DIR: '/srv/palisade-web' })).toBe('/srv/palisade-web');
  });
});

describe('security headers', () => {
  it('are on files, API answers, errors and child-scope routes', async () => {
    for (const url of ['/', '/api/v1/health', '/api/v1/events', '/api/v1/incidents', '/api/v1/nothing']) {
      const res = await get(url);
      expect(res.headers['content-security-policy'], url).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['cross-origin-opener-policy'], url).toBe('same-origin');
      expect(res.headers['permissions-policy'], url).toContain('camera=()');
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it('leave a CSP the route set itself', async () => {
    expect((await get('/own-csp')).headers['content-security-policy']).toBe("default-src 'none'");
  });
});
