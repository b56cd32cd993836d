/**
 * The JetStream objects of a deployment, created or brought to the wanted limits idempotently (every
 * publisher and worker calls `ensureStreams` at start; concurrent calls converge):
 *
 * - `<PREFIX>_EVENTS` on `<prefix>.events.>`: file storage, a duplicate window (publishers set
 *   `Nats-Msg-Id` = event id, so a retried publish is stored once), limits on bytes, age and message
 *   size, and `discard: new` — when full, publishes fail (the publisher retries and counts) instead of
 *   old unconsumed events vanishing.
 * - `<PREFIX>_DLQ` on `<prefix>.dlq.>`: what the workers could not store, with the reason in headers;
 *   kept longer, `discard: old` so a flood of poison never blocks the workers.
 * - The durable pull consumer `palisade-workers` on the events stream (explicit ack) that every
 *   `palisade worker` shares, so N workers split the load.
 *
 * NATS 2.9 has no subject transforms, so nothing here relies on them.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { BusNames } from './bus-config.js';

export interface StreamLimits {
  /** Most bytes the events stream holds (default 8 GiB); beyond, publishes are refused. */
  maxBytes?: number;
  /** Oldest event kept (default 7 days), consumed or not. */
  maxAgeMs?: number;
  /** Largest message (default 1 MiB, NATS's default max_payload). */
  maxMsgBytes?: number;
  /** Publishes of the same event id within this window are stored once (default 10 minutes). */
  duplicateWindowMs?: number;
  /** Most bytes of dead letters (default 1 GiB) and their age (default 30 days). */
  dlqMaxBytes?: number;
  dlqMaxAgeMs?: number;
}

export interface WorkerConsumerOptions {
  /** Time a worker has to ack a delivered message before it is redelivered (default 30 s). */
  ackWaitMs?: number;
  /** Deliveries per message (default 5); the last failing one goes to the DLQ. */
  maxDeliver?: number;
  /** Messages delivered and not yet acked, over all workers (default 20,000). */
  maxAckPending?: number;
}

export const STREAM_DEFAULTS = Object.freeze({
  maxBytes: 8 * 1024 ** 3,
  maxAgeMs: 7 * 86_400_000,
  maxMsgBytes: 1024 * 1024,
  duplicateWindowMs: 10 * 60_000,
  dlqMaxBytes: 1024 ** 3,
  dlqMaxAgeMs: 30 * 86_400_000,
});

export const CONSUMER_DEFAULTS = Object.freeze({ ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 20_000 });

function isNotFound(e: unknown): boolean {
  const err = e as { message?: string; code?: number | string; api_error?: { err_code?: number } };
  return (
    err?.api_error?.err_code === 10059 || // stream not found
    err?.api_error?.err_code === 10014 || // consumer not found
    /not found/i.test(String(err?.message ?? ''))
  );
}

/** Creates the events and DLQ streams, or updates their limits; safe to call from every process. */
export async function ensureStreams(
  jsm: JetStreamManager,
  names: BusNames,
  limits: StreamLimits = {},
): Promise<void> {
  const l = { ...STREAM_DEFAULTS, ...limits };
  const events: Partial<StreamConfig> & { name: string } = {
    name: names.eventsStream,
    subjects: [names.eventsSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_bytes: l.maxBytes,
    max_age: nanos(l.maxAgeMs),
    max_msg_size: l.maxMsgBytes,
    duplicate_window: nanos(Math.min(l.duplicateWindowMs, l.maxAgeMs)),
    num_replicas: 1,
  };
  const dlq: Partial<StreamConfig> & { name: string } = {
    name: names.dlqStream,
    subjects: [names.dlqSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_bytes: l.dlqMaxBytes,
    max_age: nanos(l.dlqMaxAgeMs),
    duplicate_window: nanos(Math.min(l.duplicateWindowMs, l.dlqMaxAgeMs)),
    num_replicas: 1,
  };
  for (const cfg of [events, dlq]) await ensureStream(jsm, cfg);
}

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }) {
  let exists = true;
  try {
    await jsm.streams.info(cfg.name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    exists = false;
  }
  if (!exists) {
    try {
      await jsm.streams.add(cfg);
      return;
    } catch (e) {
      // Another process created it between the two calls: update it like an existing one.
      if (!/already in use|exists/i.test(String((e as Error).message))) throw e;
    }
  }
  // Storage and retention cannot change on an existing stream; the rest is brought to the wanted limits.
  const { name, storage: _s, retention: _r, ...update } = cfg;
  await jsm.streams.update(name, update);
}

/** Creates (or updates) the shared durable pull consumer of the workers. */
export async function ensureWorkerConsumer(
  jsm: JetStreamManager,
  names: BusNames,
  opts: WorkerConsumerOptions = {},
): Promise<ConsumerInfo> {
  const o = { ...CONSUMER_DEFAULTS, ...opts };
  const cfg = {
    durable_name: names.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.eventsSubjects,
    ack_wait: nanos(o.ackWaitMs),
    max_deliver: o.maxDeliver,
    max_ack_pending: o.maxAckPending,
  };
  try {
    const info = await jsm.consumers.info(names.eventsStream, names.consumer);
    const c = info.config;
    if (
      c.ack_wait === cfg.ack_wait &&
      c.max_deliver === cfg.max_deliver &&
      c.max_ack_pending === cfg.max_ack_pending
    )
      return info;
    const { durable_name: _d, ack_policy: _a, deliver_policy: _p, filter_subject: _f, ...update } = cfg;
    return await jsm.consumers.update(names.eventsStream, names.consumer, update);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    return await jsm.consumers.add(names.eventsStream, cfg);
  } catch (e) {
    // Created by another worker meanwhile.
    if (/already exists|in use/i.test(String((e as Error).message)))
      return jsm.consumers.info(names.eventsStream, names.consumer);
    throw e;
  }
}

/** Deletes both streams (tests, `--reset`); absent ones are ignored. */
export async function deleteStreams(jsm: JetStreamManager, names: BusNames): Promise<void> {
  for (const s of [names.eventsStream, names.dlqStream]) {
    try {
      await jsm.streams.delete(s);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
