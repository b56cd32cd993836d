import { mkdirSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CidrSet, parseIp } from '@palisade/engine';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBlocklists, parseBlocklist, type Blocklists } from './blocklists.js';

const ip = (s: string) => parseIp(s)!;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function setup(opts: { pollMs?: number; maxEntries?: number } = {}): { dir: string; lists: Blocklists } {
  const root = mkdtempSync(join(tmpdir(), 'palisade-bl-'));
  const dir = join(root, 'blocklists');
  mkdirSync(dir);
  const lists = createBlocklists({ dir, debounceMs: 20, pollMs: opts.pollMs ?? 100, ...opts });
  cleanups.push(() => {
    lists.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { dir, lists };
}

describe('parseBlocklist', () => {
  it('reads ips and CIDRs, skips comments and blank lines, and reports bad lines by number', () => {
    const set = new CidrSet();
    const bad: Array<[number, string]> = [];
    parseBlocklist(
      '# header\n\n198.51.100.7\n10.0.0.0/8 # inline\n1.10.16.0/20 ; SBL256894\r\n2001:db8::/32\nnot-an-ip\n1.2.3.4/33\n' +
        'x'.repeat(600),
      set,
      (line, reason) => bad.push([line, reason]),
    );
    expect(set.size).toBe(4);
    expect(set.has('1.10.20.1')).toBe(true);
    expect(bad.map(([l]) => l)).toEqual([7, 8, 9]);
    expect(bad[0]![1]).toMatch(/not an IP or CIDR: "not-an-ip"/);
    expect(bad[2]![1]).toMatch(/longer than/);
  });
});

describe('blocklists folder', () => {
  it('loads *.txt and *.list files, ignores others, and names the matching files', async () => {
    const { dir, lists } = setup();
    writeFileSync(join(dir, 'tor.txt'), '203.0.113.0/24\n198.51.100.1\n');
    writeFileSync(join(dir, 'scanners.list'), '203.0.113.9\n2001:db8::/48\n');
    writeFileSync(join(dir, 'notes.md'), '8.8.8.8\n');
    await lists.reload();
    expect(lists.match(ip('203.0.113.9'))).toEqual(['scanners.list', 'tor.txt']);
    expect(lists.match(ip('203.0.113.10'))).toEqual(['tor.txt']);
    expect(lists.match(ip('::ffff:198.51.100.1'))).toEqual(['tor.txt']);
    expect(lists.match(ip('2001:db8::5'))).toEqual(['scanners.list']);
    expect(lists.match(ip('8.8.8.8'))).toBeUndefined();
    expect(lists.stats()).toMatchObject({ entries: 4, files: 2, rejected_lines: 0 });
  });

  it('counts bad lines with file and line number and keeps the good ones', async () => {
    const { dir, lists } = setup();
    writeFileSync(join(dir, 'a.txt'), '1.2.3.4\nbogus\n# fine\n5.6.7.8/40\n9.9.9.9\n');
    await lists.reload();
    const s = lists.stats();
    expect(s.entries).toBe(2);
    expect(s.rejected_lines).toBe(2);
    expect(s.rejected).toEqual([
      { file: 'a.txt', line: 2, reason: expect.stringMatching(/bogus/) },
      { file: 'a.txt', line: 4, reason: expect.stringMatching(/5\.6\.7\.8\/40/) },
    ]);
  });

  it('refuses lines past the entry limit, counted', async () => {
    const { dir, lists } = setup({ maxEntries: 2 });
    writeFileSync(join(dir, 'a.txt'), '1.1.1.1\n2.2.2.2\n3.3.3.3\n');
    await lists.reload();
    expect(lists.stats()).toMatchObject({ entries: 2, rejected_lines: 1 });
    expect(lists.stats().rejected[0]?.reason).toBe('entry limit reached');
  });

  it('reloads when a file changes, appears or goes away', async () => {
    const { dir, lists } = setup();
    writeFileSync(join(dir, 'a.txt'), '192.0.2.1\n');
    await lists.ready;
    await vi.waitFor(() => expect(lists.match(ip('192.0.2.1'))).toEqual(['a.txt']), { timeout: 10_000 });
    writeFileSync(join(dir, 'a.txt'), '192.0.2.1\n192.0.2.2\n');
    await vi.waitFor(() => expect(lists.match(ip('192.0.2.2'))).toEqual(['a.txt']), { timeout: 10_000 });
    writeFileSync(join(dir, 'b.list'), '192.0.2.2\n');
    await vi.waitFor(() => expect(lists.match(ip('192.0.2.2'))).toEqual(['a.txt', 'b.list']), {
      timeout: 10_000,
    });
    unlinkSync(join(dir, 'a.txt'));
    await vi.waitFor(() => expect(lists.match(ip('192.0.2.1'))).toBeUndefined(), { timeout: 10_000 });
    expect(lists.stats().reloads).toBeGreaterThanOrEqual(3);
  });

  it('works without the folder and picks it up once created', async () => {
    const root = mkdtempSync(join(tmpdir(), 'palisade-bl-'));
    const dir = join(root, 'later');
    const lists = createBlocklists({ dir, debounceMs: 20, pollMs: 50 });
    cleanups.push(() => {
      lists.close();
      rmSync(root, { recursive: true, force: true });
    });
    await lists.ready;
    expect(lists.stats()).toMatchObject({ entries: 0, files: 0 });
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.txt'), '198.18.0.0/15\n');
    await vi.waitFor(() => expect(lists.match(ip('198.19.1.1'))).toEqual(['x.txt']), { timeout: 10_000 });
  });
});
