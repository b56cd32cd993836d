/**
 * The signed-in user's own account: who they are, and changing the password (the current one is
 * needed; the server applies the password policy and then ends every login of the user, so the
 * dashboard returns to the login page).
 */
import { useState } from 'react';
import { Field } from '../components/ui';
import { api, ApiError } from '../lib/api';
import { fmtTime } from '../lib/format';
import { useSession } from '../lib/session';

export function AccountPage({ onPasswordChanged }: { onPasswordChanged: () => void }) {
  const { user } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);
  const field = error instanceof ApiError ? error.field : undefined;
  const mismatch = confirm !== '' && confirm !== next;

  return (
    <div className="page" data-testid="account-page">
      <div className="page-head">
        <h1>Account</h1>
      </div>
      <div className="card">
        <dl className="facts">
          <dt>User</dt>
          <dd>{user.username}</dd>
          <dt>Role</dt>
          <dd>{user.role}</dd>
          <dt>Last login</dt>
          <dd>{user.last_login_ms ? fmtTime(user.last_login_ms) : '—'}</dd>
        </dl>
      </div>
      <form
        className="card inline-form"
        data-testid="password-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (mismatch) return;
          setBusy(true);
          setError(undefined);
          api('/auth/password', {
            method: 'POST',
            body: { current_password: current, new_password: next },
          })
            .then(onPasswordChanged)
            .catch((err: unknown) => setError(err instanceof Error ? err : new Error(String(err))))
            .finally(() => setBusy(false));
        }}
      >
        <Field
          label="Current password"
          error={field === 'current_password' || (error && !field) ? error?.message : undefined}
        >
          <input
            type="password"
            autoComplete="current-password"
            required
            maxLength={1024}
            value={current}
            data-testid="password-current"
            onChange={(e) => setCurrent(e.target.value)}
          />
        </Field>
        <Field label="New password" error={field === 'new_password' ? error?.message : undefined}>
          <input
            type="password"
            autoComplete="new-password"
            required
            maxLength={1024}
            value={next}
            data-testid="password-new"
            onChange={(e) => setNext(e.target.value)}
          />
        </Field>
        <Field label="Repeat the new password" error={mismatch ? 'the passwords differ' : undefined}>
          <input
            type="password"
            autoComplete="new-password"
            required
            maxLength={1024}
            value={confirm}
            data-testid="password-confirm"
            onChange={(e) => setConfirm(e.target.value)}
          />
        </Field>
        <button type="submit" className="primary" disabled={busy || mismatch} data-testid="password-submit">
          Change password
        </button>
      </form>
      <p className="muted">
        At least 12 characters, not containing your user name, not a common password. Changing it signs you
        out everywhere.
      </p>
    </div>
  );
}
