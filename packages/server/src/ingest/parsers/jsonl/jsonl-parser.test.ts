import { loadVectors } from '../test-vectors.js';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../types.js';
import { checkJsonShape } from './json-shape.js';
import { lookupJsonPath } from './json-path.js';
import { DEFAULT_JSONL_PATHS, MAX_JSON_KEYS, createJsonlParser } from './jsonl-parser.js';

interface Vector {
  name: string;
  line: string;
  tz?: string;
  expect?: Record<string, unknown>;
  reject?: string;
}

const vectors = loadVectors<Vector>(new URL('./testdata/vectors.jsonl', import.meta.url));

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const T = '2026-11-22T04:51:47.123Z';

describe('jsonl parser vectors', () => {
  it('has the hand-written vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(45);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const parser = createJsonlParser({ now: NOW, timeZone: v.tz ?? 'UTC' });
    const out = parser.push(v.line, 3);
    if (v.reject !== undefined) {
      expect(out).toEqual([{ ok: false, line: 3, reason: v.reject }]);
      return;
    }
    expect(out).toHaveLength(1);
    const r = out[0];
    expect(r?.ok).toBe(true);
    if (r?.ok) expect(r.parsed).toMatchObject(v.expect ?? {});
  });
});

describe('jsonl parser', () => {
  it('is named jsonl, skips blank lines and has nothing to flush', () => {
    const parser = createJsonlParser({ now: NOW });
    expect(parser.format).toBe('jsonl');
    expect(parser.push('', 1)).toEqual([]);
    expect(parser.push('   \r', 2)).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it('rejects a line longer than MAX_LINE_CHARS before parsing it', () => {
    const parser = createJsonlParser({ now: NOW });
    const line = `{"@timestamp":"${T}","m":"${'x'.repeat(MAX_LINE_CHARS)}"}`;
    expect(parser.push(line, 9)).toEqual([{ ok: false, line: 9, reason: 'line too long' }]);
  });

  it('keeps going after bad lines', () => {
    const parser = createJsonlParser({ now: NOW });
    expect(parser.push('{oops', 1)[0]?.ok).toBe(false);
    expect(parser.push(`{"@timestamp":"${T}"}`, 2)[0]?.ok).toBe(true);
  });

  it('reads fields from a custom mapping, which replaces the default paths of those fields', () => {
    const parser = createJsonlParser(
      { now: NOW },
      {
        mapping: {
          ts: 'meta.when',
          src_ip: 'peer.addr',
          user: 'who',
          'http.method': 'req.verb',
          'http.target': 'req.path',
          'event.category': 'cat',
          method: 'auth.via',
          terminal: 'tty',
        },
      },
    );
    const ok = parser.push(
      JSON.stringify({
        meta: { when: T },
        '@timestamp': '2000-01-01T00:00:00Z',
        peer: { addr: '192.0.2.5' },
        source: { ip: '192.0.2.99' },
        who: 'carol',
        cat: 'authentication',
        outcome: 'failure',
        auth: { via: 'password' },
        tty: 'ssh',
      }),
      1,
    )[0];
    expect(ok?.ok && ok.parsed).toMatchObject({
      ts: Date.parse(T),
      src_ip: '192.0.2.5',
      user: 'carol',
      kind: 'auth',
      type: 'auth_failure',
      method: 'password',
      terminal: 'ssh',
    });
    // The default paths of a mapped field are not tried, nor the nginx request line for http.
    const missing = parser.push(JSON.stringify({ '@timestamp': T, meta: {} }), 2)[0];
    expect(missing).toEqual({ ok: false, line: 2, reason: 'no timestamp' });
    const http = parser.push(JSON.stringify({ meta: { when: T }, request: 'GET / HTTP/1.1' }), 3)[0];
    expect(http?.ok && http.parsed.http).toBeUndefined();
    const mapped = parser.push(JSON.stringify({ meta: { when: T }, req: { verb: 'GET', path: '/x' } }), 4)[0];
    expect(mapped?.ok && mapped.parsed.http).toEqual({ method: 'GET', target: '/x' });
  });

  it('takes mapped kind and type only from their vocabularies', () => {
    const parser = createJsonlParser({ now: NOW }, { mapping: { kind: 'k', type: 't' } });
    const good = parser.push(JSON.stringify({ '@timestamp': T, k: 'honeypot', t: 'auth_failure' }), 1)[0];
    expect(good?.ok && [good.parsed.kind, good.parsed.type]).toEqual(['honeypot', 'auth_failure']);
    const bad = parser.push(JSON.stringify({ '@timestamp': T, k: 'weird', t: 'request' }), 2)[0];
    expect(bad?.ok && [bad.parsed.kind, bad.parsed.type]).toEqual(['system', 'other']);
  });

  it('refuses a bad mapping or an unknown zone when created', () => {
    const ctx = { now: NOW };
    expect(() => createJsonlParser(ctx, { mapping: { nope: 'x' } as never })).toThrow(RangeError);
    expect(() => createJsonlParser(ctx, { mapping: { user: '' } })).toThrow(RangeError);
    expect(() => createJsonlParser(ctx, { mapping: { user: 'a.b.c.d.e.f.g.h.i' } })).toThrow(RangeError);
    expect(() => createJsonlParser(ctx, { mapping: { user: 'x'.repeat(300) } })).toThrow(RangeError);
    expect(() => createJsonlParser({ now: NOW, timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });

  it('freezes the default paths and tries ECS names first', () => {
    expect(Object.isFrozen(DEFAULT_JSONL_PATHS)).toBe(true);
    expect(DEFAULT_JSONL_PATHS.ts[0]).toBe('@timestamp');
  });

  it('accepts exactly MAX_JSON_KEYS members', () => {
    const members = Array.from({ length: MAX_JSON_KEYS - 1 }, (_, i) => `"k${i}":1`);
    const line = `{"@timestamp":"${T}",${members.join(',')}}`;
    expect(createJsonlParser({ now: NOW }).push(line, 1)[0]?.ok).toBe(true);
  });
});

describe('lookupJsonPath', () => {
  it('reads nested, flat and mixed paths and prefers the whole key', () => {
    expect(lookupJsonPath({ a: { b: { c: 1 } } }, 'a.b.c')).toBe(1);
    expect(lookupJsonPath({ 'a.b.c': 2 }, 'a.b.c')).toBe(2);
    expect(lookupJsonPath({ 'a.b': { c: 3 } }, 'a.b.c')).toBe(3);
    expect(lookupJsonPath({ a: { 'b.c': 4 } }, 'a.b.c')).toBe(4);
    expect(lookupJsonPath({ 'a.b.c': 5, a: { b: { c: 6 } } }, 'a.b.c')).toBe(5);
    expect(lookupJsonPath({ a: { x: 1 }, 'a.b': { c: 7 } }, 'a.b.c')).toBe(7);
    expect(lookupJsonPath({ a: [{ b: 1 }] }, 'a.b')).toBeUndefined();
  });

  it('never reads inherited properties', () => {
    expect(lookupJsonPath({}, 'constructor')).toBeUndefined();
    expect(lookupJsonPath({ a: {} }, 'a.toString')).toBeUndefined();
    expect(
      lookupJsonPath(JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>, '__proto__.x'),
    ).toBe(1);
  });
});

describe('checkJsonShape', () => {
  it('ignores brackets and colons inside strings, escaped quotes included', () => {
    expect(checkJsonShape('{"a":"[[[[::\\"[[[["}', 2, 1)).toBeNull();
    expect(checkJsonShape('{"a":{"b":1}}', 1, 10)).toBe('JSON nested too deeply');
    expect(checkJsonShape('{"a":1,"b":2}', 5, 1)).toBe('too many JSON keys');
  });
});
