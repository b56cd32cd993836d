/**
 * Navigation and header. On wide screens the navigation is a sidebar; on narrow ones it collapses
 * behind a menu button. Links the role cannot use are not shown.
 */
import { useState, type ReactNode } from 'react';
import { navigate } from '../lib/router';
import { useSession } from '../lib/session';
import { useThemeContext } from '../lib/theme-context';
import type { Scope } from '../lib/roles';

const LINKS: ReadonlyArray<{ to: string; label: string; id: string; scope?: Scope }> = [
  { to: '/', label: 'Overview', id: 'overview' },
  { to: '/alerts', label: 'Alerts', id: 'alerts' },
  { to: '/incidents', label: 'Incidents', id: 'incidents' },
  { to: '/thresholds', label: 'Thresholds', id: 'thresholds' },
  { to: '/uploads', label: 'Log uploads', id: 'uploads' },
  { to: '/bans', label: 'Bans', id: 'bans' },
  { to: '/admin', label: 'Users & keys', id: 'admin', scope: 'admin' },
  { to: '/account', label: 'Account', id: 'account' },
];

function isActive(path: string, to: string): boolean {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

export function Layout({ path, children }: { path: string; children: ReactNode }) {
  const { user, can, logout } = useSession();
  const { theme, toggle } = useThemeContext();
  const [open, setOpen] = useState(false);
  return (
    <div className="shell">
      <header className="topbar">
        <button
          type="button"
          className="menu-button"
          aria-label="Menu"
          aria-expanded={open}
          data-testid="nav-toggle"
          onClick={() => setOpen((o) => !o)}
        >
          ☰
        </button>
        <span className="brand">Palisade</span>
        <span className="spacer" />
        <button
          type="button"
          className="ghost"
          data-testid="theme-toggle"
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          onClick={toggle}
        >
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
        <a
          className="who"
          href="/account"
          title="Your account"
          data-testid="current-user"
          onClick={(e) => {
            if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
            e.preventDefault();
            navigate('/account');
          }}
        >
          {user.username} <span className="role">{user.role}</span>
        </a>
        <button type="button" className="ghost" data-testid="logout" onClick={logout}>
          Sign out
        </button>
      </header>
      <nav className={open ? 'sidebar open' : 'sidebar'} aria-label="Main">
        {LINKS.filter((l) => !l.scope || can(l.scope)).map((l) => (
          <a
            key={l.to}
            href={l.to}
            data-testid={`nav-${l.id}`}
            className={isActive(path, l.to) ? 'active' : undefined}
            aria-current={isActive(path, l.to) ? 'page' : undefined}
            onClick={(e) => {
              if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
              e.preventDefault();
              setOpen(false);
              navigate(l.to);
            }}
          >
            {l.label}
          </a>
        ))}
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}
