/**
 * Spans as stored and as the API returns them: plain JSON, without the
 * parent/children links and with the span's own attributes separate from its
 * resource. Times are kept twice: `startTime`/`endTime` in fractional
 * milliseconds and the exact `startTimeUnixNano`/`endTimeUnixNano` strings.
 */
import { createSpan, linkSpans, ownAttributes, type AttributeMap, type Span, type SpanKind, type SpanStatus } from '@fluohq/engine';

export interface SerializedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState: string;
  name: string;
  kind: SpanKind;
  status: SpanStatus;
  statusMessage: string;
  startTime: number;
  endTime: number;
  duration: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  service: string | null;
  /** The span's own attributes (without the resource's). */
  attributes: AttributeMap;
  resource: AttributeMap;
  scope: { name: string; version: string };
  events: Array<{ name: string; time: number; timeUnixNano: string; attributes: AttributeMap }>;
  links: Array<{ traceId: string; spanId: string; traceState: string; attributes: AttributeMap }>;
}

/**
 * The JSON text of a signal's evidence: exactly `JSON.stringify(evidence)`.
 * The signals of one write often share their evidence spans (with many rules,
 * dozens of them fire on one trace, and the pipeline gives them the same
 * serialized span objects), so `cache`, kept by the caller for one batch,
 * holds each span object's text and each is stringified once.
 */
export function evidenceJson(evidence: readonly SerializedSpan[], cache: Map<SerializedSpan, string>): string {
  let text = '[';
  for (let i = 0; i < evidence.length; i++) {
    const span = evidence[i];
    let json = cache.get(span);
    if (json === undefined) {
      json = JSON.stringify(span);
      cache.set(span, json);
    }
    text += i === 0 ? json : `,${json}`;
  }
  return `${text}]`;
}

/**
 * A batch's distinct evidence texts: `indexOf(evidence)` is the index in
 * `texts` of that array's JSON (evidenceJson), made the first time the array
 * is seen. Arrays are told apart by identity: the signals one evaluation of
 * a trace raises share one (NewSignal.evidence), and a store writes each
 * text once.
 */
export function evidenceTexts(): { texts: string[]; indexOf(evidence: readonly SerializedSpan[]): number } {
  const texts: string[] = [];
  const indexes = new Map<readonly SerializedSpan[], number>();
  const spanText = new Map<SerializedSpan, string>();
  return {
    texts,
    indexOf(evidence) {
      let i = indexes.get(evidence);
      if (i === undefined) {
        i = texts.push(evidenceJson(evidence, spanText)) - 1;
        indexes.set(evidence, i);
      }
      return i;
    },
  };
}

export function serializeSpan(span: Span): SerializedSpan {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    traceState: span.traceState,
    name: span.name,
    kind: span.kind,
    status: span.status,
    statusMessage: span.statusMessage,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    service: span.service ?? null,
    attributes: ownAttributes(span),
    resource: span.resource,
    scope: { name: span.scope.name, version: span.scope.version },
    events: span.events.map((e) => ({ name: e.name, time: e.time, timeUnixNano: e.timeUnixNano, attributes: e.attributes })),
    links: span.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, traceState: l.traceState, attributes: l.attributes })),
  };
}

/**
 * JSON.parse reviver that gives every object a null prototype, so that
 * attribute maps read back from storage behave like decoded ones (a key such
 * as `constructor` or `__proto__` is plain data).
 */
export function nullPrototypeReviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(value)) Object.defineProperty(out, k, { value: (value as Record<string, unknown>)[k], enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Rebuilds engine spans (linked, in start-time order) from stored ones, e.g. to evaluate a rule over a kept trace. */
export function toSpans(serialized: readonly SerializedSpan[]): Span[] {
  const spans = serialized.map((s) => createSpan({
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    traceState: s.traceState,
    name: s.name,
    kind: s.kind,
    status: s.status,
    statusMessage: s.statusMessage,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: s.attributes,
    resource: s.resource,
    scope: s.scope,
    events: s.events.map((e) => ({ name: e.name, timeUnixNano: e.timeUnixNano, attributes: e.attributes })),
    links: s.links,
  }));
  return linkSpans(spans);
}
