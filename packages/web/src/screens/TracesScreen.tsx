/** Recent kept traces, searchable by service, span name and time. */
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { fluoApi } from '../api/fluoApi';
import type { TraceSummary } from '../api/types';
import { EmptyState, ErrorNote } from '../components/bits';
import { DebouncedInput } from '../components/DebouncedInput';
import { formatAgo, formatDuration, formatTime } from '../lib/format';
import { TIME_RANGES } from '../lib/signalBuckets';
import { useLoad } from '../lib/useLoad';
import { otlpHttpEndpoint, useUiConfig } from '../uiConfig';

export function TracesScreen() {
  const config = useUiConfig();
  const [params, setParams] = useSearchParams();
  const [traces, setTraces] = useState<TraceSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [loaded, setLoaded] = useState(false);
  const keys = useLoad(() => fluoApi.traceKeys(), []);
  const service = params.get('service') ?? '';
  const name = params.get('spanName') ?? '';
  const range = params.get('range') ?? '';
  const filter = { service: service || undefined, spanName: name || undefined, since: range !== '' ? Date.now() - TIME_RANGES[Number(range)].ms : undefined, limit: 50 };

  useEffect(() => {
    const abort = new AbortController();
    fluoApi.listTraces(filter, abort.signal).then((page) => { setTraces(page.traces); setCursor(page.nextCursor); setError(undefined); setLoaded(true); },
      (e: Error) => { if (e.name !== 'AbortError') { setError(e); setLoaded(true); } });
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [service, name, range]);

  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value); else next.delete(key);
    setParams(next, { replace: true });
  };
  const more = async () => {
    if (!cursor) return;
    const page = await fluoApi.listTraces({ ...filter, cursor });
    setTraces((t) => [...t, ...page.traces]);
    setCursor(page.nextCursor);
  };

  return (
    <div className="screen">
      <div className="screen-head"><h1>Traces</h1><p className="muted">Completed traces FLUO keeps (for Try it and evidence), newest first.</p></div>
      <form className="filters" role="search" aria-label="Search traces" onSubmit={(e) => e.preventDefault()}>
        <label>Service
          <DebouncedInput list="trace-services" value={service} onValue={(v) => set('service', v.trim())} placeholder="any" />
          <datalist id="trace-services">{keys.data?.services.map((s) => <option key={s} value={s} />)}</datalist>
        </label>
        <label>Span name
          <DebouncedInput list="trace-names" value={name} onValue={(v) => set('spanName', v)} placeholder="any (exact name, any span)" />
          <datalist id="trace-names">{keys.data?.spanNames.map((s) => <option key={s} value={s} />)}</datalist>
        </label>
        <label>Time
          <select value={range} onChange={(e) => set('range', e.target.value)}>
            <option value="">any time</option>
            {TIME_RANGES.map((r, i) => <option key={r.label} value={i}>{r.label.toLowerCase()}</option>)}
          </select>
        </label>
      </form>
      <ErrorNote error={error} what="traces" />
      {loaded && traces.length === 0 && !error && (
        service || name || range
          ? <EmptyState title="No traces match"><p>Clear a filter or widen the time range.</p></EmptyState>
          : (
            <EmptyState title="No traces yet">
              <p>Point your OTLP exporter at <code>{otlpHttpEndpoint(config)}</code> (OTLP/HTTP) or port <code>{config.otlpGrpcPort}</code> (gRPC). Traces appear here once complete.</p>
            </EmptyState>
          )
      )}
      {traces.length > 0 && (
        <table className="list">
          <thead><tr><th scope="col">Root span</th><th scope="col">Services</th><th scope="col" className="num">Spans</th><th scope="col" className="num">Errors</th><th scope="col" className="num">Duration</th><th scope="col">Started</th></tr></thead>
          <tbody>
            {traces.map((t) => (
              <tr key={t.traceId}>
                <td><Link to={`/traces/${t.traceId}`}>{t.rootName}</Link><div className="mono small muted">{t.traceId}</div></td>
                <td>{t.services.join(', ')}</td>
                <td className="num">{t.spanCount}</td>
                <td className={`num${t.errorCount ? ' error-text' : ''}`}>{t.errorCount}</td>
                <td className="num">{formatDuration(t.duration)}</td>
                <td title={formatTime(t.startTime)}>{formatAgo(t.startTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && <button type="button" onClick={more}>Load older traces</button>}
    </div>
  );
}
