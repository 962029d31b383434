/**
 * One signal: rule, message, severity, status and its history, triage with a
 * note, and the trace waterfall with the witnesses marked. A correlated
 * signal (a `traces.by` rule) shows its key and window, and every trace
 * involved as its own collapsible waterfall on one shared time axis, so the
 * order across requests (failed login, then the retry) reads top to bottom.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, fluoApi } from '../api/fluoApi';
import type { Rule, SignalDetail, SignalStatus, Span, TraceDetail } from '../api/types';
import { SIGNAL_STATUSES } from '../api/types';
import { ErrorNote, SeverityBadge, StatusBadge } from '../components/bits';
import { Waterfall } from '../components/Waterfall';
import { formatDuration, formatTime, statusLabel, traceLink } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useUiConfig } from '../uiConfig';

export function SignalDetailScreen() {
  const { id = '' } = useParams();
  const config = useUiConfig();
  const [signal, setSignal] = useState<SignalDetail>();
  const [error, setError] = useState<Error>();
  const [trace, setTrace] = useState<TraceDetail | null>(null);
  const [rule, setRule] = useState<Rule | null>(null);
  const [status, setStatus] = useState<SignalStatus>('acknowledged');
  const [note, setNote] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();

  useEffect(() => {
    fluoApi.getSignal(id).then(setSignal, setError);
  }, [id]);
  useEffect(() => {
    if (signal) fluoApi.getRule(signal.ruleId).then(setRule, () => setRule(null));
  }, [signal?.ruleId]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    // The kept trace may hold spans that arrived after the signal fired; the evidence is the trace as it was then.
    // A correlated signal reads its traces in CorrelatedTraces.
    if (signal && signal.traceIds === undefined) fluoApi.getTrace(signal.traceId).then(setTrace, () => setTrace(null));
  }, [signal?.traceId]); // eslint-disable-line react-hooks/exhaustive-deps

  const change = async () => {
    setSaving(true);
    setSaveError(undefined);
    try {
      setSignal(await fluoApi.setSignalStatus(id, status, note.trim() || null));
      setNote('');
    } catch (err) {
      setSaveError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  if (error) return <div className="screen"><ErrorNote error={error} what={`signal '${id}'`} /><Link to="/signals">Back to signals</Link></div>;
  if (!signal) return <div className="screen"><p className="muted">Loading…</p></div>;
  const link = traceLink(config.traceLinkTemplate, signal.traceId);
  const spans = signal.evidence.spans;
  const correlated = signal.traceIds !== undefined && signal.correlationKey !== undefined;
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>{signal.ruleName}</h1>
        <Link to="/signals">Back to signals</Link>
      </div>
      <p className="signal-message">{signal.message}</p>
      <div className="two-col wide-left">
        <section className="panel" aria-labelledby="facts-title">
          <h2 id="facts-title" className="sr-only">Signal facts</h2>
          <dl className="facts">
            <dt>Severity</dt><dd><SeverityBadge severity={signal.severity} />{signal.mode === 'shadow' && <span className="badge shadow">shadow</span>}</dd>
            <dt>Status</dt><dd><StatusBadge status={signal.status} /> <span className="muted small">since {formatTime(signal.statusUpdatedAt)}</span></dd>
            <dt>Rule</dt><dd><Link to={`/rules/${encodeURIComponent(signal.ruleId)}`}>{signal.ruleName}</Link> <span className="muted small">version {signal.ruleVersion}</span></dd>
            <dt>Detected</dt><dd>{formatTime(signal.detectedAt)}</dd>
            <dt>Services</dt><dd>{signal.services.join(', ') || '–'}</dd>
            {correlated ? (
              <>
                <dt>Key</dt><dd className="mono" data-testid="correlation-key">{signal.correlationKey}</dd>
                {signal.windowStart !== undefined && signal.windowEnd !== undefined && (
                  <><dt>Window</dt><dd data-testid="correlation-window">{formatTime(signal.windowStart)} – {formatTime(signal.windowEnd)} <span className="muted small">({formatDuration(signal.windowEnd - signal.windowStart)}, span start times)</span></dd></>
                )}
                <dt>Traces</dt><dd>{signal.traceIds!.length} trace{signal.traceIds!.length === 1 ? '' : 's'} (below, in order of their first witness)</dd>
              </>
            ) : (
              <><dt>Trace</dt><dd className="mono"><Link to={`/traces/${signal.traceId}?witness=${signal.spanIds.join(',')}`}>{signal.traceId}</Link>
                {link && <> · <a href={link} target="_blank" rel="noreferrer noopener">open in your tracing backend ↗</a></>}</dd></>
            )}
            <dt>Witnesses</dt><dd>{signal.spanIds.length} span{signal.spanIds.length === 1 ? '' : 's'} (marked ◆ below)</dd>
          </dl>
          {rule && (
            <>
              <h3>Rule{rule.version !== signal.ruleVersion ? ` (now version ${rule.version}; the signal came from version ${signal.ruleVersion})` : ''}</h3>
              <pre className="dsl-text">{rule.dsl}</pre>
            </>
          )}
        </section>
        <section className="panel" aria-labelledby="triage-title">
          <h2 id="triage-title">Triage</h2>
          <div className="field">
            <label htmlFor="signal-status">New status</label>
            <select id="signal-status" value={status} onChange={(e) => setStatus(e.target.value as SignalStatus)}>
              {SIGNAL_STATUSES.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="signal-note">Note</label>
            <textarea id="signal-note" rows={2} value={note} maxLength={10_000} onChange={(e) => setNote(e.target.value)} placeholder="why (kept in the history)" />
          </div>
          <button type="button" className="primary" onClick={change} disabled={saving}>{saving ? 'Saving…' : 'Change status'}</button>
          {saveError && <p className="error-note" role="alert">{saveError}</p>}
          <h3>History</h3>
          {signal.history.length === 0 ? <p className="muted small">Open since it was detected.</p> : (
            <ol className="history">
              {signal.history.map((h, i) => (
                <li key={i}><span className="small muted">{formatTime(h.at)}</span> <strong>{h.by}</strong>: {statusLabel(h.from)} → {statusLabel(h.to)}{h.note ? <q>{h.note}</q> : null}</li>
              ))}
            </ol>
          )}
          <SignalNotifications signalId={signal.id} shadow={signal.mode === 'shadow'} />
        </section>
      </div>
      {correlated ? <CorrelatedTraces key={signal.id} signal={signal} traceLinkTemplate={config.traceLinkTemplate} /> : (
      <section className="panel" aria-labelledby="wf-title">
        <h2 id="wf-title">Trace when the signal fired <span className="muted small">({spans.length} spans; click a span for its attributes, resource and events)</span></h2>
        <Waterfall spans={spans} witnesses={signal.spanIds} />
        {trace && trace.spanCount > spans.length && (
          <p className="muted small">The trace has {trace.spanCount} spans now: <Link to={`/traces/${signal.traceId}?witness=${signal.spanIds.join(',')}`}>see the whole trace</Link>.</p>
        )}
      </section>
      )}
    </div>
  );
}

/** Sections open at first; a signal of many traces (a card tested 50 times) shows the rest collapsed. */
const OPEN_SECTIONS = 10;

/**
 * The traces of a correlated signal, each a collapsible section with its own
 * waterfall; all share one time axis, so a bar's place says when it ran
 * relative to the other traces. The evidence holds only the spans the rule's
 * predicates matched, so each trace is read whole from the kept traces
 * (GET /traces/{id}); a trace no longer kept shows its evidence spans.
 */
function CorrelatedTraces({ signal, traceLinkTemplate }: { signal: SignalDetail; traceLinkTemplate: string | null }) {
  const traceIds = useMemo(() => {
    const ids = [...(signal.traceIds ?? [signal.traceId])];
    for (const s of signal.evidence.spans) if (!ids.includes(s.traceId)) ids.push(s.traceId);
    return ids;
  }, [signal]);
  // Whole traces are read for the sections open (the first ten, then each one as it is opened): a signal of 500 traces reads no more than needed.
  const [wanted, setWanted] = useState<ReadonlySet<string>>(() => new Set(traceIds.slice(0, OPEN_SECTIONS)));
  const [kept, setKept] = useState<ReadonlyMap<string, TraceDetail | null>>(new Map());
  useEffect(() => {
    const missing = [...wanted].filter((t) => !kept.has(t));
    if (missing.length === 0) return;
    let live = true;
    Promise.all(missing.map((t) => fluoApi.getTrace(t).then((d) => [t, d] as const, () => [t, null] as const)))
      .then((entries) => { if (live) setKept((prev) => new Map([...prev, ...entries])); });
    return () => { live = false; };
  }, [wanted]); // eslint-disable-line react-hooks/exhaustive-deps
  const sections = useMemo(() => traceIds.map((traceId) => {
    const whole = kept.get(traceId);
    const spans: Span[] = whole ? whole.spans : signal.evidence.spans.filter((s) => s.traceId === traceId);
    return { traceId, spans, state: whole ? 'whole' as const : whole === null ? 'gone' as const : 'evidence' as const };
  }), [traceIds, kept, signal]);
  const range = useMemo(() => {
    let start = Infinity;
    let end = -Infinity;
    for (const { spans } of sections) for (const s of spans) { start = Math.min(start, s.startTime); end = Math.max(end, s.endTime, s.startTime); }
    return Number.isFinite(start) ? { start, end } : undefined;
  }, [sections]);
  const witnessSet = new Set(signal.spanIds);
  return (
    <section className="panel" aria-labelledby="wf-title">
      <h2 id="wf-title">Traces of the signal <span className="muted small">({traceIds.length} traces for key <span className="mono">{signal.correlationKey}</span>, in order of their first witness, on one time axis{range ? ` of ${formatDuration(range.end - range.start)} from ${formatTime(range.start)}` : ''}; click a span for its details)</span></h2>
      <div className="correlated-traces">
        {sections.map(({ traceId, spans, state }, index) => {
          const witnesses = spans.filter((s) => witnessSet.has(s.spanId)).map((s) => s.spanId);
          const first = spans.find((s) => witnessSet.has(s.spanId));
          const link = traceLink(traceLinkTemplate, traceId);
          return (
            <details key={traceId} open={index < OPEN_SECTIONS} className="correlated-trace" data-trace-id={traceId}
              onToggle={(e) => { if (e.currentTarget.open) setWanted((prev) => prev.has(traceId) ? prev : new Set(prev).add(traceId)); }}>
              <summary>
                <span className="badge">trace {index + 1}</span> <span className="mono">{traceId}</span>
                <span className="muted small"> · {witnesses.length} witness{witnesses.length === 1 ? '' : 'es'}{first ? ` (first: ${first.service ?? '?'} ${first.name}${range ? ` at +${formatDuration(first.startTime - range.start)}` : ''})` : ''} · {spans.length} span{spans.length === 1 ? '' : 's'}{state === 'gone' ? ' (evidence only: the trace is no longer kept)' : state === 'evidence' ? ' (evidence; the whole trace is read when opened)' : ''}</span>
              </summary>
              <p className="small">
                <Link to={`/traces/${traceId}?witness=${witnesses.join(',')}`}>open the trace</Link>
                {link && <> · <a href={link} target="_blank" rel="noreferrer noopener">open in your tracing backend ↗</a></>}
              </p>
              <Waterfall spans={spans} witnesses={witnesses} range={range} label={`Waterfall of trace ${traceId}`} />
            </details>
          );
        })}
      </div>
    </section>
  );
}

/** The outbox rows of one signal: where it was sent, and whether it arrived (with the last error when not). */
function SignalNotifications({ signalId, shadow }: { signalId: string; shadow: boolean }) {
  const rows = useLoad(() => fluoApi.listNotifications({ signalId, limit: 20 }), [signalId], 10_000);
  return (
    <>
      <h3>Notifications</h3>
      <ErrorNote error={rows.error} what="the notifications" />
      {rows.data && rows.data.notifications.length === 0 && (
        <p className="muted small">{shadow ? 'None: signals of shadow rules never notify.' : <>None: no channel receives this signal. See <Link to="/notifications">Notifications</Link>.</>}</p>
      )}
      {rows.data && rows.data.notifications.length > 0 && (
        <ul className="signal-notifications">
          {rows.data.notifications.map((n) => (
            <li key={n.n}>
              <span className={`badge nst-${n.status}`}>{n.status}</span> {n.kind} to <strong>{n.channelId}</strong>
              <span className="muted small"> · {n.attempts} attempt{n.attempts === 1 ? '' : 's'}{n.deliveredAt ? ` · delivered ${formatTime(n.deliveredAt)}` : ''}</span>
              {n.lastError && <div className="error-text small">{n.lastError}</div>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
