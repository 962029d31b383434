/**
 * Predicate semantics: plain JavaScript where data is present, `undefined`
 * (never a throw) where it is missing, and a sandbox that hands out data only.
 */
import { describe, expect, test } from 'vitest';
import { compileCondition } from './compileCondition.js';
import { buildTrace } from '../testing/traceBuilder.js';
import { createSpan, type Span } from '../trace/span.js';
import { linkSpans } from '../trace/linkSpans.js';

function predicate(text: string): (span: Span) => boolean {
  const c = compileCondition(`trace.has(${text})`);
  return c.predicates[0].fn;
}

const [root, child, grandchild] = linkSpans(buildTrace('t', [
  { id: 'root', name: 'GET /checkout', service: 'gateway', start: 0, duration: 900, kind: 'SERVER', status: 'OK',
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'http.route': '/checkout', retries: 0, tags: ['a', 'b'], 'data.contains_pii': true, flag: false },
    resource: { 'deployment.environment': 'prod' } },
  { id: 'child', name: 'payment.charge', parent: 'root', service: 'payment', start: 100, duration: 500, kind: 'CLIENT', status: 'ERROR', statusMessage: 'card declined',
    attributes: { 'payment.amount': 12.5 }, events: [{ name: 'exception', at: 5, attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'upstream timed out' } }] },
  { id: 'gc', name: 'db.query SELECT', parent: 'child', service: 'payment', start: 200, duration: 1500, kind: 'CLIENT', attributes: { 'db.system': 'postgresql' } },
]));

describe('span fields', () => {
  test.each([
    ["s => s.name === 'GET /checkout'", root, true],
    ["s => s.service === 'payment'", child, true],
    ["s => s.status === 'ERROR' && s.statusMessage === 'card declined'", child, true],
    ["s => s.kind === 'CLIENT'", child, true],
    ['s => s.isRoot', root, true],
    ['s => s.isRoot', child, false],
    ['s => s.parentSpanId === null', root, true],
    ['s => s.duration > 1000', grandchild, true],
    ['s => s.endTime - s.startTime === s.duration', grandchild, true],
    ["s => s.traceId.length === 32 && s.spanId.length === 16", child, true],
    ["s => s.scope.name === ''", root, true],
    ["s => s.parent.name === 'GET /checkout'", child, true],
    ["s => s.parent?.parent?.name === 'GET /checkout'", grandchild, true],
    ["s => s.children.length === 1 && s.children[0].name === 'payment.charge'", root, true],
    ["s => s.children.some(c => c.children.some(g => g.duration > 1000))", root, true],
    ["s => s.events.some(e => e.name === 'exception' && e.attributes['exception.type'] === 'TimeoutError')", child, true],
    ["s => s.events.filter(e => e.name === 'exception').length === 1", child, true],
    ["s => s.events.find(e => e.name === 'exception').attributes['exception.message'].includes('timed out')", child, true],
    ["s => s.events.every(e => e.name === 'exception')", root, true],
    ['s => s.links.length === 0', root, true],
  ] as Array<[string, Span, boolean]>)('%s', (text, span, expected) => {
    expect(predicate(text)(span)).toBe(expected);
  });
});

describe('attributes', () => {
  test.each([
    ["s => s.attributes['http.response.status_code'] === 200", root, true],
    ["s => s.attributes['data.contains_pii'] === true", root, true],
    ['s => s.attributes.flag === false', root, true],
    ["s => s.attributes.tags.includes('b')", root, true],
    ['s => Array.isArray(s.attributes.tags) && s.attributes.tags.length === 2', root, true],
    ["s => s.attributes['deployment.environment'] === 'prod'", root, true], // resource fallback
    ["s => s.resource['deployment.environment'] === 'prod'", root, true],
    ["s => s.resource['http.route'] === undefined", root, true], // span attributes do not leak into resource
    ["s => 'http.route' in s.attributes", root, true],
    ["s => 'deployment.environment' in s.attributes", root, true],
    ["s => 'nope' in s.attributes", root, false],
    ["s => 'toString' in s.attributes", root, false],
    ["s => 'name' in s", root, true],
    ["s => 'duration' in s && 'isRoot' in s && 'startTimeUnixNano' in s", root, true], // derived fields: getters of the span's class
    ["s => s['dur' + 'ation'] === 1500 && s['is' + 'Root'] === false", grandchild, true],
    ["s => s['startTime' + 'UnixNano'].length > 0", root, true],
    ["s => 'constructor' in s", root, false],
    // The model's bookkeeping is not data to rules, even through computed reads.
    ["s => 'source' in s || 'startNanosWithinMilli' in s || s['sour' + 'ce'] !== undefined || s['startNanos' + 'WithinMilli'] !== undefined", root, false],
    ['s => s.attributes.retries === 0', root, true],
    ["s => s.attributes['payment.amount'] * 2 === 25", child, true],
  ] as Array<[string, Span, boolean]>)('%s', (text, span, expected) => {
    expect(predicate(text)(span)).toBe(expected);
  });
});

describe('missing data never throws and keeps JavaScript semantics', () => {
  test.each([
    ["s => s.attributes.missing !== 'a'", true],
    ["s => s.attributes.missing === 'a'", false],
    ['s => s.attributes.missing === undefined', true],
    ['s => s.attributes.missing == null', true],
    ['s => s.attributes.missing > 5', false],
    ['s => s.attributes.missing < 5', false],
    ['s => !s.attributes.missing', true],
    ['s => s.attributes.missing.deeper.still === undefined', true],
    ["s => s.attributes.missing.startsWith('x') === undefined", true],
    ["s => !s.attributes.missing?.includes('x')", true],
    ['s => s.attributes.missing.length === undefined', true],
    ['s => s.attributes.missing.some(x => x) === undefined', true],
    ['s => /x/.test(s.attributes.missing) === false', true],
    ['s => s.attributes.missing.match(/x/) === undefined', true],
    ['s => s.parent === null', true],
    ['s => s.parent.name === undefined', true],
    ["s => s.attributes['http.response.status_code'].startsWith('2') === undefined", true], // a number has no startsWith
    ["s => s.attributes['http.response.status_code'] === '200'", false], // no type coercion with ===
    ["s => s.attributes['http.response.status_code'] == '200'", true], // == coerces, as in JavaScript
    ["s => String(s.attributes['http.response.status_code']).startsWith('2')", true],
    ["s => Number('12') + 1 === 13", true],
    ['s => /^2\\d\\d$/.test(s.attributes["http.response.status_code"])', true], // numbers are tested as text
  ] as Array<[string, boolean]>)('%s', (text, expected) => {
    expect(predicate(text)(root)).toBe(expected);
  });
});

describe('strings, regexes, operators', () => {
  test.each([
    ["s => s.name.startsWith('GET') && s.name.endsWith('checkout') && s.name.includes(' /')", true],
    ["s => s.name.toLowerCase() === 'get /checkout'", true],
    ["s => s.name.toUpperCase() === 'GET /CHECKOUT'", true],
    ["s => ('  ' + s.name + ' ').trim() === s.name", true],
    ["s => s.name.match(/^(GET|POST) (.*)$/)[2] === '/checkout'", true],
    ['s => s.name.match(/^PUT/) === null', true],
    ['s => /checkout$/i.test(s.name)', true],
    ['s => /CHECKOUT/.test(s.name)', false],
    ["s => `${s.service}/${s.kind}` === 'gateway/SERVER'", true],
    ['s => (s.duration > 100 ? 1 : 2) === 1', true],
    ['s => Math.round(s.duration / 100) === 9 && Math.max(1, 2, 3) === 3 && Math.PI > 3', true],
    ["s => ['GET', 'HEAD'].includes(s.attributes['http.request.method'])", true],
    ['s => -s.duration < 0 && typeof s.name === "string"', true],
    ["s => s.attributes['http.route'] ?? 'none'", true],
    ["s => s.attributes['nope'] ?? false", false],
    ['s => s.name.length === 13', true],
    ['s => s.name[0] === "G"', true],
  ] as Array<[string, boolean]>)('%s', (text, expected) => {
    expect(predicate(text)(root)).toBe(expected);
  });

  test('dotted keys are single keys, not paths', () => {
    const [span] = buildTrace('d', [{ id: 'a', name: 'x', start: 0, attributes: { 'a.b': 1, a: 2 } }]);
    expect(predicate("s => s.attributes['a.b'] === 1")(span)).toBe(true);
    expect(predicate('s => s.attributes.a === 2')(span)).toBe(true);
    expect(predicate('s => s.attributes.a.b === undefined')(span)).toBe(true);
  });

  test('a catastrophic-backtracking pattern runs in linear time (RE2)', () => {
    const [span] = buildTrace('r', [{ id: 'a', name: `${'a'.repeat(50_000)}!`, start: 0 }]);
    expect(predicate('s => /^(a+)+$/.test(s.name)')(span)).toBe(false);
  });
});

describe('sandbox', () => {
  const hostile = createSpan({
    traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'evil', startTimeUnixNano: '1', endTimeUnixNano: '2',
    attributes: JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c", "toString": "x", "plain": 1}'),
  });

  test('attribute keys named __proto__ or constructor are plain data and pollute nothing', () => {
    expect(Object.getPrototypeOf(hostile.attributes)).toBe(hostile.resource);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(predicate('s => s.attributes.plain === 1')(hostile)).toBe(true);
  });

  test('computed reads of internal keys give undefined, whatever the key expression', () => {
    expect(predicate("s => s.attributes['con' + 'structor'] === undefined")(hostile)).toBe(true);
    expect(predicate("s => s.attributes['__pro' + 'to__'] === undefined")(hostile)).toBe(true);
    expect(predicate("s => s.attributes['to' + 'String'] === undefined")(hostile)).toBe(true);
    expect(predicate("s => s.name['con' + 'structor'] === undefined")(hostile)).toBe(true);
    expect(predicate("s => s.children['con' + 'structor'] === undefined")(hostile)).toBe(true);
    expect(predicate("s => s.children['ma' + 'p'] === undefined")(hostile)).toBe(true);
    expect(predicate("s => s['has' + 'OwnProperty'] === undefined")(hostile)).toBe(true);
  });

  test('a predicate that throws inside counts as no match and is counted', () => {
    const c = compileCondition('trace.has(s => s.attributes.obj > 1)');
    const [span] = buildTrace('o', [{ id: 'a', name: 'x', start: 0, attributes: { obj: Object.create(null) as never } }]);
    expect(c.predicates[0].fn(span)).toBe(false);
    expect(c.predicates[0].state.errors).toBe(1);
  });

  test('a predicate cannot reach globals even through generated helpers', () => {
    // The generated function only sees p0, H and R; the rule text cannot name them.
    for (const name of ['H', 'R', 'p0', 'predicate']) {
      expect(() => compileCondition(`trace.has(s => ${name} !== undefined)`)).toThrow(/not (defined|available)/);
    }
  });
});

describe('regexes shared across rules', () => {
  // checkPredicate.ts shares one RE2 object per pattern and flags across
  // rules; runtime.ts `test` remembers each regex's last text and answer.
  test('rules with the same regex share its compiled object; other flags or patterns do not', () => {
    const a = compileCondition("trace.has(s => /time(out|d out)/i.test(s.name) && s.kind === 'CLIENT')");
    const b = compileCondition("trace.has(s => /time(out|d out)/i.test(s.statusMessage))");
    const c = compileCondition("trace.has(s => /time(out|d out)/.test(s.statusMessage))");
    expect(a.predicates[0].state.re[0]).toBe(b.predicates[0].state.re[0]);
    expect(c.predicates[0].state.re[0]).not.toBe(a.predicates[0].state.re[0]);
  });

  test('answers equal a fresh JavaScript regex on every text, in any order of predicates and texts', () => {
    const patterns = ['^\\s*(drop|truncate)\\s', 'timeout|timed out', 'a+b', '^$'];
    const texts = ['timeout', 'timeoff', 'drop a ', 'dram a ', 'DROP table x', ' truncate y', 'request timed out', 'TIMEOUT', 'aab', 'ab', '', 'drop', 'x'.repeat(300) + 'timeout'];
    for (const flags of ['', 'i']) {
      // two predicates per pattern (distinct by a literal), called alternately, as the detector calls many rules on one span
      const fns = patterns.flatMap((p) => [0, 1].map((k) => ({
        re: new RegExp(p, flags),
        fn: predicate(`s => /${p}/${flags}.test(s.name) && s.service !== 'svc-${k}'`),
      })));
      for (let round = 0; round < 3; round++) {
        for (const text of round === 1 ? [...texts].reverse() : texts) {
          const span = createSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: text, startTimeUnixNano: '1', endTimeUnixNano: '2' });
          for (const { re, fn } of fns) expect(fn(span), `/${re.source}/${flags} on ${JSON.stringify(text)}`).toBe(re.test(text));
        }
      }
    }
  });
});

describe('null-safe reads of span-model values (H.field)', () => {
  // checkPredicate.ts marks reads of known fields on a value that may be
  // missing (span.parent, children[0], events[0], a filter's result) as
  // nullSafe: a plain read after a null check. They must answer as plain
  // JavaScript with optional chaining does, on spans with and without parent,
  // children and events.
  const spans = [root, child, grandchild];
  test.each([
    "s => s.parent?.status === 'ERROR'",
    "s => s.parent?.name === 'GET /checkout'",
    's => s.parent?.parent === null',
    "s => s.children[0]?.name === 'payment.charge'",
    's => s.children[0]?.children[0]?.duration > 1000',
    "s => s.parent?.attributes['http.route'] === '/checkout'",
    "s => s.parent?.attributes['db.system'] === undefined",
    "s => s.events[0]?.name === 'exception'",
    "s => s.events[0]?.attributes['exception.type'] === 'TimeoutError'",
    "s => s.children.filter(c => c.kind === 'CLIENT').length === 1",
    "s => s.parent?.children.filter(c => c.kind === 'CLIENT').length > 0",
    's => s.parent?.children[0]?.spanId === s.spanId',
    's => s.links[0]?.spanId === undefined',
  ])('%s', (text) => {
    const compiled = compileCondition(`trace.has(${text})`).predicates[0];
    expect(compiled.key).toContain('H.field(');
    // eslint-disable-next-line no-new-func -- the test's own fixed texts
    const native = new Function(`return (${text});`)() as (span: Span) => boolean;
    for (const span of spans) expect(compiled.fn(span), `${text} on ${span.spanId}`).toBe(!!native(span));
  });
});
