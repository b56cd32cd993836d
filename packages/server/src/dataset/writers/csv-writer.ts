/**
 * CSV per RFC 4180: a header line, CRLF line ends, fields quoted when they hold `"`, `,`, CR or LF
 * (inner quotes doubled). Lists are JSON arrays, `@timestamp` ISO text, null an empty field.
 *
 * Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a
 * formula, and attack payloads often start so. Unless `formulaGuard` is false, such text cells get a
 * leading `'` (OWASP's advice), which spreadsheets hide and treat as "this is text". Numbers are
 * never prefixed. For machine learning read Parquet or JSONL, or pass `formulaGuard: false`.
 */
import { COLUMNS, type DatasetRow } from '../columns.js';
import type { RowWriter } from './row-writer.js';
import { openTextStream } from './text-stream.js';

export interface CsvWriterOptions {
  /** Prefix text cells that a spreadsheet would run as a formula with `'` (default true). */
  formulaGuard?: boolean;
}

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field, quoted when needed; `guard` prefixes formula-like text with `'`. */
export function csvField(v: string, guard: boolean): string {
  const s = guard && FORMULA_START.test(v) ? `'${v}` : v;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV record (without line end) of one row. */
export function csvRecord(r: DatasetRow, guard: boolean): string {
  const out: string[] = [];
  for (const col of COLUMNS) {
    const v = r[col.name as keyof DatasetRow];
    if (v === null || v === undefined) out.push('');
    else if (col.type === 'timestamp') out.push(new Date(v as number).toISOString());
    else if (col.type === 'string_list') out.push(csvField(JSON.stringify(v), guard));
    else if (typeof v === 'number') out.push(String(v));
    else out.push(csvField(String(v), guard));
  }
  return out.join(',');
}

export function createCsvWriter(file: string, opts: CsvWriterOptions = {}): RowWriter {
  const guard = opts.formulaGuard ?? true;
  const out = openTextStream(file);
  let rows = 0;
  // Our own column names: never attacker text, so never prefixed (`@timestamp` stays as it is).
  let header = `${COLUMNS.map((c) => csvField(c.name, false)).join(',')}\r\n`;
  return {
    get rows() {
      return rows;
    },
    async write(batch) {
      let text = header;
      header = '';
      for (const r of batch) text += `${csvRecord(r, guard)}\r\n`;
      rows += batch.length;
      if (text) await out.write(text);
    },
    async close() {
      if (header) await out.write(header);
      await out.end();
    },
  };
}
