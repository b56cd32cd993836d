/** JSON Lines: one flat object per row with the dotted column names as keys, `@timestamp` as ISO text. */
import type { DatasetRow } from '../columns.js';
import type { RowWriter } from './row-writer.js';
import { openTextStream } from './text-stream.js';

/** The JSON object of one row (also what tests compare across formats). */
export function rowToJson(r: DatasetRow): Record<string, unknown> {
  return { ...r, '@timestamp': new Date(r['@timestamp']).toISOString() };
}

export function createJsonlWriter(file: string): RowWriter {
  const out = openTextStream(file);
  let rows = 0;
  return {
    get rows() {
      return rows;
    },
    async write(batch) {
      let text = '';
      for (const r of batch) text += `${JSON.stringify(rowToJson(r))}\n`;
      rows += batch.length;
      if (text) await out.write(text);
    },
    close: () => out.end(),
  };
}
