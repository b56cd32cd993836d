/**
 * Training the anomaly model from the store: HTTP events that were allowed, since a time. The raw
 * request (head and body, Latin-1, sealed at rest) is decrypted and read back into a request; an
 * event without one is rebuilt from its method, path, query and the headers the row keeps.
 */
import {
  trainAnomalyModel,
  type AnomalyModel,
  type RequestRecord,
  type TrainAnomalyOptions,
} from '@palisade/engine';
import type { Store } from '../store/store.js';
import { iterateStoredRequests } from '../store/stored-requests.js';

export interface TrainStoreOptions extends TrainAnomalyOptions {
  /** Events at or after this time (epoch ms). */
  sinceMs: number;
  /** Events before this time (epoch ms); default: no bound. */
  untilMs?: number;
}

/** Counts of a training run over the store. */
export interface TrainStoreStats {
  /** Allowed HTTP events read. */
  events: number;
  /** Of those, rebuilt from the raw request. */
  fromRaw: number;
  /** Rebuilt from the row's fields (no raw request kept). */
  fromFields: number;
  /** Raw requests that could not be decrypted or read (key missing, tag failed, no request line). */
  unreadable: number;
}

/**
 * Trains an anomaly model on the allowed HTTP events of the store since `sinceMs`, oldest first,
 * at most `maxRequests` (default 200,000) of them.
 */
export async function trainAnomalyFromStore(
  store: Store,
  opts: TrainStoreOptions,
): Promise<{ model: AnomalyModel; stats: TrainStoreStats }> {
  const stats: TrainStoreStats = { events: 0, fromRaw: 0, fromFields: 0, unreadable: 0 };
  const requests: RequestRecord[] = [];
  for await (const r of iterateStoredRequests(store, {
    sinceMs: opts.sinceMs,
    ...(opts.untilMs !== undefined ? { untilMs: opts.untilMs } : {}),
    actions: ['allow'],
    limit: opts.maxRequests ?? 200_000,
  })) {
    stats.events++;
    if (r.unreadable) stats.unreadable++;
    if (r.rebuilt) stats.fromFields++;
    else stats.fromRaw++;
    requests.push({ ...r.request, id: r.id });
  }
  return { model: trainAnomalyModel(requests, opts), stats };
}
