/**
 * Builds the stored form of a completed trace (summary + spans), and merges
 * two of them when late spans complete the same trace id a second time.
 * Every store uses these so that summaries agree across stores.
 */
import type { SerializedSpan } from './serializedSpan.js';
import type { KeptTrace } from './store.js';

export function keptTrace(traceId: string, spans: readonly SerializedSpan[], completedAt: number): KeptTrace {
  const ordered = [...spans].sort((a, b) => a.startTime - b.startTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
  let startTime = Infinity;
  let endTime = -Infinity;
  let errorCount = 0;
  const services = new Set<string>();
  for (const s of ordered) {
    if (s.startTime < startTime) startTime = s.startTime;
    if (s.endTime > endTime) endTime = s.endTime;
    if (s.status === 'ERROR') errorCount++;
    if (s.service) services.add(s.service);
  }
  if (ordered.length === 0) { startTime = 0; endTime = 0; }
  const root = ordered.find((s) => s.parentSpanId === null) ?? ordered[0];
  return {
    traceId,
    rootName: root?.name ?? '',
    services: [...services].sort(),
    spanCount: ordered.length,
    errorCount,
    startTime,
    endTime,
    duration: endTime - startTime,
    completedAt,
    spans: ordered,
  };
}

/** United by span id; the later copy of a span wins. */
export function mergeKeptTraces(earlier: KeptTrace, later: KeptTrace): KeptTrace {
  const bySpanId = new Map<string, SerializedSpan>();
  for (const s of earlier.spans) bySpanId.set(s.spanId, s);
  for (const s of later.spans) bySpanId.set(s.spanId, s);
  return keptTrace(later.traceId, [...bySpanId.values()], Math.max(earlier.completedAt, later.completedAt));
}
