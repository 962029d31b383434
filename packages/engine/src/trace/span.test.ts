import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copySpan, createAttributeMap, createSpan, millisToNanos, nanosToMillis, NO_CHILDREN, SPAN_KINDS, SPAN_STATUSES, SpanRecord, type Span } from './span.js';
import { linkSpans } from './linkSpans.js';

const base = { traceId: '1'.repeat(32), spanId: '2'.repeat(16), name: 'n' };

describe('SpanRecord: derived fields', () => {
  it('gives back every unsigned 64-bit nanosecond time exactly, from milliseconds and the nanoseconds within', () => {
    const nanos = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 1_600_000_000_000_000_000n, max: 1_900_000_000_000_000_000n }),
      // Just below a whole millisecond, where the double of the milliseconds rounds up to the next one.
      fc.bigInt({ min: 0n, max: 2n ** 44n }).map((ms) => ms * 1_000_000n + 999_999n),
      fc.bigInt({ min: 0n, max: 999_999n }),
    );
    fc.assert(
      fc.property(nanos, nanos, (start, end) => {
        const span = createSpan({ ...base, startTimeUnixNano: String(start), endTimeUnixNano: String(end) });
        expect(span.startTimeUnixNano).toBe(String(start));
        expect(span.endTimeUnixNano).toBe(String(end));
        expect(span.duration).toBe(span.endTime - span.startTime);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps times exact as offsets from a base its origin shares with other spans, however far apart they are (start, end, base)', () => {
    // One resource object: the spans share one origin, whose base is the first span's start; spans too far from
    // it get their own, and an end too far from its start is kept whole.
    const nanos = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 1_700_000_000_000_000_000n, max: 1_700_100_000_000_000_000n }),
      fc.constantFrom(0n, 2n ** 64n - 1n, 999_999n, 1_000_000n),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(nanos, nanos, fc.constantFrom(...SPAN_KINDS), fc.constantFrom(...SPAN_STATUSES)), { minLength: 1, maxLength: 8 }), (times) => {
        const resource = createAttributeMap();
        const spans = times.map(([start, end, kind, status]) => createSpan({ ...base, resource, kind, status, startTimeUnixNano: String(start), endTimeUnixNano: String(end) }));
        spans.forEach((span, i) => {
          const [start, end, kind, status] = times[i];
          expect([span.startTimeUnixNano, span.endTimeUnixNano, span.kind, span.status]).toEqual([String(start), String(end), kind, status]);
          expect(span.startTime).toBe(nanosToMillis(String(start)));
          expect(span.endTime).toBe(nanosToMillis(String(end)));
          expect(span.resource).toBe(resource);
          const copy = copySpan(span);
          expect([copy.startTimeUnixNano, copy.endTimeUnixNano, copy.startTime, copy.endTime]).toEqual([span.startTimeUnixNano, span.endTimeUnixNano, span.startTime, span.endTime]);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('reads times with leading zeros as their canonical decimal text', () => {
    const span = createSpan({ ...base, startTimeUnixNano: '0170000000000000123', endTimeUnixNano: '000' });
    expect(span.startTimeUnixNano).toBe('170000000000000123');
    expect(span.endTimeUnixNano).toBe('0');
  });

  it('refuses a time that is not an unsigned decimal integer, naming the span and field', () => {
    expect(() => createSpan({ ...base, startTimeUnixNano: '1.5', endTimeUnixNano: '2' })).toThrow("span 2222222222222222: startTimeUnixNano '1.5' is not an unsigned decimal integer of nanoseconds");
    expect(() => createSpan({ ...base, startTimeUnixNano: '1', endTimeUnixNano: '-2' })).toThrow(/endTimeUnixNano '-2'/);
    expect(() => createSpan({ ...base, startTimeUnixNano: '1', endTimeUnixNano: undefined as unknown as string })).toThrow(/endTimeUnixNano undefined/);
  });

  it('says whether a span is a root from its parent id', () => {
    expect(createSpan({ ...base, startTimeUnixNano: '1', endTimeUnixNano: '2' }).isRoot).toBe(true);
    expect(createSpan({ ...base, parentSpanId: '3'.repeat(16), startTimeUnixNano: '1', endTimeUnixNano: '2' }).isRoot).toBe(false);
  });
});

describe('millisToNanos', () => {
  it('carries a fraction that rounds to a whole millisecond into it', () => {
    expect(millisToNanos(1.9999999)).toBe('2000000');
    expect(millisToNanos(1.5)).toBe('1500000');
    expect(millisToNanos(0.0000004)).toBe('0');
    expect(millisToNanos(1700000000000.25)).toBe('1700000000000250000');
  });
});

describe('copySpan', () => {
  it('copies into a SpanRecord, keeping the derived fields that object spread would drop', () => {
    const span = createSpan({ ...base, startTimeUnixNano: '1700000000000000001', endTimeUnixNano: '1700000000002000001', attributes: { a: 1 } });
    const spread = { ...span } as Span;
    expect(spread.duration).toBeUndefined(); // why copySpan exists
    const copy = copySpan(span, { source: null, children: [] });
    expect(copy).toBeInstanceOf(SpanRecord);
    expect(copy).not.toBe(span);
    expect([copy.duration, copy.startTimeUnixNano, copy.endTimeUnixNano, copy.isRoot]).toEqual([2, '1700000000000000001', '1700000000002000001', true]);
    expect(copy.attributes).toBe(span.attributes);
  });
});

describe('linkSpans', () => {
  it('gives leaves the shared empty children and parents arrays of exactly their children, in start order', () => {
    const at = (id: string, parent: string | null, start: number) =>
      createSpan({ ...base, spanId: id.repeat(16), parentSpanId: parent === null ? null : parent.repeat(16), startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1) });
    const spans = [at('d', 'a', 40), at('a', null, 0), at('b', 'a', 10), at('c', 'a', 30), at('e', 'b', 20)];
    const [a, b, e, c, d] = linkSpans(spans);
    expect([a, b, e, c, d].map((s) => s.spanId[0])).toEqual(['a', 'b', 'e', 'c', 'd']);
    expect(a.children).toEqual([b, c, d]);
    expect(b.children).toEqual([e]);
    for (const leaf of [e, c, d]) expect(leaf.children).toBe(NO_CHILDREN);
    expect([a.parent, b.parent, e.parent, c.parent, d.parent]).toEqual([null, a, b, a, a]);
    // Linking again (a trace that grew) starts over.
    const [a2] = linkSpans([b, a]);
    expect(a2.children).toEqual([b]);
    expect(c.parent).toBe(a); // not in this call: untouched
  });
});
