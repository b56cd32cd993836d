/**
 * `palisade forensics export`: the events of a range as Parquet with the store's own column names,
 * every event (the dataset export keeps labelled, de-duplicated web requests under ECS names and
 * leaves out the user, outcome and fingerprint these analyses need). DuckDB reads the file as the
 * view `events`, so queries.ts runs on it unchanged. `ts_ms` is a plain INT64, not a TIMESTAMP, so
 * every engine does the same integer arithmetic. Read in keyset pages (ts_ms, id), written one row
 * group per page: memory holds one page whatever the range.
 */
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import type { Store } from '../store/store.js';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
type ColumnSource = Parameters<ParquetWriter['write']>[0]['columnData'][number];

interface ForensicColumn {
  name: ExportedColumn;
  type: 'int64' | 'int32' | 'string';
  nullable: boolean;
}

type ExportedColumn =
  | 'id'
  | 'ts_ms'
  | 'kind'
  | 'client_ip'
  | 'fingerprint'
  | 'user_agent'
  | 'user_name'
  | 'outcome'
  | 'method'
  | 'path'
  | 'status'
  | 'action'
  | 'severity'
  | 'findings_count';

/** The exported columns (those the analyses read, and a few that help reading the file). */
export const FORENSIC_COLUMNS: readonly ForensicColumn[] = Object.freeze([
  { name: 'id', type: 'string', nullable: false },
  { name: 'ts_ms', type: 'int64', nullable: false },
  { name: 'kind', type: 'string', nullable: false },
  { name: 'client_ip', type: 'string', nullable: false },
  { name: 'fingerprint', type: 'string', nullable: true },
  { name: 'user_agent', type: 'string', nullable: true },
  { name: 'user_name', type: 'string', nullable: true },
  { name: 'outcome', type: 'string', nullable: true },
  { name: 'method', type: 'string', nullable: true },
  { name: 'path', type: 'string', nullable: true },
  { name: 'status', type: 'int32', nullable: true },
  { name: 'action', type: 'string', nullable: false },
  { name: 'severity', type: 'string', nullable: false },
  { name: 'findings_count', type: 'int32', nullable: false },
] as const);

function leaf(c: ForensicColumn): SchemaElement {
  const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
  if (c.type === 'string')
    return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
  return { name: c.name, type: c.type === 'int64' ? 'INT64' : 'INT32', repetition_type };
}

export interface ExportEventsOptions {
  /** [from_ms, to_ms); both optional (default: every event). */
  from_ms?: number;
  to_ms?: number;
  /** Rows per page and row group (default 10,000). */
  pageSize?: number;
}

/** Writes the events of the range to `file` (Parquet); returns the number of rows. */
export async function exportForensicEvents(
  store: Store,
  file: string,
  opts: ExportEventsOptions = {},
): Promise<number> {
  const pageSize = opts.pageSize ?? 10_000;
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: [{ name: 'root', num_children: FORENSIC_COLUMNS.length }, ...FORENSIC_COLUMNS.map(leaf)],
    createdBy: 'palisade forensics export',
  });
  const names = FORENSIC_COLUMNS.map((c) => c.name);
  let rows = 0;
  let after: { ts: number; id: string } | null = null;
  for (;;) {
    let q = store.db.selectFrom('events').select(names);
    if (opts.from_ms !== undefined) q = q.where('ts_ms', '>=', opts.from_ms);
    if (opts.to_ms !== undefined) q = q.where('ts_ms', '<', opts.to_ms);
    if (after) {
      const a: { ts: number; id: string } = after;
      q = q.where((eb) =>
        eb.or([eb('ts_ms', '>', a.ts), eb.and([eb('ts_ms', '=', a.ts), eb('id', '>', a.id)])]),
      );
    }
    const page = await q.orderBy('ts_ms').orderBy('id').limit(pageSize).execute();
    if (page.length === 0) break;
    const columnData: ColumnSource[] = FORENSIC_COLUMNS.map((c) => ({
      name: c.name,
      data: page.map((r) => {
        const v = (r as Record<string, unknown>)[c.name];
        if (v === null || v === undefined) return null;
        return c.type === 'int64' ? BigInt(v as number | string) : c.type === 'int32' ? Number(v) : String(v);
      }) as ColumnSource['data'],
    }));
    await writer.write({ columnData, rowGroupSize: pageSize });
    rows += page.length;
    const last = page[page.length - 1]!;
    after = { ts: Number(last.ts_ms), id: last.id };
    if (page.length < pageSize) break;
  }
  await writer.finish();
  return rows;
}
