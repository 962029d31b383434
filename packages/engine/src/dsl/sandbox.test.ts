/**
 * The rule sandbox under attack. Each table row is an escape attempt and
 * what must happen to it: refused at compile time with a RuleError code, or
 * compiled and contained (evaluates to a plain boolean on hostile spans,
 * changes nothing, reaches nothing). After every attempt we check that no
 * prototype was polluted, no global changed, and the spans are unchanged.
 *
 * The second half covers the resource bounds: rule size and nesting limits,
 * RE2's linear-time regexes on pathological input, huge attribute strings,
 * and the per-trace evaluation budget.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { compileCondition } from './compileCondition.js';
import { RuleError } from './ruleError.js';
import { MAX_RULE_LENGTH, MAX_RULE_NESTING } from './parseRule.js';
import { BUDGET_EXCEEDED, BudgetExceededError, meter, withBudget } from './runtime.js';
import { decodeJsonTraces } from '../otlp/decodeJsonTraces.js';
import { linkSpans } from '../trace/linkSpans.js';
import type { Span } from '../trace/span.js';
import { compileRule } from '../engine/rule.js';
import { evaluateTrace } from '../engine/evaluateCondition.js';
import { Detector } from '../engine/detector.js';
import { buildTrace } from '../testing/traceBuilder.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

/** A trace as a hostile sender would send it, through the real OTLP/JSON decoder. */
function hostileSpans(): Span[] {
  const attr = (key: string, value: object): object => ({ key, value });
  const str = (s: string): object => ({ stringValue: s });
  const hostileAttributes = [
    attr('__proto__', { kvlistValue: { values: [attr('polluted', { boolValue: true }), attr('isAdmin', { boolValue: true })] } }),
    attr('constructor', str('constructor')),
    attr('prototype', { kvlistValue: { values: [attr('constructor', str('x'))] } }),
    attr('toString', str('not a function')),
    attr('valueOf', { intValue: '7' }),
    attr('hasOwnProperty', str('h')),
    attr('key', str('constructor')),
    attr('proto', str('__proto__')),
    attr('list', { arrayValue: { values: [str('__proto__'), str('constructor')] } }),
    attr('html', str('<script>alert(1)</script>')),
    attr('obj', { kvlistValue: { values: [attr('toString', str('x')), attr('valueOf', str('y'))] } }),
  ];
  const body = {
    resourceSpans: [{
      resource: { attributes: [attr('service.name', str('evil')), attr('__proto__', str('resource-proto')), attr('constructor', str('rc'))] },
      scopeSpans: [{
        scope: { name: 'constructor' },
        spans: [
          { traceId: TRACE, spanId: 'b7ad6b7169203331', name: 'constructor', kind: 2, startTimeUnixNano: '1000000000', endTimeUnixNano: '2000000000', attributes: hostileAttributes,
            events: [{ name: '__proto__', timeUnixNano: '1500000000', attributes: hostileAttributes }] },
          { traceId: TRACE, spanId: '00f067aa0ba902b7', parentSpanId: 'b7ad6b7169203331', name: '__proto__', startTimeUnixNano: '1100000000', endTimeUnixNano: '1200000000', attributes: hostileAttributes },
        ],
      }],
    }],
  };
  const decoded = decodeJsonTraces(JSON.stringify(body));
  expect(decoded.rejected).toEqual([]);
  return linkSpans(decoded.spans);
}

/** A structural snapshot of spans (own keys, including `__proto__`, as data), ignoring parent/children cycles. */
function snapshot(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '…';
  if (Array.isArray(value)) return value.map((v) => snapshot(v, depth + 1));
  const out: Array<[string, unknown]> = [];
  for (const key of Reflect.ownKeys(value)) {
    if (key === 'parent' || key === 'children') continue;
    out.push([String(key), snapshot(Object.getOwnPropertyDescriptor(value, key)?.value, depth + 1)]);
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== null && proto !== Object.prototype) out.push(['[[proto]]', snapshot(proto, depth + 1)]);
  return out;
}

const GLOBAL_KEYS = Reflect.ownKeys(globalThis).length;
function expectNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(OBJECT_PROTO_KEYS);
  expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(ARRAY_PROTO_KEYS);
  expect(Object.getOwnPropertyNames(String.prototype).sort()).toEqual(STRING_PROTO_KEYS);
  expect(Reflect.ownKeys(globalThis).length).toBe(GLOBAL_KEYS);
  expect(meter.remaining).toBe(Infinity);
}
const OBJECT_PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
const ARRAY_PROTO_KEYS = Object.getOwnPropertyNames(Array.prototype).sort();
const STRING_PROTO_KEYS = Object.getOwnPropertyNames(String.prototype).sort();

afterEach(expectNoPollution);

/** Attempts refused at compile time, with the RuleError code. */
const REFUSED: Array<[string, string]> = [
  // constructor chains, the classic escape to Function
  ["trace.has(s => s.constructor.constructor('return process')())", 'FORBIDDEN_PROPERTY'],
  ["trace.has(s => s['constructor'])", 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.name[`constructor`])', 'FORBIDDEN_PROPERTY'],
  ["trace.has(s => s?.name?.['constructor'])", 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => [].constructor)', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => `${s.constructor}`)', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.events.some(e => e.constructor === 1))', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.events.find(e => true).constructor)', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => new s.constructor())', 'NOT_ALLOWED'],
  // escapes in identifiers spell the same name and are caught the same way
  ['trace.has(s => s.\\u0063onstructor)', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.\\u{63}onstructor.name)', 'FORBIDDEN_PROPERTY'],
  ["trace.has(s => s['\\u0063onstructor'])", 'FORBIDDEN_PROPERTY'],
  ["trace.has(s => s['\\x5f_proto__'])", 'FORBIDDEN_PROPERTY'],
  // prototype pollution and internals
  ["trace.has(s => s.attributes['__proto__'])", 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.attributes.__proto__.polluted === 1)', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.attributes[`__proto__`])', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.attributes.prototype)', 'FORBIDDEN_PROPERTY'],
  ["trace.has(s => s.name.__defineGetter__('x', 1))", 'FORBIDDEN_PROPERTY'],
  ["trace.has(s => s.attributes.__lookupGetter__('x'))", 'FORBIDDEN_PROPERTY'],
  // toString / valueOf tricks
  ['trace.has(s => s.name.toString())', 'FORBIDDEN_PROPERTY'],
  ['trace.has(s => s.name.valueOf())', 'FORBIDDEN_PROPERTY'],
  ["trace.has(s => s.attributes[{toString: () => 'x'}])", 'NOT_ALLOWED'],
  ["trace.has(s => ({ valueOf: () => 1 }) > 0)", 'NOT_ALLOWED'],
  // getters and setters need object literals or classes
  ['trace.has(s => ({ get x() { return 1 } }).x)', 'NOT_ALLOWED'],
  ['trace.has(s => class { static x = 1 })', 'NOT_ALLOWED'],
  // globals, code loading, process, network
  ['trace.has(s => globalThis.process)', 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => global.process)', 'UNKNOWN_IDENTIFIER'],
  ["trace.has(s => Function('return 1')())", 'UNKNOWN_IDENTIFIER'],
  ["trace.has(s => import('node:fs'))", 'NOT_ALLOWED'],
  ['trace.has(s => import.meta)', 'SYNTAX'],
  ["trace.has(s => eval('1'))", 'UNKNOWN_IDENTIFIER'],
  ["trace.has(s => require('node:child_process'))", 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => process.exit(1))', 'UNKNOWN_IDENTIFIER'],
  ["trace.has(s => fetch('http://169.254.169.254/'))", 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => Symbol.iterator)', 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => Reflect.ownKeys(s))', 'UNKNOWN_METHOD'],
  ['trace.has(s => Object.prototype)', 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => JSON.parse(s.name))', 'UNKNOWN_METHOD'],
  ["trace.has(s => typeof s.name['at'] === 'function')", 'UNKNOWN_PROPERTY'],
  ["trace.has(s => setTimeout('1', 0))", 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => WebAssembly)', 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => arguments)', 'UNKNOWN_IDENTIFIER'],
  ['trace.has(s => this)', 'NOT_ALLOWED'],
  ['trace.has(s => Math.constructor)', 'UNKNOWN_PROPERTY'],
  ["trace.has(s => Math['abs'])", 'UNKNOWN_PROPERTY'],
  ['trace.has(s => Array.isArray.call(null, 1))', 'NOT_ALLOWED'],
  ["trace.has(s => s.name.startsWith.call('x', 'x'))", 'UNKNOWN_PROPERTY'],
  ["trace.has(s => (0, s.name.includes)('x'))", 'NOT_ALLOWED'],
  // template-literal tricks
  ['trace.has(s => String.raw`x`)', 'NOT_ALLOWED'],
  ['trace.has(s => s.name`x`)', 'NOT_ALLOWED'],
  // mutation of spans
  ["trace.has(s => (s.name = 'x'))", 'NOT_ALLOWED'],
  ['trace.has(s => s.attributes.x = 1)', 'NOT_ALLOWED'],
  ['trace.has(s => delete s.name)', 'NOT_ALLOWED'],
  ['trace.has(s => s.x++)', 'NOT_ALLOWED'],
  ['trace.has(s => s.events.push(1))', 'UNKNOWN_METHOD'],
  ['trace.has(s => s.events.sort())', 'UNKNOWN_METHOD'],
  ['trace.has(s => s.children.splice(0))', 'UNKNOWN_METHOD'],
  // code, loops, functions
  ['trace.has(s => { while (true) {} })', 'NOT_ALLOWED'],
  ['trace.has(function (s) { return true })', 'NOT_ALLOWED'],
  ['trace.has(s => async () => 1)', 'NOT_ALLOWED'],
  ['trace.has(s => (x => x)(1))', 'NOT_ALLOWED'],
  ["trace.has(s => new RegExp('(a+)+$'))", 'NOT_ALLOWED'],
  ["trace.has(s => s.name.repeat(1e9))", 'UNKNOWN_METHOD'],
  ["trace.has(s => s.name.padStart(1e9))", 'UNKNOWN_METHOD'],
  ["trace.has(s => s.name.replace(/a/, 'b'))", 'UNKNOWN_METHOD'],
  // unicode tricks: a Cyrillic 'а' in a field name, zero-width and bidi characters
  ["trace.has(s => s.n\u0430me === 'x')", 'UNKNOWN_PROPERTY'],
  ["trace.has(s => s.name\u200b === 'x')", 'SYNTAX'],
  ["trace.has(s => s.name === 'x'\u202e)", 'SYNTAX'],
  ['trace.has(s => s.\u202econstructor)', 'SYNTAX'],
];

describe('escape attempts refused at compile time', () => {
  test.each(REFUSED)('%s', (rule, code) => {
    let error: unknown;
    try { compileCondition(rule); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(RuleError);
    expect((error as RuleError).code).toBe(code);
    expect((error as RuleError).line).toBeGreaterThanOrEqual(1);
  });
});

/**
 * Attempts that compile (their keys are only known at run time, or they are
 * harmless) and what they evaluate to on the hostile trace's root span:
 * internal keys read as undefined, attribute data named like internals is
 * plain data, and nothing else happens.
 */
const CONTAINED: Array<[string, boolean]> = [
  // computed member access with a key from span data ('constructor', '__proto__')
  ['trace.has(s => s.attributes[s.attributes.key] !== undefined)', false],
  ['trace.has(s => s.attributes[s.attributes.proto] !== undefined)', false],
  ['trace.has(s => s[s.name] !== undefined)', false],
  ['trace.has(s => s.name[s.name] !== undefined)', false],
  ["trace.has(s => s.name['constr' + 'uctor'] !== undefined)", false],
  ["trace.has(s => s.attributes['__pro' + 'to__'] !== undefined)", false],
  ["trace.has(s => s.attributes[['__proto__']] !== undefined)", false],
  ["trace.has(s => s.attributes[`${'__proto'}__`] !== undefined)", false],
  ['trace.has(s => s.attributes.list.some(k => s.attributes[k] !== undefined))', false],
  ['trace.has(s => s.attributes.list.some(k => s[k] !== undefined || s.events[k] !== undefined))', false],
  // `in` with internal keys
  ["trace.has(s => 'constructor' in s.attributes)", false],
  ["trace.has(s => ('__pro' + 'to__') in s.attributes)", false],
  ["trace.has(s => ('to' + 'String') in s)", false],
  // functions are never handed out, even under data-looking names
  ["trace.has(s => typeof s.name['a' + 't'] === 'function')", false],
  ["trace.has(s => typeof s.attributes['hasOwn' + 'Property'] === 'function')", false],
  ["trace.has(s => typeof s.events['m' + 'ap'] === 'function')", false],
  ["trace.has(s => typeof s.children['fil' + 'ter'] === 'function')", false],
  // attributes named like internals are data, readable only as data where the name is allowed
  ['trace.has(s => s.attributes.html === \'<script>alert(1)</script>\')', true],
  ["trace.has(s => s.name === 'constructor' && s.service === 'evil')", true],
  ["trace.has(s => s.scope.name === 'constructor')", true],
  ["trace.has(s => s.events.some(e => e.name === '__proto__'))", true],
  ["trace.has(s => s.children.some(c => c.name === '__proto__'))", true],
  // objects in string positions are never converted (their toString would run)
  ['trace.has(s => s.attributes.list + 1 === 1)', false],
  ['trace.has(s => `${s.attributes.obj}` === \'x\')', false],
  ["trace.has(s => s.attributes.obj + '' === 'x' || s.attributes.obj > 0)", false],
  ['trace.has(s => s.name.includes(s.attributes.obj))', false],
  // catastrophic in backtracking engines; RE2 is linear
  ['trace.has(s => /(a+)+$/.test(s.attributes.html))', false],
  ['trace.has(s => /^(a|a)*$/.test(s.name))', false],
];

describe('escape attempts contained at run time', () => {
  test.each(CONTAINED)('%s', (rule, expected) => {
    const spans = hostileSpans();
    const before = snapshot(spans);
    const compiled = compileCondition(rule);
    const results = spans.map((span) => compiled.predicates.map((p) => p.fn(span)));
    for (const row of results) for (const r of row) expect(typeof r).toBe('boolean');
    expect(results[0][0]).toBe(expected);
    expect(evaluateTrace({ condition: compiled }, spans).matched).toBe(expected || results.some((r) => r[0]));
    expect(snapshot(spans)).toEqual(before);
  });

  test('a generated predicate sees only its parameter and the helpers', () => {
    const compiled = compileCondition("trace.has(s => s.name === 'x' && /a/.test(s.name) && Math.abs(1) === 1)");
    for (const p of compiled.predicates) {
      expect(p.fn.toString()).not.toMatch(/\b(globalThis|process|require|import|eval|Function|constructor)\b/);
    }
  });
});

describe('one rule cannot observe or change another', () => {
  test('rules share no state: evaluations in any order give the same answers, spans unchanged', () => {
    const spans = hostileSpans();
    const before = snapshot(spans);
    const texts = CONTAINED.map(([rule]) => rule);
    const rules = texts.map((dsl, i) => compileRule({ id: `r${i}`, name: `r${i}`, severity: 'info', dsl }));
    const forward = rules.map((r) => evaluateTrace(r, spans).matched);
    const backward = [...rules].reverse().map((r) => evaluateTrace(r, spans).matched).reverse();
    expect(backward).toEqual(forward);
    expect(snapshot(spans)).toEqual(before);
  });

  test('a rule has no way to name another rule, its id, its state or its regexes', () => {
    for (const rule of ['trace.has(s => R.re[0])', 'trace.has(s => H.get)', 'trace.has(s => p1)', 'trace.has(s => rules)', 'trace.has(s => state.errors)']) {
      expect(() => compileCondition(rule)).toThrow(RuleError);
    }
  });

  test('a failing or over-budget rule does not stop the others in the detector', () => {
    const heavy = compileRule({ id: 'heavy', name: 'heavy', severity: 'info', dsl: 'trace.has(s => s.parent.children.some(a => s.parent.children.some(b => a.name === b.name + "x")))' });
    const light = compileRule({ id: 'light', name: 'light', severity: 'info', dsl: "trace.has(s => s.name === 'leaf-1')" });
    const budgetExceeded: string[] = [];
    const detector = new Detector({ ruleBudget: 50_000 }, { onBudgetExceeded: (ruleId) => budgetExceeded.push(ruleId) });
    detector.setRules([heavy, light]);
    const spans = buildTrace('wide', [{ id: 'root', name: 'root', start: 0, duration: 1000 },
      ...Array.from({ length: 400 }, (_, i) => ({ id: `c${i}`, name: `leaf-${i}`, parent: 'root', start: 1 + i }))]);
    const detections = [...detector.ingest(spans, 0).detections, ...detector.flush(1)];
    expect(detections.map((d) => d.signal.ruleId)).toEqual(['light']);
    expect(budgetExceeded).toEqual(['heavy']);
    expect(detector.stats().budgetExceeded).toBe(1);
  });
});

describe('resource bounds', () => {
  test('very long rules are refused with TOO_LARGE', () => {
    const long = `trace.has(s => ${Array.from({ length: 20_000 }, (_, i) => `s.name === 'n${i}'`).join(' || ')})`;
    expect(long.length).toBeGreaterThan(MAX_RULE_LENGTH);
    expect(() => compileCondition(long)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
  });

  test('deep nesting is refused with TOO_LARGE, not a stack overflow', () => {
    for (const open of ['(', '[', '!(']) {
      const depth = MAX_RULE_NESTING + 10;
      const close = open === '[' ? ']' : ')';
      const rule = `trace.has(s => ${open.repeat(depth)}s.isRoot${close.repeat(depth)})`;
      expect(() => compileCondition(rule)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    }
    const unary = `trace.has(s => ${'!'.repeat(50_000)}s.isRoot)`;
    expect(() => compileCondition(unary)).toThrow(RuleError);
    const chain = `trace.has(s => s.isRoot)${'.and(trace.has(s => s.isRoot))'.repeat(2_000)}`;
    expect(() => compileCondition(chain)).toThrow(RuleError);
  });

  test('the longest allowed rule compiles and runs', () => {
    const terms: string[] = [];
    let rule = '';
    for (let i = 0; ; i++) {
      const next = `trace.has(s => [${[...terms, `'n${i}'`].join(', ')}].includes(s.name))`;
      if (next.length > MAX_RULE_LENGTH) break;
      terms.push(`'n${i}'`);
      rule = next;
    }
    const compiled = compileCondition(rule);
    expect(compiled.predicates[0].fn(buildTrace('t', [{ id: 'a', name: `n${terms.length - 1}`, start: 0 }])[0])).toBe(true);
  });

  test('catastrophic regexes run in linear time (RE2) on long input', () => {
    const input = `${'a'.repeat(100_000)}!`;
    const spans = buildTrace('t', [{ id: 'a', name: input, start: 0, attributes: { s: input } }]);
    // With a backtracking engine each of these would take longer than the age of the universe.
    for (const re of ['/(a+)+$/', '/^(a|aa)+$/', '/(a*)*b/', '/^(\\w+\\s?)*$/', '/(.*a){20}/']) {
      const c = compileCondition(`trace.has(s => ${re}.test(s.attributes.s) || ${re}.test(s.name))`);
      expect(typeof c.predicates[0].fn(spans[0])).toBe('boolean');
    }
  });

  test('huge attribute strings are data: compared, searched and measured, never evaluated', () => {
    const huge = `${'x'.repeat(5_000_000)}\${process.exit(1)}`;
    const spans = buildTrace('t', [{ id: 'a', name: 'a', start: 0, attributes: { huge } }]);
    const c = compileCondition("trace.has(s => s.attributes.huge.length > 5000000 && s.attributes.huge.includes('process') && `${s.attributes.huge}`.endsWith('}'))");
    expect(c.predicates[0].fn(spans[0])).toBe(true);
  });
});

describe('the evaluation budget', () => {
  const wide = buildTrace('wide', [{ id: 'root', name: 'root', start: 0, duration: 1000 },
    ...Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`, name: `leaf-${i}`, parent: 'root', start: 1 + i, attributes: { tags: Array.from({ length: 50 }, (_, j) => `t${j}`) } }))]);
  const quadratic = compileRule({ id: 'q', name: 'q', severity: 'info', dsl: "trace.has(s => s.parent.children.some(c => c.attributes.tags.some(t => t === 'none')))" });

  test('a rule over budget stops, reports it, and does not match', () => {
    const result = evaluateTrace(quadratic, wide, { budget: 10_000 });
    expect(result).toEqual({ matched: false, witnesses: [], budgetExceeded: true });
  });

  test('within budget the answer is the unbudgeted one', () => {
    const cheap = compileRule({ id: 'c', name: 'c', severity: 'info', dsl: "trace.has(s => s.attributes.tags.includes('t49'))" });
    expect(evaluateTrace(cheap, wide, { budget: 1_000_000 })).toEqual(evaluateTrace(cheap, wide));
    expect(evaluateTrace(quadratic, wide, { budget: 1e9 }).budgetExceeded).toBeUndefined();
  });

  test('the budget counts predicate calls, iterations and scans: a budget just large enough passes, one unit less fails', () => {
    const rule = compileRule({ id: 'r', name: 'r', severity: 'info', dsl: "trace.has(s => s.attributes.tags?.some(t => t === 't2'))" });
    let needed = 0;
    for (let budget = 1; budget < 10_000; budget *= 2) {
      if (!evaluateTrace(rule, wide, { budget }).budgetExceeded) { needed = budget; break; }
    }
    expect(needed).toBeGreaterThan(0);
    let lo = needed / 2;
    let hi = needed;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (evaluateTrace(rule, wide, { budget: mid }).budgetExceeded) lo = mid; else hi = mid;
    }
    // 301 predicate calls, 3 iterations for each of 300 leaves, one scan of 301 spans.
    expect(hi).toBe(301 + 300 * 3 + 301);
  });

  test('predicate errors still count as no match, the budget error is not swallowed', () => {
    const compiled = compileCondition("trace.has(s => s.attributes.tags.some(t => t === 'x'))");
    expect(withBudget(2, () => compiled.predicates[0].fn(wide[1]))).toBe(BUDGET_EXCEEDED);
    expect(BUDGET_EXCEEDED).toBeInstanceOf(BudgetExceededError);
    expect(compiled.predicates[0].fn(wide[1])).toBe(false);
  });

  test('the detector stops that rule on that trace only, counts it once, and keeps evaluating others', () => {
    const events: Array<[string, string]> = [];
    const detector = new Detector({ ruleBudget: 20_000 }, { onBudgetExceeded: (ruleId, traceId) => events.push([ruleId, traceId]) });
    const small = compileRule({ id: 's', name: 's', severity: 'info', dsl: "trace.has(s => s.name === 'root')" });
    detector.setRules([quadratic, small]);
    const narrow = buildTrace('narrow', [{ id: 'root', name: 'root', start: 0 }, { id: 'c', name: 'c', parent: 'root', start: 1, attributes: { tags: ['none'] } }]);
    const out = [...detector.ingest(wide.slice(0, 150), 0).detections, ...detector.ingest(wide.slice(150), 1).detections,
      ...detector.ingest(narrow, 2).detections, ...detector.flush(3)];
    expect(out.map((d) => `${d.signal.ruleId}@${d.signal.traceId}`).sort()).toEqual(
      [`q@${narrow[0].traceId}`, `s@${narrow[0].traceId}`, `s@${wide[0].traceId}`].sort());
    expect(events).toEqual([['q', wide[0].traceId]]);
    expect(detector.stats().budgetExceeded).toBe(1);
    // A late span reopens the trace: the rule stays stopped on it.
    const late = buildTrace('wide', [{ id: 'late', name: 'late', parent: 'root', start: 999 }]);
    expect([...detector.ingest(late, 4).detections, ...detector.flush(5)]).toEqual([]);
    expect(detector.stats().tracesReopened).toBe(1);
    expect(detector.stats().budgetExceeded).toBe(1);
  });
});
