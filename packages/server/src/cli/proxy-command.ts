/**
 * `palisade proxy`: the reverse proxy in front of any app, recording into the embedded store (the
 * same pipeline as `serve`: enrichment, batched durable writes, bans).
 */
import type { ServerConfig } from '../config/config.js';
import { openPipeline } from '../serve/pipeline.js';
import { runProxy, type BuiltinTrapName } from '../proxy/index.js';
import { proxyCollector, renderMetrics } from '../serve/metrics.js';

export async function runProxyCommand(config: ServerConfig): Promise<number> {
  const pipeline = await openPipeline(config, { log: (l) => process.stderr.write(`palisade: ${l}\n`) });
  const collectors = [...pipeline.collectors];
  const running = await runProxy({
    metrics: () => renderMetrics(collectors),
    listen: config.proxy.listen,
    upstream: config.proxy.upstream,
    engine: pipeline.engine,
    sink: pipeline.sink,
    bans: pipeline.bans,
    trustedProxies: config.proxy.trusted_proxies,
    maxBodyBytes: config.proxy.max_body_bytes,
    recordAll: config.proxy.record_all,
    honeypot: config.proxy.honeypot ? { traps: config.proxy.honeypot_traps as BuiltinTrapName[] } : false,
    sourceName: `proxy:${config.proxy.listen}`,
    flush: () => pipeline.close(),
  });
  const proxy = running.proxy;
  collectors.push(proxyCollector(() => proxy.stats()));
  process.stdout.write(`  recording into ${config.db}; metrics for local clients at /_palisade/metrics\n`);
  await running.stopped;
  return 0;
}
