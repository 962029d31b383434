/**
 * Predicates that cannot throw are generated without try/catch (mayThrow).
 * Property: on spans holding values whose conversion to a primitive throws
 * (key-value lists are null-prototype objects), every generated predicate
 * returns a boolean without throwing, equal to the same predicate wrapped in
 * try/catch, with the same error count. The wrapped one (the oracle) shares no
 * subexpression, so the property also holds shared ones to unshared ones.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { parseExpressionAt } from 'acorn';
import { checkPredicate } from './checkPredicate.js';
import { generatePredicate, mayThrow } from './generatePredicate.js';
import { generatePredicateGroup } from './generatePredicateGroup.js';
import { BUDGET_EXCEEDED, meter, withBudget } from './runtime.js';
import type { EsNode } from './parseRule.js';
import { buildTrace } from '../testing/traceBuilder.js';
import { linkSpans } from '../trace/linkSpans.js';
import { createSpan, type Span } from '../trace/span.js';

function checked(text: string) {
  const node = parseExpressionAt(text, 0, { ecmaVersion: 2022, locations: true }) as unknown as EsNode;
  return checkPredicate(node, 'the predicate');
}

const kvList = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
const spans: Span[] = linkSpans(buildTrace('t', [
  { id: 'r', name: 'GET /', start: 0, duration: 500, attributes: { x: 1, y: 'a' } },
  { id: 'c', parent: 'r', name: '12', start: 10, duration: 50, attributes: { x: kvList as never, y: ['a', 'b'] },
    events: [{ name: 'exception', at: 1, attributes: { z: kvList as never } }] },
  { id: 'd', parent: 'c', name: 'x', start: 20, duration: 0, attributes: { x: 'b', y: true } },
]));

const atom = fc.constantFrom(
  's.attributes.x > 0', '-s.attributes.x === -1', "String(s.attributes.x) === '1'", "`${s.attributes.y}` === 'a'",
  's.duration > 10', "s.name + 1 === '121'", 's.attributes.x === 1', 'Number(s.name) > 0', 'Math.max(s.duration, 1) > 1',
  's.events.some(e => e.attributes.z > 0)', 's.parent?.duration > 0', '(s.attributes.x ?? 0) * 2 > 1',
  "s.kind === 'INTERNAL'", "s.name.startsWith('GET')", "'x' in s.attributes", 's.children.length > 0',
  "s.parent?.attributes.x === 1", "/^1/.test(s.name)", 's.attributes.y.length === 2', 's.duration + s.startTime >= 0',
  '!s.attributes.x', "typeof s.attributes.x === 'object'", 's.attributes.x == 1',
  // Regex tests of one converted read, differing in pattern or flags (a group computes each distinct one once; String() of a key-value list throws).
  '/^1/.test(String(s.attributes.x))', '/^B/.test(String(s.attributes.x))', '/^B/i.test(String(s.attributes.x))', 'Number(s.attributes.x) > 0',
  // Iterations over links, shared between predicates (the oracle shares none); some throw inside.
  's.children.some(c => c.attributes.x > 0)', 's.children.filter(c => c.duration >= 0).length > 1',
  's.parent?.children.filter(x => x.name !== s.name).length === 0', 's.children.some(c => c.children.some(g => g.attributes.y === true))',
  's.children.every(c => c.children.filter(g => g.attributes.x === c.attributes.x).length === 0)',
);
const body: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('e').map((a) => `!(${a})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
  ),
})).e;

describe('predicates generated without try/catch', () => {
  test('answer as the same predicate inside try/catch, never throw, count the same errors', () => {
    let unguarded = 0;
    fc.assert(fc.property(body, (text) => {
      const c = checked(`s => ${text}`);
      const auto = generatePredicate<Span>(c.body, c.regexes);
      const always = generatePredicate<Span>(c.body, c.regexes, 'oracle');
      if (!mayThrow(c.body)) unguarded++;
      for (const span of spans) {
        let result: boolean | undefined;
        expect(() => { result = auto.fn(span); }, text).not.toThrow();
        expect(result, `${text} on ${span.spanId}`).toBe(always.fn(span));
      }
      expect(auto.state.errors, text).toBe(always.state.errors);
    }), { numRuns: 1500 });
    expect(unguarded).toBeGreaterThan(100);
  });

  test('try/catch is left out only where nothing can throw', () => {
    expect(mayThrow(checked("s => s.name === 'a' && s.duration > 3000 && s.attributes.x === 1").body)).toBe(false);
    expect(mayThrow(checked("s => s.name.startsWith('a') || s.parent?.status !== 'ERROR'").body)).toBe(false);
    expect(mayThrow(checked('s => s.attributes.x > 0').body)).toBe(true);
    expect(mayThrow(checked('s => String(s.attributes.x) === "a"').body)).toBe(true);
    expect(mayThrow(checked('s => /a/.test(s.name)').body)).toBe(true);
  });
});

describe('shared subexpressions', () => {
  const generated = (text: string) => { const c = checked(text); return generatePredicate<Span>(c.body, c.regexes); };

  test('equal iterations over links share one function, whatever their slots, and not regexes or arrows\' parameters', () => {
    const a = generated('s => s.parent !== null && s.parent.children.filter(x => x.name === s.name).length > 1');
    const b = generated("s => s.events.some(e => e.name === 'x') || s.parent.children.filter(y => y.name === s.name).length > 7");
    const id = /H\.shared\((\d+), p0, S\[0\]\)/;
    expect(a.source).toMatch(id);
    expect(b.source).toMatch(id);
    expect(a.source.match(id)![1]).toBe(b.source.match(id)![1]);
    expect(generated('s => s.children.some(c => /a/.test(c.name))').source).not.toContain('H.shared');
    expect(generated("s => s.events.some(e => e.name === 'x')").source).not.toContain('H.shared'); // no links: nothing to share per pass
    // A filter's array is not shared (two filters give two arrays), its length is.
    expect(generated('s => s.children.filter(c => c.duration > 1) === s.children.filter(c => c.duration > 1)').source).not.toContain('H.shared');
    expect(generated('s => s.children.filter(c => c.duration > 1).length > 0').source).toContain('H.shared');
    // Depends on the arrow's parameter c: shared only as a whole.
    expect(generated('s => s.children.some(c => c.children.some(g => g.name === c.name))').source.match(/H\.shared/g)).toHaveLength(1);
  });

  test('a shared value holds until the spans are linked again', () => {
    const at = (id: string, parent: string | null, name: string) => createSpan({
      traceId: 't'.padStart(32, '1'), spanId: id.repeat(16), parentSpanId: parent === null ? null : parent.repeat(16), name, startTimeUnixNano: '1', endTimeUnixNano: '2',
    });
    const [root, one, two] = [at('a', null, 'root'), at('b', 'a', 'q'), at('c', 'a', 'q')];
    const twins = generated("s => s.children.filter(c => c.name === 'q').length === 2");
    const single = generated("s => s.children.filter(c => c.name === 'q').length === 1");
    linkSpans([root, one]);
    expect([twins.fn(root), single.fn(root)]).toEqual([false, true]);
    linkSpans([root, one, two]);
    expect([twins.fn(root), single.fn(root)]).toEqual([true, false]);
  });
});

describe('predicate groups (generatePredicateGroup.ts)', () => {
  test('answer for every member as its own predicate does, and count the same errors per member', () => {
    let shared = 0;
    // Members differing in a constant, as a thousand rules often are, and unrelated ones.
    const member = fc.oneof(body, fc.tuple(atom, fc.integer({ min: -1, max: 3 })).map(([a, n]) => `${a} && s.attributes.x !== ${n}`));
    fc.assert(fc.property(fc.array(member, { minLength: 1, maxLength: 70 }), (texts) => {
      const members = texts.map((text) => checked(`s => ${text}`));
      const states = members.map((c) => ({ re: c.regexes, errors: 0 }));
      const group = generatePredicateGroup<Span>(members.map((c, j) => ({ body: c.body, state: states[j] })));
      const own = members.map((c) => generatePredicate<Span>(c.body, c.regexes, 'oracle'));
      if (/\bc0\b/.test(group.source)) shared++;
      const out = new Uint8Array(members.length);
      for (const span of spans) {
        out.fill(7);
        group.fn(span, out);
        own.forEach((o, j) => expect(out[j], `${texts[j]} on ${span.spanId}`).toBe(o.fn(span) ? 1 : 0));
      }
      expect(states.map((x) => x.errors)).toEqual(own.map((o) => o.state.errors));
    }), { numRuns: 300 });
    expect(shared).toBeGreaterThan(50); // reads met by several members are made once
  });

  test('count errors in each member\'s own state, and charge one unit of the budget per member', () => {
    const texts = ['s.attributes.x > 0', 's.duration > 10', 's.attributes.x > 0 && s.name === "12"'];
    const members = texts.map((text) => checked(`s => ${text}`)).map((c) => ({ body: c.body, state: { re: c.regexes, errors: 0 } }));
    const group = generatePredicateGroup<Span>(members);
    const out = new Uint8Array(3);
    group.fn(spans[1], out); // x is a key-value list: comparing it throws
    expect([...out]).toEqual([0, 1, 0]);
    expect(members.map((m) => m.state.errors)).toEqual([1, 0, 1]);
    expect(withBudget(10, () => { group.fn(spans[0], out); return meter.remaining; })).toBe(7);
    expect(withBudget(2, () => group.fn(spans[0], out))).toBe(BUDGET_EXCEEDED);
  });
});
