/**
 * The OpenAPI document and Swagger UI on the real app: the document is structurally OpenAPI 3, every
 * route the app registers (seen by an onRoute hook installed as Fastify creates the app) is in it
 * with its tags, summary and responses, errors share one schema listing every code, and /docs
 * loads its scripts and styles from this server under a CSP that names no other origin.
 */
import type * as FastifyModule from 'fastify';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ERRORS } from '../errors.js';
import { DOCS_CSP, isApiPath } from './openapi.js';
import { openTestApp, type TestApp } from './test-client.js';

const seen = vi.hoisted(() => [] as RouteOptions[]);
// The real Fastify, with an onRoute hook added the moment buildApp creates its instance.
vi.mock('fastify', async (importOriginal) => {
  const actual = await importOriginal<typeof FastifyModule>();
  const create = ((...args: Parameters<typeof actual.default>) => {
    const app = actual.default(...args);
    app.addHook('onRoute', (r) => void seen.push(r));
    return app;
  }) as typeof actual.default;
  return { ...actual, default: create };
});

let testApp: TestApp;
let app: TestApp['app'];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked generically
let doc: any;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** `/api/v1/events/:id` as OpenAPI writes it. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace('*', '{*}');

/** [METHOD, url] of every API route the app registered and did not hide. */
function documentedRoutes(): [string, string][] {
  return seen
    .filter((r) => isApiPath(r.url!) && !(r.schema as { hide?: boolean } | undefined)?.hide)
    .flatMap((r) =>
      (Array.isArray(r.method) ? r.method : [r.method])
        .filter((m) => m !== 'HEAD')
        .map((m): [string, string] => [m, r.url!]),
    );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked generically
const operation = (method: string, url: string): any => doc.paths[openApiPath(url)]?.[method.toLowerCase()];

function undescribed(): string[] {
  return documentedRoutes()
    .filter(([m, url]) => {
      const op = operation(m, url);
      return op !== undefined && (!(op.tags?.length > 0) || typeof op.summary !== 'string');
    })
    .map((r) => r.join(' '));
}

beforeAll(async () => {
  testApp = await openTestApp('palisade-openapi-', { app: { maxEventsPerRequest: 10, version: '9.8.7' } });
  ({ app } = testApp);
  await app.ready();
  const res = await app.inject('/api/v1/openapi.json');
  expect(res.statusCode).toBe(200);
  doc = res.json();
});

afterAll(() => testApp?.close());

describe('GET /api/v1/openapi.json', () => {
  it('is a structurally valid OpenAPI 3 document, public', async () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Palisade API', version: '9.8.7' });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      expect(path.startsWith('/'), path).toBe(true);
      const methods = Object.keys(ops).filter((k) => METHODS.includes(k));
      expect(methods.length, path).toBeGreaterThan(0);
      for (const m of methods) {
        const op = ops[m] as { responses?: Record<string, unknown>; tags?: string[]; summary?: string };
        expect(Object.keys(op.responses ?? {}).length, `${m} ${path}`).toBeGreaterThan(0);
      }
    }
    // Every $ref points into the document.
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref') refs.push(x as string);
          else walk(x);
        }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref.startsWith('#/'), ref).toBe(true);
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
      expect(target, ref).toBeDefined();
    }
  });

  it('lists every route the app registered', () => {
    const methods = documentedRoutes();
    expect(methods.length).toBeGreaterThan(10);
    const missing = methods.filter(([m, url]) => operation(m, url) === undefined).map((r) => r.join(' '));
    expect(missing).toEqual([]);
    // The hidden ones are Swagger UI's files and the compat aliases without the trailing slash.
    const hidden = seen.filter((r) => (r.schema as { hide?: boolean } | undefined)?.hide).map((r) => r.url);
    expect(
      hidden.every(
        (u) => u.startsWith('/docs') || u.startsWith('/api/logfiles') || u === '/api/incidents-config',
      ),
    ).toBe(true);
    expect(Object.keys(doc.paths).filter((p) => !isApiPath(p))).toEqual([]);
  });

  it('gives every route tags and a summary', () => {
    expect(undescribed(), 'routes without tags or summary').toEqual([]);
  });

  it('describes the three ways to authenticate and the public routes', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }),
      cookieAuth: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'pal_session' }),
    });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }, { cookieAuth: [] }]);
    expect(doc.paths['/api/v1/health'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/openapi.json'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/events'].get.security).toBeUndefined();
  });

  it('shares one Error schema naming every code of errors.ts', () => {
    const error = doc.components.schemas.Error;
    expect(error.properties.error.properties.code.enum).toEqual(Object.keys(ERRORS));
    expect(doc.paths['/api/v1/events'].get.responses.default.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
  });

  it('marks the IT-Sec-Projekt aliases deprecated under the compat tag', () => {
    const compat = Object.entries(
      doc.paths as Record<string, Record<string, { tags: string[]; deprecated?: boolean }>>,
    )
      .filter(([p]) => !p.startsWith('/api/v1/') && p.startsWith('/api/'))
      .flatMap(([, ops]) => Object.values(ops));
    expect(compat.length).toBeGreaterThanOrEqual(8);
    for (const op of compat) expect(op).toMatchObject({ tags: ['compat'], deprecated: true });
  });
});

describe('Swagger UI at /docs', () => {
  it('serves its page and every script and style from this server, under its CSP', async () => {
    const page = await app.inject('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(DOCS_CSP).not.toMatch(/https?:|\*/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.filter((a) => a.endsWith('.js')).length).toBeGreaterThanOrEqual(3);
    expect(assets.filter((a) => a.endsWith('.css')).length).toBeGreaterThanOrEqual(1);
    for (const a of assets) {
      expect(a, 'no external URL').not.toMatch(/^(?:[a-z]+:)?\/\//i);
      const res = await app.inject(new URL(a, 'http://palisade.test/docs/').pathname);
      expect(res.statusCode, a).toBe(200);
    }
    const init = await app.inject('/docs/static/swagger-initializer.js');
    expect(init.body).toContain("resolveUrl('./json')");
    expect((await app.inject('/docs/json')).json().openapi).toBe(doc.openapi);
    // Without the trailing slash the page names its assets under /docs/static.
    expect((await app.inject('/docs')).body).toContain('/docs/static/swagger-ui-bundle.js');
  });

  it('keeps the relaxed policy to /docs', async () => {
    const res = await app.inject('/api/v1/health');
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-security-policy'] ?? '')).not.toContain('unsafe-inline');
  });
});
