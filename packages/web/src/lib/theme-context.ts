/** The current theme and its toggle, for the header button and the charts. */
import { createContext, useContext } from 'react';
import type { Theme } from './theme';

export const ThemeContext = createContext<{ theme: Theme; toggle: () => void }>({
  theme: 'light',
  toggle: () => {},
});

export const useThemeContext = () => useContext(ThemeContext);
