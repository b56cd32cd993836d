import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@palisade/engine';
import { insertEvents, setAnalystLabel } from './index.js';
import { iterateStoredRequests, parseRawRequest } from './stored-requests.js';
import { makeEvent } from './testdata/events.mjs';
import { STORE_ENGINES, tmpStore } from './testdata/tmp-store.mjs';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});
const ev = (i: number, over: Partial<SecurityEvent> = {}) => makeEvent(i, over) as SecurityEvent;

describe('parseRawRequest', () => {
  it('reads the request line, repeated headers and a binary body back', () => {
    const r = parseRawRequest(
      'POST /login?next=%2F HTTP/1.1\r\nHost: a.example\r\nCookie: a=1\r\ncookie: b=2\r\n\r\nuser=x&p=\u00ff',
    )!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/login?next=%2F');
    expect(r.headers).toEqual({ host: 'a.example', cookie: ['a=1', 'b=2'] });
    expect(Buffer.from(r.body as Uint8Array)).toEqual(Buffer.from('user=x&p=\u00ff', 'latin1'));
    expect(r.body_truncated).toBeUndefined();
  });

  it('marks a cut head or body as truncated and refuses what is not a request', () => {
    expect(parseRawRequest('GET / HTTP/1.1\r\nHost: a\r\n')!.body_truncated).toBe(true);
    expect(parseRawRequest('GET / HTTP/1.1\r\n\r\nabc', true)!.body_truncated).toBe(true);
    expect(parseRawRequest('203.0.113.9 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1')).toBeNull();
    expect(parseRawRequest('get / HTTP/1.1\r\n\r\n')).toBeNull();
    expect(parseRawRequest('')).toBeNull();
    expect(parseRawRequest('GET HTTP/1.1\r\n\r\n')).toBeNull();
    expect(parseRawRequest("GET /?id=1' or 1=1-- HTTP/1.1\r\n\r\n")!.url).toBe("/?id=1' or 1=1--");
  });
});

describe.each(STORE_ENGINES)('iterateStoredRequests (%s)', (engine) => {
  it('pages through http events oldest first, opening raw and rebuilding log events from columns', async () => {
    const { store, cleanup } = await tmpStore({ engine });
    cleanups.push(cleanup);
    const events = Array.from({ length: 1203 }, (_, i) => ev(i + 1));
    events.push(
      ev(5000, { id: 'from-log', raw: '203.0.113.9 - - "GET /x HTTP/1.1" 200 1', action: 'allow' }),
    );
    events.push(ev(5001, { id: 'auth-1', kind: 'auth', http: undefined, raw: undefined }));
    await insertEvents(store, events);
    const seen: string[] = [];
    for await (const r of iterateStoredRequests(store)) seen.push(r.id);
    expect(seen.length).toBe(1204);
    expect(seen[0]).toBe('evt-00000001');
    expect(new Set(seen).size).toBe(seen.length);
    const first = (await iterateStoredRequests(store, { limit: 1 }).next()).value!;
    expect(first.request.url).toBe("/search/1?q=1'+union+select+1--");
    expect(first).toMatchObject({ label: 'attack', label_source: 'detector', rebuilt: false });
    const allowed = [];
    for await (const r of iterateStoredRequests(store, { actions: ['allow'] })) allowed.push(r);
    expect(allowed.map((r) => [r.id, r.rebuilt, r.request.url])).toEqual([
      ['from-log', true, "/search/5000?q=1'+union+select+5000--"],
    ]);
  });

  it('filters by label source with analyst labels taking precedence, and by time', async () => {
    const { store, cleanup } = await tmpStore({ engine });
    cleanups.push(cleanup);
    await insertEvents(store, [ev(1), ev(2, { labels: undefined }), ev(3, { labels: undefined })]);
    await setAnalystLabel(store, 'evt-00000001', 'benign', 'test');
    await setAnalystLabel(store, 'evt-00000003', 'attack', 'test');
    const analyst = [];
    for await (const r of iterateStoredRequests(store, { labels: ['analyst'] }))
      analyst.push([r.id, r.label, r.label_source]);
    expect(analyst).toEqual([
      ['evt-00000001', 'benign', 'analyst'],
      ['evt-00000003', 'attack', 'analyst'],
    ]);
    const both = [];
    for await (const r of iterateStoredRequests(store, { labels: ['detector', 'analyst'] }))
      both.push([r.id, r.label, r.label_source]);
    expect(both[0]).toEqual(['evt-00000001', 'attack', 'detector']);
    const since = Date.parse(ev(2).ts);
    const late = [];
    for await (const r of iterateStoredRequests(store, { sinceMs: since, untilMs: since + 1000 }))
      late.push(r.id);
    expect(late).toEqual(['evt-00000002']);
  });
});
