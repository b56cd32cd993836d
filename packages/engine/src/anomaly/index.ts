/** Learning mode: unsupervised anomaly detection (profiles + Isolation Forest). Pure, no I/O. */
export {
  AnomalyModel,
  AnomalyModelError,
  ANOMALY_MODEL_FORMAT,
  ANOMALY_MODEL_VERSION,
  anomalyFeatures,
  decodeAnomalyModel,
  encodeAnomalyModel,
  scoreAnomaly,
  trainAnomalyModel,
  type AnomalyModelInfo,
  type AnomalyModelJson,
  type AnomalyScore,
  type TrainAnomalyOptions,
} from './anomaly-model.js';
export {
  averagePathLength,
  buildIsolationForest,
  compileForest,
  forestScore,
  type CompiledForest,
  type IsolationForest,
  type IsolationTree,
} from './isolation-forest.js';
export {
  FEATURE_NAMES as ANOMALY_FEATURE_NAMES,
  DEFAULT_PROFILE_CAPS as DEFAULT_ANOMALY_CAPS,
  type ProfileCaps as AnomalyProfileCaps,
} from './profile.js';
export { createPrng, fnv1a, type Prng } from './prng.js';
