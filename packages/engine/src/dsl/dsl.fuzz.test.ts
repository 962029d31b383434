/**
 * Fuzzing the DSL parser and compiler with random text, mutations of the
 * valid examples (ruleExamples.ts), and expressions generated from the
 * grammar: every input either compiles or is refused with a RuleError at a
 * real position; every compiled rule evaluates on a hostile trace to a
 * boolean (or stops at its budget) without throwing or changing anything.
 * Inputs are bounded (MAX_RULE_LENGTH), so none can hang a run.
 * Long runs: FLUO_FUZZ_RUNS=200000 node scripts/fuzz.mjs
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRule } from '../engine/rule.js';
import { evaluateTrace } from '../engine/evaluateCondition.js';
import { buildTrace } from '../testing/traceBuilder.js';
import { fuzzOptions, fuzzTimeout } from '../testing/fuzzOptions.js';
import { linkSpans } from '../trace/linkSpans.js';
import { RuleError } from './ruleError.js';
import { VALID_RULES } from './ruleExamples.js';

const RUNS = 2000;
const spans = linkSpans(buildTrace('fuzz', [
  { id: 'root', name: 'GET /checkout', service: 'gateway', start: 0, duration: 900, kind: 'SERVER', attributes: { 'http.route': '/checkout', n: 3, list: ['a', 'constructor'], key: '__proto__' } },
  { id: 'a', name: 'auth.login', parent: 'root', service: 'auth', start: 10, duration: 20, status: 'ERROR', events: [{ name: 'exception', attributes: { 'exception.type': 'TimeoutError' } }] },
  { id: 'b', name: 'db.query', parent: 'a', service: 'payment', start: 40, duration: 1500, attributes: { 'data.contains_pii': true } },
]));
const snapshot = JSON.stringify(spans.map((s) => ({ ...s, parent: undefined, children: undefined })));

/** Compiles and runs; true when it compiled. Throws anything but a RuleError. */
function compilesAndRuns(dsl: string): boolean {
  let rule;
  try {
    rule = compileRule({ id: 'fuzz', name: 'fuzz', severity: 'info', dsl });
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    expect(err.line).toBeGreaterThanOrEqual(1);
    expect(err.column).toBeGreaterThanOrEqual(1);
    expect(err.line).toBeLessThanOrEqual(dsl.split(/\r\n|\r|\n|\u2028|\u2029/).length + 1);
    expect(err.message.length).toBeGreaterThan(0);
    return false;
  }
  const result = evaluateTrace(rule, spans, { budget: 1_000_000 });
  expect(typeof result.matched).toBe('boolean');
  return true;
}

const TOKENS = [
  'trace', '.has(', '.missing(', '.count(', '.where(', '.and(', '.or(', '.not(', '.within(', '.followedBy(', 's =>', 'span =>', '(', ')', '[', ']',
  "'5 seconds'", 's.name', 's.attributes', "['http.route']", 's.parent', 's.children', 's.events', '.some(e => ', '.length', '===', '!==', '&&', '||', '!',
  '>', '<=', '+', '-', '*', '/', '%', '?', ':', '?.', '1', '1e999', '-0', 'NaN', "'x'", '`${', '}`', '/a+/', '/(a+)+$/i', '.test(', '.includes(', 'in',
  'typeof', 'Math.max(', 'Number(', 'String(', 'Array.isArray(', 'constructor', '__proto__', 'globalThis', 'this', 'new ', '=', '++', ',', ';', '{', '}',
  '\n', '\r\n', '\u2028', '\u200b', '\\u0063', '//', '/*', '*/', ' ', '"', "'",
];
const tokenText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((ts) => ts.join(''));

type Mutation = { at: number; op: 'delete' | 'insert' | 'replace' | 'truncate' | 'swap'; token: number };
const mutations = fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('delete', 'insert', 'replace', 'truncate', 'swap'), token: fc.nat(TOKENS.length - 1) }), { minLength: 1, maxLength: 5 }) as fc.Arbitrary<Mutation[]>;
function mutate(text: string, ms: Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const i = t.length === 0 ? 0 : m.at % t.length;
    const token = TOKENS[m.token];
    if (m.op === 'delete') t = t.slice(0, i) + t.slice(i + 1);
    else if (m.op === 'insert') t = t.slice(0, i) + token + t.slice(i);
    else if (m.op === 'replace') t = t.slice(0, i) + token + t.slice(i + token.length);
    else if (m.op === 'truncate') t = t.slice(0, i);
    else { const j = (i * 7 + 3) % Math.max(1, t.length); t = t.slice(0, Math.min(i, j)) + t.slice(Math.max(i, j)) + t.slice(Math.min(i, j), Math.max(i, j)); }
  }
  return t;
}

// Expressions from the grammar (mostly valid, sometimes not: that is the point).
const field = fc.constantFrom('s.name', 's.service', 's.duration', 's.status', 's.kind', "s.attributes['http.route']", 's.attributes.n', 's.attributes.list',
  "s.attributes[s.attributes.key]", 's.parent?.name', 's.children.length', 's.events.length', 's.isRoot', 's.startTime', 's.resource.x');
const literal = fc.oneof(fc.integer({ min: -5, max: 2000 }).map(String), fc.constantFrom("'GET /checkout'", "'ERROR'", "'auth'", 'true', 'null', 'undefined', "'constructor'"));
const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    field, literal,
    fc.tuple(tie('expr'), fc.constantFrom('===', '!==', '<', '>=', '+', '-', '*', '%', '&&', '||', '??', 'in'), tie('expr')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('expr').map((a) => `!${a}`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
    fc.tuple(field, fc.constantFrom('startsWith', 'includes', 'endsWith'), literal).map(([f, m, l]) => `${f}?.${m}(${l})`),
    tie('expr').map((a) => `s.children.some(c => ${a.replaceAll('s.', 'c.')})`),
    tie('expr').map((a) => `s.events.every(e => e.name === 'exception' || ${a.replaceAll('s.', 'e.')})`),
    fc.tuple(field, fc.constantFrom('/^GET/', '/(a+)+$/', '/error/i')).map(([f, re]) => `${re}.test(${f})`),
    tie('expr').map((a) => `\`\${${a}}\`.length > 3`),
  ),
}));
const condition = fc.letrec<{ cond: string }>((tie) => ({
  cond: fc.oneof({ depthSize: 'small' },
    expr.map((e) => `trace.has(s => ${e})`),
    expr.map((e) => `trace.missing(s => ${e})`),
    fc.tuple(expr, fc.constantFrom('>', '>=', '===', '<'), fc.nat(5)).map(([e, op, n]) => `trace.count(s => ${e}) ${op} ${n}`),
    fc.tuple(expr, tie('cond')).map(([e, c]) => `trace.where(s => ${e})${c.startsWith('trace.') ? c.slice(5) : '.has(s => true)'}`),
    fc.tuple(tie('cond'), fc.constantFrom('and', 'or', 'followedBy'), tie('cond')).map(([a, op, b]) => `(${a}).${op}(${b})`),
    tie('cond').map((c) => `trace.not(${c})`),
    fc.tuple(tie('cond'), fc.constantFrom("'5 seconds'", '100', "'1m'", "'-1s'", "'forever'")).map(([c, d]) => `(${c}).within(${d})`),
  ),
})).cond;

describe('DSL fuzz', () => {
  it('random text: compiles or is refused with a RuleError at a real position', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => { compilesAndRuns(text); }), fuzzOptions(RUNS));
    fc.assert(fc.property(tokenText, (text) => { compilesAndRuns(text); }), fuzzOptions(RUNS));
  }, fuzzTimeout(30_000));

  it('mutated valid rules: compile or are refused, and compiled ones run', () => {
    let compiled = 0;
    fc.assert(fc.property(fc.constantFrom(...VALID_RULES.map((r) => r.dsl)), mutations, (dsl, ms) => {
      if (compilesAndRuns(mutate(dsl, ms))) compiled++;
    }), fuzzOptions(RUNS));
    expect(compiled).toBeGreaterThan(0);
  }, fuzzTimeout(30_000));

  it('generated conditions: compile or are refused, and run to a boolean without changing the spans', () => {
    let compiled = 0;
    fc.assert(fc.property(condition, (dsl) => { if (compilesAndRuns(dsl)) compiled++; }), fuzzOptions(RUNS));
    expect(compiled).toBeGreaterThan(RUNS / 4); // the generator mostly writes valid rules, so evaluation is exercised
    expect(JSON.stringify(spans.map((s) => ({ ...s, parent: undefined, children: undefined })))).toBe(snapshot);
  }, fuzzTimeout(60_000));
});
