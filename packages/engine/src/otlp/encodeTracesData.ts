/**
 * A hand-written OTLP/protobuf encoder for spans: `encodeTracesData(spans)`
 * writes a `TracesData` message, which has the same wire format as an
 * `ExportTraceServiceRequest` (field 1: repeated ResourceSpans), so
 * `decodeProtobufTraces` reads it back to equal spans.
 *
 * Why hand-written: the server stores every kept trace in this form, on the
 * ingest thread; protobufjs (`encodeProtobufTraces`, the test oracle) first
 * builds a message object per span, attribute and value, and JSON.stringify of
 * the spans repeated each span's resource. This encoder writes bytes straight
 * from the span model into one reused buffer, and writes a resource's
 * attributes once per group of spans that share it.
 *
 * Grouping: `groupSpans`, as the protobufjs and JSON encoders do (by
 * resource content, then scope name and version, in order of first
 * appearance; spans keep their order within a group).
 *
 * What the bytes hold (the span model's normal form, as decoding yields it):
 * - ids as bytes from their hex (an id that is not hex of the right length
 *   throws: decoded spans always have valid ids); `parentSpanId: null` is an
 *   absent parent id;
 * - times as fixed64 from the exact nanosecond strings;
 * - attribute values as the model holds them, choosing the AnyValue kind as
 *   `encodeProtobufTraces` does: a safe integer other than -0 is `intValue`,
 *   any other number `doubleValue` (NaN and infinities included), a string
 *   `stringValue`, null and undefined an empty AnyValue (both read back as
 *   null), arrays `arrayValue`, maps `kvlistValue`.
 * Losses, all inherited from the model rather than made here: the model
 * cannot tell the double 1.0 from the integer 1 (both become intValue 1), an
 * int64 beyond 2^53 is a decimal string and bytes are a hex string (both come
 * back as strings, as they went in), and the model keeps no flags or dropped
 * counts, so none are written.
 */
import type { AttributeMap, AttributeValue, Span, SpanKind, SpanStatus } from '../trace/span.js';
import { groupSpans } from './groupSpans.js';

// Wire types: 0 varint, 1 fixed64, 2 length-delimited. A tag is (field << 3) | wire type.
const TAG_RESOURCE_SPANS = (1 << 3) | 2;
const TAG_RESOURCE = (1 << 3) | 2;
const TAG_SCOPE_SPANS = (2 << 3) | 2;
const TAG_RESOURCE_ATTRIBUTES = (1 << 3) | 2;
const TAG_SCOPE = (1 << 3) | 2;
const TAG_SPAN = (2 << 3) | 2;
const TAG_SCOPE_NAME = (1 << 3) | 2;
const TAG_SCOPE_VERSION = (2 << 3) | 2;
const TAG_SPAN_TRACE_ID = (1 << 3) | 2;
const TAG_SPAN_SPAN_ID = (2 << 3) | 2;
const TAG_SPAN_TRACE_STATE = (3 << 3) | 2;
const TAG_SPAN_PARENT_SPAN_ID = (4 << 3) | 2;
const TAG_SPAN_NAME = (5 << 3) | 2;
const TAG_SPAN_KIND = (6 << 3) | 0;
const TAG_SPAN_START = (7 << 3) | 1;
const TAG_SPAN_END = (8 << 3) | 1;
const TAG_SPAN_ATTRIBUTES = (9 << 3) | 2;
const TAG_SPAN_EVENTS = (11 << 3) | 2;
const TAG_SPAN_LINKS = (13 << 3) | 2;
const TAG_SPAN_STATUS = (15 << 3) | 2;
const TAG_EVENT_TIME = (1 << 3) | 1;
const TAG_EVENT_NAME = (2 << 3) | 2;
const TAG_EVENT_ATTRIBUTES = (3 << 3) | 2;
const TAG_LINK_TRACE_ID = (1 << 3) | 2;
const TAG_LINK_SPAN_ID = (2 << 3) | 2;
const TAG_LINK_TRACE_STATE = (3 << 3) | 2;
const TAG_LINK_ATTRIBUTES = (4 << 3) | 2;
const TAG_STATUS_MESSAGE = (2 << 3) | 2;
const TAG_STATUS_CODE = (3 << 3) | 0;
const TAG_KEY = (1 << 3) | 2;
const TAG_VALUE = (2 << 3) | 2;
const TAG_STRING_VALUE = (1 << 3) | 2;
const TAG_BOOL_VALUE = (2 << 3) | 0;
const TAG_INT_VALUE = (3 << 3) | 0;
const TAG_DOUBLE_VALUE = (4 << 3) | 1;
const TAG_ARRAY_VALUE = (5 << 3) | 2;
const TAG_KVLIST_VALUE = (6 << 3) | 2;
const TAG_VALUES = (1 << 3) | 2;

const KIND_NUMBER: Record<SpanKind, number> = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };
const STATUS_NUMBER: Record<SpanStatus, number> = { UNSET: 0, OK: 1, ERROR: 2 };

const TWO_32 = 4294967296;

/**
 * The output buffer, reused across calls (encoding is synchronous); the
 * result is a copy of the bytes written. Grown for a large trace, it goes
 * back to its first size afterwards, so one large trace does not hold memory
 * for good.
 */
const BUFFER_SIZE = 64 * 1024;
const BUFFER_KEEP_MAX = 1024 * 1024;
let buf = new Uint8Array(BUFFER_SIZE);
let pos = 0;
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);
/** The engine is built without DOM types; TextEncoder exists in Node and every browser. */
declare const TextEncoder: new () => { encodeInto(text: string, into: Uint8Array): { read: number; written: number } };
const utf8 = new TextEncoder();

/** Encodes spans as OTLP/protobuf `TracesData` (= `ExportTraceServiceRequest`) bytes. */
export function encodeTracesData(spans: readonly Span[]): Uint8Array {
  const groups = groupSpans(spans);
  pos = 0;
  for (const group of groups) {
    const resourceSpans = beginMessage(TAG_RESOURCE_SPANS);
    if (Object.keys(group.resource).length > 0) {
      const resource = beginMessage(TAG_RESOURCE);
      writeKeyValues(TAG_RESOURCE_ATTRIBUTES, group.resource);
      endMessage(resource);
    }
    for (const scopeGroup of group.scopes) {
      const scopeSpans = beginMessage(TAG_SCOPE_SPANS);
      const { name, version } = scopeGroup.scope;
      if (name !== '' || version !== '') {
        const scope = beginMessage(TAG_SCOPE);
        writeString(TAG_SCOPE_NAME, name);
        writeString(TAG_SCOPE_VERSION, version);
        endMessage(scope);
      }
      for (const span of scopeGroup.spans) writeSpan(span);
      endMessage(scopeSpans);
    }
    endMessage(resourceSpans);
  }
  const bytes = buf.slice(0, pos);
  if (buf.length > BUFFER_KEEP_MAX) buf = new Uint8Array(BUFFER_SIZE);
  return bytes;
}

function writeSpan(span: Span): void {
  const start = beginMessage(TAG_SPAN);
  writeId(TAG_SPAN_TRACE_ID, span.traceId, 16, 'traceId', span);
  writeId(TAG_SPAN_SPAN_ID, span.spanId, 8, 'spanId', span);
  if (span.traceState !== '') writeString(TAG_SPAN_TRACE_STATE, span.traceState);
  if (span.parentSpanId !== null) writeId(TAG_SPAN_PARENT_SPAN_ID, span.parentSpanId, 8, 'parentSpanId', span);
  if (span.name !== '') writeString(TAG_SPAN_NAME, span.name);
  ensure(1 + 1 + 2 * 9);
  buf[pos++] = TAG_SPAN_KIND;
  buf[pos++] = KIND_NUMBER[span.kind];
  buf[pos++] = TAG_SPAN_START;
  writeFixed64Decimal(span.startTimeUnixNano, 'startTimeUnixNano', span);
  buf[pos++] = TAG_SPAN_END;
  writeFixed64Decimal(span.endTimeUnixNano, 'endTimeUnixNano', span);
  writeKeyValues(TAG_SPAN_ATTRIBUTES, span.attributes);
  for (const event of span.events) {
    const e = beginMessage(TAG_SPAN_EVENTS);
    ensure(9);
    buf[pos++] = TAG_EVENT_TIME;
    writeFixed64Decimal(event.timeUnixNano, 'events[].timeUnixNano', span);
    if (event.name !== '') writeString(TAG_EVENT_NAME, event.name);
    writeKeyValues(TAG_EVENT_ATTRIBUTES, event.attributes);
    endMessage(e);
  }
  for (const link of span.links) {
    const l = beginMessage(TAG_SPAN_LINKS);
    writeId(TAG_LINK_TRACE_ID, link.traceId, 16, 'links[].traceId', span);
    writeId(TAG_LINK_SPAN_ID, link.spanId, 8, 'links[].spanId', span);
    if (link.traceState !== '') writeString(TAG_LINK_TRACE_STATE, link.traceState);
    writeKeyValues(TAG_LINK_ATTRIBUTES, link.attributes);
    endMessage(l);
  }
  const statusCode = STATUS_NUMBER[span.status];
  if (statusCode !== 0 || span.statusMessage !== '') {
    const s = beginMessage(TAG_SPAN_STATUS);
    if (span.statusMessage !== '') writeString(TAG_STATUS_MESSAGE, span.statusMessage);
    if (statusCode !== 0) {
      ensure(2);
      buf[pos++] = TAG_STATUS_CODE;
      buf[pos++] = statusCode;
    }
    endMessage(s);
  }
  endMessage(start);
}

/** One KeyValue message (tag `tag`) per own key of `map`. */
function writeKeyValues(tag: number, map: AttributeMap): void {
  // Object.keys: own keys only, so a span's attributes leave out the resource they fall back to.
  for (const key of Object.keys(map)) {
    const kv = beginMessage(tag);
    writeString(TAG_KEY, key);
    writeAnyValue(TAG_VALUE, map[key]);
    endMessage(kv);
  }
}

function writeAnyValue(tag: number, value: AttributeValue): void {
  const start = beginMessage(tag);
  if (value === null || value === undefined) {
    // An empty AnyValue: no value.
  } else if (typeof value === 'string') {
    writeString(TAG_STRING_VALUE, value, true);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      ensure(11);
      buf[pos++] = TAG_INT_VALUE;
      writeInt64(value);
    } else {
      ensure(9);
      buf[pos++] = TAG_DOUBLE_VALUE;
      float64[0] = value;
      buf.set(float64Bytes, pos); // little-endian on every platform Node and browsers run on
      pos += 8;
    }
  } else if (typeof value === 'boolean') {
    ensure(2);
    buf[pos++] = TAG_BOOL_VALUE;
    buf[pos++] = value ? 1 : 0;
  } else if (Array.isArray(value)) {
    const array = beginMessage(TAG_ARRAY_VALUE);
    for (const item of value) writeAnyValue(TAG_VALUES, item);
    endMessage(array);
  } else {
    const kvlist = beginMessage(TAG_KVLIST_VALUE);
    writeKeyValues(TAG_VALUES, value);
    endMessage(kvlist);
  }
  endMessage(start);
}

// ---- wire primitives

function ensure(bytes: number): void {
  if (pos + bytes <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + bytes) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(buf.subarray(0, pos));
  buf = grown;
}

/**
 * Writes the tag and reserves one byte for the length; `endMessage` writes
 * the length there, moving the body when the length needs more bytes.
 * Returns where the body starts.
 */
function beginMessage(tag: number): number {
  ensure(2);
  buf[pos++] = tag;
  pos++;
  return pos;
}

function endMessage(bodyStart: number): void {
  const length = pos - bodyStart;
  if (length < 0x80) {
    buf[bodyStart - 1] = length;
    return;
  }
  const extra = varintSize(length) - 1;
  ensure(extra);
  buf.copyWithin(bodyStart + extra, bodyStart, pos);
  let at = bodyStart - 1;
  let n = length;
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[at] = n;
  pos += extra;
}

/** Bytes of the varint encoding of `n` (0 ≤ n < 2^32). */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function writeVarint32(n: number): void {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
}

/** A safe integer as an int64 varint (negative numbers in two's complement, 10 bytes). */
function writeInt64(value: number): void {
  let hi = Math.floor(value / TWO_32);
  let lo = value - hi * TWO_32;
  hi >>>= 0;
  while (hi > 0) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  buf[pos++] = lo;
}

/**
 * A fixed64 from an unsigned decimal string (nanoseconds exceed 2^53, so the
 * string is split into parts that doubles hold exactly).
 */
function writeFixed64Decimal(decimal: string, field: string, span: Span): void {
  const length = typeof decimal === 'string' ? decimal.length : 0;
  if (length === 0 || length > 20) throw invalidSpan(span, `${field} '${decimal}' is not an unsigned decimal integer`);
  // value = a * 10^9 + b with a < 10^11 and b < 10^9, parsed digit by digit (no substrings to collect).
  const split = length > 9 ? length - 9 : 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < length; i++) {
    const digit = decimal.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) throw invalidSpan(span, `${field} '${decimal}' is not an unsigned decimal integer`);
    if (i < split) a = a * 10 + digit;
    else b = b * 10 + digit;
  }
  let lo: number;
  let hi: number;
  if (a < 9_000_000) {
    const n = a * 1e9 + b; // < 9 * 10^15 < 2^53: exact
    hi = Math.floor(n / TWO_32);
    lo = n - hi * TWO_32;
  } else {
    // a = a1 * 2^16 + a0.
    const a1 = Math.floor(a / 65536);
    const a0 = a - a1 * 65536;
    const p = a1 * 1e9; // value = p * 2^16 + q
    const q = a0 * 1e9 + b;
    const pHigh = Math.floor(p / 65536);
    const r = (p - pHigh * 65536) * 65536 + q; // value = pHigh * 2^32 + r
    const carry = Math.floor(r / TWO_32);
    lo = r - carry * TWO_32;
    hi = pHigh + carry;
    if (hi >= TWO_32) throw invalidSpan(span, `${field} '${decimal}' is beyond 2^64 - 1`);
  }
  buf[pos++] = lo & 0xff;
  buf[pos++] = (lo >>> 8) & 0xff;
  buf[pos++] = (lo >>> 16) & 0xff;
  buf[pos++] = lo >>> 24;
  buf[pos++] = hi & 0xff;
  buf[pos++] = (hi >>> 8) & 0xff;
  buf[pos++] = (hi >>> 16) & 0xff;
  buf[pos++] = hi >>> 24;
}

/** A string field; empty strings are left out unless `always` (a oneof member must be written to be set). */
function writeString(tag: number, text: string, always = false): void {
  const length = text.length;
  if (length === 0 && !always) return;
  ensure(1 + 5 + length * 3);
  buf[pos++] = tag;
  const start = pos;
  // ASCII, the common case, is copied by hand in one pass; anything else goes to the platform's UTF-8 encoder.
  writeVarint32(length);
  const b = buf;
  let at = pos;
  let i = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    b[at++] = c;
  }
  if (i === length) {
    pos = at;
    return;
  }
  pos = start;
  // Reserve the length's bytes for the longest possible encoding, then close the gap.
  const reserved = varintSize(length * 3);
  const bodyStart = pos + reserved;
  const { written } = utf8.encodeInto(text, buf.subarray(bodyStart));
  const used = varintSize(written);
  if (used !== reserved) buf.copyWithin(pos + used, bodyStart, bodyStart + written);
  writeVarint32(written);
  pos += written;
}

/** An id's bytes from its lowercase or uppercase hex. */
function writeId(tag: number, hex: string, bytes: number, field: string, span: Span): void {
  if (typeof hex !== 'string' || hex.length !== bytes * 2) throw invalidSpan(span, `${field} must be ${bytes * 2} hex digits, got '${String(hex)}'`);
  ensure(2 + bytes);
  buf[pos++] = tag;
  buf[pos++] = bytes;
  for (let i = 0; i < bytes; i++) {
    const high = nibble(hex.charCodeAt(2 * i));
    const low = nibble(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) throw invalidSpan(span, `${field} must be hex, got '${hex}'`);
    buf[pos++] = (high << 4) | low;
  }
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

function invalidSpan(span: Span, message: string): Error {
  pos = 0;
  return new TypeError(`cannot encode span ${String(span.spanId)} of trace ${String(span.traceId)} as OTLP: ${message}`);
}
