import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAttributeMap, createSpan, type AttributeValue, type Span } from '../trace/span.js';
import { decodeProtobufTraces, decodeProtobufTracesWithProtobufjs } from './decodeProtobufTraces.js';
import { encodeProtobufTraces } from './encodeProtobufTraces.js';
import { encodeTracesData } from './encodeTracesData.js';
import { attributeMap, plainSpan as plain, spanArbitrary } from './spanArbitrary.testkit.js';

// ---- arbitraries: spans in the model's normal form, using every field the model has

const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 12 }), fc.string({ minLength: 100, maxLength: 300 }));
const spanArb = spanArbitrary({
  text,
  key: fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toString', 'service.name', '')),
  nanos: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 1_600_000_000_000_000_000n, max: 1_900_000_000_000_000_000n })).map(String),
  scalars: [
    fc.oneof(fc.maxSafeInteger(), fc.double(), fc.constantFrom(0, -0, 1, -1, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 53, 0.5, NaN, Infinity, -Infinity)),
    fc.constantFrom('9223372036854775807', 'deadbeef'), // how the model holds int64 beyond 2^53 and bytes
  ],
  maxAttributes: 5,
  // Resources as separate objects with equal content (as spans of one trace from several requests have) and distinct ones.
  resources: [
    attributeMap([['service.name', 'a']]),
    attributeMap([['service.name', 'a']]),
    attributeMap([['service.name', 'b'], ['k', 1], ['list', [1, 'x', null]]]),
    attributeMap([['k', 1], ['service.name', 'b'], ['list', [1, 'x', null]]]),
    attributeMap([['service.name', 'b'], ['k', 1.5]]),
    createAttributeMap(),
  ],
  scopes: [{ name: 'lib', version: '1' }, { name: 'lib', version: '1' }, { name: 'lib', version: '2' }, { name: '', version: '' }, { name: 'x', version: '' }],
});

/** Spans keyed by span id (tests use distinct ids), so groupings that order spans differently compare equal. */
function bySpanId(spans: Span[]): Map<string, unknown> {
  return new Map(spans.map((s) => [s.spanId, plain(s)]));
}

const distinctSpans = fc.uniqueArray(spanArb, { maxLength: 8, selector: (s) => s.spanId });

describe('encodeTracesData', () => {
  it('decodes (fast decoder and protobufjs decoder) to the same spans as the protobufjs encoding (property, oracle)', () => {
    fc.assert(
      fc.property(distinctSpans, (spans) => {
        const ours = encodeTracesData(spans);
        const oracle = encodeProtobufTraces(spans);
        for (const decode of [decodeProtobufTraces, decodeProtobufTracesWithProtobufjs]) {
          const decoded = decode(ours);
          expect(decoded.rejected).toEqual([]);
          expect(decoded.spans.length).toBe(spans.length);
          expect(bySpanId(decoded.spans)).toEqual(bySpanId(decodeProtobufTracesWithProtobufjs(oracle).spans));
          expect(bySpanId(decoded.spans)).toEqual(bySpanId(spans));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('keeps span order within a resource and scope group and groups in order of first appearance', () => {
    fc.assert(
      fc.property(distinctSpans, (spans) => {
        const decoded = decodeProtobufTraces(encodeTracesData(spans)).spans;
        const resourceOf = (s: Span) => JSON.stringify((plain(s) as { resource: unknown }).resource);
        const scopeOf = (s: Span) => `${s.scope.name}\u0000${s.scope.version}`;
        const expected = [...new Set(spans.map(resourceOf))].flatMap((r) => {
          const inResource = spans.filter((s) => resourceOf(s) === r);
          return [...new Set(inResource.map(scopeOf))].flatMap((k) => inResource.filter((s) => scopeOf(s) === k).map((s) => s.spanId));
        });
        expect(decoded.map((s) => s.spanId)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("writes a resource's attributes once per group: spans sharing equal resources (distinct objects) share one ResourceSpans", () => {
    const make = (spanId: string, resource: Record<string, AttributeValue>, scope: string) =>
      createSpan({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId, name: spanId, startTimeUnixNano: '1', endTimeUnixNano: '2', resource, scope: { name: scope } });
    const longValue = 'r'.repeat(1000);
    const spans = [
      make('0000000000000001', { 'service.name': 'a', long: longValue }, 'x'),
      make('0000000000000002', { 'service.name': 'b' }, 'x'),
      make('0000000000000003', { long: longValue, 'service.name': 'a' }, 'y'),
      make('0000000000000004', { 'service.name': 'a', long: longValue }, 'x'),
    ];
    const bytes = encodeTracesData(spans);
    expect(bytes.length).toBeLessThan(1500); // the 1,000-byte value is written once, not three times
    const decoded = decodeProtobufTracesWithProtobufjs(bytes).spans;
    expect(decoded.map((s) => s.name)).toEqual(['0000000000000001', '0000000000000004', '0000000000000003', '0000000000000002']);
    expect(decoded[0].resource).toBe(decoded[2].resource); // one ResourceSpans: the decoder made one resource map
  });

  it('round-trips edge cases: empty attributes, unicode, __proto__ keys, int vs double, big nanoseconds, long strings', () => {
    const span = createSpan({
      traceId: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'.toLowerCase(),
      spanId: '0123456789abcdef',
      parentSpanId: 'fedcba9876543210',
      traceState: 'vendor=ü',
      name: 'Grüße 🌍 \u0000 end',
      kind: 'CONSUMER',
      status: 'ERROR',
      statusMessage: '💥',
      startTimeUnixNano: '18446744073709551615',
      endTimeUnixNano: '0',
      attributes: {
        ['__proto__']: 'plain data', constructor: 1, '': '', 'ключ': 'значение', int: 1, double: 1.5, intAsDouble: 1.0, negative: -42,
        minSafe: Number.MIN_SAFE_INTEGER, beyondSafe: 2 ** 60, negZero: -0, nan: NaN, inf: Infinity, none: null, t: true, f: false,
        empty: [], nested: [[1, [2, ['x']]], { a: { b: null } }], emptyMap: createAttributeMap(), long: 'é'.repeat(5000),
      },
      resource: {},
      scope: { name: '', version: 'only-version' },
      events: [{ name: '', timeUnixNano: '1700000000000000001', attributes: {} }],
      links: [{ traceId: '00000000000000000000000000000001', spanId: '0000000000000001' }],
    });
    const decoded = decodeProtobufTraces(encodeTracesData([span]));
    expect(decoded.rejected).toEqual([]);
    expect(plain(decoded.spans[0])).toEqual(plain(span));
    const attrs = decoded.spans[0].attributes;
    expect(Object.getOwnPropertyDescriptor(attrs, '__proto__')?.value).toBe('plain data');
    // The model holds 1.0 as the number 1, so it is written as intValue 1 and read back as 1: nothing to tell apart.
    expect(attrs.intAsDouble).toBe(1);
    expect(Object.is(attrs.negZero, -0)).toBe(true);
    expect(attrs.beyondSafe).toBe(2 ** 60);
  });

  it('encodes no spans as an empty message', () => {
    expect(encodeTracesData([])).toEqual(new Uint8Array(0));
    expect(decodeProtobufTraces(encodeTracesData([])).spans).toEqual([]);
  });

  it('writes fixed64 nanoseconds exactly for every 64-bit value (property against BigInt)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        const span = createSpan({ traceId: '1'.repeat(32), spanId: '1'.repeat(16), name: '', startTimeUnixNano: String(n), endTimeUnixNano: `000${n}`.slice(-20) });
        const decoded = decodeProtobufTraces(encodeTracesData([span])).spans[0];
        expect(decoded.startTimeUnixNano).toBe(String(n));
        expect(decoded.endTimeUnixNano).toBe(String(n));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses spans it cannot represent, naming the span and field', () => {
    const good = { traceId: '1'.repeat(32), spanId: '2'.repeat(16), name: 'n', startTimeUnixNano: '1', endTimeUnixNano: '2' };
    expect(() => encodeTracesData([createSpan({ ...good, spanId: 'xyz' })])).toThrow(/span xyz of trace 1{32}.*spanId must be 16 hex digits/);
    expect(() => encodeTracesData([createSpan({ ...good, traceId: 'g'.repeat(32) })])).toThrow(/traceId must be hex/);
    // Times reach the encoder as SpanRecord's canonical text (trace/span.ts): createSpan refuses what is not a decimal integer.
    expect(() => createSpan({ ...good, startTimeUnixNano: '1e9' })).toThrow(/span 2{16}: startTimeUnixNano '1e9' is not an unsigned decimal integer/);
    expect(() => encodeTracesData([createSpan({ ...good, endTimeUnixNano: '18446744073709551616' })])).toThrow(/beyond 2\^64 - 1/);
    // The encoder is usable again after an error.
    expect(decodeProtobufTraces(encodeTracesData([createSpan(good)])).spans.map((s) => s.name)).toEqual(['n']);
  });
});
