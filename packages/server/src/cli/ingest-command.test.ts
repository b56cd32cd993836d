import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../config/test-config.js';
import { openStore } from '../store/store.js';
import { listIncidents } from '../store/incidents.js';
import type { IngestSummary } from '../ingest/ingest.js';
import { runIngest, runParse } from './ingest-command.js';

const SHARED = new URL('../../../../../shared/logs/itsec/', import.meta.url).pathname;

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => out };
}

async function ingest(dir: string, files: string[], extra: { profile?: string; format?: string } = {}) {
  const out = sink();
  const code = await runIngest({
    config: testConfig(dir),
    files,
    format: extra.format ?? 'auto',
    json: true,
    out: out.stream,
    ...(extra.profile ? { profile: extra.profile } : {}),
  });
  expect(code).toBe(0);
  return JSON.parse(out.text()) as IngestSummary;
}

const login = (t: number, res: 'success' | 'failed', user = 'admin', addr = '192.0.2.40', term = 'cda8') =>
  `type=USER_LOGIN msg=audit(${t}.508:45): pid=5148 uid=0 auid=4294967295 ses=4294967295 msg='op=user-login acct="${user}" exe="web" hostname=? addr=${addr} terminal=${term} res=${res}'\u001dUID="root" AUID="unset"`;

describe('palisade ingest', () => {
  it('parses, stores, correlates and summarises an auditd file; bad lines are counted with their numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pal-ingest-'));
    const file = join(dir, 'audit.log');
    const lines = Array.from({ length: 12 }, (_, i) => login(1_743_072_594 + i, 'failed'));
    lines.splice(3, 0, 'this is not an audit record');
    lines.push(login(1_743_072_610, 'success'));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const s = await ingest(dir, [file], { profile: 'seed-compat' });
    expect(s).toMatchObject({
      format: 'auditd',
      lines: 14,
      events: 13,
      rejected: 1,
      events_by_type: { auth_failure: 12, auth_success: 1 },
      incidents_by_type: { brute_force: 1 },
    });
    expect(s.rejections).toEqual([{ line: 4, reason: expect.any(String) as string }]);
    const store = await openStore({ path: join(dir, 'palisade.db') });
    const [inc] = await listIncidents(store);
    expect(inc).toMatchObject({
      type: 'brute_force',
      severity: 'critical',
      keys: { ip: '192.0.2.40', user: 'admin' },
    });
    expect(inc!.reason).toBe('13 attempts in 2 minutes, 1 successful');
    await store.close();
    // The same file again: every event id exists already, no second incident.
    const again = await ingest(dir, [file], { profile: 'seed-compat' });
    expect(again.events).toBe(13);
    const store2 = await openStore({ path: join(dir, 'palisade.db') });
    expect(await listIncidents(store2)).toHaveLength(1);
    await store2.close();
  });

  it('a repeated sshd message stands for as many events, and so does a repeated line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pal-repeat-'));
    const auth = join(dir, 'auth.log');
    writeFileSync(
      auth,
      'Nov 22 08:00:01 web1 sshd[811]: message repeated 3 times: [ Failed password for root from 203.0.113.9 port 52144 ssh2]\n',
    );
    const audit = join(dir, 'audit.log');
    writeFileSync(audit, `${login(1_743_072_594, 'failed')}\n${login(1_743_072_594, 'failed')}\n`);
    await ingest(dir, [auth, audit]);
    const store = await openStore({ path: join(dir, 'palisade.db') });
    const rows = await store.db.selectFrom('events').select(['event_type']).execute();
    await store.close();
    expect(rows.filter((r) => r.event_type === 'auth_failure')).toHaveLength(5);
  });

  it('parse prints one JSON line per result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pal-parse-'));
    const file = join(dir, 'auth.log');
    writeFileSync(
      file,
      'Nov 22 08:00:01 web1 sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2\nnot syslog at all\n',
    );
    const out = sink();
    await runParse({ file, format: 'auth', out: out.stream, year: 2026 });
    const rows = out
      .text()
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            line: number;
            ok: boolean;
            event?: { type: string; src_ip: string };
            reason?: string;
          },
      );
    expect(rows[0]).toMatchObject({ line: 1, ok: true, event: { src_ip: '203.0.113.9' } });
    expect(['auth_failure', 'invalid_user']).toContain(rows[0]!.event!.type);
    expect(rows[1]).toMatchObject({ line: 2, ok: false });
  });
});

// The body of a skipped describe still runs to collect its tests: read ../shared only when present.
const HAS_SCENARIOS = existsSync(join(SHARED, 'EXPECTED.json'));

describe.runIf(HAS_SCENARIOS)('IT-Sec-Projekt scenarios under --profile seed-compat', () => {
  const expected = (
    HAS_SCENARIOS ? JSON.parse(readFileSync(join(SHARED, 'EXPECTED.json'), 'utf8')) : { scenarios: {} }
  ) as { scenarios: Record<string, Record<string, number | string>> };
  const names = HAS_SCENARIOS
    ? readdirSync(join(SHARED, 'scenarios')).filter((f) => f.endsWith('.log'))
    : ['(no scenarios)'];
  it.each(names)('%s matches every count of EXPECTED.json', async (name) => {
    const want = expected.scenarios[name];
    expect(want).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'pal-seed-'));
    const s = await ingest(dir, [join(SHARED, 'scenarios', name)], { profile: 'seed-compat' });
    const got: Record<string, number> = {
      ...s.incidents_by_type,
      user_login_events: (s.events_by_type.auth_success ?? 0) + (s.events_by_type.auth_failure ?? 0),
      user_logout_events: s.events_by_type.session_close ?? 0,
      config_events: s.events_by_type.config_change ?? 0,
    };
    for (const [key, n] of Object.entries(want!))
      if (typeof n === 'number') expect(got[key] ?? 0, key).toBe(n);
  });
});

/** Ingests `text` once as a file and once followed while it is appended in pieces; returns both incident lists. */
async function replayAndFollow(text: string, name: string, format: string, profile: string) {
  const replayDir = mkdtempSync(join(tmpdir(), 'pal-replay-'));
  const file = join(replayDir, name);
  writeFileSync(file, text);
  await ingest(replayDir, [file], { profile, format });

  const liveDir = mkdtempSync(join(tmpdir(), 'pal-live-'));
  const live = join(liveDir, name);
  writeFileSync(live, '');
  const ac = new AbortController();
  const following = runIngest({
    config: testConfig(liveDir),
    files: [live],
    format,
    profile,
    follow: true,
    json: true,
    signal: ac.signal,
    out: sink().stream,
  });
  const lines = text.split('\n');
  const total = lines.filter((l) => l !== '').length;
  for (let i = 0; i < lines.length; i += 5000) {
    appendFileSync(live, lines.slice(i, i + 5000).join('\n') + (i + 5000 < lines.length ? '\n' : ''));
    await new Promise((r) => setTimeout(r, 50));
  }
  // Stop once every line is stored (the follower keeps waiting for more). A plain read-only
  // connection: opening the store would take the migration lock against the writer.
  for (let t = 0; t < 3000; t++) {
    let n = 0;
    try {
      const db = new Database(join(liveDir, 'palisade.db'), { readonly: true, fileMustExist: true });
      n = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
      db.close();
    } catch {
      // not created yet
    }
    if (n >= total) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  ac.abort();
  await following;

  const shape = async (dir: string) => {
    const store = await openStore({ path: join(dir, 'palisade.db') });
    const list = await listIncidents(store);
    await store.close();
    return list
      .map((i) => ({
        type: i.type,
        keys: i.keys,
        count: i.count,
        first: i.first_seen,
        last: i.last_seen,
        reason: i.reason,
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  };
  return { replayed: await shape(replayDir), followed: await shape(liveDir) };
}

/** A day of an nginx access log: browsing from many clients, a scanner, an injector and a flood. */
function accessLog(): string {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  const stamp = (ms: number) => {
    const d = new Date(ms);
    const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
      d.getUTCMonth()
    ];
    const p = (v: number) => String(v).padStart(2, '0');
    return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  };
  const line = (
    ip: string,
    ms: number,
    target: string,
    status: number,
    ua = 'Mozilla/5.0 (X11; Linux x86_64)',
  ) => `${ip} - - [${stamp(ms)}] "GET ${target} HTTP/1.1" ${status} ${200 + rnd(5000)} "-" "${ua}"`;
  const out: string[] = [];
  const t0 = Date.UTC(2026, 10, 21, 0, 0, 0);
  const pages = ['/', '/shop', '/item?id=12', '/cart', '/search?q=shoes', '/about', '/static/app.js'];
  for (let i = 0; i < 20_000; i++) {
    const ms = t0 + i * 4000;
    out.push(line(`198.51.100.${rnd(200) + 1}`, ms, pages[rnd(pages.length)]!, 200));
    if (i % 500 === 100)
      for (let k = 0; k < 30; k++) out.push(line('203.0.113.50', ms + k * 100, `/old/${rnd(1e6)}.php`, 404));
    if (i % 1000 === 300)
      for (let k = 0; k < 6; k++)
        out.push(
          line(
            '203.0.113.60',
            ms + k * 1000,
            `/item?id=${k}%27%20union%20select%20password%20from%20users--`,
            500,
          ),
        );
    if (i === 12_000)
      for (let k = 0; k < 700; k++) out.push(line('203.0.113.70', ms + k * 50, '/search?q=x', 200));
  }
  return `${out.join('\n')}\n`;
}

describe('replay and live follow give the same incidents', () => {
  it('for a large access log (20,000+ lines: scanner, injections, a flood)', async () => {
    const { replayed, followed } = await replayAndFollow(accessLog(), 'access.log', 'access', 'default');
    expect(replayed.map((i) => i.type).sort()).toEqual(
      expect.arrayContaining(['dos', 'scanner', 'web_attack']),
    );
    expect(followed).toEqual(replayed);
  }, 400_000);

  it.runIf(existsSync(join(SHARED, 'demo/dos.log.gz')))(
    'for dos.log',
    async () => {
      const text = gunzipSync(readFileSync(join(SHARED, 'demo/dos.log.gz'))).toString('utf8');
      const { replayed, followed } = await replayAndFollow(text, 'dos.log', 'auditd', 'seed-compat');
      expect(replayed.length).toBeGreaterThan(0);
      expect(followed).toEqual(replayed);
    },
    400_000,
  );
});
