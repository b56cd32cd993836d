/**
 * Light and dark themes: the saved choice (localStorage), else the system's preference. The theme
 * is an attribute on <html> that the CSS variables key on; charts read the same palette.
 */
import { useCallback, useEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const KEY = 'palisade.theme';

function initialTheme(): Theme {
  try {
    const saved = window.localStorage.getItem(KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // Storage can be disabled; the system preference still applies.
  }
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = useCallback(() => {
    setTheme((t) => {
      const next = t === 'dark' ? 'light' : 'dark';
      try {
        window.localStorage.setItem(KEY, next);
      } catch {
        // Not persisted; the toggle still works for this visit.
      }
      return next;
    });
  }, []);
  return [theme, toggle];
}

/** Chart colours per theme (kept in step with styles.css). */
export function chartPalette(theme: Theme) {
  return theme === 'dark'
    ? {
        text: '#c9d1d9',
        muted: '#8b949e',
        grid: '#30363d',
        series: ['#58a6ff', '#f85149', '#d29922', '#3fb950', '#bc8cff'],
      }
    : {
        text: '#24292f',
        muted: '#57606a',
        grid: '#d0d7de',
        series: ['#0969da', '#cf222e', '#9a6700', '#1a7f37', '#8250df'],
      };
}
