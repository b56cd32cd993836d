/**
 * The built CLI as a user runs it: `palisade serve` starts on a fresh directory, takes events, stops
 * cleanly on SIGTERM with the events kept; `serve --demo` shows blocked attacks within seconds;
 * `serve --upstream` proxies in the same process;
 * `palisade proxy` records into the database; the store commands work on what serve wrote.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cli-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the CLI and resolves with the first stdout line matching `ready`. */
function start(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; out: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, PALISADE_PROXY_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) resolve({ child, match: m, out: () => out });
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before ready: ${out}\n${err}`)));
  });
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));

const event = (id: string) => ({
  id,
  ts: new Date().toISOString(),
  kind: 'auth',
  source: { name: 'sensor:cli-test', type: 'sensor' },
  client: { ip: '192.0.2.44' },
  user: 'alice',
  outcome: 'failure',
  action: 'log',
  score: 0,
  severity: 'info',
  findings: [],
});

describe('palisade serve (built CLI)', () => {
  it('starts on a fresh directory, acknowledges ingested events and keeps them across a SIGTERM restart', async () => {
    const { child, match } = await start(['serve', '--listen', '127.0.0.1:0'], /serving on (http:\/\/\S+)/);
    const api = match[1]!;
    const keyFile = join(dir, 'data', 'admin-api-key');
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    const key = readFileSync(keyFile, 'utf8').trim();
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const ingest = await fetch(`${api}/api/v1/ingest`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ events: [event('cli-1'), event('cli-2')] }),
    });
    expect(await ingest.json()).toEqual({ accepted: 2, rejected: [] });
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);

    const again = await start(['serve', '--listen', '127.0.0.1:0'], /serving on (http:\/\/\S+)/);
    const list = await fetch(`${again.match[1]}/api/v1/events?source=sensor:cli-test`, { headers: auth });
    const ids = ((await list.json()) as { events: { id: string }[] }).events.map((e) => e.id).sort();
    expect(ids).toEqual(['cli-1', 'cli-2']);
    expect(again.out()).not.toContain('first admin API key');

    // The store commands work on the same database while it is served.
    const backup = spawnSync(process.execPath, [CLI, 'backup', '--out', join(dir, 'b.sql')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(backup.status).toBe(0);
    expect(readFileSync(join(dir, 'b.sql'), 'utf8')).toContain("'cli-1'");
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe(0);
    const purge = spawnSync(process.execPath, [CLI, 'purge', '--days', '1', '--json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(purge.status).toBe(0);
    expect(JSON.parse(purge.stdout)).toMatchObject({ events: 0 });
  });

  it('--demo shows blocked attacks within seconds', async () => {
    const { child, match } = await start(
      ['serve', '--demo', '--listen', '127.0.0.1:0'],
      /serving on (http:\/\/\S+)/,
    );
    const key = readFileSync(join(dir, 'data', 'admin-api-key'), 'utf8').trim();
    let blocked: { client: { geo?: { country?: string } }; findings: unknown[]; message?: string }[] = [];
    for (let i = 0; i < 100 && blocked.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(`${match[1]}/api/v1/events?action=block&limit=10`, {
        headers: { authorization: `Bearer ${key}` },
      });
      blocked = ((await r.json()) as { events: typeof blocked }).events;
    }
    expect(blocked.length).toBeGreaterThanOrEqual(3);
    // Blocked by the engine (with its findings) or by a ban the active response placed.
    expect(blocked.every((e) => e.findings.length > 0 || e.message?.startsWith('banned: '))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('--upstream runs the proxy in the same process: what it blocks is in the API at once', async () => {
    const { child, match } = await start(
      ['serve', '--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:9'],
      /serving on (http:\/\/\S+)[\s\S]*proxy +(http:\/\/\S+) →/,
    );
    const key = readFileSync(join(dir, 'data', 'admin-api-key'), 'utf8').trim();
    const r = await fetch(`${match[2]}/?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(r.status).toBe(403);
    let events: { findings: { rule: string }[]; source: string }[] = [];
    for (let i = 0; i < 50 && events.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      const list = await fetch(`${match[1]}/api/v1/events?action=block`, {
        headers: { authorization: `Bearer ${key}` },
      });
      events = ((await list.json()) as { events: typeof events }).events;
    }
    expect(events).toHaveLength(1);
    expect(events[0]!.findings.some((f) => f.rule.startsWith('xss.'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('rejects a bad configuration with the key named and exit code 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve', '--listen', 'nowhere'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PALISADE_RETENTION_DAYS: 'forever' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/retention_days: .*PAL_ERR_CONFIG/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});

describe('palisade proxy (built CLI)', () => {
  it('needs an upstream, then records what it proxies into the database', async () => {
    const none = spawnSync(process.execPath, [CLI, 'proxy'], { cwd: dir, encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--upstream');
    const { child, match } = await start(
      ['proxy', '--upstream', 'http://127.0.0.1:9', '--listen', '127.0.0.1:0'],
      /listening on (http:\/\/\S+)/,
    );
    const r = await fetch(`${match[1]}/?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(r.status).toBe(403);
    const metrics = await (await fetch(`${match[1]}/_palisade/metrics`)).text();
    expect(metrics).toMatch(/^palisade_proxy_blocked_total\{reason="verdict"\} 1$/m);
    expect(metrics).toMatch(/^palisade_events_total\{action="block"\} 1$/m);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    const dump = spawnSync(process.execPath, [CLI, 'backup', '--out', join(dir, 'p.sql')], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(dump.status).toBe(0);
    expect(readFileSync(join(dir, 'p.sql'), 'utf8')).toMatch(/xss\./);
  });
});
