import { useState, type FormEvent } from 'react';
import { getToken, setToken } from '../api/fluoApi';

/** Shown when the server answers 401: the API token is saved in this browser and sent as a Bearer token. */
export function TokenForm({ onSaved }: { onSaved: () => void }) {
  const [value, setValue] = useState(getToken() ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setToken(value.trim());
    onSaved();
    window.location.reload();
  };
  return (
    <div className="banner" role="alertdialog" aria-labelledby="token-title">
      <form onSubmit={submit} className="token-form">
        <h2 id="token-title">This FLUO server needs an API token</h2>
        <p>The server answered 401 Unauthorized. Enter a token; it is kept in this browser only and sent as <code>Authorization: Bearer …</code>.</p>
        <label htmlFor="api-token">API token</label>
        <input id="api-token" type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required />
        <button type="submit" className="primary">Save token</button>
      </form>
    </div>
  );
}
