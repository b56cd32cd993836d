/**
 * The correlation stage of the pipeline: events are observed in the order they were submitted (an
 * ordered turn, so enrichment finishing out of order cannot reorder them), incident updates are
 * persisted one transaction at a time after their events are committed (the live stream reads them
 * from the store), and the active response bans the sources of incidents whose policy says so.
 */
import { CidrSet, normalizeCidr, type SecurityEvent, type Severity } from '@palisade/engine';
import type { Store } from '../store/store.js';
import { applyIncidentUpdates } from '../store/incidents.js';
import { addBan, hasActiveBan } from '../store/bans.js';
import type { CorrelationConfig, ResponseConfig } from './config.js';
import { createCorrelator, type Correlator } from './correlator.js';
import { LruMap } from './state.js';
import type { IncidentState, IncidentUpdate } from './types.js';

export interface IncidentFlowCounters {
  /** Incidents opened, by type. */
  opened: Record<string, number>;
  updated: number;
  bans: number;
  /** Bans not placed: allow-listed, stale incident, no ip. */
  bans_skipped: Record<string, number>;
  persist_failed: number;
  duplicate_events: number;
}

export interface IncidentFlow {
  readonly correlator: Correlator;
  /**
   * Takes the next turn in submission order: call `take()` when the event is submitted; once it is
   * enriched, `await turn.ready` then `turn.observe(event)` (or `turn.skip()` when it is not to be
   * observed). Returns the updates to persist after the event commits.
   */
  take(): Turn;
  /** Persists updates (serialised) and runs the response; resolves when committed. */
  persist(updates: IncidentUpdate[]): Promise<void>;
  /** Replaces the configuration; windows and open incidents start afresh. */
  setConfig(config: CorrelationConfig): void;
  counters: IncidentFlowCounters;
  /** Resolves when every persist so far is done. */
  idle(): Promise<void>;
}

/** An incident update as committed (what forwarding reads). */
export interface PersistedIncident {
  id: number;
  created: boolean;
  severity: Severity;
}

export interface Turn {
  /** Resolves when every earlier turn has observed or skipped. */
  ready: Promise<void>;
  /** Observes one event, or a batch in its order. */
  observe(events: SecurityEvent | readonly SecurityEvent[]): IncidentUpdate[];
  skip(): void;
}

/** Recently observed event ids: a retried submit is not counted twice. */
const SEEN_IDS = 8192;

export function createIncidentFlow(
  store: Store,
  config: CorrelationConfig,
  opts: {
    log?: (line: string) => void;
    now?: () => number;
    onBan?: () => void;
    /** Told about every update once committed (alert forwarding); must return at once. */
    onPersisted?: (persisted: readonly PersistedIncident[]) => void;
  } = {},
): IncidentFlow {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? Date.now;
  let correlator = createCorrelator(config);
  let allow = allowList(config.response);
  const seen = new LruMap<true>(SEEN_IDS);
  /** Incident refs already banned for (one ban per incident). */
  const banned = new LruMap<true>(10_000);
  const counters: IncidentFlowCounters = {
    opened: {},
    updated: 0,
    bans: 0,
    bans_skipped: {},
    persist_failed: 0,
    duplicate_events: 0,
  };
  let turn: Promise<void> = Promise.resolve();
  let chain: Promise<void> = Promise.resolve();
  /** Updates not written yet, by incident ref (the newest state, every new evidence id). */
  const pending = new Map<string, IncidentUpdate>();
  /** The flush that will write what is pending now. */
  let scheduled: Promise<void> | undefined;

  async function flush(): Promise<void> {
    scheduled = undefined;
    const updates = [...pending.values()];
    pending.clear();
    const r = config.response;
    try {
      const ids = await applyIncidentUpdates(store, updates, now());
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i]!;
        const id = ids[i]!;
        if (u.created) counters.opened[u.state.type] = (counters.opened[u.state.type] ?? 0) + 1;
        else counters.updated++;
        await respond(id, u.state, r).catch((e: Error) => log(`active response: ${e.message}`));
      }
      try {
        opts.onPersisted?.(
          updates.map((u, i) => ({ id: ids[i]!, created: u.created, severity: u.state.severity })),
        );
      } catch (e) {
        log(`incident listener: ${(e as Error).message}`);
      }
    } catch (e) {
      counters.persist_failed++;
      log(`incident write failed: ${(e as Error).message}`);
    }
  }

  async function respond(id: number, s: IncidentState, r: ResponseConfig): Promise<void> {
    const ttl = r.ban_ttl_s[s.type];
    if (!r.enabled || ttl === undefined || ttl <= 0 || banned.get(s.ref)) return;
    const skip = (why: string) => {
      counters.bans_skipped[why] = (counters.bans_skipped[why] ?? 0) + 1;
    };
    const ip = s.keys.ip;
    if (ip === undefined) return skip('no_ip');
    banned.set(s.ref, true);
    if (allow.has(ip)) return skip('allow_list');
    const until = s.last_seen + ttl * 1000;
    // Replaying an old log must not ban today: the ban runs from the attack's own time.
    if (until <= now()) return skip('stale');
    // A correlation leader that took over replays the incidents its predecessor already banned.
    if (await hasActiveBan(store, ip, `correlate:${s.type}`, now())) return skip('already_banned');
    await addBan(store, {
      value: ip,
      reason: `incident ${id}: ${s.type} — ${s.reason}`.slice(0, 500),
      source: `correlate:${s.type}`,
      created_by: 'correlator',
      until,
      now_ms: now(),
    });
    counters.bans++;
    opts.onBan?.();
  }

  return {
    get correlator() {
      return correlator;
    },
    counters,
    take() {
      const ready = turn;
      let done!: () => void;
      turn = new Promise<void>((r) => (done = r));
      let settled = false;
      const release = () => {
        if (!settled) {
          settled = true;
          // The next turn may run only after this one (and every earlier one) is done.
          void ready.then(done);
        }
      };
      return {
        ready,
        skip: release,
        observe(events) {
          try {
            const list = Array.isArray(events) ? events : [events as SecurityEvent];
            const out: IncidentUpdate[] = [];
            for (const event of list) {
              if (seen.get(event.id)) {
                counters.duplicate_events++;
                continue;
              }
              seen.set(event.id, true);
              for (const u of correlator.observe(event)) out.push(u);
            }
            return out;
          } finally {
            release();
          }
        },
      };
    },
    persist(updates) {
      if (updates.length === 0) return Promise.resolve();
      // Updates wait here and are written together: a flood that touches one incident per packet
      // costs one transaction per flush, not one per packet.
      for (const u of updates) {
        const p = pending.get(u.state.ref);
        if (p === undefined)
          pending.set(u.state.ref, { state: u.state, created: u.created, newEvidence: [...u.newEvidence] });
        else {
          p.state = u.state;
          p.created ||= u.created;
          for (const id of u.newEvidence) p.newEvidence.push(id);
        }
      }
      scheduled ??= chain = chain.then(flush);
      return scheduled;
    },
    setConfig(c) {
      config = c;
      correlator = createCorrelator(c);
      allow = allowList(c.response);
    },
    idle: () => chain,
  };
}

function allowList(r: ResponseConfig): CidrSet {
  const set = new CidrSet();
  for (const v of r.allow_list) {
    const c = normalizeCidr(v);
    if (c !== null) set.add(c);
  }
  return set;
}
