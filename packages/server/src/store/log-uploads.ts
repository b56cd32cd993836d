/**
 * Log uploads repository: one row per uploaded file, unique by the SHA-256 of its bytes. An upload
 * is claimed (`processing`) before its lines are ingested and finished with its summary; the same
 * content uploaded again is a duplicate unless the earlier try failed or was abandoned (the process
 * that ran it is gone), in which case it is claimed afresh.
 */
import type { Store } from './store.js';
import type { Selectable } from 'kysely';
import type { LogUploadsTable } from './schema.js';

export const UPLOAD_STATUSES = ['processing', 'done', 'partial', 'failed'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

export interface LogUpload {
  id: number;
  name: string;
  sha256: string;
  size: number;
  status: UploadStatus;
  format: string | null;
  /** The ingest summary (JSON object), once finished. */
  summary: Record<string, unknown> | null;
  /** Why it failed or stopped early. */
  error: string | null;
  uploaded: string;
  finished: string | null;
  uploaded_by: string;
}

type Row = Selectable<LogUploadsTable>;

const ERROR_MAX = 500;

function toUpload(r: Row): LogUpload {
  return {
    id: Number(r.id),
    name: r.name,
    sha256: r.sha256,
    size: Number(r.size_bytes),
    status: r.status as UploadStatus,
    format: r.format,
    summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, unknown>),
    error: r.error,
    uploaded: new Date(Number(r.uploaded_ms)).toISOString(),
    finished: r.finished_ms === null ? null : new Date(Number(r.finished_ms)).toISOString(),
    uploaded_by: r.uploaded_by,
  };
}

export interface NewLogUpload {
  name: string;
  sha256: string;
  size: number;
  uploaded_by: string;
  now_ms?: number;
}

export type ClaimResult = { claimed: LogUpload } | { duplicate: LogUpload };

/**
 * Claims `u.sha256` for ingestion. `running(sha256)` says whether this process is still ingesting
 * it: a `processing` row it does not know of was left by a process that stopped, and is reclaimed.
 */
export async function claimLogUpload(
  store: Store,
  u: NewLogUpload,
  running: (sha256: string) => boolean,
): Promise<ClaimResult> {
  const now = u.now_ms ?? Date.now();
  const fresh = {
    name: u.name,
    size_bytes: u.size,
    status: 'processing',
    format: null,
    summary: null,
    error: null,
    uploaded_ms: now,
    finished_ms: null,
    uploaded_by: u.uploaded_by,
  };
  const existing = await rowBySha(store, u.sha256);
  if (existing !== undefined) {
    const retry = existing.status === 'failed' || (existing.status === 'processing' && !running(u.sha256));
    if (!retry) return { duplicate: toUpload(existing) };
    // Only the row in the state we saw is taken over: of two concurrent claims, one updates it.
    const res = await store.db
      .updateTable('log_uploads')
      .set(fresh)
      .where('id', '=', existing.id)
      .where('status', '=', existing.status)
      .where('uploaded_ms', '=', existing.uploaded_ms)
      .executeTakeFirst();
    const current = (await getLogUpload(store, existing.id))!;
    return Number(res.numUpdatedRows) > 0 ? { claimed: current } : { duplicate: current };
  }
  try {
    const row = await store.db
      .insertInto('log_uploads')
      .values({ ...fresh, sha256: u.sha256 })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { claimed: toUpload(row) };
  } catch (err) {
    // Another request claimed the same content between the look-up and the insert.
    const winner = await rowBySha(store, u.sha256);
    if (winner === undefined || !/unique/i.test((err as Error).message)) throw err;
    return { duplicate: toUpload(winner) };
  }
}

export interface UploadOutcome {
  status: Exclude<UploadStatus, 'processing'>;
  format: string | null;
  summary: Record<string, unknown> | null;
  error?: string | null;
  now_ms?: number;
}

/** Records how an upload ended; returns the row as it is now. */
export async function finishLogUpload(store: Store, id: number, o: UploadOutcome): Promise<LogUpload> {
  await store.db
    .updateTable('log_uploads')
    .set({
      status: o.status,
      format: o.format,
      summary: o.summary === null ? null : JSON.stringify(o.summary),
      error: o.error ? o.error.slice(0, ERROR_MAX) : null,
      finished_ms: o.now_ms ?? Date.now(),
    })
    .where('id', '=', id)
    .execute();
  return (await getLogUpload(store, id))!;
}

export async function getLogUpload(store: Store, id: number): Promise<LogUpload | undefined> {
  const r = await store.db.selectFrom('log_uploads').selectAll().where('id', '=', id).executeTakeFirst();
  return r === undefined ? undefined : toUpload(r);
}

function rowBySha(store: Store, sha256: string): Promise<Row | undefined> {
  return store.db.selectFrom('log_uploads').selectAll().where('sha256', '=', sha256).executeTakeFirst();
}

/** Uploads newest first; `beforeId` is the previous page's last id. */
export async function listLogUploads(
  store: Store,
  o: { beforeId?: number; limit?: number } = {},
): Promise<LogUpload[]> {
  const rows = await store.db
    .selectFrom('log_uploads')
    .selectAll()
    .$if(o.beforeId !== undefined, (qb) => qb.where('id', '<', o.beforeId!))
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(o.limit ?? 50, 1), 1000))
    .execute();
  return rows.map(toUpload);
}
