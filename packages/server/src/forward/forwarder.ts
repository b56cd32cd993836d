/**
 * Alert and incident forwarding to external systems (SIEMs, chat): the pipeline hands over every
 * committed event and every persisted incident update; what qualifies (alerts: a block, a log or
 * findings; incidents: created, or their severity raised; each at or above the target's
 * `min_severity`) is formatted at once and queued per target. Delivery runs in the background with
 * bounded queues, retries and dead letters (delivery-queue.ts), so forwarding never holds up the
 * request path, and a slow or dead receiver costs drops (counted), not memory.
 */
import { randomUUID } from 'node:crypto';
import { SEVERITIES, type SecurityEvent, type Severity } from '@palisade/engine';
import type { ForwardConfig, SyslogTarget, WebhookTarget } from '../config/forward-config.js';
import type { Metric, Collector } from '../serve/metrics.js';
import { getIncident, incidentView, type Incident } from '../store/incidents.js';
import type { Store } from '../store/store.js';
import { LruMap } from '../correlate/state.js';
import type { PersistedIncident } from '../correlate/flow.js';
import { alertToCef, incidentToCef } from './cef.js';
import {
  createDeliveryQueue,
  type DeadLetter,
  type Delivery,
  type DeliveryQueue,
  type DeliveryStats,
} from './delivery-queue.js';
import { eventToOcsf, incidentToOcsf, productVersion } from './ocsf.js';
import { formatSyslog, SYSLOG_SEVERITY } from './syslog-message.js';
import { createSyslogSender, type SyslogSender } from './syslog-sender.js';
import { createWebhookSender } from './webhook-sender.js';

export interface ForwarderOptions {
  /** Reads the incidents to forward (the stored view: status and assignee included). */
  store: Store;
  log?: (line: string) => void;
  /** Product version in CEF headers and OCSF metadata (default the package's). */
  version?: string;
  /** 0..1 for the backoff jitter (tests). */
  random?: () => number;
}

export interface ForwarderStats {
  targets: Record<string, DeliveryStats>;
  /** Incidents not forwarded because too many reads were waiting (or one failed). */
  incident_reads_dropped: number;
}

export interface Forwarder {
  /** True when at least one target is configured (otherwise every call returns at once). */
  readonly enabled: boolean;
  /** A committed event: queued for the syslog targets when it is an alert at their severity. */
  alert(event: SecurityEvent): void;
  /** Persisted incident updates: created ones, and raised severities, go out. */
  incidents(list: readonly PersistedIncident[]): void;
  stats(): ForwarderStats;
  /** The newest dead-lettered deliveries (at most `dead_letter_max`), oldest first. */
  deadLetters(): readonly DeadLetter[];
  collector: Collector;
  /** Resolves when every queue is empty and nothing is in flight. */
  idle(): Promise<void>;
  /** Stops, giving queued deliveries up to `drainMs` (default 5 s) to go out. */
  close(drainMs?: number): Promise<void>;
}

const rank = (s: Severity): number => SEVERITIES.indexOf(s);
/** Incident reads waiting at most (each a small SELECT by id). */
const MAX_PENDING_READS = 256;

/** Slack's mrkdwn needs only these three escaped. */
const slackEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The one-line text of an incident (Slack `text`, and the JSON body's `text`). */
export function incidentText(i: Incident, raised: boolean): string {
  const keys = [
    i.keys.ip ? `source ${i.keys.ip}` : '',
    i.keys.user ? `user ${i.keys.user}` : '',
    i.keys.target ? `target ${i.keys.target}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const what = raised ? `severity raised to ${i.severity}` : 'new';
  return slackEscape(
    `[${i.severity.toUpperCase()}] Palisade incident #${i.id} ${i.type} (${what}): ${i.reason}` +
      (keys ? ` — ${keys}` : ''),
  );
}

interface Target {
  name: string;
  queue: DeliveryQueue;
  close(): void;
}

export function createForwarder(config: ForwardConfig, opts: ForwarderOptions): Forwarder {
  const log = opts.log ?? (() => undefined);
  const version = opts.version ?? productVersion();
  const dead: DeadLetter[] = [];
  const onDeadLetter = (d: DeadLetter) => {
    if (config.dead_letter_max > 0) {
      dead.push(d);
      if (dead.length > config.dead_letter_max) dead.shift();
    }
    log(`forward ${d.target}: gave up on ${d.kind} ${d.ref} after ${d.attempts} attempt(s): ${d.error}`);
  };
  const queueOf = (t: SyslogTarget | WebhookTarget, send: (d: Delivery) => Promise<void>) =>
    createDeliveryQueue({
      name: t.name,
      maxQueue: t.max_queue,
      maxAttempts: t.max_attempts,
      backoffMs: t.backoff_ms,
      maxBackoffMs: t.max_backoff_ms,
      send,
      onDeadLetter,
      ...(opts.random ? { random: opts.random } : {}),
    });

  const syslog = config.syslog.map((t) => {
    const sender: SyslogSender = createSyslogSender(t);
    return {
      cfg: t,
      name: t.name,
      queue: queueOf(t, (d) => sender.send(d.payload)),
      close: () => sender.close(),
    };
  });
  const webhooks = config.webhooks.map((t) => ({
    cfg: t,
    name: t.name,
    queue: queueOf(t, createWebhookSender(t, `Palisade/${version}`)),
    close: () => undefined,
  }));
  const all: Target[] = [...syslog, ...webhooks];
  const enabled = all.length > 0;
  const alertTargets = syslog.filter((t) => t.cfg.alerts);
  const incidentSyslog = syslog.filter((t) => t.cfg.incidents);
  const minAlert = Math.min(...alertTargets.map((t) => rank(t.cfg.min_severity)));
  /** Severity last seen per incident id: an update is forwarded only when it raised it. */
  const seen = new LruMap<number>(10_000);
  let pendingReads = 0;
  let readsDropped = 0;
  let reads: Promise<unknown> = Promise.resolve();
  let closed = false;

  function syslogLine(t: SyslogTarget, severity: Severity, time: number, msgId: string, msg: string): string {
    return formatSyslog(
      { facility: t.facility, severity: SYSLOG_SEVERITY[severity], time, msgId, msg },
      t.max_message_bytes,
    );
  }

  function forwardIncident(i: Incident, raised: boolean): void {
    const r = rank(i.severity);
    const ref = `incident ${i.id}`;
    const activity = raised ? 'update' : 'create';
    let ocsf: ReturnType<typeof incidentToOcsf> | undefined;
    const ocsfOf = () => (ocsf ??= incidentToOcsf(i, { version, activity }));
    const time = Date.parse(i.updated);
    for (const t of incidentSyslog) {
      if (r < rank(t.cfg.min_severity)) continue;
      const msg = t.cfg.format === 'cef' ? incidentToCef(i, version) : JSON.stringify(ocsfOf());
      t.queue.push({
        kind: 'incident',
        ref,
        severity: i.severity,
        payload: syslogLine(t.cfg, i.severity, time, 'incident', msg),
      });
    }
    const event = raised ? 'incident.severity_raised' : 'incident.created';
    const text = incidentText(i, raised);
    for (const t of webhooks) {
      if (r < rank(t.cfg.min_severity)) continue;
      const body =
        t.cfg.format === 'slack'
          ? JSON.stringify({ text })
          : JSON.stringify({ text, event, incident: incidentView(i), ocsf: ocsfOf() });
      t.queue.push({
        kind: 'incident',
        ref,
        severity: i.severity,
        payload: body,
        // One delivery id across retries, so a receiver can drop a repeat.
        meta: { event, delivery: randomUUID() },
      });
    }
  }

  const collector: Collector = () => {
    const metric = (
      name: string,
      help: string,
      type: Metric['type'],
      pick: (s: DeliveryStats) => number,
    ): Metric => ({
      name,
      help,
      type,
      samples: all.map((t) => ({ labels: { target: t.name }, value: pick(t.queue.stats()) })),
    });
    const dropped: Metric = {
      name: 'palisade_forward_dropped_total',
      help: 'Alerts and incidents not forwarded, by target and reason (queue_full, shutdown)',
      type: 'counter',
      samples: all.flatMap((t) =>
        Object.entries(t.queue.stats().dropped).map(([reason, value]) => ({
          labels: { target: t.name, reason },
          value,
        })),
      ),
    };
    return [
      metric(
        'palisade_forward_sent_total',
        'Alerts and incidents delivered, by target',
        'counter',
        (s) => s.sent,
      ),
      metric(
        'palisade_forward_failures_total',
        'Failed delivery attempts, by target',
        'counter',
        (s) => s.failed,
      ),
      metric(
        'palisade_forward_retries_total',
        'Delivery attempts retried after a failure, by target',
        'counter',
        (s) => s.retried,
      ),
      metric(
        'palisade_forward_dead_lettered_total',
        'Deliveries given up after the last attempt or a permanent refusal, by target',
        'counter',
        (s) => s.dead_lettered,
      ),
      metric('palisade_forward_queue_depth', 'Deliveries waiting, by target', 'gauge', (s) => s.queued),
      dropped,
    ];
  };

  return {
    enabled,
    alert(e) {
      if (!enabled || alertTargets.length === 0) return;
      if (e.action !== 'block' && e.action !== 'log' && e.findings.length === 0) return;
      const r = rank(e.severity);
      if (r < minAlert) return;
      try {
        const time = Date.parse(e.ts);
        let json: string | undefined;
        let cef: string | undefined;
        for (const t of alertTargets) {
          if (r < rank(t.cfg.min_severity)) continue;
          const msg =
            t.cfg.format === 'cef'
              ? (cef ??= alertToCef(e, version))
              : (json ??= JSON.stringify(eventToOcsf(e, { version }) ?? {}));
          t.queue.push({
            kind: 'alert',
            ref: e.id,
            severity: e.severity,
            payload: syslogLine(t.cfg, e.severity, Number.isNaN(time) ? Date.now() : time, 'alert', msg),
          });
        }
      } catch (err) {
        // Forwarding must never fail the event's own path.
        log(`forward: alert ${e.id} not formatted: ${(err as Error).message}`);
      }
    },
    incidents(list) {
      if (!enabled || closed) return;
      for (const p of list) {
        const before = seen.get(String(p.id));
        seen.set(String(p.id), Math.max(before ?? -1, rank(p.severity)));
        // An update of an incident not seen since start (a restart) is remembered, not forwarded:
        // whether it raised the severity is unknown.
        const raised = !p.created && before !== undefined && rank(p.severity) > before;
        if (!p.created && !raised) continue;
        if (pendingReads >= MAX_PENDING_READS) {
          readsDropped++;
          continue;
        }
        pendingReads++;
        // Reads run one after another, in the order the updates came.
        reads = reads
          .then(() => getIncident(opts.store, p.id))
          .then(
            (i) => {
              if (i && !closed) forwardIncident(i, raised);
            },
            (e: Error) => {
              readsDropped++;
              log(`forward: incident ${p.id} not read: ${e.message}`);
            },
          )
          .finally(() => pendingReads--);
      }
    },
    stats: () => ({
      targets: Object.fromEntries(all.map((t) => [t.name, t.queue.stats()])),
      incident_reads_dropped: readsDropped,
    }),
    deadLetters: () => [...dead],
    collector,
    async idle() {
      await reads;
      await Promise.all(all.map((t) => t.queue.idle()));
    },
    async close(drainMs = 5000) {
      await reads;
      closed = true;
      await Promise.all(all.map((t) => t.queue.close(drainMs)));
      for (const t of all) t.close();
    },
  };
}
