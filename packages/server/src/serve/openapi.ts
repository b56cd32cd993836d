/**
 * The API's OpenAPI 3 document, generated from the route schemas (@fastify/swagger), served at
 * `GET /api/v1/openapi.json`, and Swagger UI at `/docs` from the npm package's own files (no CDN).
 *
 * Both are public: the document lists routes and field schemas, which are in the open-source repo
 * anyway; no key, user or setting appears in it, and "Try it out" still needs a session or a key.
 *
 * Call registerOpenApi before any route: buildApp declares routes synchronously at the root, and
 * @fastify/swagger registered through `app.register` would load after them and miss them, so its
 * setup runs at once (and Swagger UI, which checks that dependency by plugin name, is wrapped).
 */
import { fastifySwagger } from '@fastify/swagger';
import { fastifySwaggerUi, type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ERRORS } from '../errors.js';

export interface OpenApiOptions {
  version: string;
}

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PREFIX = '/docs';

/**
 * Swagger UI's policy: its scripts and styles come from /docs/static; React sets inline style
 * attributes, hence 'unsafe-inline' for styles only; the logo is a data: image. Nothing external.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** `{ error: { code, message, details } }`, the body of every error answer. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERRORS) },
        message: { type: 'string' },
        details: { description: 'What the code needs: `field` for validation errors, limits, ids.' },
      },
    },
  },
} as const;

const TAGS = [
  { name: 'meta', description: 'Health, metrics and this document' },
  { name: 'auth', description: 'Sessions, tokens, users, API keys, audit' },
  { name: 'ingest', description: 'Events from sensors and proxies, the ban feed' },
  { name: 'events', description: 'Stored security events and analyst labels' },
  { name: 'bans', description: 'Banned addresses' },
  { name: 'incidents', description: 'Correlated incidents and their configuration' },
  { name: 'logs', description: 'Log uploads' },
  { name: 'timeline', description: 'Events and incidents of a user or an address' },
  { name: 'stats', description: 'Statistics, geo points and findings for the dashboard' },
  { name: 'stream', description: 'Live events and incidents (Server-Sent Events)' },
  { name: 'exclusions', description: 'Rule exclusions applied at run time' },
  { name: 'forensics', description: 'Time-window analyses: bursts, brute force, top talkers, sessions' },
  { name: 'compat', description: 'IT-Sec-Projekt aliases (deprecated; use the v1 routes)' },
];

type Operation = { responses?: Record<string, unknown> };

/** The API's paths; the dashboard's files (`GET /*`) and Swagger UI's own are not part of it. */
export function isApiPath(url: string): boolean {
  return url.startsWith('/api/') || url === '/healthz' || url === '/metrics';
}

/** Every operation answers errors as the shared Error schema. */
function withErrorResponses(doc: Record<string, unknown>): Record<string, unknown> {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation>>;
  for (const ops of Object.values(paths))
    for (const op of Object.values(ops))
      op.responses = {
        ...op.responses,
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      };
  return doc;
}

/** Registers the document and Swagger UI on `app`; call before the routes are declared. */
export function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): void {
  fastifySwagger(
    app,
    {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Palisade API',
          version: opts.version,
          description:
            'WAF and security-event platform. Errors answer `{ error: { code, message, details } }`; ' +
            'times are epoch ms (`*_ms`) or ISO 8601 strings.',
        },
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              description:
                'An access token (JWT), an OIDC token of the configured issuer, or an API key `pal_…`',
            },
            apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
            cookieAuth: {
              type: 'apiKey',
              in: 'cookie',
              name: 'pal_session',
              description: 'Browser session; unsafe methods also send `X-CSRF-Token`',
            },
          },
          schemas: { Error: ERROR_SCHEMA as unknown as Record<string, unknown> },
        },
        security: [{ bearerAuth: [] }, { apiKey: [] }, { cookieAuth: [] }],
        tags: TAGS,
      },
      transform: ({ schema, url }) => ({ schema: isApiPath(url) ? schema : { ...schema, hide: true }, url }),
      transformObject: (d) =>
        withErrorResponses(
          ('openapiObject' in d ? d.openapiObject : d.swaggerObject) as Record<string, unknown>,
        ),
    },
    (err) => {
      if (err) throw err;
    },
  );

  app.get(
    OPENAPI_PATH,
    { schema: { tags: ['meta'], summary: 'This OpenAPI 3 document', security: [] } },
    async () => app.swagger(),
  );

  // Typed as a callback plugin; the implementation is an async function.
  const swaggerUi = fastifySwaggerUi as unknown as (
    i: FastifyInstance,
    o: FastifySwaggerUiOptions,
  ) => Promise<void>;
  void app.register(async (scope, o: FastifySwaggerUiOptions) => swaggerUi(scope, o), {
    routePrefix: DOCS_PREFIX,
    staticCSP: DOCS_CSP,
    uiConfig: { deepLinking: true, tryItOutEnabled: false },
  });
}
