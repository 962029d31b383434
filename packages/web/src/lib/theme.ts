import { useEffect, useState } from 'react';

/** Dark and light themes: the user's choice (localStorage `fluo.theme`) or the system's preference. */
export type Theme = 'light' | 'dark';
const KEY = 'fluo.theme';

export function initialTheme(): Theme {
  const saved = (() => { try { return localStorage.getItem(KEY); } catch { return null; } })();
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try { localStorage.setItem(KEY, theme); } catch { /* private mode: the choice lasts for this page */ }
}

/** The theme in effect, updated when it changes (for parts drawn with colours read from CSS, like charts and the editor). */
export function useTheme(): Theme {
  const read = () => (document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light');
  const [theme, setTheme] = useState<Theme>(read);
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(read()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => observer.disconnect();
  }, []);
  return theme;
}
