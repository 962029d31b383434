/**
 * A trace as a waterfall: one row per span, indented by parent/child, bars
 * to scale, coloured by status; witness spans (the evidence of a signal) are
 * marked. Rows are buttons in a list: arrow keys move between them, Enter or
 * a click opens the span's details.
 */
import { useMemo, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import type { AttributeValue, Span } from '../api/types';
import { formatDuration, formatTime, formatValue } from '../lib/format';
import { layoutWaterfall, timeTicks } from '../lib/waterfallLayout';

/** `range` sets a shared time axis (several traces of one correlated signal, each its own waterfall). */
export function Waterfall({ spans, witnesses = [], range, label = 'Trace waterfall' }: { spans: Span[]; witnesses?: string[]; range?: { start: number; end: number }; label?: string }) {
  const layout = useMemo(() => layoutWaterfall(spans, range), [spans, range?.start, range?.end]); // eslint-disable-line react-hooks/exhaustive-deps
  const witnessSet = useMemo(() => new Set(witnesses), [witnesses]);
  const [selected, setSelected] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const ticks = timeTicks(layout.duration);
  const selectedSpan = selected ? spans.find((s) => s.spanId === selected) : undefined;

  const onKey = (e: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const buttons = list.current?.querySelectorAll<HTMLButtonElement>('button.wf-row');
    if (!buttons) return;
    const go = (i: number) => { e.preventDefault(); buttons[Math.max(0, Math.min(buttons.length - 1, i))]?.focus(); };
    if (e.key === 'ArrowDown') go(index + 1);
    else if (e.key === 'ArrowUp') go(index - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(buttons.length - 1);
  };

  if (spans.length === 0) return <p className="muted">This trace has no spans.</p>;
  return (
    <div className="waterfall-wrap">
      <div className="waterfall" aria-label={label}>
        <div className="wf-axis" aria-hidden="true">
          <span className="wf-name-col">Span</span>
          <span className="wf-timeline">
            {ticks.map((t) => (
              <span key={t} className="wf-tick" style={{ left: `${layout.duration > 0 ? (t / layout.duration) * 100 : 0}%` }}>{t === 0 ? '0' : formatDuration(t)}</span>
            ))}
          </span>
        </div>
        <ol ref={list} className="wf-rows">
          {layout.rows.map((row, index) => {
            const s = row.span;
            const isWitness = witnessSet.has(s.spanId);
            const status = s.status === 'ERROR' ? 'error' : s.status === 'OK' ? 'ok' : 'unset';
            return (
              <li key={s.spanId}>
                <button
                  type="button"
                  className={`wf-row${isWitness ? ' witness' : ''}${selected === s.spanId ? ' selected' : ''}`}
                  aria-pressed={selected === s.spanId}
                  aria-label={`${s.name}, ${s.service ?? 'unknown service'}, ${formatDuration(s.duration)}, status ${s.status}${isWitness ? ', witness' : ''}`}
                  data-span-id={s.spanId}
                  data-witness={isWitness ? 'true' : undefined}
                  onClick={() => setSelected(selected === s.spanId ? null : s.spanId)}
                  onKeyDown={(e) => onKey(e, index)}
                >
                  <span className="wf-name-col" style={{ paddingLeft: `${row.depth * 14 + 6}px` }}>
                    {isWitness && <span className="witness-mark" title="witness span: evidence for the signal">◆</span>}
                    <span className="wf-service">{s.service ?? '?'}</span>
                    <span className="wf-name">{s.name}</span>
                    {row.orphan && <span className="muted" title="its parent span was not received"> (parent missing)</span>}
                  </span>
                  <span className="wf-timeline">
                    <span className={`wf-bar st-${status}`} style={{ left: `${row.offset * 100}%`, width: `max(2px, ${row.width * 100}%)` }} />
                    <span className={`wf-dur${labelInside(row) ? ' inside' : ''}`} style={durationLabelStyle(row)}>{formatDuration(s.duration)}</span>
                  </span>
                </button>
              </li>
            );
          })}
        </ol>
      </div>
      {selectedSpan && <SpanDetails span={selectedSpan} witness={witnessSet.has(selectedSpan.spanId)} onClose={() => setSelected(null)} />}
    </div>
  );
}

/** The duration label goes right of the bar, else left of it, else (a bar across nearly all the width) inside it. */
const labelInside = (row: { offset: number; width: number }) => row.offset + row.width > 0.8 && row.offset < 0.2;
function durationLabelStyle(row: { offset: number; width: number }): CSSProperties {
  const end = row.offset + row.width;
  if (end <= 0.8) return { left: `calc(${end * 100}% + 4px)` };
  if (row.offset >= 0.2) return { right: `calc(${(1 - row.offset) * 100}% + 4px)` };
  return { left: `calc(${row.offset * 100}% + 4px)` };
}

function AttributeTable({ values, caption }: { values: Record<string, AttributeValue>; caption: string }) {
  const entries = Object.entries(values);
  return (
    <table className="attrs">
      <caption>{caption}</caption>
      <tbody>
        {entries.length === 0 && <tr><td className="muted" colSpan={2}>none</td></tr>}
        {entries.map(([k, v]) => (
          <tr key={k}><th scope="row">{k}</th><td>{formatValue(v)}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

export function SpanDetails({ span, witness, onClose }: { span: Span; witness: boolean; onClose: () => void }) {
  return (
    <section className="span-details" aria-labelledby="span-details-title">
      <header>
        <h3 id="span-details-title">{span.name}</h3>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close span details">✕</button>
      </header>
      {witness && <p className="witness-note">◆ Witness: this span is evidence for the signal.</p>}
      <dl className="facts">
        <dt>Service</dt><dd>{span.service ?? 'unknown'}</dd>
        <dt>Kind</dt><dd>{span.kind}</dd>
        <dt>Status</dt><dd>{span.status}{span.statusMessage ? `: ${span.statusMessage}` : ''}</dd>
        <dt>Duration</dt><dd>{formatDuration(span.duration)}</dd>
        <dt>Start</dt><dd>{formatTime(span.startTime)}</dd>
        <dt>Span id</dt><dd className="mono">{span.spanId}</dd>
        <dt>Parent</dt><dd className="mono">{span.parentSpanId ?? 'none (root)'}</dd>
        <dt>Scope</dt><dd>{span.scope.name}{span.scope.version ? ` ${span.scope.version}` : ''}</dd>
      </dl>
      <AttributeTable values={span.attributes} caption="Attributes" />
      <AttributeTable values={span.resource} caption="Resource" />
      <h4>Events</h4>
      {span.events.length === 0 ? <p className="muted">none</p> : (
        <ul className="events">
          {span.events.map((ev, i) => (
            <li key={i}>
              <strong>{ev.name}</strong> <span className="muted">at +{formatDuration(ev.time - span.startTime)}</span>
              <AttributeTable values={ev.attributes} caption={`Event ${ev.name} attributes`} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
