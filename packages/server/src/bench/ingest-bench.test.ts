import { describe, expect, it } from 'vitest';
import { createEngine } from '@palisade/engine';
import { LineConverter } from '../ingest/ingest.js';
import type { Format } from '../ingest/formats.js';
import { accessLogLines, authLogLines, benchIngest } from './ingest-bench.js';

/** Every generated line must stay readable by its parser, or the bench would measure rejections. */
function convert(format: Format, lines: string[]) {
  const conv = new LineConverter({
    format,
    parse: { now: Date.UTC(2026, 0, 5), year: 2026 },
    event: { source: { name: 'log:bench', type: 'log' }, engine: createEngine() },
  });
  conv.convert(lines, 1);
  conv.end();
  return conv.summary;
}

// Behaviour only: the generated logs parse and the section reports its keys; no timing asserts.
describe('ingest bench', () => {
  it('generates the same lines for the same seed', () => {
    expect(accessLogLines(200)).toEqual(accessLogLines(200));
    expect(authLogLines(200)).toEqual(authLogLines(200));
    expect(accessLogLines(200, 9)).not.toEqual(accessLogLines(200));
    expect(authLogLines(123)).toHaveLength(123);
  });

  it('access log: every line parses, a few percent are flagged, many clients', () => {
    const lines = accessLogLines(3000);
    const s = convert('access', lines);
    expect(s.rejected).toBe(0);
    expect(s.events).toBe(3000);
    expect(s.flagged).toBeGreaterThan(15);
    expect(s.flagged).toBeLessThan(300);
    expect(new Set(lines.map((l) => l.slice(0, l.indexOf(' ')))).size).toBeGreaterThan(500);
  });

  it('auth log: every line parses, with failures, invalid users and logins', () => {
    const s = convert('auth', authLogLines(3000));
    expect(s.rejected).toBe(0);
    expect(s.events).toBe(3000);
    expect(s.events_by_type).toEqual(
      expect.objectContaining({
        auth_failure: expect.any(Number) as number,
        invalid_user: expect.any(Number) as number,
        auth_success: expect.any(Number) as number,
      }),
    );
  });

  it('runs the section on small logs and writes every line', async () => {
    const r = await benchIngest(createEngine(), { lines: 400, runs: 1, fail2ban: false, realLogsDir: null });
    expect(r.logs.map((l) => [l.format, l.lines, l.rejected, l.full.events_written])).toEqual([
      ['access', 400, 0, 400],
      ['auth', 400, 0, 400],
    ]);
    expect(r.logs[0]!.inspect_lines_per_s).toEqual(expect.any(Number));
    expect(r.logs[1]!.inspect_lines_per_s).toBeNull();
    expect(r.logs[0]!.fail2ban).toEqual({ skipped: 'disabled' });
  }, 60_000);
});
