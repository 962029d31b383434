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
