/**
 * One incident: what fired and why, the workflow (open → acknowledged → resolved | false positive,
 * reopen), the assignee, the comments and the evidence timeline of its events (each opens the
 * event drawer). Viewers read; analysts and admins act.
 */
import { useMemo, useState } from 'react';
import { EventDrawer } from '../components/EventDrawer';
import { ErrorBox, SeverityBadge, StatusBadge } from '../components/ui';
import { api, errorText } from '../lib/api';
import { fmtNum, fmtTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import { navigate } from '../lib/router';
import { useSession } from '../lib/session';
import type { Comment, Incident, IncidentStatus, SecurityEvent } from '../lib/types';

const NEXT: Readonly<Record<IncidentStatus, ReadonlyArray<{ to: IncidentStatus; label: string }>>> = {
  open: [
    { to: 'acknowledged', label: 'Acknowledge' },
    { to: 'resolved', label: 'Resolve' },
    { to: 'false_positive', label: 'False positive' },
  ],
  acknowledged: [
    { to: 'resolved', label: 'Resolve' },
    { to: 'false_positive', label: 'False positive' },
    { to: 'open', label: 'Reopen' },
  ],
  resolved: [{ to: 'open', label: 'Reopen' }],
  false_positive: [{ to: 'open', label: 'Reopen' }],
};

export function IncidentDetailPage({ id }: { id: number }) {
  const { user, can } = useSession();
  const canAct = can('label');
  const { data, error, reload } = useApi<{ incident: Incident; events: SecurityEvent[] }>(`/incidents/${id}`);
  const comments = useApi<{ comments: Comment[] }>(`/incidents/${id}/comments`);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const [assignee, setAssignee] = useState<string>();
  const [comment, setComment] = useState('');
  const [selected, setSelected] = useState<string>();

  const events = useMemo(
    () => [...(data?.events ?? [])].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts)),
    [data],
  );

  async function patch(body: { status?: IncidentStatus; assignee?: string | null }) {
    setBusy(true);
    setActionError(undefined);
    try {
      await api(`/incidents/${id}`, { method: 'PATCH', body });
      setAssignee(undefined);
      reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }

  async function addComment() {
    const body = comment.trim();
    if (!body) return;
    setBusy(true);
    setActionError(undefined);
    try {
      await api(`/incidents/${id}/comments`, { method: 'POST', body: { body } });
      setComment('');
      comments.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }

  const i = data?.incident;
  return (
    <div className="page" data-testid="incident-detail">
      <div className="page-head">
        <button type="button" className="link" onClick={() => navigate('/incidents')}>
          ← Incidents
        </button>
        <h1>
          Incident #{id} {i ? <span className="muted">{i.type.replace(/_/g, ' ')}</span> : null}
        </h1>
      </div>
      <ErrorBox error={error} />
      {i ? (
        <>
          <section className="card">
            <dl className="facts">
              <dt>Status</dt>
              <dd data-testid="incident-status">
                <StatusBadge status={i.status} />
              </dd>
              <dt>Severity</dt>
              <dd>
                <SeverityBadge severity={i.severity} />
              </dd>
              <dt>Reason</dt>
              <dd>{i.reason}</dd>
              <dt>Rule</dt>
              <dd>
                <code>{i.rule}</code>
              </dd>
              <dt>Keys</dt>
              <dd>
                {Object.entries(i.keys)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(' · ') || '—'}
              </dd>
              <dt>Events</dt>
              <dd>{fmtNum(i.count)}</dd>
              <dt>First / last seen</dt>
              <dd>
                {fmtTime(i.first_seen)} – {fmtTime(i.last_seen)}
              </dd>
              <dt>Thresholds</dt>
              <dd>
                <code className="wrap">{JSON.stringify(i.thresholds)}</code>
              </dd>
              <dt>Assignee</dt>
              <dd data-testid="incident-assignee">{i.assignee ?? '—'}</dd>
            </dl>
            {canAct ? (
              <div className="workflow">
                <div className="button-row">
                  {NEXT[i.status].map((n) => (
                    <button
                      key={n.to}
                      type="button"
                      disabled={busy}
                      data-testid={`incident-status-${n.to}`}
                      onClick={() => void patch({ status: n.to })}
                    >
                      {n.label}
                    </button>
                  ))}
                </div>
                <form
                  className="inline-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const v = (assignee ?? i.assignee ?? '').trim();
                    void patch({ assignee: v === '' ? null : v });
                  }}
                >
                  <input
                    aria-label="Assignee"
                    placeholder="Assignee (user name)"
                    maxLength={200}
                    value={assignee ?? i.assignee ?? ''}
                    data-testid="incident-assignee-input"
                    onChange={(e) => setAssignee(e.target.value)}
                  />
                  <button type="submit" disabled={busy} data-testid="incident-assign">
                    Assign
                  </button>
                  <button
                    type="button"
                    className="ghost"
                    disabled={busy}
                    onClick={() => void patch({ assignee: user.username })}
                  >
                    Assign to me
                  </button>
                </form>
              </div>
            ) : null}
            {actionError ? <p className="error-box">{errorText(actionError)}</p> : null}
          </section>

          <section className="card">
            <h2>Comments</h2>
            <ErrorBox error={comments.error} />
            <ul className="comments" data-testid="incident-comments">
              {(comments.data?.comments ?? []).map((c) => (
                <li key={c.id}>
                  <div className="muted">
                    {c.author} · {fmtTime(c.created_ms)}
                  </div>
                  <p className="comment-body">{c.body}</p>
                </li>
              ))}
            </ul>
            {canAct ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void addComment();
                }}
              >
                <textarea
                  aria-label="Comment"
                  rows={3}
                  maxLength={5000}
                  value={comment}
                  data-testid="incident-comment-input"
                  onChange={(e) => setComment(e.target.value)}
                />
                <button
                  type="submit"
                  disabled={busy || comment.trim() === ''}
                  data-testid="incident-comment-submit"
                >
                  Add comment
                </button>
              </form>
            ) : null}
          </section>

          <section className="card">
            <h2>Evidence timeline</h2>
            <ol className="timeline" data-testid="incident-timeline">
              {events.map((e) => (
                <li key={e.id}>
                  <button
                    type="button"
                    className="timeline-item"
                    data-testid="incident-event"
                    onClick={() => setSelected(e.id)}
                  >
                    <span className="nowrap">{fmtTime(e.ts)}</span>
                    <SeverityBadge severity={e.severity} />
                    <span>{e.client.ip}</span>
                    <span className="ellipsis">
                      {e.http ? `${e.http.method} ${e.http.path}` : (e.message ?? e.log?.type ?? e.kind)}
                      {e.user ? ` · ${e.user}` : ''}
                    </span>
                  </button>
                </li>
              ))}
            </ol>
            {events.length === 0 ? <p className="muted">No linked events.</p> : null}
          </section>
        </>
      ) : null}
      {selected ? <EventDrawer id={selected} onClose={() => setSelected(undefined)} /> : null}
    </div>
  );
}
