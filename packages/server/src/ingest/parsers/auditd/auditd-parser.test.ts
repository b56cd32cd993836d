import { loadVectors } from '../test-vectors.js';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../types.js';
import type { ParseResult } from '../types.js';
import { benchAuditdParser } from './auditd-bench.js';
import { createAuditdParser } from './auditd-parser.js';
import type { AuditdParser } from './auditd-parser.js';

interface Vector {
  name: string;
  lines: string[];
  expect: Record<string, unknown>[];
  reject?: { line: number; reason: string }[];
}

const vectors = loadVectors<Vector>(new URL('./testdata/vectors.jsonl', import.meta.url));

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function runAll(parser: AuditdParser, lines: string[]): ParseResult[] {
  const out: ParseResult[] = [];
  lines.forEach((l, i) => out.push(...parser.push(l, i + 1)));
  out.push(...parser.end());
  return out;
}

describe('auditd parser vectors', () => {
  it('has the hand-written vectors', () => {
    expect(vectors.reduce((n, v) => n + v.lines.length, 0)).toBeGreaterThanOrEqual(30);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const out = runAll(createAuditdParser({ now: NOW }), v.lines);
    const ok = out.flatMap((r) => (r.ok ? [r.parsed] : []));
    const rejected = out.filter((r) => !r.ok);
    expect(rejected).toEqual((v.reject ?? []).map((r) => ({ ok: false, ...r })));
    expect(ok).toHaveLength(v.expect.length);
    v.expect.forEach((e, i) => expect(ok[i]).toMatchObject(e));
  });
});

describe('auditd parser', () => {
  const sys = (serial: number, sec: number): string =>
    `type=SYSCALL msg=audit(${sec}.000:${serial}): syscall=59 success=yes pid=${serial} uid=0 exe="/bin/true"`;

  it('emits a kernel event at its EOE and numbers it by its first record', () => {
    const p = createAuditdParser({ now: NOW });
    expect(p.push(sys(1, 100), 1)).toEqual([]);
    expect(p.push('type=EXECVE msg=audit(100.000:1): argc=1 a0="true"', 2)).toEqual([]);
    const out = p.push('type=EOE msg=audit(100.000:1): ', 3);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ ok: true, line: 1, parsed: { type: 'exec', audit: { command: 'true' } } });
    expect(p.end()).toEqual([]);
    expect(p.stats()).toEqual({
      records: 3,
      events: 1,
      blank: 0,
      rejected: {},
      flushed: { eoe: 1, window: 0, overflow: 0, end: 0 },
    });
  });

  it('keeps at most maxOpenEvents open and flushes the oldest, counted', () => {
    const p = createAuditdParser({ now: NOW }, { maxOpenEvents: 3 });
    const out = [1, 2, 3, 4, 5].flatMap((s) => p.push(sys(s, 100), s));
    expect(out.map((r) => r.ok && r.parsed.audit?.serial)).toEqual([1, 2]);
    expect(p.end().map((r) => r.ok && r.parsed.audit?.serial)).toEqual([3, 4, 5]);
    expect(p.stats().flushed).toEqual({ eoe: 0, window: 0, overflow: 2, end: 3 });
  });

  it('flushes the oldest open events when their text exceeds maxOpenChars; skips blank lines', () => {
    const p = createAuditdParser({ now: NOW }, { maxOpenChars: 2 * sys(1, 100).length });
    expect(p.push(sys(1, 100), 1)).toEqual([]);
    expect(p.push(sys(2, 100), 2)).toEqual([]);
    expect(p.push('', 3)).toEqual([]);
    expect(p.push(sys(3, 100), 4).map((r) => r.ok && r.parsed.audit?.serial)).toEqual([1]);
    expect(p.stats()).toMatchObject({ blank: 1, flushed: { overflow: 1 } });
    expect(p.end()).toHaveLength(2);
  });

  it('completes an event without EOE once a later record is past the reorder window', () => {
    const p = createAuditdParser({ now: NOW }, { reorderWindowMs: 0 });
    expect(p.push(sys(1, 100), 1)).toEqual([]);
    expect(p.push(sys(2, 100), 2)).toEqual([]);
    const out = p.push(sys(3, 101), 3);
    expect(out.map((r) => r.ok && r.parsed.audit?.serial)).toEqual([1, 2]);
    expect(p.stats().flushed.window).toBe(2);
  });

  it('bounds records per event and line length, with reasons', () => {
    const p = createAuditdParser({ now: NOW }, { maxRecordsPerEvent: 2 });
    p.push(sys(1, 100), 1);
    p.push('type=PATH msg=audit(100.000:1): item=0 name="/a"', 2);
    expect(p.push('type=PATH msg=audit(100.000:1): item=1 name="/b"', 3)).toEqual([
      { ok: false, line: 3, reason: 'too many records in one event' },
    ]);
    expect(p.push(`type=X msg=audit(1.0:1): ${'x'.repeat(MAX_LINE_CHARS)}`, 4)).toEqual([
      { ok: false, line: 4, reason: 'line too long' },
    ]);
    const [ev] = p.end();
    expect(ev?.ok && ev.parsed.audit?.paths).toEqual(['/a']);
    expect(p.stats().rejected).toEqual({ 'too many records in one event': 1, 'line too long': 1 });
  });

  it('bounds the message and strips a trailing carriage return', () => {
    const p = createAuditdParser({ now: NOW });
    const [r] = p.push(
      `type=USER_ACCT msg=audit(5.5:9): pid=1 msg='op=x data=${'y'.repeat(5000)} res=success'\r`,
      1,
    );
    expect(r?.ok && r.parsed.message.length).toBe(2048);
    expect(r?.ok && r.parsed.outcome).toBe('success');
  });

  it('reads a nested msg whose values hold single quotes', () => {
    const [r] = createAuditdParser({ now: NOW }).push(
      `type=USYS_CONFIG msg=audit(8.000:4): pid=1 uid=0 msg='table="t" action="insert" value="'a','b'" terminal=x res=failed'`,
      1,
    );
    expect(r).toMatchObject({
      ok: true,
      parsed: { outcome: 'failure', terminal: 'x', audit: { op: 'insert' } },
    });
  });

  it('decodes split EXECVE arguments and several hex-encoded keys', () => {
    const key = Buffer.from('k1\u0001k2').toString('hex');
    const out = runAll(createAuditdParser({ now: NOW }), [
      `type=SYSCALL msg=audit(7.000:3): syscall=59 success=yes pid=4 uid=0 exe="/bin/echo" key=${key}`,
      'type=EXECVE msg=audit(7.000:3): argc=2 a0="echo" a1_len=6 a1[0]=616263 a1[1]=646566',
    ]);
    expect(out[0]).toMatchObject({ ok: true, parsed: { audit: { key: 'k1,k2', command: 'echo abcdef' } } });
  });

  it('benchmarks a pass over lines (counts only; timings are not asserted)', () => {
    const r = benchAuditdParser(
      vectors.flatMap((v) => v.lines),
      2,
    );
    expect(r.records).toBe(vectors.reduce((n, v) => n + v.lines.length, 0) - 4); // 3 rejected, 1 blank
    expect(r.events).toBeGreaterThan(20);
    expect(() => benchAuditdParser([], 0)).toThrow(RangeError);
  });

  it('rejects bad options when created', () => {
    expect(() => createAuditdParser({ now: NOW }, { maxOpenEvents: -1 })).toThrow(RangeError);
    expect(() => createAuditdParser({ now: NOW }, { reorderWindowMs: 1.5 })).toThrow(RangeError);
  });
});
