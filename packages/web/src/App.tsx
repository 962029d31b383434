import { lazy, Suspense, useEffect, useState } from 'react';
import { NavLink, Route, Routes } from 'react-router';
import { fluoApi, onUnauthorized } from './api/fluoApi';
import type { UiConfig } from './api/types';
import { TokenForm } from './components/TokenForm';
import { applyTheme, initialTheme, type Theme } from './lib/theme';
import { OverviewScreen } from './screens/OverviewScreen';
import { RulesScreen } from './screens/RulesScreen';
import { SignalDetailScreen } from './screens/SignalDetailScreen';
import { SignalsScreen } from './screens/SignalsScreen';
import { TraceScreen } from './screens/TraceScreen';
import { TracesScreen } from './screens/TracesScreen';
import { AccessScreen } from './screens/AccessScreen';
import { InsightsScreen } from './screens/InsightsScreen';
import { InvariantsScreen } from './screens/InvariantsScreen';
import { NotificationsScreen } from './screens/NotificationsScreen';
import { UiConfigContext } from './uiConfig';

// The editor (CodeMirror and the engine's compiler) loads only when a rule is opened.
const RuleEditorScreen = lazy(() => import('./screens/RuleEditorScreen').then((m) => ({ default: m.RuleEditorScreen })));

const NAV = [
  { to: '/', label: 'Overview', end: true },
  { to: '/rules', label: 'Rules', end: false },
  { to: '/signals', label: 'Signals', end: false },
  { to: '/traces', label: 'Traces', end: false },
  { to: '/notifications', label: 'Notifications', end: false },
  { to: '/invariants', label: 'Invariants', end: false },
  { to: '/insights', label: 'Insights', end: false },
  { to: '/access', label: 'Access', end: false },
];

export function App() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [config, setConfig] = useState<UiConfig>();
  const [needToken, setNeedToken] = useState(false);
  const [configTry, setConfigTry] = useState(0);

  useEffect(() => onUnauthorized(() => setNeedToken(true)), []);
  useEffect(() => { fluoApi.uiConfig().then(setConfig, () => undefined); }, [configTry]);

  const toggleTheme = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    applyTheme(next);
    setTheme(next);
  };

  return (
    <UiConfigContext.Provider value={config ?? { traceLinkTemplate: null, otlpHttpPort: 4318, otlpGrpcPort: 4317, host: window.location.hostname }}>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand" aria-label="FLUO">FLUO</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}><NavLink to={n.to} end={n.end}>{n.label}</NavLink></li>
            ))}
          </ul>
        </nav>
        <button type="button" className="ghost theme-toggle" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      {needToken && <TokenForm onSaved={() => { setNeedToken(false); setConfigTry((n) => n + 1); }} />}
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">Loading…</p>}>
        <Routes>
          <Route path="/" element={<OverviewScreen />} />
          <Route path="/rules" element={<RulesScreen />} />
          <Route path="/rules/new" element={<RuleEditorScreen />} />
          <Route path="/rules/:id" element={<RuleEditorScreen />} />
          <Route path="/signals" element={<SignalsScreen />} />
          <Route path="/signals/:id" element={<SignalDetailScreen />} />
          <Route path="/traces" element={<TracesScreen />} />
          <Route path="/traces/:traceId" element={<TraceScreen />} />
          <Route path="/notifications" element={<NotificationsScreen />} />
          <Route path="/invariants" element={<InvariantsScreen />} />
          <Route path="/insights" element={<InsightsScreen />} />
          <Route path="/access" element={<AccessScreen />} />
          <Route path="*" element={<div className="empty"><h1>Page not found</h1><p>Use the menu above.</p></div>} />
        </Routes>
        </Suspense>
      </main>
    </UiConfigContext.Provider>
  );
}
