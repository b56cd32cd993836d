import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ParsedLine } from '../types.js';
import { createSshdParser } from './sshd-parser.js';
import { MAX_SESSIONS, MAX_STEPS } from './sshd-session.js';

/** One connection: its lines, and for each line the records it yields (each matched as a subset). */
interface SessionCase {
  name: string;
  lines: string[];
  expect: Record<string, unknown>[][];
}

const cases = readFileSync(new URL('./testdata/sessions.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as SessionCase);

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function records(parser: ReturnType<typeof createSshdParser>, text: string, line: number): ParsedLine[] {
  return parser.push(text, line).map((r) => {
    if (!r.ok) throw new Error(r.reason);
    expect(r.line).toBe(line);
    return r.parsed;
  });
}

describe('sshd connections', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const parser = createSshdParser({ now: NOW, timeZone: 'UTC' });
    c.lines.forEach((text, i) => {
      const got = records(parser, text, i + 1);
      expect(got, `line ${i + 1}`).toHaveLength(c.expect[i]!.length);
      got.forEach((p, j) => expect(p, `line ${i + 1} record ${j + 1}`).toMatchObject(c.expect[i]![j]!));
    });
    expect(parser.end()).toEqual([]);
  });

  it('keeps connections of the same pid on different hosts apart', () => {
    const parser = createSshdParser({ now: NOW });
    records(parser, 'Nov 22 06:00:00 a sshd[5]: Connection from 203.0.113.1 port 1 on 192.0.2.2 port 22', 1);
    const b = records(
      parser,
      'Nov 22 06:00:01 b sshd[5]: Disconnecting: Too many authentication failures [preauth]',
      2,
    );
    expect(b).toMatchObject([{ type: 'other', outcome: 'failure' }]);
    expect(b[0]?.src_ip).toBeUndefined();
  });

  it('does not follow programs other than sshd', () => {
    const parser = createSshdParser({ now: NOW });
    records(
      parser,
      'Nov 22 06:00:00 h su[5]: pam_unix(su:auth): authentication failure; ruser=a rhost=  user=root',
      1,
    );
    const sudo = records(
      parser,
      'Nov 22 06:00:01 h sshd[5]: Disconnecting: Too many authentication failures',
      2,
    );
    expect(sudo).toMatchObject([{ type: 'other' }]);
  });

  it('counts the oldest held step as a failure beyond MAX_STEPS', () => {
    const parser = createSshdParser({ now: NOW });
    const pam = (user: string) =>
      `Nov 22 06:00:00 h sshd[9]: pam_unix(sshd:auth): authentication failure; tty=ssh ruser= rhost=203.0.113.9  user=${user}`;
    for (let i = 1; i <= MAX_STEPS; i++) expect(records(parser, pam('root'), i)).toHaveLength(1);
    const over = records(parser, pam('root'), MAX_STEPS + 1);
    expect(over).toMatchObject([
      { type: 'auth_failure', user: 'root', src_ip: '203.0.113.9' },
      { type: 'other' },
    ]);
  });

  it('forgets the least recently seen connection beyond MAX_SESSIONS', () => {
    const parser = createSshdParser({ now: NOW });
    const tooMany = (pid: number) =>
      `Nov 22 06:00:00 h sshd[${pid}]: Disconnecting: Too many authentication failures [preauth]`;
    for (let pid = 1; pid <= MAX_SESSIONS + 1; pid++) records(parser, tooMany(pid), pid);
    const closed = (pid: number) =>
      `Nov 22 06:00:01 h sshd[${pid}]: Connection closed by 203.0.113.1 [preauth]`;
    // pid 2 still settles its pending failure; pid 1 was forgotten: its close counts only itself.
    expect(records(parser, closed(2), 2)).toHaveLength(2);
    expect(records(parser, closed(1), 1)).toHaveLength(1);
  });

  it('settles each copy of a repeated message', () => {
    const parser = createSshdParser({ now: NOW });
    const pam =
      'Nov 22 06:00:00 h sshd[7]: message repeated 2 times: [ pam_unix(sshd:auth): authentication failure; tty=ssh ruser= rhost=203.0.113.7  user=root]';
    expect(records(parser, pam, 1)).toMatchObject([{ type: 'other' }, { type: 'other' }]);
    const closed = records(
      parser,
      'Nov 22 06:00:01 h sshd[7]: Connection closed by 203.0.113.7 [preauth]',
      2,
    );
    expect(closed.map((p) => p.type)).toEqual(['auth_failure', 'auth_failure', 'auth_failure']);
  });
});
