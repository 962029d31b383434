/**
 * Notifications (docs/notifications.md): the channels (config-file channels
 * read-only; API channels created, edited, enabled, deleted and tested here,
 * with per-type settings whose server-side validation errors show at the
 * field; secret settings are write-only), and the outbox: every notification
 * with its status, attempts, last error and next attempt, filterable by
 * status (kept in the URL).
 */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorText, fieldErrors, fluoApi } from '../api/fluoApi';
import type { Channel, ChannelTestResult, ChannelType, NotificationRow, NotificationStatus } from '../api/types';
import { NOTIFICATION_STATUSES, SEVERITIES } from '../api/types';
import { EmptyState, ErrorNote } from '../components/bits';
import { COMMON_FIELDS, draftOf, inputOf, TYPE_FIELDS, type ChannelDraft as Draft } from '../lib/channelDraft';
import { formatAgo, formatTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';

function ChannelForm({ types, editing, onDone }: { types: ChannelType[]; editing: Channel | null; onDone: (message: string) => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(editing, types[0]?.type ?? 'webhook'));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const type = types.find((t) => t.type === d.type);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true); setErrors({}); setError(undefined);
    try {
      const saved = editing ? await fluoApi.replaceChannel(editing.id, inputOf(d, editing)) : await fluoApi.createChannel(inputOf(d, null));
      onDone(`Channel ${saved.name || saved.id} ${editing ? 'saved' : 'created'}.`);
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorText(err));
    } finally { setBusy(false); }
  };
  const fieldError = (key: string): string | undefined => errors[key] ?? errors[`settings.${key}`] ?? Object.entries(errors).find(([k]) => k.startsWith(`settings.${key}.`))?.[1];
  const described = (key: string) => (fieldError(key) ? `err-${key}` : undefined);
  return (
    <form className="panel channel-form" onSubmit={submit} aria-labelledby="channel-form-title" noValidate>
      <h2 id="channel-form-title">{editing ? `Edit channel ${editing.id}` : 'New channel'}</h2>
      {error && <p className="error-note" role="alert">Not saved: {error}</p>}
      <div className="fields">
        <div className="field">
          <label htmlFor="ch-type">Type</label>
          <select id="ch-type" value={d.type} onChange={(e) => set('type', e.target.value)} disabled={editing !== null}>
            {types.map((t) => <option key={t.type} value={t.type}>{t.type}</option>)}
          </select>
          {type && <span className="muted small">{type.description}</span>}
        </div>
        {!editing && (
          <div className="field">
            <label htmlFor="ch-id">Id <span className="muted">(lowercase letters, digits, '.', '_' or '-')</span></label>
            <input id="ch-id" required value={d.id} onChange={(e) => set('id', e.target.value)} aria-invalid={fieldError('id') ? true : undefined} aria-describedby={described('id')} />
            {fieldError('id') && <span className="error-text small" id="err-id">{fieldError('id')}</span>}
          </div>
        )}
        <div className="field">
          <label htmlFor="ch-name">Name</label>
          <input id="ch-name" value={d.name} onChange={(e) => set('name', e.target.value)} aria-invalid={fieldError('name') ? true : undefined} aria-describedby={described('name')} />
          {fieldError('name') && <span className="error-text small" id="err-name">{fieldError('name')}</span>}
        </div>
        {[...(TYPE_FIELDS[d.type] ?? []), ...COMMON_FIELDS].map((f) => {
          const secret = type?.secretFields.includes(f.key) ?? false;
          const stored = editing?.secretsSet.includes(f.key) ?? false;
          const id = `ch-setting-${f.key}`;
          const common = {
            id, value: d.settings[f.key] ?? '', 'aria-invalid': fieldError(f.key) ? true : undefined, 'aria-describedby': `${id}-hint${fieldError(f.key) ? ` err-${f.key}` : ''}`,
            placeholder: secret && stored ? '(stored; leave empty to keep)' : undefined,
          };
          const onChange = (v: string) => setD((x) => ({ ...x, settings: { ...x.settings, [f.key]: v } }));
          return (
            <div className="field" key={`${d.type}-${f.key}`}>
              <label htmlFor={id}>{f.label}{secret && <span className="muted"> (secret, write-only)</span>}</label>
              {f.kind === 'headers'
                ? <textarea {...common} rows={2} onChange={(e) => onChange(e.target.value)} />
                : <input {...common} type={secret ? 'password' : 'text'} autoComplete="off" onChange={(e) => onChange(e.target.value)} />}
              <span className="muted small" id={`${id}-hint`}>{f.hint ?? ''}</span>
              {fieldError(f.key) && <span className="error-text small" id={`err-${f.key}`}>{fieldError(f.key)}</span>}
            </div>
          );
        })}
        <div className="field">
          <label htmlFor="ch-receive">Receives</label>
          <select id="ch-receive" value={d.receive} onChange={(e) => set('receive', e.target.value as Draft['receive'])}>
            <option value="all">every signal</option>
            <option value="matching">signals of these rules, severities or tags</option>
            <option value="routes">only what config routes send (and tests)</option>
          </select>
          {fieldError('match') && <span className="error-text small">{fieldError('match')}</span>}
        </div>
        {d.receive === 'matching' && (
          <>
            <div className="field"><label htmlFor="ch-rules">Rule ids <span className="muted">(comma separated)</span></label><input id="ch-rules" value={d.rules} onChange={(e) => set('rules', e.target.value)} /></div>
            <fieldset className="field">
              <legend className="label">Severities</legend>
              <div className="checks">{SEVERITIES.map((s) => (
                <label key={s} className="check"><input type="checkbox" checked={d.severities.includes(s)} onChange={(e) => set('severities', e.target.checked ? [...d.severities, s] : d.severities.filter((x) => x !== s))} /> {s}</label>
              ))}</div>
            </fieldset>
            <div className="field"><label htmlFor="ch-tags">Rule tags <span className="muted">(any of; comma separated)</span></label><input id="ch-tags" value={d.tags} onChange={(e) => set('tags', e.target.value)} /></div>
          </>
        )}
        <div className="field">
          <label htmlFor="ch-send-resolved">Send resolves</label>
          <select id="ch-send-resolved" value={d.sendResolved} onChange={(e) => set('sendResolved', e.target.value as Draft['sendResolved'])}>
            <option value="">{type ? `default for ${type.type} (${type.sendResolvedByDefault ? 'yes' : 'no'})` : 'default'}</option>
            <option value="true">yes: also when a signal is resolved</option>
            <option value="false">no: triggers only</option>
          </select>
        </div>
        <fieldset className="field">
          <legend className="label">Throttle</legend>
          <label className="check"><input type="checkbox" checked={d.throttle} onChange={(e) => set('throttle', e.target.checked)} /> at most a number of notifications per rule and window, then one summary</label>
          {d.throttle && (
            <div className="checks">
              <label className="check" htmlFor="ch-throttle-cap">Cap <input id="ch-throttle-cap" aria-label="Throttle cap" size={4} value={d.throttleCap} onChange={(e) => set('throttleCap', e.target.value)} aria-invalid={fieldError('throttle.cap') ? true : undefined} /></label>
              <label className="check" htmlFor="ch-throttle-window">per <input id="ch-throttle-window" aria-label="Throttle window" size={5} value={d.throttleWindow} onChange={(e) => set('throttleWindow', e.target.value)} aria-invalid={fieldError('throttle.window') ? true : undefined} /></label>
              <label className="check" htmlFor="ch-throttle-group">by <select id="ch-throttle-group" aria-label="Throttle grouping" value={d.throttleGroupBy} onChange={(e) => set('throttleGroupBy', e.target.value as Draft['throttleGroupBy'])}><option value="">rule</option><option value="service">rule and service</option></select></label>
            </div>
          )}
          {(fieldError('throttle.cap') || fieldError('throttle.window') || fieldError('throttle.groupBy')) && (
            <span className="error-text small" role="alert">{['cap', 'window', 'groupBy'].map((k) => fieldError(`throttle.${k}`) && `${k}: ${fieldError(`throttle.${k}`)}`).filter(Boolean).join('; ')}</span>
          )}
        </fieldset>
        <div className="field checkbox">
          <input id="ch-enabled" type="checkbox" checked={d.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          <label htmlFor="ch-enabled">Enabled</label>
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>{editing ? 'Save channel' : 'Create channel'}</button>
        <button type="button" onClick={() => onDone('')}>Cancel</button>
      </div>
    </form>
  );
}

export function NotificationsScreen() {
  const [params, setParams] = useSearchParams();
  const status = (NOTIFICATION_STATUSES as readonly string[]).includes(params.get('status') ?? '') ? params.get('status') as NotificationStatus : undefined;
  const [cursor, setCursor] = useState<string>();
  const types = useLoad(() => fluoApi.channelTypes(), []);
  const channels = useLoad(() => fluoApi.listChannels(), []);
  const outbox = useLoad(() => fluoApi.listNotifications({ status, limit: 50, cursor }), [status, cursor], 5_000);
  const [form, setForm] = useState<{ editing: Channel | null } | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [tests, setTests] = useState<Record<string, ChannelTestResult | { outcome: 'error'; reason: string }>>({});
  const [busy, setBusy] = useState<string | null>(null);

  const act = async (c: Channel, what: string, run: () => Promise<unknown>) => {
    setBusy(c.id);
    try { await run(); setMessage({ ok: true, text: `${c.name || c.id}: ${what}.` }); channels.reload(); outbox.reload(); }
    catch (err) { setMessage({ ok: false, text: `${c.name || c.id}: not ${what}: ${errorText(err)}` }); }
    finally { setBusy(null); }
  };
  const test = async (c: Channel) => {
    setBusy(c.id);
    try { const r = await fluoApi.testChannel(c.id); setTests((t) => ({ ...t, [c.id]: r })); }
    catch (err) { setTests((t) => ({ ...t, [c.id]: { outcome: 'error', reason: errorText(err) } })); }
    finally { setBusy(null); }
  };
  const names = new Map((channels.data?.channels ?? []).map((c) => [c.id, c.name || c.id]));
  const rows: NotificationRow[] = outbox.data?.notifications ?? [];

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Notifications</h1>
        {!form && <button type="button" className="primary" onClick={() => { setMessage(undefined); setForm({ editing: null }); }} disabled={!types.data}>New channel</button>}
      </div>
      {message && message.text && <p className={message.ok ? 'ok-note' : 'error-note'} role="status">{message.text}</p>}
      {form && types.data && (
        <ChannelForm key={form.editing?.id ?? 'new'} types={types.data.types} editing={form.editing} onDone={(text) => { setForm(null); if (text) { setMessage({ ok: true, text }); channels.reload(); } }} />
      )}

      <section aria-labelledby="channels-title">
        <h2 id="channels-title">Channels</h2>
        <ErrorNote error={channels.error} what="the channels" />
        {channels.data && channels.data.channels.length === 0 && (
          <EmptyState title="No channels yet">
            <p>Signals are stored but nobody is told. Add a channel (webhook, Slack, Alertmanager, PagerDuty or OTLP logs) here, or under <code>notifications.channels</code> in the config file.</p>
          </EmptyState>
        )}
        {channels.data && channels.data.channels.length > 0 && (
          <table className="list channels-table">
            <thead><tr><th scope="col">Channel</th><th scope="col">Type</th><th scope="col">State</th><th scope="col">Receives</th><th scope="col">Test</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>{channels.data.channels.map((c) => {
              const t = tests[c.id];
              const label = c.name || c.id;
              return (
                <tr key={c.id} data-channel-id={c.id}>
                  <td>{label}<div className="muted small mono">{c.id}{c.source === 'config' ? ' · from the config file' : ''}</div>
                    {typeof c.settings.url === 'string' && <div className="muted small mono">{c.settings.url}</div>}
                    {c.secretsSet.length > 0 && <div className="muted small">secrets set: {c.secretsSet.join(', ')}</div>}</td>
                  <td>{c.type}</td>
                  <td><span className={`badge ${c.enabled ? 'on' : 'off'}`}>{c.enabled ? 'enabled' : 'disabled'}</span></td>
                  <td className="small">{c.match === null ? 'config routes only' : [c.match.rules && `rules ${c.match.rules.join(', ')}`, c.match.severities && `severities ${c.match.severities.join(', ')}`, c.match.tags && `tags ${c.match.tags.join(', ')}`].filter(Boolean).join('; ') || 'every signal'}</td>
                  <td className="small" aria-live="polite" data-testid="test-result">{t && (t.outcome === 'delivered' ? <span className="ok-text">✓ delivered</span> : <span className="error-text">✗ {t.outcome}{t.reason ? `: ${t.reason}` : ''}</span>)}</td>
                  <td><div className="actions">
                    <button type="button" disabled={busy === c.id} onClick={() => test(c)}>Send test<span className="sr-only"> to {label}</span></button>
                    {c.source === 'api' ? (
                      <>
                        <button type="button" disabled={busy === c.id} onClick={() => act(c, c.enabled ? 'disabled' : 'enabled', () => fluoApi.replaceChannel(c.id, { ...inputOf(draftOf(c, c.type), c), enabled: !c.enabled }))}>{c.enabled ? 'Disable' : 'Enable'}<span className="sr-only"> {label}</span></button>
                        <button type="button" disabled={busy === c.id} onClick={() => { setMessage(undefined); setForm({ editing: c }); }}>Edit<span className="sr-only"> {label}</span></button>
                        <button type="button" className="danger" disabled={busy === c.id} onClick={() => { if (window.confirm(`Delete the channel "${label}"? Its undelivered notifications will fail.`)) void act(c, 'deleted', () => fluoApi.deleteChannel(c.id)); }}>Delete<span className="sr-only"> {label}</span></button>
                      </>
                    ) : <span className="muted small">edit the config file</span>}
                  </div></td>
                </tr>
              );
            })}</tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="outbox-title" className="outbox">
        <div className="panel-head">
          <h2 id="outbox-title">Outbox</h2>
          <label className="inline">Status{' '}
            <select value={status ?? ''} onChange={(e) => { setCursor(undefined); const p = new URLSearchParams(params); if (e.target.value) p.set('status', e.target.value); else p.delete('status'); setParams(p); }}>
              <option value="">all</option>
              {NOTIFICATION_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
        </div>
        <ErrorNote error={outbox.error} what="the outbox" />
        {outbox.data && rows.length === 0 && (
          <EmptyState title={status ? `No ${status} notifications` : 'The outbox is empty'}>
            <p>Each signal sent to a channel becomes a row here, with its delivery attempts and last error.</p>
          </EmptyState>
        )}
        {rows.length > 0 && (
          <table className="list outbox-table">
            <thead><tr><th scope="col" className="num">#</th><th scope="col">Created</th><th scope="col">Channel</th><th scope="col">Kind</th><th scope="col">Signal</th><th scope="col">Status</th><th scope="col" className="num">Attempts</th><th scope="col">Last error</th><th scope="col">Next attempt / delivered</th></tr></thead>
            <tbody>{rows.map((r) => (
              <tr key={r.n} data-status={r.status} data-channel={r.channelId}>
                <td className="num">{r.n}</td>
                <td className="small">{formatTime(r.createdAt)}</td>
                <td>{names.get(r.channelId) ?? r.channelId}</td>
                <td>{r.kind}{r.suppressedCount > 0 ? ` (${r.suppressedCount} suppressed)` : ''}</td>
                <td className="small">{r.signalId ? <Link to={`/signals/${encodeURIComponent(r.signalId)}`}>{r.ruleId ?? r.signalId}</Link> : '–'}</td>
                <td><span className={`badge nst-${r.status}`}>{r.status}</span></td>
                <td className="num">{r.attempts}</td>
                <td className="small error-cell">{r.lastError ?? ''}</td>
                <td className="small">{r.deliveredAt ? `delivered ${formatAgo(r.deliveredAt)}` : r.status === 'pending' || r.status === 'delivering' ? formatTime(r.nextAttemptAt) : '–'}</td>
              </tr>
            ))}</tbody>
          </table>
        )}
        <div className="form-actions pager">
          {cursor && <button type="button" onClick={() => setCursor(undefined)}>Newest</button>}
          {outbox.data?.nextCursor && <button type="button" onClick={() => setCursor(outbox.data!.nextCursor!)}>Older</button>}
        </div>
      </section>
    </div>
  );
}
