/**
 * One event in full, beside the list: the request (line, headers, body — raw for analysts), the
 * evidence marked inside it (as sent and percent-decoded), the rules that fired, the scores, where
 * it came from, and the analyst's actions: label as attack or false positive, ban the source,
 * exclude a rule for a path. Actions the role cannot take are not offered.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, errorText } from '../lib/api';
import { fmtScore, fmtTime } from '../lib/format';
import { formDecode, parseRawRequest, percentDecode } from '../lib/highlight';
import { useApi } from '../lib/hooks';
import { useSession } from '../lib/session';
import type { Finding, Label, SecurityEvent } from '../lib/types';
import { Highlighted } from './Highlighted';
import { ActionBadge, ErrorBox, SeverityBadge } from './ui';

export function EventDrawer({
  id,
  onClose,
  onChanged,
}: {
  id: string;
  onClose: () => void;
  onChanged?: (e: SecurityEvent) => void;
}) {
  const { can } = useSession();
  const withRaw = can('raw');
  const {
    data: event,
    error,
    loading,
    reload,
  } = useApi<SecurityEvent>(`/events/${encodeURIComponent(id)}`, withRaw ? { raw: true } : undefined);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside className="drawer" role="dialog" aria-label="Event detail" data-testid="event-drawer">
      <div className="drawer-head">
        <h2>Event</h2>
        <button
          type="button"
          className="ghost"
          aria-label="Close"
          data-testid="drawer-close"
          onClick={onClose}
        >
          ✕
        </button>
      </div>
      <ErrorBox error={error} />
      {loading && !event ? <p className="muted">Loading…</p> : null}
      {event ? (
        <EventBody
          event={event}
          onChanged={(e) => {
            reload();
            onChanged?.(e);
          }}
        />
      ) : null}
    </aside>
  );
}

function EventBody({ event, onChanged }: { event: SecurityEvent; onChanged: (e: SecurityEvent) => void }) {
  const needles = useMemo(() => event.findings.map((f) => f.evidence).filter((e) => e !== ''), [event]);
  const h = event.http;
  const raw = event.raw !== undefined && event.kind === 'http' ? parseRawRequest(event.raw) : undefined;
  const requestLine = h
    ? `${h.method} ${percentDecode(h.path)}${h.query ? `?${formDecode(h.query)}` : ''}`
    : (event.raw ?? event.message ?? '');
  const headers: Array<[string, string]> =
    raw?.headers ??
    ([
      ['host', h?.host],
      ['user-agent', h?.user_agent],
      ['referer', h?.referer],
    ].filter((x): x is [string, string] => typeof x[1] === 'string') as Array<[string, string]>);
  const contentType = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const body = raw ? (/x-www-form-urlencoded/i.test(contentType) ? formDecode(raw.body) : raw.body) : '';
  const g = event.client.geo;
  return (
    <div className="drawer-body">
      <dl className="facts">
        <dt>Time</dt>
        <dd>{fmtTime(event.ts)}</dd>
        <dt>Verdict</dt>
        <dd>
          <ActionBadge action={event.action} /> <SeverityBadge severity={event.severity} /> score{' '}
          {event.score}
        </dd>
        <dt>Kind</dt>
        <dd>
          {event.kind} · {event.source.name}
        </dd>
        {event.user ? (
          <>
            <dt>User</dt>
            <dd>
              {event.user} {event.outcome ? `(${event.outcome})` : ''}
            </dd>
          </>
        ) : null}
        <dt>Labels</dt>
        <dd data-testid="event-labels">
          detector: {event.labels?.detector ?? '—'} · analyst: {event.labels?.analyst ?? '—'}
        </dd>
      </dl>

      <Actions event={event} onChanged={onChanged} />

      <section>
        <h3>Request</h3>
        {raw ? (
          <p className="muted small">Decoded as the detectors read it; the raw bytes are below.</p>
        ) : null}
        <Highlighted text={requestLine} needles={needles} testId="request-line" />
        {headers.length > 0 ? (
          <table className="kv" data-testid="request-headers">
            <tbody>
              {headers.map(([k, v], i) => (
                <tr key={i}>
                  <th>{k}</th>
                  <td>
                    <Highlighted text={v} needles={needles} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {body !== '' ? (
          <>
            <h4>Body</h4>
            <Highlighted text={body} needles={needles} testId="request-body" />
          </>
        ) : null}
        {raw && event.raw !== undefined ? (
          <details>
            <summary>
              Raw request as received{event.raw_truncated ? ' (truncated at the capture limit)' : ''}
            </summary>
            <Highlighted
              text={event.raw}
              needles={[...needles, ...needles.map(encodeForMatch)]}
              testId="request-raw"
            />
          </details>
        ) : null}
      </section>

      <section>
        <h3>Rules that fired</h3>
        {event.findings.length === 0 ? (
          <p className="muted">No findings.</p>
        ) : (
          <div className="table-wrap">
            <table className="data" data-testid="findings">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th>Class</th>
                  <th>Severity</th>
                  <th>Location</th>
                  <th>Evidence</th>
                  <th>Decoded by</th>
                </tr>
              </thead>
              <tbody>
                {event.findings.map((f, i) => (
                  <tr key={i} data-testid="finding-row">
                    <td>
                      <code>{f.rule}</code>
                      {f.rule_version !== undefined ? (
                        <span className="muted"> v{f.rule_version}</span>
                      ) : null}
                    </td>
                    <td>{f.class}</td>
                    <td>
                      <SeverityBadge severity={f.severity} />
                    </td>
                    <td>
                      <code>{f.location}</code>
                    </td>
                    <td>
                      <mark className="evidence">{f.evidence}</mark>
                    </td>
                    <td>{f.decoded_by.length ? f.decoded_by.join(' → ') : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section>
        <h3>Scores</h3>
        <dl className="facts">
          <dt>Rule score</dt>
          <dd>{event.score}</dd>
          <dt>ML classifier</dt>
          <dd data-testid="ml-score">{fmtScore(event.ml_score)}</dd>
          <dt>Anomaly</dt>
          <dd data-testid="anomaly-score">{fmtScore(event.anomaly_score)}</dd>
        </dl>
      </section>

      <section>
        <h3>Source</h3>
        <dl className="facts">
          <dt>IP</dt>
          <dd>
            {event.client.ip}
            {event.client.port ? `:${event.client.port}` : ''}
          </dd>
          <dt>Location</dt>
          <dd>
            {g?.range
              ? `(${g.range})`
              : [g?.city, g?.country_name ?? g?.country].filter(Boolean).join(', ') || '—'}
          </dd>
          <dt>ASN</dt>
          <dd>{event.client.asn ? `AS${event.client.asn.number} ${event.client.asn.org}` : '—'}</dd>
          <dt>Fingerprint</dt>
          <dd>
            <code className="wrap">{event.client.fingerprint ?? '—'}</code>
          </dd>
          {event.client.reputation ? (
            <>
              <dt>Reputation</dt>
              <dd>
                {event.client.reputation.score} ({event.client.reputation.lists.join(', ')})
              </dd>
            </>
          ) : null}
        </dl>
      </section>
    </div>
  );
}

/** The evidence as it may appear percent-encoded in the request line. */
function encodeForMatch(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s;
  }
}

function Actions({ event, onChanged }: { event: SecurityEvent; onChanged: (e: SecurityEvent) => void }) {
  const { can } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [banOpen, setBanOpen] = useState(false);
  const [banReason, setBanReason] = useState('');
  const [banTtl, setBanTtl] = useState('3600');

  async function run(what: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(undefined);
    setNotice('');
    try {
      await what();
      setNotice(done);
      onChanged(event);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const label = (l: Label | null) =>
    run(
      () => api(`/events/${encodeURIComponent(event.id)}/label`, { method: 'PUT', body: { label: l } }),
      l === null ? 'Label cleared.' : l === 'attack' ? 'Labelled as attack.' : 'Labelled as false positive.',
    );

  const canLabel = can('label');
  const canBan = can('ban');
  const canExclude = can('admin');
  if (!canLabel && !canBan && !canExclude) return null;
  return (
    <section className="actions" data-testid="event-actions">
      <div className="button-row">
        {canLabel ? (
          <>
            <button
              type="button"
              data-testid="label-attack"
              disabled={busy}
              className={event.labels?.analyst === 'attack' ? 'selected' : undefined}
              onClick={() => void label('attack')}
            >
              Label attack
            </button>
            <button
              type="button"
              data-testid="label-benign"
              disabled={busy}
              className={event.labels?.analyst === 'benign' ? 'selected' : undefined}
              onClick={() => void label('benign')}
            >
              False positive
            </button>
            {event.labels?.analyst ? (
              <button type="button" className="ghost" disabled={busy} onClick={() => void label(null)}>
                Clear label
              </button>
            ) : null}
          </>
        ) : null}
        {canBan ? (
          <button type="button" data-testid="ban-ip" disabled={busy} onClick={() => setBanOpen((o) => !o)}>
            Ban {event.client.ip}
          </button>
        ) : null}
      </div>
      {banOpen && canBan ? (
        <form
          className="inline-form"
          data-testid="ban-form"
          onSubmit={(e) => {
            e.preventDefault();
            const ttl = Number(banTtl);
            void run(
              () =>
                api('/bans', {
                  method: 'POST',
                  body: {
                    value: event.client.ip,
                    reason: banReason.trim() || `event ${event.id}`,
                    ...(ttl > 0 ? { ttl_seconds: ttl } : {}),
                  },
                }),
              `${event.client.ip} banned.`,
            ).then(() => setBanOpen(false));
          }}
        >
          <input
            aria-label="Reason"
            placeholder="Reason"
            maxLength={500}
            value={banReason}
            data-testid="ban-reason"
            onChange={(e) => setBanReason(e.target.value)}
          />
          <select aria-label="Duration" value={banTtl} onChange={(e) => setBanTtl(e.target.value)}>
            <option value="3600">1 hour</option>
            <option value="86400">1 day</option>
            <option value="604800">7 days</option>
            <option value="0">Permanent</option>
          </select>
          <button type="submit" data-testid="ban-submit" disabled={busy}>
            Ban
          </button>
        </form>
      ) : null}
      {canExclude && event.findings.length > 0 ? (
        <ExclusionButtons event={event} busy={busy} run={run} />
      ) : null}
      {notice ? (
        <p className="notice" role="status" data-testid="action-notice">
          {notice}
        </p>
      ) : null}
      {error ? <p className="error-box">{errorText(error)}</p> : null}
    </section>
  );
}

function ExclusionButtons({
  event,
  busy,
  run,
}: {
  event: SecurityEvent;
  busy: boolean;
  run: (what: () => Promise<unknown>, done: string) => Promise<void>;
}) {
  const seen = new Set<string>();
  const unique: Finding[] = [];
  for (const f of event.findings) {
    const k = `${f.rule}\u0000${f.location}`;
    if (!seen.has(k)) {
      seen.add(k);
      unique.push(f);
    }
  }
  const path = event.http?.path;
  return (
    <div className="button-row">
      {unique.slice(0, 10).map((f) => (
        <button
          key={`${f.rule}|${f.location}`}
          type="button"
          className="ghost"
          data-testid="create-exclusion"
          disabled={busy}
          title={`Stop ${f.rule} firing on ${f.location}${path ? ` of ${path}` : ''}`}
          onClick={() =>
            void run(
              () =>
                api('/exclusions', {
                  method: 'POST',
                  body: {
                    rule: f.rule,
                    location: f.location,
                    ...(path ? { path } : {}),
                    reason: `false positive on event ${event.id}`,
                  },
                }),
              `Exclusion created: ${f.rule} on ${f.location}.`,
            )
          }
        >
          Exclude {f.rule} @ {f.location}
        </button>
      ))}
    </div>
  );
}
