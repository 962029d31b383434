/**
 * The hand-written decoder against its oracle, the protobufjs-based decoder,
 * on the same bytes: valid requests using every field of trace.proto,
 * requests with unknown fields, groups, repeated singular messages and
 * oneof switches, and mutated (fuzzed) bytes. On every input both reject the
 * request (OtlpDecodeError) or both return equal spans and rejections.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { releaseAttributes, releaseSpans, type AttributeValue, type Span, type SpanRecord } from '../trace/span.js';
import { decodeProtobufTracesWithProtobufjs } from './decodeProtobufTraces.js';
import { decodeProtobufTracesFast } from './decodeProtobufTracesFast.js';
import { encodeTracesDataAsReceived } from './encodeTracesDataAsReceived.js';
import type { DecodedTraces } from './decodedTraces.js';
import { OtlpDecodeError } from './otlpDecodeError.js';

const protoDir = fileURLToPath(new URL('../../../../proto', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith(protoDir) ? target : join(protoDir, target));
root.loadSync(join(protoDir, 'opentelemetry/proto/collector/trace/v1/trace_service.proto'));
const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

function encode(request: object): Uint8Array {
  return Request.encode(Request.fromObject(request)).finish();
}

/** Attribute values and maps as plain data in key order (prototype chains and hidden classes aside). */
function plain(value: AttributeValue): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.keys(value).map((k) => [k, plain(value[k])]);
  return value;
}

const SPAN_FIELD_NAMES_FOR_TEST = [
  'traceId', 'spanId', 'parentSpanId', 'traceState', 'name', 'kind', 'status', 'statusMessage', 'startTime', 'endTime',
  'startNanosWithinMilli', 'endNanosWithinMilli', 'duration', 'startTimeUnixNano', 'endTimeUnixNano', 'service', 'scope', 'isRoot',
] as const;

function plainSpan(s: Span): unknown {
  // Every field of the model, read through the span's accessors (trace/span.ts keeps some shared, packed or released).
  return {
    ...Object.fromEntries(SPAN_FIELD_NAMES_FOR_TEST.map((k) => [k, s[k]])),
    attributes: plain(s.attributes),
    resource: plain(s.resource),
    events: s.events.map((e) => ({ ...e, attributes: plain(e.attributes) })),
    links: s.links.map((l) => ({ ...l, attributes: plain(l.attributes) })),
    parent: null,
    children: [],
    // Where the span was in the request: the oracle does not know (checked by expectSameAsOracle through what it enables).
    source: null,
    sourceOffset: 0,
  };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function run(decode: (b: Uint8Array) => DecodedTraces, bytes: Uint8Array): Outcome {
  try {
    const decoded = decode(bytes);
    return { ok: true, value: { spans: decoded.spans.map(plainSpan), rejected: decoded.rejected } };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Arrival mode's keys in the tests: some of the generated keys (`text`), so that attributes of both kinds are on most spans. */
const ARRIVAL_KEYS: ReadonlySet<string> = new Set(['service.name', 'http.route', '', 'é', '__proto__']);
const decodeArriving = (bytes: Uint8Array): DecodedTraces => decodeProtobufTracesFast(bytes, { attributeKeys: ARRIVAL_KEYS });

/**
 * Both decoders on the same bytes: the same verdict, and equal results when
 * accepted. The fast decoder in arrival mode too: the same verdict and
 * error as in full mode, each attribute read by key (from the partial map
 * or the bytes) and the whole map as the oracle decoded them.
 */
function expectSameAsOracle(bytes: Uint8Array): void {
  const oracle = run(decodeProtobufTracesWithProtobufjs, bytes);
  const fast = run(decodeProtobufTracesFast, bytes);
  const arriving = run(decodeArriving, bytes);
  try {
    if (!fast.ok) {
      if (arriving.ok) throw new Error(`arrival mode accepts bytes full decoding rejects (${(fast.error as Error).message}): ${Buffer.from(bytes).toString('hex')}`);
      expect((arriving.error as Error).message).toBe((fast.error as Error).message);
    } else {
      expect(arriving.ok && arriving.value).toEqual(fast.value);
      const oracleSpans = decodeProtobufTracesWithProtobufjs(bytes).spans;
      decodeArriving(bytes).spans.forEach((span, i) => {
        const expected = oracleSpans[i].attributes;
        const keys = new Set<string>(['absent', ...ARRIVAL_KEYS]);
        for (const key in expected) keys.add(key);
        for (const key of keys) expect((span as SpanRecord).attribute(key), `attribute '${key}' on arrival`).toEqual(expected[key]);
      });
    }
  } finally {
    releaseAttributes();
  }
  if (!oracle.ok) {
    expect(oracle.error).toBeInstanceOf(OtlpDecodeError);
    if (fast.ok) throw new Error(`the oracle rejects these bytes (${(oracle.error as Error).message}) but the fast decoder accepts them: ${Buffer.from(bytes).toString('hex')}`);
    expect(fast.error).toBeInstanceOf(OtlpDecodeError);
    expect((fast.error as OtlpDecodeError).code).toBe('OTLP_PROTOBUF');
    return;
  }
  if (!fast.ok) throw new Error(`the fast decoder rejects bytes the oracle accepts (${(fast.error as Error).message}): ${Buffer.from(bytes).toString('hex')}`);
  expect(fast.value).toEqual(oracle.value);
  // The accepted spans written as received (Span.source) read back, by the oracle, as the same spans without the rejected ones.
  const stored = run(decodeProtobufTracesWithProtobufjs, encodeTracesDataAsReceived(decodeProtobufTracesFast(bytes).spans));
  if (!stored.ok) throw new Error(`the spans written as received do not decode (${(stored.error as Error).message}): ${Buffer.from(bytes).toString('hex')}`);
  expect(stored.value).toEqual({ spans: (oracle.value as { spans: unknown[] }).spans, rejected: [] });
  // A released span reads one attribute from its bytes (SpanRecord.attribute) as the oracle decoded it, its resource's included.
  const oracleSpans = decodeProtobufTracesWithProtobufjs(bytes).spans;
  decodeProtobufTracesFast(bytes).spans.forEach((span, i) => {
    releaseSpans([span]);
    const expected = oracleSpans[i].attributes;
    const keys = new Set<string>(['absent', '', '__proto__']);
    for (const key in expected) keys.add(key);
    for (const key of keys) expect((span as SpanRecord).attribute(key), `attribute '${key}'`).toEqual(expected[key]);
    releaseAttributes();
  });
}

const idBytes = (length: number) => fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ minLength: length, maxLength: length }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: length + 2 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(length)) },
);
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('service.name', 'http.route', 'db.system', '', 'é', '🙂', '__proto__'));
const fixed64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);

const { anyValue } = fc.letrec((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: text }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 6 }) }),
    fc.record({ stringValueStrindex: fc.integer({ min: 0, max: 1000 }) }),
    fc.constant({}),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('anyValue'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(tie('keyValue'), { maxLength: 3 }) }) }),
  ),
  keyValue: fc.record({ key: text, value: tie('anyValue') }, { requiredKeys: ['key'] }),
}));
const keyValues = fc.array(fc.record({ key: text, value: anyValue }, { requiredKeys: ['key'] }), { maxLength: 5 });

const spanArb = fc.record({
  traceId: idBytes(16),
  spanId: idBytes(8),
  traceState: text,
  parentSpanId: idBytes(8),
  flags: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  name: text,
  kind: fc.integer({ min: 0, max: 6 }),
  startTimeUnixNano: fixed64,
  endTimeUnixNano: fixed64,
  attributes: keyValues,
  droppedAttributesCount: fc.nat(),
  events: fc.array(fc.record({ timeUnixNano: fixed64, name: text, attributes: keyValues, droppedAttributesCount: fc.nat() }), { maxLength: 2 }),
  droppedEventsCount: fc.nat(),
  links: fc.array(fc.record({ traceId: idBytes(16), spanId: idBytes(8), traceState: text, attributes: keyValues, droppedAttributesCount: fc.nat(), flags: fc.nat() }), { maxLength: 2 }),
  droppedLinksCount: fc.nat(),
  status: fc.record({ message: text, code: fc.integer({ min: 0, max: 3 }) }),
}, { requiredKeys: ['traceId', 'spanId', 'name'] });

const requestArb = fc.record({
  resourceSpans: fc.array(fc.record({
    resource: fc.record({
      attributes: keyValues,
      droppedAttributesCount: fc.nat(),
      entityRefs: fc.array(fc.record({ schemaUrl: text, type: text, idKeys: fc.array(text, { maxLength: 2 }), descriptionKeys: fc.array(text, { maxLength: 2 }) }), { maxLength: 2 }),
    }, { requiredKeys: [] }),
    scopeSpans: fc.array(fc.record({
      scope: fc.record({ name: text, version: text, attributes: keyValues, droppedAttributesCount: fc.nat() }, { requiredKeys: [] }),
      spans: fc.array(spanArb, { maxLength: 3 }),
      schemaUrl: text,
    }, { requiredKeys: ['spans'] }), { maxLength: 2 }),
    schemaUrl: text,
  }, { requiredKeys: ['scopeSpans'] }), { maxLength: 2 }),
});

/** Byte-level mutations: overwrite, insert, delete, truncate, append raw fields (unknown, groups, wrong wire types). */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.op === 'set') { if (out.length > 0) out[at % out.length] = m.byte; }
    else if (m.op === 'insert') out.splice(at, 0, ...m.bytes);
    else if (m.op === 'delete') out.splice(at, m.count);
    else out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

const hex = (h: string): Uint8Array => Uint8Array.from((h.match(/../g) ?? []).map((x) => parseInt(x, 16)));

describe('decodeProtobufTracesFast against the protobufjs oracle', () => {
  it('decodes valid requests using every field of trace.proto to the same spans and rejections', () => {
    fc.assert(fc.property(requestArb, (request) => expectSameAsOracle(encode(request))), { numRuns: 400 });
  });

  it('gives the same verdict and result on mutated bytes', () => {
    fc.assert(fc.property(requestArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (request, mutations) => {
      expectSameAsOracle(mutate(encode(request), mutations));
    }), { numRuns: 3000 });
  });

  it('agrees on concatenated messages (repeated singular messages merge, oneofs take the last member)', () => {
    fc.assert(fc.property(requestArb, requestArb, (a, b) => {
      // Protobuf concatenation is merging: spans of both, and inside crafted
      // duplicates below, singular fields merged.
      const joined = new Uint8Array([...encode(a), ...encode(b)]);
      expectSameAsOracle(joined);
    }), { numRuns: 200 });
    // A span whose status, kind and name appear twice, and an attribute whose value switches oneof members and merges arrays.
    const traceId = '0a10' + '11'.repeat(16);
    const spanId = '1208' + '22'.repeat(8);
    const kv = (body: string) => '4a' + (body.length / 2).toString(16).padStart(2, '0') + body;
    const attr = kv('0a0161' + '1203' + '0a0178' + '1206' + '2a04' + '0a021801' + '1206' + '2a04' + '0a021802' + '1202' + '1805');
    const attr2 = kv('0a0162' + '1203' + '0a0178' + '1206' + '2a04' + '0a021801' + '1206' + '2a04' + '0a021802');
    const spanBody = traceId + spanId + '2a0161' + '2a0162' + '3002' + '3003' + '7a04' + '1801' + '1200' + '7a02' + '1802' + attr + attr2;
    const scopeSpans = '12' + (spanBody.length / 2).toString(16).padStart(2, '0') + spanBody;
    const resourceSpans = '12' + (scopeSpans.length / 2).toString(16).padStart(2, '0') + scopeSpans;
    const request = hex('0a' + (resourceSpans.length / 2).toString(16).padStart(2, '0') + resourceSpans);
    expectSameAsOracle(request);
    const decoded = decodeProtobufTracesFast(request);
    expect(decoded.spans[0]).toMatchObject({ name: 'b', kind: 'CLIENT', status: 'ERROR' });
    expect(decoded.spans[0].attributes.a).toBe(5);
    expect(decoded.spans[0].attributes.b).toEqual([1, 2]);
  });

  it('skips unknown fields of every wire type, and groups, where the oracle does', () => {
    const cases = [
      '', // empty request
      '08 01', // unknown varint at the top
      '11 0102030405060708', // unknown fixed64
      '15 01020304', // unknown fixed32
      '1a 03 616263', // unknown length-delimited
      '1b 08 01 1c', // group 3 with a varint inside, ended
      '1b 0c', // group 3 ended by the wrong field number
      '1b', // group never ended
      '0a 02 08 01', // resourceSpans with an unknown varint
      '0a 03 0a 01 00', // resource with a field number 0 inside
      '0a 00 0a 00', // two empty resourceSpans
      '0a 02 12 00', // empty scopeSpans
      '08 ff ff ff ff ff ff ff ff ff 01', // 10-byte varint
      '08 ff ff ff ff ff ff ff ff ff ff 01', // 11-byte varint (skipped varints have no limit in protobufjs)
      '0a 05 12 03 12 01 ff', // a span of one byte
      '0a 06 12 04 12 02 2a 00', // a span with an empty name (rejected for its ids)
      '0a 07 12 05 12 03 2a 01 ff', // invalid UTF-8 in a span name
      '0a 07 12 05 12 03 30 ff ff', // truncated varint
      '0a 06 12 04 12 02 0f 00', // wire type 7
      '0a 06 12 04 12 02 2e 00', // wire type 6
      '0a 06 12 04 12 02 2c 00', // end group without a group
      '0a 07 12 05 12 03 28 01 00', // name with the wrong wire type (varint): skipped
      '0a 08 12 06 12 04 7a 02 12 ff', // status message truncated
      '0a 0a 12 08 12 06 85 01 01 02 03 04', // flags (field 16)
      '0a 09 12 07 12 05 85 01 01 02 03', // flags truncated
      '0a 05 0a 80 80 80 80 00', // a length of 5 bytes (allowed when the 5th is small)
    ];
    for (const c of cases) expectSameAsOracle(hex(c.replaceAll(' ', '')));
  });

  it('agrees at the nesting limit (100 messages) and the attribute depth limit (32 values)', () => {
    for (const depth of [28, 31, 32, 33, 40, 46, 47, 48, 60]) {
      let value = '0a0178'; // stringValue 'x'
      for (let i = 0; i < depth; i++) {
        const array = '0a' + lengthHex(value) + value; // ArrayValue.values
        value = '2a' + lengthHex(array) + array; // AnyValue.arrayValue
      }
      const keyValue = '0a0161' + '12' + lengthHex(value) + value;
      const span = '0a10' + '11'.repeat(16) + '1208' + '22'.repeat(8) + '4a' + lengthHex(keyValue) + keyValue;
      const scopeSpans = '12' + lengthHex(span) + span;
      const resourceSpans = '12' + lengthHex(scopeSpans) + scopeSpans;
      expectSameAsOracle(hex('0a' + lengthHex(resourceSpans) + resourceSpans));
    }
  });
});

function lengthHex(bodyHex: string): string {
  let n = bodyHex.length / 2;
  let out = '';
  do {
    let byte = n & 127;
    n >>>= 7;
    if (n > 0) byte |= 128;
    out += byte.toString(16).padStart(2, '0');
  } while (n > 0);
  return out;
}

describe('decodeProtobufTracesFast on reused buffers', () => {
  it('keeps no view of the request: a buffer rewritten in place with other trace ids decodes to those ids', () => {
    // Receivers may hand over pooled Buffers that Node reuses for the next request.
    const body = (traceByte: number) => encode({ resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: new Uint8Array(16).fill(traceByte), spanId: new Uint8Array(8).fill(1), name: 'a' },
      { traceId: new Uint8Array(16).fill(traceByte), spanId: new Uint8Array(8).fill(2), name: 'b' },
    ] }] }] });
    const pooled = Buffer.from(body(0x11));
    expect(decodeProtobufTracesFast(pooled).spans.map((s) => s.traceId)).toEqual(['11'.repeat(16), '11'.repeat(16)]);
    pooled.set(body(0x22));
    expect(decodeProtobufTracesFast(pooled).spans.map((s) => s.traceId)).toEqual(['22'.repeat(16), '22'.repeat(16)]);
    expectSameAsOracle(pooled);
  });
});

describe('decodeProtobufTracesFast: the span model it builds', () => {
  const ids = (t: number, s: number) => ({ traceId: new Uint8Array(16).fill(t), spanId: new Uint8Array(8).fill(s) });

  it('writes nanosecond times as exact decimal text, equal to the oracle, at every digit-count boundary and the extremes', () => {
    const times = [
      0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n,
      10n ** 17n - 1n, 10n ** 17n, 10n ** 18n - 1n, 10n ** 18n, 10n ** 18n + 9_999_999n, 1_763_990_000_123_456_789n,
      10n ** 19n - 1n, 10n ** 19n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
    ];
    for (const t of times) {
      const request = encode({ resourceSpans: [{ scopeSpans: [{ spans: [{
        ...ids(1, 2), name: 'a', startTimeUnixNano: String(t), endTimeUnixNano: String(t),
        events: [{ name: 'e', timeUnixNano: String(t) }],
      }] }] }] });
      expectSameAsOracle(request);
      const [span] = decodeProtobufTracesFast(request).spans;
      expect(span.startTimeUnixNano).toBe(t.toString());
      expect(span.endTimeUnixNano).toBe(t.toString());
      expect(span.events[0].timeUnixNano).toBe(t.toString());
    }
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (t) => {
      const request = encode({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...ids(1, 2), name: 'a', startTimeUnixNano: String(t) }] }] }] });
      expect(decodeProtobufTracesFast(request).spans[0].startTimeUnixNano).toBe(t.toString());
    }), { numRuns: 2000 });
  });

  it('shares equal resources across requests and keeps unequal ones apart (same values as the oracle either way)', () => {
    const resources = [
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { stringValue: '1' } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { intValue: 1 } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { doubleValue: 1.5 } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { boolValue: true } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { stringValue: 'true' } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { doubleValue: -0 } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { doubleValue: 0 } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { doubleValue: NaN } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { doubleValue: Infinity } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { bytesValue: new Uint8Array([1]) } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { arrayValue: { values: [{ intValue: 1 }] } } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n' }],
      [{ key: 'n', value: { stringValue: '1' } }, { key: 'service.name', value: { stringValue: 'checkout' } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'n', value: { stringValue: '1' } }, { key: 'n', value: { stringValue: '2' } }],
      [{ key: 'service.name', value: { stringValue: 'checkout"],["x' } }],
      [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: '__proto__', value: { stringValue: 'x' } }],
      [],
    ];
    const request = (attributes: object[], name: string) => encode({ resourceSpans: [{ resource: { attributes }, scopeSpans: [{ spans: [
      { ...ids(3, 4), name, attributes: [{ key: 'constructor', value: { stringValue: name } }, { key: 'n', value: { intValue: 7 } }] },
    ] }] }] });
    // Twice over, in both orders, so each decode meets the table filled by the others.
    for (const order of [resources, [...resources].reverse()]) {
      for (const attributes of order) expectSameAsOracle(request(attributes, 'x'));
    }
    const first = decodeProtobufTracesFast(request(resources[0], 'a')).spans[0];
    const again = decodeProtobufTracesFast(request(resources[0], 'b')).spans[0];
    const other = decodeProtobufTracesFast(request(resources[1], 'c')).spans[0];
    expect(again.resource).toBe(first.resource);
    expect(other.resource).not.toBe(first.resource);
    expect(other.resource.n).toBe(1);
    expect(first.resource.n).toBe('1');
    for (const span of [first, again, other]) {
      expect(Object.getPrototypeOf(span.attributes)).toBe(span.resource);
      expect(Object.getPrototypeOf(span.resource)).toBeNull();
      expect(Object.keys(span.attributes)).toEqual(['constructor', 'n']);
      expect(span.attributes.n).toBe(7); // the span's own value over the resource's
      expect(span.attributes['service.name']).toBe('checkout');
      expect(span.attributes.toString).toBeUndefined();
      expect(span.attributes.hasOwnProperty).toBeUndefined();
    }
    expect(again.attributes.constructor).toBe('b');
    // A nested resource value is not interned: equal text, separate objects.
    const nested = () => decodeProtobufTracesFast(request(resources[10], 'd')).spans[0].resource;
    expect(nested()).not.toBe(nested());
  });

  it('bounds what the resource table keeps alive: large resources are not interned, and the table is cleared by size', () => {
    const request = (value: string) => encode({ resourceSpans: [{ resource: { attributes: [{ key: 'host.name', value: { stringValue: value } }] }, scopeSpans: [{ spans: [
      { ...ids(5, 6), name: 's' },
    ] }] }] });
    const resourceOf = (value: string) => decodeProtobufTracesFast(request(value)).spans[0].resource;
    // Over 16 Ki characters of key text: decoded equal, never shared.
    const large = 'x'.repeat(20_000);
    expect(resourceOf(large)).not.toBe(resourceOf(large));
    expect(resourceOf(large)['host.name']).toBe(large);
    // 300 distinct resources of 15,000 characters (4.5 M, fewer than the 1,024 entries) clear the table: the first is new again.
    const first = resourceOf(`0${'y'.repeat(15_000)}`);
    expect(resourceOf(`0${'y'.repeat(15_000)}`)).toBe(first);
    for (let i = 1; i <= 300; i++) resourceOf(`${i}${'y'.repeat(15_000)}`);
    expect(resourceOf(`0${'y'.repeat(15_000)}`)).not.toBe(first);
  });

  it('tells apart interned strings and trace ids that share a hash slot (same length, same first and last bytes)', () => {
    // The intern hash reads the first and last 8 bytes of a string, the trace id hash the first and last 4.
    const values = ['aaaaaaaaXbbbbbbbb', 'aaaaaaaaYbbbbbbbb', 'aaaaaaaaXXXbbbbbbbb', 'aaaaaaaaYYYbbbbbbbb'];
    const traceIds = [0x10, 0x20, 0x30].map((middle) => Uint8Array.from({ length: 16 }, (_, i) => (i >= 4 && i < 12 ? middle : 0x77)));
    for (let round = 0; round < 3; round++) {
      const spans = values.flatMap((value, v) => traceIds.map((traceId, t) => ({
        traceId, spanId: new Uint8Array(8).fill(1 + v * 3 + t), name: value, attributes: [{ key: value, value: { stringValue: value } }],
      })));
      const request = encode({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
      expectSameAsOracle(request);
      const decoded = decodeProtobufTracesFast(request).spans;
      expect(decoded.map((s) => s.name)).toEqual(values.flatMap((v) => traceIds.map(() => v)));
      expect(new Set(decoded.map((s) => s.traceId)).size).toBe(3);
    }
  });

  it('shares one frozen empty array for spans without events, links or children; linking gives each span its own children', async () => {
    const { linkSpans } = await import('../trace/linkSpans.js');
    const request = encode({ resourceSpans: [{ scopeSpans: [{ spans: [
      { ...ids(5, 1), name: 'root' },
      { ...ids(5, 2), parentSpanId: new Uint8Array(8).fill(1), name: 'child', events: [{ name: 'e', timeUnixNano: '5' }] },
    ] }] }] });
    const [root, child] = decodeProtobufTracesFast(request).spans;
    expect(root.events).toEqual([]);
    expect(Object.isFrozen(root.events) && Object.isFrozen(root.links) && Object.isFrozen(root.children)).toBe(true);
    expect(() => (root.events as unknown[]).push(1)).toThrow(TypeError);
    expect(child.events).toHaveLength(1);
    const { NO_EXTRAS } = await import('../trace/span.js');
    expect((root as unknown as { extras: unknown }).extras).toBe(NO_EXTRAS); // one shared object for the fields most spans leave empty
    expect((child as unknown as { extras: unknown }).extras).not.toBe(NO_EXTRAS);
    linkSpans([root, child]);
    expect(root.children).toEqual([child]);
    expect(child.children).toEqual([]);
    expect(child.children).not.toBe(root.children);
  });
});

describe('decodeProtobufTracesFast in arrival mode (DecodeOptions.attributeKeys)', () => {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
    out.push(n);
    return out;
  };
  const field = (tag: number, body: number[]): number[] => [tag, ...varint(body.length), ...body];
  const utf8 = (s: string): number[] => [...Buffer.from(s)];
  const INVALID_UTF8 = [0xc3, 0x28];
  /** A KeyValue's fields: its key, then its AnyValue's bytes unless null. */
  const kv = (key: number[], value: number[] | null): number[] => [...field(0x0a, key), ...(value === null ? [] : field(0x12, value))];
  const stringValue = (s: string | number[]) => field(0x0a, typeof s === 'string' ? utf8(s) : s);
  const nested = (depth: number): number[] => (depth === 0 ? [0x10, 1] : field(0x2a, field(0x0a, nested(depth - 1))));
  /** A request of one span whose attributes are these KeyValue bodies. */
  const request = (kvs: number[][]): Uint8Array => {
    const span = [...field(0x0a, Array(16).fill(0x11)), ...field(0x12, Array(8).fill(0x22)), ...field(0x2a, utf8('s')), ...kvs.flatMap((k) => field(0x4a, k))];
    return Uint8Array.from(field(0x0a, field(0x12, field(0x12, span))));
  };

  /**
   * Arrival mode against full mode and the oracle on one request
   * (expectSameAsOracle: the same verdict and error, the same attributes read
   * one by one, then whole); the arrival-mode result, or null when refused.
   */
  function expectSameAsFull(bytes: Uint8Array): DecodedTraces | null {
    expectSameAsOracle(bytes);
    try {
      return decodeArriving(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(OtlpDecodeError);
      return null;
    }
  }

  it('decodes only the arrival keys\' attributes; the others are read from the bytes, and the whole map decoded when read', () => {
    const bytes = request([kv(utf8('http.route'), stringValue('/a')), kv(utf8('thread.name'), stringValue('main')), kv(utf8('n'), [0x18, 7])]);
    const [span] = decodeArriving(bytes).spans as SpanRecord[];
    expect(Object.keys(span.attributeMap!)).toEqual(['http.route']);
    expect(span.attribute('http.route')).toBe('/a');
    expect(span.attribute('thread.name')).toBe('main');
    expect(span.attribute('n')).toBe(7);
    expect(plain(span.attributes)).toEqual([['http.route', '/a'], ['thread.name', 'main'], ['n', 7]]);
    expect(Object.keys(span.attributeMap!)).toEqual(['http.route', 'thread.name', 'n']);
    releaseAttributes();
    expect(span.attributeMap).toBeNull();
    expect(span.attribute('thread.name')).toBe('main');
    releaseAttributes();
    // A span without an arrival key's attribute shares no map it could write into: reading its map gives its own.
    const [a, b] = decodeArriving(Uint8Array.from([...request([kv(utf8('x'), stringValue('1'))]), ...request([kv(utf8('x'), stringValue('2'))])])).spans;
    expect(a.attributes).not.toBe(b.attributes);
    expect([a.attributes.x, b.attributes.x]).toEqual(['1', '2']);
    releaseAttributes();
  });

  it('accepts and rejects what full decoding does, with the same error: strings that are not UTF-8, keys, error order', () => {
    // Not UTF-8: in a value under another key, under an arrival key, in a key.
    expect(expectSameAsFull(request([kv(utf8('other'), stringValue(INVALID_UTF8))]))).toBeNull();
    expect(expectSameAsFull(request([kv(utf8('http.route'), stringValue(INVALID_UTF8))]))).toBeNull();
    expect(expectSameAsFull(request([kv(INVALID_UTF8, stringValue('x'))]))).toBeNull();
    // A value whose contents are truncated, before a key that is not UTF-8: full decoding finds the value's problem first.
    expect(expectSameAsFull(request([[...field(0x12, [0x0a, 5, 0x61]), ...field(0x0a, INVALID_UTF8)]]))).toBeNull();
    // Valid UTF-8 beyond ASCII, long strings, every scalar, an empty value and none.
    const ok = expectSameAsFull(request([
      kv(utf8('é'), stringValue('café')), kv(utf8('long'), stringValue('x'.repeat(100) + 'é')), kv(utf8('b'), [0x10, 1]),
      kv(utf8('i'), [0x18, ...varint(300)]), kv(utf8('d'), [0x21, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]), kv(utf8('empty'), []), kv(utf8('none'), null),
      kv(utf8('strindex'), [0x40, 3]),
    ]));
    expect(plain(ok!.spans[0].attributes)).toEqual([['é', 'café'], ['long', 'x'.repeat(100) + 'é'], ['b', true], ['i', 300], ['d', 1.5], ['empty', null], ['none', null], ['strindex', null]]);
    releaseAttributes();
  });

  it('decodes in full the spans with an attribute it does not check in place: nested, bytes, repeated values, key indexes', () => {
    const cases: number[][][] = [
      [kv(utf8('list'), field(0x2a, field(0x0a, stringValue('a'))))],
      [kv(utf8('map'), field(0x32, field(0x0a, kv(utf8('k'), [0x10, 1]))))],
      [kv(utf8('bytes'), field(0x3a, [1, 2]))],
      [[...kv(utf8('twice'), stringValue('a')), ...field(0x12, [0x18, 5])]],
      [kv(utf8('two members'), [...stringValue('a'), 0x10, 1])],
      [[...field(0x0a, utf8('indexed')), 0x18, 4, ...field(0x12, stringValue('v'))]],
    ];
    for (const kvs of cases) {
      const decoded = expectSameAsFull(request([kv(utf8('http.route'), stringValue('/a')), ...kvs]));
      expect(decoded!.spans).toHaveLength(1);
      expect((decoded!.spans[0] as SpanRecord).attributeMap).toBe(decoded!.spans[0].attributes);
      releaseAttributes();
    }
  });

  it('rejects a span with a value nested too deep with full decoding\'s path, under an arrival key or another', () => {
    for (const key of ['http.route', 'other']) {
      const decoded = expectSameAsFull(request([kv(utf8('first'), stringValue('x')), kv(utf8(key), nested(40))]));
      expect(decoded!.spans).toHaveLength(0);
      expect(decoded!.rejected).toHaveLength(1);
      expect(decoded!.rejected[0].path).toMatch(/\.attributes\[1\]\.value/);
    }
  });
});
