/**
 * @fluohq/engine: the pure core of FLUO, in the order data flows through it:
 * OTLP decoding → span model and trace assembly → rule compilation → evaluation → signals.
 * No I/O; runs in Node and in browsers.
 */
export * from './otlp/index.js';
export * from './trace/span.js';
export { linkSpans } from './trace/linkSpans.js';
export { RuleError, type RuleErrorCode, type RuleErrorInfo } from './dsl/ruleError.js';
export { parseDuration, formatDuration } from './dsl/duration.js';
export {
  compileCondition, validateRuleDsl,
  type CompiledCondition, type CompiledPredicate, type Condition, type Scope, type CountOp,
} from './dsl/compileCondition.js';
export {
  compileRule, checkRuleFields, SEVERITIES, RULE_MODES,
  type RuleDefinition, type CompiledRule, type Severity, type RuleMode, type RuleFieldError,
} from './engine/rule.js';
export { parseRuleDocument, formatRuleFileError, type ParsedRuleDocument, type RuleFileError } from './engine/parseRuleDocument.js';
export { signalId, correlatedSignalId, type Signal } from './engine/signal.js';
export type { Detection, CompletedTrace, RejectedSpan, IngestResult } from './engine/detection.js';
export { evaluateTrace, evaluateCondition, directMatches, witnessesOf, type TraceMatches, type Outcome } from './engine/evaluateCondition.js';
export {
  Detector, DetectorClosedError, DEFAULT_DETECTOR_OPTIONS,
  type DetectorOptions, type DetectorStats, type DetectorListener,
} from './engine/detector.js';
export {
  Correlator, DEFAULT_CORRELATOR_OPTIONS, evaluateCorrelatedRule,
  type CorrelatorOptions, type CorrelatorStats,
} from './engine/correlator.js';
export { normalizeKey, type CorrelationSpec } from './dsl/compileCorrelation.js';
export { buildTrace, hexId, BASE_TIME_MS, type SpanSpec } from './testing/traceBuilder.js';
export {
  InvariantMiner, mineInvariants, DEFAULT_INVARIANT_MINING_OPTIONS,
  type InvariantCandidate, type InvariantKind, type InvariantMiningOptions, type InvariantMiningStats,
} from './learn/mineInvariants.js';
export {
  learnRefinements, DEFAULT_REFINEMENT_OPTIONS,
  type TriagedSignal, type RefinementCondition, type RefinementMetrics, type RefinementOp, type RefinementOptions, type RefinementProposal, type RefinementResult,
} from './learn/learnRefinement.js';
export {
  assessRate, DEFAULT_RATE_BASELINE_OPTIONS,
  type RateAssessment, type RateBaselineOptions, type RateBucket, type RateStatus,
} from './learn/assessRate.js';
export type { SpanKey } from './learn/ruleText.js';
export { withBudget, BudgetExceededError, BUDGET_EXCEEDED } from './dsl/runtime.js';
export { seededRandom } from './learn/statistics.js';
