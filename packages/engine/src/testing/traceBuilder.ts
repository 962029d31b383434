/**
 * A small builder for spans in tests, benchmarks and generated traffic:
 * times are milliseconds relative to a base, ids are derived from short
 * names, so a trace reads like its story.
 */
import { createSpan, millisToNanos, type AttributeValue, type Span, type SpanKind, type SpanStatus } from '../trace/span.js';

export interface SpanSpec {
  /** short id, unique in the trace; becomes the span id */
  id: string;
  name: string;
  parent?: string;
  service?: string;
  /** ms after the trace's base time */
  start: number;
  /** ms */
  duration?: number;
  status?: SpanStatus;
  statusMessage?: string;
  kind?: SpanKind;
  attributes?: Record<string, AttributeValue>;
  resource?: Record<string, AttributeValue>;
  events?: Array<{ name: string; at?: number; attributes?: Record<string, AttributeValue> }>;
}

export const BASE_TIME_MS = 1_732_430_000_000;

/** Hex of a short name, padded: stable, readable ids. */
export function hexId(name: string, length: 16 | 32): string {
  let hex = '';
  for (const ch of name) hex += ch.charCodeAt(0).toString(16).padStart(2, '0');
  hex = hex.slice(-length);
  return hex.padStart(length, '0').replace(/^0+$/, '1'.padStart(length, '0'));
}

export function buildTrace(traceName: string, specs: SpanSpec[], base = BASE_TIME_MS): Span[] {
  const traceId = hexId(traceName, 32);
  return specs.map((s) => {
    const start = base + s.start;
    const end = start + (s.duration ?? 10);
    return createSpan({
      traceId,
      spanId: hexId(s.id, 16),
      parentSpanId: s.parent !== undefined ? hexId(s.parent, 16) : null,
      name: s.name,
      kind: s.kind ?? 'INTERNAL',
      status: s.status ?? 'UNSET',
      statusMessage: s.statusMessage,
      startTimeUnixNano: millisToNanos(start),
      endTimeUnixNano: millisToNanos(end),
      attributes: s.attributes,
      resource: { 'service.name': s.service ?? 'app', ...s.resource },
      events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: millisToNanos(start + (e.at ?? 0)), attributes: e.attributes })),
    });
  });
}
