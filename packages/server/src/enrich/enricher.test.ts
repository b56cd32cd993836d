import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecurityEvent } from '@palisade/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEnricher, type Enricher } from './index.js';

function event(ip: string, ua = 'Mozilla/5.0'): SecurityEvent {
  return {
    id: 'e1',
    ts: '2026-01-01T00:00:00Z',
    kind: 'http',
    source: { name: 'test', type: 'sensor' },
    client: { ip },
    http: { method: 'GET', path: '/', user_agent: ua },
    action: 'allow',
    score: 0,
    severity: 'info',
    findings: [],
  } as unknown as SecurityEvent;
}

let root: string;
let api: Server;
let apiUrl: string;
const asked: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'palisade-enrich-'));
  mkdirSync(join(root, 'blocklists'));
  writeFileSync(join(root, 'blocklists', 'bad.txt'), '# test list\n198.51.100.0/24\n8.8.4.4\nnope\n');
  api = createServer((req, res) => {
    const ip = new URL(req.url ?? '/', 'http://x').searchParams.get('ipAddress') ?? '';
    asked.push(ip);
    res.end(JSON.stringify({ data: { abuseConfidenceScore: ip === '1.1.1.1' ? 0 : 95 } }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  api.closeAllConnections();
  await new Promise<void>((r) => api.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

describe('createEnricher', () => {
  let e: Enricher;
  beforeAll(async () => {
    e = createEnricher({
      dataDir: join(root, 'data'),
      env: {},
      blocklistDir: join(root, 'blocklists'),
      blocklist: { debounceMs: 20, pollMs: 100 },
      abuseipdb: { apiKey: 'k'.repeat(20), baseUrl: apiUrl },
    });
    await e.ready();
  });
  afterAll(() => e.close());

  it('creates the install secret and fills the client in place', async () => {
    expect(statSync(join(root, 'data', 'install-secret')).mode & 0o777).toBe(0o600);
    const ev = event('8.8.8.8');
    await e.enrich(ev);
    expect(ev.client.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(ev.client.geo).toMatchObject({ country: 'US', country_name: 'United States' });
    expect(ev.client.asn).toEqual({ number: 15169, org: 'Google LLC' });
    expect(ev.client.reputation).toEqual({ lists: ['abuseipdb'], score: 95 });
    const again = event('8.8.8.8', 'other agent');
    await e.enrich(again);
    expect(again.client.fingerprint).not.toBe(ev.client.fingerprint);
    expect(asked.filter((ip) => ip === '8.8.8.8')).toHaveLength(1); // second answer came from the cache
  });

  it('merges local lists with AbuseIPDB, and reports only matches', async () => {
    const listed = event('8.8.4.4');
    await e.enrich(listed);
    expect(listed.client.reputation).toEqual({ lists: ['bad.txt', 'abuseipdb'], score: 100 });
    const clean = event('1.1.1.1');
    await e.enrich(clean);
    expect(clean.client.reputation).toBeUndefined();
  });

  it('labels special ranges and never sends them to AbuseIPDB', async () => {
    const ev = event('192.168.1.20');
    await e.enrich(ev);
    expect(ev.client.geo).toEqual({ range: 'private' });
    expect(ev.client.asn).toBeUndefined();
    expect(asked).not.toContain('192.168.1.20');
    const doc = event('198.51.100.3'); // documentation range, but on the local list
    await e.enrich(doc);
    expect(doc.client.geo).toEqual({ range: 'documentation' });
    expect(doc.client.reputation).toEqual({ lists: ['bad.txt'], score: 100 });
  });

  it('counts an unparsable ip and still fingerprints the event', async () => {
    const ev = event('unknown');
    await e.enrich(ev);
    expect(ev.client.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(ev.client.geo).toBeUndefined();
    expect(e.stats().skipped.invalid_ip).toBe(1);
  });

  it('sees blocklist changes at once (cached answers are invalidated)', async () => {
    const before = event('203.0.113.50');
    await e.enrich(before);
    expect(before.client.reputation).toBeUndefined();
    writeFileSync(join(root, 'blocklists', 'more.list'), '203.0.113.50\n');
    await vi.waitFor(
      async () => {
        const ev = event('203.0.113.50');
        await e.enrich(ev);
        expect(ev.client.reputation).toEqual({ lists: ['more.list'], score: 100 });
      },
      { timeout: 10_000 },
    );
  });

  it('reports its counts', () => {
    const s = e.stats();
    expect(s.enriched).toBeGreaterThanOrEqual(8);
    expect(s.geo_hits).toBeGreaterThanOrEqual(3); // 1.1.1.1 has no location in the data
    expect(s.asn_hits).toBeGreaterThanOrEqual(4);
    expect(s.reputation_hits).toBeGreaterThanOrEqual(4);
    expect(s.blocklist).toMatchObject({ files: 2, entries: 3, rejected_lines: 1 });
    expect(s.blocklist.rejected[0]).toMatchObject({ file: 'bad.txt', line: 4 });
    expect(s.cache.hits).toBeGreaterThan(0);
    expect(s.state).toEqual({ geo: 'ready', asn: 'ready' });
    expect(JSON.stringify(s)).not.toContain('k'.repeat(20));
  });
});

describe('createEnricher while loading and when parts are off', () => {
  it('skips geo and asn until loaded, then fills them for the same ip', async () => {
    const e = createEnricher({ dataDir: root, installSecret: 's'.repeat(32) });
    try {
      const early = event('8.8.8.8');
      await e.enrich(early);
      expect(early.client.asn).toBeUndefined();
      expect(e.stats().skipped).toMatchObject({ geo_loading: 1, asn_loading: 1 });
      await e.ready();
      const late = event('8.8.8.8');
      await e.enrich(late);
      expect(late.client.asn?.number).toBe(15169);
      expect(late.client.geo?.country).toBe('US');
    } finally {
      e.close();
    }
  });

  it('does only the fingerprint when geo, asn and lists are off', async () => {
    const e = createEnricher({ dataDir: root, installSecret: 's'.repeat(32), geo: false, asn: false });
    await e.ready();
    const ev = event('8.8.8.8');
    await e.enrich(ev);
    expect(Object.keys(ev.client).sort()).toEqual(['fingerprint', 'ip']);
    expect(e.stats().skipped).toEqual({});
    expect(e.stats().state).toEqual({ geo: 'off', asn: 'off' });
    e.close();
  });

  it('records a data load failure without failing enrichment', async () => {
    const logs: string[] = [];
    const e = createEnricher({
      dataDir: root,
      installSecret: 's'.repeat(32),
      geo: { path: join(root, 'missing.mmdb') },
      asn: false,
      log: (l) => logs.push(l),
    });
    await expect(e.ready()).rejects.toMatchObject({ code: 'PAL_ERR_ENRICH_DATA' });
    const ev = event('8.8.8.8');
    await e.enrich(ev);
    expect(ev.client.geo).toBeUndefined();
    expect(e.stats().skipped.geo_failed).toBe(1);
    expect(logs[0]).toMatch(/geo enrichment off/);
    e.close();
  });

  it('bounds the wait on an unreachable AbuseIPDB and counts the skip', async () => {
    const e = createEnricher({
      dataDir: root,
      installSecret: 's'.repeat(32),
      geo: false,
      asn: false,
      abuseipdb: { apiKey: 'x'.repeat(20), baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 },
    });
    const ev = event('8.8.8.8');
    await e.enrich(ev);
    expect(ev.client.reputation).toBeUndefined();
    const s = e.stats().skipped;
    expect((s.offline ?? 0) + (s.timeout ?? 0)).toBe(1);
    e.close();
  });
});
