/**
 * Refinement learning on generated triage history with planted false
 * positives (errors of test cards in staging are marked false_positive):
 * the proposal excludes staging, and measured on fresh held-out signals its
 * precision is higher and its recall unchanged.
 */
import { describe, expect, it } from 'vitest';
import { compileRule } from '../engine/rule.js';
import { evaluateTrace } from '../engine/evaluateCondition.js';
import { buildTrace } from '../testing/traceBuilder.js';
import { learnRefinements, type TriagedSignal } from './learnRefinement.js';
import { seededRandom } from './statistics.js';

const RULE = "trace.has(span => span.name === 'charge' && span.status === 'ERROR')";

/** Signals of RULE: staging errors are false positives; in production 3 % are false positives no attribute explains. */
function triaged(n: number, seed: number): TriagedSignal[] {
  const random = seededRandom(seed);
  const rule = compileRule({ id: 'r', name: 'r', severity: 'info', dsl: RULE });
  const out: TriagedSignal[] = [];
  for (let i = 0; i < n; i++) {
    const staging = random() < 0.4;
    const spans = buildTrace(`s${seed}-${i}`, [
      { id: 'root', name: 'POST /orders', service: 'web', start: 0, duration: 200, resource: { 'deployment.environment': staging ? 'staging' : 'production' } },
      {
        id: 'charge', name: 'charge', service: 'payments', parent: 'root', start: 10, duration: 30, status: 'ERROR',
        attributes: { 'http.status_code': random() < 0.5 ? 402 : 500, 'payment.provider': random() < 0.5 ? 'stripe' : 'adyen', 'retry.count': Math.floor(random() * 4) },
        resource: { 'deployment.environment': staging ? 'staging' : 'production', 'host.name': `host-${Math.floor(random() * 5)}` },
      },
    ]);
    const result = evaluateTrace(rule, spans);
    expect(result.matched).toBe(true);
    out.push({ id: `sig-${seed}-${i}`, truePositive: !staging && random() >= 0.03, spans, witnessSpanIds: result.witnesses.map((w) => w.spanId) });
  }
  return out;
}

function precisionRecall(dsl: string, signals: TriagedSignal[]): { precision: number; recall: number } {
  const rule = compileRule({ id: 'r', name: 'r', severity: 'info', dsl });
  let tp = 0, fp = 0, all = 0;
  for (const s of signals) {
    const fires = evaluateTrace(rule, s.spans).matched;
    if (s.truePositive) { all++; if (fires) tp++; } else if (fires) fp++;
  }
  return { precision: tp / (tp + fp), recall: tp / all };
}

describe('learnRefinements', () => {
  it('excludes the planted false positives (staging) and keeps every true positive, on held-out signals too', () => {
    const history = triaged(150, 11);
    const result = learnRefinements(RULE, history);
    expect(result.reason).toBeNull();
    const best = result.proposals[0];
    expect(best.recommended).toBe(true);
    expect(best.conditions.map((c) => c.text)).toContain("span.resource['deployment.environment'] !== 'staging'");
    expect(best.dsl).toBe("trace.has(span => (span.name === 'charge' && span.status === 'ERROR') && span.resource['deployment.environment'] !== 'staging')");
    expect(best.predicate).toEqual({ text: "span => span.name === 'charge' && span.status === 'ERROR'", line: 1, column: 11 });
    // On the triaged history: recall kept, precision up.
    expect(best.history.after.recall).toBe(1);
    expect(best.history.after.precision!).toBeGreaterThan(best.history.before.precision!);
    expect(best.history.after.excludedFalsePositives).toBeGreaterThan(40);
    // Cross-validated.
    expect(best.heldOut!.after.recall).toBe(1);
    expect(best.heldOut!.after.precision!).toBeGreaterThan(best.heldOut!.before.precision!);

    // Fresh signals the learner never saw.
    const fresh = triaged(100, 99);
    const before = precisionRecall(RULE, fresh);
    const after = precisionRecall(best.dsl, fresh);
    expect(after.recall).toBe(before.recall);
    expect(after.precision).toBeGreaterThan(before.precision + 0.2);
  });

  it('narrows the right predicate and leaves missing(...) and not(...) alone', () => {
    const dsl = "trace.has(s => s.name === 'POST /orders').and(trace.missing(span => span.name === 'audit')).and(trace.has(x => x.name === 'charge'))";
    const history = triaged(120, 5);
    const result = learnRefinements(dsl, history);
    expect(result.proposals.map((p) => p.predicate.text).sort()).toEqual(["s => s.name === 'POST /orders'", "x => x.name === 'charge'"]);
    for (const p of result.proposals) {
      compileRule({ id: 'r', name: 'r', severity: 'info', dsl: p.dsl });
      expect(p.dsl).toContain("trace.missing(span => span.name === 'audit')");
      expect(p.history.after.recall).toBe(1);
    }
  });

  it('says why it cannot learn', () => {
    const history = triaged(40, 3);
    expect(learnRefinements(RULE, history.slice(0, 5)).reason).toMatch(/at least 10/);
    expect(learnRefinements(RULE, history.filter((s) => s.truePositive)).reason).toMatch(/false_positive/);
    expect(learnRefinements(RULE, history.filter((s) => !s.truePositive)).reason).toMatch(/true positive/);
    expect(learnRefinements("trace.missing(span => span.name === 'x').or(trace.count(span => span.name === 'charge') > 0)", history).reason).toMatch(/positive position/);
    expect(() => learnRefinements('trace.has(', history)).toThrow();
  });

  it('does not recommend a refinement when false positives are indistinguishable from true ones', () => {
    const random = seededRandom(1);
    const history = triaged(100, 21).map((s) => ({ ...s, truePositive: random() < 0.5 }));
    // Allowed to lose half the true positives, the learner finds conditions that fit the training data by chance.
    const result = learnRefinements(RULE, history, { maxRecallLoss: 0.5 });
    expect(result.proposals.length).toBeGreaterThan(0);
    for (const p of result.proposals) {
      expect(p.recommended).toBe(false);
      expect(p.heldOut!.after.precision! <= p.heldOut!.before.precision! || p.heldOut!.after.recall! < 0.5).toBe(true);
    }
  });
});
