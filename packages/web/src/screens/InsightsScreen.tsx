/**
 * Insights (docs/learning.md): every rule by precision learnt from triage
 * (lowest first: the rules to fix), and each rule's signal rate against its
 * learnt baseline (jumps and collapses raise signals of the built-in rule
 * fluo.rate-anomaly).
 */
import { Link } from 'react-router';
import { fluoApi } from '../api/fluoApi';
import type { RateStatus } from '../api/types';
import { EmptyState, ErrorNote, SeverityBadge, StatusBadge } from '../components/bits';
import { formatAgo, formatTime } from '../lib/format';
import { percent } from '../lib/learnFormat';
import { useLoad } from '../lib/useLoad';

const DAY = 86_400_000;
const RATE_BADGE: Record<RateStatus, string> = { learning: 'off', normal: 'on', jump: 'sev-critical', collapse: 'sev-warning' };

export function InsightsScreen() {
  const precision = useLoad(() => fluoApi.precisionInsights({ since: Date.now() - 30 * DAY }), []);
  const rates = useLoad(() => fluoApi.rateInsights(), [], 60_000);
  const anomalies = useLoad(() => fluoApi.listSignals({ ruleId: 'fluo.rate-anomaly', limit: 10 }), [], 60_000);
  const rules = [...(precision.data?.rules ?? [])].sort((a, b) => (a.precision ?? 2) - (b.precision ?? 2) || a.name.localeCompare(b.name));
  const rateId = rates.data?.ruleId ?? 'fluo.rate-anomaly';
  return (
    <div className="screen">
      <div className="screen-head"><h1>Insights</h1></div>
      <section className="panel" aria-labelledby="by-precision">
        <h2 id="by-precision">Rules by precision (last 30 days)</h2>
        <ErrorNote error={precision.error} what="the precision of the rules" />
        {precision.data && rules.length === 0 && <EmptyState title="No rules yet"><p><Link to="/rules/new">Write a rule</Link> first.</p></EmptyState>}
        {rules.length > 0 && (
          <table className="list precision-table">
            <thead><tr><th scope="col">Rule</th><th scope="col">Mode</th><th scope="col" className="num">Precision</th><th scope="col">95 % interval</th><th scope="col" className="num">Resolved</th><th scope="col" className="num">False positive</th></tr></thead>
            <tbody>{rules.map((r) => (
              <tr key={r.ruleId}>
                <td><Link to={`/rules/${encodeURIComponent(r.ruleId)}`}>{r.name}</Link> <span className="muted small">v{r.version}</span></td>
                <td>{r.mode === 'shadow' ? <span className="badge shadow">shadow</span> : 'alert'}</td>
                <td className="num">{r.precision === null ? <span className="muted">not triaged</span> : percent(r.precision)}</td>
                <td>{r.interval ? `${percent(r.interval[0])}–${percent(r.interval[1])}` : '–'}</td>
                <td className="num">{r.truePositives}</td>
                <td className="num">{r.falsePositives}</td>
              </tr>
            ))}</tbody>
          </table>
        )}
      </section>
      <section className="panel" aria-labelledby="rates">
        <div className="panel-head">
          <h2 id="rates">Signal rates against their baseline</h2>
          <Link to={`/signals?ruleId=${encodeURIComponent(rateId)}`}>Rate anomaly signals</Link>
        </div>
        <ErrorNote error={rates.error} what="the signal rates" />
        {rates.data && (
          <p className="muted small">Each rule's signals per trace over the last {Math.round(rates.data.windowMs / 60_000)} minutes, against what {Math.round(rates.data.historyMs / DAY)} days of history lead to expect{rates.data.lastCheck ? `; last checked ${formatAgo(rates.data.lastCheck.at)}` : ''}. A jump or a collapse raises a signal of <code>{rateId}</code>.</p>
        )}
        {rates.data && rates.data.assessments.length === 0 && <EmptyState title="No rules to assess"><p>Rates are assessed for enabled rules.</p></EmptyState>}
        {rates.data && rates.data.assessments.length > 0 && (
          <table className="list rates-table">
            <thead><tr><th scope="col">Rule</th><th scope="col">Status</th><th scope="col" className="num">Signals now</th><th scope="col" className="num">Expected</th><th scope="col" className="num">Ratio</th><th scope="col">Assessment</th></tr></thead>
            <tbody>{rates.data.assessments.map((a) => (
              <tr key={a.ruleId}>
                <td><Link to={`/rules/${encodeURIComponent(a.ruleId)}`}>{a.ruleName}</Link></td>
                <td><span className={`badge ${RATE_BADGE[a.status]}`}>{a.status}</span></td>
                <td className="num">{a.window.signals} / {a.window.traces} traces</td>
                <td className="num">{a.expected.signals.toFixed(1)}</td>
                <td className="num">{a.ratio === null ? '–' : `${a.ratio.toFixed(1)}×`}</td>
                <td className="small">{a.message}</td>
              </tr>
            ))}</tbody>
          </table>
        )}
        <h3>Latest rate anomalies</h3>
        <ErrorNote error={anomalies.error} what="the rate anomaly signals" />
        {anomalies.data && anomalies.data.signals.length === 0 && <p className="muted small">None: every rule fires at its usual rate (or is still learning it).</p>}
        {anomalies.data && anomalies.data.signals.length > 0 && (
          <table className="list anomalies-table">
            <thead><tr><th scope="col">Detected</th><th scope="col">Message</th><th scope="col">Severity</th><th scope="col">Status</th></tr></thead>
            <tbody>{anomalies.data.signals.map((s) => (
              <tr key={s.id}>
                <td><Link to={`/signals/${encodeURIComponent(s.id)}`}>{formatTime(s.detectedAt)}</Link></td>
                <td className="message">{s.message}</td>
                <td><SeverityBadge severity={s.severity} />{s.mode === 'shadow' && <span className="badge shadow">shadow</span>}</td>
                <td><StatusBadge status={s.status} /></td>
              </tr>
            ))}</tbody>
          </table>
        )}
      </section>
    </div>
  );
}
