/**
 * `palisade serve`: the embedded default — collector, read API, metrics and retention in one process
 * on SQLite. `--demo` adds the demo shop behind the reverse proxy and sends it mixed traffic, so a
 * newcomer sees events within seconds.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { ServerConfig } from '../config/config.js';
import { splitHostPort } from '../config/config.js';
import { openPipeline, type Pipeline } from '../serve/pipeline.js';
import { startSyslogIngest } from '../ingest/syslog-ingest.js';
import { buildApp } from '../serve/app.js';
import { createShop } from '../demo/shop.js';
import { startDemoTraffic } from '../demo/traffic.js';
import { createProxy } from '../proxy/index.js';
import { proxyCollector } from '../serve/metrics.js';

export const VERSION: string = (
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('../../package.json'), 'utf8')) as {
    version: string;
  }
).version;

export interface ServeOptions {
  config: ServerConfig;
  demo?: boolean;
  /** Resolves when the server should stop (tests); default: SIGINT or SIGTERM. */
  until?: Promise<void>;
  /** Called once everything listens (tests read the addresses). */
  onReady?: (addresses: {
    api: string;
    proxy?: string;
    shop?: string;
    syslog?: { udp?: number; tcp?: number };
  }) => void;
  out?: (line: string) => void;
}

export async function runServe(opts: ServeOptions): Promise<number> {
  const { config } = opts;
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const pipeline: Pipeline = await openPipeline(config, {
    log: (l) => process.stderr.write(`palisade: ${l}\n`),
  });
  const closers: (() => Promise<void>)[] = [];
  try {
    const firstKey = await pipeline.ensureInitialApiKey();
    const app = buildApp({
      pipeline,
      maxEventsPerRequest: config.ingest.max_events_per_request,
      maxBodyBytes: config.ingest.max_body_bytes,
      maxUploadBytes: config.ingest.max_upload_bytes,
      timeZone: config.ingest.time_zone,
      version: VERSION,
    });
    const { host, port } = splitHostPort(config.listen);
    const api = await app.listen({ host, port });
    closers.push(() => app.close());
    out(`palisade ${VERSION} serving on ${api}  (database ${config.db})`);
    if (firstKey)
      out(`first admin API key written to ${firstKey} (mode 0600): use it as "Authorization: Bearer <key>"`);
    out(`  ingest  POST ${api}/api/v1/ingest    events  GET ${api}/api/v1/events    metrics ${api}/metrics`);

    const ready: { api: string; proxy?: string; shop?: string; syslog?: { udp?: number; tcp?: number } } = {
      api,
    };
    if (config.syslog.udp !== '' || config.syslog.tcp !== '') {
      const syslog = await startSyslogIngest({
        ...(config.syslog.udp !== '' ? { udp: splitHostPort(config.syslog.udp) } : {}),
        ...(config.syslog.tcp !== '' ? { tcp: splitHostPort(config.syslog.tcp) } : {}),
        format: config.syslog.format,
        timeZone: config.ingest.time_zone,
        target: { sink: pipeline.sink, waitWritable: (ms) => pipeline.writer.waitWritable(ms) },
        engine: pipeline.engine,
        log: (l) => process.stderr.write(`palisade: ${l}\n`),
      });
      closers.unshift(() => syslog.close());
      const { udpPort, tcpPort } = syslog.listener;
      ready.syslog = { ...(udpPort ? { udp: udpPort } : {}), ...(tcpPort ? { tcp: tcpPort } : {}) };
      out(
        `  syslog  ${udpPort ? `udp ${udpPort} ` : ''}${tcpPort ? `tcp ${tcpPort}` : ''} (format ${config.syslog.format})`,
      );
    }
    if (opts.demo) {
      const shop = createShop();
      await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
      const shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
      closers.unshift(() => new Promise((resolve) => shop.close(() => resolve())));
      const proxy = createProxy({
        upstream: shopUrl,
        engine: pipeline.engine,
        sink: pipeline.sink,
        bans: pipeline.bans,
        trustedProxies: ['127.0.0.1', '::1'],
        sourceName: 'proxy:demo-shop',
        recordAll: true,
      });
      const { host: ph, port: pp } = splitHostPort(config.proxy.listen);
      const addr = await proxy.listen(ph, pp).catch(() => proxy.listen('127.0.0.1', 0));
      const proxyUrl = `http://${addr.address}:${addr.port}`;
      closers.unshift(() => proxy.close());
      pipeline.collectors.push(proxyCollector(() => proxy.stats()));
      const traffic = startDemoTraffic(new URL(proxyUrl));
      closers.unshift(async () => traffic.stop());
      Object.assign(ready, { proxy: proxyUrl, shop: shopUrl });
      out(`demo: shop ${shopUrl} behind the proxy at ${proxyUrl}; sending mixed benign and attack traffic`);
      out(
        `  try: curl "${proxyUrl}/search?q=%27%20or%201=1--"   then   curl -H "Authorization: Bearer $(cat ${firstKey ?? '<key file>'})" ${api}/api/v1/events`,
      );
    }
    opts.onReady?.(ready);
    await (opts.until ?? signalled());
    out('palisade: shutting down (flushing the event queue)');
    return 0;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await pipeline.close();
  }
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
