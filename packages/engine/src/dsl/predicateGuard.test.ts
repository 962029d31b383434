import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCondition } from './compileCondition.js';
import { buildTrace } from '../testing/traceBuilder.js';
import type { Span } from '../trace/span.js';

const guardOf = (predicate: string) => compileCondition(`trace.has(${predicate})`).predicates[0].guard;

describe('predicateGuard', () => {
  it('takes the most selective top-level equality on a span field or an attribute', () => {
    expect(guardOf("span => span.kind === 'CLIENT' && span.attributes['db.system'] !== undefined")).toEqual({ field: 'kind', attribute: null, value: 'CLIENT' });
    expect(guardOf("span => span.kind === 'SERVER' && span.attributes['http.route'] === '/x'")).toEqual({ field: null, attribute: 'http.route', value: '/x', also: [{ field: 'kind', attribute: null, value: 'SERVER' }] });
    expect(guardOf("s => 'b' === s.name && s.status === 'ERROR'")).toEqual({ field: 'name', attribute: null, value: 'b', also: [{ field: 'status', attribute: null, value: 'ERROR' }] });
    expect(guardOf("s => s.service === 'api' && s.kind === 'SERVER'")).toEqual({ field: 'service', attribute: null, value: 'api', also: [{ field: 'kind', attribute: null, value: 'SERVER' }] });
    expect(guardOf("s => s.kind === 'CLIENT' && s.status === 'ERROR' && s.children.length > 0")).toEqual({ field: 'kind', attribute: null, value: 'CLIENT', also: [{ field: 'status', attribute: null, value: 'ERROR' }] });
    expect(guardOf('s => s.attributes.retries === 3')).toEqual({ field: null, attribute: 'retries', value: 3 });
  });

  it('takes none where no conjunct decides the predicate alone', () => {
    expect(guardOf("s => s.name === 'a' || s.name === 'b'")).toBeNull();
    expect(guardOf("s => !(s.name === 'a')")).toBeNull();
    expect(guardOf("s => s.name !== 'a'")).toBeNull();
    expect(guardOf("s => s.parent !== null && s.parent.name === 'a'")).toBeNull();
    expect(guardOf("s => s.events.some(e => e.name === 'exception')")).toBeNull();
    expect(guardOf("s => s.name == 'a'")).toBeNull();
  });

  it('is sound: a span failing the guard never matches the predicate', () => {
    const names = ['a', 'b'];
    const atom = fc.oneof(
      fc.constantFrom(...names).map((n) => `s.name === '${n}'`),
      fc.constantFrom('SERVER', 'CLIENT').map((k) => `s.kind === '${k}'`),
      fc.constantFrom('ERROR', 'OK').map((k) => `'${k}' === s.status`),
      fc.constantFrom(0, 1, 'x').map((v) => `s.attributes.x === ${JSON.stringify(v)}`),
      fc.constant('s.duration > 100'),
      fc.constant("s.parent.name === 'a'"), // throws on roots: counts as no match
    );
    const body = fc.array(fc.tuple(atom, fc.constantFrom('&&', '||')), { minLength: 1, maxLength: 4 })
      .map((parts) => parts.map(([a, op], i) => (i === 0 ? a : `${op} ${a}`)).join(' '));
    const spans: Span[] = buildTrace('guard', [
      { id: 'r', name: 'a', kind: 'SERVER', status: 'ERROR', start: 0, duration: 500, attributes: { x: 1 } },
      { id: 'c1', parent: 'r', name: 'b', kind: 'CLIENT', status: 'OK', start: 10, duration: 50, attributes: { x: 'x' } },
      { id: 'c2', parent: 'r', name: 'a', kind: 'CLIENT', status: 'UNSET', start: 20, duration: 150, attributes: { x: 0 } },
    ]);
    fc.assert(fc.property(body, (text) => {
      const p = compileCondition(`trace.has(s => ${text})`).predicates[0];
      const guard = p.guard;
      if (guard === null || guard === undefined) return;
      for (const test of [guard, ...(guard.also ?? [])]) {
        for (const span of spans) {
          const value = test.field === null ? span.attributes[test.attribute!] : span[test.field];
          if (value !== test.value) expect(p.fn(span), `${text} on ${span.spanId}`).toBe(false);
        }
      }
    }), { numRuns: 500 });
  });
});
