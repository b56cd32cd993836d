/**
 * THE kill test of scale-out: three `palisade worker` processes (the built CLI) consume from one
 * JetStream stream into one store while 20,000 events are published; one of them — the correlation
 * leader when one is elected by then — is killed with SIGKILL after it has acked some. Once the
 * consumer has nothing pending and the store is stable: every published event id is stored exactly
 * once, and the incidents are exactly those one in-process correlation of the same events opens
 * (same type and keys, none twice). On SQLite (one file shared by the three) always, and on
 * PostgreSQL (a schema of its own, dropped after) when PALISADE_TEST_DATABASE_URL is set.
 * Needs PALISADE_TEST_BUS_URL and `npm run build` first. No timing is asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { loadConfig } from '../config/config.js';
import { createCorrelator } from '../correlate/correlator.js';
import { openStore, type Store } from '../store/store.js';
import { lastEventSeq } from '../store/events.js';
import { busNames, type BusNames } from './bus-config.js';
import { connectBus, type BusConnection } from './connect.js';
import { createBusPublisher } from './publisher.js';
import { deleteStreams } from './streams.js';
import { busScenario, TEST_BUS_URL, uniquePrefix } from './testdata/bus-scenario.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../store/testdata/tmp-store.mjs';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const EVENTS = 20_000;

interface Worker {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function startWorker(args: string[], env: NodeJS.ProcessEnv): Worker {
  const proc = spawn(process.execPath, [CLI, 'worker', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  void exited.then((code) => {
    if (code !== 0 && code !== null) process.stderr.write(`worker exited ${code}: ${err}\n`);
  });
  return { proc, lines, exited };
}

const last = (w: Worker, type: string) => w.lines.filter((l) => l.type === type).at(-1);

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 180_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const incidentKey = (type: string, ip?: string | null, user?: string | null, target?: string | null) =>
  `${type}|${ip ?? ''}|${user ?? ''}|${target ?? ''}`;

const engines = ['sqlite', ...(TEST_DATABASE_URL ? ['postgres'] : [])] as const;

describe.skipIf(!TEST_BUS_URL)('palisade worker × 3, one killed mid-stream', () => {
  it.each(engines)(
    '%s: every event stored once, the incidents of one in-process correlation',
    async (engine) => {
      const dir = mkdtempSync(join(tmpdir(), 'pal-kill-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const cfg = join(dir, 'palisade.config.json');
      writeFileSync(cfg, JSON.stringify({ enrich: { geo: false, asn: false } }));
      const key = randomBytes(32).toString('base64');
      const schema = engine === 'postgres' ? uniqueSchema('pal_kill') : undefined;
      const db =
        engine === 'postgres'
          ? `${TEST_DATABASE_URL}${TEST_DATABASE_URL!.includes('?') ? '&' : '?'}schema=${schema}`
          : join(dir, 'palisade.db');
      // Migrated once before the workers start; the test reads the results through it.
      const store: Store = await openStore({ path: db, env: key });
      cleanups.push(async () => {
        if (schema) await dropSchema(store, schema);
        await store.close();
      });
      const names: BusNames = busNames({ url: TEST_BUS_URL!, prefix: uniquePrefix('tk') });
      const bus: BusConnection = await connectBus(names.url);
      cleanups.push(async () => {
        await deleteStreams(bus.jsm, names);
        await bus.nc.close();
      });

      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        PALISADE_KEY: key,
        PALISADE_INSTALL_SECRET: randomBytes(32).toString('base64'),
        PALISADE_DATA_DIR: dir,
        PALISADE_BUS_URL: names.url,
        PALISADE_BUS_PREFIX: names.prefix,
      };
      const args = [
        '--db',
        db,
        '--config',
        cfg,
        '--ack-wait',
        '2',
        '--batch',
        '200',
        '--json',
        '--stats-every',
        '1',
      ];
      const workers = [0, 1, 2].map(() => startWorker(args, env));
      cleanups.push(() => {
        for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
      });
      await until('three workers started', () => workers.every((w) => last(w, 'started')), 60_000);

      const { events, planned } = busScenario(EVENTS);
      const pub = await createBusPublisher({ names, nc: bus.nc });
      const leaderPid = async () => {
        const row = await store.db
          .selectFrom('leases')
          .select(['holder', 'expires_ms'])
          .where('name', '=', 'correlator')
          .executeTakeFirst();
        return row ? Number(row.holder.split(':').at(-2)) : undefined;
      };
      let victim: Worker | undefined;
      let victimLed = false;
      const acked = (w: Worker) => Number(last(w, 'stats')?.acked ?? 0);
      const sends: Promise<void>[] = [];
      for (let i = 0; i < events.length; i += 500) {
        for (const e of events.slice(i, i + 500)) sends.push(pub.submit(e));
        await Promise.all(sends.slice(-500));
        if (victim === undefined && i >= EVENTS / 3) {
          // Kill the leader if there is one (the lease must pass to a survivor), after it acked some.
          const pid = await leaderPid();
          const chosen = workers.find((w) => w.proc.pid === pid) ?? workers[0]!;
          victimLed = chosen.proc.pid === pid;
          await until('the victim acked some events', () => acked(chosen) > 0, 60_000);
          chosen.proc.kill('SIGKILL');
          victim = chosen;
        }
      }
      await Promise.all(sends);
      expect(pub.stats().published).toBe(EVENTS);
      await pub.close();
      expect(victim).toBeDefined();
      const survivors = workers.filter((w) => w !== victim);

      // Drained: nothing pending in the consumer, every event stored, the leader caught up.
      await until('the consumer drained', async () => {
        const i = await bus.jsm.consumers.info(names.eventsStream, names.consumer);
        return i.num_pending === 0 && i.num_ack_pending === 0;
      });
      const count = async () =>
        Number((await sql<{ n: number }>`SELECT count(*) AS n FROM events`.execute(store.db)).rows[0]!.n);
      await until('all events stored', async () => (await count()) >= EVENTS);
      await until('the leader caught up', async () => {
        const lease = await store.db
          .selectFrom('leases')
          .select('checkpoint')
          .where('name', '=', 'correlator')
          .executeTakeFirst();
        return lease !== undefined && Number(lease.checkpoint) >= (await lastEventSeq(store));
      });

      for (const w of survivors) w.proc.kill('SIGTERM');
      expect(await Promise.all(survivors.map((w) => w.exited))).toEqual([0, 0]);
      const finals = survivors.map((w) => last(w, 'final')!);
      expect(finals.every((f) => f !== undefined)).toBe(true);

      // A killed leader's lease passed to a survivor.
      const takeovers = finals.map((f) =>
        Number((f.leader as { takeovers?: number } | undefined)?.takeovers ?? 0),
      );
      if (victimLed) expect(takeovers.some((t) => t > 0)).toBe(true);

      // Every id once: nothing lost, nothing twice.
      const rows = await store.db.selectFrom('events').select('id').execute();
      expect(rows.length).toBe(EVENTS);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(events.map((e) => e.id)));

      // The incidents of one in-process correlation over the same events, in publish order.
      const correlator = createCorrelator(loadConfig({ file: cfg, env: {} }).correlation);
      const expected = new Set<string>();
      const byType: Record<string, number> = {};
      for (const e of events)
        for (const u of correlator.observe(e))
          if (u.created) {
            const k = u.state.keys;
            expected.add(incidentKey(u.state.type, k.ip, k.user, k.target));
            byType[u.state.type] = (byType[u.state.type] ?? 0) + 1;
          }
      expect(byType).toEqual(planned);
      const stored = await store.db
        .selectFrom('incidents')
        .select(['type', 'key_ip', 'key_user', 'key_target'])
        .execute();
      const storedKeys = stored.map((r) => incidentKey(r.type, r.key_ip, r.key_user, r.key_target));
      expect(storedKeys.length).toBe(new Set(storedKeys).size);
      const missing = [...expected].filter((k) => !storedKeys.includes(k));
      const extra = storedKeys.filter((k) => !expected.has(k));
      // Named in the log when they differ (the set comparison below shows only sizes).
      if (missing.length + extra.length > 0)
        process.stderr.write(
          `incidents missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}\n`,
        );
      expect(new Set(storedKeys)).toEqual(expected);

      process.stderr.write(
        `kill test (${engine}): victim pid ${victim!.proc.pid}${victimLed ? ' (the leader)' : ''}, survivors redelivered ` +
          `${finals.map((f) => f.redelivered).join('+')}, acked ${finals.map((f) => f.acked).join('+')}\n`,
      );
    },
    300_000,
  );
});
