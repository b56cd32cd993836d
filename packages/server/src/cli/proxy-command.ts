/**
 * `palisade proxy`: the reverse proxy in front of any app, recording into the embedded store (the
 * same pipeline as `serve`: enrichment, batched durable writes, bans) — or, when PALISADE_BUS_URL is
 * set and no `--db` is given, publishing every event to NATS JetStream for `palisade worker` to
 * enrich and store (scale-out: no database on the proxy host).
 */
import { createEngine } from '@palisade/engine';
import type { ServerConfig } from '../config/config.js';
import { PalisadeError } from '../errors.js';
import { modelChoiceOf, openPipeline } from '../serve/pipeline.js';
import { runProxy, type BuiltinTrapName, type RunProxyOptions } from '../proxy/index.js';
import { byLabel, proxyCollector, renderMetrics, single, type Collector } from '../serve/metrics.js';
import { loadEngineModels } from '../models/load-models.js';
import { busFromEnv } from '../bus/bus-config.js';
import type { BanCheck } from '../sink.js';

export async function runProxyCommand(
  config: ServerConfig,
  opts: { /** `--db` was given: record locally even when PALISADE_BUS_URL is set. */ localDb?: boolean } = {},
): Promise<number> {
  const log = (l: string) => process.stderr.write(`palisade: ${l}\n`);
  const bus = opts.localDb ? undefined : busFromEnv();
  if (bus) return runBusProxy(config, bus, log);
  const pipeline = await openPipeline(config, { log });
  const collectors = [...pipeline.collectors];
  const running = await runProxy({
    metrics: () => renderMetrics(collectors),
    ...proxySettings(config),
    engine: pipeline.engine,
    sink: pipeline.sink,
    bans: pipeline.bans,
    flush: () => pipeline.close(),
  });
  const proxy = running.proxy;
  collectors.push(proxyCollector(() => proxy.stats()));
  process.stdout.write(
    `  recording into ${pipeline.store.dialect.location}; metrics for local clients at /_palisade/metrics\n`,
  );
  await running.stopped;
  return 0;
}

function proxySettings(config: ServerConfig) {
  return {
    listen: config.proxy.listen,
    upstream: config.proxy.upstream,
    trustedProxies: config.proxy.trusted_proxies,
    maxBodyBytes: config.proxy.max_body_bytes,
    recordAll: config.proxy.record_all,
    honeypot: config.proxy.honeypot
      ? { traps: config.proxy.honeypot_traps as BuiltinTrapName[] }
      : (false as const),
    sourceName: `proxy:${config.proxy.listen}`,
  } satisfies Partial<RunProxyOptions>;
}

/** What pullBans uses of @palisade/sensor. */
interface SensorBans {
  BanList: new (list: []) => {
    find(ip: string, nowMs: number): { reason: string; until: number | null } | undefined;
    readonly size: number;
  };
  BanPuller: new (
    opts: { url: string; apiKey: string; intervalMs: number; timeoutMs: number },
    list: unknown,
  ) => { start(): void; close(): void; readonly stats: { pulls: number; errors: number } };
}

/**
 * A proxy without a database enforces the collector's bans by pulling them, as the sensor does:
 * `PALISADE_BANS_URL` (the collector's base URL, e.g. `palisade serve`'s) and `PALISADE_BANS_KEY`
 * (an API key with the `read` scope); every 10 s, ETag-cached, the last good list kept on failure.
 */
async function pullBans(log: (l: string) => void) {
  const url = process.env.PALISADE_BANS_URL;
  const key = process.env.PALISADE_BANS_KEY;
  if (!url) return undefined;
  if (!key)
    throw new PalisadeError('PAL_ERR_CONFIG', 'PALISADE_BANS_URL needs PALISADE_BANS_KEY (an API key)');
  let base: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    base = u.toString();
    while (base.endsWith('/')) base = base.slice(0, -1);
  } catch {
    throw new PalisadeError('PAL_ERR_CONFIG', 'PALISADE_BANS_URL: not an http(s) URL');
  }
  // The sensor package's ban list and puller (one implementation of the pull protocol); loaded by
  // name: the server does not depend on the sensor package, which sits beside it in an install.
  const specifier: string = '@palisade/sensor';
  const sensor = (await import(specifier).catch(() => {
    throw new PalisadeError(
      'PAL_ERR_CONFIG',
      'PALISADE_BANS_URL needs @palisade/sensor installed beside palisade',
    );
  })) as SensorBans;
  const list = new sensor.BanList([]);
  const puller = new sensor.BanPuller({ url: base, apiKey: key, intervalMs: 10_000, timeoutMs: 5_000 }, list);
  puller.start();
  log(`bans pulled from ${base} every 10 s`);
  const check: BanCheck = {
    banned(ip, nowMs) {
      const b = list.find(ip, nowMs);
      return b === undefined
        ? undefined
        : { reason: b.reason, until: b.until === null ? null : new Date(b.until).toISOString() };
    },
  };
  const collector: Collector = () => [
    single(
      'palisade_bans_pulls_total',
      'Ban list pulls that brought a new list',
      'counter',
      puller.stats.pulls,
    ),
    single('palisade_bans_pull_errors_total', 'Ban list pulls that failed', 'counter', puller.stats.errors),
    single('palisade_bans_active', 'Bans pulled and in force', 'gauge', list.size),
  ];
  return { puller, check, collector };
}

/** The proxy publishing to JetStream: the shipped (or configured) models, no store; bans pulled. */
async function runBusProxy(
  config: ServerConfig,
  names: NonNullable<ReturnType<typeof busFromEnv>>,
  log: (l: string) => void,
): Promise<number> {
  // Loaded only here: a proxy recording locally never loads the NATS client.
  const { createBusPublisher } = await import('../bus/publisher.js');
  const { redact } = await import('../bus/connect.js');
  const models = await loadEngineModels(modelChoiceOf(config.ml));
  const engine = createEngine({ ...config.engine, ...models.config });
  const publisher = await createBusPublisher({ names, name: `palisade-proxy ${config.proxy.listen}` });
  const collectors: Collector[] = [
    () => {
      const s = publisher.stats();
      return [
        single('palisade_bus_published_total', 'Events acknowledged by JetStream', 'counter', s.published),
        single(
          'palisade_bus_duplicates_total',
          'Publishes JetStream saw as duplicates',
          'counter',
          s.duplicates,
        ),
        single('palisade_bus_retries_total', 'Publishes retried', 'counter', s.retries),
        single('palisade_bus_in_flight', 'Publishes awaiting their acknowledgement', 'gauge', s.in_flight),
        byLabel(
          'palisade_bus_dropped_total',
          'Events not published, by reason',
          'counter',
          'reason',
          s.dropped,
        ),
      ];
    },
  ];
  const bans = await pullBans(log);
  if (bans) collectors.push(bans.collector);
  const running = await runProxy({
    metrics: () => renderMetrics(collectors),
    ...proxySettings(config),
    engine,
    sink: publisher,
    ...(bans ? { bans: bans.check } : {}),
    flush: async () => {
      bans?.puller.close();
      await publisher.close();
    },
  });
  const proxy = running.proxy;
  collectors.push(proxyCollector(() => proxy.stats()));
  if (!bans)
    log('bans are not enforced: no database, and no PALISADE_BANS_URL/PALISADE_BANS_KEY to pull them from');
  process.stdout.write(
    `  publishing to ${redact(names.url)} ${names.eventsStream} (${names.prefix}.events.<kind>); metrics for local clients at /_palisade/metrics\n`,
  );
  await running.stopped;
  return 0;
}
