/**
 * Where events travel when Palisade scales out over NATS JetStream: the server address, the subject
 * prefix and the names derived from it (streams, subjects, the workers' durable consumer), checked
 * once. One prefix is one deployment: `palisade` gives the streams PALISADE_EVENTS and PALISADE_DLQ on
 * `palisade.events.>` and `palisade.dlq.>`; tests pick a unique prefix so runs never share a stream.
 *
 * Subjects: an event is published on `<prefix>.events.<kind>` (http, auth, system, network,
 * honeypot; `other` for anything else), so a consumer can filter by kind; a dead letter goes to
 * `<prefix>.dlq.events`.
 */
import { PalisadeError } from '../errors.js';

/** The subject token of each event kind (the stream takes `<prefix>.events.>`). */
const KINDS = new Set(['http', 'auth', 'system', 'network', 'honeypot']);

/** Default subject prefix (streams PALISADE_EVENTS / PALISADE_DLQ). */
export const DEFAULT_BUS_PREFIX = 'palisade';
/** The one durable pull consumer all `palisade worker` processes share. */
export const WORKER_CONSUMER = 'palisade-workers';

export interface BusNames {
  /** The NATS server(s), `nats://host:port` (comma-separated for a cluster). */
  url: string;
  prefix: string;
  /** Stream of events: `<PREFIX>_EVENTS` on `<prefix>.events.>`. */
  eventsStream: string;
  /** Stream of dead letters: `<PREFIX>_DLQ` on `<prefix>.dlq.>`. */
  dlqStream: string;
  eventsSubjects: string;
  dlqSubjects: string;
  /** Where the workers put a message they cannot store. */
  dlqSubject: string;
  consumer: string;
}

/** Checks a `nats://` address list; throws PAL_ERR_BUS_CONFIG naming the problem. */
export function checkBusUrl(url: unknown): string {
  if (typeof url !== 'string' || url.trim() === '')
    throw new PalisadeError('PAL_ERR_BUS_CONFIG', 'bus url: expected nats://HOST:PORT');
  const parts = url.split(',').map((s) => s.trim());
  if (parts.length > 16) throw new PalisadeError('PAL_ERR_BUS_CONFIG', 'bus url: at most 16 servers');
  for (const p of parts) {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw new PalisadeError('PAL_ERR_BUS_CONFIG', `bus url: not a URL: ${p.slice(0, 100)}`);
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:')
      throw new PalisadeError('PAL_ERR_BUS_CONFIG', `bus url: expected nats:// or tls://, got ${u.protocol}`);
  }
  return parts.join(',');
}

/** The names of one deployment; throws PAL_ERR_BUS_CONFIG for a bad prefix or url. */
export function busNames(o: { url: string; prefix?: string | undefined }): BusNames {
  const prefix = o.prefix ?? DEFAULT_BUS_PREFIX;
  // One subject token that also makes a valid stream name once upper-cased.
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(prefix))
    throw new PalisadeError(
      'PAL_ERR_BUS_CONFIG',
      `bus prefix: expected 1..64 letters, digits, _ or -, got ${JSON.stringify(String(prefix).slice(0, 80))}`,
    );
  const upper = prefix.toUpperCase().replace(/-/g, '_');
  return Object.freeze({
    url: checkBusUrl(o.url),
    prefix,
    eventsStream: `${upper}_EVENTS`,
    dlqStream: `${upper}_DLQ`,
    eventsSubjects: `${prefix}.events.>`,
    dlqSubjects: `${prefix}.dlq.>`,
    dlqSubject: `${prefix}.dlq.events`,
    consumer: WORKER_CONSUMER,
  });
}

/** The subject an event is published on: `<prefix>.events.<kind>`. */
export function eventSubject(prefix: string, kind: unknown): string {
  return `${prefix}.events.${typeof kind === 'string' && KINDS.has(kind) ? kind : 'other'}`;
}

/**
 * The bus of this process from the environment: PALISADE_BUS_URL (unset → none) and
 * PALISADE_BUS_PREFIX; a flag value wins over the variable.
 */
export function busFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  flags: { url?: string | undefined; prefix?: string | undefined } = {},
): BusNames | undefined {
  const url = flags.url ?? (env.PALISADE_BUS_URL || undefined);
  if (url === undefined) return undefined;
  return busNames({ url, prefix: flags.prefix ?? (env.PALISADE_BUS_PREFIX || undefined) });
}
