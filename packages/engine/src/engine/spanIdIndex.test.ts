import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SpanIdIndex } from './spanIdIndex.js';
import type { Span } from '../trace/span.js';

describe('SpanIdIndex', () => {
  test('has() is true exactly for the ids of the spans added, before and after shrinking, small and large (property, against a Set)', () => {
    const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 });
    fc.assert(fc.property(
      fc.array(fc.oneof(hex, fc.string({ maxLength: 2 })), { maxLength: 120 }),
      fc.array(fc.string({ maxLength: 16 }), { maxLength: 30 }),
      fc.integer({ min: 0, max: 60 }),
      fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 10 }),
      (ids, probes, initial, shrinks) => {
        const oracle = new Set<string>();
        const spans: Span[] = [];
        // A trace may start with spans already (reopened from memory).
        for (const id of ids.slice(0, initial)) if (!oracle.has(id)) { oracle.add(id); spans.push({ spanId: id } as Span); }
        const index = new SpanIdIndex(spans);
        for (const id of ids.slice(initial)) {
          if (index.has(id) !== oracle.has(id)) return false;
          if (oracle.has(id)) continue;
          spans.push({ spanId: id } as Span);
          index.added();
          oracle.add(id);
          if (shrinks.includes(spans.length)) index.shrink(); // between batches
        }
        return [...ids, ...probes].every((id) => index.has(id) === oracle.has(id));
      },
    ));
  });
});
