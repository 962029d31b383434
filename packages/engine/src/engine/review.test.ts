/** Regression tests for problems found in review: each failed before its fix. */
import { describe, expect, test } from 'vitest';
import { compileCondition, validateRuleDsl } from '../dsl/compileCondition.js';
import { evaluateTrace } from './evaluateCondition.js';
import { Detector } from './detector.js';
import { compileRule } from './rule.js';
import { buildTrace, hexId } from '../testing/traceBuilder.js';

describe('review regressions', () => {
  test('followedBy chains keep their order and all their steps as witnesses', () => {
    const dsl = "trace.has(s => s.name === 'A').followedBy(trace.has(s => s.name === 'B')).followedBy(trace.has(s => s.name === 'C'))";
    const rule = { condition: compileCondition(dsl) };
    const wrongOrder = buildTrace('f1', [{ id: 'a', name: 'A', start: 0, duration: 10 }, { id: 'c', name: 'C', start: 20, duration: 10 }, { id: 'b', name: 'B', start: 40, duration: 10 }]);
    expect(evaluateTrace(rule, wrongOrder).matched).toBe(false);
    const rightOrder = buildTrace('f2', [{ id: 'a', name: 'A', start: 0, duration: 10 }, { id: 'b', name: 'B', start: 20, duration: 10 }, { id: 'c', name: 'C', start: 40, duration: 10 }]);
    expect(evaluateTrace(rule, rightOrder).witnesses.map((w) => w.name)).toEqual(['A', 'B', 'C']);
  });

  test('parent/children read through an untyped value still make a predicate structural', () => {
    expect(compileCondition('trace.has(s => (s || s).parent === null)').monotone).toBe(false);
    expect(compileCondition('trace.has(s => [s][0].children.length > 0)').monotone).toBe(false);
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([compileRule({ id: 'orphan', name: 'orphan', severity: 'info', dsl: "trace.has(s => (s || s).parent === null && s.name === 'db')" })]);
    const [root, db] = buildTrace('st', [{ id: 'root', name: 'root', start: 0 }, { id: 'db', name: 'db', parent: 'root', start: 1 }]);
    expect(detector.ingest([db], 0).detections).toEqual([]);
    detector.ingest([root], 10);
    expect(detector.tick(2000)).toEqual([]);
  });

  test('long || and .and chains compile flat and evaluate without exhausting the stack', () => {
    const dsl = Array(3000).fill('trace.has(s=>1)').join('||');
    const compiled = compileCondition(dsl);
    expect(compiled.root).toMatchObject({ k: 'or' });
    expect(evaluateTrace({ condition: compiled }, buildTrace('c', [{ id: 'a', name: 'x', start: 0 }])).matched).toBe(true);
    const chain = (n: number) => `trace.has(s=>1)${'.and(trace.has(s=>1))'.repeat(n)}`;
    expect(validateRuleDsl(chain(500)).ok).toBe(true);
    expect(compileCondition(chain(500)).root).toMatchObject({ k: 'and' });
    // Deeper method chains than the compiler's stack allows are a clean compile error.
    expect(validateRuleDsl(chain(2900)).errors[0]?.code).toBe('TOO_LARGE');
  });

  test('conditions nested too deep are a TOO_LARGE compile error, not a crash', () => {
    const deep = `trace.has(s => true)${'.within(1)'.repeat(6000)}`;
    expect(validateRuleDsl(deep).errors[0]?.code).toBe('TOO_LARGE');
    const nots = `${'trace.not('.repeat(100)}trace.has(s => true)${')'.repeat(100)}`;
    expect(validateRuleDsl(nots).errors[0]?.code).toBe('TOO_LARGE');
  });

  test('a huge identifier gets an error, quickly, without a suggestion table', () => {
    const result = validateRuleDsl(`trace.has(${'a'.repeat(32000)} => ${'b'.repeat(32000)})`);
    expect(result.errors[0].code).toBe('UNKNOWN_IDENTIFIER');
  });

  test('regex objects are opaque to rules', () => {
    const [span] = buildTrace('re', [{ id: 'a', name: 'a', start: 0 }]);
    expect(compileCondition("trace.has(s => (/a/ || 0).patternInput === 'a')").predicates[0].fn(span)).toBe(false);
    expect(compileCondition("trace.has(s => 'patternInput' in (/a/ || 0))").predicates[0].fn(span)).toBe(false);
  });

  test('count within with the count on the right', () => {
    expect(compileCondition("3 <= trace.count(s => s.status === 'ERROR') .within('1m')").root).toMatchObject({ k: 'within', ms: 60000, item: { k: 'count', op: '>=', n: 3 } });
  });

  test('whole-trace evaluation counts a duplicated span once, as the detector does', () => {
    const spans = buildTrace('dup', [{ id: 'a', name: 'retry', start: 0 }, { id: 'b', name: 'retry', start: 1 }]);
    expect(evaluateTrace({ condition: compileCondition("trace.count(s => s.name === 'retry') > 2") }, [...spans, spans[1]]).matched).toBe(false);
  });

  test('a batch of only duplicates does not reopen a completed trace', () => {
    const completed: string[] = [];
    const detector = new Detector({ idleTimeoutMs: 100 }, { onTraceCompleted: (t) => completed.push(t.traceId) });
    const spans = buildTrace('re-open', [{ id: 'a', name: 'a', start: 0 }]);
    detector.ingest(spans, 0);
    detector.tick(100);
    detector.ingest(spans, 150);
    detector.tick(300);
    expect(completed).toEqual([hexId('re-open', 32)]);
    expect(detector.stats()).toMatchObject({ tracesReopened: 0, spansDuplicate: 1 });
  });

  test('a rule whose evaluation fails does not stop the others', () => {
    const detector = new Detector();
    const good = compileRule({ id: 'good', name: 'good', severity: 'info', dsl: "trace.has(s => s.name === 'a')" });
    detector.setRules([good]);
    const { detections } = detector.ingest(buildTrace('g', [{ id: 'a', name: 'a', start: 0 }]), 0);
    expect(detections.map((d) => d.signal.ruleId)).toEqual(['good']);
    expect(detector.stats().evaluationErrors).toBe(0);
  });
});
