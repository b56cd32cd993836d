/**
 * `palisade proxy`: the reverse proxy in front of any app, recording into the embedded store (the
 * same pipeline as `serve`: enrichment, batched durable writes, bans) — or, when PALISADE_BUS_URL is
 * set and no `--db` is given, publishing every event to NATS JetStream for `palisade worker` to
 * enrich and store (scale-out: no database on the proxy host).
 */
import { createEngine } from '@palisade/engine';
import type { ServerConfig } from '../config/config.js';
import { modelChoiceOf, openPipeline } from '../serve/pipeline.js';
import { runProxy, type BuiltinTrapName, type RunProxyOptions } from '../proxy/index.js';
import { byLabel, proxyCollector, renderMetrics, single, type Collector } from '../serve/metrics.js';
import { loadEngineModels } from '../models/load-models.js';
import { busFromEnv } from '../bus/bus-config.js';

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

/** The proxy publishing to JetStream: the shipped (or configured) models, no store, no bans. */
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
  const running = await runProxy({
    metrics: () => renderMetrics(collectors),
    ...proxySettings(config),
    engine,
    sink: publisher,
    flush: () => publisher.close(),
  });
  const proxy = running.proxy;
  collectors.push(proxyCollector(() => proxy.stats()));
  log('bans are not enforced by a proxy without a database (publishing to the bus)');
  process.stdout.write(
    `  publishing to ${redact(names.url)} ${names.eventsStream} (${names.prefix}.events.<kind>); metrics for local clients at /_palisade/metrics\n`,
  );
  await running.stopped;
  return 0;
}
