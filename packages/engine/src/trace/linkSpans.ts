import type { Span } from './span.js';

/**
 * Orders a trace's spans by start time (ties by span id, so the order does
 * not depend on arrival order) and links
 * them: `parent` is the span whose spanId is this span's parentSpanId when it
 * is present, `children` lists spans naming this span as parent, in start-time
 * order. Mutates the spans' `parent`/`children` (they belong to one trace) and
 * returns a new array; the input array is not changed.
 */
export function linkSpans(spans: readonly Span[]): Span[] {
  const ordered = spans.slice().sort((a, b) => a.startTime - b.startTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
  const byId = new Map<string, Span>();
  for (const span of ordered) {
    span.parent = null;
    span.children = [];
    if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  }
  for (const span of ordered) {
    if (span.parentSpanId === null) continue;
    const parent = byId.get(span.parentSpanId);
    if (parent !== undefined && parent !== span) {
      span.parent = parent;
      parent.children.push(span);
    }
  }
  return ordered;
}
