/**
 * Rate baselines: is a rule firing at its usual rate?
 *
 * The rate is signals per trace in scope (every completed trace is evaluated
 * against every enabled rule, so "in scope" is every trace). History comes in
 * buckets (e.g. hours) of trace and signal counts. The expected rate for the
 * window under test is learnt for its slot in the season (by default the hour
 * of day, UTC): the slot's own rate, smoothed towards the rule's overall rate
 * with `priorTraces` pseudo-traces, so a slot with little history falls back
 * to the overall rate and a slot with much history speaks for itself
 * (empirical-Bayes shrinkage). With fewer than `minHistoryTraces` traces of
 * history the verdict is `learning`.
 *
 * Change test: under the baseline the window's signal count is about
 * Poisson(expected rate × traces in the window). A jump is flagged when the
 * upper tail P(X ≥ observed) is below `alpha`, at least `minSignals` signals
 * were seen and the ratio is at least `minRatio`; a collapse (a broken rule,
 * e.g. after a rename in the instrumentation) when the lower tail
 * P(X ≤ observed) is below `alpha`, at least `minExpected` signals were
 * expected and the ratio is at most 1 / minRatio. Requiring both a tiny tail
 * probability and a large ratio keeps busy rules (where tiny relative
 * changes are significant) quiet and quiet rules (where a few signals are
 * noise) quiet. Pure and deterministic: the same counts give the same verdict.
 */
import { poissonLowerTail, poissonUpperTail } from './statistics.js';

export interface RateBucket {
  /** ms since the epoch; the bucket covers [start, start + bucketMs). */
  start: number;
  /** Traces in scope (completed traces) in the bucket. */
  traces: number;
  /** Signals the rule raised in the bucket. */
  signals: number;
}

export interface RateBaselineOptions {
  /** Length of a history bucket. */
  bucketMs: number;
  /** Length of the season (86 400 000: hour-of-day slots when bucketMs is an hour); 0 for no seasonality. */
  seasonMs: number;
  /** Pseudo-traces pulling a slot's rate towards the overall rate. */
  priorTraces: number;
  /** Least traces of history for a verdict. */
  minHistoryTraces: number;
  /** Tail probability below which a departure is flagged. */
  alpha: number;
  /** Least factor between observed and expected for a jump (and 1/minRatio for a collapse). */
  minRatio: number;
  /** Least signals observed for a jump. */
  minSignals: number;
  /** Least signals expected for a collapse. */
  minExpected: number;
}

export const DEFAULT_RATE_BASELINE_OPTIONS: RateBaselineOptions = {
  bucketMs: 3_600_000,
  seasonMs: 86_400_000,
  priorTraces: 2000,
  minHistoryTraces: 5000,
  alpha: 1e-6,
  minRatio: 3,
  minSignals: 5,
  minExpected: 5,
};

export type RateStatus = 'learning' | 'normal' | 'jump' | 'collapse';

export interface RateAssessment {
  status: RateStatus;
  /** The window under test. */
  window: { start: number; end: number; traces: number; signals: number; rate: number | null };
  /** The baseline for the window's slot. */
  expected: { rate: number; signals: number; slot: number | null; slotTraces: number; historyTraces: number; historySignals: number };
  /** observed / expected signals; null when nothing was expected. */
  ratio: number | null;
  /** The tail probability of the test that applies (upper for more signals than expected, lower for fewer). */
  pValue: number;
  /** A sentence for people, e.g. "fires 12.0x its usual rate". */
  message: string;
}

function slotOf(start: number, o: RateBaselineOptions): number | null {
  if (o.seasonMs <= 0) return null;
  const within = ((start % o.seasonMs) + o.seasonMs) % o.seasonMs;
  return Math.floor(within / o.bucketMs);
}

function rounded(x: number): string {
  return x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2);
}

/**
 * Assesses a window (`current`, which must not overlap `history`) against the
 * baseline learnt from `history`.
 */
export function assessRate(history: readonly RateBucket[], current: RateBucket & { end: number }, options: Partial<RateBaselineOptions> = {}): RateAssessment {
  const o = { ...DEFAULT_RATE_BASELINE_OPTIONS, ...options };
  const slot = slotOf(current.start, o);
  let traces = 0, signals = 0, slotTraces = 0, slotSignals = 0;
  for (const b of history) {
    traces += b.traces;
    signals += b.signals;
    if (slot !== null && slotOf(b.start, o) === slot) { slotTraces += b.traces; slotSignals += b.signals; }
  }
  // Half a signal of prior mass: a rule that never fired still has a (small) expected rate.
  const overall = traces > 0 ? (signals + 0.5) / traces : 0;
  const rate = slot === null ? overall : (slotSignals + o.priorTraces * overall) / (slotTraces + o.priorTraces);
  const expectedSignals = rate * current.traces;
  const window = { start: current.start, end: current.end, traces: current.traces, signals: current.signals, rate: current.traces > 0 ? current.signals / current.traces : null };
  const expected = { rate, signals: expectedSignals, slot, slotTraces, historyTraces: traces, historySignals: signals };
  const ratio = expectedSignals > 0 ? current.signals / expectedSignals : null;
  const base = { window, expected, ratio };
  if (traces < o.minHistoryTraces) {
    return { ...base, status: 'learning', pValue: 1, message: `learning: ${traces} traces of history, ${o.minHistoryTraces} needed` };
  }
  const above = current.signals >= expectedSignals;
  const pValue = above ? poissonUpperTail(current.signals, expectedSignals) : poissonLowerTail(current.signals, expectedSignals);
  const counts = `${current.signals} signals in ${current.traces} traces, ${rounded(expectedSignals)} expected`;
  if (above && pValue < o.alpha && current.signals >= o.minSignals && ratio !== null && ratio >= o.minRatio) {
    return { ...base, status: 'jump', pValue, message: `fires ${rounded(ratio)}x its usual rate (${counts})` };
  }
  if (!above && pValue < o.alpha && expectedSignals >= o.minExpected && ratio !== null && ratio <= 1 / o.minRatio) {
    return { ...base, status: 'collapse', pValue, message: `fires at ${rounded(ratio)}x its usual rate (${counts}): the rule or the instrumentation it reads may be broken` };
  }
  return { ...base, status: 'normal', pValue, message: `at its usual rate (${counts})` };
}
