/**
 * Encodes spans as an OTLP/JSON ExportTraceServiceRequest object (ready for
 * JSON.stringify), grouped by resource and scope like encodeProtobufTraces and
 * with the same choice of AnyValue kinds. It follows the OTLP/JSON rules that
 * `decodeJsonTraces` reads: lowerCamelCase keys, hex ids, int64 and fixed64
 * as decimal strings, enums as integers, non-finite doubles as "NaN",
 * "Infinity" and "-Infinity". Empty optional fields are left out.
 */
import {
  ownAttributes,
  spanKindToOtlp,
  spanStatusToOtlp,
  type AttributeMap,
  type AttributeValue,
  type Span,
} from '../trace/span.js';
import { groupSpans } from './groupSpans.js';

interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}
type JsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | string }
  | { arrayValue: { values: JsonAnyValue[] } }
  | { kvlistValue: { values: JsonKeyValue[] } }
  | Record<string, never>;

export function encodeJsonTraces(spans: Span[]): object {
  return {
    resourceSpans: groupSpans(spans).map((group) => ({
      resource: { attributes: keyValues(group.resource) },
      scopeSpans: group.scopes.map((scopeGroup) => ({
        scope: { name: scopeGroup.scope.name, version: scopeGroup.scope.version },
        spans: scopeGroup.spans.map(jsonSpan),
      })),
    })),
  };
}

function jsonSpan(span: Span): Record<string, unknown> {
  const out: Record<string, unknown> = { traceId: span.traceId, spanId: span.spanId };
  if (span.parentSpanId !== null) out.parentSpanId = span.parentSpanId;
  if (span.traceState !== '') out.traceState = span.traceState;
  out.name = span.name;
  out.kind = spanKindToOtlp(span.kind);
  out.startTimeUnixNano = span.startTimeUnixNano;
  out.endTimeUnixNano = span.endTimeUnixNano;
  const attributes = keyValues(ownAttributes(span));
  if (attributes.length > 0) out.attributes = attributes;
  if (span.events.length > 0) {
    out.events = span.events.map((e) => {
      const event: Record<string, unknown> = { timeUnixNano: e.timeUnixNano, name: e.name };
      const eventAttributes = keyValues(e.attributes);
      if (eventAttributes.length > 0) event.attributes = eventAttributes;
      return event;
    });
  }
  if (span.links.length > 0) {
    out.links = span.links.map((l) => {
      const link: Record<string, unknown> = { traceId: l.traceId, spanId: l.spanId };
      if (l.traceState !== '') link.traceState = l.traceState;
      const linkAttributes = keyValues(l.attributes);
      if (linkAttributes.length > 0) link.attributes = linkAttributes;
      return link;
    });
  }
  if (span.status !== 'UNSET' || span.statusMessage !== '') {
    const status: Record<string, unknown> = { code: spanStatusToOtlp(span.status) };
    if (span.statusMessage !== '') status.message = span.statusMessage;
    out.status = status;
  }
  return out;
}

function keyValues(map: AttributeMap): JsonKeyValue[] {
  return Object.keys(map).map((key) => ({ key, value: anyValue(map[key]) }));
}

function anyValue(v: AttributeValue): JsonAnyValue {
  if (v === null || v === undefined) return {};
  switch (typeof v) {
    case 'string': return { stringValue: v };
    case 'boolean': return { boolValue: v };
    case 'number':
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return { intValue: String(v) };
      return { doubleValue: Number.isFinite(v) ? v : String(v) };
  }
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { kvlistValue: { values: keyValues(v) } };
}
