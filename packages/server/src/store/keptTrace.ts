/**
 * The stored form of a completed trace, shared by every store so that
 * summaries agree across stores.
 *
 * Write side (`newTrace`, on the detection thread): the summary is computed
 * from the span model in one pass, and the spans are written once as
 * OTLP/protobuf `TracesData` bytes: copied as received for spans decoded from
 * OTLP/protobuf (`encodeTracesDataAsReceived`), encoded from the model for
 * the others (`encodeTracesData`, which writes each resource's attributes
 * once per group of spans). Read side (`keptTraceFromRow`): the
 * bytes are decoded with the engine's decoder and returned as the same
 * `SerializedSpan[]` the API has always served. A trace completed twice (late
 * spans: the detector hands over all of its spans again) is merged
 * (`mergeNewTraces`, a rare path): both copies decoded, deduped by span id
 * with the later copy winning, and encoded again, so a trace completed n
 * times is stored once, not n times. Reads dedupe too, for stored bytes that
 * hold several concatenated messages.
 */
import { decodeProtobufTraces, encodeTracesData, encodeTracesDataAsReceived, type Span } from '@fluohq/engine';
import { nullPrototypeReviver, serializeSpan, toSpans, type SerializedSpan } from './serializedSpan.js';
import { PermanentWriteError, type KeptTrace, type NewTrace, type TraceSummary } from './store.js';

/** Spans with what a summary reads (Span and SerializedSpan both have it). */
interface SummarySpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  status: string;
  startTime: number;
  endTime: number;
  service: string | null | undefined;
}

function summaryOf(traceId: string, spans: readonly SummarySpan[], completedAt: number): TraceSummary & { spanNames: string[] } {
  let startTime = Infinity;
  let endTime = -Infinity;
  let errorCount = 0;
  let first: SummarySpan | undefined;
  let root: SummarySpan | undefined;
  const services = new Set<string>();
  const spanNames = new Set<string>();
  // The root name is the earliest root's (start time, then span id), or the earliest span's when no root arrived.
  const earlier = (a: SummarySpan, b: SummarySpan) => a.startTime < b.startTime || (a.startTime === b.startTime && a.spanId < b.spanId);
  for (const s of spans) {
    if (s.startTime < startTime) startTime = s.startTime;
    if (s.endTime > endTime) endTime = s.endTime;
    if (s.status === 'ERROR') errorCount++;
    if (s.service) services.add(s.service);
    spanNames.add(s.name);
    if (first === undefined || earlier(s, first)) first = s;
    if (s.parentSpanId === null && (root === undefined || earlier(s, root))) root = s;
  }
  if (spans.length === 0) { startTime = 0; endTime = 0; }
  return {
    traceId,
    rootName: (root ?? first)?.name ?? '',
    services: [...services].sort(),
    spanCount: spans.length,
    errorCount,
    startTime,
    endTime,
    duration: endTime - startTime,
    completedAt,
    spanNames: [...spanNames],
  };
}

/**
 * The write side's form of a completed trace: summary from the span model,
 * spans as OTLP bytes (as received where the spans know their bytes, see
 * encodeTracesDataAsReceived; `otlp` when the caller has them already).
 */
export function newTrace(traceId: string, spans: readonly Span[], completedAt: number, otlp: Uint8Array = encodeTracesDataAsReceived(spans)): NewTrace {
  return { ...summaryOf(traceId, spans, completedAt), otlp };
}

/**
 * The spans stored in `otlp` (one or more concatenated TracesData messages),
 * deduped by span id with the later copy winning. Bytes that do not decode
 * completely mean a damaged row: that throws rather than losing spans quietly.
 */
export function decodeKeptSpans(otlp: Uint8Array): Span[] {
  const decoded = decodeProtobufTraces(otlp);
  if (decoded.rejected.length > 0) {
    const [first] = decoded.rejected;
    throw new Error(`a kept trace's stored spans do not decode (${decoded.rejected.length} rejected, first at ${first.path}: ${first.message})`);
  }
  const spans = decoded.spans;
  const seen = new Set<string>();
  let duplicates = false;
  for (const s of spans) {
    if (seen.has(s.spanId)) { duplicates = true; break; }
    seen.add(s.spanId);
  }
  if (!duplicates) return spans;
  const bySpanId = new Map<string, Span>();
  for (const s of spans) {
    bySpanId.delete(s.spanId); // keep the later copy in the later copy's place
    bySpanId.set(s.spanId, s);
  }
  return [...bySpanId.values()];
}

/** Start-time order (then span id), as KeptTrace.spans promises. */
function inStartOrder(spans: SerializedSpan[]): SerializedSpan[] {
  return spans.sort((a, b) => a.startTime - b.startTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
}

/**
 * A kept trace's spans as both stores' rows hold them: OTLP bytes
 * (`spans_otlp`), or, in rows written before schema version 6, the JSON text
 * of serialized spans in start order (`spans`). Exactly one is set.
 */
export interface StoredSpans {
  spans_otlp?: Uint8Array | null;
  spans?: string | null;
}

function jsonSpans(stored: StoredSpans): SerializedSpan[] {
  return JSON.parse(stored.spans ?? '[]', nullPrototypeReviver) as SerializedSpan[];
}

/** A stored trace as reads return it: the stored summary and the spans, decoded. */
export function keptTraceFromRow(summary: TraceSummary, stored: StoredSpans): KeptTrace {
  const otlp = stored.spans_otlp;
  return { ...summary, spans: otlp === null || otlp === undefined ? jsonSpans(stored) : inStartOrder(decodeKeptSpans(otlp).map(serializeSpan)) };
}

/** The stored spans as OTLP bytes (a JSON row's encoded), for merging late spans into them. */
export function storedSpansOtlp(stored: StoredSpans): Uint8Array {
  return stored.spans_otlp ?? encodeTracesData(toSpans(jsonSpans(stored)));
}

/**
 * A trace written again (late spans completed it twice): the spans of both,
 * deduped by span id (the later copy wins), encoded once, and their summary.
 * Stored bytes that no longer decode cannot take late spans, whatever the
 * retries: PermanentWriteError.
 */
export function mergeNewTraces(earlier: { otlp: Uint8Array; completedAt: number }, later: NewTrace): NewTrace {
  const otlp = new Uint8Array(earlier.otlp.length + later.otlp.length);
  otlp.set(earlier.otlp, 0);
  otlp.set(later.otlp, earlier.otlp.length);
  let spans: Span[];
  try {
    spans = decodeKeptSpans(otlp);
  } catch (err) {
    throw new PermanentWriteError(`trace ${later.traceId}: its kept spans cannot be merged with the late ones: ${(err as Error).message}`, { cause: err });
  }
  // The decoded spans know their bytes in `otlp`: they are copied as stored.
  return { ...summaryOf(later.traceId, spans, Math.max(earlier.completedAt, later.completedAt)), otlp: encodeTracesDataAsReceived(spans) };
}

/** The summary and spans of spans already serialized (open traces in the API, tests). */
export function keptTrace(traceId: string, spans: readonly SerializedSpan[], completedAt: number): KeptTrace {
  const { spanNames: _, ...summary } = summaryOf(traceId, spans, completedAt);
  return { ...summary, spans: inStartOrder([...spans]) };
}
