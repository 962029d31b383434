/** Overview: ingest rate, buffers, detection latency, signals over time by rule and severity, open signals by rule, top rules. Refreshes every 5 s. */
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { fluoApi } from '../api/fluoApi';
import { EmptyState, ErrorNote } from '../components/bits';
import { SEVERITY_COLOURS, SignalsChart } from '../components/SignalsChart';
import { formatDuration, formatNumber } from '../lib/format';
import { alignedRange, denseSeries, TIME_RANGES, totals } from '../lib/signalBuckets';
import { useLoad } from '../lib/useLoad';
import { otlpHttpEndpoint, useUiConfig } from '../uiConfig';

const REFRESH_MS = 5000;

export function OverviewScreen() {
  const config = useUiConfig();
  const [rangeIndex, setRangeIndex] = useState(1);
  const [groupBy, setGroupBy] = useState<'rule' | 'severity'>('rule');
  const range = TIME_RANGES[rangeIndex];
  const overview = useLoad(() => fluoApi.overview(), [], REFRESH_MS);
  const counts = useLoad(() => {
    const { since, until } = alignedRange(range, Date.now());
    return fluoApi.signalCounts({ since, until, bucket: range.bucket });
  }, [rangeIndex], REFRESH_MS);
  const open = useLoad(() => fluoApi.signalCounts({ since: 0, until: Date.now() + 1000, bucket: `${Math.ceil((Date.now() + 1000) / 1000)}s`, status: 'open' }), [], REFRESH_MS);
  const rules = useLoad(() => fluoApi.listRules(), [], 30_000);
  const ruleName = (id: string) => rules.data?.rules.find((r) => r.id === id)?.name ?? id;

  const chart = useMemo(() => {
    if (!counts.data) return null;
    const { since, until, bucketMs } = counts.data;
    return denseSeries(counts.data.counts, since, until, bucketMs, (c) => (groupBy === 'rule' ? c.ruleId : c.severity));
  }, [counts.data, groupBy]);
  // Stable identity between renders: the chart is redrawn only when its data changes.
  const chartSeries = useMemo(() => (chart && groupBy === 'rule' ? new Map([...chart.series].map(([k, v]) => [ruleName(k), v])) : chart?.series),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [chart, groupBy, rules.data]);
  const openByRule = open.data ? [...totals(open.data.counts, (c) => c.ruleId).entries()].sort((a, b) => b[1] - a[1]) : [];
  const topRules = counts.data ? [...totals(counts.data.counts, (c) => c.ruleId).entries()].sort((a, b) => b[1] - a[1]).slice(0, 8) : [];
  const o = overview.data;

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Overview</h1>
        <p className="muted" aria-live="polite">Refreshes every {REFRESH_MS / 1000} s</p>
      </div>
      <ErrorNote error={overview.error} what="the overview" />
      {o && o.stored.traces === 0 && o.spansIngested === 0 && (
        <EmptyState title="No traces yet">
          <p>Point your OTLP exporter at <code>{otlpHttpEndpoint(config)}</code> (OTLP/HTTP, path <code>/v1/traces</code>) or gRPC port <code>{config.otlpGrpcPort}</code>.</p>
          <p>For example: <code>OTEL_EXPORTER_OTLP_ENDPOINT={otlpHttpEndpoint(config)}</code></p>
        </EmptyState>
      )}
      {o && (
        <section className="stat-grid" aria-label="Live numbers">
          <Stat label="Spans / s" value={formatNumber(o.spansPerSecond, o.spansPerSecond < 10 ? 1 : 0)} hint={`${formatNumber(o.spansIngested)} spans ingested`} />
          <Stat label="Traces buffered" value={formatNumber(o.bufferedTraces)} hint={`${formatNumber(o.bufferedSpans)} spans in open traces`} />
          <Stat label="Detection latency p95" value={o.detectionLatency.ingest.p95Ms === null ? '–' : `≤ ${formatDuration(o.detectionLatency.ingest.p95Ms)}`} hint={o.detectionLatency.ingest.meanMs === null ? 'no signals yet' : `mean ${formatDuration(o.detectionLatency.ingest.meanMs)} over ${formatNumber(o.detectionLatency.ingest.count)} signals`} />
          <Stat label="Rules enabled" value={`${o.rules.enabled} / ${o.rules.total}`} hint={o.rules.failing > 0 ? `${o.rules.failing} do not compile` : 'all compile'} />
          <Stat label="Signals stored" value={formatNumber(o.stored.signals)} hint={`${formatNumber(o.stored.traces)} traces kept`} />
          <Stat label="Write queue" value={formatNumber(o.writeQueueSpans)} hint="spans waiting to be stored" />
        </section>
      )}

      <section className="panel" aria-labelledby="chart-title">
        <div className="panel-head">
          <h2 id="chart-title">Signals over time</h2>
          <div className="controls">
            <label>Range{' '}
              <select value={rangeIndex} onChange={(e) => setRangeIndex(Number(e.target.value))}>
                {TIME_RANGES.map((r, i) => <option key={r.label} value={i}>{r.label}</option>)}
              </select>
            </label>
            <label>By{' '}
              <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as 'rule' | 'severity')}>
                <option value="rule">rule</option>
                <option value="severity">severity</option>
              </select>
            </label>
          </div>
        </div>
        <ErrorNote error={counts.error} what="signal counts" />
        {chart && chart.series.size === 0 && <p className="muted">No signals in this range.</p>}
        {chart && chart.series.size > 0 && (
          <SignalsChart times={chart.times} series={chartSeries!}
            colours={groupBy === 'severity' ? SEVERITY_COLOURS : undefined} title={`Signals per ${range.bucket} by ${groupBy}, ${range.label.toLowerCase()}`} />
        )}
      </section>

      <div className="two-col">
        <section className="panel" aria-labelledby="open-title">
          <h2 id="open-title">Open signals by rule</h2>
          {openByRule.length === 0 ? <p className="muted">No open signals.</p> : (
            <table className="list">
              <thead><tr><th scope="col">Rule</th><th scope="col" className="num">Open</th></tr></thead>
              <tbody>
                {openByRule.map(([id, n]) => (
                  <tr key={id}><td><Link to={`/signals?ruleId=${encodeURIComponent(id)}&status=open`}>{ruleName(id)}</Link></td><td className="num">{n}</td></tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="panel" aria-labelledby="top-title">
          <h2 id="top-title">Rules firing most ({range.label.toLowerCase()})</h2>
          {topRules.length === 0 ? <p className="muted">No rule fired in this range.</p> : (
            <ol className="top-rules">
              {topRules.map(([id, n]) => (
                <li key={id}><Link to={`/signals?ruleId=${encodeURIComponent(id)}`}>{ruleName(id)}</Link> <span className="muted">{n} signal{n === 1 ? '' : 's'}</span></li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </div>
  );
}

function Stat({ label, value, hint }: { label: string; value: string; hint: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      <div className="stat-hint">{hint}</div>
    </div>
  );
}
