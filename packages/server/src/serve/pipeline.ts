/**
 * The collector's event pipeline, wired once for `serve`, `proxy --db` and tests: the engine, the
 * store with its batched writer, enrichment, the ban cache and retention. Its `sink` is what every
 * source submits to: enrich, then write; the promise resolves when the event is committed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import {
  ConfigError,
  createEngine,
  type Engine,
  type EngineConfig,
  type SecurityEvent,
} from '@palisade/engine';
import type { ServerConfig } from '../config/config.js';
import { loadEngineModels, type LoadedModels, type ModelChoice } from '../models/load-models.js';
import { activeModelIds } from '../store/models.js';
import { listExclusions, toEngineExclusions } from '../store/exclusions.js';
import { DropError, type EventSink } from '../sink.js';
import {
  openStore,
  createWriter,
  loadKeyring,
  startRetention,
  createBanCache,
  countApiKeys,
  createApiKey,
  writeFileAtomic0600,
  type BanCache,
  type Store,
  type Writer,
} from '../store/index.js';
import { createEnricher, type Enricher } from '../enrich/index.js';
import { byLabel, liveCollector, liveTailCollector, single, type Collector } from './metrics.js';
import { createLiveHub, type LiveHub, type LiveHubOptions } from './live-hub.js';
import { startLiveTail } from './live-tail.js';
import { validateEvent } from '../store/validate-event.js';
import { getSetting } from '../store/settings.js';
import { resolveCorrelationConfig, type CorrelationConfig } from '../correlate/config.js';
import { createIncidentFlow, type IncidentFlow } from '../correlate/flow.js';
import { createForwarder, type Forwarder } from '../forward/forwarder.js';

export interface Pipeline {
  engine: Engine;
  /** The models the engine runs with (ids and where they came from). */
  models: LoadedModels;
  /**
   * Rebuilds the engine when the store's active models or its run-time exclusions changed since
   * the last load (polled every 10 s; called at once after an exclusion is added or removed); the
   * engine then inspects with them. Resolves true when it swapped.
   */
  reloadModels(): Promise<boolean>;
  /**
   * The live stream: events and incidents once committed, by this process or another one on the
   * same database (read by the store tail, serve/live-tail.ts).
   */
  live: LiveHub;
  store: Store;
  writer: Writer;
  enricher: Enricher;
  bans: BanCache;
  sink: EventSink;
  /** Correlation: incidents from the events that pass through `sink`. */
  incidents: IncidentFlow;
  /** Alerts and incidents to syslog receivers and webhooks (`forward` config), after commit. */
  forwarder: Forwarder;
  /**
   * Submits a batch (the in-process sensor's `sink`): resolves when every event is committed or was
   * refused as invalid (counted); rejects when some could not be taken now (queue full, closing), so
   * the caller retries — inserts are idempotent by id.
   */
  submitBatch(events: readonly SecurityEvent[]): Promise<void>;
  /**
   * The bulk path of log imports: validates (invalid events are counted and returned, not
   * thrown), enriches, correlates in order and writes the batch with one promise; resolves when the
   * batch and its incidents are committed. Rejects with DropError('queue_full') without side
   * effects when the writer has no room (retry after `writer.waitWritable`).
   */
  ingestBatch(events: readonly SecurityEvent[]): Promise<{ refused: number }>;
  collectors: Collector[];
  counters: {
    ingest_requests: number;
    ingest_busy: number;
    enrich_failed: number;
    /** Events handed to the sink, by the action taken on them (inspected requests, blocks, ...). */
    events: Record<'allow' | 'log' | 'block', number>;
  };
  /** Where the first admin API key is kept. */
  apiKeyFile: string;
  /** Creates an admin API key when the store has none; returns the file it was written to. */
  ensureInitialApiKey(): Promise<string | undefined>;
  log(line: string): void;
  close(): Promise<void>;
}

/** An engine that forwards to the one in service, so a new model can be swapped in whole. */
function swappableEngine(first: Engine): { engine: Engine; swap(next: Engine): void } {
  let current = first;
  const engine: Engine = Object.freeze({
    inspect: (r: Parameters<Engine['inspect']>[0]) => current.inspect(r),
    inspectParsed: (r: Parameters<Engine['inspectParsed']>[0]) => current.inspectParsed(r),
    get config() {
      return current.config;
    },
    get rules() {
      return current.rules;
    },
  });
  return { engine, swap: (next) => void (current = next) };
}

/** The server config's `ml` section as a model choice. */
export function modelChoiceOf(ml: ServerConfig['ml']): ModelChoice {
  const pick = (v: string) => (v === 'default' || v === 'off' ? v : { file: v });
  return { classifier: pick(ml.classifier), anomaly: pick(ml.anomaly), anomalyAction: ml.anomaly_action };
}

/** Settings key of the incident configuration saved through the API. */
export const INCIDENT_CONFIG_SETTING = 'incident_config';

export async function openPipeline(
  config: ServerConfig,
  opts: {
    log?: (line: string) => void;
    retention?: boolean;
    /** Overrides both the config file and the saved setting (`palisade ingest --profile`). */
    correlation?: CorrelationConfig;
    /** Limits of the live stream (defaults: 100 clients, 1 MiB unsent per client, ping every 15 s). */
    live?: LiveHubOptions;
    /**
     * Correlate in this process (default true). `palisade worker` sets false: `sink`, `submitBatch`
     * and `ingestBatch` then enrich and write without observing; one elected leader correlates from
     * the store's commit order instead (correlate/leader.ts).
     */
    correlate?: boolean;
  } = {},
): Promise<Pipeline> {
  const log = opts.log ?? (() => undefined);
  const correlate = opts.correlate !== false;
  const keyring = loadKeyring({ dataDir: config.data_dir });
  const store = await openStore({ path: config.db, keyring });
  const [{ config: firstModelConfig, loaded: models }, exclusions] = await Promise.all([
    loadEngineModels(modelChoiceOf(config.ml), store),
    listExclusions(store),
  ]).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  let modelConfig: EngineConfig = firstModelConfig;
  /** The engine of the config, the current models and the run-time exclusions. */
  function buildEngine(): Engine {
    const base = { ...config.engine, ...modelConfig };
    if (exclusions.exclusions.length === 0) return createEngine(base);
    try {
      const runtime = toEngineExclusions(exclusions.exclusions);
      return createEngine({ ...base, exclusions: [...(config.engine.exclusions ?? []), ...runtime] });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // The API checks each exclusion before saving it; one an upgraded engine refuses must not stop
      // inspection: the engine runs without the run-time set (stricter, never laxer) and says why.
      log(`run-time exclusions not applied: ${e.message}`);
      return createEngine(base);
    }
  }
  const current = swappableEngine(buildEngine());
  const engine = current.engine;
  const describeModels = (m: LoadedModels) =>
    `models: classifier ${m.classifier ? `${m.classifier.id} (${m.classifier.from})` : 'off'}, ` +
    `anomaly ${m.anomaly ? `${m.anomaly.id} (${m.anomaly.from}, ${m.anomaly.action})` : 'none'}`;
  log(describeModels(models));
  const writer = createWriter(store, {
    maxQueue: config.writer.max_queue,
    batchSize: config.writer.batch_size,
    flushMs: config.writer.flush_ms,
  });
  const enricher = createEnricher({
    dataDir: config.data_dir,
    geo: config.enrich.geo ? {} : false,
    asn: config.enrich.asn ? {} : false,
    blocklistDir: config.enrich.blocklist_dir,
    ...(config.enrich.abuseipdb
      ? {
          abuseipdb: {
            apiKey: config.enrich.abuseipdb.api_key,
            threshold: config.enrich.abuseipdb.threshold,
          },
        }
      : {}),
  });
  const bans = createBanCache(store);
  await bans.reload();
  const saved = opts.correlation ? undefined : await getSetting(store, INCIDENT_CONFIG_SETTING);
  const forwarder = createForwarder(config.forward, { store, log });
  const incidents = createIncidentFlow(
    store,
    opts.correlation ?? (saved ? resolveCorrelationConfig(saved.value) : config.correlation),
    {
      log,
      onBan: () => void bans.reload().catch((e: Error) => log(`ban reload: ${e.message}`)),
      onPersisted: (list) => forwarder.incidents(list),
    },
  );
  const live = createLiveHub(store.keyring, opts.live);
  // The only path of committed events and incidents to the stream, whichever process wrote them.
  const liveTail = startLiveTail(store, live, { log });
  // A model activated by `palisade model activate` (another process) goes live here at the next
  // poll: the engine is rebuilt off the request path and swapped in whole.
  const choice = modelChoiceOf(config.ml);
  const storeModelIds = () => ({
    classifier: models.classifier?.stored_id,
    anomaly: models.anomaly?.from === 'store' ? models.anomaly.id : undefined,
  });
  async function reloadOnce(): Promise<boolean> {
    const [active, saved] = await Promise.all([activeModelIds(store), listExclusions(store)]);
    const now = storeModelIds();
    const modelsChanged =
      (choice.classifier === 'default' && active.classifier !== now.classifier) ||
      (choice.anomaly === 'default' && active.anomaly !== now.anomaly);
    const exclusionsChanged = saved.version !== exclusions.version;
    if (!modelsChanged && !exclusionsChanged) return false;
    if (modelsChanged) {
      const next = await loadEngineModels(choice, store);
      modelConfig = next.config;
      Object.assign(models, next.loaded);
      log(`reloaded ${describeModels(models)}`);
    }
    if (exclusionsChanged) {
      Object.assign(exclusions, saved);
      log(`run-time exclusions: version ${saved.version}, ${saved.exclusions.length} in force`);
    }
    current.swap(buildEngine());
    return true;
  }
  // One reload at a time: the poll and an API change never swap in an older engine over a newer one.
  let reloading: Promise<unknown> = Promise.resolve();
  function reloadModels(): Promise<boolean> {
    const run = reloading.then(reloadOnce);
    reloading = run.catch(() => undefined);
    return run;
  }
  // Bans (and models) may also change from other processes (CLI, another serve): refresh regularly.
  const banTimer = setInterval(() => {
    void bans.reload().catch((e: Error) => log(`ban reload: ${e.message}`));
    void reloadModels().catch((e: Error) => log(`engine reload: ${e.message}`));
  }, 10_000);
  banTimer.unref();
  const retention =
    opts.retention !== false && config.retention_days > 0
      ? startRetention(store, { days: config.retention_days, everyMs: 3_600_000 })
      : undefined;
  const counters = {
    ingest_requests: 0,
    ingest_busy: 0,
    enrich_failed: 0,
    events: { allow: 0, log: 0, block: 0 },
  };
  // GeoIP and ASN tables load in the background; wait a little so the first events get them.
  await Promise.race([
    enricher.ready().catch((e: Error) => log(`enrichment data: ${e.message}`)),
    sleep(5000, undefined, { ref: false }),
  ]);

  const sink: EventSink = {
    async submit(event: SecurityEvent) {
      // The writer validates and counts refusals; only valid events are enriched and correlated.
      if (!event || typeof event !== 'object' || validateEvent(event) !== undefined)
        return writer.submit(event);
      const turn = correlate ? incidents.take() : undefined;
      if (event.action === 'allow' || event.action === 'log' || event.action === 'block')
        counters.events[event.action]++;
      try {
        await enricher.enrich(event);
      } catch (e) {
        // Enrichment is best effort: an event is never lost because a lookup failed.
        counters.enrich_failed++;
        log(`enrichment failed: ${(e as Error).message}`);
      }
      if (turn && !writer.writable()) {
        turn.skip();
        return writer.submit(event);
      }
      if (turn) await turn.ready;
      const updates = turn ? turn.observe(event) : [];
      await writer.submit(event);
      forwarder.alert(event);
      if (updates.length > 0) await incidents.persist(updates);
    },
  };

  const apiKeyFile = join(config.data_dir, 'admin-api-key');
  const collectors: Collector[] = [
    () => {
      const w = writer.stats();
      const e = enricher.stats();
      return [
        byLabel(
          'palisade_events_total',
          'Events received (inspected requests, log lines), by action',
          'counter',
          'action',
          counters.events,
        ),
        single('palisade_events_written_total', 'Events committed to the store', 'counter', w.written),
        single('palisade_write_batches_total', 'Write transactions committed', 'counter', w.batches),
        single('palisade_queue_depth', 'Events waiting in the write queue', 'gauge', w.queued),
        byLabel('palisade_events_dropped_total', 'Events refused, by reason', 'counter', 'reason', w.dropped),
        single(
          'palisade_ingest_requests_total',
          'Ingest API batches accepted',
          'counter',
          counters.ingest_requests,
        ),
        single(
          'palisade_ingest_busy_total',
          'Ingest API batches answered 503 (queue full)',
          'counter',
          counters.ingest_busy,
        ),
        single(
          'palisade_enrich_failed_total',
          'Events stored without enrichment after an error',
          'counter',
          counters.enrich_failed,
        ),
        single('palisade_events_enriched_total', 'Events enriched', 'counter', e.enriched),
        byLabel(
          'palisade_incidents_opened_total',
          'Incidents opened by the correlator, by type',
          'counter',
          'type',
          incidents.counters.opened,
        ),
        single(
          'palisade_incident_updates_total',
          'Incident updates (merged signals)',
          'counter',
          incidents.counters.updated,
        ),
        single(
          'palisade_response_bans_total',
          'Bans placed by the active response',
          'counter',
          incidents.counters.bans,
        ),
        byLabel(
          'palisade_enrich_skipped_total',
          'Enrichment lookups skipped, by reason',
          'counter',
          'reason',
          e.skipped,
        ),
      ];
    },
    liveCollector(() => live.stats()),
    liveTailCollector(() => liveTail.stats()),
    forwarder.collector,
  ];

  return {
    engine,
    models,
    reloadModels,
    live,
    store,
    writer,
    enricher,
    bans,
    sink,
    incidents,
    forwarder,
    async ingestBatch(events) {
      const valid: SecurityEvent[] = [];
      let refused = 0;
      for (const e of events) {
        if (e && typeof e === 'object' && validateEvent(e) === undefined) valid.push(e);
        else {
          // The writer refuses it again and counts the refusal by reason.
          refused++;
          writer.submit(e).catch(() => undefined);
        }
      }
      if (valid.length === 0) return { refused };
      if (!writer.writable()) throw new DropError('queue_full', 'write queue is full');
      const turn = correlate ? incidents.take() : undefined;
      for (const e of valid) {
        if (e.action === 'allow' || e.action === 'log' || e.action === 'block') counters.events[e.action]++;
        try {
          await enricher.enrich(e);
        } catch (err) {
          counters.enrich_failed++;
          log(`enrichment failed: ${(err as Error).message}`);
        }
      }
      if (turn) await turn.ready;
      const updates = turn ? turn.observe(valid) : [];
      await writer.submitAll(valid);
      for (const e of valid) forwarder.alert(e);
      if (updates.length > 0) await incidents.persist(updates);
      return { refused };
    },
    async submitBatch(events) {
      const results = await Promise.allSettled(events.map((e) => sink.submit(e)));
      const retry = results.find(
        (r) => r.status === 'rejected' && !(r.reason instanceof DropError && r.reason.reason === 'invalid'),
      );
      if (retry) throw (retry as PromiseRejectedResult).reason;
    },
    collectors,
    counters,
    apiKeyFile,
    log,
    async ensureInitialApiKey() {
      if ((await countApiKeys(store)) > 0) return undefined;
      const { secret } = await createApiKey(store, 'admin (first start)', ['admin', 'ingest', 'read', 'raw']);
      writeFileAtomic0600(apiKeyFile, `${secret}\n`);
      return apiKeyFile;
    },
    async close() {
      clearInterval(banTimer);
      live.close();
      await liveTail.close();
      await retention?.stop();
      await writer.close();
      // Submits whose events just committed persist their incidents on the next turns of the loop.
      await new Promise<void>((r) => setImmediate(r));
      await incidents.idle();
      await forwarder.close();
      enricher.close();
      await store.close();
    },
  };
}
