/**
 * What FLUO learnt about a saved rule (docs/learning.md), under the rule
 * editor: precision from triage (with its Wilson interval, trend, by version,
 * top false-positive reasons), shadow mode (what the rule would have sent,
 * and Promote), the version history with a diff of the DSL, and refinement
 * proposals measured on triaged history (Apply saves a new version).
 */
import { diffLines } from 'diff';
import { useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { errorText, fluoApi } from '../api/fluoApi';
import type { RefinementMetrics, RefinementReport, Rule } from '../api/types';
import { percent, precisionText } from '../lib/learnFormat';
import { formatTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { EmptyState, ErrorNote, SeverityBadge, StatusBadge } from './bits';
import { PrecisionChart } from './PrecisionChart';

const DAY = 86_400_000;

type Note = { ok: boolean; text: string } | undefined;

export function RuleLearning({ rule, onChanged }: { rule: Rule; onChanged: () => void }) {
  // Kept here: promoting moves the shadow panel, which would lose its own state.
  const [shadowNote, setShadowNote] = useState<Note>();
  return (
    <div className="rule-learning">
      {/* A rule on trial: what it would have sent comes first. */}
      {rule.mode === 'shadow' && <ShadowPanel rule={rule} onChanged={onChanged} message={shadowNote} setMessage={setShadowNote} />}
      <PrecisionPanel rule={rule} />
      {rule.mode !== 'shadow' && <ShadowPanel rule={rule} onChanged={onChanged} message={shadowNote} setMessage={setShadowNote} />}
      <RefinementsPanel rule={rule} onChanged={onChanged} />
      <VersionsPanel rule={rule} />
    </div>
  );
}

function PrecisionPanel({ rule }: { rule: Rule }) {
  const [until] = useState(() => Math.ceil(Date.now() / DAY) * DAY);
  const since = until - 30 * DAY;
  const p = useLoad(() => fluoApi.rulePrecision(rule.id, { since, bucket: '1d' }), [rule.id, rule.version]);
  const d = p.data;
  return (
    <section className="panel" aria-labelledby="precision-title" data-testid="rule-precision">
      <h2 id="precision-title">Precision (last 30 days)</h2>
      <ErrorNote error={p.error} what="the precision" />
      {d && d.precision === null && (
        <EmptyState title="No triaged signals yet">
          <p>Precision is learnt from triage: mark this rule's signals <strong>resolved</strong> (a real problem) or <strong>false positive</strong> on the <Link to={`/signals?ruleId=${encodeURIComponent(rule.id)}`}>signals</Link> screen.</p>
        </EmptyState>
      )}
      {d && d.precision !== null && (
        <>
          <p className="precision-value"><span className="stat-value">{percent(d.precision)}</span>{' '}
            <span className="muted">95 % Wilson interval {percent(d.interval![0])}–{percent(d.interval![1])} · {d.truePositives} resolved, {d.falsePositives} false positive{d.falsePositives === 1 ? '' : 's'}{d.truncated ? ' · more signals than were read' : ''}</span>
          </p>
          <div className="two-col wide-left">
            <div>
              <h3>Trend (daily)</h3>
              <PrecisionChart trend={d.trend} since={since} until={until} title={`Daily precision of ${rule.name}: ${d.trend.map((b) => `${formatTime(b.start)} ${percent(b.precision)}`).join('; ')}`} />
            </div>
            <div>
              <h3>By version</h3>
              <table className="list">
                <thead><tr><th scope="col">Version</th><th scope="col">Precision</th></tr></thead>
                <tbody>{d.byVersion.map((v) => <tr key={v.version}><td>v{v.version}{v.version === rule.version ? ' (current)' : ''}</td><td>{precisionText(v)}</td></tr>)}</tbody>
              </table>
              <h3>Top false-positive reasons</h3>
              {d.falsePositiveReasons.length === 0
                ? <p className="muted">No reasons given: add a note when you mark a signal false positive.</p>
                : <ol className="fp-reasons">{d.falsePositiveReasons.map((r) => <li key={r.reason}><q>{r.reason}</q> <span className="muted">×{r.count}</span></li>)}</ol>}
            </div>
          </div>
        </>
      )}
    </section>
  );
}

function ShadowPanel({ rule, onChanged, message, setMessage }: { rule: Rule; onChanged: () => void; message: Note; setMessage: (note: Note) => void }) {
  const s = useLoad(() => fluoApi.ruleShadow(rule.id, { limit: 20 }), [rule.id, rule.version, rule.mode]);
  const [busy, setBusy] = useState(false);
  if (rule.mode !== 'shadow' && (s.data?.wouldHaveNotified ?? 0) === 0) return null;
  const promote = async () => {
    setBusy(true);
    try {
      const r = await fluoApi.promoteRule(rule.id, rule.version);
      setMessage({ ok: true, text: `Promoted: the rule now alerts (version ${r.version}).` });
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: `Not promoted: ${errorText(err)}` });
    } finally {
      setBusy(false);
    }
  };
  const d = s.data;
  return (
    <section className="panel" aria-labelledby="shadow-title" data-testid="rule-shadow">
      <div className="panel-head">
        <h2 id="shadow-title">{rule.mode === 'shadow' ? 'Shadow mode: what this rule would have sent' : 'Signals from its time in shadow mode'}</h2>
        {rule.mode === 'shadow' && rule.source === 'api' && <button type="button" className="primary" onClick={promote} disabled={busy}>Promote to alert</button>}
      </div>
      {message && <p className={message.ok ? 'ok-note' : 'error-note'} role="status">{message.text}</p>}
      <ErrorNote error={s.error} what="the shadow signals" />
      {d && (
        <>
          <p data-testid="would-have-notified">Would have notified <strong>{d.wouldHaveNotified}</strong> time{d.wouldHaveNotified === 1 ? '' : 's'}{d.truncated ? ' (at least)' : ''}
            {d.byVersion.length > 0 && <span className="muted"> · {d.byVersion.map((v) => `v${v.version}: ${v.signals}`).join(', ')}</span>}</p>
          {d.signals.length === 0
            ? <p className="muted">Nothing yet: shadow signals are recorded as matching traces arrive, and never notify.</p>
            : (
              <table className="list">
                <thead><tr><th scope="col">Detected</th><th scope="col">Message</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Version</th></tr></thead>
                <tbody>{d.signals.map((sig) => (
                  <tr key={sig.id}>
                    <td><Link to={`/signals/${encodeURIComponent(sig.id)}`}>{formatTime(sig.detectedAt)}</Link></td>
                    <td className="message">{sig.message}</td>
                    <td><SeverityBadge severity={sig.severity} /></td>
                    <td><StatusBadge status={sig.status} /></td>
                    <td>v{sig.ruleVersion}</td>
                  </tr>
                ))}</tbody>
              </table>
            )}
        </>
      )}
    </section>
  );
}

function Metrics({ m }: { m: RefinementMetrics }) {
  return <>{percent(m.precision)} precision · {percent(m.recall)} recall <span className="muted">({m.truePositives} real, {m.falsePositives} false kept)</span></>;
}

function RefinementsPanel({ rule, onChanged }: { rule: Rule; onChanged: () => void }) {
  const [report, setReport] = useState<RefinementReport>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [applied, setApplied] = useState<string>();
  const [maxRecallLoss, setMaxRecallLoss] = useState(0);
  const run = async () => {
    setBusy(true); setError(undefined); setApplied(undefined);
    try { setReport(await fluoApi.ruleRefinements(rule.id, { maxRecallLoss })); } catch (err) { setError(errorText(err)); } finally { setBusy(false); }
  };
  const apply = async (dsl: string) => {
    setBusy(true); setError(undefined);
    try {
      const r = await fluoApi.applyRefinement(rule.id, dsl, report!.ruleVersion);
      setApplied(`Applied as version ${r.version}.`);
      setReport(undefined);
      onChanged();
    } catch (err) { setError(`Not applied: ${errorText(err)}`); } finally { setBusy(false); }
  };
  return (
    <section className="panel" aria-labelledby="refine-title" data-testid="rule-refinements">
      <div className="panel-head">
        <h2 id="refine-title">Refinement proposals</h2>
        <div className="form-actions">
          <label className="inline" htmlFor="refine-recall">Real signals it may miss
            <select id="refine-recall" value={maxRecallLoss} onChange={(e) => setMaxRecallLoss(Number(e.target.value))}>
              <option value={0}>none</option>
              <option value={0.05}>up to 5 %</option>
              <option value={0.1}>up to 10 %</option>
              <option value={0.2}>up to 20 %</option>
            </select>
          </label>
          <button type="button" onClick={run} disabled={busy || rule.source === 'file'}>{busy && !report ? 'Learning…' : 'Learn from triage'}</button>
        </div>
      </div>
      <p className="muted small">Conditions that would have excluded the false positives, learnt from this rule's resolved and false-positive signals, measured on that history and cross-validated on held-out signals.</p>
      {applied && <p className="ok-note" role="status">{applied}</p>}
      {error && <p className="error-note" role="alert">{error}</p>}
      {report && (
        <>
          <p>On {report.signals.truePositives} resolved and {report.signals.falsePositives} false-positive signals the rule has <Metrics m={report.baseline} />.
            {report.signals.notFiringNow > 0 && <span className="muted"> {report.signals.notFiringNow} signals of earlier versions are left out: the current rule would not raise them.</span>}</p>
          {report.proposals.length === 0 && <EmptyState title="No proposal"><p>{report.reason ?? 'No condition separates the false positives from the real ones.'}</p></EmptyState>}
          {report.proposals.map((p, i) => (
            <article key={p.dsl} className="proposal" aria-labelledby={`proposal-${i}`}>
              <h3 id={`proposal-${i}`}>Proposal {i + 1} {p.recommended && <span className="badge on">recommended</span>}</h3>
              <p>Add to <code>{p.predicate.text}</code> (line {p.predicate.line}): {p.conditions.map((c) => <code key={c.text}>{c.text}</code>).reduce<ReactNode[]>((acc, el, j) => (j === 0 ? [el] : [...acc, ' && ', el]), [])}</p>
              <table className="list">
                <thead><tr><th scope="col"></th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
                <tbody>
                  <tr><th scope="row">On history</th><td><Metrics m={p.history.before} /></td><td><Metrics m={p.history.after} /></td></tr>
                  <tr><th scope="row">Held out{p.heldOut ? ` (${p.heldOut.folds} folds)` : ''}</th>
                    {p.heldOut ? <><td><Metrics m={p.heldOut.before} /></td><td><Metrics m={p.heldOut.after} /></td></> : <td colSpan={2} className="muted">too few signals for cross-validation</td>}</tr>
                </tbody>
              </table>
              <pre className="dsl-text">{p.dsl}</pre>
              <button type="button" className="primary" disabled={busy} onClick={() => apply(p.dsl)}>Apply as version {rule.version + 1}<span className="sr-only"> (proposal {i + 1})</span></button>
            </article>
          ))}
        </>
      )}
    </section>
  );
}

function VersionsPanel({ rule }: { rule: Rule }) {
  const v = useLoad(() => fluoApi.ruleVersions(rule.id), [rule.id, rule.version]);
  const versions = useMemo(() => [...(v.data?.versions ?? [])].sort((a, b) => b.version - a.version), [v.data]);
  const [left, setLeft] = useState<number>();
  const [right, setRight] = useState<number>();
  const to = right ?? versions[0]?.version;
  const from = left ?? versions[1]?.version ?? to;
  const a = versions.find((x) => x.version === from);
  const b = versions.find((x) => x.version === to);
  const parts = a && b ? diffLines(a.dsl.endsWith('\n') ? a.dsl : `${a.dsl}\n`, b.dsl.endsWith('\n') ? b.dsl : `${b.dsl}\n`) : [];
  return (
    <section className="panel" aria-labelledby="versions-title" data-testid="rule-versions">
      <h2 id="versions-title">Versions</h2>
      <ErrorNote error={v.error} what="the versions" />
      {versions.length > 0 && (
        <div className="two-col">
          <table className="list">
            <thead><tr><th scope="col">Version</th><th scope="col">Saved</th><th scope="col">Mode</th><th scope="col">State</th></tr></thead>
            <tbody>{versions.map((x) => (
              <tr key={x.version}><td>v{x.version}{x.version === rule.version ? ' (current)' : ''}</td><td>{formatTime(x.savedAt)}</td><td>{x.mode}</td><td>{x.enabled ? 'enabled' : 'disabled'}</td></tr>
            ))}</tbody>
          </table>
          {versions.length === 1 ? <p className="muted" data-testid="dsl-diff">Only one version so far: each save makes a new one, and the DSL of any two can be compared here.</p> : (
          <div>
            <div className="filters">
              <label>From <select value={from} onChange={(e) => setLeft(Number(e.target.value))}>{versions.map((x) => <option key={x.version} value={x.version}>v{x.version}</option>)}</select></label>
              <label>To <select value={to} onChange={(e) => setRight(Number(e.target.value))}>{versions.map((x) => <option key={x.version} value={x.version}>v{x.version}</option>)}</select></label>
            </div>
            {a && b && (a.dsl === b.dsl
              ? <p className="muted" data-testid="dsl-diff">The DSL of v{from} and v{to} is the same{from !== to ? ' (other fields changed)' : ''}.</p>
              : (
                <pre className="dsl-text dsl-diff" data-testid="dsl-diff" aria-label={`DSL changes from v${from} to v${to}`}>
                  {parts.flatMap((part, i) => part.value.replace(/\n$/, '').split('\n').map((line, j) => (
                    <span key={`${i}-${j}`} className={part.added ? 'diff-add' : part.removed ? 'diff-del' : 'diff-same'}>
                      {part.added ? '+ ' : part.removed ? '- ' : '  '}{line}{'\n'}
                    </span>
                  )))}
                </pre>
              ))}
          </div>
          )}
        </div>
      )}
    </section>
  );
}
