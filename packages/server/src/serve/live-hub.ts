/**
 * The live stream's hub (`GET /api/v1/stream`): the pipeline publishes each event once it is
 * committed and each incident once its update is committed, so a client never sees what could
 * still be lost; every subscribed client gets the Server-Sent Events frames its filter matches.
 * With no subscriber a publish costs one comparison; otherwise a frame is serialised once per
 * publish, not once per client. A client's unsent bytes are bounded: one that falls behind is
 * dropped with a final `event: overflow` and counted, so a slow reader costs bounded memory.
 * Events reach the hub from the store tail (live-tail.ts) only; incidents from the tail and from
 * the analyst's PATCH, so the hub drops an incident version it already sent (or an older one),
 * remembering the last version of at most `INCIDENT_MEMORY` incidents.
 */
import { SEVERITIES, type Action, type SecurityEvent, type Severity } from '@palisade/engine';
import type { Keyring } from '../store/crypto.js';
import {
  eventToRow,
  findingRows,
  honeypotRow,
  rowToEvent,
  rowToFinding,
  type HoneypotRow,
} from '../store/event-rows.js';
import { incidentView, type Incident } from '../store/incidents.js';
import type { EventRow } from '../store/schema.js';

/** What a client asks for; every field given must match (severity is a minimum, as in the events list). */
export interface LiveFilter {
  /** Events with a finding of this class (incidents are not filtered by class). */
  class?: string;
  severity?: Severity;
  /** Events with this action (incidents are not filtered by action). */
  action?: Action;
}

/** One open stream, as the hub writes to it (the route adapts an HTTP response). */
export interface LiveClient {
  write(frame: string): void;
  /** Bytes written but not yet handed to the peer. */
  buffered(): number;
  /** Writes a last frame and ends the stream. */
  end(frame: string): void;
}

export interface LiveHubOptions {
  /** Most streams open at once; more are refused. Default 100. */
  maxClients?: number;
  /** Unsent bytes one client may hold before it is dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Interval of the `: ping` comment that keeps idle connections open. Default 15 s. */
  pingMs?: number;
}

export interface LiveStats {
  clients: number;
  /** Frames written to clients, by type. */
  sent: { event: number; incident: number };
  /** Clients dropped, by reason. */
  dropped: { overflow: number };
  /** Streams refused, by reason. */
  refused: { limit: number };
}

export interface LiveHub {
  /** Clients subscribed now. */
  readonly clients: number;
  publishEvent(event: SecurityEvent): void;
  /** Sends an incident unless this version of it (or a newer one) was already sent. */
  publishIncident(incident: Incident): void;
  /** Subscribes a client; undefined when `maxClients` streams are open. Returns the unsubscribe. */
  subscribe(client: LiveClient, filter: LiveFilter): (() => void) | undefined;
  stats(): LiveStats;
  /** Calls `listener` with the number of clients whenever a client subscribes or leaves. */
  onClients(listener: (clients: number) => void): void;
  /** Ends every stream (shutdown). */
  close(): void;
}

const OVERFLOW_FRAME = 'event: overflow\ndata: {"reason":"slow_consumer"}\n\n';
const PING_FRAME = ': ping\n\n';
/** Incidents whose last sent version the hub remembers (oldest forgotten first). */
const INCIDENT_MEMORY = 10_000;

/** What tells two versions of an incident apart (an update in the same millisecond changes `count`). */
const incidentVersion = (i: Incident): string =>
  `${i.updated}|${i.count}|${i.status}|${i.severity}|${i.assignee ?? ''}`;

interface Subscriber {
  client: LiveClient;
  class: string | undefined;
  action: Action | undefined;
  /** Index in SEVERITIES of the lowest severity wanted. */
  minSeverity: number;
}

/**
 * An event as the events list shows it: mapped to its row and back with the store's own mapping,
 * so the fields are exactly the list's, without the raw payload and the honeypot password (those
 * leave only on purpose, with the raw scope). The keyring is not used: nothing is sealed.
 */
export function eventSummary(e: SecurityEvent, keyring: Keyring): SecurityEvent {
  const bare: SecurityEvent = { ...e };
  delete bare.raw;
  if (e.honeypot) {
    bare.honeypot = { ...e.honeypot };
    delete bare.honeypot.password;
  }
  const row = eventToRow(bare, 0, 0, keyring, 0) as EventRow;
  const hp = honeypotRow(bare, 0, keyring);
  return rowToEvent(row, {
    source: e.source,
    findings: findingRows(bare).map((f) => rowToFinding({ id: 0, ...f })),
    honeypot: hp && ({ id: 0, ...hp } as HoneypotRow),
  });
}

export function createLiveHub(keyring: Keyring, opts: LiveHubOptions = {}): LiveHub {
  const maxClients = opts.maxClients ?? 100;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  const pingMs = opts.pingMs ?? 15_000;
  const subs = new Set<Subscriber>();
  const stats: Omit<LiveStats, 'clients'> = {
    sent: { event: 0, incident: 0 },
    dropped: { overflow: 0 },
    refused: { limit: 0 },
  };
  let seq = 0;
  let pinger: NodeJS.Timeout | undefined;
  const listeners: ((clients: number) => void)[] = [];
  const notify = () => {
    for (const l of listeners) l(subs.size);
  };
  /** Incident id → last version sent. */
  const sentIncidents = new Map<number, string>();

  const remove = (s: Subscriber): boolean => {
    if (!subs.delete(s)) return false;
    if (subs.size === 0 && pinger) {
      clearInterval(pinger);
      pinger = undefined;
    }
    notify();
    return true;
  };

  /** Writes a frame; a client that holds too many unsent bytes is dropped. */
  const send = (s: Subscriber, frame: string): boolean => {
    s.client.write(frame);
    if (s.client.buffered() <= maxBuffered) return true;
    remove(s);
    stats.dropped.overflow++;
    s.client.end(OVERFLOW_FRAME);
    return false;
  };

  function publish(type: 'event' | 'incident', match: (s: Subscriber) => boolean, data: () => unknown): void {
    let frame: string | undefined;
    for (const s of subs) {
      if (!match(s)) continue;
      frame ??= `id: ${++seq}\nevent: ${type}\ndata: ${JSON.stringify(data())}\n\n`;
      if (send(s, frame)) stats.sent[type]++;
    }
  }

  return {
    get clients() {
      return subs.size;
    },
    publishEvent(e) {
      if (subs.size === 0) return;
      const severity = SEVERITIES.indexOf(e.severity);
      publish(
        'event',
        (s) =>
          severity >= s.minSeverity &&
          (s.action === undefined || s.action === e.action) &&
          (s.class === undefined || e.findings.some((f) => f.class === s.class)),
        () => eventSummary(e, keyring),
      );
    },
    publishIncident(i) {
      if (subs.size === 0) return;
      const version = incidentVersion(i);
      const prev = sentIncidents.get(i.id);
      // An older version can come late: the tail's read began before the PATCH committed.
      if (prev !== undefined && (prev === version || prev.slice(0, prev.indexOf('|')) > i.updated)) return;
      sentIncidents.delete(i.id);
      sentIncidents.set(i.id, version);
      if (sentIncidents.size > INCIDENT_MEMORY) sentIncidents.delete(sentIncidents.keys().next().value!);
      const severity = SEVERITIES.indexOf(i.severity);
      publish(
        'incident',
        (s) => severity >= s.minSeverity,
        () => incidentView(i),
      );
    },
    subscribe(client, filter) {
      if (subs.size >= maxClients) {
        stats.refused.limit++;
        return undefined;
      }
      const s: Subscriber = {
        client,
        class: filter.class,
        action: filter.action,
        minSeverity: filter.severity === undefined ? 0 : Math.max(0, SEVERITIES.indexOf(filter.severity)),
      };
      subs.add(s);
      pinger ??= setInterval(() => {
        for (const sub of subs) send(sub, PING_FRAME);
      }, pingMs).unref();
      notify();
      return () => void remove(s);
    },
    stats: () => ({
      clients: subs.size,
      sent: { ...stats.sent },
      dropped: { ...stats.dropped },
      refused: { ...stats.refused },
    }),
    onClients(listener) {
      listeners.push(listener);
    },
    close() {
      for (const s of [...subs]) {
        remove(s);
        s.client.end('');
      }
    },
  };
}
