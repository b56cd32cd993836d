import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../types.js';
import { MAX_REPEAT, createSshdParser } from './sshd-parser.js';

interface Vector {
  line: string;
  expect?: Record<string, unknown>;
  count?: number;
  reject?: string;
}

const vectors = readFileSync(new URL('./testdata/vectors.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Vector);

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('sshd parser vectors', () => {
  it('has the hand-written vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(40);
  });

  it.each(vectors.map((v, i) => [i + 1, v.line.slice(0, 70), v] as const))('#%i %s', (_i, _l, v) => {
    const parser = createSshdParser({ now: NOW, timeZone: 'UTC' });
    const out = parser.push(v.line, 7);
    if (v.reject !== undefined) {
      expect(out).toEqual([{ ok: false, line: 7, reason: v.reject }]);
      return;
    }
    expect(out).toHaveLength(v.count ?? 1);
    for (const r of out) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.parsed).toMatchObject({ kind: 'auth', ...v.expect });
    }
  });
});

describe('sshd parser', () => {
  it('dates year-less lines in the configured zone and moves to the next year after December', () => {
    const parser = createSshdParser({ now: Date.UTC(2027, 0, 2), timeZone: 'Europe/Berlin' });
    const a = parser.push('Dec 31 23:59:59 h sshd[1]: Server listening on :: port 22.', 1)[0];
    const b = parser.push('Jan  1 00:00:01 h sshd[1]: Server listening on :: port 22.', 2)[0];
    expect(a?.ok && a.parsed.ts).toBe(Date.UTC(2026, 11, 31, 22, 59, 59));
    expect(b?.ok && b.parsed.ts).toBe(Date.UTC(2026, 11, 31, 23, 0, 1));
  });

  it('strips a trailing carriage return and bounds the repeat count and the message', () => {
    const parser = createSshdParser({ now: NOW });
    const crlf = parser.push(
      'Nov 22 01:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\r',
      1,
    );
    expect(crlf[0]?.ok && crlf[0].parsed.src_port).toBe(2);
    const many = parser.push(
      'Nov 22 01:00:00 h sshd[1]: message repeated 999999 times: [ Failed password for root from 192.0.2.1 port 2 ssh2]',
      2,
    );
    expect(many).toHaveLength(MAX_REPEAT);
    const long = parser.push(`Nov 22 01:00:00 h sshd[1]: ${'x'.repeat(5000)}`, 3)[0];
    expect(long?.ok && long.parsed.message.length).toBe(2048);
    expect(parser.push('x'.repeat(MAX_LINE_CHARS + 1), 4)).toEqual([
      { ok: false, line: 4, reason: 'line too long' },
    ]);
    expect(parser.end()).toEqual([]);
  });

  it('rejects an unknown time zone when created', () => {
    expect(() => createSshdParser({ now: NOW, timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});
