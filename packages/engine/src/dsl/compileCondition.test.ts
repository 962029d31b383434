import { describe, expect, test } from 'vitest';
import { compileCondition, validateRuleDsl } from './compileCondition.js';
import { RuleError } from './ruleError.js';
import { REJECTED_RULES, VALID_RULES } from './ruleExamples.js';
import { parseDuration, formatDuration } from './duration.js';
import { MAX_RULE_LENGTH } from './parseRule.js';

describe('valid rules compile', () => {
  test.each(VALID_RULES)('$name', ({ dsl, monotone }) => {
    const compiled = compileCondition(dsl);
    expect(compiled.predicates.length).toBeGreaterThan(0);
    expect(compiled.monotone).toBe(monotone);
    expect(validateRuleDsl(dsl)).toEqual({ ok: true, errors: [] });
  });
});

describe('rejected rules report code, line, column and message', () => {
  test('there are at least 30 rejected examples', () => {
    expect(REJECTED_RULES.length).toBeGreaterThanOrEqual(30);
  });
  test.each(REJECTED_RULES)('$dsl', ({ dsl, code, line, column, message }) => {
    let error: unknown;
    try {
      compileCondition(dsl);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RuleError);
    const e = error as RuleError;
    expect({ code: e.code, line: e.line, column: e.column, message: e.message }).toEqual({ code, line, column, message });
    expect(validateRuleDsl(dsl)).toEqual({ ok: false, errors: [{ code, line, column, message }] });
  });
});

describe('error locations in multi-line rules', () => {
  test('a bad duration on line 3 points at its column', () => {
    const dsl = "trace.has(span => span.name === 'a')\n  .and(trace.has(span => span.name === 'b'))\n  .within('5 fortnights')";
    expect(validateRuleDsl(dsl).errors[0]).toMatchObject({ code: 'BAD_DURATION', line: 3, column: 11 });
  });
  test('a forbidden property on line 2', () => {
    const dsl = "trace.has(span =>\n    span.__proto__ !== null)";
    expect(validateRuleDsl(dsl).errors[0]).toMatchObject({ code: 'FORBIDDEN_PROPERTY', line: 2, column: 10 });
  });
  test('a syntax error on line 2', () => {
    const dsl = "trace.has(span => span.name === 'a')\n  .and(trace.has(span => span.name === ))";
    expect(validateRuleDsl(dsl).errors[0]).toMatchObject({ code: 'SYNTAX', line: 2, column: 40 });
  });
  test('a typo gets a suggestion', () => {
    const dsl = "trace.has(span => span.attributes['x'] === 1)\n  .and(trace.has(span => span.satus === 'ERROR'))";
    const e = validateRuleDsl(dsl).errors[0];
    expect(e).toMatchObject({ code: 'UNKNOWN_PROPERTY', line: 2, column: 31 });
    expect(e.message).toContain("did you mean 'status'?");
  });
});

describe('limits', () => {
  test('a very long rule is refused before parsing', () => {
    const dsl = `trace.has(span => span.name === '${'x'.repeat(MAX_RULE_LENGTH)}')`;
    expect(validateRuleDsl(dsl).errors[0]).toMatchObject({ code: 'TOO_LARGE', line: 1, column: 1 });
  });
  test('deep nesting is refused with its position', () => {
    const dsl = `trace.has(span => ${'('.repeat(1000)}true${')'.repeat(1000)})`;
    expect(validateRuleDsl(dsl).errors[0].code).toBe('TOO_LARGE');
  });
  test('long chains of && stay within the expression depth limit or fail cleanly', () => {
    const dsl = `trace.has(span => ${Array.from({ length: 500 }, (_, i) => `span.name !== 'n${i}'`).join(' && ')})`;
    const result = validateRuleDsl(dsl);
    if (!result.ok) expect(result.errors[0].code).toBe('TOO_LARGE');
  });
});

describe('compilation', () => {
  test('equal predicates are compiled once per rule', () => {
    const c = compileCondition("trace.has(s => s.name === 'a').and(trace.missing(x => x.name === 'a'))");
    expect(c.predicates).toHaveLength(1);
  });
  test('predicates that differ only in a regex are distinct', () => {
    const c = compileCondition('trace.has(s => /a/.test(s.name)).and(trace.has(s => /b/.test(s.name)))');
    expect(c.predicates).toHaveLength(2);
  });
  test('generated code carries no user text: identifiers are renamed and strings re-serialised', () => {
    const c = compileCondition("trace.has(evil => evil.name === '\\u0027); process.exit(1); (\\u0027')");
    const key = c.predicates[0].key;
    expect(key).not.toContain('evil');
    expect(key).toContain('p0');
    expect(c.predicates[0].text).toBe("evil => evil.name === '\\u0027); process.exit(1); (\\u0027'");
  });
  test('predicates reading parent or children are structural, which makes the rule non-monotone', () => {
    expect(compileCondition("trace.has(s => s.parent?.name === 'a')").monotone).toBe(false);
    expect(compileCondition("trace.has(s => s.children.length > 2)").monotone).toBe(false);
    expect(compileCondition("trace.has(s => s.attributes[s.name] === 1)").monotone).toBe(true);
    expect(compileCondition("trace.has(s => s[s.name] === 1)").monotone).toBe(false);
  });
  test('count comparisons normalise to count-on-the-left', () => {
    expect(compileCondition('2 <= trace.count(s => true)').root).toMatchObject({ k: 'count', op: '>=', n: 2 });
    expect(compileCondition('2 > trace.count(s => true)').root).toMatchObject({ k: 'count', op: '<', n: 2 });
    expect(compileCondition('trace.count(s => true) != 2').root).toMatchObject({ k: 'count', op: '!==', n: 2 });
  });
});

describe('durations', () => {
  test.each([
    ['500ms', 500], ['5s', 5000], ['5 seconds', 5000], ['1 minute', 60000], ['2m', 120000], ['1h', 3600000],
    ['1.5s', 1500], ['2 hours', 7200000], [250, 250], ['10 SECONDS', 10000], [' 3s ', 3000],
  ] as Array<[string | number, number]>)('%s is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });
  test.each(['5 parsecs', '', 's', '5', '-5s', 'five seconds', '1e3ms', NaN, -1, Infinity, null, {}])('%s is not a duration', (input) => {
    expect(parseDuration(input)).toBeNull();
  });
  test('formatDuration', () => {
    expect([250, 5000, 90000, 3600000].map(formatDuration)).toEqual(['250ms', '5s', '1.5m', '1h']);
  });
});
