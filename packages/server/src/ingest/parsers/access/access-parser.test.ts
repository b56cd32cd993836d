import fc from 'fast-check';
import { loadVectors } from '../test-vectors.js';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, MAX_MESSAGE_CHARS } from '../types.js';
import type { ParsedLine } from '../types.js';
import { benchAccessParser } from './access-bench.js';
import { createAccessParser } from './access-parser.js';
import type { AccessLogFormat } from './access-parser.js';

interface Vector {
  name: string;
  line: string;
  format?: AccessLogFormat;
  expect?: Record<string, unknown>;
  reject?: string;
}

const vectors = loadVectors<Vector>(new URL('./testdata/vectors.jsonl', import.meta.url));

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const LINE = '203.0.113.7 - - [22/Nov/2026:04:51:47 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8"';

function parseOne(text: string, format?: AccessLogFormat): ParsedLine {
  const r = createAccessParser({ now: NOW }, { format }).push(text, 1);
  expect(r).toHaveLength(1);
  if (!r[0]?.ok) throw new Error(`rejected: ${JSON.stringify(r[0])}`);
  return r[0].parsed;
}

describe('access parser vectors', () => {
  it('has the hand-written vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(50);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const parser = createAccessParser({ now: NOW, timeZone: 'UTC' }, { format: v.format ?? 'auto' });
    const out = parser.push(v.line, 7);
    if (v.reject !== undefined) {
      expect(out).toEqual([{ ok: false, line: 7, reason: v.reject }]);
      return;
    }
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      ok: true,
      line: 7,
      parsed: { kind: 'http', type: 'http_request', ...v.expect },
    });
  });
});

describe('access parser', () => {
  it('fills exactly the fields the line has', () => {
    expect(parseOne(LINE)).toEqual({
      ts: Date.UTC(2026, 10, 22, 4, 51, 47),
      kind: 'http',
      type: 'http_request',
      outcome: 'success',
      src_ip: '203.0.113.7',
      message: 'GET /a HTTP/1.1',
      http: {
        method: 'GET',
        target: '/a',
        protocol: 'HTTP/1.1',
        status: 200,
        bytes: 5,
        user_agent: 'curl/8',
      },
    });
    const host = parseOne('crawler.example.net - - [22/Nov/2026:04:51:47 +0000] "-" 408 - "-" "-"');
    expect(host).toEqual({
      ts: Date.UTC(2026, 10, 22, 4, 51, 47),
      kind: 'http',
      type: 'http_request',
      outcome: 'failure',
      message: 'crawler.example.net -',
      http: { method: '', target: '', status: 408, bytes: 0 },
    });
  });

  it('reads a stamp without an offset in the configured zone', () => {
    const p = createAccessParser({ now: NOW, timeZone: 'Europe/Berlin' });
    const r = p.push('203.0.113.7 - - [22/Jul/2026:12:00:00] "GET / HTTP/1.1" 200 1', 1)[0];
    expect(r?.ok && r.parsed.ts).toBe(Date.UTC(2026, 6, 22, 10, 0, 0));
    const withOffset = p.push('203.0.113.7 - - [22/Jul/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 1', 2)[0];
    expect(withOffset?.ok && withOffset.parsed.ts).toBe(Date.UTC(2026, 6, 22, 12, 0, 0));
  });

  it('does not carry a cached date over to another day or another spelling of it', () => {
    const p = createAccessParser({ now: NOW });
    const stamps = ['22/Nov/2026:23:59:59 +0000', '23/Nov/2026:00:00:00 +0000', '3/Dec/2026:00:00:00 +0000'];
    const days = stamps.map((s, i) => {
      const r = p.push(`203.0.113.7 - - [${s}] "GET / HTTP/1.1" 200 1`, i + 1)[0];
      return r?.ok ? r.parsed.ts : NaN;
    });
    expect(days).toEqual([Date.UTC(2026, 10, 22, 23, 59, 59), Date.UTC(2026, 10, 23), Date.UTC(2026, 11, 3)]);
    expect(p.push('203.0.113.7 - - [23/Nov/2026:0x:00:00 +0000] "GET / HTTP/1.1" 200 1', 4)).toEqual([
      { ok: false, line: 4, reason: 'bad timestamp' },
    ]);
  });

  it('bounds the message and rejects over-long lines; skips blank lines', () => {
    const long = parseOne(LINE.replace('/a', `/${'a'.repeat(5000)}`));
    expect(long.message).toHaveLength(MAX_MESSAGE_CHARS);
    expect(long.http?.target).toHaveLength(5001);
    const p = createAccessParser({ now: NOW });
    expect(p.push('x'.repeat(MAX_LINE_CHARS + 1), 3)).toEqual([
      { ok: false, line: 3, reason: 'line too long' },
    ]);
    expect(p.push('', 4)).toEqual([]);
    expect(p.push('  \r', 5)).toEqual([]);
    expect(p.end()).toEqual([]);
    expect(p.format).toBe('access');
  });

  it('rejects an unknown format or time zone when created', () => {
    expect(() => createAccessParser({ now: NOW }, { format: 'json' as AccessLogFormat })).toThrow(RangeError);
    expect(() => createAccessParser({ now: NOW, timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });

  it('never throws and returns at most one result, whatever the line (property)', () => {
    const p = createAccessParser({ now: NOW });
    const piece = fc.constantFrom(
      ' ',
      '"',
      '\\',
      '[',
      ']',
      '-',
      '/',
      ':',
      '\\x',
      '22/Nov/2026:04:51:47',
      ' +0000',
      '200',
    );
    const junk = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(piece, { maxLength: 40 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(junk, fc.nat(LINE.length), (tail, cut) => {
        for (const text of [tail, LINE.slice(0, cut) + tail, tail + LINE]) {
          const out = p.push(text, 1);
          expect(out.length).toBeLessThanOrEqual(1);
          if (out[0] && !out[0].ok) expect(out[0].reason).toMatch(/^[a-z ]+$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('benchmarks a pass over given lines', () => {
    const r = benchAccessParser([LINE, 'junk', LINE], 3);
    expect(r).toMatchObject({ records: 3, events: 2 });
    expect(r.median_ms).toBeGreaterThanOrEqual(0);
    expect(() => benchAccessParser([LINE], 0)).toThrow(RangeError);
  });
});
