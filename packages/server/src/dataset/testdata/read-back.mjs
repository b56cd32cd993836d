// Test helpers (not shipped: tsc compiles only .ts).
/**
 * Test helpers: read a dataset file back into plain objects (JSONL by JSON.parse, CSV by a small
 * RFC 4180 parser, Parquet through DuckDB), so the tests compare formats with the same assertions.
 */
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF inside quotes) into records. */
/** @param {string} text @returns {string[][]} */
export function parseCsv(text) {
  /** @type {string[][]} */
  const records = [];
  let field = '';
  /** @type {string[]} */
  let rec = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
      } else {
        field += ch;
        i++;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
      i++;
    } else if (ch === ',') {
      rec.push(field);
      field = '';
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      rec.push(field);
      records.push(rec);
      rec = [];
      field = '';
      i += 2;
    } else {
      if (ch === '"' || ch === '\n' || ch === '\r') throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
      field += ch;
      i++;
    }
  }
  if (field !== '' || rec.length) throw new Error('CSV does not end with CRLF');
  return records;
}

/** @param {string} file @returns {Record<string, string>[]} */
export function readCsvObjects(file) {
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  return rows.map((r) => {
    if (r.length !== header.length) throw new Error(`record has ${r.length} fields, header ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, r[i]]));
  });
}

/** @param {string} file @returns {Record<string, unknown>[]} */
export function readJsonl(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Rows (JSON-friendly values) and the DuckDB column types of a Parquet file. */
/** @param {string} file @returns {Promise<{ rows: Record<string, unknown>[]; types: Record<string, string> }>} */
export async function readParquet(file) {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const lit = `'${file.replace(/'/g, "''")}'`;
    const rows = (await con.runAndReadAll(`select * from read_parquet(${lit})`)).getRowObjectsJson();
    const desc = (await con.runAndReadAll(`describe select * from read_parquet(${lit})`)).getRowObjectsJson();
    const types = Object.fromEntries(desc.map((d) => [String(d.column_name), String(d.column_type)]));
    return { rows, types };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
