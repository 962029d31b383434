import { NO_CHILDREN, type Span } from './span.js';

let epoch = 0;

/**
 * A number that changes at every call of linkSpans, the only place where
 * spans' links change: values computed from links (dsl/runtime.ts,
 * `shared`) hold while it stays the same.
 */
export function linkEpoch(): number {
  return epoch;
}

/**
 * Orders a trace's spans by start time (ties by span id, so the order does
 * not depend on arrival order) and links
 * them: `parent` is the span whose spanId is this span's parentSpanId when it
 * is present, `children` lists spans naming this span as parent, in start-time
 * order. Mutates the spans' `parent`/`children` (they belong to one trace) and
 * returns a new array; the input array is not changed.
 *
 * A span without children gets the shared, frozen NO_CHILDREN, and a span
 * with several an array of exactly their number: a buffered trace keeps its
 * links between evaluations, and an array per leaf plus the room a growing
 * array reserves (17 slots after its second push) cost about 40 B per
 * buffered span.
 */
export function linkSpans(spans: readonly Span[]): Span[] {
  epoch++;
  const ordered = spans.slice().sort((a, b) => a.startTime - b.startTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
  const byId = new Map<string, Span>();
  for (const span of ordered) {
    span.parent = null;
    span.children = NO_CHILDREN;
    if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  }
  let grown: Span[] | null = null;
  for (const span of ordered) {
    if (span.parentSpanId === null) continue;
    const parent = byId.get(span.parentSpanId);
    if (parent === undefined || parent === span) continue;
    span.parent = parent;
    if (parent.children === NO_CHILDREN) {
      parent.children = [span];
    } else {
      if (parent.children.length === 1) (grown ??= []).push(parent);
      parent.children.push(span);
    }
  }
  if (grown !== null) for (const parent of grown) parent.children = parent.children.slice();
  return ordered;
}
