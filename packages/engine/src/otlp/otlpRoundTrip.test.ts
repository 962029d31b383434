import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAttributeMap, createSpan, type AttributeValue, type Span } from '../trace/span.js';
import { groupSpans } from './groupSpans.js';
import { decodeJsonTraces, decodeProtobufTraces, encodeJsonTraces, encodeProtobufTraces } from './index.js';
import { attributeMap, plainSpan as plain, spanArbitrary } from './spanArbitrary.testkit.js';

// ---- arbitraries for spans in the model's normal form (what decoding yields); JSON cannot carry -0

const text = fc.string({ unit: 'binary', maxLength: 12 });
const spanArb = spanArbitrary({
  text,
  key: fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toString', 'service.name')),
  nanos: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  scalars: [fc.maxSafeInteger(), fc.double().filter((d) => !Object.is(d, -0))],
  maxAttributes: 4,
  // A few resources and scopes, so spans share them and grouping matters.
  resources: [attributeMap([['service.name', 'a']]), attributeMap([['service.name', 'b'], ['k', 1]]), createAttributeMap()],
  scopes: [{ name: 'lib', version: '1' }, { name: 'lib', version: '2' }, { name: '', version: '' }],
});

/** The order encoding produces: grouped by resource, then scope. */
function inEncodedOrder(spans: Span[]): Span[] {
  return groupSpans(spans).flatMap((g) => g.scopes.flatMap((s) => s.spans));
}

describe('OTLP encode → decode round trip', () => {
  it('protobuf: random span sets decode to equal spans (property)', () => {
    fc.assert(
      fc.property(fc.array(spanArb, { maxLength: 6 }), (spans) => {
        const decoded = decodeProtobufTraces(encodeProtobufTraces(spans));
        expect(decoded.rejected).toEqual([]);
        expect(decoded.spans.map(plain)).toEqual(inEncodedOrder(spans).map(plain));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON: random span sets decode to equal spans, as an object and as text (property)', () => {
    fc.assert(
      fc.property(fc.array(spanArb, { maxLength: 6 }), (spans) => {
        const json = encodeJsonTraces(spans);
        const expected = inEncodedOrder(spans).map(plain);
        for (const input of [json, JSON.stringify(json), JSON.stringify(json, null, 2)]) {
          const decoded = decodeJsonTraces(input);
          expect(decoded.rejected).toEqual([]);
          expect(decoded.spans.map(plain)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('protobuf and JSON encodings carry the same spans', () => {
    fc.assert(
      fc.property(fc.array(spanArb, { maxLength: 4 }), (spans) => {
        expect(decodeJsonTraces(encodeJsonTraces(spans)).spans.map(plain)).toEqual(decodeProtobufTraces(encodeProtobufTraces(spans)).spans.map(plain));
      }),
      { numRuns: 100 },
    );
  });

  it('groups spans by resource content and scope, keeping first-appearance order', () => {
    const s = (spanId: string, resource: Record<string, AttributeValue>, scope: string) =>
      createSpan({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId, name: spanId, startTimeUnixNano: '1', endTimeUnixNano: '2', resource, scope: { name: scope } });
    const spans = [
      s('0000000000000001', { 'service.name': 'a' }, 'x'),
      s('0000000000000002', { 'service.name': 'b' }, 'x'),
      s('0000000000000003', { 'service.name': 'a' }, 'y'), // equal content, different object
      s('0000000000000004', { 'service.name': 'a' }, 'x'),
    ];
    const json = encodeJsonTraces(spans) as { resourceSpans: Array<{ scopeSpans: Array<{ scope: { name: string }; spans: Array<{ name: string }> }> }> };
    expect(json.resourceSpans.map((rs) => rs.scopeSpans.map((ss) => [ss.scope.name, ss.spans.map((x) => x.name)]))).toEqual([
      [['x', ['0000000000000001', '0000000000000004']], ['y', ['0000000000000003']]],
      [['x', ['0000000000000002']]],
    ]);
    expect(decodeProtobufTraces(encodeProtobufTraces(spans)).spans.map((x) => x.name)).toEqual([
      '0000000000000001', '0000000000000004', '0000000000000003', '0000000000000002',
    ]);
  });

  it('writes OTLP/JSON as the specification says', () => {
    const span = createSpan({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      name: 'n',
      kind: 'SERVER',
      status: 'ERROR',
      startTimeUnixNano: '1700000000123456789',
      endTimeUnixNano: '1700000000223456789',
      attributes: { i: 5, big: '9223372036854775807', d: 0.5, nan: NaN, inf: -Infinity, none: null },
    });
    expect(encodeJsonTraces([span])).toEqual({
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [
            {
              scope: { name: '', version: '' },
              spans: [
                {
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: 'b7ad6b7169203331',
                  name: 'n',
                  kind: 2,
                  startTimeUnixNano: '1700000000123456789',
                  endTimeUnixNano: '1700000000223456789',
                  attributes: [
                    { key: 'i', value: { intValue: '5' } },
                    { key: 'big', value: { stringValue: '9223372036854775807' } },
                    { key: 'd', value: { doubleValue: 0.5 } },
                    { key: 'nan', value: { doubleValue: 'NaN' } },
                    { key: 'inf', value: { doubleValue: '-Infinity' } },
                    { key: 'none', value: {} },
                  ],
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    });
  });
});
