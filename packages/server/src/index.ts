/** palisade — the CLI and the collector. Library exports for tools built on it. */
export {
  readRequests,
  payloadRequests,
  toRequests,
  type LabelledRequest,
  type Rejection,
  type InputKind,
} from './scan/read-records.js';
export { Confusion, rates, isDetected, pct } from './scan/metrics.js';
export { scanFile, buildEngine, formatTable, confusionTable } from './cli/scan-command.js';
export { evaluate, evalTable, EVAL_SETS } from './cli/eval-command.js';
export { ERRORS, PalisadeError, type ErrorCode } from './errors.js';
export { loadConfig, type ServerConfig, type LoadOptions } from './config/config.js';
export { openPipeline, type Pipeline } from './serve/pipeline.js';
export { buildApp, type AppOptions } from './serve/app.js';
export { createProxy, runProxy, type Proxy, type ProxyOptions, type ProxyStats } from './proxy/index.js';
export { createEnricher, type Enricher } from './enrich/index.js';
export * as store from './store/index.js';
export { DropError, type EventSink, type BanCheck } from './sink.js';
