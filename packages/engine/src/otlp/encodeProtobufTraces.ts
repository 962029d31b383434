/**
 * Encodes spans as an OTLP/protobuf ExportTraceServiceRequest, grouped by
 * resource and scope (see groupSpans). Used for export, tests and benchmarks;
 * `decodeProtobufTraces` reads the result back to equal spans.
 *
 * The span model does not keep every OTLP distinction, so encoding chooses:
 * a number that is a safe integer becomes `intValue`, any other number
 * `doubleValue`; strings (including int64 values beyond 2^53 and bytes, which
 * the model holds as decimal and hex strings) become `stringValue`;
 * null/undefined an empty AnyValue; arrays `arrayValue`; maps `kvlistValue`.
 * Ids must be hex, as every decoded span's are; any other id throws. An id
 * that is hex but invalid for OTLP (e.g. all zeros) is encoded as it is, which
 * lets tests send what a receiver must reject.
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
import { hexToBytes } from './hex.js';
import { otlpTypes } from './otlpTypes.js';

interface PbKeyValue {
  key: string;
  value: PbAnyValue;
}
type PbAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: number }
  | { doubleValue: number }
  | { arrayValue: { values: PbAnyValue[] } }
  | { kvlistValue: { values: PbKeyValue[] } }
  | Record<string, never>;

export function encodeProtobufTraces(spans: Span[]): Uint8Array {
  const request = {
    resourceSpans: groupSpans(spans).map((group) => ({
      resource: { attributes: keyValues(group.resource) },
      scopeSpans: group.scopes.map((scopeGroup) => ({
        scope: { name: scopeGroup.scope.name, version: scopeGroup.scope.version },
        spans: scopeGroup.spans.map(protobufSpan),
      })),
    })),
  };
  return otlpTypes().exportTraceServiceRequest.encode(request).finish();
}

function protobufSpan(span: Span): object {
  return {
    traceId: hexToBytes(span.traceId),
    spanId: hexToBytes(span.spanId),
    parentSpanId: span.parentSpanId === null ? new Uint8Array(0) : hexToBytes(span.parentSpanId),
    traceState: span.traceState,
    name: span.name,
    kind: spanKindToOtlp(span.kind),
    // fixed64 from the exact decimal string; protobufjs parses it with Long.
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    attributes: keyValues(ownAttributes(span)),
    events: span.events.map((e) => ({ timeUnixNano: e.timeUnixNano, name: e.name, attributes: keyValues(e.attributes) })),
    links: span.links.map((l) => ({
      traceId: hexToBytes(l.traceId),
      spanId: hexToBytes(l.spanId),
      traceState: l.traceState,
      attributes: keyValues(l.attributes),
    })),
    status: { code: spanStatusToOtlp(span.status), message: span.statusMessage },
  };
}

function keyValues(map: AttributeMap): PbKeyValue[] {
  return Object.keys(map).map((key) => ({ key, value: anyValue(map[key]) }));
}

function anyValue(v: AttributeValue): PbAnyValue {
  if (v === null || v === undefined) return {};
  switch (typeof v) {
    case 'string': return { stringValue: v };
    case 'boolean': return { boolValue: v };
    case 'number': return Number.isSafeInteger(v) && !Object.is(v, -0) ? { intValue: v } : { doubleValue: v };
  }
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { kvlistValue: { values: keyValues(v) } };
}
