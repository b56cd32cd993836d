/** Datasets (issue 6): export stored events and generate synthetic ones as labelled train/test files. */
export { COLUMNS, type ColumnDef, type ColumnType, type DatasetRow, type LabelSource } from './columns.js';
export { exportDataset, LABEL_SOURCES, type ExportOptions } from './export-dataset.js';
export { writeDataset, type DatasetSource, type DatasetResult, type CandidateRow } from './write-dataset.js';
export { buildDataCard, renderDataCard, type DataCard } from './datacard.js';
export { parseSplit, splitUnit, testCount, StratifiedSplit, type SplitRatio } from './split.js';
export { requestKey, bodyHash, normaliseQuery } from './request-key.js';
export {
  createRowWriter,
  parseFormat,
  DATASET_FORMATS,
  type DatasetFormat,
  type RowWriter,
} from './writers/row-writer.js';
export {
  synthRequests,
  synthIterator,
  synthDataset,
  synthRow,
  SYNTH_CLASSES,
  type SynthItem,
  type SynthClass,
  type SynthContext,
  type SynthOptions,
} from './synth/synth.js';
export { runDatasetCommand, DATASET_USAGE } from './dataset-command.js';
export { exportOcsf, type OcsfExportOptions, type OcsfExportResult } from './ocsf-export.js';
