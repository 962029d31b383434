/**
 * Signals: filter (rule, severity, status, service, time range; kept in the
 * URL), sort, live arrival over SSE, and bulk triage with a note.
 *
 * New signals from the stream are shown when they match the filters; the
 * list is otherwise a page of GET /signals (newest first, "Load more").
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError, fluoApi, subscribeSignals } from '../api/fluoApi';
import type { BulkStatusResult, Signal, SignalFilter, SignalStatus } from '../api/types';
import { SEVERITIES, SIGNAL_STATUSES } from '../api/types';
import { EmptyState, ErrorNote, SeverityBadge, StatusBadge } from '../components/bits';
import { DebouncedInput } from '../components/DebouncedInput';
import { formatAgo, formatTime, statusLabel } from '../lib/format';
import { TIME_RANGES } from '../lib/signalBuckets';
import { useLoad } from '../lib/useLoad';
import { otlpHttpEndpoint, useUiConfig } from '../uiConfig';

type SortKey = 'detectedAt' | 'severity' | 'ruleName' | 'status';
const SEVERITY_RANK = { critical: 3, warning: 2, info: 1 } as const;
const PAGE = 100;

export function matchesFilter(s: Signal, f: SignalFilter): boolean {
  return (!f.ruleId || s.ruleId === f.ruleId) && (!f.severity || s.severity === f.severity) && (!f.status || s.status === f.status)
    && (!f.service || s.services.includes(f.service)) && (f.since === undefined || s.detectedAt >= f.since) && (f.until === undefined || s.detectedAt < f.until);
}

export function SignalsScreen() {
  const config = useUiConfig();
  const [params, setParams] = useSearchParams();
  const rangeIndex = params.get('range') ?? '';
  const filter: SignalFilter = useMemo(() => ({
    ruleId: params.get('ruleId') || undefined,
    severity: (params.get('severity') || undefined) as SignalFilter['severity'],
    status: (params.get('status') || undefined) as SignalFilter['status'],
    service: params.get('service') || undefined,
    since: rangeIndex !== '' ? Date.now() - TIME_RANGES[Number(rangeIndex)].ms : undefined,
  }), [params, rangeIndex]);
  const [signals, setSignals] = useState<Signal[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [loaded, setLoaded] = useState(false);
  const [live, setLive] = useState<'live' | 'reconnecting' | 'connecting'>('connecting');
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'detectedAt', desc: true });
  const [note, setNote] = useState('');
  const [bulkStatus, setBulkStatus] = useState<SignalStatus>('acknowledged');
  const [bulk, setBulk] = useState<{ busy: boolean; result?: BulkStatusResult; error?: string }>({ busy: false });
  const rules = useLoad(() => fluoApi.listRules(), []);
  const keys = useLoad(() => fluoApi.traceKeys(), []);

  const key = params.toString();
  useEffect(() => {
    const abort = new AbortController();
    setLoaded(false);
    fluoApi.listSignals({ ...filter, limit: PAGE }, abort.signal).then((page) => {
      setSignals(page.signals); setCursor(page.nextCursor); setError(undefined); setLoaded(true); setSelected(new Set());
    }, (e: Error) => { if (e.name !== 'AbortError') { setError(e); setLoaded(true); } });
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  useEffect(() => subscribeSignals((s) => {
    if (!matchesFilter(s, filter)) return;
    setSignals((list) => (list.some((x) => x.id === s.id) ? list : [s, ...list]));
    setFresh((f) => new Set(f).add(s.id));
  }, setLive), [filter]);

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await fluoApi.listSignals({ ...filter, limit: PAGE, cursor });
      setSignals((list) => [...list, ...page.signals.filter((s) => !list.some((x) => x.id === s.id))]);
      setCursor(page.nextCursor);
    } catch (e) { setError(e as Error); }
  };

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value); else next.delete(name);
    setParams(next, { replace: true });
  };

  const sorted = useMemo(() => {
    const out = [...signals];
    const dir = sort.desc ? -1 : 1;
    out.sort((a, b) => {
      const va = sort.key === 'severity' ? SEVERITY_RANK[a.severity] : a[sort.key];
      const vb = sort.key === 'severity' ? SEVERITY_RANK[b.severity] : b[sort.key];
      return (va < vb ? -1 : va > vb ? 1 : b.seq - a.seq) * dir;
    });
    return out;
  }, [signals, sort]);

  const toggleAll = () => setSelected(selected.size === sorted.length ? new Set() : new Set(sorted.map((s) => s.id)));
  const toggle = (id: string) => setSelected((sel) => { const n = new Set(sel); if (n.has(id)) n.delete(id); else n.add(id); return n; });

  const applyBulk = async () => {
    setBulk({ busy: true });
    try {
      const result = await fluoApi.setSignalsStatus([...selected], bulkStatus, note.trim() || null);
      const changed = new Map(result.results.filter((r) => r.ok).map((r) => [r.id, r.status!]));
      setSignals((list) => list.map((s) => (changed.has(s.id) ? { ...s, status: changed.get(s.id)!, statusUpdatedAt: Date.now() } : s)));
      setSelected(new Set(result.results.filter((r) => !r.ok).map((r) => r.id)));
      setBulk({ busy: false, result });
      if (result.failed === 0) setNote('');
    } catch (err) {
      setBulk({ busy: false, error: err instanceof ApiError ? err.message : String(err) });
    }
  };

  const header = (label: string, k: SortKey) => (
    <th scope="col" aria-sort={sort.key === k ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="sort" onClick={() => setSort({ key: k, desc: sort.key === k ? !sort.desc : true })}>
        {label}{sort.key === k ? (sort.desc ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );

  const anyFilter = [...params.keys()].length > 0;
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Signals</h1>
        <p className={`live-state ${live}`} role="status" aria-live="polite"><span aria-hidden="true">●</span> {live === 'live' ? 'Live: new signals appear as they are detected' : live === 'connecting' ? 'Connecting to the live stream…' : 'Live stream interrupted, reconnecting…'}</p>
      </div>
      <form className="filters" role="search" aria-label="Filter signals" onSubmit={(e) => e.preventDefault()}>
        <label>Rule
          <select value={filter.ruleId ?? ''} onChange={(e) => setFilter('ruleId', e.target.value)}>
            <option value="">all rules</option>
            {rules.data?.rules.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
            {/* Built in: raised when a rule's signal rate departs from its baseline (docs/learning.md). */}
            {!rules.data?.rules.some((r) => r.id === 'fluo.rate-anomaly') && <option value="fluo.rate-anomaly">Rate anomalies (built in)</option>}
          </select>
        </label>
        <label>Severity
          <select value={filter.severity ?? ''} onChange={(e) => setFilter('severity', e.target.value)}>
            <option value="">all</option>
            {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>Status
          <select value={filter.status ?? ''} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">all</option>
            {SIGNAL_STATUSES.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
          </select>
        </label>
        <label>Service
          <DebouncedInput list="signal-services" value={filter.service ?? ''} onValue={(v) => setFilter('service', v.trim())} placeholder="any" />
          <datalist id="signal-services">{keys.data?.services.map((s) => <option key={s} value={s} />)}</datalist>
        </label>
        <label>Time
          <select value={rangeIndex} onChange={(e) => setFilter('range', e.target.value)}>
            <option value="">any time</option>
            {TIME_RANGES.map((r, i) => <option key={r.label} value={i}>{r.label.toLowerCase()}</option>)}
          </select>
        </label>
        {anyFilter && <button type="button" className="ghost" onClick={() => setParams(new URLSearchParams(), { replace: true })}>Clear filters</button>}
      </form>

      <ErrorNote error={error} what="signals" />
      {selected.size > 0 && (
        <section className="bulk-bar" aria-label="Triage selected signals">
          <strong>{selected.size} selected</strong>
          <label>Set status
            <select value={bulkStatus} onChange={(e) => setBulkStatus(e.target.value as SignalStatus)}>
              {SIGNAL_STATUSES.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
            </select>
          </label>
          <label className="grow">Note
            <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={10_000} placeholder="why (kept in the status history)" />
          </label>
          <button type="button" className="primary" onClick={applyBulk} disabled={bulk.busy}>{bulk.busy ? 'Applying…' : `Apply to ${selected.size}`}</button>
        </section>
      )}
      {bulk.result && (
        <div className={bulk.result.failed ? 'error-note' : 'ok-note'} role="status">
          {bulk.result.changed} signal{bulk.result.changed === 1 ? '' : 's'} changed{bulk.result.failed ? `, ${bulk.result.failed} not changed (still selected):` : '.'}
          {bulk.result.failed > 0 && <ul>{bulk.result.results.filter((r) => !r.ok).map((r) => <li key={r.id}>{r.id}: {r.error?.message}</li>)}</ul>}
        </div>
      )}
      {bulk.error && <p className="error-note" role="alert">Triage failed: {bulk.error}</p>}

      {loaded && sorted.length === 0 && !error && (
        anyFilter ? <EmptyState title="No signals match these filters"><p>Widen the time range or clear the filters.</p></EmptyState>
          : (
            <EmptyState title="No signals yet">
              <p>Signals appear here, live, when a rule matches a trace. <Link to="/rules/new">Write a rule</Link> and send traces to <code>{otlpHttpEndpoint(config)}</code>.</p>
            </EmptyState>
          )
      )}
      {sorted.length > 0 && (
        <table className="list signals-table">
          <thead>
            <tr>
              <th scope="col"><input type="checkbox" aria-label="Select all signals shown" checked={selected.size === sorted.length} onChange={toggleAll} /></th>
              {header('Detected', 'detectedAt')}
              {header('Severity', 'severity')}
              {header('Rule', 'ruleName')}
              <th scope="col">Message</th>
              <th scope="col">Services</th>
              {header('Status', 'status')}
            </tr>
          </thead>
          <tbody>
            {sorted.map((s) => (
              <tr key={s.id} className={fresh.has(s.id) ? 'fresh' : undefined} data-signal-id={s.id}>
                <td><input type="checkbox" aria-label={`Select signal ${s.ruleName} at ${formatTime(s.detectedAt)}`} checked={selected.has(s.id)} onChange={() => toggle(s.id)} /></td>
                <td title={formatTime(s.detectedAt)}>{formatAgo(s.detectedAt)}</td>
                <td><SeverityBadge severity={s.severity} /></td>
                <td><Link to={`/signals/${encodeURIComponent(s.id)}`}>{s.ruleName}</Link>{s.mode === 'shadow' && <span className="badge shadow">shadow</span>}</td>
                <td className="message">{s.message}{s.traceIds && s.correlationKey !== undefined && (
                  <div className="small muted correlated-note" data-testid="correlated-note">key <span className="mono">{s.correlationKey}</span> · {s.traceIds.length} trace{s.traceIds.length === 1 ? '' : 's'}</div>
                )}</td>
                <td>{s.services.join(', ')}</td>
                <td><StatusBadge status={s.status} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && <button type="button" onClick={loadMore}>Load older signals</button>}
    </div>
  );
}
