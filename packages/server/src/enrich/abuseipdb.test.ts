import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAbuseIpdb } from './abuseipdb.js';

const KEY = 'test-key-0123456789';

interface Stub {
  url: string;
  requests: Array<{ url: string; key: string | undefined; accept: string | undefined }>;
  close(): Promise<void>;
}

const stubs: Stub[] = [];
afterEach(async () => {
  for (const s of stubs.splice(0)) await s.close();
});

/** A local HTTP server standing in for the AbuseIPDB API. */
async function stub(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Stub> {
  const requests: Stub['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({
      url: req.url ?? '',
      key: req.headers['key'] as string | undefined,
      accept: req.headers['accept'],
    });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const s: Stub = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  stubs.push(s);
  return s;
}

const answer = (score: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ data: { ipAddress: 'x', abuseConfidenceScore: score, totalReports: 3 } }));
};

describe('AbuseIPDB client', () => {
  it('asks the API with the key header, then answers from the cache until the TTL passes', async () => {
    const api = await stub(answer(87));
    let now = 1_000_000;
    const c = createAbuseIpdb({ apiKey: KEY, baseUrl: api.url, cacheTtlMs: 60_000 }, () => now);
    expect(c.cached('198.51.100.7')).toBeUndefined();
    expect(await c.check('198.51.100.7')).toBe(87);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toEqual({
      url: '/api/v2/check?ipAddress=198.51.100.7&maxAgeInDays=90',
      key: KEY,
      accept: 'application/json',
    });
    expect(c.cached('198.51.100.7')).toBe(87);
    now += 60_001;
    expect(c.cached('198.51.100.7')).toBeUndefined();
    expect(c.stats()).toMatchObject({ requests: 1, cache_hits: 1 });
    expect(JSON.stringify(c.stats())).not.toContain(KEY);
  });

  it('makes one request for concurrent lookups of one ip', async () => {
    const api = await stub(answer(10));
    const c = createAbuseIpdb({ apiKey: KEY, baseUrl: api.url });
    const all = await Promise.all([c.check('2001:db8::1'), c.check('2001:db8::1'), c.check('2001:db8::1')]);
    expect(all).toEqual([10, 10, 10]);
    expect(api.requests).toHaveLength(1);
  });

  it('skips lookups over the rate limit and refills with time', async () => {
    const api = await stub(answer(0));
    let now = 0;
    const c = createAbuseIpdb({ apiKey: KEY, baseUrl: api.url, maxPerMinute: 2 }, () => now);
    expect(await c.check('192.0.2.1')).toBe(0);
    expect(await c.check('192.0.2.2')).toBe(0);
    expect(await c.check('192.0.2.3')).toBeUndefined();
    expect(c.stats().skipped.rate_limited).toBe(1);
    now += 30_000; // half a minute: one token back
    expect(await c.check('192.0.2.3')).toBe(0);
    expect(await c.check('192.0.2.4')).toBeUndefined();
    expect(c.stats().skipped.rate_limited).toBe(2);
    expect(api.requests).toHaveLength(3);
  });

  it('pauses after a 429 for Retry-After', async () => {
    const api = await stub((_req, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', '120');
      res.end('{}');
    });
    let now = 0;
    const c = createAbuseIpdb({ apiKey: KEY, baseUrl: api.url }, () => now);
    expect(await c.check('192.0.2.1')).toBeUndefined();
    expect(await c.check('192.0.2.2')).toBeUndefined();
    expect(api.requests).toHaveLength(1);
    now += 121_000;
    await c.check('192.0.2.3');
    expect(api.requests).toHaveLength(2);
    expect(c.stats().skipped.rate_limited).toBe(3);
  });

  it('skips on a timeout without waiting for the answer', async () => {
    const api = await stub(() => {
      // never answers
    });
    const c = createAbuseIpdb({ apiKey: KEY, baseUrl: api.url, timeoutMs: 100 });
    expect(await c.check('192.0.2.1')).toBeUndefined();
    expect(c.stats().skipped.timeout).toBe(1);
    expect(c.stats().last_error).toMatch(/100 ms/);
  });

  it('skips when the API is unreachable (connection refused)', async () => {
    const gone = await stub(answer(0));
    const url = gone.url;
    await gone.close();
    stubs.pop();
    const c = createAbuseIpdb({ apiKey: KEY, baseUrl: url });
    expect(await c.check('192.0.2.1')).toBeUndefined();
    expect(c.stats().skipped.offline).toBe(1);
    expect(c.stats().last_error).toBe('ECONNREFUSED');
  });

  it('skips on an HTTP error or a malformed body', async () => {
    let mode = 0;
    const api = await stub((_req, res) => {
      if (mode === 0) {
        res.statusCode = 401;
        res.end('{"errors":[{"detail":"Authentication failed"}]}');
      } else if (mode === 1) res.end('not json');
      else res.end('{"data":{"abuseConfidenceScore":"high"}}');
    });
    const c = createAbuseIpdb({ apiKey: KEY, baseUrl: api.url });
    expect(await c.check('192.0.2.1')).toBeUndefined();
    mode = 1;
    expect(await c.check('192.0.2.2')).toBeUndefined();
    mode = 2;
    expect(await c.check('192.0.2.3')).toBeUndefined();
    expect(c.stats().skipped.http_error).toBe(3);
    expect(JSON.stringify(c.stats())).not.toContain(KEY);
  });

  it('checks its options', () => {
    expect(() => createAbuseIpdb({ apiKey: '' })).toThrow(/api_key/);
    expect(() => createAbuseIpdb({ apiKey: KEY, threshold: 101 })).toThrow(/threshold/);
    expect(() => createAbuseIpdb({ apiKey: KEY, baseUrl: 'file:///etc/passwd' })).toThrow(/base_url/);
  });
});
