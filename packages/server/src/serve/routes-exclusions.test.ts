/**
 * Run-time exclusions through the real app, pipeline and reverse proxy: an SQL injection the proxy
 * blocks goes through once an admin adds an exclusion for its rule, path and location (as the
 * dashboard does from a finding), and is blocked again once it is removed; an exclusion saved by
 * another process goes live at the engine's next reload; bad exclusions are refused naming the field.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../config/test-config.js';
import { createProxy, type Proxy } from '../proxy/index.js';
import { addExclusion, createApiKey, listAudit, removeExclusion } from '../store/index.js';
import { buildApp } from './app.js';
import { testClient } from './test-client.js';
import { openPipeline, type Pipeline } from './pipeline.js';

let dir: string;
let pipeline: Pipeline;
let app: ReturnType<typeof buildApp>;
let upstream: Server;
let proxy: Proxy;
let proxyUrl: string;
let admin: string;
let readKey: string;
let labelKey: string;

const call = testClient(() => app);
const ATTACK = "/search?q=1'%20union%20select%20password%20from%20users--";
const fromFinding = { rule: 'sqli.union', path: '/search', location: 'query:q', reason: 'search box (test)' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-exclusions-'));
  const config = testConfig(dir);
  // Signatures only: the classifier would flag this request on its own.
  config.ml.classifier = 'off';
  pipeline = await openPipeline(config, { retention: false });
  admin = readFileSync((await pipeline.ensureInitialApiKey())!, 'utf8').trim();
  readKey = (await createApiKey(pipeline.store, 'viewer', ['read'])).secret;
  labelKey = (await createApiKey(pipeline.store, 'analyst', ['label'])).secret;
  app = buildApp({ pipeline, maxEventsPerRequest: 10, maxBodyBytes: 64 * 1024, version: 'test' });
  await app.ready();
  upstream = createServer((_req, res) => res.end('shop'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = createProxy({
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    engine: pipeline.engine,
    sink: pipeline.sink,
    honeypot: false,
  });
  const addr = await proxy.listen('127.0.0.1', 0);
  proxyUrl = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await proxy?.close();
  await new Promise((r) => upstream?.close(r));
  await app?.close();
  await pipeline?.close();
  rmSync(dir, { recursive: true, force: true });
});

const attack = async () => (await fetch(`${proxyUrl}${ATTACK}`)).status;

describe('run-time exclusions', () => {
  it('lets a blocked request through once excluded, and blocks it again once removed', async () => {
    expect(await attack()).toBe(403);
    expect((await call('GET', '/api/v1/exclusions', readKey)).json()).toEqual({ exclusions: [], version: 0 });

    const created = await call('POST', '/api/v1/exclusions', admin, fromFinding);
    expect(created.status).toBe(201);
    const exclusion = created.json().exclusion;
    expect(exclusion).toMatchObject({ id: 1, ...fromFinding, created_by: 'apikey:admin (first start)' });
    expect(typeof exclusion.created_ms).toBe('number');
    // Applied in this process at once: no wait for the poll.
    expect(await attack()).toBe(200);
    expect(pipeline.engine.inspect({ method: 'GET', url: ATTACK, headers: {} }).findings).toEqual([]);
    // Only where it was excluded: the same input on another path is still blocked.
    expect((await fetch(`${proxyUrl}${ATTACK.replace('/search', '/find')}`)).status).toBe(403);

    const listed = (await call('GET', '/api/v1/exclusions', readKey)).json();
    expect(listed).toEqual({ exclusions: [exclusion], version: 1 });

    expect((await call('DELETE', `/api/v1/exclusions/${exclusion.id}`, admin)).status).toBe(204);
    expect(await attack()).toBe(403);
    expect((await call('DELETE', `/api/v1/exclusions/${exclusion.id}`, admin)).status).toBe(404);
    expect((await call('GET', '/api/v1/exclusions', readKey)).json()).toEqual({ exclusions: [], version: 2 });

    const actions = (await listAudit(pipeline.store)).map((a) => a.action);
    expect(actions).toContain('exclusion.add');
    expect(actions).toContain('exclusion.remove');
  });

  it("takes up another process's change at the next reload", async () => {
    const saved = await addExclusion(pipeline.store, { class: 'sqli' }, 'saved by another serve', 'cli');
    expect(await attack()).toBe(403);
    expect(await pipeline.reloadModels()).toBe(true);
    expect(await attack()).toBe(200);
    expect(await pipeline.reloadModels()).toBe(false);
    await removeExclusion(pipeline.store, saved.exclusion.id, 'cli');
    expect(await pipeline.reloadModels()).toBe(true);
    expect(await attack()).toBe(403);
  });

  it('needs the admin scope to change exclusions and read to list them', async () => {
    expect((await call('GET', '/api/v1/exclusions')).status).toBe(401);
    expect((await call('POST', '/api/v1/exclusions', readKey, fromFinding)).status).toBe(403);
    expect((await call('POST', '/api/v1/exclusions', labelKey, fromFinding)).status).toBe(403);
    expect((await call('DELETE', '/api/v1/exclusions/1', labelKey)).status).toBe(403);
  });

  it('refuses a bad exclusion naming the field, and the engine keeps running', async () => {
    const field = async (body: unknown) => {
      const r = await call('POST', '/api/v1/exclusions', admin, body);
      expect(r.status).toBe(400);
      expect(r.json().error.code).toBe('PAL_ERR_VALIDATION');
      return r.json().error.details.field as string;
    };
    // The engine's own checks: an empty pattern, an exclusion that matches nothing in particular.
    expect(await field({ rule: '', reason: 'r' })).toBe('rule');
    expect(await field({ reason: 'matches everything' })).toBe('body');
    // The API's bounds.
    expect(await field({ rule: 'sqli.union' })).toBe('reason');
    expect(await field({ rule: 'sqli.union', reason: 'r', priority: 1 })).toBe('priority');
    expect(await field({ method: 'GET /', reason: 'r' })).toBe('method');
    expect(await field({ path: `/${'a'.repeat(400)}`, reason: 'r' })).toBe('path');
    expect((await call('GET', '/api/v1/exclusions', readKey)).json().exclusions).toEqual([]);
    expect(await attack()).toBe(403);
  });
});
