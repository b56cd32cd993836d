/**
 * Parquet through hyparquet-writer: an explicit schema (timestamps as INT64 TIMESTAMP_MILLIS, lists
 * as 3-level LISTs of UTF-8 strings), rows buffered up to one row group, then encoded and appended
 * to the file, so memory holds one row group whatever the export's size. Snappy-compressed.
 */
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { COLUMNS, type ColumnDef, type DatasetRow } from '../columns.js';
import type { RowWriter } from './row-writer.js';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
type ColumnSource = Parameters<ParquetWriter['write']>[0]['columnData'][number];

function leaf(c: ColumnDef): SchemaElement[] {
  const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (c.type) {
    case 'timestamp':
      return [{ name: c.name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type }];
    case 'string':
      return [{ name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type }];
    case 'int':
      return [{ name: c.name, type: 'INT32', repetition_type }];
    case 'double':
      return [{ name: c.name, type: 'DOUBLE', repetition_type }];
    case 'string_list':
      return [
        { name: c.name, repetition_type, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      ];
  }
}

/** The Parquet schema of the dataset columns. */
export function parquetSchema(): SchemaElement[] {
  return [{ name: 'root', num_children: COLUMNS.length }, ...COLUMNS.flatMap(leaf)];
}

function columnData(rows: readonly DatasetRow[]): ColumnSource[] {
  return COLUMNS.map((c) => {
    const key = c.name as keyof DatasetRow;
    const data =
      c.type === 'timestamp' ? rows.map((r) => BigInt(r[key] as number)) : rows.map((r) => r[key] as unknown);
    return { name: c.name, data: data as ColumnSource['data'] };
  });
}

export function createParquetWriter(file: string, rowGroupRows: number): RowWriter {
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: parquetSchema(),
    createdBy: 'palisade',
  });
  let buf: DatasetRow[] = [];
  let rows = 0;
  const flush = async () => {
    if (buf.length === 0) return;
    const data = columnData(buf);
    buf = [];
    await writer.write({ columnData: data, rowGroupSize: rowGroupRows });
  };
  return {
    get rows() {
      return rows;
    },
    async write(batch) {
      for (const r of batch) {
        buf.push(r);
        if (buf.length >= rowGroupRows) await flush();
      }
      rows += batch.length;
    },
    async close() {
      await flush();
      await writer.finish();
    },
  };
}
