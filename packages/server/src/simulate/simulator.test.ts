import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../errors.js';
import { createSimulator, type SimulationSummary } from './simulator.js';
import { createTrafficSource, parseMix } from './traffic-source.js';
import { isLoopbackHost, resolveSimulatorOptions } from './options.js';
import { runSimulate } from './simulate-command.js';
import type { SCENARIOS } from './sim-request.js';
import { type SimRequest } from './sim-request.js';
import { OBFUSCATION_FAMILIES } from './attack-traffic.js';

// ---- a real recording HTTP server -----------------------------------------------------------------

interface Seen {
  method: string;
  url: string;
  xff: string;
  body: string;
}

/** `<script>` in the URL once decoded (malformed escapes, which obfuscated attacks send, stay as they are). */
function hasScript(url: string): boolean {
  try {
    return decodeURIComponent(url).includes('<script>');
  } catch {
    return false;
  }
}

let server: http.Server;
let target: string;
let seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        xff: String(req.headers['x-forwarded-for']),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      // Answers like a WAF would: 403 for anything naming <script>, else 200.
      const status = hasScript(req.url!) ? 403 : 200;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  seen = [];
});

const fast = { ratePerSec: 5000, durationSecs: 60 } as const;

function usageError(f: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PalisadeError);
  expect((err as PalisadeError).code).toBe('PAL_ERR_CLI_USAGE');
  expect((err as Error).message).toMatch(pattern);
}

function take(n: number, opts: Parameters<typeof createTrafficSource>[0]): SimRequest[] {
  const src = createTrafficSource(opts);
  return Array.from({ length: n }, () => src.next());
}

const wire = (r: SimRequest): Seen => ({
  method: r.method,
  url: r.path,
  xff: r.source,
  body: r.body ?? '',
});

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += c.toString();
    cb();
  }
}

// ---- reproducibility ------------------------------------------------------------------------------

describe('the seeded sequence', () => {
  it('is the same for the same seed and differs for another seed', () => {
    const mix = parseMix('normal:2,signature:1,obfuscated:1,scenario:1');
    const a = take(600, { seed: 42, mix, scenario: 'stuffing' });
    const b = take(600, { seed: 42, mix, scenario: 'stuffing' });
    const c = take(600, { seed: 43, mix, scenario: 'stuffing' });
    expect(b).toEqual(a);
    expect(c.map(wire)).not.toEqual(a.map(wire));
    expect(a.map((r) => r.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('reaches the server as generated, identically on two runs with the same seed', async () => {
    const run = async () => {
      seen = [];
      const s = await createSimulator({ target, ...fast, concurrency: 1, maxRequests: 80, seed: 9 }).start();
      expect(s.sent).toBe(80);
      return seen;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(first).toEqual(take(80, { seed: 9 }).map(wire));
  });

  it('each kind keeps its own stream: adding a kind to the mix does not change what another sends', () => {
    const only = take(200, { seed: 5, mix: { normal: 1 } });
    const mixed = take(400, { seed: 5, mix: { normal: 1, signature: 1 } }).filter((r) => r.kind === 'normal');
    expect(mixed.slice(0, 100).map(wire)).toEqual(only.slice(0, 100).map(wire));
  });
});

// ---- mix --------------------------------------------------------------------------------------------

describe('the mix', () => {
  it('has exact proportions over whole bags, and the kinds are interleaved', () => {
    const reqs = take(1000, { seed: 1, mix: parseMix('normal:5,signature:3,obfuscated:2') });
    const count = (k: string) => reqs.filter((r) => r.kind === k).length;
    expect([count('normal'), count('signature'), count('obfuscated')]).toEqual([500, 300, 200]);
    // shuffled, not runs of one kind: an unshuffled bag changes kind 3 times per 10 requests, a shuffled one ~6
    let changes = 0;
    for (let i = 1; i < 100; i++) if (reqs[i]!.kind !== reqs[i - 1]!.kind) changes++;
    expect(changes).toBeGreaterThan(45);
  });

  it('is what the simulator reports and what the server received', async () => {
    const s = await createSimulator({
      target,
      ...fast,
      maxRequests: 300,
      seed: 3,
      mix: 'normal:1,signature:1,obfuscated:1',
    }).start();
    expect(s.sent).toBe(300);
    expect(seen).toHaveLength(300);
    expect(s.by_kind.normal!.sent).toBe(100);
    expect(s.by_kind.signature!.sent).toBe(100);
    expect(s.by_kind.obfuscated!.sent).toBe(100);
    expect(s.answered).toBe(300);
    const scripts = seen.filter((x) => hasScript(x.url)).length;
    expect(scripts).toBeGreaterThan(0);
    expect(s.status['403']).toBe(scripts);
    expect(s.status['200']).toBe(300 - scripts);
    expect(Object.values(s.by_kind).reduce((a, k) => a + k.blocked, 0)).toBe(scripts);
    expect(s.latency_ms).not.toBeNull();
  });

  it('covers benign pages, assets, pagination, API and forms, and every attack family', () => {
    const reqs = take(3000, { seed: 2 });
    const families = new Set(reqs.map((r) => r.family));
    for (const f of ['page', 'asset', 'pagination', 'api', 'form']) expect(families).toContain(f);
    for (const f of ['sqli', 'xss', 'traversal', 'cmdi', 'ssrf', 'ssti', 'xxe', 'log4shell', 'nosqli'])
      expect(families).toContain(f);
    for (const f of OBFUSCATION_FAMILIES) expect(families).toContain(f);
    const normal = reqs.filter((r) => r.kind === 'normal');
    expect(normal.some((r) => r.method === 'POST' && r.headers['content-type'] === 'application/json')).toBe(
      true,
    );
    expect(
      normal.some(
        (r) => r.method === 'POST' && r.headers['content-type']?.startsWith('application/x-www-form'),
      ),
    ).toBe(true);
    const obf = reqs.filter((r) => r.kind === 'obfuscated');
    expect(obf.some((r) => r.body?.includes('"__proto__"'))).toBe(true);
    expect(obf.some((r) => r.body?.includes('"constructor":{"prototype"'))).toBe(true);
    expect(obf.some((r) => (r.body?.length ?? 0) > 128 * 1024)).toBe(true);
  });

  it('rejects bad mixes with a clear message', () => {
    usageError(() => parseMix('normal'), /not kind:weight/);
    usageError(() => parseMix('normal:1,bogus:2'), /unknown kind "bogus"/);
    usageError(() => parseMix('normal:1,normal:2'), /given twice/);
    usageError(() => parseMix('normal:0'), /at least one kind/);
    usageError(() => parseMix('normal:1001'), /0 to 1000/);
    usageError(() => resolveSimulatorOptions({ target, mix: 'scenario:1' }), /needs --scenario/);
  });
});

// ---- scenarios ----------------------------------------------------------------------------------------

describe('scenarios', () => {
  async function play(scenario: (typeof SCENARIOS)[number], n = 300): Promise<Seen[]> {
    seen = [];
    const s = await createSimulator({
      target,
      ...fast,
      maxRequests: n,
      seed: 21,
      mix: 'scenario:1',
      scenario,
    }).start();
    expect(s.by_kind.scenario!.sent).toBe(n);
    expect(seen).toHaveLength(n);
    return seen;
  }
  const sources = (xs: Seen[]) => new Set(xs.map((x) => x.xff));

  it('bruteforce: one account, many passwords, from several addresses', async () => {
    const got = await play('bruteforce');
    const users = new Set(got.map((x) => new URLSearchParams(x.body).get('user')));
    const passwords = new Set(got.map((x) => new URLSearchParams(x.body).get('password')));
    expect(users.size).toBe(1);
    expect(passwords.size).toBe(300);
    expect(sources(got).size).toBeGreaterThanOrEqual(8);
    expect(got.every((x) => x.method === 'POST' && x.url === '/login')).toBe(true);
  });

  it('stuffing: many accounts from many addresses', async () => {
    const got = await play('stuffing');
    const emails = new Set(got.map((x) => (JSON.parse(x.body) as { email: string }).email));
    expect(emails.size).toBeGreaterThan(250);
    expect(sources(got).size).toBeGreaterThan(150);
  });

  it('spraying: few passwords across many accounts', async () => {
    const got = await play('spraying');
    const passwords = new Set(got.map((x) => new URLSearchParams(x.body).get('password')));
    const users = new Set(got.map((x) => new URLSearchParams(x.body).get('user')));
    expect(passwords.size).toBeLessThanOrEqual(3);
    expect(users.size).toBeGreaterThan(100);
    expect(sources(got).size).toBeGreaterThan(30);
  });

  it('ddos: a flood from a wide spread of addresses', async () => {
    const got = await play('ddos', 600);
    expect(sources(got).size).toBeGreaterThan(450);
    expect(got.every((x) => x.method === 'GET')).toBe(true);
  });

  it('scan: sensitive paths from a handful of addresses', async () => {
    const got = await play('scan', 100);
    const paths = new Set(got.map((x) => x.url));
    for (const p of ['/.env', '/.git/config', '/etc/passwd', '/api/admin/export?table=credit_cards'])
      expect(paths).toContain(p);
    expect(sources(got).size).toBeLessThanOrEqual(4);
  });

  it('every address sent is public (no loopback, private or documentation space)', () => {
    const reqs = take(2000, {
      seed: 4,
      mix: { normal: 1, signature: 1, obfuscated: 1, scenario: 3 },
      scenario: 'ddos',
    });
    for (const r of reqs)
      expect(r.source).toMatch(/^(?!10\.|127\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.)\d+\.\d+\.\d+\.\d+$/);
  });
});

// ---- guards ------------------------------------------------------------------------------------------

describe('guards', () => {
  it('accepts loopback targets only, unless allowRemote', () => {
    for (const h of [
      '127.0.0.1',
      '127.3.2.1',
      '::1',
      '[::1]',
      'localhost',
      'LOCALHOST',
      'app.localhost',
      '::ffff:7f00:1',
    ])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', '192.168.1.10', 'example.com', '128.0.0.1', '::2', 'localhost.example.com'])
      expect(isLoopbackHost(h), h).toBe(false);
    usageError(
      () => createSimulator({ target: 'http://192.0.2.10:8080' }),
      /not a loopback address.*--allow-remote/,
    );
    usageError(() => createSimulator({ target: 'http://example.com/' }), /not a loopback address/);
    expect(resolveSimulatorOptions({ target: 'http://192.0.2.10:8080', allowRemote: true }).target.host).toBe(
      '192.0.2.10:8080',
    );
    expect(resolveSimulatorOptions({ target: 'http://[::1]:9/' }).target.hostname).toBe('[::1]');
  });

  it('rejects a remote target from the command line without --allow-remote', async () => {
    await expect(runSimulate(['--target', 'http://198.51.100.7/'])).rejects.toMatchObject({
      code: 'PAL_ERR_CLI_USAGE',
      message: expect.stringMatching(/--allow-remote/),
    });
  });

  it('bounds rate, duration, concurrency, seed and timeout', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ratePerSec: 0 }, /--rate/],
      [{ ratePerSec: 5001 }, /--rate: expected a number from 0.1 to 5000/],
      [{ ratePerSec: Number.NaN }, /--rate/],
      [{ durationSecs: 0 }, /--duration/],
      [{ durationSecs: 3601 }, /--duration: expected a number from 0.1 to 3600/],
      [{ concurrency: 0 }, /--concurrency/],
      [{ concurrency: 513 }, /--concurrency/],
      [{ concurrency: 1.5 }, /--concurrency: expected a whole number/],
      [{ seed: -1 }, /--seed/],
      [{ seed: 2 ** 32 }, /--seed/],
      [{ timeoutMs: 10 }, /--timeout/],
      [{ maxRequests: 0 }, /--requests/],
    ];
    for (const [o, re] of bad) usageError(() => resolveSimulatorOptions({ target, ...o }), re);
    usageError(() => resolveSimulatorOptions({ target: 'ftp://127.0.0.1/' }), /http:\/\//);
    usageError(() => resolveSimulatorOptions({ target: 'not a url' }), /not a URL/);
    const ok = resolveSimulatorOptions({ target, ratePerSec: 5000, durationSecs: 3600 });
    expect(ok.maxRequests).toBe(18_000_000);
  });

  it('gives a clear error for bad flags', async () => {
    const cases: [string[], RegExp][] = [
      [['--rate', 'fast'], /--rate: expected a number, got "fast"/],
      [['--rate', '-5'], /--rate/],
      [['--duration', '1e9'], /--duration: expected a number/],
      [['--seed', '1.5'], /--seed: expected a whole number/],
      [['--scenario', 'nope'], /--scenario: expected one of bruteforce, stuffing, spraying, ddos, scan/],
      [['--mix', 'normal:x'], /--mix/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--rate', '6000'], /--rate: expected a number from 0.1 to 5000/],
    ];
    for (const [argv, re] of cases)
      await expect(runSimulate(['--target', target, ...argv]), argv.join(' ')).rejects.toMatchObject({
        code: 'PAL_ERR_CLI_USAGE',
        message: expect.stringMatching(re),
      });
  });
});

// ---- the command --------------------------------------------------------------------------------------

describe('palisade simulate', () => {
  it('--json prints the summary; the text form shows kinds, statuses and latency', async () => {
    const out = new Sink();
    const args = [
      '--target',
      target,
      '--rate',
      '2000',
      '--duration',
      '30',
      '--requests',
      '120',
      '--seed',
      '5',
    ];
    expect(await runSimulate([...args, '--json', '--scenario', 'scan'], { out })).toBe(0);
    const s = JSON.parse(out.text) as SimulationSummary;
    expect(s).toMatchObject({ sent: 120, answered: 120, seed: 5, scenario: 'scan', skipped: 0 });
    expect(s.mix).toEqual({ normal: 1, signature: 1, obfuscated: 1, scenario: 3 });
    expect(s.by_kind.scenario!.sent).toBe(60);
    expect(Object.values(s.by_family).reduce((a, f) => a + f.sent, 0)).toBe(120);

    const text = new Sink();
    expect(await runSimulate(args, { out: text })).toBe(0);
    expect(text.text).toMatch(/sent 120 in/);
    expect(text.text).toMatch(/^normal\s+40\b/m);
    expect(text.text).toMatch(/403 blocked \d+/);
    expect(text.text).toMatch(/latency ms: p50 [\d.]+ {2}p90/);
  });

  it('exits 1 and counts the errors when nothing answers', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const out = new Sink();
    const code = await runSimulate(
      ['--target', `http://127.0.0.1:${port}`, '--requests', '5', '--rate', '1000', '--json'],
      {
        out,
      },
    );
    expect(code).toBe(1);
    const s = JSON.parse(out.text) as SimulationSummary;
    expect(s.errors.ECONNREFUSED).toBe(5);
    expect(s.status.error).toBe(5);
  });

  it('stop() ends a run early and still returns the summary', async () => {
    const sim = createSimulator({ target, ratePerSec: 50, durationSecs: 3600, seed: 1 });
    const done = sim.start();
    await new Promise((r) => setTimeout(r, 100));
    const s = await sim.stop();
    expect(await done).toEqual(s);
    expect(s.sent).toBeGreaterThan(0);
    expect(s.sent).toBe(s.answered);
  });
});
