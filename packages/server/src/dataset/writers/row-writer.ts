/**
 * The writer interface every dataset format implements, and the registry by format name.
 * Writers take rows in chunks and keep at most one chunk (or one Parquet row group) in memory.
 */
import { PalisadeError } from '../../errors.js';
import type { DatasetRow } from '../columns.js';
import { createCsvWriter, type CsvWriterOptions } from './csv-writer.js';
import { createJsonlWriter } from './jsonl-writer.js';
import { createParquetWriter } from './parquet-writer.js';

export interface RowWriter {
  /** Appends rows; resolves when the writer can take more (back-pressure). */
  write(rows: readonly DatasetRow[]): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
  readonly rows: number;
}

export const DATASET_FORMATS = ['parquet', 'csv', 'jsonl'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface RowWriterOptions extends CsvWriterOptions {
  /** Parquet rows per row group (default 10000). */
  rowGroupRows?: number;
}

/** Checks a format name (`--format`). */
export function parseFormat(v: string): DatasetFormat {
  if (!(DATASET_FORMATS as readonly string[]).includes(v))
    throw new PalisadeError('PAL_ERR_CLI_USAGE', `--format must be one of ${DATASET_FORMATS.join('|')}`);
  return v as DatasetFormat;
}

/** Opens `file` for writing rows in `format` (the file is created or replaced). */
export function createRowWriter(format: DatasetFormat, file: string, opts: RowWriterOptions = {}): RowWriter {
  switch (format) {
    case 'csv':
      return createCsvWriter(file, opts);
    case 'jsonl':
      return createJsonlWriter(file);
    case 'parquet':
      return createParquetWriter(file, opts.rowGroupRows ?? 10_000);
  }
}
