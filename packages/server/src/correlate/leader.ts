/**
 * The correlation leader of a scale-out deployment. Several `palisade worker` processes insert
 * events into one store, each a share of the stream; correlation cannot be split the same way —
 * brute force keys on the source, distributed brute force on the account, DDoS on the target — so
 * exactly one process correlates, over the shared store:
 *
 * - Election: a lease in the store (store/leases.ts), renewed every third of its time; when the
 *   holder dies it lapses and another worker takes it over.
 * - Input: the events in commit order (store/events.ts `eventsCommittedAfter`: SQLite's rowid,
 *   PostgreSQL's `seq` drawn under the event-write lock), from the lease's checkpoint on, through
 *   the same correlator and incident flow as `serve` (correlate/flow.ts).
 * - Output: incident upserts are idempotent by `ref`, which depends only on the events observed, in
 *   order; the checkpoint moves only after they are committed, fenced by the lease.
 * - Take-over: the new leader first replays, without writing, the events before the checkpoint
 *   whose event time or commit time lies within `horizon` of the checkpoint's (the longest window
 *   plus cool-down of the enabled rules, at most `maxWarmupMs`), so its windows and open incidents
 *   are those the old leader had — also for the late part of an attack whose first events were
 *   committed long before (a redelivered batch): an attack that
 *   straddles the change of leader is one incident, not two, and events after the old leader's
 *   last checkpoint are observed again with the same result (at-least-once input, exactly-once
 *   effect). Rule state older than the horizon (e.g. a day of concurrent-login sessions), or
 *   beyond the last `maxWarmupEvents` events, is not carried over.
 */
import { eventsCommittedAfter, eventTimesAtSeq } from '../store/events.js';
import { acquireLease, releaseLease, renewLease } from '../store/leases.js';
import type { Store } from '../store/store.js';
import type { CorrelationConfig } from './config.js';
import { createIncidentFlow, type IncidentFlow, type PersistedIncident } from './flow.js';

export const CORRELATOR_LEASE = 'correlator';

/** Events read per page; a tick reads at most `MAX_PAGES` pages before yielding. */
const PAGE = 500;
const MAX_PAGES = 20;

export interface LeaderOptions {
  /** Who we are in the lease table (host:pid:random). */
  holder: string;
  log?: (line: string) => void;
  /** Lease time; renewed every third of it. Default 10 s. */
  leaseMs?: number;
  /** How often to look for new events (and for a free lease). Default 250 ms. */
  pollMs?: number;
  /** Upper bound of the warm-up replay on take-over. Default 2 h of event (or commit) time. */
  maxWarmupMs?: number;
  /** And of the events it replays: at most this many before the checkpoint. Default 500,000. */
  maxWarmupEvents?: number;
  /** Called after the correlator placed a ban (the worker reloads its ban cache). */
  onBan?: () => void;
  /**
   * Where the configuration comes from after the start (the one saved through the API): polled
   * every `configEveryMs` (10 s); a new version takes effect at once — the leader rebuilds its state
   * under it from the last checkpoint (windows start afresh, as in `serve`).
   */
  loadConfig?: () => Promise<{ version: number; config: CorrelationConfig }>;
  configEveryMs?: number;
  /** Told about incident updates once committed (alert forwarding: pipeline.forwarder.incidents). */
  onPersisted?: (persisted: readonly PersistedIncident[]) => void;
  now?: () => number;
}

export interface LeaderStats {
  leading: boolean;
  /** Times this process became leader. */
  takeovers: number;
  /** Commit sequence of the last event observed and committed. */
  checkpoint: number;
  observed: number;
  /** Events replayed to rebuild state on take-over. */
  warmed: number;
  opened: number;
  updated: number;
  persist_failed: number;
  errors: number;
}

export interface CorrelationLeader {
  isLeader(): boolean;
  stats(): LeaderStats;
  /** Waits for the tick in progress, gives the lease up (keeping the checkpoint) and stops. */
  stop(): Promise<void>;
}

/** How far back a new leader replays: the longest window + cool-down of the enabled rules. */
export function warmupHorizonMs(config: CorrelationConfig, maxMs: number): number {
  let longest = 0;
  for (const rule of Object.values(config) as unknown[]) {
    if (typeof rule !== 'object' || rule === null) continue;
    const r = rule as Record<string, unknown>;
    if (r.enabled === false) continue;
    const s = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
    longest = Math.max(longest, (Math.max(s('window_s'), s('session_ttl_s')) + s('cooldown_s')) * 1000);
  }
  return Math.min(longest, maxMs);
}

export function startCorrelationLeader(
  store: Store,
  initial: CorrelationConfig,
  opts: LeaderOptions,
): CorrelationLeader {
  let config = initial;
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? Date.now;
  const leaseMs = Math.max(1000, opts.leaseMs ?? 10_000);
  const pollMs = Math.max(10, opts.pollMs ?? 250);
  let horizon = warmupHorizonMs(config, opts.maxWarmupMs ?? 2 * 3600_000);
  let configVersion: number | undefined;
  let configCheckedMs = -Infinity;
  const configEveryMs = Math.max(100, opts.configEveryMs ?? 10_000);
  const st: LeaderStats = {
    leading: false,
    takeovers: 0,
    checkpoint: 0,
    observed: 0,
    warmed: 0,
    opened: 0,
    updated: 0,
    persist_failed: 0,
    errors: 0,
  };
  let flow: IncidentFlow | undefined;
  let expires = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  /** Rebuilds the windows from the events before `checkpoint` within the horizon, writing nothing. */
  async function warmUp(f: IncidentFlow, checkpoint: number): Promise<void> {
    if (checkpoint <= 0 || horizon <= 0) return;
    const last = await eventTimesAtSeq(store, checkpoint);
    if (last === undefined) return;
    // Recent by event time, and recent by commit: an event that reaches the store late (a worker
    // held it, then died: JetStream redelivered it after ack_wait) still finds the earlier events
    // of its window in the state.
    const since = { tsMs: last.tsMs - horizon, createdMs: last.createdMs - horizon };
    let after = Math.max(0, checkpoint - (opts.maxWarmupEvents ?? 500_000));
    for (;;) {
      const page = await eventsCommittedAfter(store, after, PAGE, { upto: checkpoint, since });
      if (page.events.length === 0) return;
      const turn = f.take();
      await turn.ready;
      turn.observe(page.events);
      st.warmed += page.events.length;
      after = page.last;
    }
  }

  function lose(why: string): void {
    if (st.leading) log(`correlation leader: ${why}; stepping down`);
    st.leading = false;
    flow = undefined;
  }

  /** Picks up a changed configuration; a leader then steps down and at once takes its lease again. */
  async function refreshConfig(): Promise<void> {
    if (opts.loadConfig === undefined || now() - configCheckedMs < configEveryMs) return;
    configCheckedMs = now();
    const next = await opts.loadConfig();
    if (configVersion === undefined) configVersion = next.version;
    if (next.version === configVersion) return;
    configVersion = next.version;
    config = next.config;
    horizon = warmupHorizonMs(config, opts.maxWarmupMs ?? 2 * 3600_000);
    lose(`configuration version ${next.version}`);
  }

  /** One round: become leader if the lease is free, else renew it and correlate what is new. */
  async function tick(): Promise<boolean> {
    await refreshConfig();
    if (!st.leading || flow === undefined) {
      const lease = await acquireLease(store, CORRELATOR_LEASE, opts.holder, leaseMs, now());
      if (lease === undefined) return false;
      expires = lease.expires_ms;
      const f = createIncidentFlow(store, config, {
        log,
        now,
        onBan: opts.onBan,
        onPersisted: opts.onPersisted,
      });
      await warmUp(f, lease.checkpoint);
      flow = f;
      st.checkpoint = lease.checkpoint;
      st.leading = true;
      st.takeovers++;
      log(`correlation leader: ${opts.holder} leads from event sequence ${lease.checkpoint}`);
    }
    const f = flow;
    for (let pages = 0; pages < MAX_PAGES && !stopped; pages++) {
      // Never work on a lease about to lapse: renew first (below), or step down.
      if (now() > expires - leaseMs / 3) {
        if (!(await renewLease(store, CORRELATOR_LEASE, opts.holder, leaseMs, now()))) {
          lose('lease taken over');
          return false;
        }
        expires = now() + leaseMs;
      }
      const page = await eventsCommittedAfter(store, st.checkpoint, PAGE);
      if (page.events.length === 0) return false;
      const failedBefore = f.counters.persist_failed;
      const turn = f.take();
      await turn.ready;
      const updates = turn.observe(page.events);
      await f.persist(updates);
      await f.idle();
      st.persist_failed = f.counters.persist_failed;
      if (f.counters.persist_failed > failedBefore) {
        // The checkpoint stays; the next round rebuilds the state and observes the page again.
        lose('incident write failed');
        return false;
      }
      st.observed += page.events.length;
      st.opened = Object.values(f.counters.opened).reduce((a, b) => a + b, 0);
      st.updated = f.counters.updated;
      if (!(await renewLease(store, CORRELATOR_LEASE, opts.holder, leaseMs, now(), page.last))) {
        lose('lease taken over');
        return false;
      }
      expires = now() + leaseMs;
      st.checkpoint = page.last;
      if (page.events.length < PAGE) return false;
    }
    return true;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().then(
        (more) => schedule(more ? 0 : pollMs),
        (e: unknown) => {
          st.errors++;
          log(`correlation leader: ${(e as Error).message}`);
          lose('error');
          schedule(pollMs);
        },
      );
    }, delay);
    timer.unref?.();
  }
  schedule(0);

  return {
    isLeader: () => st.leading,
    stats: () => ({ ...st }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await flow?.idle();
      if (st.leading) await releaseLease(store, CORRELATOR_LEASE, opts.holder, now()).catch(() => undefined);
      st.leading = false;
    },
  };
}
