/**
 * Sign in, or register: GET /auth/status says whether this server has no user yet (the first
 * account becomes the admin), takes open registration, or needs an invitation code.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../lib/api';
import { useApi } from '../lib/hooks';
import type { User } from '../lib/types';
import { Field } from '../components/ui';

interface AuthStatus {
  registration: 'first_user' | 'open' | 'invitation';
  oidc: boolean;
}

export function LoginPage({ onSignedIn }: { onSignedIn: (user: User, csrf: string | undefined) => void }) {
  const { data: status } = useApi<AuthStatus>('/auth/status');
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [invitation, setInvitation] = useState('');
  const [error, setError] = useState<ApiError | Error>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (status?.registration === 'first_user') setMode('register');
  }, [status]);

  const firstUser = status?.registration === 'first_user';

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'register')
        await api('/auth/register', {
          method: 'POST',
          quiet401: true,
          body: { username, password, ...(invitation.trim() ? { invitation: invitation.trim() } : {}) },
        });
      const res = await api<{ user: User; csrf_token?: string }>('/auth/login', {
        method: 'POST',
        quiet401: true,
        body: { username, password },
      });
      onSignedIn(res.user, res.csrf_token);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  }

  const field = error instanceof ApiError ? error.field : undefined;
  const fieldError = (name: string) => (field === name ? error?.message : undefined);
  const generalError =
    error && !(field && ['username', 'password', 'invitation'].includes(field)) ? error.message : '';

  return (
    <div className="login">
      <form className="card login-card" onSubmit={(e) => void submit(e)} data-testid="login-form">
        <h1>Palisade</h1>
        {mode === 'register' ? (
          <p className="muted" data-testid="register-intro">
            {firstUser
              ? 'No account exists yet. Create the first administrator account.'
              : status?.registration === 'open'
                ? 'Create an account.'
                : 'Create an account with the invitation code an administrator gave you.'}
          </p>
        ) : (
          <p className="muted">Sign in to the dashboard.</p>
        )}
        <Field label="User name" error={fieldError('username')}>
          <input
            name="username"
            autoComplete="username"
            required
            maxLength={200}
            value={username}
            data-testid="login-username"
            onChange={(e) => setUsername(e.target.value)}
          />
        </Field>
        <Field label="Password" error={fieldError('password')}>
          <input
            name="password"
            type="password"
            autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
            required
            maxLength={1024}
            value={password}
            data-testid="login-password"
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        {mode === 'register' && status?.registration === 'invitation' ? (
          <Field label="Invitation code" error={fieldError('invitation')}>
            <input
              name="invitation"
              required
              maxLength={200}
              value={invitation}
              data-testid="login-invitation"
              onChange={(e) => setInvitation(e.target.value)}
            />
          </Field>
        ) : null}
        {generalError ? (
          <p className="error-box" role="alert" data-testid="login-error">
            {generalError}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
          {mode === 'register' ? (firstUser ? 'Create admin account' : 'Create account') : 'Sign in'}
        </button>
        {!firstUser && status ? (
          <button
            type="button"
            className="link"
            data-testid="login-switch"
            onClick={() => {
              setError(undefined);
              setMode((m) => (m === 'login' ? 'register' : 'login'));
            }}
          >
            {mode === 'login' ? 'Register a new account' : 'Back to sign in'}
          </button>
        ) : null}
      </form>
    </div>
  );
}
