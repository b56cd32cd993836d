/**
 * The model registry: trained models (the classifier and the anomaly model) are stored with their
 * bytes and metrics, so every process that opens the store (serve, proxy, workers) loads the same
 * active model. At most one model per kind is active; activating one retires the previous. Audited.
 */
import { createHash } from 'node:crypto';
import { PalisadeError } from '../errors.js';
import { audit } from './audit.js';
import type { Store } from './store.js';

export const MODEL_KINDS = ['classifier', 'anomaly'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
/** Larger artifacts are refused (the shipped classifier is far below this). */
export const MODEL_MAX_BYTES = 64 * 1024 * 1024;

export interface ModelInfo {
  id: string;
  kind: ModelKind;
  name: string;
  sha256: string;
  size_bytes: number;
  status: 'candidate' | 'active' | 'retired';
  metrics: unknown;
  created_ms: number;
  created_by: string;
  activated_ms: number | null;
}

function checkKind(kind: string): asserts kind is ModelKind {
  if (!(MODEL_KINDS as readonly string[]).includes(kind))
    throw new PalisadeError('PAL_ERR_VALIDATION', `model kind must be one of ${MODEL_KINDS.join(', ')}`, {
      field: 'kind',
    });
}

/** Saves a model as a candidate (the same bytes again return the existing entry). */
export async function saveModel(
  store: Store,
  m: { kind: ModelKind; name: string; bytes: Uint8Array; metrics?: unknown; by: string },
  nowMs = Date.now(),
): Promise<ModelInfo> {
  checkKind(m.kind);
  if (m.bytes.length === 0 || m.bytes.length > MODEL_MAX_BYTES)
    throw new PalisadeError('PAL_ERR_VALIDATION', `a model must be 1 byte to ${MODEL_MAX_BYTES} bytes`, {
      field: 'bytes',
    });
  const sha256 = createHash('sha256').update(m.bytes).digest('hex');
  const id = `${m.kind}-${sha256.slice(0, 16)}`;
  const existing = await getModelInfo(store, id);
  if (existing) return existing;
  await store.db
    .insertInto('models')
    .values({
      id,
      kind: m.kind,
      name: m.name.slice(0, 200),
      sha256,
      size_bytes: m.bytes.length,
      bytes: m.bytes,
      metrics: m.metrics === undefined ? null : JSON.stringify(m.metrics),
      status: 'candidate',
      created_ms: nowMs,
      created_by: m.by.slice(0, 200),
      activated_ms: null,
    })
    .execute();
  await audit(store, m.by, 'model.save', `model:${id}`, { kind: m.kind, name: m.name }, nowMs);
  return (await getModelInfo(store, id))!;
}

const INFO_COLUMNS = [
  'id',
  'kind',
  'name',
  'sha256',
  'size_bytes',
  'status',
  'metrics',
  'created_ms',
  'created_by',
  'activated_ms',
] as const;

function toInfo(r: Record<(typeof INFO_COLUMNS)[number], unknown>): ModelInfo {
  return {
    id: r.id as string,
    kind: r.kind as ModelKind,
    name: r.name as string,
    sha256: r.sha256 as string,
    size_bytes: Number(r.size_bytes),
    status: r.status as ModelInfo['status'],
    metrics: r.metrics === null ? null : (JSON.parse(r.metrics as string) as unknown),
    created_ms: Number(r.created_ms),
    created_by: r.created_by as string,
    activated_ms: r.activated_ms === null ? null : Number(r.activated_ms),
  };
}

/** One model's entry without its bytes, or undefined. */
export async function getModelInfo(store: Store, id: string): Promise<ModelInfo | undefined> {
  const r = await store.db.selectFrom('models').select(INFO_COLUMNS).where('id', '=', id).executeTakeFirst();
  return r && toInfo(r);
}

/** Every model, newest first, without bytes. */
export async function listModels(store: Store, kind?: ModelKind): Promise<ModelInfo[]> {
  const rows = await store.db
    .selectFrom('models')
    .select(INFO_COLUMNS)
    .$if(kind !== undefined, (qb) => qb.where('kind', '=', kind!))
    .orderBy('created_ms', 'desc')
    .orderBy('id')
    .limit(1000)
    .execute();
  return rows.map(toInfo);
}

/** A model's bytes, or undefined. */
export async function getModelBytes(store: Store, id: string): Promise<Uint8Array | undefined> {
  const r = await store.db.selectFrom('models').select('bytes').where('id', '=', id).executeTakeFirst();
  return r?.bytes;
}

/** The active model of a kind with its bytes, or undefined (then the shipped default applies). */
export async function getActiveModel(
  store: Store,
  kind: ModelKind,
): Promise<{ info: ModelInfo; bytes: Uint8Array } | undefined> {
  checkKind(kind);
  const r = await store.db
    .selectFrom('models')
    .select([...INFO_COLUMNS, 'bytes'])
    .where('kind', '=', kind)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return r && { info: toInfo(r), bytes: r.bytes };
}

/** Makes a model the active one of its kind (the previous active one is retired). Audited. */
export async function activateModel(
  store: Store,
  id: string,
  by: string,
  comparison?: unknown,
  nowMs = Date.now(),
): Promise<ModelInfo> {
  const info = await getModelInfo(store, id);
  if (!info) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no model ${id}`);
  await store.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('models')
      .set({ status: 'retired' })
      .where('kind', '=', info.kind)
      .where('status', '=', 'active')
      .execute();
    await tx
      .updateTable('models')
      .set({ status: 'active', activated_ms: nowMs })
      .where('id', '=', id)
      .execute();
  });
  await audit(store, by, 'model.activate', `model:${id}`, { kind: info.kind, comparison }, nowMs);
  return (await getModelInfo(store, id))!;
}

/** Retires the active model of a kind (the shipped default applies again). Audited. */
export async function deactivateModel(
  store: Store,
  kind: ModelKind,
  by: string,
  nowMs = Date.now(),
): Promise<number> {
  checkKind(kind);
  const r = await store.db
    .updateTable('models')
    .set({ status: 'retired' })
    .where('kind', '=', kind)
    .where('status', '=', 'active')
    .executeTakeFirst();
  const n = Number(r.numUpdatedRows);
  if (n > 0) await audit(store, by, 'model.deactivate', `kind:${kind}`, undefined, nowMs);
  return n;
}

/** The ids of the active models by kind (a cheap poll: processes reload when they change). */
export async function activeModelIds(store: Store): Promise<Partial<Record<ModelKind, string>>> {
  const rows = await store.db
    .selectFrom('models')
    .select(['id', 'kind'])
    .where('status', '=', 'active')
    .execute();
  const out: Partial<Record<ModelKind, string>> = {};
  for (const r of rows) out[r.kind as ModelKind] = r.id;
  return out;
}
