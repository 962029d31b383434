/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest into spans.
 *
 * OTLP/JSON is the protobuf JSON mapping with OTLP's own rules, and this
 * decoder accepts what the OpenTelemetry specification says a receiver must:
 * - keys in lowerCamelCase, and also the proto field names (snake_case), as
 *   protobuf JSON parsers do;
 * - trace and span ids as hex strings (either case; not base64);
 * - enums as integers or as their names (`SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`);
 * - int64/fixed64 as decimal strings or JSON numbers (text input keeps numbers
 *   beyond 2^53 exact, see parseJson.ts; an already-parsed object cannot);
 * - doubles as numbers or as "NaN", "Infinity", "-Infinity" or numeric strings;
 * - `bytesValue` as base64 (standard or URL-safe alphabet);
 * - `null` for a field as the field's default; unknown fields ignored.
 *
 * Failure modes mirror decodeProtobufTraces: text that is not JSON fails with
 * 'OTLP_JSON' and the line and column; a structure that is not a request
 * (`resourceSpans`, `scopeSpans` or `spans` not arrays, their elements not
 * objects) fails with 'OTLP_SHAPE' and the path; a problem inside one span
 * (an invalid id, `name: 5`, an unknown enum name, attributes nested too deep)
 * rejects that span with its path and keeps the others. A bad resource or
 * scope rejects every span under it.
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
  type SpanInit,
  type SpanKind,
  type SpanStatus,
} from '../trace/span.js';
import { base64ToBytes } from './base64.js';
import type { DecodedTraces, RejectedOtlpSpan } from './decodedTraces.js';
import { canonicalIntegerText, decodeInt64 } from './decodeInt64.js';
import { FieldError, joinPath } from './fieldError.js';
import { bytesToHex, isHex } from './hex.js';
import { OtlpDecodeError } from './otlpDecodeError.js';
import { OTLP_LIMITS } from './otlpLimits.js';
import { JsonBigInteger, JsonSyntaxError, parseJson } from './parseJson.js';

type JsonObject = Record<string, unknown>;

/**
 * Decodes one OTLP/JSON request, given as JSON text or as an already-parsed
 * value (e.g. a body an HTTP framework parsed).
 */
export function decodeJsonTraces(input: string | unknown): DecodedTraces {
  const out: DecodedTraces = { spans: [], rejected: [] };
  decodeJsonRequestInto(typeof input === 'string' ? parseJsonText(input) : input, out, '');
  return out;
}

/** Parses JSON text, reporting syntax errors as OtlpDecodeError('OTLP_JSON'). */
export function parseJsonText(text: string): unknown {
  try {
    return parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new OtlpDecodeError('OTLP_JSON', `invalid JSON: ${err.message}`, { line: err.line, column: err.column, cause: err });
    }
    throw err;
  }
}

/**
 * Decodes a parsed request into `out`. `pathPrefix` is put before every
 * rejection path (JSON Lines uses it for the line number).
 */
export function decodeJsonRequestInto(request: unknown, out: DecodedTraces, pathPrefix: string): void {
  if (!isObject(request) || ArrayBuffer.isView(request)) {
    throw shapeError('', `an OTLP/JSON ExportTraceServiceRequest must be a JSON object with "resourceSpans", got ${typeName(request)}`);
  }
  const resourceSpans = field(request, 'resourceSpans', 'resource_spans');
  if (resourceSpans === undefined) return;
  const rsKey = 'resourceSpans' in request ? 'resourceSpans' : 'resource_spans';
  if (!Array.isArray(resourceSpans)) throw shapeError(rsKey, `${rsKey} must be an array of ResourceSpans, got ${typeName(resourceSpans)}`);

  for (let r = 0; r < resourceSpans.length; r++) {
    const rsPath = `${rsKey}[${r}]`;
    const rs = resourceSpans[r];
    if (rs === null) continue;
    if (!isObject(rs)) throw shapeError(rsPath, `${rsPath} must be a ResourceSpans object, got ${typeName(rs)}`);

    let resource = createAttributeMap();
    let resourceProblem: RejectedOtlpSpan | null = null;
    const resourceValue = rs.resource;
    try {
      if (resourceValue !== undefined && resourceValue !== null) resource = jsonResource(resourceValue);
    } catch (err) {
      resourceProblem = fieldProblem(err, pathPrefix + joinPath(rsPath, 'resource'));
    }

    const scopeSpans = field(rs, 'scopeSpans', 'scope_spans');
    if (scopeSpans === undefined) continue;
    const ssKey = joinPath(rsPath, 'scopeSpans' in rs ? 'scopeSpans' : 'scope_spans');
    if (!Array.isArray(scopeSpans)) throw shapeError(ssKey, `${ssKey} must be an array of ScopeSpans, got ${typeName(scopeSpans)}`);

    for (let s = 0; s < scopeSpans.length; s++) {
      const ssPath = `${ssKey}[${s}]`;
      const ss = scopeSpans[s];
      if (ss === null) continue;
      if (!isObject(ss)) throw shapeError(ssPath, `${ssPath} must be a ScopeSpans object, got ${typeName(ss)}`);

      let scope: InstrumentationScope = { name: '', version: '' };
      let problem = resourceProblem;
      try {
        if (ss.scope !== undefined && ss.scope !== null) scope = jsonScope(ss.scope);
      } catch (err) {
        problem ??= fieldProblem(err, pathPrefix + joinPath(ssPath, 'scope'));
      }

      const spans = ss.spans;
      if (spans === undefined || spans === null) continue;
      const spansPath = joinPath(ssPath, 'spans');
      if (!Array.isArray(spans)) throw shapeError(spansPath, `${spansPath} must be an array of Span objects, got ${typeName(spans)}`);

      for (let k = 0; k < spans.length; k++) {
        const spanPath = `${spansPath}[${k}]`;
        if (problem !== null) {
          const what = problem === resourceProblem ? 'resource' : 'scope';
          out.rejected.push({ path: problem.path, message: `${problem.message} (span ${pathPrefix}${spanPath} rejected with its ${what})` });
          continue;
        }
        try {
          out.spans.push(createSpan(jsonSpan(spans[k], resource, scope)));
        } catch (err) {
          out.rejected.push(fieldProblem(err, pathPrefix + spanPath));
        }
      }
    }
  }
}

function shapeError(path: string, message: string): OtlpDecodeError {
  return new OtlpDecodeError('OTLP_SHAPE', message, { path });
}

function fieldProblem(err: unknown, base: string): RejectedOtlpSpan {
  if (!(err instanceof FieldError)) throw err;
  return { path: joinPath(base, err.relativePath), message: err.message };
}

function rethrowAt(err: unknown, ...segments: Array<string | number>): unknown {
  if (err instanceof FieldError) for (const s of segments) err.at(s);
  return err;
}

// ---- value readers: each throws FieldError(key, ...) naming the field as sent

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonBigInteger);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof JsonBigInteger || typeof v === 'number') return `the number ${v instanceof JsonBigInteger ? v.text : String(v)}`;
  if (typeof v === 'string') return `the string ${preview(v)}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (ArrayBuffer.isView(v)) return 'binary data (use decodeProtobufTraces for OTLP/protobuf)';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** The value of a field under its JSON name or its proto name; null reads as absent. */
function field(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel] ?? o[snake];
  return v === null ? undefined : v;
}

function str(v: unknown, key: string): string {
  if (typeof v === 'string') return v;
  throw new FieldError(key, `${key} must be a string, got ${typeName(v)}`);
}

function bool(v: unknown, key: string): boolean {
  if (typeof v === 'boolean') return v;
  throw new FieldError(key, `${key} must be true or false, got ${typeName(v)}`);
}

/** fixed64 as an exact decimal string. */
function uint64(v: unknown, key: string): string {
  const text = integerText(v);
  const canonical = text === null ? null : canonicalIntegerText(text, 'uint64');
  if (canonical === null) {
    throw new FieldError(key, `${key} must be an unsigned 64-bit integer (a decimal string such as "1700000000000000000", or a number), got ${typeName(v)}`);
  }
  return canonical;
}

/** int64 as the span model keeps it (number when safe, else decimal string). */
function int64(v: unknown, key: string): number | string {
  const text = integerText(v);
  const canonical = text === null ? null : canonicalIntegerText(text, 'int64');
  if (canonical === null) throw new FieldError(key, `${key} must be a signed 64-bit integer (a decimal string or a number), got ${typeName(v)}`);
  return decodeInt64(canonical);
}

function integerText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof JsonBigInteger) return v.text;
  if (typeof v === 'number' && Number.isInteger(v)) return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
  return null;
}

const DOUBLE_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function double(v: unknown, key: string): number {
  if (typeof v === 'number') return v;
  if (v instanceof JsonBigInteger) return v.toNumber();
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (DOUBLE_TEXT.test(v)) return Number(v);
  }
  throw new FieldError(key, `${key} must be a number (or "NaN", "Infinity", "-Infinity"), got ${typeName(v)}`);
}

function bytesHex(v: unknown, key: string): string {
  if (typeof v !== 'string') throw new FieldError(key, `${key} must be a base64 string, got ${typeName(v)}`);
  try {
    return bytesToHex(base64ToBytes(v));
  } catch (err) {
    throw new FieldError(key, `${key} is not valid base64: ${(err as Error).message}`);
  }
}

function hexId(v: unknown, bytes: number, key: string): string {
  if (typeof v !== 'string') throw new FieldError(key, `${key} must be a hex string of ${bytes * 2} characters, got ${typeName(v)}`);
  if (v.length !== bytes * 2 || !isHex(v)) {
    const got = v.length === 0 ? 'an empty string' : v.length !== bytes * 2 ? `${v.length} characters (${preview(v)})` : `non-hex characters (${preview(v)})`;
    throw new FieldError(key, `${key} must be ${bytes * 2} hex characters (${bytes} bytes; OTLP/JSON ids are hex, not base64), got ${got}`);
  }
  const hex = v.toLowerCase();
  if (/^0+$/.test(hex)) throw new FieldError(key, `${key} is all zeros, which OTLP defines as invalid`);
  return hex;
}

function parentHexId(v: unknown, key: string): string | null {
  if (v === '') return null;
  if (typeof v === 'string' && v.length === 16 && /^0+$/.test(v)) return null;
  return hexId(v, 8, key);
}

const SPAN_KINDS = new Map<string, number>([
  ['SPAN_KIND_UNSPECIFIED', 0],
  ['SPAN_KIND_INTERNAL', 1],
  ['SPAN_KIND_SERVER', 2],
  ['SPAN_KIND_CLIENT', 3],
  ['SPAN_KIND_PRODUCER', 4],
  ['SPAN_KIND_CONSUMER', 5],
]);
const STATUS_CODES = new Map<string, number>([
  ['STATUS_CODE_UNSET', 0],
  ['STATUS_CODE_OK', 1],
  ['STATUS_CODE_ERROR', 2],
]);

/** An enum as its number (any int32, unknown numbers are open-enum values) or its name. */
function enumNumber(v: unknown, names: Map<string, number>, key: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) return v;
  if (typeof v === 'string') {
    const n = names.get(v);
    if (n !== undefined) return n;
    throw new FieldError(key, `${key} ${preview(v)} is not one of ${[...names.keys()].join(', ')} (or their numbers)`);
  }
  throw new FieldError(key, `${key} must be an enum number or name such as ${[...names.keys()][1]}, got ${typeName(v)}`);
}

// ---- messages

function jsonResource(v: unknown): AttributeMap {
  if (!isObject(v)) throw new FieldError('', `resource must be an object, got ${typeName(v)}`);
  const attributes = v.attributes;
  if (attributes === undefined || attributes === null) return createAttributeMap();
  return attributeList(attributes, 'attributes', 1);
}

function jsonScope(v: unknown): InstrumentationScope {
  if (!isObject(v)) throw new FieldError('', `scope must be an object, got ${typeName(v)}`);
  const name = v.name;
  const version = v.version;
  return {
    name: name === undefined || name === null ? '' : str(name, 'name'),
    version: version === undefined || version === null ? '' : str(version, 'version'),
  };
}

function jsonSpan(v: unknown, resource: AttributeMap, scope: InstrumentationScope): SpanInit {
  if (!isObject(v)) throw new FieldError('', `a span must be an object, got ${typeName(v)}`);
  let traceId: string | undefined;
  let spanId: string | undefined;
  let parentSpanId: string | null = null;
  let traceState = '';
  let name = '';
  let kind: SpanKind = 'INTERNAL';
  let status: SpanStatus = 'UNSET';
  let statusMessage = '';
  let startTimeUnixNano = '0';
  let endTimeUnixNano = '0';
  let attributes: AttributeMap | undefined;
  let events: SpanInit['events'];
  let links: SpanInit['links'];
  for (const key of Object.keys(v)) {
    const value = v[key];
    if (value === null || value === undefined) continue;
    switch (key) {
      case 'traceId': case 'trace_id': traceId = hexId(value, 16, key); break;
      case 'spanId': case 'span_id': spanId = hexId(value, 8, key); break;
      case 'parentSpanId': case 'parent_span_id': parentSpanId = parentHexId(value, key); break;
      case 'traceState': case 'trace_state': traceState = str(value, key); break;
      case 'name': name = str(value, key); break;
      case 'kind': kind = spanKindFromOtlp(enumNumber(value, SPAN_KINDS, key)); break;
      case 'startTimeUnixNano': case 'start_time_unix_nano': startTimeUnixNano = uint64(value, key); break;
      case 'endTimeUnixNano': case 'end_time_unix_nano': endTimeUnixNano = uint64(value, key); break;
      case 'attributes': attributes = attributeList(value, key, 1); break;
      case 'events': events = listOf(value, key, jsonEvent); break;
      case 'links': links = listOf(value, key, jsonLink); break;
      case 'status': {
        const s = jsonStatus(value, key);
        status = s.status;
        statusMessage = s.message;
        break;
      }
      default: break; // flags, dropped counts and fields newer than this decoder
    }
  }
  if (traceId === undefined) throw new FieldError('traceId', 'traceId is missing (required: 32 hex characters)');
  if (spanId === undefined) throw new FieldError('spanId', 'spanId is missing (required: 16 hex characters)');
  return {
    traceId, spanId, parentSpanId, traceState, name, kind, status, statusMessage,
    startTimeUnixNano, endTimeUnixNano,
    attributes, resource, scope, events, links,
  };
}

function listOf<T>(v: unknown, key: string, item: (element: unknown) => T): T[] {
  if (!Array.isArray(v)) throw new FieldError(key, `${key} must be an array, got ${typeName(v)}`);
  const out: T[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    try {
      out[i] = item(v[i]);
    } catch (err) {
      throw rethrowAt(err, i, key);
    }
  }
  return out;
}

function jsonStatus(v: unknown, key: string): { status: SpanStatus; message: string } {
  if (!isObject(v)) throw new FieldError(key, `${key} must be an object like {"code": 2, "message": "..."}, got ${typeName(v)}`);
  try {
    const code = v.code;
    const message = v.message;
    return {
      status: code === undefined || code === null ? 'UNSET' : spanStatusFromOtlp(enumNumber(code, STATUS_CODES, 'code')),
      message: message === undefined || message === null ? '' : str(message, 'message'),
    };
  } catch (err) {
    throw rethrowAt(err, key);
  }
}

function jsonEvent(v: unknown): { name: string; timeUnixNano: string; attributes?: AttributeMap } {
  if (!isObject(v)) throw new FieldError('', `an event must be an object, got ${typeName(v)}`);
  let name = '';
  let timeUnixNano = '0';
  let attributes: AttributeMap | undefined;
  for (const key of Object.keys(v)) {
    const value = v[key];
    if (value === null || value === undefined) continue;
    switch (key) {
      case 'name': name = str(value, key); break;
      case 'timeUnixNano': case 'time_unix_nano': timeUnixNano = uint64(value, key); break;
      case 'attributes': attributes = attributeList(value, key, 1); break;
      default: break;
    }
  }
  return { name, timeUnixNano, attributes };
}

function jsonLink(v: unknown): { traceId: string; spanId: string; traceState: string; attributes?: AttributeMap } {
  if (!isObject(v)) throw new FieldError('', `a link must be an object, got ${typeName(v)}`);
  let traceId: string | undefined;
  let spanId: string | undefined;
  let traceState = '';
  let attributes: AttributeMap | undefined;
  for (const key of Object.keys(v)) {
    const value = v[key];
    if (value === null || value === undefined) continue;
    switch (key) {
      case 'traceId': case 'trace_id': traceId = hexId(value, 16, key); break;
      case 'spanId': case 'span_id': spanId = hexId(value, 8, key); break;
      case 'traceState': case 'trace_state': traceState = str(value, key); break;
      case 'attributes': attributes = attributeList(value, key, 1); break;
      default: break;
    }
  }
  if (traceId === undefined) throw new FieldError('traceId', 'traceId is missing (required: 32 hex characters)');
  if (spanId === undefined) throw new FieldError('spanId', 'spanId is missing (required: 16 hex characters)');
  return { traceId, spanId, traceState, attributes };
}

/** A list of KeyValue as a null-prototype map; values at `depth` (1 for a top-level attribute). */
function attributeList(v: unknown, key: string, depth: number): AttributeMap {
  if (!Array.isArray(v)) throw new FieldError(key, `${key} must be an array of {"key": ..., "value": {...}} objects, got ${typeName(v)}`);
  const map = createAttributeMap();
  for (let i = 0; i < v.length; i++) {
    const kv = v[i];
    try {
      if (!isObject(kv)) throw new FieldError('', `a key-value pair must be an object like {"key": "k", "value": {"stringValue": "v"}}, got ${typeName(kv)}`);
      const k = kv.key;
      const value = kv.value;
      let attributeValue: AttributeValue = null;
      if (value !== undefined && value !== null) {
        try {
          attributeValue = anyValue(value, depth);
        } catch (err) {
          throw rethrowAt(err, 'value');
        }
      }
      setAttribute(map, k === undefined || k === null ? '' : str(k, 'key'), attributeValue);
    } catch (err) {
      throw rethrowAt(err, i, key);
    }
  }
  return map;
}

function anyValue(v: unknown, depth: number): AttributeValue {
  if (depth > OTLP_LIMITS.maxAnyValueDepth) {
    throw new FieldError('', `attribute value is nested more than ${OTLP_LIMITS.maxAnyValueDepth} levels deep`);
  }
  if (!isObject(v)) throw new FieldError('', `an AnyValue must be an object such as {"stringValue": "x"}, got ${typeName(v)}`);
  let set: string | undefined;
  let result: AttributeValue = null;
  for (const key of Object.keys(v)) {
    const x = v[key];
    if (x === null || x === undefined) continue;
    let value: AttributeValue;
    switch (key) {
      case 'stringValue': case 'string_value': value = str(x, key); break;
      case 'boolValue': case 'bool_value': value = bool(x, key); break;
      case 'intValue': case 'int_value': value = int64(x, key); break;
      case 'doubleValue': case 'double_value': value = double(x, key); break;
      case 'bytesValue': case 'bytes_value': value = bytesHex(x, key); break;
      case 'arrayValue': case 'array_value': value = arrayValue(x, key, depth); break;
      case 'kvlistValue': case 'kvlist_value': value = kvlistValue(x, key, depth); break;
      // Profiling-only (an index into a profiles string table): read as absent.
      case 'stringValueStrindex': case 'string_value_strindex': continue;
      default: continue;
    }
    if (set !== undefined) throw new FieldError(key, `an AnyValue holds one value, but both ${set} and ${key} are set`);
    set = key;
    result = value;
  }
  return result;
}

function arrayValue(v: unknown, key: string, depth: number): AttributeValue[] {
  if (!isObject(v)) throw new FieldError(key, `${key} must be an object like {"values": [...]}, got ${typeName(v)}`);
  const values = v.values;
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) throw new FieldError('values', `${key}.values must be an array, got ${typeName(values)}`).at(key);
  const out: AttributeValue[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    try {
      out[i] = anyValue(values[i], depth + 1);
    } catch (err) {
      throw rethrowAt(err, i, 'values', key);
    }
  }
  return out;
}

function kvlistValue(v: unknown, key: string, depth: number): AttributeMap {
  if (!isObject(v)) throw new FieldError(key, `${key} must be an object like {"values": [{"key": ..., "value": ...}]}, got ${typeName(v)}`);
  const values = v.values;
  if (values === undefined || values === null) return createAttributeMap();
  try {
    return attributeList(values, 'values', depth + 1);
  } catch (err) {
    throw rethrowAt(err, key);
  }
}

