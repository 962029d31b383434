/**
 * Invariant mining on generated traffic with planted invariants (known ground
 * truth): planted ones are found with the confidence the generator used,
 * nothing below the threshold is proposed, and every candidate's rule
 * compiles and fires exactly on its counter-examples.
 */
import { describe, expect, it } from 'vitest';
import { compileRule } from '../engine/rule.js';
import { evaluateTrace } from '../engine/evaluateCondition.js';
import { buildTrace, type SpanSpec } from '../testing/traceBuilder.js';
import { createSpan, type Span } from '../trace/span.js';
import { mineInvariants, type InvariantCandidate } from './mineInvariants.js';
import { seededRandom } from './statistics.js';

interface Generated { traces: Span[][]; checkout: number; fraudChecked: number; lateEmail: number }

/** Checkout traces: charge always; email after charge always except `lateEmailEvery`; fraud check in 90 %. */
function generate(n: number, seed: number, lateEmailEvery = 0): Generated {
  const random = seededRandom(seed);
  const traces: Span[][] = [];
  let checkout = 0;
  let fraudChecked = 0;
  let lateEmail = 0;
  for (let i = 0; i < n; i++) {
    const specs: SpanSpec[] = [];
    if (random() < 0.5) {
      checkout++;
      specs.push({ id: 'root', name: 'GET /checkout', service: 'web', start: 0, duration: 300, kind: 'SERVER' });
      specs.push({ id: 'charge', name: 'charge', service: 'payments', parent: 'root', start: 20, duration: 50 + random() * 40, attributes: { 'payment.method': random() < 0.7 ? 'card' : 'paypal', 'order.id': `o-${i}` } });
      if (random() < 0.9) { fraudChecked++; specs.push({ id: 'fraud', name: 'fraud check', service: 'risk', parent: 'root', start: 5, duration: 10 }); }
      const late = lateEmailEvery > 0 && i % lateEmailEvery === 0;
      if (late) lateEmail++;
      // The email goes out after the charge ended, except in planted violations where it starts during the charge.
      specs.push({ id: 'email', name: 'send', service: 'email', parent: 'root', start: late ? 25 : 200, duration: 20 });
    } else {
      specs.push({ id: 'root', name: 'GET /home', service: 'web', start: 0, duration: 80, kind: 'SERVER' });
      if (random() < 0.5) specs.push({ id: 'db', name: 'query', service: 'db', parent: 'root', start: 10, duration: 5 });
    }
    traces.push(buildTrace(`t${seed}-${i}`, specs));
  }
  return { traces, checkout, fraudChecked, lateEmail };
}

function find(candidates: InvariantCandidate[], id: string): InvariantCandidate | undefined {
  return candidates.find((c) => c.id === id);
}

describe('mineInvariants', () => {
  const minConfidence = 0.95;
  const g = generate(600, 7, 25);
  const { candidates, stats } = mineInvariants(g.traces, { minSupport: 20, minConfidence });
  const byId = new Map(g.traces.map((t) => [t[0].traceId, t]));

  it('finds the planted co-occurrence with confidence 1 and the trace count as support', () => {
    const c = find(candidates, 'co-occurrence:web GET /checkout→payments charge');
    expect(c).toMatchObject({ support: g.checkout, holding: g.checkout, confidence: 1, unit: 'traces', counterExamples: [] });
    expect(c!.examples.length).toBeGreaterThan(0);
    // Charges happen only in checkouts (about half the traces): A really implies B.
    expect(c!.lift).toBeCloseTo(g.traces.length / g.checkout, 12);
    expect(stats).toMatchObject({ traces: 600, spanKinds: 6, droppedSpans: 0 });
  });

  it('finds the planted ordering with the planted violation rate as confidence', () => {
    const c = find(candidates, 'ordering:payments charge→email send');
    expect(g.lateEmail).toBeGreaterThan(0);
    expect(c).toBeDefined();
    expect(c!.support).toBe(g.checkout);
    expect(c!.holding).toBe(g.checkout - g.lateEmail);
    expect(c!.confidence).toBeCloseTo((g.checkout - g.lateEmail) / g.checkout, 12);
    expect(c!.confidence).toBeGreaterThanOrEqual(minConfidence);
    expect(c!.counterExamples.length).toBeGreaterThan(0);
  });

  it('never proposes a candidate below the thresholds (the 90 % fraud check is not proposed)', () => {
    expect(g.fraudChecked / g.checkout).toBeLessThan(minConfidence);
    expect(find(candidates, 'co-occurrence:web GET /checkout→risk fraud check')).toBeUndefined();
    expect(find(candidates, 'co-occurrence:web GET /home→db query')).toBeUndefined();
    for (const c of candidates) {
      expect(c.confidence).toBeGreaterThanOrEqual(minConfidence);
      expect(c.support).toBeGreaterThanOrEqual(20);
    }
  });

  it('finds the small enumeration and skips identifiers', () => {
    const c = find(candidates, 'attribute-values:payments charge:payment.method');
    expect(c).toMatchObject({ confidence: 1, support: g.checkout, attribute: { key: 'payment.method', values: ['card', 'paypal'], otherCount: 0 } });
    expect(find(candidates, 'attribute-values:payments charge:order.id')).toBeUndefined();
  });

  it('gives every candidate a rule that compiles and fires on its counter-examples, not on its examples', () => {
    expect(new Set(candidates.map((c) => c.kind))).toEqual(new Set(['co-occurrence', 'ordering', 'attribute-values']));
    for (const c of candidates) {
      const rule = compileRule({ id: 'x', name: 'x', severity: 'info', dsl: c.dsl });
      for (const id of c.counterExamples) expect(evaluateTrace(rule, byId.get(id)!).matched, `${c.id} on ${id}`).toBe(true);
      for (const id of c.examples) {
        if (c.kind === 'co-occurrence' || c.kind === 'attribute-values') expect(evaluateTrace(rule, byId.get(id)!).matched, `${c.id} on ${id}`).toBe(false);
      }
    }
    // The violation rule counts exactly the traces that break the invariant.
    const ordering = find(candidates, 'ordering:payments charge→email send')!;
    const rule = compileRule({ id: 'x', name: 'x', severity: 'info', dsl: ordering.dsl });
    expect(g.traces.filter((t) => evaluateTrace(rule, t).matched).length).toBe(g.lateEmail);
  });

  it('bounds a duration at a quantile with a sound, distribution-free upper bound', () => {
    const random = seededRandom(3);
    const traces = Array.from({ length: 4000 }, (_, i) => buildTrace(`d${i}`, [{ id: 'a', name: 'lookup', service: 'cache', start: 0, duration: random() * 100 }]));
    const { candidates: found } = mineInvariants(traces, { minSupport: 20, minConfidence: 0.99, kinds: ['duration'] });
    const c = find(found, 'duration:cache lookup')!;
    expect(c.duration).toMatchObject({ quantile: 0.999, level: 0.95, samples: 4000 });
    // True p99.9 of uniform(0, 100) is 99.9; the bound must be above it and not far.
    expect(c.duration!.boundMs).toBeGreaterThanOrEqual(99.9);
    expect(c.duration!.boundMs).toBeLessThanOrEqual(110);
    compileRule({ id: 'x', name: 'x', severity: 'info', dsl: c.dsl });
    // Too few samples for p99.9 at 95 %: no bound is claimed.
    const few = mineInvariants(traces.slice(0, 2000), { minSupport: 20, kinds: ['duration'] });
    expect(few.candidates).toEqual([]);
  });

  it('writes rules that compile and match for span kinds with odd names, no service, and non-string attribute values', () => {
    const odd = 'it\'s "quoted"\n\u2028 ${x} \\';
    const traces = Array.from({ length: 30 }, (_, i) => {
      const spans = buildTrace(`odd-${i}`, [
        { id: 'a', name: odd, start: 0, duration: 50, attributes: { 'odd key\'"': i % 2 === 0, 'http.status_code': i % 3 === 0 ? 200 : 404 } },
        { id: 'b', name: 'child', parent: 'a', start: 60, duration: 5 },
      ]);
      // Without a service.name resource attribute.
      return spans.map((sp) => createSpan({
        ...sp, startTimeUnixNano: sp.startTimeUnixNano, endTimeUnixNano: sp.endTimeUnixNano, resource: {}, attributes: { ...sp.attributes }, events: [], links: [],
      }));
    });
    const { candidates: found } = mineInvariants(traces, { minSupport: 10, minConfidence: 0.95 });
    expect(found.map((c) => c.id).sort()).toEqual([
      `attribute-values:${odd}:http.status_code`, `attribute-values:${odd}:odd key'"`,
      `co-occurrence:${odd}→child`, `co-occurrence:child→${odd}`, `ordering:${odd}→child`,
    ].sort());
    for (const c of found) {
      expect(c.subject.service).toBeNull();
      const rule = compileRule({ id: 'x', name: 'x', severity: 'info', dsl: c.dsl });
      for (const t of traces) expect(evaluateTrace(rule, t).matched, c.id).toBe(false);
    }
    // A violation of each is caught.
    const broken = buildTrace('odd-broken', [{ id: 'a', name: odd, start: 0, attributes: { 'odd key\'"': 'no', 'http.status_code': 500 } }])
      .map((sp) => createSpan({ ...sp, startTimeUnixNano: sp.startTimeUnixNano, endTimeUnixNano: sp.endTimeUnixNano, resource: {}, attributes: { ...sp.attributes }, events: [], links: [] }));
    for (const c of found.filter((x) => x.subject.name === odd)) {
      expect(evaluateTrace(compileRule({ id: 'x', name: 'x', severity: 'info', dsl: c.dsl }), broken).matched, c.id).toBe(true);
    }
  });

  it('keeps memory bounded: kinds beyond the cap are counted as dropped', () => {
    const traces = Array.from({ length: 50 }, (_, i) => buildTrace(`k${i}`, [{ id: 'a', name: `op-${i}`, start: 0 }]));
    const { stats: s } = mineInvariants(traces, { maxSpanKinds: 10 });
    expect(s).toMatchObject({ spanKinds: 10, droppedSpans: 40 });
  });
});
