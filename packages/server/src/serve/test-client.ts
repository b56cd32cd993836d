/**
 * What the route tests share: an app over the real pipeline on a SQLite file in a fresh tmp
 * directory (or a fresh PostgreSQL schema), the first admin API key, a client that injects a request with an optional API key and
 * returns the status, headers, body and parsed JSON, multipart/form-data bodies for uploads, and a
 * blocked SQL-injection event to ingest.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { SecurityEvent } from '@palisade/engine';
import { testConfig } from '../config/test-config.js';
import { buildApp, type AppOptions } from './app.js';
import { openPipeline, type Pipeline } from './pipeline.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../store/testdata/test-database.js';

export type TestMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TestApp {
  dir: string;
  pipeline: Pipeline;
  /** Built, not yet ready: tests add hooks, then call `ready()` or `listen()`. */
  app: FastifyInstance;
  /** Closes the app and the pipeline and removes the directory. */
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** The database: a SQLite file (default) or, for 'postgres', a fresh schema on PALISADE_TEST_DATABASE_URL. */
  engine?: 'sqlite' | 'postgres';
  /** The pipeline's options; retention is off unless given. */
  pipeline?: Parameters<typeof openPipeline>[1];
  /** Over the defaults: 100 events per request, 64 KiB bodies, version "test"; or made from the dir. */
  app?: Partial<Omit<AppOptions, 'pipeline'>> | ((dir: string) => Partial<Omit<AppOptions, 'pipeline'>>);
}

/** A pipeline on a SQLite file in a fresh tmp directory (named `prefix…`) and the app over it. */
export async function openTestApp(prefix: string, opts: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const config = testConfig(dir);
  const schema = opts.engine === 'postgres' ? uniqueSchema() : undefined;
  if (schema !== undefined) {
    if (!TEST_DATABASE_URL) throw new Error('PALISADE_TEST_DATABASE_URL is not set');
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('schema', schema);
    config.db = url.toString();
  }
  const pipeline = await openPipeline(config, { retention: false, ...opts.pipeline }).catch((e: unknown) => {
    remove();
    throw e;
  });
  const app = buildApp({
    pipeline,
    maxEventsPerRequest: 100,
    maxBodyBytes: 64 * 1024,
    version: 'test',
    ...(typeof opts.app === 'function' ? opts.app(dir) : opts.app),
  });
  const close = async () => {
    await app.close();
    if (schema !== undefined) await dropSchema(pipeline.store, schema);
    await pipeline.close();
    remove();
  };
  return { dir, pipeline, app, close };
}

/** The first admin API key, as a fresh server writes it to its data directory. */
export async function initialApiKey(pipeline: Pipeline): Promise<string> {
  await pipeline.ensureInitialApiKey();
  return readFileSync(pipeline.apiKeyFile, 'utf8').trim();
}

/** A multipart/form-data body as a browser or curl -F sends it: the fields, then the file. */
export async function multipartForm(parts: {
  file?: { name: string; content: Buffer | string };
  fields?: Record<string, string>;
}): Promise<{ payload: Buffer; headers: { 'content-type': string } }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(parts.fields ?? {})) fd.append(k, v);
  if (parts.file) fd.append('file', new Blob([parts.file.content]), parts.file.name);
  const req = new Request('http://palisade.test/', { method: 'POST', body: fd });
  return {
    payload: Buffer.from(await req.arrayBuffer()),
    headers: { 'content-type': req.headers.get('content-type')! },
  };
}

export function testClient(app: () => FastifyInstance) {
  return async function call(
    method: TestMethod,
    url: string,
    key?: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await app().inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted field by field
      json: () => JSON.parse(res.body) as any,
    };
  };
}

/** A blocked SQL-injection request event as a sensor ships it; `over` replaces fields. */
export const sqliEvent = (id: string, over: Partial<SecurityEvent> = {}): SecurityEvent => ({
  id,
  ts: '2026-11-20T10:00:00.000Z',
  kind: 'http',
  source: { name: 'sensor:test', type: 'sensor' },
  client: { ip: '8.8.8.8', port: 40000 },
  http: { method: 'GET', path: '/search', query: 'q=%27%20or%201%3D1--', status: 403, user_agent: 'curl/8' },
  action: 'block',
  score: 5,
  severity: 'critical',
  findings: [
    {
      rule: 'sqli.tautology',
      rule_version: 1,
      class: 'sqli',
      severity: 'critical',
      confidence: 0.9,
      location: 'query:q',
      evidence: "' or 1=1--",
      decoded_by: ['url'],
    },
  ],
  raw: 'GET /search?q=%27%20or%201%3D1-- HTTP/1.1\r\nhost: shop\r\n\r\n',
  ...over,
});
