/**
 * Administration (admin only): users (role, disable, delete), invitations, open registration,
 * API keys (the secret of a new key is shown once, here, and never again) and rule exclusions.
 */
import { useState, type ReactNode } from 'react';
import { Empty, ErrorBox } from '../components/ui';
import { api } from '../lib/api';
import { fmtTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import { useSession } from '../lib/session';
import type { ApiKey, Exclusion, Role, User } from '../lib/types';

const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];
const KEY_SCOPES = ['read', 'raw', 'label', 'ban', 'upload', 'ingest', 'admin'];

/** Runs an admin action with one busy flag and one error per section. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  async function run<T>(what: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(undefined);
    try {
      return await what();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, run };
}

/** A DELETE of `path` as the section's action, then `done` (the list's reload). */
function DeleteButton({
  action,
  path,
  done,
  testId,
  children,
}: {
  action: ReturnType<typeof useAction>;
  path: string;
  done: () => void;
  testId: string;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className="ghost danger"
      disabled={action.busy}
      data-testid={testId}
      onClick={() => void action.run(() => api(path, { method: 'DELETE' })).then(done)}
    >
      {children}
    </button>
  );
}

export function AdminPage() {
  return (
    <div className="page" data-testid="admin-page">
      <div className="page-head">
        <h1>Users &amp; keys</h1>
      </div>
      <Users />
      <Invitations />
      <ApiKeys />
      <Exclusions />
    </div>
  );
}

function Users() {
  const { user: me } = useSession();
  const { data, error, reload } = useApi<{ users: User[] }>('/users');
  const a = useAction();
  const patch = (id: number, body: { role?: Role; disabled?: boolean }) =>
    void a.run(() => api(`/users/${id}`, { method: 'PATCH', body })).then(reload);
  return (
    <section className="card">
      <h2>Users</h2>
      <ErrorBox error={error ?? a.error} />
      <div className="table-wrap">
        <table className="data" data-testid="users-table">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>Created</th>
              <th>Last login</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(data?.users ?? []).map((u) => (
              <tr key={u.id} data-testid="user-row">
                <td>{u.username}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.username}`}
                    value={u.role}
                    disabled={a.busy || u.id === me.id}
                    data-testid="user-role"
                    onChange={(e) => patch(u.id, { role: e.target.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="nowrap">{fmtTime(u.created_ms)}</td>
                <td className="nowrap">{fmtTime(u.last_login_ms)}</td>
                <td>{u.disabled ? 'disabled' : 'active'}</td>
                <td className="nowrap">
                  {u.id === me.id ? (
                    <span className="muted">you</span>
                  ) : (
                    <>
                      <button
                        type="button"
                        className="ghost"
                        disabled={a.busy}
                        data-testid="user-disable"
                        onClick={() => patch(u.id, { disabled: !u.disabled })}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                      <button
                        type="button"
                        className="ghost danger"
                        disabled={a.busy}
                        data-testid="user-delete"
                        onClick={() => {
                          if (window.confirm(`Delete ${u.username}?`))
                            void a.run(() => api(`/users/${u.id}`, { method: 'DELETE' })).then(reload);
                        }}
                      >
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Invitations() {
  const [role, setRole] = useState<Role>('analyst');
  const [token, setToken] = useState<{ token: string; expires_ms: number }>();
  const registration = useApi<{ open: boolean }>('/settings/registration');
  const a = useAction();
  return (
    <section className="card">
      <h2>Invitations and registration</h2>
      <ErrorBox error={a.error} />
      <div className="inline-form">
        <select
          aria-label="Role of the invited user"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button
          type="button"
          disabled={a.busy}
          data-testid="invite-create"
          onClick={() =>
            void a
              .run(() =>
                api<{ token: string; expires_ms: number }>('/users/invitations', {
                  method: 'POST',
                  body: { role },
                }),
              )
              .then((t) => setToken(t))
          }
        >
          Create invitation
        </button>
      </div>
      {token ? (
        <p className="secret" data-testid="invite-token">
          Invitation code (valid until {fmtTime(token.expires_ms)}): <code>{token.token}</code>
        </p>
      ) : null}
      {registration.data ? (
        <label className="switch">
          <input
            type="checkbox"
            checked={registration.data.open}
            disabled={a.busy}
            data-testid="registration-open"
            onChange={(e) =>
              void a
                .run(() => api('/settings/registration', { method: 'PUT', body: { open: e.target.checked } }))
                .then(registration.reload)
            }
          />
          <span>Open registration (anyone can create a viewer account)</span>
        </label>
      ) : null}
    </section>
  );
}

function ApiKeys() {
  const { data, error, reload } = useApi<{ keys: ApiKey[] }>('/apikeys');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read']);
  const [secret, setSecret] = useState<string>();
  const a = useAction();
  return (
    <section className="card">
      <h2>API keys</h2>
      <ErrorBox error={error ?? a.error} />
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void a
            .run(() =>
              api<{ secret: string }>('/apikeys', { method: 'POST', body: { name: name.trim(), scopes } }),
            )
            .then((r) => {
              if (r) {
                setSecret(r.secret);
                setName('');
                reload();
              }
            });
        }}
      >
        <input
          aria-label="Key name"
          placeholder="Key name"
          required
          maxLength={100}
          value={name}
          data-testid="apikey-name"
          onChange={(e) => setName(e.target.value)}
        />
        {KEY_SCOPES.map((s) => (
          <label key={s} className="check">
            <input
              type="checkbox"
              checked={scopes.includes(s)}
              data-testid={`apikey-scope-${s}`}
              onChange={(e) => setScopes((x) => (e.target.checked ? [...x, s] : x.filter((y) => y !== s)))}
            />
            {s}
          </label>
        ))}
        <button type="submit" disabled={a.busy || scopes.length === 0} data-testid="apikey-create">
          Create key
        </button>
      </form>
      {secret ? (
        <div className="secret" data-testid="apikey-secret">
          <p>Copy this key now; it is not shown again.</p>
          <code>{secret}</code>{' '}
          <button type="button" className="ghost" onClick={() => void navigator.clipboard?.writeText(secret)}>
            Copy
          </button>{' '}
          <button type="button" className="ghost" onClick={() => setSecret(undefined)}>
            Done
          </button>
        </div>
      ) : null}
      <div className="table-wrap">
        <table className="data" data-testid="apikeys-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(data?.keys ?? []).map((k) => (
              <tr key={k.id} data-testid="apikey-row">
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td>{k.scopes.join(', ')}</td>
                <td className="nowrap">{fmtTime(k.created_ms)}</td>
                <td className="nowrap">{fmtTime(k.last_used_ms)}</td>
                <td>
                  {k.revoked_ms ? (
                    <span className="muted">revoked</span>
                  ) : (
                    <DeleteButton action={a} path={`/apikeys/${k.id}`} done={reload} testId="apikey-revoke">
                      Revoke
                    </DeleteButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Exclusions() {
  const { data, error, reload } = useApi<{ exclusions: Exclusion[] }>('/exclusions');
  const a = useAction();
  return (
    <section className="card">
      <h2>Rule exclusions</h2>
      <ErrorBox error={error ?? a.error} />
      <div className="table-wrap">
        <table className="data" data-testid="exclusions-table">
          <thead>
            <tr>
              <th>Rule / class</th>
              <th>Method</th>
              <th>Path</th>
              <th>Location</th>
              <th>Reason</th>
              <th>By</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(data?.exclusions ?? []).map((x) => (
              <tr key={x.id} data-testid="exclusion-row">
                <td>
                  <code>{x.rule ?? x.class ?? '*'}</code>
                </td>
                <td>{x.method ?? '*'}</td>
                <td>
                  <code>{x.path ?? '*'}</code>
                </td>
                <td>
                  <code>{x.location ?? '*'}</code>
                </td>
                <td>{x.reason}</td>
                <td>
                  {x.created_by} <span className="muted">{fmtTime(x.created_ms)}</span>
                </td>
                <td>
                  <DeleteButton
                    action={a}
                    path={`/exclusions/${x.id}`}
                    done={reload}
                    testId="exclusion-delete"
                  >
                    Delete
                  </DeleteButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {data && data.exclusions.length === 0 ? <Empty>No exclusions.</Empty> : null}
      </div>
    </section>
  );
}
