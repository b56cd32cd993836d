/** Forensic time-window analyses (burst, distributed brute force, top talkers, sessions) in SQL. */
export {
  ANALYSES,
  INT_PARAMS,
  FORENSICS_LIMIT_MAX,
  FORENSICS_RANGE_MAX_MS,
  SAMPLE_SOURCES,
  isAnalysis,
  paramsOf,
  resolveForensicsParams,
  type Analysis,
  type ForensicsInput,
  type ForensicsParams,
  type IntParamName,
} from './params.js';
export { forensicsQuery, type ForensicsEngine } from './queries.js';
export type {
  BurstRow,
  DistributedBruteforceRow,
  ForensicsResult,
  ForensicsRow,
  SessionRow,
  TopTalkerRow,
} from './results.js';
export {
  runForensics,
  openDuckDbEvents,
  type DuckDbEvents,
  type RunForensicsOptions,
} from './run-forensics.js';
export { exportForensicEvents, FORENSIC_COLUMNS, type ExportEventsOptions } from './export-events.js';
