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
