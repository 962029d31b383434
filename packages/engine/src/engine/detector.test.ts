import { describe, expect, test } from 'vitest';
import { Detector, DetectorClosedError } from './detector.js';
import { compileRule, type CompiledRule, type RuleDefinition } from './rule.js';
import type { CompletedTrace, Detection } from './detection.js';
import { buildTrace, hexId, type SpanSpec } from '../testing/traceBuilder.js';
import { signalId } from './signal.js';
import { decodeProtobufTraces } from '../otlp/decodeProtobufTraces.js';
import { encodeProtobufTraces } from '../otlp/encodeProtobufTraces.js';
import { createSpan, NO_EXTRAS } from '../trace/span.js';

function rule(id: string, dsl: string, extra: Partial<RuleDefinition> = {}): CompiledRule {
  return compileRule({ id, name: id, severity: 'warning', dsl, ...extra });
}

const RETRY = rule('retry', "trace.has(s => s.name === 'auth.login' && s.status === 'ERROR').and(trace.has(s => s.name === 'auth.login' && s.status === 'OK')).within('5s')");
const PII = rule('pii', "trace.has(s => s.attributes['data.contains_pii'] === true).and(trace.missing(s => s.name === 'audit.log'))");

function ids(detections: Detection[]): string[] {
  return detections.map((d) => `${d.signal.ruleId}@${d.signal.traceId.slice(-4)}`);
}

describe('Detector', () => {
  test('arrivalAttributeKeys: the attribute keys its predicates read by name, of any span they reach, routing keys included', () => {
    const detector = new Detector();
    expect([...detector.arrivalAttributeKeys()]).toEqual([]);
    detector.setRules([
      PII,
      rule('fanout', "trace.count(s => s.attributes['http.route'] === '/a' && s.children.some(c => c.attributes['db.system'] !== undefined)) > 0"),
      rule('computed', "trace.has(s => s.attributes[s.name] === 1 || 'k' in s.attributes)"),
    ]);
    expect(new Set(detector.arrivalAttributeKeys())).toEqual(new Set(['data.contains_pii', 'http.route', 'db.system']));
    detector.setRules([RETRY]);
    expect([...detector.arrivalAttributeKeys()]).toEqual([]);
  });

  test('a positive pattern fires on the batch that completes it, before the trace completes', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([RETRY, PII]);
    const [fail, ok] = buildTrace('t1', [
      { id: 'a', name: 'auth.login', status: 'ERROR', start: 0, service: 'auth' },
      { id: 'b', name: 'auth.login', status: 'OK', start: 2000, service: 'auth' },
    ]);
    expect(detector.ingest([fail], 0).detections).toEqual([]);
    const { detections } = detector.ingest([ok], 100);
    expect(detections).toHaveLength(1);
    const s = detections[0].signal;
    expect(s).toMatchObject({ ruleId: 'retry', ruleName: 'retry', severity: 'warning', mode: 'alert', ruleVersion: 1, traceId: fail.traceId, detectedAt: 100 });
    expect(s.id).toBe(signalId('retry', fail.traceId));
    expect(s.spanIds).toEqual([fail.spanId, ok.spanId]);
    expect(s.services).toEqual(['auth']);
    expect(s.firstSpanTime).toBe(fail.startTime);
    expect(s.lastSpanTime).toBe(ok.endTime);
    expect(s.message).toBe('retry: 2 witness spans (auth.login ×2) in auth');
    expect(detections[0].spans.map((x) => x.spanId)).toEqual([fail.spanId, ok.spanId]);
    expect(detector.stats()).toMatchObject({ bufferedTraces: 1, bufferedSpans: 2, signals: 1 });
    // completes later without firing again
    expect(detector.tick(1100)).toEqual([]);
    expect(detector.stats()).toMatchObject({ bufferedTraces: 0, tracesCompleted: 1 });
  });

  test('an absence pattern is decided when the trace goes idle', () => {
    const completed: CompletedTrace[] = [];
    const detector = new Detector({ idleTimeoutMs: 1000 }, { onTraceCompleted: (t) => completed.push(t) });
    detector.setRules([PII]);
    const spans = buildTrace('t2', [{ id: 'r', name: 'customer.read', start: 0, attributes: { 'data.contains_pii': true } }]);
    expect(detector.ingest(spans, 0).detections).toEqual([]);
    expect(detector.tick(999)).toEqual([]);
    const fired = detector.tick(1000);
    expect(ids(fired)).toEqual([`pii@${spans[0].traceId.slice(-4)}`]);
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ reason: 'idle', firstReceivedAt: 0, lastReceivedAt: 0, completedAt: 1000 });
  });

  test('the audit log arriving in a later batch, before completion, prevents the signal', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([PII]);
    const [read, audit] = buildTrace('t3', [
      { id: 'r', name: 'customer.read', start: 0, attributes: { 'data.contains_pii': true } },
      { id: 'a', name: 'audit.log', start: 5 },
    ]);
    detector.ingest([read], 0);
    detector.ingest([audit], 900);
    expect(detector.tick(1800)).toEqual([]);
    expect(detector.tick(1900)).toEqual([]);
  });

  test('spans of many traces arrive interleaved and out of order', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([RETRY]);
    const t1 = buildTrace('i1', [{ id: 'a', name: 'auth.login', status: 'ERROR', start: 0 }, { id: 'b', name: 'auth.login', status: 'OK', start: 100 }]);
    const t2 = buildTrace('i2', [{ id: 'a', name: 'auth.login', status: 'OK', start: 0 }, { id: 'b', name: 'auth.login', status: 'ERROR', start: 9000 }]);
    expect(detector.ingest([t1[1], t2[1]], 0).detections).toEqual([]);
    expect(ids(detector.ingest([t2[0], t1[0]], 10).detections)).toEqual([`retry@${t1[0].traceId.slice(-4)}`]);
  });

  test('a late span reopens its trace with the earlier spans, and a rule never fires twice', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    const late = rule('late', "trace.has(s => s.name === 'a').and(trace.has(s => s.name === 'b'))");
    detector.setRules([RETRY, late, PII]);
    const [a, b, c] = buildTrace('t4', [
      { id: 'a', name: 'a', start: 0, attributes: { 'data.contains_pii': true } },
      { id: 'b', name: 'b', start: 10 },
      { id: 'c', name: 'a', start: 20 },
    ]);
    detector.ingest([a], 0);
    expect(ids(detector.tick(1000))).toEqual([`pii@${a.traceId.slice(-4)}`]);
    // late span: the trace reopens with `a` remembered, so `late` now fires
    expect(ids(detector.ingest([b], 1500).detections)).toEqual([`late@${a.traceId.slice(-4)}`]);
    expect(detector.stats().tracesReopened).toBe(1);
    // completing again does not fire pii a second time
    expect(detector.tick(2500)).toEqual([]);
    detector.ingest([c], 2600);
    expect(detector.tick(3600)).toEqual([]);
  });

  test('duplicate spans (a sender retrying) are ignored', () => {
    const detector = new Detector();
    detector.setRules([rule('count2', "trace.count(s => s.name === 'a') >= 2")]);
    const [a] = buildTrace('t5', [{ id: 'a', name: 'a', start: 0 }]);
    detector.ingest([a], 0);
    expect(detector.ingest([a], 1).detections).toEqual([]);
    expect(detector.stats()).toMatchObject({ spansDuplicate: 1, bufferedSpans: 1 });
  });

  test('spans over the per-trace limit are rejected with a reason', () => {
    const detector = new Detector({ maxSpansPerTrace: 2 });
    const spans = buildTrace('t6', [{ id: 'a', name: 'a', start: 0 }, { id: 'b', name: 'b', start: 1 }, { id: 'c', name: 'c', start: 2 }]);
    const { rejected } = detector.ingest(spans, 0);
    expect(rejected).toEqual([{ traceId: spans[2].traceId, spanId: spans[2].spanId, reason: `trace ${spans[2].traceId} has reached the limit of 2 spans per trace` }]);
    expect(detector.stats()).toMatchObject({ spansRejected: 1, bufferedSpans: 2 });
  });

  test('the memory bound completes the least recently active traces first', () => {
    const completed: string[] = [];
    const detector = new Detector({ maxBufferedSpans: 3, idleTimeoutMs: 10_000 }, { onTraceCompleted: (t) => completed.push(t.traceId) });
    detector.setRules([PII]);
    const t1 = buildTrace('m1', [{ id: 'a', name: 'x', start: 0, attributes: { 'data.contains_pii': true } }]);
    const t2 = buildTrace('m2', [{ id: 'a', name: 'x', start: 0 }, { id: 'b', name: 'y', start: 1 }]);
    const t3 = buildTrace('m3', [{ id: 'a', name: 'x', start: 0 }]);
    detector.ingest(t1, 0);
    detector.ingest(t2, 1);
    const { detections } = detector.ingest(t3, 2);
    expect(completed).toEqual([t1[0].traceId]);
    expect(ids(detections)).toEqual([`pii@${t1[0].traceId.slice(-4)}`]);
    expect(detector.stats()).toMatchObject({ bufferedSpans: 3, bufferedTraces: 2, tracesForced: 1 });
  });

  test('the trace count bound and the lifetime limit force completion', () => {
    const completed: Array<[string, string]> = [];
    const detector = new Detector({ maxBufferedTraces: 1, maxTraceLifetimeMs: 5000, idleTimeoutMs: 1000 }, { onTraceCompleted: (t) => completed.push([t.traceId.slice(-4), t.reason]) });
    const t1 = buildTrace('l1', [{ id: 'a', name: 'x', start: 0 }]);
    const t2 = buildTrace('l2', [{ id: 'a', name: 'x', start: 0 }, { id: 'b', name: 'x', start: 0 }, { id: 'c', name: 'x', start: 0 }, { id: 'd', name: 'x', start: 0 }, { id: 'e', name: 'x', start: 0 }, { id: 'f', name: 'x', start: 0 }, { id: 'g', name: 'x', start: 0 }]);
    detector.ingest(t1, 0);
    detector.ingest([t2[0]], 0);
    for (let i = 1; i < t2.length; i++) {
      detector.ingest([t2[i]], i * 900);
      detector.tick(i * 900);
    }
        expect(completed).toEqual([[t1[0].traceId.slice(-4), 'memory'], [t2[0].traceId.slice(-4), 'lifetime']]);
  });

  test('rules set while traces are buffered apply to them; removed rules stop applying', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    const [a] = buildTrace('t7', [{ id: 'a', name: 'a', start: 0 }]);
    detector.ingest([a], 0);
    detector.setRules([rule('has-a', "trace.has(s => s.name === 'a')"), rule('no-b', "trace.missing(s => s.name === 'b')")]);
    detector.setRules([rule('has-a', "trace.has(s => s.name === 'a')")]);
    expect(ids(detector.tick(1000))).toEqual([`has-a@${a.traceId.slice(-4)}`]);
  });

  test('predicate results survive a rule-set change and rules sharing predicates agree', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    const r1 = rule('r1', "trace.count(s => s.name === 'a') >= 2");
    const r2 = rule('r2', "trace.count(s => s.name === 'a') >= 3");
    detector.setRules([r1]);
    const spans = buildTrace('t8', [{ id: 'a', name: 'a', start: 0 }, { id: 'b', name: 'a', start: 1 }, { id: 'c', name: 'a', start: 2 }]);
    detector.ingest([spans[0]], 0);
    detector.setRules([r2, r1]);
    expect(ids(detector.ingest([spans[1]], 1).detections)).toEqual([`r1@${spans[0].traceId.slice(-4)}`]);
    expect(ids(detector.ingest([spans[2]], 2).detections)).toEqual([`r2@${spans[0].traceId.slice(-4)}`]);
  });

  test('structural rules are decided at completion, when the parent has arrived', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([rule('orphan', 'trace.has(s => !s.isRoot && s.parent === null)')]);
    const [parent, child] = buildTrace('t9', [{ id: 'p', name: 'p', start: 0 }, { id: 'c', name: 'c', parent: 'p', start: 1 }]);
    expect(detector.ingest([child], 0).detections).toEqual([]); // would match now, but the parent may still come
    detector.ingest([parent], 500);
    expect(detector.tick(1500)).toEqual([]);
  });

  test('flush decides every trace; close is idempotent and refuses more spans', () => {
    const detector = new Detector();
    detector.setRules([PII]);
    const spans = buildTrace('t10', [{ id: 'r', name: 'read', start: 0, attributes: { 'data.contains_pii': true } }]);
    detector.ingest(spans, 0);
    expect(detector.close(1)).toHaveLength(1);
    expect(detector.close(2)).toEqual([]);
    expect(detector.isClosed).toBe(true);
    expect(() => detector.ingest(spans, 3)).toThrow(DetectorClosedError);
    expect(detector.stats()).toMatchObject({ bufferedSpans: 0, bufferedTraces: 0, rememberedTraces: 0 });
  });

  test('remembered traces are forgotten after the retention period', () => {
    const detector = new Detector({ idleTimeoutMs: 100, completedTraceRetentionMs: 1000 });
    detector.setRules([rule('a', "trace.has(s => s.name === 'a')")]);
    const spans = buildTrace('t11', [{ id: 'a', name: 'a', start: 0 }, { id: 'b', name: 'a', start: 1 }]);
    expect(detector.ingest([spans[0]], 0).detections).toHaveLength(1);
    detector.tick(100);
    expect(detector.stats().rememberedTraces).toBe(1);
    detector.tick(1100);
    expect(detector.stats().rememberedTraces).toBe(0);
    // Past the memory the detector fires again; the signal id is the same, so stores deduplicate.
    const again = detector.ingest([spans[1]], 1200).detections;
    expect(again.map((d) => d.signal.id)).toEqual([signalId('a', spans[0].traceId)]);
  });

  test('invalid options are refused', () => {
    expect(() => new Detector({ idleTimeoutMs: -1 })).toThrow(/idleTimeoutMs/);
    expect(() => new Detector({ maxBufferedSpans: Number.NaN })).toThrow(/maxBufferedSpans/);
  });

  test('buffered traces can be read while in progress', () => {
    const detector = new Detector();
    const spans = buildTrace('t12', [{ id: 'b', name: 'b', start: 5, parent: 'a' }, { id: 'a', name: 'a', start: 0 }]);
    detector.ingest(spans, 0);
    const trace = detector.bufferedTrace(spans[0].traceId)!;
    expect(trace.map((s) => s.name)).toEqual(['a', 'b']);
    expect(trace[0].children.map((s) => s.spanId)).toEqual([hexId('b', 16)]);
    expect(detector.bufferedTrace('f'.repeat(32))).toBeUndefined();
  });

  test('a completed trace is remembered as its OTLP bytes, handed to the listener; a late span reopens it whole', () => {
    const seen: CompletedTrace[] = [];
    const detector = new Detector({ idleTimeoutMs: 1000 }, { onTraceCompleted: (t) => seen.push(t) });
    detector.setRules([PII]);
    const [a, b] = decodeProtobufTraces(encodeProtobufTraces(buildTrace('t1', [
      { id: 'a', name: 'x', start: 0, attributes: { 'data.contains_pii': true } },
      { id: 'b', name: 'audit.log', start: 1 },
    ]))).spans;
    detector.ingest([a], 0);
    const first = detector.tick(2000);
    expect(ids(first)).toEqual(['pii@7431']);
    expect(seen[0].spans).toEqual([a]);
    const remembered = decodeProtobufTraces(seen[0].otlp!).spans;
    expect(remembered.map((s) => [s.spanId, s.attributes['data.contains_pii']])).toEqual([[a.spanId, true]]);
    expect(detector.ingest([a], 2050).detections).toEqual([]); // a retry of a remembered span: nothing reopens
    expect(detector.stats()).toMatchObject({ spansDuplicate: 1, tracesReopened: 0 });
    detector.ingest([b], 2100); // a late span reopens the trace with the remembered one
    expect(detector.stats().tracesReopened).toBe(1);
    expect(detector.bufferedTrace(a.traceId)!.map((s) => [s.spanId, s.attributes['data.contains_pii']])).toEqual([[a.spanId, true], [b.spanId, undefined]]);
    expect(detector.tick(4000)).toEqual([]); // fired once: not again
    expect(seen[1].spans.map((s) => s.spanId)).toEqual([a.spanId, b.spanId]);
  });

  test('a compiled predicate given a function written by hand is called as it is, never replaced by a generated group', () => {
    // Two predicates routed together (same guard) would be tested as one generated group; the functions here are not generated.
    const compiled = [rule('x0', "trace.has(s => s.kind === 'SERVER' && s.attributes.x > 0)"), rule('x1', "trace.has(s => s.kind === 'SERVER' && s.attributes.x > 1)")];
    let calls = 0;
    const byHand = compiled.map((r) => ({
      ...r,
      condition: { ...r.condition, predicates: r.condition.predicates.map((p) => ({ ...p, fn: () => { calls++; return true; } })) },
    }));
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules(byHand);
    const { detections } = detector.ingest(buildTrace('th', [{ id: 'a', name: 'GET /', kind: 'SERVER', start: 0 }]), 0);
    expect(detections.map((d) => d.signal.ruleId)).toEqual(['x0', 'x1']);
    expect(calls).toBe(2);
  });

  test('a family of structural predicates tested together costs no rule more budget than it alone would', () => {
    // Alone, each rule costs 300 predicate calls and a 300-span scan: 600 units of 1,000. Three members tested
    // together cost 900, four 1,200 (more than a rule's budget: then each member is tested alone).
    for (const names of [['a', 'b', 'c'], ['a', 'b', 'c', 'd']]) {
      const detector = new Detector({ idleTimeoutMs: 1000, ruleBudget: 1000 });
      detector.setRules(names.map((n) => rule(`parent-${n}`, `trace.has(s => s.parent !== null && s.parent.name === '${n}')`)));
      const spans = buildTrace(`tb${names.length}`, [{ id: 'r', name: 'a', start: 0 }, ...Array.from({ length: 299 }, (_, i) => ({ id: `c${i}`, name: 'q', parent: 'r', start: i + 1 }))]);
      detector.ingest(spans, 0);
      expect(detector.tick(5000).map((d) => d.signal.ruleId), names.join()).toEqual(['parent-a']);
      expect(detector.stats().budgetExceeded).toBe(0);
    }
  });

  test('a structural predicate\'s local prefix is tested as spans arrive, and its match count bounds the predicate\'s', () => {
    // Five CLIENT spans, two of them database calls: the guard (kind) would let the rule be evaluated, the prefix (kind and db.system) does not.
    const text = "trace.count(s => s.kind === 'CLIENT' && s.attributes['db.system'] !== undefined && s.parent !== null && s.parent.name === 'root') >= 3";
    const trace = (id: string, dbCalls: number) => decodeProtobufTraces(encodeProtobufTraces(buildTrace(id, [
      { id: 'r', name: 'root', kind: 'SERVER', start: 0 },
      ...Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, name: `call${i}`, kind: 'CLIENT' as const, parent: 'r', start: i + 1, attributes: i < dbCalls ? { 'db.system': 'postgresql' } : {} })),
    ]))).spans;
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([rule('db-calls', text)]);
    detector.ingest(trace('p2', 2), 0);
    expect(detector.tick(5000)).toEqual([]);
    expect(detector.stats().ruleEvaluations).toBe(0);
    detector.ingest(trace('p3', 3), 6000);
    const [detection] = detector.tick(12000);
    expect(detection.signal.ruleId).toBe('db-calls');
    expect(detection.signal.spanIds).toEqual(['c0', 'c1', 'c2'].map((id) => hexId(id, 16)));
    expect(detector.stats().ruleEvaluations).toBe(1);
  });

  test('a released span\'s array attribute read twice is one object, as on a span not released', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    // Structural (parent): decided at completion, on spans released since they arrived.
    detector.setRules([rule('same', "trace.has(s => s.parent === null && s.attributes.tags === s.attributes['ta' + 'gs'])")]);
    const spans = decodeProtobufTraces(encodeProtobufTraces(buildTrace('ta', [{ id: 'r', name: 'root', start: 0, attributes: { tags: ['x', 'y'] } }]))).spans;
    detector.ingest(spans, 0);
    expect(detector.tick(5000).map((d) => d.signal.ruleId)).toEqual(['same']);
  });

  test('rules differing only in a window decide one another in a pass, but not where a longer window can fail (count <)', () => {
    // A longer window holds wherever a shorter one does, unless a count that more spans can make false is restricted.
    const longerFirst = [
      rule('w-long', "trace.has(s => s.name === 'q').and(trace.count(s => s.name === 'p') < 1).within(1000)"),
      rule('w-short', "trace.has(s => s.name === 'q').and(trace.count(s => s.name === 'p') < 1).within(100)"),
      rule('f-long', "trace.not(trace.has(s => s.name === 'q').followedBy(trace.has(s => s.name === 'p')).within(1000))"),
      rule('f-short', "trace.not(trace.has(s => s.name === 'q').followedBy(trace.has(s => s.name === 'p')).within(100))"),
      rule('f-shorter', "trace.not(trace.has(s => s.name === 'q').followedBy(trace.has(s => s.name === 'p')).within(50))"),
    ];
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules(longerFirst);
    detector.ingest(buildTrace('tw', [{ id: 'q', name: 'q', start: 0, duration: 10 }, { id: 'p', name: 'p', start: 500, duration: 10 }]), 0);
    expect(detector.tick(5000).map((d) => d.signal.ruleId)).toEqual(['w-short', 'f-short', 'f-shorter']);
  });

  test('buffered spans release their attribute maps after a call and read them decoded again, equal, while their trace is open', () => {
    // A structural rule reads other spans' attributes when the trace completes, long after they arrived.
    const NESTED = rule('nested', "trace.has(s => s.attributes['db.system'] === 'postgresql' && s.parent !== null && s.parent.attributes['http.route'] === '/pay')");
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([NESTED, PII]);
    const spans = decodeProtobufTraces(encodeProtobufTraces(buildTrace('t2', [
      { id: 'r', name: 'POST /pay', start: 0, attributes: { 'http.route': '/pay', 'n': 1.5, 'list': [1, 'two', { k: true }] } },
      { id: 'q', name: 'SELECT', parent: 'r', start: 1, attributes: { 'db.system': 'postgresql' }, resource: { 'service.name': 'db' }, events: [{ name: 'retry', at: 2, attributes: { n: 2 } }] },
    ]))).spans;
    const before = spans.map((s) => ({ ...s.attributes }));
    const events = JSON.stringify(spans[1].events);
    const maps = spans.map((s) => s.attributes);
    detector.ingest(spans, 0);
    detector.tick(10); // the next call releases them
    const released = spans.map((s) => (s as unknown as { attributeMap: unknown; extras: unknown }));
    expect(released.map((s) => [s.attributeMap, s.extras])).toEqual([[null, NO_EXTRAS], [null, null]]); // the shared empty extras stay
    expect(JSON.stringify(spans[1].events)).toBe(events);
    expect(spans.map((s) => ({ ...s.attributes }))).toEqual(before);
    expect(spans[0].attributes).not.toBe(maps[0]); // decoded again
    expect(Object.getPrototypeOf(spans[1].attributes)).toBe(spans[1].resource); // with the resource fallback
    expect(spans[1].attributes['service.name']).toBe('db');
    detector.tick(20);
    expect(ids(detector.tick(2000))).toEqual(['nested@7432']);
  });

  test('a trace of spans built in code, with ids no encoding accepts, is remembered as its spans and reopens whole', () => {
    const seen: CompletedTrace[] = [];
    const detector = new Detector({ idleTimeoutMs: 1000 }, { onTraceCompleted: (t) => seen.push(t) });
    detector.setRules([PII]);
    const make = (spanId: string, start: string) => createSpan({ traceId: 'trace-1', spanId, name: 'x', startTimeUnixNano: start, endTimeUnixNano: start, attributes: { k: spanId } });
    detector.ingest([make('not-hex', '1')], 0);
    expect(() => detector.tick(2000)).not.toThrow();
    expect(seen[0]).toMatchObject({ traceId: 'trace-1', otlp: undefined });
    detector.ingest([make('late', '2')], 2100);
    expect(detector.stats().tracesReopened).toBe(1);
    expect(detector.bufferedTrace('trace-1')!.map((s) => [s.spanId, s.attributes.k])).toEqual([['not-hex', 'not-hex'], ['late', 'late']]);
    detector.close(2200);
    expect(seen[1]).toMatchObject({ otlp: undefined }); // closing: nothing is remembered, nothing encoded for it
  });

  test('a completed trace that raised nothing releases its spans\' details at once; set details stay set', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    detector.setRules([PII]);
    const spans = decodeProtobufTraces(encodeProtobufTraces(buildTrace('t4', [{ id: 'a', name: 'x', start: 0, attributes: { k: 'v' } }, { id: 'b', name: 'y', start: 1 }]))).spans;
    detector.ingest(spans, 0);
    spans[1].attributes = Object.assign(Object.create(spans[1].resource), { mine: true }); // pins the span's details
    detector.tick(2000); // completes, no signal
    expect(spans.map((s) => (s as unknown as { attributeMap: unknown }).attributeMap === null)).toEqual([true, false]);
    expect([spans[0].attributes.k, spans[1].attributes.mine]).toEqual(['v', true]);
  });

  test('a released span given a null source decodes its attributes first and keeps them', () => {
    const detector = new Detector({ idleTimeoutMs: 1000 });
    const [span] = decodeProtobufTraces(encodeProtobufTraces(buildTrace('t3', [{ id: 'a', name: 'x', start: 0, attributes: { k: 'v' } }]))).spans;
    detector.ingest([span], 0);
    detector.tick(1);
    expect((span as unknown as { attributeMap: unknown }).attributeMap).toBeNull();
    span.source = null;
    detector.tick(2);
    expect(span.attributes.k).toBe('v');
    expect((span as unknown as { attributeMap: unknown }).attributeMap).not.toBeNull();
  });
});

export type { SpanSpec };
