import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createAttributeMap,
  createSpan,
  ownAttributes,
  setAttribute,
  SPAN_KINDS,
  SPAN_STATUSES,
  type AttributeMap,
  type AttributeValue,
  type Span,
} from '../trace/span.js';
import { groupSpans } from './groupSpans.js';
import { decodeJsonTraces, decodeProtobufTraces, encodeJsonTraces, encodeProtobufTraces } from './index.js';

// ---- arbitraries for spans in the model's normal form (what decoding yields)

const hexId = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).filter((b) => b.some((x) => x !== 0)).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
const nanos = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const text = fc.string({ unit: 'binary', maxLength: 12 });
const key = fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'toString', 'service.name'));
const double = fc.double().filter((d) => !Object.is(d, -0));

function attributeMap(entries: Array<[string, AttributeValue]>): AttributeMap {
  const map = createAttributeMap();
  for (const [k, v] of entries) setAttribute(map, k, v);
  return map;
}

const { value: attributeValue } = fc.letrec<{ value: AttributeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.boolean(),
    fc.maxSafeInteger(),
    double,
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map(attributeMap),
  ),
}));
const attributes = fc.array(fc.tuple(key, attributeValue), { maxLength: 4 }).map(attributeMap);

// A few resources and scopes, so spans share them and grouping matters.
const resources = [attributeMap([['service.name', 'a']]), attributeMap([['service.name', 'b'], ['k', 1]]), createAttributeMap()];
const scopes = [{ name: 'lib', version: '1' }, { name: 'lib', version: '2' }, { name: '', version: '' }];

const spanArb: fc.Arbitrary<Span> = fc
  .record({
    traceId: hexId(16),
    spanId: hexId(8),
    parentSpanId: fc.option(hexId(8), { nil: null }),
    traceState: fc.constantFrom('', 'a=1,b=2'),
    name: text,
    kind: fc.constantFrom(...SPAN_KINDS),
    status: fc.constantFrom(...SPAN_STATUSES),
    statusMessage: text,
    startTimeUnixNano: nanos,
    endTimeUnixNano: nanos,
    attributes,
    resource: fc.nat(resources.length - 1),
    scope: fc.nat(scopes.length - 1),
    events: fc.array(fc.record({ name: text, timeUnixNano: nanos, attributes }), { maxLength: 2 }),
    links: fc.array(fc.record({ traceId: hexId(16), spanId: hexId(8), traceState: fc.constantFrom('', 'x=y'), attributes }), { maxLength: 2 }),
  })
  .map((s) => createSpan({ ...s, resource: resources[s.resource], scope: scopes[s.scope] }));

// ---- comparison: the span as plain data (maps as sorted entries, so `__proto__` keys compare as data)

function plainValue(v: AttributeValue): unknown {
  if (Array.isArray(v)) return v.map(plainValue);
  if (typeof v === 'object' && v !== null) return plainMap(v);
  return v;
}
function plainMap(map: AttributeMap): unknown {
  return Object.keys(map).sort().map((k) => [k, plainValue(map[k])]);
}
function plain(span: Span): unknown {
  return {
    ids: [span.traceId, span.spanId, span.parentSpanId, span.isRoot],
    fields: [span.traceState, span.name, span.kind, span.status, span.statusMessage, span.service],
    times: [span.startTimeUnixNano, span.endTimeUnixNano, span.startTime, span.endTime, span.duration],
    attributes: plainMap(ownAttributes(span)),
    resource: plainMap(span.resource),
    scope: span.scope,
    events: span.events.map((e) => [e.name, e.timeUnixNano, e.time, plainMap(e.attributes)]),
    links: span.links.map((l) => [l.traceId, l.spanId, l.traceState, plainMap(l.attributes)]),
  };
}

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
