/**
 * A tiny history router: the dashboard has a handful of pages, so a path switch and a `navigate`
 * that pushes state are enough (the server answers index.html for every non-API path).
 */
import { useSyncExternalStore } from 'react';

const NAV_EVENT = 'palisade:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(NAV_EVENT, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(NAV_EVENT, cb);
  };
}

const snapshot = (): string => window.location.pathname + window.location.search;

/** The current path and query, re-rendering on navigation. */
export function useLocation(): { path: string; search: string } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const q = href.indexOf('?');
  return q < 0 ? { path: href, search: '' } : { path: href.slice(0, q), search: href.slice(q) };
}

/** Goes to a dashboard path (`/incidents/3`); only same-origin paths are accepted. */
export function navigate(to: string, replace = false): void {
  if (!to.startsWith('/') || to.startsWith('//')) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAV_EVENT));
}
