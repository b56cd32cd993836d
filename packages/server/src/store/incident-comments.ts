/**
 * Analysts' comments on an incident (the incident workflow beside status and assignee): bounded
 * text, oldest first, each one audited. An incident keeps at most COMMENTS_MAX comments so one
 * incident cannot grow without limit.
 */
import { PalisadeError } from '../errors.js';
import { audit } from './audit.js';
import type { Store } from './store.js';

export const COMMENT_BODY_MAX = 4000;
export const COMMENTS_MAX = 1000;

export interface IncidentComment {
  id: number;
  author: string;
  body: string;
  created_ms: number;
}

async function requireIncident(store: Store, incidentId: number): Promise<void> {
  const row = await store.db
    .selectFrom('incidents')
    .select('id')
    .where('id', '=', incidentId)
    .executeTakeFirst();
  if (row === undefined) throw new PalisadeError('PAL_ERR_NOT_FOUND', `no incident ${incidentId}`);
}

/** The comments of an incident, oldest first; PAL_ERR_NOT_FOUND for an unknown incident. */
export async function listIncidentComments(store: Store, incidentId: number): Promise<IncidentComment[]> {
  await requireIncident(store, incidentId);
  const rows = await store.db
    .selectFrom('incident_comments')
    .select(['id', 'author', 'body', 'created_ms'])
    .where('incident_id', '=', incidentId)
    .orderBy('id')
    .limit(COMMENTS_MAX)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    author: r.author,
    body: r.body,
    created_ms: Number(r.created_ms),
  }));
}

/**
 * Adds a comment by `author` (an audit actor); refuses an empty or oversized body and a full
 * incident (PAL_ERR_VALIDATION, field `body`), an unknown incident (PAL_ERR_NOT_FOUND). Audited.
 */
export async function addIncidentComment(
  store: Store,
  incidentId: number,
  author: string,
  body: string,
  nowMs = Date.now(),
): Promise<IncidentComment> {
  const invalid = (message: string) =>
    new PalisadeError('PAL_ERR_VALIDATION', `body: ${message}`, { field: 'body' });
  if (typeof body !== 'string' || body.trim() === '') throw invalid('must not be empty');
  if (body.length > COMMENT_BODY_MAX) throw invalid(`must be at most ${COMMENT_BODY_MAX} characters`);
  await requireIncident(store, incidentId);
  const comment = await store.db.transaction().execute(async (trx) => {
    const { n } = await trx
      .selectFrom('incident_comments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('incident_id', '=', incidentId)
      .executeTakeFirstOrThrow();
    if (Number(n) >= COMMENTS_MAX) throw invalid(`an incident holds at most ${COMMENTS_MAX} comments`);
    const row = { incident_id: incidentId, author: author.slice(0, 200), body, created_ms: nowMs };
    const { id } = await trx
      .insertInto('incident_comments')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(id), author: row.author, body, created_ms: nowMs };
  });
  // The body is in the comment itself; the audit entry says who commented where.
  await audit(store, author, 'incident.comment', `incident:${incidentId}`, { comment_id: comment.id }, nowMs);
  return comment;
}
