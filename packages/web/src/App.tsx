/**
 * The shell: asks the server who is signed in (GET /auth/me), shows the login when nobody is, and
 * otherwise the navigation and the page for the current path. A 401 from any call returns here.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, setCsrfToken, setUnauthorizedHandler } from './lib/api';
import { roleCan, type Scope } from './lib/roles';
import { useLocation } from './lib/router';
import { SessionContext, type Session } from './lib/session';
import { useTheme } from './lib/theme';
import type { User } from './lib/types';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/LoginPage';
import { OverviewPage } from './pages/OverviewPage';
import { AlertsPage } from './pages/AlertsPage';
import { IncidentsPage } from './pages/IncidentsPage';
import { IncidentDetailPage } from './pages/IncidentDetailPage';
import { ThresholdsPage } from './pages/ThresholdsPage';
import { UploadsPage } from './pages/UploadsPage';
import { BansPage } from './pages/BansPage';
import { AdminPage } from './pages/AdminPage';
import { AccountPage } from './pages/AccountPage';
import { ThemeContext } from './lib/theme-context';

type AuthState = { state: 'loading' } | { state: 'anonymous' } | { state: 'signed-in'; user: User };

export function App() {
  const [auth, setAuth] = useState<AuthState>({ state: 'loading' });
  const [theme, toggleTheme] = useTheme();
  const { path } = useLocation();

  const loadMe = useCallback(async () => {
    try {
      const me = await api<{ user: User; csrf_token?: string }>('/auth/me', { quiet401: true });
      if (me.csrf_token) setCsrfToken(me.csrf_token);
      setAuth({ state: 'signed-in', user: me.user });
    } catch {
      setAuth({ state: 'anonymous' });
    }
  }, []);

  /** The session ended (a 401, a logout, a password change): back to the login page. */
  const signedOut = useCallback(() => {
    setCsrfToken(undefined);
    setAuth({ state: 'anonymous' });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(signedOut);
    void loadMe();
  }, [loadMe, signedOut]);

  const logout = useCallback(() => {
    void api('/auth/logout', { method: 'POST', quiet401: true })
      .catch(() => undefined)
      .finally(signedOut);
  }, [signedOut]);

  const session = useMemo<Session | undefined>(
    () =>
      auth.state === 'signed-in'
        ? { user: auth.user, can: (s: Scope) => roleCan(auth.user.role, s), logout }
        : undefined,
    [auth, logout],
  );

  let body;
  if (auth.state === 'loading') body = <div className="splash">Loading…</div>;
  else if (!session)
    body = (
      <LoginPage
        onSignedIn={(user, csrf) => {
          setCsrfToken(csrf);
          setAuth({ state: 'signed-in', user });
        }}
      />
    );
  else
    body = (
      <SessionContext.Provider value={session}>
        <Layout path={path}>{page(path, session, signedOut)}</Layout>
      </SessionContext.Provider>
    );
  return <ThemeContext.Provider value={{ theme, toggle: toggleTheme }}>{body}</ThemeContext.Provider>;
}

function page(path: string, session: Session, signedOut: () => void) {
  const incident = /^\/incidents\/(\d{1,15})$/.exec(path);
  if (incident) return <IncidentDetailPage id={Number(incident[1])} />;
  switch (path) {
    case '/alerts':
      return <AlertsPage />;
    case '/incidents':
      return <IncidentsPage />;
    case '/thresholds':
      return <ThresholdsPage />;
    case '/uploads':
      return <UploadsPage />;
    case '/bans':
      return <BansPage />;
    case '/admin':
      return session.can('admin') ? <AdminPage /> : <OverviewPage />;
    case '/account':
      return <AccountPage onPasswordChanged={signedOut} />;
    default:
      return <OverviewPage />;
  }
}
