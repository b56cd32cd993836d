/** The reverse proxy: factory, options, CLI entry and benchmark. */
export { createProxy, type Proxy } from './proxy.js';
export {
  resolveProxyOptions,
  DEFAULT_TIMEOUTS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_CAPTURE_RAW_BYTES,
  DEFAULT_ADMIN_PREFIX,
  type ProxyOptions,
  type ProxyTimeouts,
  type BlockResponse,
} from './options.js';
export type { ProxyStats } from './stats.js';
export { BUILTIN_TRAPS, type BuiltinTrapName, type HoneypotOptions, type CustomTrap } from './honeypot.js';
export { runProxy, parseListen, type RunProxyOptions, type RunningProxy } from './command.js';
export { benchProxy, type BenchProxyOptions, type BenchProxyResult } from './bench.js';
