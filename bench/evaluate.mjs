/**
 * Measurement 2: evaluating compiled rules, in ns per span per rule, next to
 * the same predicates as native JavaScript closures over the same span
 * objects (the ceiling of JavaScript itself).
 *
 * The native closures are the example rules' own predicate text compiled by
 * V8 (`new Function` over our own repository's example files, never user
 * input): same semantics, no generated guards.
 *
 * Two levels, each compiled vs native in the same run:
 * - predicates: every distinct predicate of the rule set on every span;
 * - detector: the whole Detector (assembly, cached predicate results,
 *   condition evaluation) ingesting the traces batch by batch and completing
 *   them, with the compiled predicates or the native ones swapped in.
 */
import { Detector, compileRule, linkSpans } from '@fluohq/engine';
import { interleavedRates } from './harness.mjs';

function nativeOf(predicate) {
  // eslint-disable-next-line no-new-func
  return new Function(`return (${predicate.text});`)();
}

export function compileRuleSet(definitions) {
  return definitions.map((d) => compileRule(d));
}

export function withNativePredicates(rules) {
  return rules.map((rule) => ({
    ...rule,
    condition: {
      ...rule.condition,
      predicates: rule.condition.predicates.map((p) => ({ ...p, fn: nativeOf(p), state: { errors: 0 } })),
    },
  }));
}

function distinctPredicates(rules) {
  const byKey = new Map();
  for (const r of rules) for (const p of r.condition.predicates) if (!byKey.has(p.key)) byKey.set(p.key, p);
  return [...byKey.values()];
}

/**
 * Every distinct predicate on every (linked) span: calls per second. A pass
 * starts as a detector's evaluation pass does, after linkSpans, which ends
 * the values that compiled predicates share (dsl/runtime.ts `shared`): one
 * pass computes each shared link iteration once per span, not once per run.
 */
function predicatePass(fns, spans) {
  linkSpans([]);
  let hits = 0;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    for (let j = 0; j < fns.length; j++) {
      try { if (fns[j](span)) hits++; } catch { /* counts as no match, as in the detector */ }
    }
  }
  return hits;
}

/**
 * A Detector with `rules` set, and a pass over the batches with it: the
 * batches ingested, then every trace completed by flush, which leaves the
 * detector empty (nothing is remembered) for the next pass. Setting the rules
 * is left out of the passes, as a server sets them once: with 1,000 rules it
 * costs tens of milliseconds (generating the predicate groups), a third of a
 * pass over the 5,000 spans if it were counted in each.
 */
export function detectorPasses(DetectorClass, rules, batches) {
  const detector = new DetectorClass({ idleTimeoutMs: 1e12, maxTraceLifetimeMs: 1e12, maxBufferedSpans: 1e8, maxBufferedTraces: 1e7, completedTraceRetentionMs: 0, maxCompletedTraces: 0 });
  detector.setRules(rules);
  let now = 0;
  return () => {
    let signals = 0;
    for (const batch of batches) signals += detector.ingest(batch, ++now).detections.length;
    signals += detector.flush(++now).length;
    return signals;
  };
}

/**
 * One run for one rule count. `traces` are unlinked spans per trace;
 * `batches` the same spans as a receiver gets them (requests of whole traces).
 */
export function evaluateRun({ compiled, native, traces, batches, minMs }) {
  const linked = traces.flatMap((t) => linkSpans(t));
  const spans = linked.length;
  const compiledFns = distinctPredicates(compiled).map((p) => p.fn);
  const nativeFns = distinctPredicates(native).map((p) => p.fn);
  const predicates = compiledFns.length;
  const pred = interleavedRates({ compiled: () => predicatePass(compiledFns, linked), native: () => predicatePass(nativeFns, linked) }, spans * predicates, { minMs });
  const rules = compiled.length;
  const det = interleavedRates({ compiled: detectorPasses(Detector, compiled, batches), native: detectorPasses(Detector, native, batches) }, spans * rules, { minMs });
  const [compiledPred, nativePred, compiledDet, nativeDet] = [pred.compiled, pred.native, det.compiled, det.native];
  return {
    predicates,
    compiledPredicateNs: 1e9 / compiledPred,
    nativePredicateNs: 1e9 / nativePred,
    compiledDetectorNs: 1e9 / compiledDet,
    nativeDetectorNs: 1e9 / nativeDet,
  };
}
