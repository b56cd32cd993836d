/** Data hooks: one GET with loading/error state and reload, optionally refreshed on an interval. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Query } from './api';

export interface Fetched<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** GET `/api/v1${path}` (null = nothing to fetch); re-fetches when `path`/`query` change. */
export function useApi<T>(path: string | null, query?: Query, refreshMs?: number): Fetched<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(query ?? {});
  const queryRef = useRef(query);
  queryRef.current = query;

  useEffect(() => {
    if (path === null) return;
    const ctrl = new AbortController();
    setLoading(true);
    api<T>(path, { query: queryRef.current, signal: ctrl.signal })
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setError(e);
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setLoading(false);
      });
    return () => ctrl.abort();
  }, [path, key, tick]);

  useEffect(() => {
    if (!refreshMs || path === null) return;
    const t = window.setInterval(() => setTick((n) => n + 1), refreshMs);
    return () => window.clearInterval(t);
  }, [refreshMs, path]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}
