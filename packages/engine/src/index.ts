/**
 * @palisade/engine — pure request inspection: decoders, surfaces, detectors, scoring, verdict.
 * No I/O, no clock, no globals.
 */
export * from './types.js';
export * from './event.js';
export * from './ip.js';
export {
  createEngine,
  decide,
  mlSeverity,
  ML_RULE,
  ANOMALY_RULE,
  SEVERITY_POINTS,
  type Engine,
} from './engine.js';
export {
  compileConfig,
  ConfigError,
  BLOCK_THRESHOLDS,
  DEFAULT_METHODS,
  type EngineConfig,
  type CompiledConfig,
  type Exclusion,
  type Mode,
  type Sensitivity,
} from './config.js';
export { DEFAULT_LIMITS, type Limits } from './request/limits.js';
export { parseRequest, type ParsedRequest, type ParseNote } from './request/parse-request.js';
export { Value, View, Kind, Flag, charFlags, type ViewName, type KindName } from './value.js';
export {
  DECODERS,
  applyDecoder,
  urlDecode,
  urlDecodeFixpoint,
  type Decoder,
  type DecoderName,
} from './decode/index.js';
export { DETECTORS } from './detectors/registry.js';
export * from './ml/index.js';
export type { Detector, DetectorFactory, Reporter, RuleDef } from './detectors/detector.js';
export * from './anomaly/index.js';
