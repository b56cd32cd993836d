/** Learning mode: training the anomaly model from files or the store, and its CSIC evaluation. */
export {
  trainAnomalyFromFile,
  evaluateCsic,
  inTrainSplit,
  tprAtFpr,
  type TrainFileOptions,
  type TrainFileStats,
  type AnomalyEvaluation,
} from './train-anomaly.js';
export {
  trainAnomalyFromStore,
  type TrainStoreOptions,
  type TrainStoreStats,
} from './train-anomaly-store.js';
export {
  runTrainAnomaly,
  parseSince,
  DEFAULT_ANOMALY_MODEL_PATH,
  TRAIN_ANOMALY_USAGE,
  type TrainAnomalyIo,
} from './train-anomaly-command.js';
