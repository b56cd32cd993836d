/**
 * `palisade serve`: the embedded default — collector, API, dashboard, metrics and retention in one
 * process on SQLite. `--upstream URL` adds the reverse proxy in the same process (its events reach the
 * live stream at once); `--demo` puts the demo shop behind it and sends it mixed traffic, so a
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
import { createProxy, type BuiltinTrapName } from '../proxy/index.js';
import { proxyCollector } from '../serve/metrics.js';
import { countUsers } from '../auth/users.js';

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
      auth: config.auth,
      version: VERSION,
    });
    const { host, port } = splitHostPort(config.listen);
    const api = await app.listen({ host, port });
    closers.push(() => app.close());
    out(`palisade ${VERSION} serving on ${api}  (database ${pipeline.store.dialect.location})`);
    if (firstKey)
      out(`first admin API key written to ${firstKey} (mode 0600): use it as "Authorization: Bearer <key>"`);
    out(
      `  dashboard ${api}/${(await countUsers(pipeline.store)) === 0 ? '  (open it to create the first admin account)' : ''}`,
    );
    out(`  api docs  ${api}/docs    metrics ${api}/metrics    ingest POST ${api}/api/v1/ingest`);

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
    /** The reverse proxy in this process, recording through the same pipeline (live in the API). */
    const startProxy = async (upstream: string, sourceName: string, recordAll: boolean) => {
      const proxy = createProxy({
        upstream,
        engine: pipeline.engine,
        sink: pipeline.sink,
        bans: pipeline.bans,
        // The demo traffic names its sources in X-Forwarded-For from loopback.
        trustedProxies: opts.demo ? ['127.0.0.1', '::1'] : config.proxy.trusted_proxies,
        maxBodyBytes: config.proxy.max_body_bytes,
        sourceName,
        recordAll,
        ...(config.proxy.honeypot
          ? { honeypot: { traps: config.proxy.honeypot_traps as BuiltinTrapName[] } }
          : {}),
      });
      const { host: ph, port: pp } = splitHostPort(config.proxy.listen);
      const addr = await proxy.listen(ph, pp).catch((err: unknown) => {
        // The demo takes any free port when the configured one is busy; a real upstream does not.
        if (opts.demo) return proxy.listen('127.0.0.1', 0);
        throw err;
      });
      closers.unshift(() => proxy.close());
      pipeline.collectors.push(proxyCollector(() => proxy.stats()));
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `http://${shown}:${addr.port}`;
    };
    if (opts.demo) {
      const shop = createShop();
      await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
      const shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
      closers.unshift(() => new Promise((resolve) => shop.close(() => resolve())));
      const proxyUrl = await startProxy(shopUrl, 'proxy:demo-shop', true);
      const traffic = startDemoTraffic(new URL(proxyUrl));
      closers.unshift(async () => traffic.stop());
      Object.assign(ready, { proxy: proxyUrl, shop: shopUrl });
      out(`demo: shop ${shopUrl} behind the proxy at ${proxyUrl}; sending mixed benign and attack traffic`);
      out(
        `  try: curl "${proxyUrl}/search?q=%27%20or%201=1--"   then   curl -H "Authorization: Bearer $(cat ${firstKey ?? '<key file>'})" ${api}/api/v1/events`,
      );
    } else if (config.proxy.upstream) {
      const proxyUrl = await startProxy(
        config.proxy.upstream,
        `proxy:${config.proxy.listen}`,
        config.proxy.record_all,
      );
      ready.proxy = proxyUrl;
      out(`  proxy   ${proxyUrl} → ${config.proxy.upstream}`);
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
