/**
 * The live alerts table. The first page comes from GET /api/v1/events with the filters; events on
 * the stream (/api/v1/stream, Server-Sent Events) that match the filters are added at the top while
 * "Live" is on; the list never holds more than MAX_ROWS rows. Older pages load by cursor. A row
 * opens the detail drawer.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { EventDrawer } from '../components/EventDrawer';
import { ActionBadge, Empty, ErrorBox, rowActivation, SeverityBadge } from '../components/ui';
import { api } from '../lib/api';
import {
  EMPTY_FILTERS,
  filtersFromSearch,
  filtersToQuery,
  filtersToSearch,
  matchesFilters,
  prependBounded,
  type EventFilters,
} from '../lib/filters';
import { fmtTime, RANGES } from '../lib/format';
import { navigate, useLocation } from '../lib/router';
import { ACTIONS, KINDS, SEVERITIES, type SecurityEvent } from '../lib/types';

const MAX_ROWS = 500;
const PAGE = 100;

type StreamState = 'connecting' | 'live' | 'paused' | 'error';

export function AlertsPage() {
  const { search } = useLocation();
  const [filters, setFilters] = useState<EventFilters>(() => filtersFromSearch(search));
  const [draft, setDraft] = useState<EventFilters>(filters);
  const [rows, setRows] = useState<SecurityEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [live, setLive] = useState(true);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [selected, setSelected] = useState<string>();
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const load = useCallback(async (f: EventFilters, after: string | null) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await api<{ events: SecurityEvent[]; next_cursor: string | null }>('/events', {
        query: { ...filtersToQuery(f, Date.now()), limit: PAGE, cursor: after ?? undefined },
      });
      setRows((prev) => (after ? [...prev, ...page.events].slice(0, MAX_ROWS * 4) : page.events));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(filters, null);
  }, [filters, load]);

  useEffect(() => {
    if (!live) {
      setStream('paused');
      return;
    }
    const es = new EventSource('/api/v1/stream');
    setStream('connecting');
    es.onopen = () => setStream('live');
    es.onerror = () => setStream(es.readyState === EventSource.CLOSED ? 'error' : 'connecting');
    es.addEventListener('event', (msg: MessageEvent<string>) => {
      let e: SecurityEvent;
      try {
        e = JSON.parse(msg.data) as SecurityEvent;
      } catch {
        return;
      }
      if (!e || typeof e.id !== 'string' || !e.client || !Array.isArray(e.findings)) return;
      if (!matchesFilters(e, filtersRef.current, Date.now())) return;
      setRows((prev) => prependBounded(prev, [e], MAX_ROWS));
    });
    return () => es.close();
  }, [live]);

  function apply(next: EventFilters) {
    setFilters(next);
    navigate(`/alerts${filtersToSearch(next)}`, true);
  }

  const set = (k: keyof EventFilters) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [k]: e.target.value }));

  return (
    <div className="page" data-testid="alerts-page">
      <div className="page-head">
        <h1>Alerts</h1>
        <label className="switch">
          <input
            type="checkbox"
            checked={live}
            data-testid="live-toggle"
            onChange={(e) => setLive(e.target.checked)}
          />
          <span>Live</span>
          <span
            className={`dot ${stream}`}
            data-testid="stream-state"
            aria-label={`stream ${stream}`}
            title={`stream ${stream}`}
          />
        </label>
      </div>
      <form
        className="filters card"
        data-testid="alerts-filters"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <select
          aria-label="Time range"
          value={draft.range}
          onChange={set('range')}
          data-testid="filter-range"
        >
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
        <input
          aria-label="Source IP"
          placeholder="Source IP"
          maxLength={64}
          value={draft.ip}
          onChange={set('ip')}
          data-testid="filter-ip"
        />
        <input
          aria-label="Class"
          placeholder="Class (sqli, xss…)"
          maxLength={40}
          value={draft.class}
          onChange={set('class')}
          data-testid="filter-class"
        />
        <input
          aria-label="Rule"
          placeholder="Rule id"
          maxLength={100}
          value={draft.rule}
          onChange={set('rule')}
          data-testid="filter-rule"
        />
        <select
          aria-label="Minimum severity"
          value={draft.severity}
          onChange={set('severity')}
          data-testid="filter-severity"
        >
          <option value="">Any severity</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              ≥ {s}
            </option>
          ))}
        </select>
        <select aria-label="Action" value={draft.action} onChange={set('action')} data-testid="filter-action">
          <option value="">Any action</option>
          {ACTIONS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <select aria-label="Kind" value={draft.kind} onChange={set('kind')} data-testid="filter-kind">
          <option value="">Any kind</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <input
          aria-label="Search text"
          placeholder="Search path, query, agent…"
          maxLength={200}
          value={draft.q}
          onChange={set('q')}
          data-testid="filter-q"
        />
        <button type="submit" className="primary" data-testid="filter-apply">
          Apply
        </button>
        <button
          type="button"
          className="ghost"
          onClick={() => {
            setDraft(EMPTY_FILTERS);
            apply(EMPTY_FILTERS);
          }}
        >
          Reset
        </button>
      </form>
      <ErrorBox error={error} />
      <div className="table-wrap card">
        <table className="data clickable" data-testid="alerts-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Severity</th>
              <th>Action</th>
              <th>Source</th>
              <th>Request</th>
              <th>Rules</th>
              <th className="num">Score</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr
                key={e.id}
                data-testid="alerts-row"
                data-event-id={e.id}
                className={selected === e.id ? 'selected' : undefined}
                {...rowActivation(() => setSelected(e.id))}
              >
                <td className="nowrap">{fmtTime(e.ts)}</td>
                <td>
                  <SeverityBadge severity={e.severity} />
                </td>
                <td>
                  <ActionBadge action={e.action} />
                </td>
                <td className="nowrap">
                  {e.client.ip}
                  {e.client.geo?.country ? <span className="muted"> {e.client.geo.country}</span> : null}
                </td>
                <td className="ellipsis">
                  {e.http
                    ? `${e.http.method} ${e.http.path}${e.http.query ? `?${e.http.query}` : ''}`
                    : (e.message ?? e.kind)}
                </td>
                <td className="ellipsis">{[...new Set(e.findings.map((f) => f.rule))].join(', ') || '—'}</td>
                <td className="num">{e.score}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && !loading ? <Empty>No events match these filters.</Empty> : null}
      </div>
      <div className="button-row">
        {cursor ? (
          <button
            type="button"
            disabled={loading}
            data-testid="load-more"
            onClick={() => void load(filters, cursor)}
          >
            {loading ? 'Loading…' : 'Load older'}
          </button>
        ) : null}
        <span className="muted">{rows.length} shown</span>
      </div>
      {selected ? <EventDrawer id={selected} onClose={() => setSelected(undefined)} /> : null}
    </div>
  );
}
