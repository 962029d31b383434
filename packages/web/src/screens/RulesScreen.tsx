/** Rules: state, severity, signals in the last 24 h with a sparkline; create, edit, enable/disable, delete. */
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { errorText, fluoApi } from '../api/fluoApi';
import type { Rule } from '../api/types';
import { EmptyState, ErrorNote, SeverityBadge, Sparkline } from '../components/bits';
import { formatAgo } from '../lib/format';
import { percent } from '../lib/learnFormat';
import { alignedRange, denseSeries, TIME_RANGES } from '../lib/signalBuckets';
import { useLoad } from '../lib/useLoad';

const DAY = TIME_RANGES.find((r) => r.ms === 24 * 3_600_000)!;

export function RulesScreen() {
  const rules = useLoad(() => fluoApi.listRules(), []);
  const counts = useLoad(() => {
    const { since, until } = alignedRange({ ...DAY, bucket: '1h', bucketMs: 3_600_000 }, Date.now());
    return fluoApi.signalCounts({ since, until, bucket: '1h' });
  }, [], 30_000);
  // Precision learnt from triage (resolved vs false positive) over 30 days, for every rule in one call.
  const precision = useLoad(() => fluoApi.precisionInsights({ since: Date.now() - 30 * 86_400_000 }), [], 60_000);
  const precisionOf = useMemo(() => new Map((precision.data?.rules ?? []).map((p) => [p.ruleId, p])), [precision.data]);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [busy, setBusy] = useState<string | null>(null);

  const perRule = useMemo(() => {
    if (!counts.data) return new Map<string, number[]>();
    const { since, until, bucketMs } = counts.data;
    return denseSeries(counts.data.counts, since, until, bucketMs, (c) => c.ruleId).series;
  }, [counts.data]);

  const act = async (rule: Rule, what: string, run: () => Promise<unknown>) => {
    setBusy(rule.id);
    try {
      await run();
      setMessage({ kind: 'ok', text: `${rule.name}: ${what}.` });
      rules.reload();
    } catch (err) {
      setMessage({ kind: 'error', text: `${rule.name}: could not ${what.replace(/d$/, '')}: ${errorText(err)}` });
    } finally {
      setBusy(null);
    }
  };

  const list = rules.data?.rules ?? [];
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Rules</h1>
        <Link className="button primary" to="/rules/new">New rule</Link>
      </div>
      <ErrorNote error={rules.error} what="rules" />
      {message && <p className={message.kind === 'ok' ? 'ok-note' : 'error-note'} role="status">{message.text}</p>}
      {rules.data && rules.data.fileErrors.length > 0 && (
        <div className="error-note" role="alert"><strong>Rule files have problems:</strong><ul>{rules.data.fileErrors.map((e) => <li key={e}>{e}</li>)}</ul></div>
      )}
      {rules.data && list.length === 0 && (
        <EmptyState title="No rules yet">
          <p>A rule describes a pattern in a trace that should never (or always) happen. <Link to="/rules/new">Write your first rule</Link>, starting from a template.</p>
        </EmptyState>
      )}
      {list.length > 0 && (
        <table className="list rules-table">
          <thead>
            <tr>
              <th scope="col">Rule</th><th scope="col">State</th><th scope="col">Severity</th>
              <th scope="col" className="num">Signals 24 h</th><th scope="col">Trend (hourly)</th><th scope="col" className="precision-col">Precision 30 d</th><th scope="col">Updated</th><th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {list.map((rule) => {
              const series = perRule.get(rule.id) ?? [];
              const total = series.reduce((a, b) => a + b, 0);
              const readOnly = rule.source === 'file';
              return (
                <tr key={rule.id} data-rule-id={rule.id}>
                  <td>
                    <Link to={`/rules/${encodeURIComponent(rule.id)}`}>{rule.name}</Link>
                    {rule.description && <div className="small">{rule.description}</div>}
                    <div className="muted small mono">{rule.id}{readOnly ? ` · from ${rule.file ?? 'a rule file'}` : ''}</div>
                    {rule.compileError && <div className="error-text small">Does not compile: line {rule.compileError.line}, column {rule.compileError.column}: {rule.compileError.message}</div>}
                  </td>
                  <td>
                    <span className={`badge ${rule.enabled ? 'on' : 'off'}`}>{rule.enabled ? 'enabled' : 'disabled'}</span>{' '}
                    {rule.mode === 'shadow' && <span className="badge shadow" title="shadow rules record signals without alerting">shadow</span>}
                  </td>
                  <td><SeverityBadge severity={rule.severity} /></td>
                  <td className="num">{total}</td>
                  <td><Sparkline values={series.length ? series : new Array(24).fill(0)} label={`${total} signals in the last 24 hours`} /></td>
                  <td className="precision-col">{(() => {
                    const p = precisionOf.get(rule.id);
                    if (!p || p.precision === null || p.interval === null) return <span className="muted small">not triaged</span>;
                    return <>{percent(p.precision)} <span className="muted small">({percent(p.interval[0])}–{percent(p.interval[1])}, {p.truePositives + p.falsePositives} triaged)</span></>;
                  })()}</td>
                  <td className="small">{formatAgo(rule.updatedAt)}</td>
                  <td>
                    <div className="actions">
                    {!readOnly && (
                      <>
                        <button type="button" disabled={busy === rule.id} onClick={() => act(rule, rule.enabled ? 'disabled' : 'enabled', () => fluoApi.patchRule(rule.id, { enabled: !rule.enabled, version: rule.version }))}>
                          {rule.enabled ? 'Disable' : 'Enable'}<span className="sr-only"> {rule.name}</span>
                        </button>
                        <button type="button" className="danger" disabled={busy === rule.id} onClick={() => {
                          if (window.confirm(`Delete the rule "${rule.name}"? Its signals stay.`)) void act(rule, 'deleted', () => fluoApi.deleteRule(rule.id));
                        }}>Delete<span className="sr-only"> {rule.name}</span></button>
                      </>
                    )}
                    {readOnly && <span className="muted small">edit the file</span>}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
