/**
 * Invariants (docs/learning.md): mine the kept traces of a chosen period for
 * candidate invariants (co-occurrence, ordering, duration bounds, attribute
 * enumerations), each with its support, confidence, lift and example and
 * counter-example traces; Backtest runs its rule over kept traces (POST
 * /rules/test); Adopt makes it a shadow rule (records, never notifies).
 */
import { useState } from 'react';
import { Link } from 'react-router';
import { errorText, fluoApi } from '../api/fluoApi';
import type { InvariantCandidate, InvariantReport, Rule, RuleTestResult } from '../api/types';
import { EmptyState } from '../components/bits';
import { formatNumber } from '../lib/format';
import { percent } from '../lib/learnFormat';
import { TIME_RANGES } from '../lib/signalBuckets';

type Outcome = { backtest?: RuleTestResult; adopted?: Rule; error?: string; busy?: boolean };

function TraceLinks({ ids, label }: { ids: string[]; label: string }) {
  if (ids.length === 0) return <span className="muted">none</span>;
  return <>{ids.map((id, i) => <span key={id}>{i > 0 && ', '}<Link className="mono" to={`/traces/${id}`} aria-label={`${label} trace ${id}`}>{id.slice(0, 8)}…</Link></span>)}</>;
}

export function InvariantsScreen() {
  const [range, setRange] = useState(3);
  const [minSupport, setMinSupport] = useState('20');
  const [report, setReport] = useState<InvariantReport>();
  const [error, setError] = useState<string>();
  const [mining, setMining] = useState(false);
  const [outcomes, setOutcomes] = useState<Record<string, Outcome>>({});

  const mine = async () => {
    setMining(true); setError(undefined); setOutcomes({});
    try {
      setReport(await fluoApi.mineInvariants({ since: Date.now() - TIME_RANGES[range].ms, minSupport: Number(minSupport) || undefined }));
    } catch (err) { setReport(undefined); setError(errorText(err)); } finally { setMining(false); }
  };
  const update = (id: string, o: Outcome) => setOutcomes((x) => ({ ...x, [id]: { ...x[id], ...o } }));
  const backtest = async (c: InvariantCandidate) => {
    update(c.id, { busy: true, error: undefined });
    try { update(c.id, { backtest: await fluoApi.testRule(c.dsl, { since: Date.now() - TIME_RANGES[range].ms, limit: 10 }), busy: false }); }
    catch (err) { update(c.id, { error: `Backtest failed: ${errorText(err)}`, busy: false }); }
  };
  const adopt = async (c: InvariantCandidate) => {
    update(c.id, { busy: true, error: undefined });
    try { update(c.id, { adopted: await fluoApi.adoptInvariant({ dsl: c.dsl, description: c.description }), busy: false }); }
    catch (err) { update(c.id, { error: `Not adopted: ${errorText(err)}`, busy: false }); }
  };

  return (
    <div className="screen">
      <div className="screen-head"><h1>Invariants</h1></div>
      <p className="muted">What always holds in your traces, found in the traces FLUO keeps. Adopt a candidate to watch for its violations as a <strong>shadow</strong> rule: it records signals without notifying until you promote it.</p>
      <form className="filters" onSubmit={(e) => { e.preventDefault(); void mine(); }}>
        <label>Traces since
          <select value={range} onChange={(e) => setRange(Number(e.target.value))}>
            {TIME_RANGES.map((r, i) => <option key={r.label} value={i}>{r.label.toLowerCase()}</option>)}
          </select>
        </label>
        <label>Least support
          <input type="number" min={1} value={minSupport} onChange={(e) => setMinSupport(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={mining}>{mining ? 'Mining…' : 'Mine invariants'}</button>
      </form>
      {error && <p className="error-note" role="alert">Mining failed: {error}</p>}
      {!report && !error && <EmptyState title="Nothing mined yet"><p>Choose a period and press <strong>Mine invariants</strong>.</p></EmptyState>}
      {report && (
        <>
          <p role="status">{formatNumber(report.tracesScanned)} traces ({formatNumber(report.stats.spans)} spans, {report.stats.spanKinds} span kinds) scanned{report.truncated ? ' (scan limit reached)' : ''}: {report.candidates.length} candidate{report.candidates.length === 1 ? '' : 's'}.</p>
          {report.candidates.length === 0 && (
            <EmptyState title="No candidates">
              <p>No invariant reached the thresholds. Send more traffic, choose a longer period or lower the least support.</p>
            </EmptyState>
          )}
          {report.candidates.length > 0 && (
            <table className="list invariants-table">
              <thead><tr><th scope="col">Kind</th><th scope="col">Invariant</th><th scope="col" className="num">Support</th><th scope="col" className="num">Confidence</th><th scope="col" className="num">Lift</th><th scope="col">Examples</th><th scope="col">Counter-examples</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>{report.candidates.map((c) => {
                const o = outcomes[c.id] ?? {};
                return (
                  <tr key={c.id} data-candidate-id={c.id}>
                    <td><span className="badge kind">{c.kind}</span></td>
                    <td>{c.description}
                      <details><summary className="small">Rule</summary><pre className="dsl-text">{c.dsl}</pre></details>
                      {o.backtest && <div className="small" role="status">Backtest: fires on {o.backtest.matched} of {o.backtest.tracesScanned} kept traces{o.backtest.traces.length > 0 && <> (<TraceLinks ids={o.backtest.traces.map((t) => t.traceId)} label="backtest match" />)</>}</div>}
                      {o.adopted && <div className="small ok-text" role="status">Adopted as the shadow rule <Link to={`/rules/${encodeURIComponent(o.adopted.id)}`}>{o.adopted.name}</Link>.</div>}
                      {o.error && <div className="small error-text" role="alert">{o.error}</div>}
                    </td>
                    <td className="num">{formatNumber(c.support)} {c.unit}</td>
                    <td className="num">{percent(c.confidence, 1)}</td>
                    <td className="num">{c.lift === null ? '–' : c.lift.toFixed(2)}</td>
                    <td className="small"><TraceLinks ids={c.examples} label="example" /></td>
                    <td className="small"><TraceLinks ids={c.counterExamples} label="counter-example" /></td>
                    <td><div className="actions">
                      <button type="button" disabled={o.busy} onClick={() => backtest(c)}>Backtest<span className="sr-only"> {c.description}</span></button>
                      <button type="button" className="primary" disabled={o.busy || o.adopted !== undefined} onClick={() => adopt(c)}>Adopt<span className="sr-only"> {c.description}</span></button>
                    </div></td>
                  </tr>
                );
              })}</tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
