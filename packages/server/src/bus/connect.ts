/**
 * Opening the NATS connection of a publisher or worker: a clear PAL_ERR_BUS_UNAVAILABLE when the
 * server cannot be reached or has no JetStream, and reconnection for ever once connected (a NATS
 * restart must not end a worker; unacked messages are redelivered anyway).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { PalisadeError } from '../errors.js';

export interface BusConnection {
  nc: NatsConnection;
  jsm: JetStreamManager;
}

/** Connects to `url` (comma-separated servers) and checks that JetStream answers. */
export async function connectBus(
  url: string,
  opts: { name?: string; timeoutMs?: number } = {},
): Promise<BusConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url.split(','),
      name: opts.name ?? 'palisade',
      timeout: opts.timeoutMs ?? 5000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
  } catch (e) {
    throw new PalisadeError(
      'PAL_ERR_BUS_UNAVAILABLE',
      `cannot connect to NATS at ${redact(url)}: ${(e as Error).message}`,
    );
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: opts.timeoutMs ?? 5000 });
    return { nc, jsm };
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw new PalisadeError(
      'PAL_ERR_BUS_UNAVAILABLE',
      `NATS at ${redact(url)} has no JetStream: ${(e as Error).message}`,
    );
  }
}

/** The address without user:password (never in logs). */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//***@');
}
