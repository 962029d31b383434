/**
 * Create or edit a rule: fields, the DSL editor with live validation and
 * autocompletion, templates, and Try it (POST /rules/test over recently
 * kept traces) before saving.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, fluoApi } from '../api/fluoApi';
import type { Rule, RuleMode, RuleTestResult, Severity, TraceKeys } from '../api/types';
import { SEVERITIES } from '../api/types';
import { EmptyState, ErrorNote } from '../components/bits';
import { DslEditor, type DslProblem } from '../components/DslEditor';
import { RuleLearning } from '../components/RuleLearning';
import { formatTime } from '../lib/format';
import { RULE_TEMPLATES } from '../lib/ruleTemplates';
import { TIME_RANGES } from '../lib/signalBuckets';
import { otlpHttpEndpoint, useUiConfig } from '../uiConfig';

interface Draft { id: string; name: string; description: string; severity: Severity; mode: RuleMode; enabled: boolean; tags: string; dsl: string }

const EMPTY: Draft = { id: '', name: '', description: '', severity: 'warning', mode: 'alert', enabled: true, tags: '', dsl: '' };

export function RuleEditorScreen() {
  const { id } = useParams();
  const isNew = id === undefined;
  const navigate = useNavigate();
  const config = useUiConfig();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [rule, setRule] = useState<Rule>();
  const [loadError, setLoadError] = useState<Error>();
  const [problems, setProblems] = useState<DslProblem[]>([]);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<RuleTestResult & { dsl: string; rangeLabel: string }>();
  const [testError, setTestError] = useState<string>();
  const [testRange, setTestRange] = useState(3);
  const [ruleLoads, setRuleLoads] = useState(0);
  const keys = useRef<TraceKeys>({ tracesScanned: 0, spanAttributes: [], resourceAttributes: [], spanNames: [], services: [] });

  useEffect(() => { fluoApi.traceKeys().then((k) => { keys.current = k; }, () => undefined); }, []);
  useEffect(() => {
    if (isNew) { setDraft(EMPTY); setRule(undefined); return; }
    fluoApi.getRule(id).then((r) => {
      setRule(r);
      setDraft({ id: r.id, name: r.name, description: r.description, severity: r.severity, mode: r.mode, enabled: r.enabled, tags: r.tags.join(', '), dsl: r.dsl });
    }, (e: Error) => setLoadError(e));
  }, [id, isNew, ruleLoads]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const readOnly = rule?.source === 'file';

  const applyTemplate = (index: number) => {
    const t = RULE_TEMPLATES[index];
    if (!t) return;
    setDraft((d) => ({ ...d, name: d.name || t.name, description: t.description ?? '', severity: t.severity, mode: t.mode ?? 'alert', tags: (t.tags ?? []).join(', '), dsl: t.dsl.trimEnd() }));
  };

  const tryIt = async () => {
    setTesting(true);
    setTestError(undefined);
    const range = TIME_RANGES[testRange];
    try {
      const result = await fluoApi.testRule(draft.dsl, { since: Date.now() - range.ms, limit: 50 });
      setTest({ ...result, dsl: draft.dsl, rangeLabel: range.label.toLowerCase() });
    } catch (err) {
      setTest(undefined);
      setTestError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setTesting(false);
    }
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setSaveError(undefined);
    const body = {
      name: draft.name.trim(), description: draft.description, severity: draft.severity, mode: draft.mode, enabled: draft.enabled,
      tags: draft.tags.split(',').map((t) => t.trim()).filter(Boolean), dsl: draft.dsl,
    };
    try {
      const saved = isNew
        ? await fluoApi.createRule({ ...body, ...(draft.id.trim() ? { id: draft.id.trim() } : {}) })
        : await fluoApi.replaceRule(rule!.id, { ...body, version: rule!.version });
      navigate(`/rules?saved=${encodeURIComponent(saved.id)}`);
    } catch (err) {
      setSaveError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  if (loadError) return <div className="screen"><ErrorNote error={loadError} what={`the rule '${id}'`} /><Link to="/rules">Back to rules</Link></div>;
  const valid = draft.dsl.trim() !== '' && problems.length === 0;
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>{isNew ? 'New rule' : `Edit rule: ${rule?.name ?? id}`}</h1>
        <Link to="/rules">Back to rules</Link>
      </div>
      {readOnly && <p className="note">This rule comes from the rule file {rule?.file}: edit that file to change it. You can still try it here.</p>}
      <form className="rule-form" onSubmit={save} aria-describedby={saveError ? 'save-error' : undefined}>
        <div className="fields">
          {isNew && (
            <div className="field">
              <label htmlFor="rule-template">Start from a template</label>
              <select id="rule-template" defaultValue="" onChange={(e) => applyTemplate(Number(e.target.value))}>
                <option value="" disabled>Choose a template…</option>
                {RULE_TEMPLATES.map((t, i) => <option key={`${t.file}-${t.id}`} value={i}>{t.name} ({t.file.replace('.yaml', '')})</option>)}
              </select>
            </div>
          )}
          <div className="field">
            <label htmlFor="rule-name">Name</label>
            <input id="rule-name" required maxLength={200} value={draft.name} onChange={(e) => set('name', e.target.value)} disabled={readOnly} />
          </div>
          {isNew && (
            <div className="field">
              <label htmlFor="rule-id">Id <span className="muted">(optional: made from the name)</span></label>
              <input id="rule-id" pattern="[a-z0-9][a-z0-9\-]*" title="lowercase letters, digits and dashes" value={draft.id} onChange={(e) => set('id', e.target.value)} />
            </div>
          )}
          <div className="field-row">
            <div className="field">
              <label htmlFor="rule-severity">Severity</label>
              <select id="rule-severity" value={draft.severity} onChange={(e) => set('severity', e.target.value as Severity)} disabled={readOnly}>
                {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </div>
            <div className="field">
              <label htmlFor="rule-mode">Mode</label>
              <select id="rule-mode" value={draft.mode} onChange={(e) => set('mode', e.target.value as RuleMode)} disabled={readOnly}>
                <option value="alert">alert</option>
                <option value="shadow">shadow (record, never notify)</option>
              </select>
            </div>
            <div className="field checkbox">
              <input id="rule-enabled" type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} disabled={readOnly} />
              <label htmlFor="rule-enabled">Enabled</label>
            </div>
          </div>
          <div className="field">
            <label htmlFor="rule-description">Description</label>
            <textarea id="rule-description" rows={2} value={draft.description} onChange={(e) => set('description', e.target.value)} disabled={readOnly} />
          </div>
          <div className="field">
            <label htmlFor="rule-tags">Tags <span className="muted">(comma separated)</span></label>
            <input id="rule-tags" value={draft.tags} onChange={(e) => set('tags', e.target.value)} disabled={readOnly} />
          </div>
        </div>

        <div className="field">
          <span className="label" id="rule-dsl-label">Rule (DSL) <span className="muted small">see docs/dsl.md; Ctrl+Space completes</span></span>
          <DslEditor value={draft.dsl} onChange={(dsl) => set('dsl', dsl)} onProblems={setProblems} keys={() => keys.current} labelId="rule-dsl-label" />
          <p className={`dsl-status ${draft.dsl.trim() === '' ? 'muted' : valid ? 'ok-text' : 'error-text'}`} role="status" aria-live="polite" data-testid="dsl-status">
            {draft.dsl.trim() === '' ? 'Write a rule, or start from a template. Ctrl+Space completes.'
              : valid ? '✓ The rule compiles.'
                : problems.map((p) => `Line ${p.line}, column ${p.column}: ${p.message}`).join(' ')}
          </p>
        </div>

        <div className="form-actions">
          <label>Try over{' '}
            <select value={testRange} onChange={(e) => setTestRange(Number(e.target.value))}>
              {TIME_RANGES.map((r, i) => <option key={r.label} value={i}>{r.label.toLowerCase()}</option>)}
            </select>
          </label>
          <button type="button" onClick={tryIt} disabled={!valid || testing}>{testing ? 'Trying…' : 'Try it'}</button>
          {!readOnly && <button type="submit" className="primary" disabled={!valid || saving || draft.name.trim() === ''}>{saving ? 'Saving…' : isNew ? 'Save rule' : 'Save changes'}</button>}
        </div>
        {saveError && <p className="error-note" id="save-error" role="alert">Not saved: {saveError}</p>}
      </form>

      {testError && <p className="error-note" role="alert">Try it failed: {testError}</p>}
      {test && (
        <section className="panel try-results" aria-labelledby="try-title" data-testid="try-results">
          <h2 id="try-title">Try it: {test.matched} of {test.tracesScanned} kept traces from the {test.rangeLabel} would fire{test.truncated ? ' (scan limit reached)' : ''}</h2>
          {test.dsl !== draft.dsl && <p className="note">The rule changed since this run: try it again.</p>}
          {test.tracesScanned === 0 && (
            <EmptyState title="No kept traces to try the rule on">
              <p>Send traces first: point your OTLP exporter at <code>{otlpHttpEndpoint(config)}</code>.</p>
            </EmptyState>
          )}
          {test.traces.length > 0 && (
            <table className="list">
              <thead><tr><th scope="col">Trace</th><th scope="col">Root span</th><th scope="col">Started</th><th scope="col" className="num">Witnesses</th></tr></thead>
              <tbody>
                {test.traces.map((t) => (
                  <tr key={t.traceId}>
                    <td className="mono"><Link to={`/traces/${t.traceId}?witness=${t.witnesses.join(',')}`}>{t.traceId.slice(0, 16)}…</Link></td>
                    <td>{t.rootName}</td>
                    <td>{formatTime(t.startTime)}</td>
                    <td className="num">{t.witnesses.length}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {test.matched > test.traces.length && <p className="muted">Showing the first {test.traces.length}.</p>}
        </section>
      )}
      {rule && !isNew && rule.id === id && <RuleLearning rule={rule} onChanged={() => setRuleLoads((n) => n + 1)} />}
    </div>
  );
}
