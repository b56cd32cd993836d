/** Incidents, newest first, filtered by status, type and source address; a row opens the detail. */
import { useState } from 'react';
import { api } from '../lib/api';
import { Empty, ErrorBox, rowActivation, SeverityBadge, StatusBadge } from '../components/ui';
import { fmtNum, fmtTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import { navigate } from '../lib/router';
import { INCIDENT_STATUSES, INCIDENT_TYPES, type Incident } from '../lib/types';

export function IncidentsPage() {
  const [status, setStatus] = useState('open');
  const [type, setType] = useState('');
  const [ip, setIp] = useState('');
  const [ipApplied, setIpApplied] = useState('');
  const [pages, setPages] = useState<Incident[][]>([]);
  const { data, error, loading } = useApi<{ incidents: Incident[]; next_cursor: string | null }>(
    '/incidents',
    { status: status || undefined, type: type || undefined, ip: ipApplied || undefined, limit: 100 },
    15_000,
  );
  const [older, setOlder] = useState<{ cursor: string | null; error?: unknown }>({ cursor: null });
  const rows = [...(data?.incidents ?? []), ...pages.flat()];
  const next = pages.length > 0 ? older.cursor : (data?.next_cursor ?? null);

  function reset() {
    setPages([]);
    setOlder({ cursor: null });
  }

  async function loadOlder() {
    if (!next) return;
    try {
      const page = await api<{ incidents: Incident[]; next_cursor: string | null }>('/incidents', {
        query: {
          status: status || undefined,
          type: type || undefined,
          ip: ipApplied || undefined,
          limit: 100,
          cursor: next,
        },
      });
      setPages((p) => [...p, page.incidents]);
      setOlder({ cursor: page.next_cursor });
    } catch (e) {
      setOlder((o) => ({ ...o, error: e }));
    }
  }

  return (
    <div className="page" data-testid="incidents-page">
      <div className="page-head">
        <h1>Incidents</h1>
      </div>
      <form
        className="filters card"
        onSubmit={(e) => {
          e.preventDefault();
          reset();
          setIpApplied(ip.trim());
        }}
      >
        <select
          aria-label="Status"
          value={status}
          data-testid="incident-filter-status"
          onChange={(e) => {
            reset();
            setStatus(e.target.value);
          }}
        >
          <option value="">Any status</option>
          {INCIDENT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
        <select
          aria-label="Type"
          value={type}
          data-testid="incident-filter-type"
          onChange={(e) => {
            reset();
            setType(e.target.value);
          }}
        >
          <option value="">Any type</option>
          {INCIDENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
        <input
          aria-label="Source IP"
          placeholder="Source IP"
          maxLength={64}
          value={ip}
          onChange={(e) => setIp(e.target.value)}
        />
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      <ErrorBox error={error ?? older.error} />
      <div className="table-wrap card">
        <table className="data clickable" data-testid="incidents-table">
          <thead>
            <tr>
              <th>#</th>
              <th>Type</th>
              <th>Severity</th>
              <th>Status</th>
              <th>Keys</th>
              <th className="num">Events</th>
              <th>Last seen</th>
              <th>Assignee</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr
                key={i.id}
                data-testid="incident-row"
                data-incident-id={i.id}
                {...rowActivation(() => navigate(`/incidents/${i.id}`))}
              >
                <td>{i.id}</td>
                <td>{i.type.replace(/_/g, ' ')}</td>
                <td>
                  <SeverityBadge severity={i.severity} />
                </td>
                <td>
                  <StatusBadge status={i.status} />
                </td>
                <td className="ellipsis">
                  {[i.keys.ip, i.keys.user, i.keys.target].filter(Boolean).join(' · ')}
                </td>
                <td className="num">{fmtNum(i.count)}</td>
                <td className="nowrap">{fmtTime(i.last_seen)}</td>
                <td>{i.assignee ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && !loading ? <Empty>No incidents match.</Empty> : null}
      </div>
      {next ? (
        <button type="button" onClick={() => void loadOlder()}>
          Load older
        </button>
      ) : null}
    </div>
  );
}
