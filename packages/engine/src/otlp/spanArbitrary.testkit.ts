/**
 * Test-only: fast-check arbitraries for spans in the span model's normal form
 * (what decoding yields), and a plain-data view of a span for comparisons.
 * Shared by the OTLP round-trip and encoder oracle tests; each picks its
 * strings, times and attribute values.
 */
import fc from 'fast-check';
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

/** A non-zero id of `bytes` bytes as lowercase hex. */
export const hexId = (bytes: number): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).filter((b) => b.some((x) => x !== 0)).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));

export function attributeMap(entries: Array<[string, AttributeValue]>): AttributeMap {
  const map = createAttributeMap();
  for (const [k, v] of entries) setAttribute(map, k, v);
  return map;
}

export interface SpanArbitraryOptions {
  /** Names, messages and string values. */
  text: fc.Arbitrary<string>;
  /** Attribute keys. */
  key: fc.Arbitrary<string>;
  /** Decimal nanosecond times. */
  nanos: fc.Arbitrary<string>;
  /** Attribute values other than strings, booleans, null, lists and maps (numbers, and how the model holds int64 and bytes). */
  scalars: ReadonlyArray<fc.Arbitrary<AttributeValue>>;
  maxAttributes: number;
  /** Resources and scopes the spans pick from, so that spans share them. */
  resources: readonly AttributeMap[];
  scopes: ReadonlyArray<{ name: string; version: string }>;
}

/** Spans using every field of the model, attribute values nested up to a few levels. */
export function spanArbitrary(o: SpanArbitraryOptions): fc.Arbitrary<Span> {
  const { value: attributeValue } = fc.letrec<{ value: AttributeValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      o.text,
      fc.boolean(),
      ...o.scalars,
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.array(fc.tuple(o.key, tie('value')), { maxLength: 3 }).map(attributeMap),
    ),
  }));
  const attributes = fc.array(fc.tuple(o.key, attributeValue), { maxLength: o.maxAttributes }).map(attributeMap);
  return fc
    .record({
      traceId: hexId(16),
      spanId: hexId(8),
      parentSpanId: fc.option(hexId(8), { nil: null }),
      traceState: fc.constantFrom('', 'a=1,b=2'),
      name: o.text,
      kind: fc.constantFrom(...SPAN_KINDS),
      status: fc.constantFrom(...SPAN_STATUSES),
      statusMessage: o.text,
      startTimeUnixNano: o.nanos,
      endTimeUnixNano: o.nanos,
      attributes,
      resource: fc.nat(o.resources.length - 1),
      scope: fc.nat(o.scopes.length - 1),
      events: fc.array(fc.record({ name: o.text, timeUnixNano: o.nanos, attributes }), { maxLength: 2 }),
      links: fc.array(fc.record({ traceId: hexId(16), spanId: hexId(8), traceState: fc.constantFrom('', 'x=y'), attributes }), { maxLength: 2 }),
    })
    .map((s) => createSpan({ ...s, resource: o.resources[s.resource], scope: o.scopes[s.scope] }));
}

// Maps as sorted entries, so `__proto__` keys compare as data; -0 and NaN as text, so numbers compare by Object.is.
function plainValue(v: AttributeValue): unknown {
  if (Array.isArray(v)) return v.map(plainValue);
  if (typeof v === 'object' && v !== null) return plainMap(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v;
  return v;
}
function plainMap(map: AttributeMap): unknown {
  return Object.keys(map).sort().map((k) => [k, plainValue(map[k])]);
}

/** The span as plain data, for toEqual. */
export function plainSpan(span: Span): unknown {
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
