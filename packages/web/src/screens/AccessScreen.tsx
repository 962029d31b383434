/**
 * Access (admins; SECURITY.md): API tokens (create, showing the token text
 * once; revoke) and the audit log (who changed what and when, newest first,
 * paginated). Other roles see the server's 403 message.
 */
import { useState, type FormEvent } from 'react';
import { errorText, fieldErrors, fluoApi, getToken, setToken } from '../api/fluoApi';
import type { AuditEntry, TokenRole } from '../api/types';
import { TOKEN_ROLES } from '../api/types';
import { EmptyState, ErrorNote } from '../components/bits';
import { DebouncedInput } from '../components/DebouncedInput';
import { formatAgo, formatTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';

const ROLE_HINT: Record<TokenRole, string> = {
  viewer: 'reads the API and the UI',
  editor: 'also changes rules, signals and channels',
  admin: 'also manages tokens and reads the audit log',
  ingest: 'only sends spans over OTLP',
};

function AuditLog() {
  const [cursors, setCursors] = useState<string[]>([]);
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const cursor = cursors.at(-1);
  const audit = useLoad(() => fluoApi.listAudit({ cursor, limit: 25, action: action.trim(), target: target.trim() }), [cursor, action, target]);
  const filter = (set: (v: string) => void) => (v: string) => { setCursors([]); set(v); };
  const entries: AuditEntry[] = audit.data?.entries ?? [];
  return (
    <section className="panel" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <label>Action <DebouncedInput value={action} onValue={filter(setAction)} placeholder="e.g. rule. or token.create" /></label>
        <label>Target <DebouncedInput value={target} onValue={filter(setTarget)} placeholder="e.g. rule:checkout-errors" /></label>
      </form>
      <ErrorNote error={audit.error} what="the audit log" />
      {audit.data && entries.length === 0 && (action || target) && <EmptyState title="No entries match" />}
      {audit.data && entries.length === 0 && !action && !target && <EmptyState title="No changes recorded yet"><p>Every change made through the API (rules, signals, channels, tokens) is recorded here with who made it.</p></EmptyState>}
      {entries.length > 0 && (
        <table className="list audit-table">
          <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Change</th></tr></thead>
          <tbody>{entries.map((e) => (
            <tr key={e.seq}>
              <td className="small">{formatTime(e.at)}</td>
              <td>{e.actor}</td>
              <td className="mono small">{e.action}</td>
              <td className="mono small">{e.target}</td>
              <td className="small"><details><summary>before / after</summary><pre className="dsl-text audit-json">{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre></details></td>
            </tr>
          ))}</tbody>
        </table>
      )}
      <div className="form-actions pager">
        {cursors.length > 0 && <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))}>Newer</button>}
        {audit.data?.nextCursor && <button type="button" onClick={() => setCursors((c) => [...c, audit.data!.nextCursor!])}>Older</button>}
      </div>
    </section>
  );
}

export function AccessScreen() {
  const tokens = useLoad(() => fluoApi.listTokens(), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<TokenRole>('viewer');
  const [created, setCreated] = useState<{ name: string; role: TokenRole; token: string }>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true); setErrors({}); setMessage(undefined); setCreated(undefined);
    try {
      const t = await fluoApi.createToken(name.trim(), role);
      setCreated({ name: t.name, role: t.role, token: t.token });
      setName('');
      tokens.reload();
    } catch (err) { setErrors(fieldErrors(err)); setMessage({ ok: false, text: `Not created: ${errorText(err)}` }); }
    finally { setBusy(false); }
  };
  const revoke = async (id: string, label: string) => {
    if (!window.confirm(`Revoke the token "${label}"? Whoever uses it is refused from now on.`)) return;
    setBusy(true);
    try { await fluoApi.revokeToken(id); setMessage({ ok: true, text: `Token ${label} revoked.` }); tokens.reload(); }
    catch (err) { setMessage({ ok: false, text: `Not revoked: ${errorText(err)}` }); }
    finally { setBusy(false); }
  };
  const forbidden = tokens.error ? errorText(tokens.error) : null;

  return (
    <div className="screen">
      <div className="screen-head"><h1>Access</h1></div>
      {forbidden ? <p className="error-note" role="alert">{forbidden}</p> : (
        <>
          <section className="panel" aria-labelledby="tokens-title">
            <h2 id="tokens-title">API tokens</h2>
            {message && <p className={message.ok ? 'ok-note' : 'error-note'} role="status">{message.text}</p>}
            {created && (
              <div className="note token-once" role="status">
                <p><strong>Token for {created.name}</strong>: copy it now, it is not shown again.</p>
                <input aria-label={`New token for ${created.name}`} className="mono" readOnly value={created.token} onFocus={(e) => e.target.select()} size={created.token.length} />
                {created.role === 'admin' && getToken() !== created.token && (
                  <p><button type="button" onClick={() => { setToken(created.token); setMessage({ ok: true, text: `This browser now uses the token of ${created.name}.` }); }}>Use this token in this browser</button></p>
                )}
              </div>
            )}
            <form className="filters" onSubmit={create} noValidate>
              <label htmlFor="token-name">Name
                <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={errors.name ? true : undefined} aria-describedby={errors.name ? 'err-token-name' : undefined} />
                {errors.name && <span className="error-text small" id="err-token-name">{errors.name}</span>}
              </label>
              <label htmlFor="token-role">Role
                <select id="token-role" value={role} onChange={(e) => setRole(e.target.value as TokenRole)}>
                  {TOKEN_ROLES.map((r) => <option key={r} value={r}>{r}: {ROLE_HINT[r]}</option>)}
                </select>
              </label>
              <button type="submit" className="primary" disabled={busy}>Create token</button>
            </form>
            <ErrorNote error={tokens.error} what="the tokens" />
            {tokens.data && tokens.data.tokens.length === 0 && <EmptyState title="No tokens yet">
              <p>The admin token given at start (<code>--admin-token</code>) is not listed. Create a token for each person or system.</p>
              <p>With <code>--auth auto</code> (the default) the first token turns authentication on: create an <strong>admin</strong> token first and use it in this browser, or the UI will ask for one.</p>
            </EmptyState>}
            {tokens.data && tokens.data.tokens.length > 0 && (
              <table className="list tokens-table">
                <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">State</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
                <tbody>{tokens.data.tokens.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}<div className="muted small mono">{t.id}</div></td>
                    <td>{t.role}</td>
                    <td className="mono small">{t.prefix}…</td>
                    <td className="small">{formatAgo(t.createdAt)} by {t.createdBy}</td>
                    <td>{t.revokedAt === null ? <span className="badge on">valid</span> : <span className="badge off">revoked {formatAgo(t.revokedAt)}</span>}</td>
                    <td><div className="actions">{t.revokedAt === null && <button type="button" className="danger" disabled={busy} onClick={() => revoke(t.id, t.name)}>Revoke<span className="sr-only"> {t.name}</span></button>}</div></td>
                  </tr>
                ))}</tbody>
              </table>
            )}
          </section>
          <AuditLog />
        </>
      )}
    </div>
  );
}
