/** Active bans: list, add (address or CIDR, reason, duration), remove. Changing needs the "ban" scope. */
import { useState } from 'react';
import { Empty, ErrorBox } from '../components/ui';
import { api, ApiError } from '../lib/api';
import { fmtTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import { useSession } from '../lib/session';
import type { Ban } from '../lib/types';
import { Field } from '../components/ui';

export function BansPage() {
  const { can } = useSession();
  const canBan = can('ban');
  const { data, error, reload } = useApi<{ bans: Ban[] }>('/bans');
  const [value, setValue] = useState('');
  const [reason, setReason] = useState('');
  const [ttl, setTtl] = useState('3600');
  const [formError, setFormError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);

  async function act(what: () => Promise<unknown>) {
    setBusy(true);
    setFormError(undefined);
    try {
      await what();
      reload();
      return true;
    } catch (e) {
      setFormError(e instanceof Error ? e : new Error(String(e)));
      return false;
    } finally {
      setBusy(false);
    }
  }

  const field = formError instanceof ApiError ? formError.field : undefined;
  return (
    <div className="page" data-testid="bans-page">
      <div className="page-head">
        <h1>Bans</h1>
      </div>
      {canBan ? (
        <form
          className="card inline-form"
          data-testid="ban-add-form"
          onSubmit={(e) => {
            e.preventDefault();
            const t = Number(ttl);
            void act(() =>
              api('/bans', {
                method: 'POST',
                body: { value: value.trim(), reason: reason.trim(), ...(t > 0 ? { ttl_seconds: t } : {}) },
              }),
            ).then((ok) => {
              if (ok) {
                setValue('');
                setReason('');
              }
            });
          }}
        >
          <Field label="Address or CIDR" error={field === 'value' ? formError?.message : undefined}>
            <input
              required
              maxLength={64}
              value={value}
              data-testid="ban-value"
              onChange={(e) => setValue(e.target.value)}
            />
          </Field>
          <Field label="Reason" error={field === 'reason' ? formError?.message : undefined}>
            <input
              required
              maxLength={500}
              value={reason}
              data-testid="ban-reason-input"
              onChange={(e) => setReason(e.target.value)}
            />
          </Field>
          <Field label="Duration">
            <select value={ttl} onChange={(e) => setTtl(e.target.value)}>
              <option value="3600">1 hour</option>
              <option value="86400">1 day</option>
              <option value="604800">7 days</option>
              <option value="2592000">30 days</option>
              <option value="0">Permanent</option>
            </select>
          </Field>
          <button type="submit" className="primary" disabled={busy} data-testid="ban-add">
            Ban
          </button>
        </form>
      ) : null}
      {formError && !field ? <p className="error-box">{formError.message}</p> : null}
      <ErrorBox error={error} />
      <div className="table-wrap card">
        <table className="data" data-testid="bans-table">
          <thead>
            <tr>
              <th>Address</th>
              <th>Reason</th>
              <th>Source</th>
              <th>Since</th>
              <th>Until</th>
              <th>By</th>
              {canBan ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {(data?.bans ?? []).map((b) => (
              <tr key={b.id} data-testid="ban-row">
                <td>
                  <code>{b.value}</code>
                </td>
                <td>{b.reason}</td>
                <td>{b.source}</td>
                <td className="nowrap">{fmtTime(b.created)}</td>
                <td className="nowrap">{b.until ? fmtTime(b.until) : 'permanent'}</td>
                <td>{b.created_by}</td>
                {canBan ? (
                  <td>
                    <button
                      type="button"
                      className="ghost"
                      disabled={busy}
                      data-testid="ban-remove"
                      onClick={() => void act(() => api(`/bans/${b.id}`, { method: 'DELETE' }))}
                    >
                      Remove
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {data && data.bans.length === 0 ? <Empty>No active bans.</Empty> : null}
      </div>
    </div>
  );
}
