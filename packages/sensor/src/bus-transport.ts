/**
 * The third way events leave the sensor: published to NATS JetStream, where `palisade worker`
 * processes consume them into the store (scale-out, no collector on the request path's host).
 * The shipper still batches off the request path, bounds its buffer and retries with back-off; this
 * transport publishes one batch: every event on `<prefix>.events.<kind>` with `Nats-Msg-Id` = its
 * id, concurrently, and reports success once JetStream acknowledged each (PubAck). A batch retried
 * after a partial failure is stored once: the stream drops ids it saw within its duplicate window.
 * The NATS client is imported on first use, so a sensor without `bus` never loads it.
 *
 * The wire format (subject, msg id, JSON body) is the one of palisade's bus/publisher.ts; the
 * streams are created by `palisade worker` (until one ran, publishes fail and are retried).
 */
import type { SecurityEvent } from '@palisade/engine';
import type { SendOutcome, Transport } from './shipper.js';

const KINDS = new Set(['http', 'auth', 'system', 'network', 'honeypot']);

export interface CompiledBus {
  url: string;
  prefix: string;
  timeoutMs: number;
  /** Largest message published; larger events are refused (counted as rejected). */
  maxMessageBytes: number;
}

interface Conn {
  publish(subject: string, data: Uint8Array, msgID: string | undefined): Promise<void>;
  close(): Promise<void>;
}

export function busTransport(o: CompiledBus): { transport: Transport; close(): Promise<void> } {
  let conn: Promise<Conn> | null = null;
  let closed = false;
  const encoder = new TextEncoder();

  async function open(): Promise<Conn> {
    const [{ connect }, { jetstream }] = await Promise.all([
      import('@nats-io/transport-node'),
      import('@nats-io/jetstream'),
    ]);
    const nc = await connect({
      servers: o.url.split(','),
      name: 'palisade-sensor',
      timeout: o.timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
    const js = jetstream(nc);
    return {
      async publish(subject, data, msgID) {
        await js.publish(subject, data, { timeout: o.timeoutMs, ...(msgID ? { msgID } : {}) });
      },
      close: () => nc.drain().catch(() => nc.close()),
    };
  }

  const transport = async (events: SecurityEvent[]): Promise<SendOutcome> => {
    if (closed) return { ok: false, retry: false, reason: 'bus: closed' };
    let c: Conn;
    try {
      c = await (conn ??= open());
    } catch (err) {
      conn = null;
      return { ok: false, retry: true, reason: `bus: connect: ${(err as Error).message}`.slice(0, 200) };
    }
    let tooLarge = 0;
    const sends: Promise<void>[] = [];
    for (const e of events) {
      const data = encoder.encode(JSON.stringify(e));
      if (data.length > o.maxMessageBytes) {
        tooLarge++;
        continue;
      }
      const kind = typeof e.kind === 'string' && KINDS.has(e.kind) ? e.kind : 'other';
      const id = typeof e.id === 'string' && e.id !== '' ? e.id : undefined;
      sends.push(c.publish(`${o.prefix}.events.${kind}`, data, id));
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed)
      return {
        ok: false,
        retry: true,
        reason: `bus: ${String((failed.reason as Error)?.message ?? failed.reason)}`.slice(0, 200),
      };
    return tooLarge > 0
      ? { ok: true, rejected: tooLarge, reason: `event refused: over ${o.maxMessageBytes} bytes` }
      : { ok: true };
  };

  return {
    transport,
    async close() {
      closed = true;
      const c = conn;
      conn = null;
      if (c) await (await c.catch(() => null))?.close();
    },
  };
}
