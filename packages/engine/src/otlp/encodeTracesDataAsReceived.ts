/**
 * `encodeTracesDataAsReceived(spans)`: a `TracesData` message holding the
 * spans as they were received, for storing a kept trace.
 *
 * A span decoded from OTLP/protobuf keeps where its bytes are in its request
 * (`Span.source`, set by decodeProtobufTracesFast). Its bytes are copied as
 * they are, inside a copy of its ScopeSpans' other fields (scope, schema URL,
 * fields FLUO does not know) and of its ResourceSpans' other fields
 * (resource, schema URL, ...), found by walking those two messages' fields
 * (the decoder has checked them) once per message (cached). Spans without a source (OTLP/JSON, spans built
 * in code or read back from a store) are encoded from the span model by
 * `encodeTracesData` and appended as a second message: two concatenated
 * TracesData messages are one message with both messages' ResourceSpans.
 *
 * Why: the work is a copy instead of an encoding (the server stores every
 * completed trace), and nothing the model does not hold is lost: span flags,
 * dropped counts, scope attributes, schema URLs, the double 1.0 (the model
 * reads it as the integer 1) and fields of newer OTLP versions stay in the
 * stored bytes.
 *
 * Equivalence: decoding the result yields the same spans, with the same
 * resources and scopes, as decoding the requests did (protobuf merges a
 * message sent in several pieces, so the pieces are copied in their order;
 * fields of different numbers may come in any order). Spans of one
 * ScopeSpans stay together in their order; groups come in order of first
 * appearance. Spans of different requests are in separate ResourceSpans even
 * when their resources are equal.
 */
import type { Span, SpanSource } from '../trace/span.js';
import { encodeTracesData, varintSize } from './encodeTracesData.js';

const TAG_RESOURCE_SPANS = (1 << 3) | 2;
const TAG_SCOPE_SPANS = (2 << 3) | 2;
const TAG_SPAN = (2 << 3) | 2;

/** A ResourceSpans to write: the request it is in, its own fields, its ScopeSpans, and the length of its contents. */
interface ResourceGroup {
  bytes: Uint8Array;
  fields: number[];
  scopes: Map<SpanSource, ScopeGroup>;
  length: number;
}

/** A ScopeSpans to write: its own fields, per span where its length prefix starts and where its bytes end, and the length of its contents. */
interface ScopeGroup {
  fields: number[];
  starts: number[];
  ends: number[];
  length: number;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 128) { out[at++] = (n % 128) | 128; n = Math.floor(n / 128); }
  out[at++] = n;
  return at;
}

/** Reads the varint at `at`: its value and where it ends (the decoder has read these bytes: they are valid). */
function readVarint(bytes: Uint8Array, at: number): { value: number; end: number } {
  let value = 0;
  let scale = 1;
  let b: number;
  do {
    b = bytes[at++];
    value += (b & 127) * scale;
    scale *= 128;
  } while (b >= 128);
  return { value, end: at };
}

/** The end of a field's value of `wireType` starting at `at`, after its tag (a group: after its end tag). */
function valueEnd(bytes: Uint8Array, wireType: number, at: number): number {
  switch (wireType) {
    case 0: while (bytes[at++] >= 128); return at;
    case 1: return at + 8;
    case 2: { const n = readVarint(bytes, at); return n.end + n.value; }
    case 3: {
      for (;;) {
        const tag = readVarint(bytes, at);
        if (tag.value % 8 === 4) return tag.end;
        at = valueEnd(bytes, tag.value % 8, tag.end);
      }
    }
    default: return at + 4; // 5: fixed32
  }
}

/**
 * fieldsBut of a ScopeSpans (by its SpanSource) or a ResourceSpans (by its
 * range object), found once per message rather than once per trace: a
 * request's message holds many traces' spans (a Collector batch, thousands),
 * and each completed trace would walk all their fields again. Weak: the
 * entries go with the requests.
 */
const fieldsCache = new WeakMap<object, number[]>();

function cachedFieldsBut(key: object, bytes: Uint8Array, start: number, end: number, nested: number): number[] {
  let fields = fieldsCache.get(key);
  if (fields === undefined) fieldsCache.set(key, (fields = fieldsBut(bytes, start, end, nested)));
  return fields;
}

/** [start, end) ranges of the fields in [start, end) whose tag is not `nested` (the decoder read these fields). */
function fieldsBut(bytes: Uint8Array, start: number, end: number, nested: number): number[] {
  const ranges: number[] = [];
  for (let at = start; at < end;) {
    const tag = readVarint(bytes, at);
    const next = valueEnd(bytes, tag.value % 8, tag.end);
    if (tag.value !== nested) ranges.push(at, next);
    at = next;
  }
  return ranges;
}

function rangesLength(ranges: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i += 2) n += ranges[i + 1] - ranges[i];
  return n;
}

function copyRanges(out: Uint8Array, at: number, bytes: Uint8Array, ranges: readonly number[]): number {
  for (let i = 0; i < ranges.length; i += 2) {
    out.set(bytes.subarray(ranges[i], ranges[i + 1]), at);
    at += ranges[i + 1] - ranges[i];
  }
  return at;
}

/** Writes the spans as a TracesData message (see the module comment). */
export function encodeTracesDataAsReceived(spans: readonly Span[]): Uint8Array {
  const resources = new Map<SpanSource['resource'], ResourceGroup>();
  let rest: Span[] | null = null;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    const source = span.source;
    if (source === null) { (rest ??= []).push(span); continue; }
    const { bytes, resource } = source; // every scope of one resource is in the same request
    let resourceGroup = resources.get(resource);
    if (resourceGroup === undefined) {
      const fields = cachedFieldsBut(resource, bytes, resource.start, resource.end, TAG_SCOPE_SPANS);
      resources.set(resource, (resourceGroup = { bytes, fields, scopes: new Map(), length: rangesLength(fields) }));
    }
    let group = resourceGroup.scopes.get(source);
    if (group === undefined) {
      const fields = cachedFieldsBut(source, bytes, source.start, source.end, TAG_SPAN);
      resourceGroup.scopes.set(source, (group = { fields, starts: [], ends: [], length: rangesLength(fields) }));
    }
    const prefix = readVarint(bytes, span.sourceOffset);
    const end = prefix.end + prefix.value;
    group.starts.push(span.sourceOffset);
    group.ends.push(end);
    group.length += 1 + end - span.sourceOffset;
  }
  const tail = rest === null ? null : encodeTracesData(rest);
  let total = tail === null ? 0 : tail.length;
  for (const resourceGroup of resources.values()) {
    for (const group of resourceGroup.scopes.values()) resourceGroup.length += 1 + varintSize(group.length) + group.length;
    total += 1 + varintSize(resourceGroup.length) + resourceGroup.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const { bytes, fields, scopes, length } of resources.values()) {
    out[at++] = TAG_RESOURCE_SPANS;
    at = writeVarint(out, at, length);
    at = copyRanges(out, at, bytes, fields);
    for (const group of scopes.values()) {
      out[at++] = TAG_SCOPE_SPANS;
      at = writeVarint(out, at, group.length);
      at = copyRanges(out, at, bytes, group.fields);
      const { starts, ends } = group;
      for (let i = 0; i < starts.length; i++) {
        out[at++] = TAG_SPAN;
        out.set(bytes.subarray(starts[i], ends[i]), at);
        at += ends[i] - starts[i];
      }
    }
  }
  if (tail !== null) out.set(tail, at);
  return out;
}
