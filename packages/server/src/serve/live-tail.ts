/**
 * The live stream's store tail: while the hub has a client, every `everyMs` (250 ms) it reads the
 * events and incidents committed since its last read and publishes them. It is the only path of
 * events to the stream, so an event written by any process on the same database — `palisade proxy
 * --db`, `palisade ingest --follow`, this `serve` — reaches it exactly once, only once committed,
 * in commit order; the price is up to `everyMs` of latency, against a second path and a dedupe.
 * Events follow the commit sequence (store/events.ts: SQLite's rowid, PostgreSQL's `seq` drawn under
 * the event-write lock; no replay of history: it starts at the newest when the first client arrives). Incidents follow `updated_ms` with a
 * look-back of `LOOKBACK_MS`, since the time is taken before the commit; the hub drops a version it
 * already sent (also the analyst's PATCH, pushed at once). Errors are counted, logged without
 * payloads and retried at the next tick; polling stops with the last client and at `close()`.
 */
import { eventsCommittedAfter, lastEventSeq, LIST_LIMIT_MAX } from '../store/events.js';
import { incidentsUpdatedSince, lastIncidentUpdateMs } from '../store/incidents.js';
import type { Store } from '../store/store.js';
import type { LiveHub } from './live-hub.js';

/** How far back incidents are re-read: an update stamped before its commit shows up late. */
const LOOKBACK_MS = 2000;
/** Most pages (of `LIST_LIMIT_MAX` rows) one tick reads per table; the rest waits for the next. */
const MAX_PAGES = 10;

export interface LiveTailStats {
  polls: number;
  /** Failed reads, by table. */
  errors: { events: number; incidents: number };
}

export interface LiveTail {
  stats(): LiveTailStats;
  /** Stops polling; resolves when a read in progress has finished. */
  close(): Promise<void>;
}

interface Cursor {
  /** Commit sequence of the last event published. */
  events: number;
  /** Keyset `(updated_ms, id)` the next incident read starts after. */
  incidentMs: number;
  incidentId: number;
  /** Newest `updated_ms` seen, and the one when the tail started (nothing older is published). */
  newestMs: number;
  startMs: number;
}

export function startLiveTail(
  store: Store,
  hub: LiveHub,
  opts: { everyMs?: number; log: (line: string) => void },
): LiveTail {
  const everyMs = opts.everyMs ?? 250;
  const stats: LiveTailStats = { polls: 0, errors: { events: 0, incidents: 0 } };
  let cursor: Cursor | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  /** Bumped when the last client leaves: a start still reading then belongs to no client. */
  let generation = 0;

  const failed = (table: 'events' | 'incidents', e: unknown) => {
    stats.errors[table]++;
    opts.log(`live tail: reading ${table} failed: ${e instanceof Error ? e.message : String(e)}`);
  };

  async function start(): Promise<Cursor> {
    const [events, ms] = await Promise.all([lastEventSeq(store), lastIncidentUpdateMs(store)]);
    return { events, incidentMs: ms, incidentId: Number.MAX_SAFE_INTEGER, newestMs: ms, startMs: ms };
  }

  async function pollEvents(c: Cursor): Promise<void> {
    for (let page = 0; page < MAX_PAGES; page++) {
      const { events, last } = await eventsCommittedAfter(store, c.events, LIST_LIMIT_MAX);
      c.events = last;
      for (const e of events) hub.publishEvent(e);
      if (events.length < LIST_LIMIT_MAX) return;
    }
  }

  async function pollIncidents(c: Cursor): Promise<void> {
    for (let page = 0; page < MAX_PAGES; page++) {
      const list = await incidentsUpdatedSince(store, c.incidentMs, c.incidentId, LIST_LIMIT_MAX);
      for (const i of list) hub.publishIncident(i);
      const last = list.at(-1);
      if (last) c.newestMs = Math.max(c.newestMs, Date.parse(last.updated));
      if (last && list.length === LIST_LIMIT_MAX) {
        c.incidentMs = Date.parse(last.updated);
        c.incidentId = last.id;
        continue;
      }
      // Re-read the look-back window next time, never before the start (no replay of history).
      const from = c.newestMs - LOOKBACK_MS;
      if (from > c.startMs) [c.incidentMs, c.incidentId] = [from, 0];
      else [c.incidentMs, c.incidentId] = [c.startMs, Number.MAX_SAFE_INTEGER];
      return;
    }
  }

  async function tick(): Promise<void> {
    if (hub.clients === 0 || closed) return;
    stats.polls++;
    const c = cursor;
    if (c === undefined) {
      const gen = generation;
      try {
        const started = await start();
        if (gen === generation) cursor = started;
      } catch (e) {
        failed('events', e);
      }
      return;
    }
    // A cursor replaced meanwhile (the last client left) is dropped with what it read.
    await pollEvents(c).catch((e: unknown) => failed('events', e));
    await pollIncidents(c).catch((e: unknown) => failed('incidents', e));
  }

  function schedule(delayMs: number): void {
    if (closed || timer !== undefined || running !== undefined || hub.clients === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = tick().finally(() => {
        running = undefined;
        schedule(everyMs);
      });
    }, delayMs);
  }

  hub.onClients((clients) => {
    if (clients > 0) return schedule(0);
    clearTimeout(timer);
    timer = undefined;
    cursor = undefined;
    generation++;
  });

  return {
    stats: () => ({ polls: stats.polls, errors: { ...stats.errors } }),
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
