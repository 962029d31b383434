/** Small shared pieces: badges, empty states, error notes, the sparkline. */
import type { ReactNode } from 'react';
import type { Severity, SignalStatus } from '../api/types';
import { statusLabel } from '../lib/format';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: SignalStatus }) {
  return <span className={`badge st-${status}`}>{statusLabel(status)}</span>;
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" role="status">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function ErrorNote({ error, what }: { error: Error | undefined; what: string }) {
  if (!error) return null;
  return <p className="error-note" role="alert">Could not load {what}: {error.message}</p>;
}

/** A tiny bar sparkline; the numbers are in the accessible label. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const width = 120;
  const height = 24;
  const max = Math.max(1, ...values);
  const w = values.length > 0 ? width / values.length : width;
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} className="sparkline-base" />
      {values.map((v, i) => (v > 0 ? <rect key={i} x={i * w + 0.5} y={height - (v / max) * height} width={Math.max(1, w - 1)} height={(v / max) * height} /> : null))}
    </svg>
  );
}
