/**
 * `palisade proxy`: starts the reverse proxy from parsed command-line values, prints one line saying
 * where it listens, and stops cleanly on SIGINT/SIGTERM (stop accepting, let open exchanges end, wait
 * for the event submissions, then the caller's flush of the sink).
 */
import type { AddressInfo } from 'node:net';
import { PalisadeError } from '../errors.js';
import { createProxy, type Proxy } from './proxy.js';
import type { ProxyOptions } from './options.js';

export interface RunProxyOptions extends ProxyOptions {
  /** `HOST:PORT` (`127.0.0.1:8080`, `0.0.0.0:80`, `[::1]:8080`). */
  listen: string;
  /** Called after the proxy closed, to flush and close the sink (the store's writer). */
  flush?: () => Promise<void>;
  /** Where the start line goes; default stdout. */
  out?: NodeJS.WritableStream;
  /** Where SIGINT/SIGTERM come from; default `process`. */
  signals?: NodeJS.EventEmitter;
}

export interface RunningProxy {
  proxy: Proxy;
  address: AddressInfo;
  /** Stops the proxy and flushes the sink; safe to call more than once. */
  stop(): Promise<void>;
  /** Resolves once stopped (by a signal or by `stop()`). */
  stopped: Promise<void>;
}

/** `HOST:PORT` → host and port; throws PAL_ERR_CLI_USAGE when it is not one. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new PalisadeError(
      'PAL_ERR_CLI_USAGE',
      `--listen: expected HOST:PORT, got ${JSON.stringify(listen)}`,
    );
  return { host: (m[1] ?? m[2])!, port };
}

/** Starts the proxy (see RunProxyOptions); resolves once it listens. */
export async function runProxy(opts: RunProxyOptions): Promise<RunningProxy> {
  const { listen, flush, out = process.stdout, signals = process, ...proxyOptions } = opts;
  const { host, port } = parseListen(listen);
  const proxy = createProxy(proxyOptions);
  const address = await proxy.listen(host, port);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  out.write(`palisade proxy listening on http://${shown}:${address.port} → ${opts.upstream}\n`);

  let stopping: Promise<void> | null = null;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const onSignal = () => void stop();
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
      try {
        await proxy.close();
        if (flush) await flush();
      } finally {
        resolveStopped();
      }
    })());
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);
  return { proxy, address, stop, stopped };
}
