import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { nanosToMillis, type Span } from '../trace/span.js';
import { decodeProtobufTraces, OtlpDecodeError } from './index.js';

// Requests are encoded by protobufjs from the vendored .proto files (not from
// the generated descriptor and not by encodeProtobufTraces), so these tests
// check the decoder against an independent encoder.
const protoDir = fileURLToPath(new URL('../../../../proto', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith(protoDir) ? target : join(protoDir, target));
root.loadSync(join(protoDir, 'opentelemetry/proto/collector/trace/v1/trace_service.proto'));
const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

function encode(request: object): Uint8Array {
  const message = Request.fromObject(request);
  const problem = Request.verify(message);
  if (problem) throw new Error(`test request is not valid: ${problem}`);
  return Request.encode(message).finish();
}

const b = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN_A = 'eee19b7ec3c1b174';
const SPAN_B = 'eee19b7ec3c1b173';

function span(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: b(TRACE),
    spanId: b(SPAN_A),
    name: 'op',
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000001000000',
    ...overrides,
  };
}

function request(spans: object[], resourceAttributes: object[] = []): object {
  return { resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 's', version: '1' }, spans }] }] };
}

function decodeOne(spanFields: Record<string, unknown>): Span {
  const result = decodeProtobufTraces(encode(request([span(spanFields)])));
  expect(result.rejected).toEqual([]);
  expect(result.spans).toHaveLength(1);
  return result.spans[0];
}

function attr(key: string, value: object): object {
  return { key, value };
}

// Hand-built wire bytes for nesting deeper than protobufjs's encoder allows.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const field = (tag: number, bytes: ArrayLike<number>): number[] => [tag, ...varint(bytes.length), ...Array.from(bytes)];
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** An AnyValue of `depth` levels: arrayValue{values:[...]} around a string leaf. */
function nestedArray(depth: number): number[] {
  return depth === 1 ? field(0x0a, utf8('leaf')) : field(0x2a, field(0x0a, nestedArray(depth - 1)));
}
/** An AnyValue of `depth` levels: kvlistValue{values:[{key:"k", value: ...}]} around a bool leaf. */
function nestedKvlist(depth: number): number[] {
  return depth === 1 ? [0x10, 0x01] : field(0x32, field(0x0a, [...field(0x0a, utf8('k')), ...field(0x12, nestedKvlist(depth - 1))]));
}
const keyValue = (key: string, anyValueBytes: number[]): number[] => [...field(0x0a, utf8(key)), ...field(0x12, anyValueBytes)];
const SpanType = root.lookupType('opentelemetry.proto.trace.v1.Span');
/** A request with one span (and optionally a resource), with raw bytes appended to the span. */
function requestWithRawSpanTail(spanTail: number[], resourceBytes: number[] = []): Uint8Array {
  const spanBytes = [...SpanType.encode(SpanType.fromObject(span())).finish(), ...spanTail];
  const resourceSpans = [...(resourceBytes.length > 0 ? field(0x0a, resourceBytes) : []), ...field(0x12, field(0x12, spanBytes))];
  return Uint8Array.from(field(0x0a, resourceSpans));
}

describe('decodeProtobufTraces', () => {
  it('decodes resources, scopes, spans, events, links and status exactly', () => {
    const bytes = encode({
      resourceSpans: [
        {
          resource: { attributes: [attr('service.name', { stringValue: 'checkout' }), attr('host.name', { stringValue: 'h1' })] },
          scopeSpans: [
            {
              scope: { name: 'io.fluo.test', version: '2.0.1' },
              spans: [
                span({
                  spanId: b(SPAN_A),
                  parentSpanId: new Uint8Array(0),
                  name: 'GET /cart',
                  kind: 2,
                  traceState: 'vendor=a',
                  startTimeUnixNano: '1700000000123456789',
                  endTimeUnixNano: '1700000000223456789',
                  attributes: [attr('http.response.status_code', { intValue: 500 })],
                  status: { code: 2, message: 'boom' },
                  events: [{ timeUnixNano: '1700000000150000001', name: 'exception', attributes: [attr('exception.type', { stringValue: 'Timeout' })] }],
                  links: [{ traceId: b('0af7651916cd43dd8448eb211c80319c'), spanId: b('b7ad6b7169203331'), traceState: 'x=1', attributes: [attr('k', { boolValue: true })] }],
                  flags: 0x301,
                }),
                span({ spanId: b(SPAN_B), parentSpanId: b(SPAN_A), name: 'SELECT', kind: 3 }),
              ],
            },
          ],
        },
        {
          resource: { attributes: [attr('service.name', { stringValue: 'payments' })] },
          scopeSpans: [{ spans: [span({ traceId: b('0af7651916cd43dd8448eb211c80319c'), name: 'charge', kind: 5 })] }],
        },
      ],
    });
    const { spans, rejected } = decodeProtobufTraces(bytes);
    expect(rejected).toEqual([]);
    expect(spans.map((s) => s.name)).toEqual(['GET /cart', 'SELECT', 'charge']);

    const [root0, child, other] = spans;
    expect(root0.traceId).toBe(TRACE);
    expect(root0.spanId).toBe(SPAN_A);
    expect(root0.parentSpanId).toBeNull();
    expect(root0.isRoot).toBe(true);
    expect(root0.kind).toBe('SERVER');
    expect(root0.traceState).toBe('vendor=a');
    expect(root0.status).toBe('ERROR');
    expect(root0.statusMessage).toBe('boom');
    expect(root0.startTimeUnixNano).toBe('1700000000123456789');
    expect(root0.endTimeUnixNano).toBe('1700000000223456789');
    expect(root0.startTime).toBe(nanosToMillis('1700000000123456789'));
    expect(root0.duration).toBeCloseTo(100, 6);
    expect(root0.service).toBe('checkout');
    expect(root0.scope).toEqual({ name: 'io.fluo.test', version: '2.0.1' });
    expect(root0.attributes['http.response.status_code']).toBe(500);
    expect(root0.attributes['host.name']).toBe('h1'); // resource fallback
    expect(Object.keys(root0.attributes)).toEqual(['http.response.status_code']);
    expect(root0.events).toHaveLength(1);
    expect(root0.events[0].name).toBe('exception');
    expect(root0.events[0].timeUnixNano).toBe('1700000000150000001');
    expect(root0.events[0].attributes['exception.type']).toBe('Timeout');
    expect(root0.links).toHaveLength(1);
    expect(root0.links[0]).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceState: 'x=1' });
    expect(root0.links[0].attributes.k).toBe(true);

    expect(child.parentSpanId).toBe(SPAN_A);
    expect(child.isRoot).toBe(false);
    expect(child.kind).toBe('CLIENT');
    expect(child.status).toBe('UNSET');
    expect(child.resource).toBe(root0.resource); // one resource map per ResourceSpans

    expect(other.service).toBe('payments');
    expect(other.kind).toBe('CONSUMER');
    expect(other.scope).toEqual({ name: '', version: '' });
    expect(other.resource).not.toBe(root0.resource);
  });

  it('decodes every AnyValue type', () => {
    const s = decodeOne({
      attributes: [
        attr('str', { stringValue: 'hello' }),
        attr('empty-str', { stringValue: '' }),
        attr('t', { boolValue: true }),
        attr('f', { boolValue: false }),
        attr('int', { intValue: 42 }),
        attr('zero', { intValue: 0 }),
        attr('neg', { intValue: -7 }),
        attr('max-safe', { intValue: '9007199254740991' }),
        attr('min-safe', { intValue: '-9007199254740991' }),
        attr('above-safe', { intValue: '9007199254740993' }),
        attr('int64-max', { intValue: '9223372036854775807' }),
        attr('int64-min', { intValue: '-9223372036854775808' }),
        attr('double', { doubleValue: 3.25 }),
        attr('double-zero', { doubleValue: 0 }),
        attr('bytes', { bytesValue: b('00ff10ab') }),
        attr('empty-bytes', { bytesValue: new Uint8Array(0) }),
        attr('array', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, { arrayValue: { values: [{ boolValue: false }] } }, {}] } }),
        attr('kvlist', { kvlistValue: { values: [attr('inner', { doubleValue: 1.5 }), attr('deeper', { kvlistValue: { values: [attr('x', { stringValue: 'y' })] } })] } }),
        attr('empty', {}),
        { key: 'no-value' },
        attr('strindex', { stringValueStrindex: 3 }),
      ],
    });
    const a = s.attributes;
    expect(a.str).toBe('hello');
    expect(a['empty-str']).toBe('');
    expect(a.t).toBe(true);
    expect(a.f).toBe(false);
    expect(a.int).toBe(42);
    expect(a.zero).toBe(0);
    expect(a.neg).toBe(-7);
    expect(a['max-safe']).toBe(9007199254740991);
    expect(a['min-safe']).toBe(-9007199254740991);
    expect(a['above-safe']).toBe('9007199254740993');
    expect(a['int64-max']).toBe('9223372036854775807');
    expect(a['int64-min']).toBe('-9223372036854775808');
    expect(a.double).toBe(3.25);
    expect(a['double-zero']).toBe(0);
    expect(a.bytes).toBe('00ff10ab');
    expect(a['empty-bytes']).toBe('');
    expect(a.array).toEqual(['a', 1, [false], null]);
    const kv = a.kvlist as Record<string, unknown>;
    expect(Object.getPrototypeOf(kv)).toBeNull();
    expect(kv.inner).toBe(1.5);
    expect(Object.getPrototypeOf(kv.deeper)).toBeNull();
    expect((kv.deeper as Record<string, unknown>).x).toBe('y');
    expect(a.empty).toBeNull();
    expect(a['no-value']).toBeNull();
    expect(a.strindex).toBeNull(); // profiling-only reference, read as absent
  });

  it('keeps nanoseconds beyond 2^53 exact, including the fixed64 maximum', () => {
    const s = decodeOne({ startTimeUnixNano: '1700000000123456789', endTimeUnixNano: '18446744073709551615' });
    expect(s.startTimeUnixNano).toBe('1700000000123456789');
    expect(s.endTimeUnixNano).toBe('18446744073709551615');
    const small = decodeOne({ startTimeUnixNano: '0', endTimeUnixNano: '4294967296' });
    expect(small.startTimeUnixNano).toBe('0');
    expect(small.endTimeUnixNano).toBe('4294967296');
  });

  it('accepts a missing name and an end before the start', () => {
    const s = decodeOne({ name: undefined, startTimeUnixNano: '2000000000', endTimeUnixNano: '1000000000' });
    expect(s.name).toBe('');
    expect(s.duration).toBe(-1000);
  });

  it('reads an all-zero parentSpanId as a root span', () => {
    expect(decodeOne({ parentSpanId: new Uint8Array(8) }).parentSpanId).toBeNull();
  });

  it('keeps attribute keys such as __proto__ as plain own data', () => {
    const s = decodeOne({
      attributes: [
        attr('__proto__', { stringValue: 'polluted' }),
        attr('constructor', { intValue: 1 }),
        attr('nested', { kvlistValue: { values: [attr('__proto__', { kvlistValue: { values: [attr('isAdmin', { boolValue: true })] } })] } }),
      ],
    });
    expect(Object.keys(s.attributes)).toEqual(['__proto__', 'constructor', 'nested']);
    expect(Object.getOwnPropertyDescriptor(s.attributes, '__proto__')?.value).toBe('polluted');
    expect(Object.getPrototypeOf(s.attributes)).toBe(s.resource);
    expect(s.attributes.constructor).toBe(1);
    const nested = s.attributes.nested as Record<string, unknown>;
    expect(Object.getPrototypeOf(nested)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(nested, '__proto__')?.value).toMatchObject({ isAdmin: true });
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects invalid spans with their paths and keeps the rest', () => {
    const bytes = encode({
      resourceSpans: [
        {
          scopeSpans: [
            { spans: [span({ name: 'ok' })] },
            {
              spans: [
                span({ traceId: b('00112233445566778899aabbccddee'), name: 'short trace id' }),
                span({ spanId: new Uint8Array(8), name: 'zero span id' }),
                span({ parentSpanId: b('0102030405'), name: 'bad parent' }),
                span({ traceId: new Uint8Array(0), name: 'missing trace id' }),
                span({ traceId: new Uint8Array(16), name: 'zero trace id' }),
                span({ links: [{ traceId: b(TRACE), spanId: b(SPAN_B) }, { traceId: b(TRACE), spanId: b('01') }], name: 'bad link' }),
                span({ name: 'ok too', spanId: b(SPAN_B) }),
              ],
            },
          ],
        },
      ],
    });
    const { spans, rejected } = decodeProtobufTraces(bytes);
    expect(spans.map((s) => s.name)).toEqual(['ok', 'ok too']);
    const p = 'resourceSpans[0].scopeSpans[1].spans';
    expect(rejected.map((r) => r.path)).toEqual([
      `${p}[0].traceId`,
      `${p}[1].spanId`,
      `${p}[2].parentSpanId`,
      `${p}[3].traceId`,
      `${p}[4].traceId`,
      `${p}[5].links[1].spanId`,
    ]);
    expect(rejected[0].message).toBe('traceId must be 16 bytes, got 15 bytes');
    expect(rejected[1].message).toMatch(/all zeros/);
    expect(rejected[2].message).toMatch(/parentSpanId must be empty \(root span\) or 8 bytes, got 5 bytes/);
    expect(rejected[3].message).toMatch(/missing or empty/);
    expect(rejected[5].message).toBe('spanId must be 8 bytes, got 1 bytes');
  });

  it('rejects a span whose attribute nests deeper than the limit, with the path to it', () => {
    const ok = decodeProtobufTraces(requestWithRawSpanTail(field(0x4a, keyValue('deep', nestedArray(32)))));
    expect(ok.rejected).toEqual([]);
    let v: unknown = ok.spans[0].attributes.deep;
    for (let i = 1; i < 32; i++) v = (v as unknown[])[0];
    expect(v).toBe('leaf');

    const tooDeep = requestWithRawSpanTail([...field(0x4a, keyValue('x', [0x18, 0x01])), ...field(0x4a, keyValue('deep', nestedArray(33)))]);
    const { spans, rejected } = decodeProtobufTraces(tooDeep);
    expect(spans).toEqual([]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].path).toBe(`resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value${'.arrayValue.values[0]'.repeat(32)}`);
    expect(rejected[0].message).toBe('attribute value is nested more than 32 levels deep');

    // Span.events (field 11) with an Event whose attributes (field 3) nest too deep.
    const eventBytes = [...field(0x12, utf8('e')), ...field(0x1a, keyValue('deep', nestedArray(33)))];
    const ev = decodeProtobufTraces(requestWithRawSpanTail(field(0x5a, eventBytes)));
    expect(ev.spans).toEqual([]);
    expect(ev.rejected[0].path).toBe(`resourceSpans[0].scopeSpans[0].spans[0].events[0].attributes[0].value${'.arrayValue.values[0]'.repeat(32)}`);

    // Key-value lists cost three messages a level, so protobufjs's own limit
    // (100 messages) is what stops them, a little before 32 levels.
    const kv = decodeProtobufTraces(requestWithRawSpanTail(field(0x4a, keyValue('deep', nestedKvlist(30)))));
    expect(kv.rejected).toEqual([]);
    let m: unknown = kv.spans[0].attributes.deep;
    for (let i = 1; i < 30; i++) m = (m as Record<string, unknown>).k;
    expect(m).toBe(true);
    expect(() => decodeProtobufTraces(requestWithRawSpanTail(field(0x4a, keyValue('deep', nestedKvlist(33)))))).toThrow(/nested more than 100 levels deep/);
  });

  it('fails the whole request when messages nest beyond protobufjs limit', () => {
    const bytes = requestWithRawSpanTail(field(0x4a, keyValue('deep', nestedArray(60))));
    expect(() => decodeProtobufTraces(bytes)).toThrow(/nested more than 100 levels deep/);
    // Far deeper input must fail the same way, not overflow the stack.
    expect(() => decodeProtobufTraces(requestWithRawSpanTail(field(0x4a, keyValue('deep', nestedArray(3000)))))).toThrow(OtlpDecodeError);
  });

  it('rejects every span under a resource whose attributes are invalid', () => {
    const resource = [...field(0x0a, keyValue('ok', [0x18, 0x01])), ...field(0x0a, keyValue('bad', nestedArray(40)))];
    const bad = requestWithRawSpanTail([], resource);
    const good = encode(request([span({ name: 'fine' })]));
    const { spans, rejected } = decodeProtobufTraces(Uint8Array.from([...bad, ...good])); // concatenated requests merge
    expect(spans.map((s) => s.name)).toEqual(['fine']);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].path).toBe(`resourceSpans[0].resource.attributes[1].value${'.arrayValue.values[0]'.repeat(32)}`);
    expect(rejected[0].message).toBe('attribute value is nested more than 32 levels deep (span resourceSpans[0].scopeSpans[0].spans[0] rejected with its resource)');
  });

  it('decodes an empty request', () => {
    expect(decodeProtobufTraces(new Uint8Array(0))).toEqual({ spans: [], rejected: [] });
  });

  it('ignores unknown fields (forward compatibility)', () => {
    const known = encode(request([span()]));
    // Field 99 (varint) and field 100 (length-delimited) appended to the request.
    const withUnknown = new Uint8Array([...known, 0x98, 0x06, 0x01, 0xa2, 0x06, 0x02, 0x41, 0x42]);
    expect(decodeProtobufTraces(withUnknown).spans).toHaveLength(1);
  });

  it('treats a known field sent with another valid wire type as missing', () => {
    // A Span whose field 1 (trace_id) is a varint instead of bytes: protobuf
    // runtimes skip it, so the span has no trace id and is rejected.
    const spanBytes = new Uint8Array([0x08, 0x05, 0x12, 0x08, ...b(SPAN_A)]);
    const scopeSpans = new Uint8Array([0x12, spanBytes.length, ...spanBytes]);
    const resourceSpans = new Uint8Array([0x12, scopeSpans.length, ...scopeSpans]);
    const req = new Uint8Array([0x0a, resourceSpans.length, ...resourceSpans]);
    const { spans, rejected } = decodeProtobufTraces(req);
    expect(spans).toEqual([]);
    expect(rejected).toEqual([{ path: 'resourceSpans[0].scopeSpans[0].spans[0].traceId', message: 'traceId must be 16 bytes, got none (missing or empty)' }]);
  });

  describe('malformed input', () => {
    const valid = encode(request([span({ attributes: [attr('k', { stringValue: 'value' })] })]));

    function decodeError(bytes: Uint8Array): OtlpDecodeError {
      try {
        decodeProtobufTraces(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(OtlpDecodeError);
        return err as OtlpDecodeError;
      }
      throw new Error('expected an OtlpDecodeError');
    }

    it('reports truncated bytes', () => {
      const err = decodeError(valid.subarray(0, valid.length - 3));
      expect(err.code).toBe('OTLP_PROTOBUF');
      expect(err.message).toMatch(/^not a valid OTLP ExportTraceServiceRequest protobuf message \(\d+ bytes\): truncated/);
      expect(err.cause).toBeInstanceOf(Error);
    });

    it('never fails any other way on any prefix of a valid request', () => {
      for (let n = 0; n < valid.length; n++) {
        try {
          decodeProtobufTraces(valid.subarray(0, n));
        } catch (err) {
          expect(err).toBeInstanceOf(OtlpDecodeError);
        }
      }
    });

    it('reports impossible wire types with the byte offset', () => {
      expect(decodeError(new Uint8Array([0x0f])).message).toMatch(/invalid wire type 7 at byte offset \d+/);
      expect(decodeError(new Uint8Array([0x0e, 0x00])).message).toMatch(/invalid wire type 6/);
      // An end-group tag with no group open.
      expect(decodeError(new Uint8Array([0x0c])).message).toMatch(/invalid wire type 4/);
    });

    it('reports a length that runs past the end', () => {
      expect(decodeError(new Uint8Array([0x0a, 0x05, 0x01])).message).toMatch(/truncated/);
      expect(decodeError(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])).message).toMatch(/invalid length encoding|truncated/);
    });

    it('reports field number 0', () => {
      expect(decodeError(new Uint8Array([0x00, 0x00])).message).toMatch(/field number 0/);
    });

    it('reports a string field that is not UTF-8', () => {
      const spanBytes = new Uint8Array([0x2a, 0x02, 0xc3, 0x28]); // name = invalid UTF-8
      const scopeSpans = new Uint8Array([0x12, spanBytes.length, ...spanBytes]);
      const resourceSpans = new Uint8Array([0x12, scopeSpans.length, ...scopeSpans]);
      const req = new Uint8Array([0x0a, resourceSpans.length, ...resourceSpans]);
      expect(decodeError(req).message).toMatch(/UTF-8/);
    });

    it('rejects input that is not a Uint8Array', () => {
      expect(decodeError('{}' as unknown as Uint8Array).message).toMatch(/must be a Uint8Array, got string/);
    });

    it('never throws anything but OtlpDecodeError for random bytes (property)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          try {
            const result = decodeProtobufTraces(bytes);
            expect(Array.isArray(result.spans) && Array.isArray(result.rejected)).toBe(true);
          } catch (err) {
            if (!(err instanceof OtlpDecodeError)) throw err;
          }
        }),
        { numRuns: 3000 },
      );
    });

    it('never throws anything but OtlpDecodeError for mutated valid requests (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
          const bytes = Uint8Array.from(valid);
          for (const [at, value] of edits) bytes[at] = value;
          try {
            decodeProtobufTraces(bytes);
          } catch (err) {
            if (!(err instanceof OtlpDecodeError)) throw err;
          }
        }),
        { numRuns: 3000 },
      );
    });
  });
});
