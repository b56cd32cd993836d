/**
 * The audit log: who did what to which target, when. Written by the API and the CLI for every
 * change (bans, keys, settings, labels, restores); details are JSON and must never carry secrets.
 */
import type { Store } from './store.js';
import type { AuditRow } from './schema.js';

const DETAILS_MAX = 16 * 1024;

export interface AuditEntry {
  id: number;
  ts: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

/** Appends one audit record; details larger than 16 KiB as JSON are replaced by a note. */
export async function audit(
  store: Store,
  actor: string,
  action: string,
  target?: string | null,
  details?: unknown,
  nowMs = Date.now(),
): Promise<void> {
  let json = details === undefined ? null : JSON.stringify(details);
  if (json !== null && json.length > DETAILS_MAX)
    json = JSON.stringify({ truncated: true, chars: json.length });
  await store.db
    .insertInto('audit_log')
    .values({
      ts_ms: nowMs,
      actor: actor.slice(0, 200),
      action: action.slice(0, 200),
      target: target === undefined || target === null ? null : target.slice(0, 1000),
      details: json,
    })
    .execute();
}

/** The newest audit records first. */
export async function listAudit(
  store: Store,
  opts: { limit?: number; beforeId?: number } = {},
): Promise<AuditEntry[]> {
  const rows: AuditRow[] = await store.db
    .selectFrom('audit_log')
    .selectAll()
    .$if(opts.beforeId !== undefined, (qb) => qb.where('id', '<', opts.beforeId!))
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(1, opts.limit ?? 100), 1000))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    ts: new Date(r.ts_ms).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: r.details === null ? null : (JSON.parse(r.details) as unknown),
  }));
}
