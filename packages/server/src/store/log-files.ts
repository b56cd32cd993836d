/**
 * Follow-mode checkpoints: per (source, path) the file id (`dev:ino`), the byte offset of the next
 * unread line, the last line number and the running counts. Saved after each committed batch, so a
 * restart resumes exactly after the last line whose events are in the store.
 */
import type { Store } from './store.js';

export interface Checkpoint {
  fileId: string;
  offset: number;
  line: number;
}

async function sourceId(store: Store, name: string, nowMs: number): Promise<number> {
  const known = store.sourceIds.get(name);
  if (known !== undefined) return known;
  const row = await store.db
    .insertInto('sources')
    .values({ name, type: 'log', first_seen_ms: nowMs, last_seen_ms: nowMs })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_seen_ms: nowMs }))
    .returning('id')
    .executeTakeFirstOrThrow();
  store.sourceIds.set(name, row.id);
  return row.id;
}

/** The saved checkpoint of `path` read as `source`, if any. */
export async function loadCheckpoint(
  store: Store,
  source: string,
  path: string,
): Promise<Checkpoint | undefined> {
  const row = await store.db
    .selectFrom('log_files')
    .innerJoin('sources', 'sources.id', 'log_files.source_id')
    .select(['log_files.file_id', 'log_files.offset_bytes', 'log_files.lines_read'])
    .where('sources.name', '=', source)
    .where('log_files.path', '=', path)
    .executeTakeFirst();
  if (row === undefined || row.file_id === null) return undefined;
  return { fileId: row.file_id, offset: Number(row.offset_bytes), line: Number(row.lines_read) };
}

export async function saveCheckpoint(
  store: Store,
  source: string,
  path: string,
  cp: Checkpoint,
  counts: { rejected: number },
  nowMs = Date.now(),
): Promise<void> {
  const id = await sourceId(store, source, nowMs);
  await store.db
    .insertInto('log_files')
    .values({
      source_id: id,
      path,
      file_id: cp.fileId,
      offset_bytes: cp.offset,
      size_bytes: cp.offset,
      lines_read: cp.line,
      lines_rejected: counts.rejected,
      updated_ms: nowMs,
    })
    .onConflict((oc) =>
      oc.columns(['source_id', 'path']).doUpdateSet({
        file_id: cp.fileId,
        offset_bytes: cp.offset,
        size_bytes: cp.offset,
        lines_read: cp.line,
        lines_rejected: counts.rejected,
        updated_ms: nowMs,
      }),
    )
    .execute();
}
