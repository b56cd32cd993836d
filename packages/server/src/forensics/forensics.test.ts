/**
 * The forensic analyses on a real SQLite store filled through the insert path with hand-made events
 * (testdata/forensic-events.ts: bursts, a distributed brute force from 12 addresses, browsing with
 * idle gaps, ties that only a byte-order tie-breaker settles), each result checked against values
 * worked out by hand; then the same events exported to Parquet and analysed in DuckDB, and on
 * PostgreSQL when PALISADE_TEST_DATABASE_URL is set, each deep-equal to SQLite's results.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForensicsCommand } from '../cli/forensics-command.js';
import { testConfig } from '../config/test-config.js';
import type { Database } from '../store/schema.js';
import { TEST_DATABASE_URL, dropSchema, tmpStore, uniqueSchema } from '../store/testdata/tmp-store.mjs';
import { Keyring } from '../store/crypto.js';
import { insertEvents } from '../store/events.js';
import { openStore, type Store } from '../store/store.js';
import { exportForensicEvents } from './export-events.js';
import { ANALYSES, resolveForensicsParams, type Analysis, type ForensicsInput } from './params.js';
import { openDuckDbEvents, runForensics } from './run-forensics.js';
import type { ForensicsResult } from './results.js';
import {
  B_ALICE,
  BOB_T,
  C0_CAROL,
  D0_DAVE,
  E0_ERIN,
  FORENSIC_EVENTS,
  FP1,
  FP2,
  MIN,
  T0,
  T_END,
} from './testdata/forensic-events.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-forensics-'));
  store = await openStore({ path: join(dir, 'p.db'), keyring: Keyring.generate() });
  expect(await insertEvents(store, FORENSIC_EVENTS)).toEqual({
    inserted: FORENSIC_EVENTS.length,
    duplicates: 0,
  });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const RANGE = { from: T0, to: T_END };
const params = (a: Analysis, input: ForensicsInput = {}) =>
  resolveForensicsParams(a, { ...RANGE, ...input }, T_END);
const run = (a: Analysis, input: ForensicsInput = {}) => runForensics(store, params(a, input));

/** The runs compared across engines: defaults, and variants that move windows, limits and gaps. */
const CASES: [Analysis, ForensicsInput][] = [
  ['burst', {}],
  ['burst', { threshold: 30, window_secs: 1, limit: 3 }],
  ['burst', { threshold: 99, limit: 4 }],
  ['distributed-bruteforce', {}],
  ['distributed-bruteforce', { min_sources: 2, window_secs: 30, limit: 1000 }],
  ['top-talkers', { limit: 6 }],
  ['top-talkers', { limit: 1000 }],
  ['sessions', {}],
  ['sessions', { gap_secs: 60 }],
  ['sessions', { limit: 3 }],
];

describe('burst', () => {
  it('lists sources by their busiest 60-s window, ties in byte order, the edge of the window excluded', async () => {
    const r = await run('burst');
    expect(r.truncated).toBe(false);
    expect(r.params).toMatchObject({
      from_ms: T0,
      to_ms: T_END,
      window_secs: 60,
      threshold: 100,
      limit: 100,
    });
    expect(r.rows).toEqual([
      {
        source: '10.0.0.2',
        peak_events: 120,
        peak_start_ms: T0 + 20 * MIN,
        peak_end_ms: T0 + 20 * MIN + 47_600,
        events: 120,
      },
      {
        source: '100.0.0.1',
        peak_events: 120,
        peak_start_ms: T0 + 40 * MIN,
        peak_end_ms: T0 + 40 * MIN + 59_500,
        events: 120,
      },
      {
        source: '203.0.113.10',
        peak_events: 120,
        peak_start_ms: T0 + 10 * MIN,
        peak_end_ms: T0 + 10 * MIN + 29_750,
        events: 150,
      },
      // 101 requests, the last exactly 60 s after the first: two windows of 100, the earlier listed.
      {
        source: '198.51.100.5',
        peak_events: 100,
        peak_start_ms: T0 + 70 * MIN,
        peak_end_ms: T0 + 70 * MIN + 59_400,
        events: 101,
      },
    ]);
  });

  it('takes the window and threshold, and says when the limit cut the list', async () => {
    // 1-s windows (t − 1 s, t]: 10 of 192.0.2.50's requests (100 ms apart), 4 of 203.0.113.10's
    // (250 ms), 3 of 10.0.0.2's (400 ms); 100.0.0.1's 500-ms steps give 2: below the threshold.
    const one = await run('burst', { window_secs: 1, threshold: 3 });
    expect(one.rows.map((x) => [x.source, x.peak_events, x.peak_start_ms, x.peak_end_ms])).toEqual([
      ['192.0.2.50', 10, T0 + 80 * MIN, T0 + 80 * MIN + 900],
      ['203.0.113.10', 4, T0 + 10 * MIN, T0 + 10 * MIN + 750],
      ['10.0.0.2', 3, T0 + 20 * MIN, T0 + 20 * MIN + 800],
    ]);
    const cut = await run('burst', { threshold: 99, limit: 4 });
    expect(cut.truncated).toBe(true);
    expect(cut.rows).toHaveLength(4);
    const all = await run('burst', { threshold: 99, limit: 5 });
    expect(all.truncated).toBe(false);
    expect(all.rows[4]).toEqual({
      source: '192.0.2.50',
      peak_events: 99,
      peak_start_ms: T0 + 80 * MIN,
      peak_end_ms: T0 + 80 * MIN + 9800,
      events: 99,
    });
  });
});

describe('distributed-bruteforce', () => {
  it('finds accounts failed from many addresses within 10 minutes, with the peak window and samples', async () => {
    const r = await run('distributed-bruteforce');
    expect(r.truncated).toBe(false);
    expect(r.rows).toEqual([
      {
        account: 'alice',
        peak_sources: 12,
        peak_failures: 23,
        peak_start_ms: B_ALICE,
        peak_end_ms: B_ALICE + 330_000,
        failures: 25,
        sources: 12,
        first_seen_ms: B_ALICE,
        last_seen_ms: B_ALICE + 50 * MIN,
        sample_sources: ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5'],
      },
      // 10.9.0.1 fails again exactly one window after its first failure: it leaves and re-enters
      // at that instant, beside 10.9.0.11's first failure.
      {
        account: 'carol',
        peak_sources: 11,
        peak_failures: 11,
        peak_start_ms: C0_CAROL + MIN,
        peak_end_ms: C0_CAROL + 10 * MIN,
        failures: 12,
        sources: 11,
        first_seen_ms: C0_CAROL,
        last_seen_ms: C0_CAROL + 10 * MIN,
        sample_sources: ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6'],
      },
      {
        account: 'Erin',
        peak_sources: 10,
        peak_failures: 10,
        peak_start_ms: E0_ERIN,
        peak_end_ms: E0_ERIN + 9000,
        failures: 10,
        sources: 10,
        first_seen_ms: E0_ERIN,
        last_seen_ms: E0_ERIN + 9000,
        sample_sources: ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5'],
      },
      {
        account: 'dave',
        peak_sources: 10,
        peak_failures: 10,
        peak_start_ms: D0_DAVE,
        peak_end_ms: D0_DAVE + 90_000,
        failures: 10,
        sources: 10,
        first_seen_ms: D0_DAVE,
        last_seen_ms: D0_DAVE + 90_000,
        sample_sources: ['172.16.0.1', '172.16.0.2', '172.16.0.3', '172.16.0.4', '172.16.0.5'],
      },
    ]);
  });

  it('counts distinct addresses in the sliding window, not in the range', async () => {
    // 30-s windows: alice's addresses start 30 s apart and fail twice 5 s apart, so the window
    // ending at one's first failure still holds the previous one's second failure: 2, never 3.
    const r = await run('distributed-bruteforce', { window_secs: 30, min_sources: 2 });
    const byAccount = new Map(r.rows.map((x) => [x.account, x]));
    expect(byAccount.get('alice')).toMatchObject({
      peak_sources: 2,
      peak_failures: 2,
      peak_start_ms: B_ALICE + 5000,
      peak_end_ms: B_ALICE + 30_000,
    });
    // bob: 203.0.113.99 at +0, .98 at +1 s, .99 at +2 s, .97 at +3 s.
    expect(byAccount.get('bob')).toMatchObject({
      peak_sources: 3,
      peak_failures: 4,
      peak_start_ms: BOB_T,
      peak_end_ms: BOB_T + 3000,
      failures: 22,
      sources: 3,
      sample_sources: ['203.0.113.99', '203.0.113.98', '203.0.113.97'],
    });
    // carol's addresses are 60 s apart, but 10.9.0.1's second failure and 10.9.0.11's first fall
    // in the same millisecond: the sample's tie goes to byte order.
    expect(byAccount.get('carol')).toMatchObject({
      peak_sources: 2,
      peak_failures: 2,
      peak_start_ms: C0_CAROL + 10 * MIN,
      peak_end_ms: C0_CAROL + 10 * MIN,
      sample_sources: ['10.9.0.1', '10.9.0.11'],
    });
    // dave: 10 s apart, three in (t − 30 s, t]; Erin: all ten within 9 s.
    expect(byAccount.get('dave')).toMatchObject({
      peak_sources: 3,
      peak_start_ms: D0_DAVE,
      peak_end_ms: D0_DAVE + 20_000,
    });
    expect(r.rows.map((x) => x.account)).toEqual(['Erin', 'bob', 'dave', 'alice', 'carol']);
  });
});

describe('top-talkers', () => {
  it('ranks sources by events with blocked, alerts, distinct paths and users', async () => {
    const r = await run('top-talkers', { limit: 6 });
    expect(r.truncated).toBe(true);
    expect(r.rows).toEqual([
      {
        source: '203.0.113.10',
        first_seen_ms: T0 + 10 * MIN,
        last_seen_ms: T0 + 30 * MIN + 29_000,
        events: 150,
        blocked: 50,
        alerts: 60,
        paths: 3,
        users: 0,
      },
      {
        source: '10.0.0.2',
        first_seen_ms: T0 + 20 * MIN,
        last_seen_ms: T0 + 20 * MIN + 47_600,
        events: 120,
        blocked: 0,
        alerts: 0,
        paths: 1,
        users: 0,
      },
      {
        source: '100.0.0.1',
        first_seen_ms: T0 + 40 * MIN,
        last_seen_ms: T0 + 40 * MIN + 59_500,
        events: 120,
        blocked: 0,
        alerts: 1,
        paths: 1,
        users: 0,
      },
      {
        source: '198.51.100.5',
        first_seen_ms: T0 + 70 * MIN,
        last_seen_ms: T0 + 71 * MIN,
        events: 101,
        blocked: 0,
        alerts: 0,
        paths: 2,
        users: 0,
      },
      {
        source: '192.0.2.50',
        first_seen_ms: T0 + 80 * MIN,
        last_seen_ms: T0 + 80 * MIN + 9800,
        events: 99,
        blocked: 0,
        alerts: 0,
        paths: 1,
        users: 0,
      },
      {
        source: '203.0.113.99',
        first_seen_ms: BOB_T,
        last_seen_ms: BOB_T + 38_000,
        events: 20,
        blocked: 0,
        alerts: 0,
        paths: 0,
        users: 1,
      },
    ]);
  });

  it('counts every source with an address once, and users per source', async () => {
    const r = await run('top-talkers', { limit: 1000 });
    expect(r.truncated).toBe(false);
    // 5 burst sources, 3 browsing addresses, 12 + 3 + 11 + 10 login addresses (Erin's are alice's).
    expect(r.rows).toHaveLength(5 + 3 + 12 + 3 + 11 + 10);
    expect(r.rows.reduce((s, x) => s + x.events, 0)).toBe(
      150 + 120 + 120 + 101 + 99 + 7 + 4 + 2 + (24 + 1 + 1) + 22 + 12 + 10 + 10,
    );
    expect(r.rows.find((x) => x.source === '198.18.0.1')).toMatchObject({ events: 4, users: 2, paths: 0 });
    expect(r.rows.find((x) => x.source === '192.0.2.20')).toMatchObject({ events: 4, blocked: 1, paths: 3 });
  });
});

describe('sessions', () => {
  const burstSession = (
    ip: string,
    start: number,
    end: number,
    events: number,
    paths: number,
    blocked: number,
    first: string,
    last: string,
  ) => ({
    session_key: `${ip} bot/1.0`,
    key_kind: 'ip_ua',
    start_ms: start,
    end_ms: end,
    duration_ms: end - start,
    events,
    paths,
    blocked,
    first_path: first,
    last_path: last,
  });

  it('splits each client at idle gaps of 30 minutes or more', async () => {
    const r = await run('sessions');
    expect(r.truncated).toBe(false);
    expect(r.rows).toEqual([
      {
        session_key: FP1,
        key_kind: 'fingerprint',
        start_ms: T0,
        end_ms: T0 + 10 * MIN,
        duration_ms: 10 * MIN,
        events: 4,
        paths: 4,
        blocked: 0,
        first_path: '/',
        last_path: '/cart',
      },
      // Same address and start: the user agent separates them; byte order puts "M" before "c".
      {
        session_key: '192.0.2.20 Mozilla/5.0 B',
        key_kind: 'ip_ua',
        start_ms: T0 + 5 * MIN,
        end_ms: T0 + 5 * MIN,
        duration_ms: 0,
        events: 1,
        paths: 1,
        blocked: 0,
        first_path: '/',
        last_path: '/',
      },
      // The last gap is 1 ms short of 30 minutes: still one session.
      {
        session_key: '192.0.2.20 curl/8.5',
        key_kind: 'ip_ua',
        start_ms: T0 + 5 * MIN,
        end_ms: T0 + 50 * MIN - 1,
        duration_ms: 45 * MIN - 1,
        events: 3,
        paths: 3,
        blocked: 1,
        first_path: '/admin',
        last_path: '/robots.txt',
      },
      burstSession('203.0.113.10', T0 + 10 * MIN, T0 + 30 * MIN + 29_000, 150, 3, 50, '/p/0', '/p/2'),
      burstSession('10.0.0.2', T0 + 20 * MIN, T0 + 20 * MIN + 47_600, 120, 1, 0, '/', '/'),
      burstSession('100.0.0.1', T0 + 40 * MIN, T0 + 40 * MIN + 59_500, 120, 1, 0, '/', '/'),
      {
        session_key: FP1,
        key_kind: 'fingerprint',
        start_ms: T0 + 50 * MIN,
        end_ms: T0 + 52 * MIN,
        duration_ms: 2 * MIN,
        events: 2,
        paths: 2,
        blocked: 0,
        first_path: '/',
        last_path: '/checkout',
      },
      burstSession('198.51.100.5', T0 + 70 * MIN, T0 + 71 * MIN, 101, 2, 0, '/c/0', '/c/0'),
      burstSession('192.0.2.50', T0 + 80 * MIN, T0 + 80 * MIN + 9800, 99, 1, 0, '/d', '/d'),
      // Exactly 30 minutes idle: a new session.
      {
        session_key: FP1,
        key_kind: 'fingerprint',
        start_ms: T0 + 82 * MIN,
        end_ms: T0 + 82 * MIN,
        duration_ms: 0,
        events: 1,
        paths: 1,
        blocked: 0,
        first_path: '/account',
        last_path: '/account',
      },
      // Two requests in the same millisecond: the event id orders them.
      {
        session_key: FP2,
        key_kind: 'fingerprint',
        start_ms: T0 + 100 * MIN,
        end_ms: T0 + 100 * MIN,
        duration_ms: 0,
        events: 2,
        paths: 2,
        blocked: 0,
        first_path: '/a',
        last_path: '/b',
      },
    ]);
  });

  it('takes the gap', async () => {
    // 60-s gaps: FP1's requests are 1 min or more apart, so each is a session; 203.0.113.10's
    // split at its 19.5-min pause.
    const r = await run('sessions', { gap_secs: 60 });
    const fp1 = r.rows.filter((x) => x.session_key === FP1).map((x) => [x.start_ms, x.events]);
    expect(fp1).toEqual([
      [T0, 1],
      [T0 + MIN, 1],
      [T0 + 3 * MIN, 1],
      [T0 + 10 * MIN, 1],
      [T0 + 50 * MIN, 1],
      [T0 + 52 * MIN, 1],
      [T0 + 82 * MIN, 1],
    ]);
    expect(r.rows.filter((x) => x.session_key === '203.0.113.10 bot/1.0').map((x) => x.events)).toEqual([
      120, 30,
    ]);
    const cut = await run('sessions', { limit: 3 });
    expect(cut.truncated).toBe(true);
    expect(cut.rows.map((x) => x.session_key)).toEqual([
      FP1,
      '192.0.2.20 Mozilla/5.0 B',
      '192.0.2.20 curl/8.5',
    ]);
  });
});

describe('parameters', () => {
  it('refuses values out of bounds, naming the field', () => {
    const bad: [Analysis, ForensicsInput, string][] = [
      ['burst', { window_secs: 0 }, 'window_secs'],
      ['burst', { window_secs: 86_401 }, 'window_secs'],
      ['burst', { window_secs: '1.5' }, 'window_secs'],
      ['burst', { limit: 1001 }, 'limit'],
      ['sessions', { gap_secs: 0 }, 'gap_secs'],
      ['sessions', { threshold: 5 }, 'threshold'],
      ['distributed-bruteforce', { min_sources: 1 }, 'min_sources'],
      ['top-talkers', { from: T0, to: T0 + 32 * 86_400_000 }, 'from'],
      ['top-talkers', { from: T0, to: T0 }, 'to'],
      ['top-talkers', { from: 'yesterday' }, 'from'],
    ];
    for (const [a, input, field] of bad)
      expect(() => resolveForensicsParams(a, input, T_END), `${a} ${JSON.stringify(input)}`).toThrow(
        expect.objectContaining({ code: 'PAL_ERR_VALIDATION', details: { field } }),
      );
  });

  it('refuses a range holding more events than maxEvents (the API bound), counting only the range', async () => {
    const inRange = FORENSIC_EVENTS.length - 2; // one event before T0, one at T_END
    await expect(
      runForensics(store, params('top-talkers'), { maxEvents: inRange - 1 }),
    ).rejects.toMatchObject({
      code: 'PAL_ERR_VALIDATION',
      details: { field: 'from', events: inRange, max_events: inRange - 1 },
    });
    expect((await runForensics(store, params('top-talkers'), { maxEvents: inRange })).rows).toHaveLength(20);
  });

  it('defaults to the last 24 hours and takes ISO times and digits', () => {
    expect(resolveForensicsParams('sessions', {}, T_END)).toMatchObject({
      from_ms: T_END - 86_400_000,
      to_ms: T_END,
      gap_secs: 1800,
      limit: 100,
    });
    expect(
      resolveForensicsParams(
        'burst',
        { from: new Date(T0).toISOString(), to: String(T_END), window_secs: '5' },
        0,
      ),
    ).toMatchObject({ from_ms: T0, to_ms: T_END, window_secs: 5, threshold: 100 });
  });
});

/** Every CASE on SQLite, the reference for the other engines. */
async function sqliteResults(): Promise<ForensicsResult[]> {
  return Promise.all(CASES.map(([a, input]) => run(a, input)));
}

describe('DuckDB over the Parquet export', () => {
  it('gives results deep-equal to SQLite for every analysis', async () => {
    const file = join(dir, 'events.parquet');
    // Small pages: keyset paging crosses many boundaries (same-millisecond ids included).
    const n = await exportForensicEvents(store, file, { pageSize: 7 });
    expect(n).toBe(FORENSIC_EVENTS.length);
    const duck = await openDuckDbEvents(file);
    try {
      const expected = await sqliteResults();
      expect(new Set(CASES.map(([a]) => a))).toEqual(new Set(ANALYSES));
      for (let i = 0; i < CASES.length; i++) {
        const [a, input] = CASES[i]!;
        expect(await duck.run(params(a, input)), `${a} ${JSON.stringify(input)}`).toEqual(expected[i]);
      }
    } finally {
      duck.close();
    }
  });

  it('exports a range only, and refuses a file without the columns', async () => {
    const file = join(dir, 'range.parquet');
    expect(await exportForensicEvents(store, file, { from_ms: T0, to_ms: T0 + 5 * MIN })).toBe(3);
    await expect(openDuckDbEvents(join(dir, 'missing.parquet'))).rejects.toMatchObject({
      code: 'PAL_ERR_CLI_USAGE',
    });
  });
});

describe('palisade forensics', () => {
  const cli = async (...argv: string[]) => {
    let out = '';
    const config = { ...testConfig(dir), db: join(dir, 'p.db') };
    const code = await runForensicsCommand(argv, { config, write: (t) => void (out += t), now: () => T_END });
    return { code, out };
  };
  const range = ['--from', new Date(T0).toISOString(), '--to', String(T_END)];

  it('prints the API answer with --json and a table without, on the store and on DuckDB', async () => {
    const json = await cli('distributed-bruteforce', ...range, '--window', '10m', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(await run('distributed-bruteforce'))));
    const table = await cli('sessions', ...range, '--gap', '1800', '--limit', '2');
    expect(table.out.split('\n').slice(0, 4)).toEqual([
      'sessions 2026-03-01T10:00:00Z – 2026-03-01T13:00:00Z: 2 rows (more match: raise --limit, at most 1000)',
      'start                 duration  events  paths  blocked  first path  last path  client',
      '2026-03-01T10:00:00Z    10m 0s       4      4        0  /           /cart      fp ' + FP1,
      '2026-03-01T10:05:00Z        0s       1      1        0  /           /          192.0.2.20 Mozilla/5.0 B',
    ]);
    const file = join(dir, 'cli.parquet');
    expect((await cli('export', '--out', file)).out).toBe(`${file}: ${FORENSIC_EVENTS.length} events\n`);
    const duck = await cli('burst', ...range, '--window', '1m', '--parquet', file, '--json');
    expect(JSON.parse(duck.out)).toEqual(JSON.parse(JSON.stringify(await run('burst'))));
  });

  it('refuses bad options with the codes main.ts turns into exit code 2', async () => {
    await expect(cli('burst', '--window', '0')).rejects.toMatchObject({
      code: 'PAL_ERR_VALIDATION',
      details: { field: 'window_secs' },
    });
    await expect(cli('burst', '--window', '5 min')).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    await expect(cli('sessions', '--threshold', '3')).rejects.toMatchObject({
      code: 'PAL_ERR_VALIDATION',
      details: { field: 'threshold' },
    });
    await expect(cli('burst', '--engine', 'duckdb')).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    await expect(cli('everything')).rejects.toMatchObject({ code: 'PAL_ERR_CLI_USAGE' });
    expect((await cli()).code).toBe(2);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL (PALISADE_TEST_DATABASE_URL)', () => {
  it('gives results deep-equal to SQLite for every analysis', async () => {
    const t = await tmpStore({ engine: 'postgres' });
    try {
      expect(t.store.dialect.name).toBe('postgres');
      await insertEvents(t.store, FORENSIC_EVENTS);
      const expected = await sqliteResults();
      for (let i = 0; i < CASES.length; i++) {
        const [a, input] = CASES[i]!;
        expect(await runForensics(t.store, params(a, input)), `${a} ${JSON.stringify(input)}`).toEqual(
          expected[i],
        );
      }
    } finally {
      await t.cleanup();
    }
  });

  it('breaks text ties by bytes under a language collation too, and reads bigints sent as text', async () => {
    // The test server's databases use C.UTF-8, where COLLATE "C" changes nothing. A view whose text
    // columns carry ICU's root collation (which puts "curl" before "Mozilla" and "dave" before
    // "Erin") stands in for a server installed with a language locale; a plain pool returns
    // bigint as text, as node-postgres does by default.
    const t = await tmpStore({ engine: 'postgres' });
    const viewSchema = uniqueSchema('pal_fx');
    const pool = new pg.Pool({
      connectionString: TEST_DATABASE_URL,
      max: 1,
      options: `-c search_path=${viewSchema}`,
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      await insertEvents(t.store, FORENSIC_EVENTS);
      const icu = (col: string) => sql`${sql.ref(col)} COLLATE "und-x-icu" AS ${sql.ref(col)}`;
      const text = ['id', 'client_ip', 'fingerprint', 'user_agent', 'user_name', 'outcome', 'path'];
      await sql`CREATE SCHEMA ${sql.id(viewSchema)}`.execute(t.store.db);
      await sql`CREATE VIEW ${sql.id(viewSchema, 'events')} AS
        SELECT ${sql.join(text.map(icu))}, ts_ms, action, severity, findings_count
        FROM ${sql.id(t.schema!, 'events')}`.execute(t.store.db);
      const { rows } = await sql<{ user_name: string }>`SELECT DISTINCT user_name FROM events
        WHERE user_name IN ('dave', 'Erin') ORDER BY user_name`.execute(db);
      expect(rows.map((r) => r.user_name)).toEqual(['dave', 'Erin']);
      const viaView = { db, dialect: t.store.dialect } as Store;
      const expected = await sqliteResults();
      for (let i = 0; i < CASES.length; i++) {
        const [a, input] = CASES[i]!;
        expect(await runForensics(viaView, params(a, input)), `${a} ${JSON.stringify(input)}`).toEqual(
          expected[i],
        );
      }
    } finally {
      await db.destroy();
      await dropSchema(t.store, viewSchema);
      await t.cleanup();
    }
  });
});
