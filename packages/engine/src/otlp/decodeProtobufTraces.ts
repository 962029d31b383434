/**
 * Decodes an OTLP/protobuf ExportTraceServiceRequest into spans.
 *
 * `decodeProtobufTraces` is the hand-written decoder of
 * decodeProtobufTracesFast.ts (several times faster); the protobufjs-based
 * decoder below, `decodeProtobufTracesWithProtobufjs`, defines the behaviour
 * both share and is the fast decoder's test oracle.
 *
 * Decoding has two stages with different failure modes:
 *
 * 1. protobufjs turns the bytes into messages, using types built from the
 *    generated descriptor. Bytes that are not a valid message (truncated,
 *    an impossible wire type, nesting beyond protobufjs's limit of 100
 *    messages, invalid UTF-8 in a string) fail the whole request with an
 *    `OtlpDecodeError` ('OTLP_PROTOBUF'). As in every protobuf runtime, a known
 *    field sent with a different but valid wire type is skipped like an
 *    unknown field, so it surfaces in stage 2 as a missing value.
 * 2. Each span is checked and converted on its own. A span with an invalid id,
 *    a malformed link or an attribute value nested too deep is left out and
 *    reported in `rejected` with its field path; the others are kept (OTLP
 *    partial success). A bad resource or scope rejects every span under it.
 *
 * What a span becomes: ids lowercase hex (an empty or all-zero parent id
 * means a root span), times exact nanosecond decimal strings, int64 values a
 * number when safe and a decimal string beyond 2^53, bytes lowercase hex.
 * Profiling-only fields (`string_value_strindex`, `key_strindex`) are read as
 * absent, as the OTLP protos instruct non-profiling receivers to do.
 */
import {
  createAttributeMap,
  createSpan,
  setAttribute,
  spanKindFromOtlp,
  spanStatusFromOtlp,
  type AttributeMap,
  type AttributeValue,
  type InstrumentationScope,
  type Span,
  type SpanInit,
} from '../trace/span.js';
import type { DecodeOptions, DecodedTraces, RejectedOtlpSpan } from './decodedTraces.js';
import { decodeInt64, fixed64ToDecimal, type LongBits } from './decodeInt64.js';
import { FieldError, joinPath } from './fieldError.js';
import { bytesToHex } from './hex.js';
import { OtlpDecodeError } from './otlpDecodeError.js';
import { OTLP_LIMITS } from './otlpLimits.js';
import { otlpReader, otlpTypes } from './otlpTypes.js';
import { decodeProtobufTracesFast } from './decodeProtobufTracesFast.js';

// The decoded message shapes this module reads. protobufjs puts proto3 defaults
// on the prototypes (empty strings, zero Longs, empty bytes and arrays, null
// sub-messages), so every scalar and repeated field below is always present.
interface PbAnyValue {
  value?: string;
  stringValue: string;
  boolValue: boolean;
  intValue: LongBits | number;
  doubleValue: number;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
  bytesValue: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbEvent {
  timeUnixNano: LongBits | number;
  name: string;
  attributes: PbKeyValue[];
}
interface PbLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: PbKeyValue[];
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: LongBits | number;
  endTimeUnixNano: LongBits | number;
  attributes: PbKeyValue[];
  events: PbEvent[];
  links: PbLink[];
  status: { code: number; message: string } | null;
}
interface PbRequest {
  resourceSpans: Array<{
    resource: { attributes: PbKeyValue[] } | null;
    scopeSpans: Array<{
      scope: { name: string; version: string } | null;
      spans: PbSpan[];
    }>;
  }>;
}

/**
 * Decodes an OTLP/protobuf ExportTraceServiceRequest into spans, with the
 * hand-written decoder (decodeProtobufTracesFast.ts); this module's
 * protobufjs-based decoder is its test oracle.
 */
export function decodeProtobufTraces(bytes: Uint8Array, options?: DecodeOptions): DecodedTraces {
  return decodeProtobufTracesFast(bytes, options);
}

/** The protobufjs-based decoder: the oracle `decodeProtobufTraces` is tested against (same spans, same rejections). */
export function decodeProtobufTracesWithProtobufjs(bytes: Uint8Array): DecodedTraces {
  if (!(bytes instanceof Uint8Array)) {
    throw new OtlpDecodeError('OTLP_PROTOBUF', `OTLP/protobuf input must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  let request: PbRequest;
  try {
    request = otlpTypes().exportTraceServiceRequest.decode(otlpReader(bytes)) as unknown as PbRequest;
  } catch (err) {
    throw new OtlpDecodeError(
      'OTLP_PROTOBUF',
      `not a valid OTLP ExportTraceServiceRequest protobuf message (${bytes.length} bytes): ${explainProtobufError(err)}`,
      { cause: err },
    );
  }

  const spans: Span[] = [];
  const rejected: RejectedOtlpSpan[] = [];
  const resourceSpans = request.resourceSpans;
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r];
    let resource = createAttributeMap();
    let resourceProblem: RejectedOtlpSpan | null = null;
    try {
      if (rs.resource !== null) resource = attributeMap(rs.resource.attributes, 1);
    } catch (err) {
      resourceProblem = fieldProblem(err, `resourceSpans[${r}].resource`, 'attributes');
    }
    const scopeSpans = rs.scopeSpans;
    for (let s = 0; s < scopeSpans.length; s++) {
      const ss = scopeSpans[s];
      const scope: InstrumentationScope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      const pbSpans = ss.spans;
      for (let k = 0; k < pbSpans.length; k++) {
        const base = `resourceSpans[${r}].scopeSpans[${s}].spans[${k}]`;
        if (resourceProblem !== null) {
          rejected.push({ path: resourceProblem.path, message: `${resourceProblem.message} (span ${base} rejected with its resource)` });
          continue;
        }
        try {
          spans.push(createSpan(spanInit(pbSpans[k], resource, scope)));
        } catch (err) {
          rejected.push(fieldProblem(err, base));
        }
      }
    }
  }
  return { spans, rejected };
}

/** Turns a FieldError into a rejection at `base`; anything else is a bug and propagates. */
function fieldProblem(err: unknown, base: string, segment?: string): RejectedOtlpSpan {
  if (!(err instanceof FieldError)) throw err;
  if (segment !== undefined) err.at(segment);
  return { path: joinPath(base, err.relativePath), message: err.message };
}

/** protobufjs's error messages, said in terms of the request. */
function explainProtobufError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && /call stack/i.test(message)) return 'messages nested too deeply';
  if (/^index out of range/.test(message)) return `truncated: a length or value runs past the end of its message (${message})`;
  if (/^max depth exceeded/.test(message)) return 'messages nested more than 100 levels deep';
  if (/^invalid wire type/.test(message)) return `${message.replace(/at offset/, 'at byte offset')} (not a valid protobuf encoding)`;
  if (/illegal tag/.test(message)) return `${message} (not a valid protobuf encoding)`;
  if (/invalid (length|varint) encoding/.test(message)) return `${message} (a varint is longer than protobuf allows)`;
  if (/utf-?8/i.test(message)) return `a string field is not valid UTF-8 (${message})`;
  return message;
}

function id(bytes: Uint8Array, length: number, field: string): string {
  if (bytes.length !== length) {
    throw new FieldError(field, `${field} must be ${length} bytes, got ${bytes.length === 0 ? 'none (missing or empty)' : `${bytes.length} bytes`}`);
  }
  const hex = bytesToHex(bytes);
  if (/^0+$/.test(hex)) throw new FieldError(field, `${field} is all zeros, which OTLP defines as invalid`);
  return hex;
}

function parentId(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  if (bytes.length !== 8) throw new FieldError('parentSpanId', `parentSpanId must be empty (root span) or 8 bytes, got ${bytes.length} bytes`);
  const hex = bytesToHex(bytes);
  return /^0+$/.test(hex) ? null : hex;
}

function spanInit(p: PbSpan, resource: AttributeMap, scope: InstrumentationScope): SpanInit {
  const init: SpanInit = {
    traceId: id(p.traceId, 16, 'traceId'),
    spanId: id(p.spanId, 8, 'spanId'),
    parentSpanId: parentId(p.parentSpanId),
    traceState: p.traceState,
    name: p.name,
    kind: spanKindFromOtlp(p.kind),
    status: p.status === null ? 'UNSET' : spanStatusFromOtlp(p.status.code),
    statusMessage: p.status === null ? '' : p.status.message,
    startTimeUnixNano: fixed64ToDecimal(p.startTimeUnixNano),
    endTimeUnixNano: fixed64ToDecimal(p.endTimeUnixNano),
    attributes: attributeMapAt(p.attributes, 'attributes'),
    resource,
    scope,
  };
  if (p.events.length > 0) {
    init.events = p.events.map((e, i) => {
      try {
        return { name: e.name, timeUnixNano: fixed64ToDecimal(e.timeUnixNano), attributes: attributeMap(e.attributes, 1) };
      } catch (err) {
        throw rethrowAt(err, 'attributes', i, 'events');
      }
    });
  }
  if (p.links.length > 0) {
    init.links = p.links.map((l, i) => {
      try {
        return {
          traceId: id(l.traceId, 16, 'traceId'),
          spanId: id(l.spanId, 8, 'spanId'),
          traceState: l.traceState,
          attributes: attributeMapAt(l.attributes, 'attributes'),
        };
      } catch (err) {
        throw rethrowAt(err, undefined, i, 'links');
      }
    });
  }
  return init;
}

/** Adds path segments (innermost first) to a FieldError; other errors pass through. */
function rethrowAt(err: unknown, ...segments: Array<string | number | undefined>): unknown {
  if (err instanceof FieldError) for (const s of segments) if (s !== undefined) err.at(s);
  return err;
}

function attributeMapAt(kvs: PbKeyValue[], field: string): AttributeMap {
  try {
    return attributeMap(kvs, 1);
  } catch (err) {
    throw rethrowAt(err, field);
  }
}

/** A null-prototype map of key-value pairs; values at `depth` (1 for a top-level attribute). */
function attributeMap(kvs: PbKeyValue[], depth: number): AttributeMap {
  const map = createAttributeMap();
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    try {
      setAttribute(map, kv.key, kv.value === null ? null : anyValue(kv.value, depth));
    } catch (err) {
      throw rethrowAt(err, 'value', i);
    }
  }
  return map;
}

function anyValue(v: PbAnyValue, depth: number): AttributeValue {
  if (depth > OTLP_LIMITS.maxAnyValueDepth) {
    throw new FieldError('', `attribute value is nested more than ${OTLP_LIMITS.maxAnyValueDepth} levels deep`);
  }
  switch (v.value) {
    case 'stringValue': return v.stringValue;
    case 'boolValue': return v.boolValue;
    case 'intValue': return decodeInt64(v.intValue);
    case 'doubleValue': return v.doubleValue;
    case 'bytesValue': return bytesToHex(v.bytesValue);
    case 'arrayValue': {
      const values = v.arrayValue!.values;
      const out: AttributeValue[] = new Array(values.length);
      for (let i = 0; i < values.length; i++) {
        try {
          out[i] = anyValue(values[i], depth + 1);
        } catch (err) {
          throw rethrowAt(err, i, 'values', 'arrayValue');
        }
      }
      return out;
    }
    case 'kvlistValue':
      try {
        return attributeMap(v.kvlistValue!.values, depth + 1);
      } catch (err) {
        throw rethrowAt(err, 'values', 'kvlistValue');
      }
    default:
      // Empty AnyValue, or the profiling-only string_value_strindex: no value.
      return null;
  }
}
