/**
 * Analyst labels: an analyst marks an event a true positive (`attack`) or a false positive
 * (`benign`), or clears the mark. These labels feed `palisade train` and `palisade dataset export
 * --labels analyst`; every change is audited with the previous value.
 */
import { PalisadeError } from '../errors.js';
import { audit } from './audit.js';
import type { Store } from './store.js';

export const ANALYST_LABELS = ['attack', 'benign'] as const;
export type AnalystLabel = (typeof ANALYST_LABELS)[number];

export interface LabelChange {
  id: string;
  /** The label before this change (null: none). */
  previous: AnalystLabel | null;
  label: AnalystLabel | null;
}

/** Sets (or with null clears) the analyst label of one event; unknown id → PAL_ERR_NOT_FOUND. */
export async function setAnalystLabel(
  store: Store,
  id: string,
  label: AnalystLabel | null,
  actor: string,
  nowMs = Date.now(),
): Promise<LabelChange> {
  if (label !== null && !(ANALYST_LABELS as readonly string[]).includes(label))
    throw new PalisadeError(
      'PAL_ERR_VALIDATION',
      `label must be one of ${ANALYST_LABELS.join(', ')} or null`,
      {
        field: 'label',
      },
    );
  const row = await store.db
    .selectFrom('events')
    .select('label_analyst')
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no event ${id}`);
  const previous = (row.label_analyst as AnalystLabel | null) ?? null;
  if (previous !== label) {
    await store.db.updateTable('events').set({ label_analyst: label }).where('id', '=', id).execute();
    await audit(store, actor, 'event.label', `event:${id}`, { from: previous, to: label }, nowMs);
  }
  return { id, previous, label };
}

/** Counts of analyst labels in the store (for `palisade train` and the data card). */
export async function countAnalystLabels(store: Store): Promise<Record<AnalystLabel, number>> {
  const rows = await store.db
    .selectFrom('events')
    .select(['label_analyst', (eb) => eb.fn.countAll<number>().as('n')])
    .where('label_analyst', 'is not', null)
    .groupBy('label_analyst')
    .execute();
  const out: Record<AnalystLabel, number> = { attack: 0, benign: 0 };
  for (const r of rows)
    if (r.label_analyst === 'attack' || r.label_analyst === 'benign') out[r.label_analyst] = Number(r.n);
  return out;
}
