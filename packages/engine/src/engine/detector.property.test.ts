/**
 * Property: the detector's incremental evaluation (random batches, random
 * arrival order, traces interleaved, early firing of monotone rules, cached
 * predicate results) decides exactly what a straightforward evaluation of
 * each whole trace decides, on random traces and random rules.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Detector } from './detector.js';
import { compileRule, type CompiledRule } from './rule.js';
import { evaluateTrace } from './evaluateCondition.js';
import { buildTrace, type SpanSpec } from '../testing/traceBuilder.js';
import type { Span } from '../trace/span.js';
import { linkSpans } from '../trace/linkSpans.js';
import type { Detection } from './detection.js';
import { requiredMatchCounts } from './requiredPredicates.js';
import { decideByCounts } from './decideByCounts.js';
import { decodeProtobufTraces } from '../otlp/decodeProtobufTraces.js';
import { encodeProtobufTraces } from '../otlp/encodeProtobufTraces.js';

const NAMES = ['a', 'b', 'c', 'd'];
const SERVICES = ['s1', 's2', 's3'];

const spanPredicate: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NAMES).map((n) => `s.name === '${n}'`),
  fc.constantFrom(...SERVICES).map((n) => `s.service === '${n}'`),
  fc.constant("s.status === 'ERROR'"),
  fc.constantFrom(500, 1500).map((d) => `s.duration > ${d}`),
  fc.constantFrom(0, 1, 2).map((x) => `s.attributes.x > ${x}`),
  fc.constant('s.attributes.x !== 1'),
  // the attribute map read as a whole (decoded in full from a span decoded in arrival mode)
  fc.constant("'x' in s.attributes"),
  // equalities on an attribute: guarded predicates routed by attribute value (detector.ts GuardRouting)
  fc.constantFrom(0, 1, 2).map((x) => `s.attributes.x === ${x}`),
  fc.constant("s.parent?.name === 'a'"),
  // structural predicates differing only in a constant: tested together (detector.ts, TestedTogether)
  fc.constantFrom(0, 1, 2).map((n) => `s.children.length > ${n}`),
  fc.constantFrom(0, 1, 2).map((n) => `s.name === 'b' && s.parent !== null && s.parent.children.filter(c => c.attributes.x === s.attributes.x).length > ${n}`),
  // structural predicates with a local prefix beyond their guard, tested when spans arrive (detector.ts, SharedPredicate.prefilter)
  fc.constantFrom(0, 1).map((n) => `s.name === 'b' && s.attributes.x !== 1 && s.parent !== null && s.parent.children.filter(c => c.attributes.x === s.attributes.x).length > ${n}`),
  fc.constantFrom(500, 1500).map((d) => `s.name === 'a' && s.duration > ${d} && s.children.length > 0`),
  // structural predicates with two guard equalities (the detector counts spans passing both)
  fc.constantFrom("s.name === 'a' && s.status === 'ERROR' && s.parent !== null", "s.status === 'OK' && s.service === 's1' && s.children.length > 0"),
);

const predicate: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: spanPredicate },
  { weight: 1, arbitrary: fc.tuple(spanPredicate, fc.constantFrom('&&', '||'), spanPredicate).map(([a, op, b]) => `${a} ${op} ${b}`) },
).map((body) => `s => ${body}`);

const scope: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('trace') },
  { weight: 1, arbitrary: predicate.map((p) => `trace.where(${p})`) },
);

const { condition } = fc.letrec<{ condition: string }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(scope, predicate).map(([sc, p]) => `${sc}.has(${p})`),
    fc.tuple(scope, predicate).map(([sc, p]) => `${sc}.missing(${p})`),
    fc.tuple(scope, predicate, fc.constantFrom('>', '>=', '<', '<=', '===', '!=='), fc.integer({ min: 0, max: 3 })).map(([sc, p, op, n]) => `(${sc}.count(${p}) ${op} ${n})`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `${a}.and(${b})`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `${a}.or(${b})`),
    tie('condition').map((a) => `trace.not(${a})`),
    fc.tuple(tie('condition'), fc.constantFrom(100, 1000, 5000)).map(([a, d]) => `${a}.within(${d})`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `${a}.followedBy(${b})`),
  ),
}));

const spanSpecs: fc.Arbitrary<SpanSpec[]> = fc.array(
  fc.record({
    name: fc.constantFrom(...NAMES),
    service: fc.constantFrom(...SERVICES),
    start: fc.integer({ min: 0, max: 20_000 }),
    duration: fc.integer({ min: 0, max: 3000 }),
    status: fc.constantFrom('UNSET', 'OK', 'ERROR') as fc.Arbitrary<'UNSET' | 'OK' | 'ERROR'>,
    x: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    // an attribute no rule reads by name (left in the bytes in arrival mode)
    filler: fc.boolean(),
    parentChoice: fc.nat(),
  }),
  { minLength: 0, maxLength: 12 },
).map((items) => items.map((it, i) => ({
  id: `s${i}`,
  name: it.name,
  service: it.service,
  start: it.start,
  duration: it.duration,
  status: it.status,
  attributes: { ...(it.filler ? { y: 'filler' } : {}), ...(it.x === undefined ? {} : { x: it.x }) },
  // parents point at earlier spans (or nowhere), so the trace is a forest
  parent: i > 0 && it.parentChoice % 3 !== 0 ? `s${it.parentChoice % i}` : undefined,
})));

interface Scenario { traces: Span[][]; rules: CompiledRule[]; order: number[]; cuts: number[] }

const scenario: fc.Arbitrary<Scenario> = fc
  .tuple(fc.array(spanSpecs, { minLength: 1, maxLength: 3 }), fc.array(condition, { minLength: 1, maxLength: 4 }), fc.nat(), fc.array(fc.nat(), { maxLength: 6 }))
  .map(([traces, conditions, seed, cuts]) => {
    const built = traces.map((specs, i) => buildTrace(`trace-${i}`, specs));
    const all = built.flat();
    // deterministic shuffle from the seed
    const order = all.map((_, i) => i);
    let x = seed + 1;
    for (let i = order.length - 1; i > 0; i--) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const j = x % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return {
      traces: built,
      // Rules differing only in a window's length, which a pass decides together (evaluateCondition.ts, WindowMemo).
      rules: [...conditions, ...conditions.filter((dsl) => dsl.includes('.within(')).map((dsl) => dsl.replace(/\.within\((\d+)\)/g, (_, d: string) => `.within(${Number(d) * 3})`))]
        .map((dsl, i) => compileRule({ id: `r${i}`, name: `r${i}`, severity: 'info', dsl })),
      order,
      cuts,
    };
  });

function oracle(s: Scenario): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const spans of s.traces) {
    if (spans.length === 0) continue;
    const fired = new Set<string>();
    for (const r of s.rules) if (evaluateTrace(r, spans).matched) fired.add(r.id);
    out.set(spans[0].traceId, fired);
  }
  return out;
}

function batches(s: Scenario): Span[][] {
  const all = s.traces.flat();
  const ordered = s.order.map((i) => all[i]);
  const cutPoints = [...new Set(s.cuts.map((c) => (ordered.length === 0 ? 0 : c % ordered.length)))].sort((a, b) => a - b);
  const out: Span[][] = [];
  let from = 0;
  for (const c of [...cutPoints, ordered.length]) {
    if (c > from) out.push(ordered.slice(from, c));
    from = Math.max(from, c);
  }
  return out;
}

function signalsByTrace(detections: Detection[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of detections) {
    const list = out.get(d.signal.traceId) ?? [];
    list.push(d.signal.ruleId);
    out.set(d.signal.traceId, list);
  }
  return out;
}

/** Ingests the scenario's batches, as `received` makes them into spans, inside the idle timeout, then completes every trace. */
function detect(s: Scenario, received: (batch: Span[], detector: Detector) => Span[] = (batch) => batch): { detector: Detector; detections: Detection[] } {
  const detector = new Detector({ idleTimeoutMs: 1000 });
  detector.setRules(s.rules);
  const detections: Detection[] = [];
  let now = 0;
  for (const batch of batches(s)) {
    detections.push(...detector.ingest(received(batch, detector), now).detections);
    now += 10; // well inside the idle timeout: no trace completes early
  }
  detections.push(...detector.tick(now + 1000));
  return { detector, detections };
}

describe('incremental evaluation equals whole-trace evaluation', () => {
  test('random traces, rules, batches and arrival orders', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { detector, detections } = detect(s);
        expect(detector.stats().bufferedTraces).toBe(0);
        const expected = oracle(s);
        const actual = signalsByTrace(detections);
        for (const [traceId, fired] of expected) {
          const got = actual.get(traceId) ?? [];
          expect(new Set(got).size).toBe(got.length); // never twice
          expect(new Set(got)).toEqual(fired);
        }
        // witnesses are spans of the signal's trace, and rules decided at completion see the whole trace
        for (const d of detections) {
          const trace = s.traces.find((t) => t[0]?.traceId === d.signal.traceId)!;
          const ids = new Set(trace.map((x) => x.spanId));
          for (const w of d.signal.spanIds) expect(ids.has(w)).toBe(true);
          const r = s.rules.find((x) => x.id === d.signal.ruleId)!;
          if (!r.condition.monotone) {
            expect(d.signal.spanIds).toEqual(evaluateTrace(r, trace).witnesses.map((w) => w.spanId));
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('the same with spans decoded from OTLP/protobuf: released between calls, their attributes read again one by one', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { detections } = detect(s, (batch) => decodeProtobufTraces(encodeProtobufTraces(batch)).spans);
        const actual = signalsByTrace(detections);
        for (const [traceId, fired] of oracle(s)) expect(new Set(actual.get(traceId) ?? [])).toEqual(fired);
      }),
      { numRuns: 500 },
    );
  });

  test('the same with spans decoded in arrival mode: only the attributes the rules read by name decoded when they arrive', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { detections } = detect(s, (batch, detector) => {
          const keys = detector.arrivalAttributeKeys();
          expect(keys.has('y')).toBe(false);
          return decodeProtobufTraces(encodeProtobufTraces(batch), { attributeKeys: keys }).spans;
        });
        const actual = signalsByTrace(detections);
        for (const [traceId, fired] of oracle(s)) expect(new Set(actual.get(traceId) ?? [])).toEqual(fired);
      }),
      { numRuns: 500 },
    );
  });

  test('with traces completing early and reopening, no rule fires twice and every monotone match fires', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.boolean(), { maxLength: 8 }), (s, gaps) => {
        const detector = new Detector({ idleTimeoutMs: 1000 });
        detector.setRules(s.rules);
        const detections: Detection[] = [];
        let now = 0;
        batches(s).forEach((batch, i) => {
          detections.push(...detector.ingest(batch, now).detections);
          now += gaps[i] ? 5000 : 10;
          detections.push(...detector.tick(now));
        });
        detections.push(...detector.tick(now + 1000));
        const ids = detections.map((d) => d.signal.id);
        expect(new Set(ids).size).toBe(ids.length);
        const actual = signalsByTrace(detections);
        for (const [traceId, fired] of oracle(s)) {
          for (const ruleId of fired) {
            const r = s.rules.find((x) => x.id === ruleId)!;
            if (r.condition.monotone) expect(actual.get(traceId) ?? []).toContain(ruleId);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('the index is sound: a rule that holds has enough matches for every predicate it is skipped without', () => {
    // The detector skips a rule on a trace when one of its required
    // predicates matches fewer spans than its minimum (requiredPredicates.ts);
    // the tests above compare that indexed evaluation with naive whole-trace
    // evaluation, and this one checks the index itself on every rule that holds.
    fc.assert(
      fc.property(scenario, (s) => {
        for (const spans of s.traces) {
          for (const r of s.rules) {
            if (!evaluateTrace(r, spans).matched) continue;
            for (const [local, min] of requiredMatchCounts(r.condition.root)) {
              const fn = r.condition.predicates[local].fn;
              expect(min).toBeGreaterThanOrEqual(1);
              expect(spans.filter((span) => fn(span)).length, `${r.condition.text}: predicate ${r.condition.predicates[local].text}`).toBeGreaterThanOrEqual(min);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('a condition decided by match counts is decided as whole-trace evaluation decides it', () => {
    // decideByCounts.ts: the detector does not evaluate a rule the counts
    // decide is false. Exact counts for non-structural predicates; for
    // structural ones the detector's upper bound (spans passing the guard)
    // or none (Infinity) when unguarded.
    let decided = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        for (const trace of s.traces) {
          const spans = linkSpans(trace);
          for (const r of s.rules) {
            const counts = r.condition.predicates.map((p) => {
              if (!p.structural) return spans.filter((span) => p.fn(span)).length;
              const guard = p.guard;
              if (guard === null || guard === undefined) return Infinity;
              const tests = [guard, ...(guard.also ?? [])];
              return spans.filter((span) => tests.every((t) => (t.field === null ? span.attributes[t.attribute!] : span[t.field]) === t.value)).length;
            });
            const decision = decideByCounts(r.condition.root, {
              upper: (pred) => counts[pred],
              exact: (pred) => !r.condition.predicates[pred].structural,
            });
            if (decision === undefined) continue;
            decided++;
            expect(decision, r.condition.text).toBe(evaluateTrace(r, trace).matched);
          }
        }
      }),
      { numRuns: 2000 },
    );
    expect(decided).toBeGreaterThan(1000);
  });
});

describe('the rule index (rules anchored on a required predicate) visits every rule that can hold', () => {
  // Many rules over a small pool of predicates, so that rules share anchors,
  // some rules have no required predicate (unanchored), and the rule set
  // changes while traces are buffered (the index is rebuilt, cached results
  // remapped).
  const manyRules: fc.Arbitrary<Scenario> = fc
    .tuple(scenario, fc.array(condition, { minLength: 5, maxLength: 16 }))
    .map(([s, conditions]) => ({ ...s, rules: conditions.map((dsl, i) => compileRule({ id: `m${i}`, name: `m${i}`, severity: 'info', dsl })) }));

  test('many rules, a rule-set change mid-stream: signals equal whole-trace evaluation, in rule order per pass', () => {
    fc.assert(
      fc.property(manyRules, fc.nat(), (s, split) => {
        const detector = new Detector({ idleTimeoutMs: 1000 });
        const prefix = s.rules.slice(0, split % (s.rules.length + 1));
        detector.setRules(prefix);
        const all = batches(s);
        const change = Math.floor(all.length / 2);
        const detections: Detection[] = [];
        let now = 0;
        all.forEach((batch, i) => {
          if (i === change) detector.setRules(s.rules);
          const passed = detector.ingest(batch, now).detections;
          detections.push(...passed);
          // Within one pass over one trace, signals come in rule order.
          for (const list of signalsByTrace(passed).values()) {
            const positions = list.map((id) => s.rules.findIndex((r) => r.id === id));
            expect(positions).toEqual([...positions].sort((a, b) => a - b));
          }
          now += 10;
        });
        if (change >= all.length) detector.setRules(s.rules);
        const completed = detector.tick(now + 1000);
        detections.push(...completed);
        for (const list of signalsByTrace(completed).values()) {
          const positions = list.map((id) => s.rules.findIndex((r) => r.id === id));
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
        }
        const actual = signalsByTrace(detections);
        for (const [traceId, fired] of oracle(s)) {
          const got = actual.get(traceId) ?? [];
          expect(new Set(got).size).toBe(got.length);
          expect(new Set(got)).toEqual(fired);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('nextDeadline', () => {
  test('no tick before it completes or forgets anything, and it is never later than the first idle deadline', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }), (s, gaps) => {
        const detector = new Detector({ idleTimeoutMs: 1000, maxTraceLifetimeMs: 2500, completedTraceRetentionMs: 1500 });
        detector.setRules(s.rules);
        const lastReceived = new Map<string, number>();
        let now = 0;
        expect(detector.nextDeadline()).toBe(Infinity);
        batches(s).forEach((batch, i) => {
          detector.ingest(batch, now);
          for (const span of batch) lastReceived.set(span.traceId, now);
          now += gaps[i % gaps.length];
          const deadline = detector.nextDeadline();
          const before = detector.stats();
          if (before.bufferedTraces > 0) {
            const buffered = [...lastReceived].filter(([id]) => detector.bufferedTrace(id) !== undefined).map(([, t]) => t + 1000);
            expect(deadline).toBeLessThanOrEqual(Math.min(...buffered));
          }
          if (deadline > now) {
            detector.tick(now);
            const after = detector.stats();
            expect(after.tracesCompleted).toBe(before.tracesCompleted);
            expect(after.rememberedTraces).toBe(before.rememberedTraces);
          } else {
            detector.tick(now);
          }
        });
        detector.tick(now + 10_000);
        detector.tick(now + 20_000);
        expect(detector.nextDeadline()).toBe(Infinity);
      }),
      { numRuns: 500 },
    );
  });
});
