/**
 * The detector: trace assembly and incremental rule evaluation.
 *
 * Spans arrive in batches, in any order, for any number of traces at once.
 * The detector groups them by trace id into a bounded buffer and evaluates
 * rules as traces grow:
 *
 * - Monotone rules (only has, count >/>=, and, or, within, followedBy over
 *   predicates that do not read parent/children; see compileCondition.ts) can
 *   only turn from false to true as spans arrive, so they are evaluated after
 *   every batch that touches a trace and fire as soon as they hold.
 * - Every other rule depends on absence (missing, not, count <, ...) or on the
 *   trace's shape, which a later span can change; it is decided when the trace
 *   completes.
 * - A trace completes when no span arrived for `idleTimeoutMs`, when it has
 *   been buffered for `maxTraceLifetimeMs`, when a memory bound forces the
 *   least recently active traces out, or on flush/close.
 * - Completed traces are remembered for `completedTraceRetentionMs` (bounded
 *   by `maxCompletedTraces`/`maxCompletedSpans`), as their spans' OTLP bytes:
 *   a late span reopens its trace with the spans seen before (decoded again),
 *   and rules that fired stay fired, so a rule never raises two signals for
 *   one trace. Past that memory, signal ids
 *   are still deterministic (ruleId + traceId), so stores deduplicate.
 *
 * Predicate results are cached per trace and per distinct predicate (rules
 * that share a predicate share its results): each span is tested once per
 * predicate. Structural predicates are recomputed when the trace is decided.
 * A rule is evaluated on a trace only when every predicate it cannot hold
 * without (requiredPredicates.ts) matches enough spans (at least one, n for
 * `count(p) >= n`; for a structural predicate: spans matching its local
 * prefix, else spans passing its guard), and when the match counts do not
 * already decide it false (decideByCounts.ts, e.g. a `missing(p)` with p
 * matching). Rules are indexed by one such predicate (RuleIndex), so a pass
 * over a trace visits only the rules whose anchor matched, found among the
 * predicates its spans matched (the trace's cached results) rather than by
 * reading every anchor's count. A structural predicate's local
 * prefix (the conjuncts that read only the span, dsl/localPrefix.ts) is a
 * predicate of its own, tested when spans arrive (SharedPredicate.prefilter):
 * at evaluation the structural predicate is tested only on the spans
 * matching it, without reading again the details of the others. A predicate
 * with a guard (an equality on the span's name, kind, status, service or an
 * attribute that it cannot hold without, dsl/predicateGuard.ts) is called
 * only on spans that pass the guard, found by a hash lookup of the span's
 * value (GuardRouting) rather than a guard test per predicate; the
 * predicates a span is routed to together, and structural predicates that
 * differ only in literals, are tested by one generated function each
 * (TestedTogether; both in predicateRouting.ts). Within a pass over a trace,
 * what one rule's evaluation computed decides others by counts: structural
 * predicates' results, and windows (evaluateCondition.ts, WindowMemo).
 *
 * Buffered spans decoded from OTLP/protobuf let go of their attributes and
 * extras at the start of the next call (holdAttributes/releaseAttributes in
 * trace/span.ts): their predicate results are cached, and the spans the
 * rules read again when a trace completes decode them again from their
 * requests' bytes (which each span keeps, so a span is always readable).
 * Callers that decode for the detector may decode only the attributes its
 * rules read by name (arrivalAttributeKeys, DecodeOptions.attributeKeys).
 * Per trace the state is kept small too: predicate results
 * only for predicates that matched, the span-id Set only while a small trace
 * receives spans (SpanIdIndex).
 *
 * The detector does no I/O and reads no clock: callers pass `now` (ms). It is
 * synchronous and single-threaded; results are returned from the call that
 * produced them.
 */
import { holdAttributes, releaseAttributes, releaseSpans, type Span } from '../trace/span.js';
import { linkSpans } from '../trace/linkSpans.js';
import { decodeProtobufTraces } from '../otlp/decodeProtobufTraces.js';
import { encodeTracesDataAsReceived } from '../otlp/encodeTracesDataAsReceived.js';
import type { CompiledRule } from './rule.js';
import { signalId, type Signal } from './signal.js';
import type { CompletedTrace, Detection, IngestResult, RejectedSpan } from './detection.js';
import { evaluateCondition, windowKey, witnessesOf, type TraceMatches, type WindowMemo } from './evaluateCondition.js';
import { attribute, BudgetExceededError, releaseShared, withBudget } from '../dsl/runtime.js';
import { requiredMatchCounts } from './requiredPredicates.js';
import { decideByCounts, type MatchCounts } from './decideByCounts.js';
import { SpanIdIndex } from './spanIdIndex.js';
import type { Condition } from '../dsl/compileCondition.js';
import type { WithinCondition } from './decideByCounts.js';
import { conjunctsOf, generatedFrom, generatedKey, generatePredicate } from '../dsl/generatePredicate.js';
import { localPrefix } from '../dsl/localPrefix.js';
import { literalAttributeKeys } from '../dsl/literalAttributeKeys.js';
import { predicateGuard } from '../dsl/predicateGuard.js';
import type { PExpr } from '../dsl/checkPredicate.js';
import { buildGuardRouting, buildStructuralGroups, isRoutable, mayMatch, passesAlso, passesGuard, testTogether, type GuardRouting, type RouteList, type SharedPredicate, type TestedTogether } from './predicateRouting.js';

export interface DetectorOptions {
  /** A trace is complete when no span arrived for this long. */
  idleTimeoutMs: number;
  /** A trace still receiving spans after this long is completed anyway. */
  maxTraceLifetimeMs: number;
  /** Buffered spans across all traces; beyond it the least recently active traces complete early. */
  maxBufferedSpans: number;
  /** Buffered traces; beyond it the least recently active traces complete early. */
  maxBufferedTraces: number;
  /** Spans of one trace beyond this are rejected. */
  maxSpansPerTrace: number;
  /** How long completed traces are remembered for late spans. */
  completedTraceRetentionMs: number;
  maxCompletedTraces: number;
  maxCompletedSpans: number;
  /**
   * Work units (dsl/runtime.ts) one evaluation of one rule on one trace may
   * spend; beyond it that rule is no longer evaluated on that trace (counted
   * in `budgetExceeded`, reported to `onBudgetExceeded`). Infinity: no limit.
   */
  ruleBudget: number;
}

export const DEFAULT_DETECTOR_OPTIONS: Readonly<DetectorOptions> = Object.freeze({
  idleTimeoutMs: 10_000,
  maxTraceLifetimeMs: 300_000,
  maxBufferedSpans: 1_000_000,
  maxBufferedTraces: 200_000,
  maxSpansPerTrace: 10_000,
  completedTraceRetentionMs: 60_000,
  maxCompletedTraces: 10_000,
  maxCompletedSpans: 200_000,
  ruleBudget: 10_000_000,
});

export interface DetectorListener {
  /** Called for every trace that completes, after its rules were decided (see CompletedTrace.spans for how long `source` lasts). */
  onTraceCompleted?(trace: CompletedTrace): void;
  /** Called when a rule exceeds its evaluation budget on a trace (the rule is not evaluated on that trace again). */
  onBudgetExceeded?(ruleId: string, traceId: string): void;
}

export interface DetectorStats {
  bufferedSpans: number;
  bufferedTraces: number;
  rememberedTraces: number;
  spansIngested: number;
  spansRejected: number;
  spansDuplicate: number;
  tracesCompleted: number;
  /** completed early by a memory bound or the lifetime limit */
  tracesForced: number;
  tracesReopened: number;
  ruleEvaluations: number;
  /** rule evaluations that failed (counted as "does not hold") */
  evaluationErrors: number;
  /** predicate evaluations that threw and counted as "no match" */
  predicateErrors: number;
  /** rule evaluations stopped by the per-trace evaluation budget (options.ruleBudget) */
  budgetExceeded: number;
  signals: number;
}

/** Thrown by ingest after close(): retryable for the sender (another instance, or this one restarted, will take it). */
export class DetectorClosedError extends Error {
  readonly code = 'DETECTOR_CLOSED';
  readonly retryable = true;
  constructor() {
    super('The detector is closed and accepts no more spans');
    this.name = 'DetectorClosedError';
  }
}

interface RuleEntry {
  rule: CompiledRule;
  /** local predicate index → shared predicate id */
  predicateIds: number[];
  /**
   * Shared ids of predicates the rule cannot hold without
   * (requiredPredicates.ts): non-structural ones, and structural ones with a
   * guard (counted by the spans passing the guard, see GuardRouting). While
   * one of them matches fewer spans of a trace than `requiredMin` says, the
   * rule is not evaluated on it.
   */
  required: number[];
  /** by position in `required`: the least number of spans that must match (≥ 1) */
  requiredMin: number[];
}

/**
 * Which rules a trace can need: every rule is anchored on one predicate it
 * cannot hold without (its first required one), or is unanchored when it has
 * none. A pass visits the unanchored rules and the rules of anchors that match
 * some span of the trace, so a trace costs one match count per distinct anchor
 * instead of a visit per rule.
 */
interface RuleIndex {
  /** indices into Detector.rules, ascending */
  unanchored: Int32Array;
  /** anchor predicate ids, each with its rules' indices (ascending) */
  anchors: Int32Array;
  anchoredRules: Int32Array[];
  /** by shared predicate id: its index in anchors, or -1 */
  anchorOf: Int32Array;
  /**
   * indices in anchors of the predicates whose match count a pass reads:
   * those not routed (GuardRouting; brought up to date per pass) and the
   * structural ones whose guard is routed. A routed non-structural anchor is
   * found among its trace's `results` instead (a trace holds results for the
   * predicates some span of it matches).
   */
  countedAnchors: Int32Array;
}

function buildRuleIndex(entries: readonly RuleEntry[], include: (entry: RuleEntry) => boolean, routed: Uint8Array): RuleIndex {
  const unanchored: number[] = [];
  const byAnchor = new Map<number, number[]>();
  entries.forEach((entry, i) => {
    if (!include(entry)) return;
    if (entry.required.length === 0) { unanchored.push(i); return; }
    const anchor = entry.required[0];
    let list = byAnchor.get(anchor);
    if (list === undefined) byAnchor.set(anchor, (list = []));
    list.push(i);
  });
  const anchors = Int32Array.from(byAnchor.keys());
  const anchorOf = new Int32Array(routed.length).fill(-1);
  anchors.forEach((id, a) => { anchorOf[id] = a; });
  return {
    unanchored: Int32Array.from(unanchored),
    anchors,
    anchoredRules: [...byAnchor.values()].map((list) => Int32Array.from(list)),
    anchorOf,
    countedAnchors: Int32Array.from(anchors.keys()).filter((a) => routed[anchors[a]] !== 1),
  };
}

interface TraceState {
  traceId: string;
  /** arrival order */
  spans: Span[];
  spanIds: SpanIdIndex;
  firstReceivedAt: number;
  lastReceivedAt: number;
  /**
   * by shared predicate id: results in arrival order (non-structural only;
   * absent until a span matches: all covered spans fail). A map, not an
   * array by id: a trace's spans match few of the predicates, and an array
   * per trace as long as the rule set's predicates cost 8 B per predicate.
   */
  results: Map<number, Uint8Array>;
  /**
   * by cover slot (Detector.coverSlots: the predicates that are not routed,
   * tested by cover()): how many spans the cached result covers. Routed
   * predicates cover spans [0, routed) together, so they have no slot: an
   * array per trace as long as the rule set's predicates cost 4 B per
   * predicate, about 7 B per buffered span with 100 rules.
   */
  covered: Int32Array;
  /** by shared predicate id: how many of the covered spans match */
  matched: Int32Array;
  /** Spans [0, routed) have been tested against every routed predicate (GuardRouting): their results and matched are complete. */
  routed: number;
  fired: Set<string>;
  /** rules that exceeded their budget on this trace: not evaluated on it again */
  exhausted?: Set<string>;
}

/**
 * A completed trace kept for late spans. When every span was decoded from
 * OTLP/protobuf: its spans as OTLP bytes (encodeTracesDataAsReceived, also
 * handed to onTraceCompleted), decoded again if a late span reopens it; span
 * objects would keep their requests' bytes alive (Span.source) or their
 * details on the heap. Otherwise (spans from OTLP/JSON or code, which may not
 * survive an encoding and a decoding unchanged): the span objects, without
 * their sources.
 */
interface RememberedTrace {
  otlp: Uint8Array | null;
  spans: Span[] | null;
  spanCount: number;
  fired: Set<string>;
  exhausted?: Set<string>;
  completedAt: number;
}

export class Detector {
  readonly options: DetectorOptions;
  private readonly listener: DetectorListener;
  private rules: RuleEntry[] = [];
  private monotoneIndex: RuleIndex = buildRuleIndex([], () => true, new Uint8Array(0));
  private completionIndex: RuleIndex = this.monotoneIndex;
  /** Not later than the earliest firstReceivedAt of a buffered trace (a lower bound kept by tick and open). */
  private earliestFirstReceivedAt = Infinity;
  private predicates: SharedPredicate[] = [];
  private routing: GuardRouting = buildGuardRouting([]);
  /** See arrivalAttributeKeys. */
  private arrivalKeys: ReadonlySet<string> = new Set();
  /** by shared predicate id: its index in a trace's `covered`, or -1 for a routed predicate */
  private coverSlots = new Int32Array(0);
  private coverCount = 0;
  private structuralGroups: Array<TestedTogether | undefined> = [];
  /** Structural groups that needed more than a rule's budget in the current pass: their members are tested alone (testTogether). */
  private readonly groupsOverBudget = new Set<TestedTogether>();
  /** windowKey of within items, by condition (the rules' predicate ids are this rule set's: renewed by setRules) */
  private windowKeys = new WeakMap<Condition, string>();
  private predicateStates: Array<{ errors: number }> = [];
  /** shared predicate id → key, so cached results survive a rule-set change */
  private predicateKeys: string[] = [];
  /** Insertion order is activity order: a trace is re-inserted when it receives spans. */
  private readonly traces = new Map<string, TraceState>();
  private readonly remembered = new Map<string, RememberedTrace>();
  private rememberedSpans = 0;
  private bufferedSpans = 0;
  private closed = false;
  private readonly counters = {
    spansIngested: 0, spansRejected: 0, spansDuplicate: 0, tracesCompleted: 0, tracesForced: 0,
    tracesReopened: 0, ruleEvaluations: 0, evaluationErrors: 0, signals: 0, budgetExceeded: 0,
  };

  constructor(options: Partial<DetectorOptions> = {}, listener: DetectorListener = {}) {
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
    for (const [key, value] of Object.entries(this.options)) {
      if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`Detector option ${key} must be a non-negative number, got ${String(value)}`);
    }
    this.listener = listener;
  }

  /**
   * Replaces the rule set. Takes effect for every buffered and future trace:
   * monotone rules are tried on a trace at its next batch, all rules at its
   * completion. Pass only enabled rules.
   */
  setRules(rules: readonly CompiledRule[]): void {
    const byKey = new Map<string, number>();
    const predicates: SharedPredicate[] = [];
    const states: Array<{ errors: number }> = [];
    const entries: RuleEntry[] = [];
    // Keep ids of predicates that survive, so cached results stay valid.
    const previousKeys = this.predicateKeys;
    const keys: string[] = [];
    const add = (key: string, predicate: SharedPredicate): number => {
      let id = byKey.get(key);
      if (id === undefined) {
        id = predicates.length;
        byKey.set(key, id);
        predicates.push(predicate);
        states.push(predicate.state);
        keys.push(key);
      }
      return id;
    };
    const ruleIds: Array<{ rule: CompiledRule; predicateIds: number[] }> = [];
    for (const rule of rules) {
      if (rule.condition.correlation !== undefined) continue; // correlated rules run in the Correlator, across traces
      const predicateIds = rule.condition.predicates.map((p) => {
        const generated = byKey.has(p.key) ? undefined : generatedFrom(p.fn);
        return add(p.key, { fn: p.fn, structural: p.structural, guard: p.guard ?? null, body: generated?.body ?? null, state: generated?.state ?? p.state, prefilter: -1 });
      });
      ruleIds.push({ rule, predicateIds });
    }
    for (const p of [...predicates]) if (p.structural && p.body !== null) p.prefilter = prefilterOf(p.body, add);
    for (const { rule, predicateIds } of ruleIds) {
      const minimums = requiredMatchCounts(rule.condition.root);
      const locals = [...minimums.keys()];
      // What a local's match count is read from: its own count (exact), its prefilter's, or its routed guard's; -1 for none.
      const countedBy = (local: number): number => {
        const id = predicateIds[local];
        const p = predicates[id];
        if (!p.structural) return id;
        if (p.prefilter >= 0) return p.prefilter;
        return isRoutable(p.guard) ? id : -1;
      };
      const isExact = (local: number): boolean => !predicates[predicateIds[local]].structural;
      // Exact match counts first (the first one anchors the rule in the index), then prefilters, then structural predicates' guards.
      const order = (local: number): number => (isExact(local) ? 0 : countedBy(local) !== predicateIds[local] ? 1 : 2);
      const requiredLocals = locals.filter((l) => countedBy(l) >= 0).sort((a, b) => order(a) - order(b));
      // Two locals can share an id (the same predicate written twice): keep the larger minimum.
      const minById = new Map<number, number>();
      for (const local of requiredLocals) {
        const id = countedBy(local);
        minById.set(id, Math.max(minById.get(id) ?? 0, minimums.get(local)!));
      }
      entries.push({ rule, predicateIds, required: [...minById.keys()], requiredMin: [...minById.values()] });
    }
    // Remap cached results to the new ids; drop those of removed predicates.
    const remap = new Map<number, number>();
    previousKeys.forEach((key, oldId) => {
      const newId = byKey.get(key);
      if (newId !== undefined) remap.set(oldId, newId);
    });
    const routing = buildGuardRouting(predicates);
    const coverSlots = new Int32Array(predicates.length).fill(-1);
    let coverCount = 0;
    routing.routed.forEach((routed, id) => { if (routed === 0) coverSlots[id] = coverCount++; });
    for (const trace of this.traces.values()) {
      const results = new Map<number, Uint8Array>();
      const covered = new Int32Array(coverCount);
      const matched = new Int32Array(predicates.length);
      // Routed predicates are routed again from the first span (their state kept would be counted twice).
      trace.routed = 0;
      for (const [oldId, newId] of remap) {
        const oldSlot = this.coverSlots[oldId];
        if (routing.routed[newId] !== 0 || oldSlot < 0) continue;
        const r = trace.results.get(oldId);
        if (r !== undefined) results.set(newId, r);
        covered[coverSlots[newId]] = trace.covered[oldSlot];
        matched[newId] = trace.matched[oldId];
      }
      trace.results = results;
      trace.covered = covered;
      trace.matched = matched;
    }
    this.rules = entries;
    this.monotoneIndex = buildRuleIndex(entries, (e) => e.rule.condition.monotone, routing.routed);
    this.completionIndex = buildRuleIndex(entries, () => true, routing.routed);
    this.predicates = predicates;
    this.routing = routing;
    const arrivalKeys = new Set(routing.attributeKeys);
    for (const p of predicates) if (p.body !== null) literalAttributeKeys(p.body, arrivalKeys);
    this.arrivalKeys = arrivalKeys;
    this.coverSlots = coverSlots;
    this.coverCount = coverCount;
    this.structuralGroups = buildStructuralGroups(predicates);
    this.windowKeys = new WeakMap();
    this.predicateStates = states;
    this.predicateKeys = keys;
  }

  /**
   * The keys of the attributes the rules' predicates read by name, routing
   * included: what spans need decoded when they arrive, for
   * decodeProtobufTraces' arrival mode (DecodeOptions.attributeKeys). A new
   * set after each setRules; spans keep the one they were decoded with.
   */
  arrivalAttributeKeys(): ReadonlySet<string> {
    return this.arrivalKeys;
  }

  /**
   * Accepts spans (any traces, any order). Returns the signals of monotone
   * rules that now hold, and the spans refused (over the per-trace limit).
   * Duplicate spans (same trace and span id, e.g. a sender's retry) are
   * ignored. Throws DetectorClosedError after close().
   */
  ingest(spans: readonly Span[], now: number): IngestResult {
    if (this.closed) throw new DetectorClosedError();
    releaseAttributes();
    const detections: Detection[] = [];
    const rejected: RejectedSpan[] = [];
    const byTrace = new Map<string, Span[]>();
    for (const span of spans) {
      let list = byTrace.get(span.traceId);
      if (list === undefined) byTrace.set(span.traceId, (list = []));
      list.push(span);
    }
    let newTraces = 0;
    for (const traceId of byTrace.keys()) if (!this.traces.has(traceId)) newTraces++;
    this.makeRoom(spans.length, newTraces, byTrace, now, detections);
    const touched: TraceState[] = [];
    for (const [traceId, list] of byTrace) {
      const buffered = this.traces.get(traceId);
      const remembered = buffered === undefined ? this.remembered.get(traceId) : undefined;
      const reopen = remembered === undefined ? undefined : reopenedSpans(remembered);
      const known = buffered?.spanIds ?? reopen?.spanIds;
      if (known !== undefined) {
        if (list.every((s) => known.has(s.spanId))) {
          // Only spans seen before (a sender's retry): nothing to reopen or refresh.
          this.counters.spansDuplicate += list.length;
          continue;
        }
      }
      const trace = this.open(traceId, now, reopen);
      let added = 0;
      for (const span of list) {
        if (trace.spanIds.has(span.spanId)) { this.counters.spansDuplicate++; continue; }
        if (trace.spans.length >= this.options.maxSpansPerTrace) {
          this.counters.spansRejected++;
          rejected.push({ traceId, spanId: span.spanId, reason: `trace ${traceId} has reached the limit of ${this.options.maxSpansPerTrace} spans per trace` });
          continue;
        }
        trace.spans.push(span);
        trace.spanIds.added();
        added++;
      }
      this.bufferedSpans += added;
      this.counters.spansIngested += added;
      trace.lastReceivedAt = now;
      if (added > 0) touched.push(trace);
    }
    for (const trace of touched) {
      trace.spanIds.shrink();
      this.evaluate(trace, now, true, detections);
    }
    // Their predicate results are cached: the spans' attributes can go until read again (trace/span.ts).
    holdAttributes(spans);
    return { detections, rejected };
  }

  /** Completes idle and expired traces, deciding their remaining rules; forgets old completed traces. */
  tick(now: number): Detection[] {
    releaseAttributes();
    const detections: Detection[] = [];
    const { idleTimeoutMs, maxTraceLifetimeMs } = this.options;
    let earliestFirst = Infinity;
    for (const trace of [...this.traces.values()]) {
      if (now - trace.lastReceivedAt >= idleTimeoutMs) this.complete(trace, 'idle', now, detections);
      else if (now - trace.firstReceivedAt >= maxTraceLifetimeMs) this.complete(trace, 'lifetime', now, detections);
      else if (trace.firstReceivedAt < earliestFirst) earliestFirst = trace.firstReceivedAt;
    }
    this.earliestFirstReceivedAt = earliestFirst;
    for (const [traceId, r] of this.remembered) {
      if (now - r.completedAt < this.options.completedTraceRetentionMs) break; // insertion order is completion order
      this.forget(traceId, r);
    }
    return detections;
  }

  /**
   * The earliest time (ms, the clock of `now`) at which tick() may have work:
   * never later than the first idle or lifetime deadline of a buffered trace
   * or the end of a completed trace's retention; it may be earlier (then that
   * tick finds nothing to do). Infinity when nothing is buffered or
   * remembered. A caller scheduling its tick at this time completes a trace
   * as soon as its idle timeout ends instead of on the next fixed tick.
   * O(1): traces are kept in activity order, so the least recently active one
   * holds the first idle deadline (for callers whose `now` does not go back).
   */
  nextDeadline(): number {
    let deadline = Infinity;
    for (const trace of this.traces.values()) {
      deadline = trace.lastReceivedAt + this.options.idleTimeoutMs;
      break;
    }
    if (this.traces.size > 0) deadline = Math.min(deadline, this.earliestFirstReceivedAt + this.options.maxTraceLifetimeMs);
    for (const r of this.remembered.values()) {
      deadline = Math.min(deadline, r.completedAt + this.options.completedTraceRetentionMs);
      break;
    }
    return deadline;
  }

  /** Completes every buffered trace (end of input). The detector stays open. */
  flush(now: number): Detection[] {
    releaseAttributes();
    const detections: Detection[] = [];
    for (const trace of [...this.traces.values()]) this.complete(trace, 'flush', now, detections);
    return detections;
  }

  /** Flushes and refuses further spans. Idempotent: later calls return nothing. */
  close(now: number): Detection[] {
    if (this.closed) return [];
    this.closed = true; // first: the traces flushed now are not remembered
    const detections = this.flush(now);
    this.remembered.clear();
    this.rememberedSpans = 0;
    return detections;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): DetectorStats {
    return {
      bufferedSpans: this.bufferedSpans,
      bufferedTraces: this.traces.size,
      rememberedTraces: this.remembered.size,
      ...this.counters,
      predicateErrors: this.predicateStates.reduce((sum, s) => sum + s.errors, 0),
    };
  }

  /** True while the trace is buffered (open, not yet completed). */
  isBuffered(traceId: string): boolean {
    return this.traces.has(traceId);
  }

  /** The buffered spans of a trace (linked, start-time order), or undefined when it is not buffered. */
  bufferedTrace(traceId: string): Span[] | undefined {
    const trace = this.traces.get(traceId);
    return trace ? linkSpans(trace.spans) : undefined;
  }

  /** The trace's state, made when it is not buffered (from `reopen`, the remembered trace with its spans, when it was remembered). */
  private open(traceId: string, now: number, reopen?: ReopenedTrace): TraceState {
    let trace = this.traces.get(traceId);
    if (trace !== undefined) {
      this.traces.delete(traceId); // re-insert: most recently active last
      this.traces.set(traceId, trace);
      return trace;
    }
    const spans = reopen === undefined ? [] : reopen.spans;
    trace = {
      traceId,
      spans,
      spanIds: reopen === undefined ? new SpanIdIndex(spans) : reopen.spanIds,
      firstReceivedAt: now,
      lastReceivedAt: now,
      results: new Map(),
      covered: new Int32Array(this.coverCount),
      matched: new Int32Array(this.predicates.length),
      routed: 0,
      fired: new Set(),
    };
    if (reopen !== undefined) {
      const { remembered } = reopen;
      this.forget(traceId, remembered);
      trace.fired = remembered.fired;
      trace.exhausted = remembered.exhausted;
      this.bufferedSpans += spans.length;
      this.counters.tracesReopened++;
      holdAttributes(spans);
    }
    this.traces.set(traceId, trace);
    if (now < this.earliestFirstReceivedAt) this.earliestFirstReceivedAt = now;
    return trace;
  }

  private forget(traceId: string, r: RememberedTrace): void {
    this.remembered.delete(traceId);
    this.rememberedSpans -= r.spanCount;
  }

  /** Completes least recently active traces until `spans` more spans and `traces` more traces fit. */
  private makeRoom(spans: number, traces: number, incoming: Map<string, unknown>, now: number, detections: Detection[]): void {
    const { maxBufferedSpans, maxBufferedTraces } = this.options;
    for (const trace of this.traces.values()) {
      if (this.bufferedSpans + spans <= maxBufferedSpans && this.traces.size + traces <= maxBufferedTraces) return;
      if (incoming.has(trace.traceId)) continue; // completing a trace that is receiving spans would only reopen it
      this.complete(trace, 'memory', now, detections);
    }
  }

  /**
   * `structuralCache`: predicate results in linked order for this pass, by
   * shared id (structural and cached ones alike); `windows`: what this pass's
   * within-evaluations learnt (see WindowMemo).
   */
  private matchesFor(trace: TraceState, linked: Span[], entry: RuleEntry, structuralCache: Map<number, Uint8Array>, windows: WindowMemo['bounds']): TraceMatches {
    return {
      spans: linked,
      windows: {
        bounds: windows,
        keyOf: (item) => this.windowKeyOf(item, entry),
      },
      matches: (local: number): Uint8Array => {
        const id = entry.predicateIds[local];
        const predicate = this.predicates[id];
        if (predicate.structural) {
          let r = structuralCache.get(id);
          const together = this.structuralGroups[id];
          if (r === undefined && together !== undefined && !this.groupsOverBudget.has(together)) {
            const prefiltered = together.prefilter >= 0 ? this.passResults(trace, together.prefilter, linked, structuralCache) : null;
            if (testTogether(together, predicate.guard, prefiltered, linked, structuralCache, this.options.ruleBudget)) r = structuralCache.get(id);
            else this.groupsOverBudget.add(together);
          }
          if (r === undefined) {
            r = new Uint8Array(linked.length);
            const { guard, prefilter } = predicate;
            const prefiltered = prefilter >= 0 ? this.passResults(trace, prefilter, linked, structuralCache) : null;
            for (let i = 0; i < linked.length; i++) r[i] = mayMatch(guard, prefiltered, linked, i) && predicate.fn(linked[i]) ? 1 : 0;
            structuralCache.set(id, r);
          }
          return r;
        }
        return this.passResults(trace, id, linked, structuralCache);
      },
    };
  }

  /** A non-structural predicate's results in linked order, shared by the rules of this pass through `cache` (read-only to evaluation). */
  private passResults(trace: TraceState, id: number, linked: Span[], cache: Map<number, Uint8Array>): Uint8Array {
    let r = cache.get(id);
    if (r === undefined) cache.set(id, (r = this.cachedResults(trace, id, linked)));
    return r;
  }

  /**
   * Brings a non-structural predicate's cached results up to every span of
   * the trace (each span tested once). Results are stored only from the first
   * match on: most predicates match no span of most traces, and then a trace
   * holds no array for them. Returns the results, or undefined when no span
   * matches.
   */
  private cover(trace: TraceState, id: number): Uint8Array | undefined {
    if (this.routing.routed[id] !== 0) {
      if (trace.routed < trace.spans.length) this.route(trace);
      return trace.results.get(id);
    }
    const n = trace.spans.length;
    let results = trace.results.get(id);
    const slot = this.coverSlots[id];
    const covered = trace.covered[slot];
    if (covered < n) {
      const { fn, guard } = this.predicates[id];
      let matched = trace.matched[id];
      const spans = trace.spans;
      for (let i = covered; i < n; i++) {
        const span = spans[i];
        if (!((guard === null || passesGuard(guard, span)) && fn(span))) continue;
        if (results === undefined || results.length < n) {
          const grown = new Uint8Array(Math.max(n, (results?.length ?? 0) * 2, 8));
          if (results !== undefined) grown.set(results.subarray(0, i));
          results = grown;
          trace.results.set(id, results);
        }
        results[i] = 1;
        matched++;
      }
      trace.covered[slot] = n;
      trace.matched[id] = matched;
    }
    return results;
  }

  /** Tests the spans not yet routed against the routed predicates whose guard they pass. */
  private route(trace: TraceState): void {
    const { name, kind, status, service, attributeKeys, attributes } = this.routing;
    // Only the fields some guard reads (most rule sets guard on one or two).
    const byName = name.size > 0 ? name : null;
    const byKind = kind.size > 0 ? kind : null;
    const byStatus = status.size > 0 ? status : null;
    const byService = service.size > 0 ? service : null;
    const spans = trace.spans;
    const n = spans.length;
    for (let i = trace.routed; i < n; i++) {
      const span = spans[i];
      if (byName !== null) this.routeTo(trace, i, span, byName.get(span.name));
      if (byKind !== null) this.routeTo(trace, i, span, byKind.get(span.kind));
      if (byStatus !== null) this.routeTo(trace, i, span, byStatus.get(span.status));
      if (byService !== null) this.routeTo(trace, i, span, byService.get(span.service));
      for (let k = 0; k < attributeKeys.length; k++) {
        const value = attribute(span, attributeKeys[k]);
        if (value !== undefined) this.routeTo(trace, i, span, attributes[k].get(value));
      }
    }
    trace.routed = n;
  }

  private routeTo(trace: TraceState, i: number, span: Span, list: RouteList | undefined): void {
    if (list === undefined) return;
    const counted = list.counted;
    for (let c = 0; c < counted.length; c++) {
      // Structural predicates: count the spans passing their whole guard (routing checked the first equality).
      const { also, ids } = counted[c];
      if (also !== undefined && !passesAlso(also, span)) continue;
      for (let j = 0; j < ids.length; j++) trace.matched[ids[j]]++;
    }
    const { ids, group, out } = list.tested;
    if (group !== null) {
      group(span, out);
      for (let j = 0; j < ids.length; j++) if (out[j] !== 0) this.record(trace, i, ids[j]);
    } else {
      for (let j = 0; j < ids.length; j++) if (this.predicates[ids[j]].fn(span)) this.record(trace, i, ids[j]);
    }
  }

  /** Records that span i of the trace matches routed predicate `id`. */
  private record(trace: TraceState, i: number, id: number): void {
    const n = trace.spans.length;
    let results = trace.results.get(id);
    if (results === undefined || results.length < n) {
      const grown = new Uint8Array(Math.max(n, (results?.length ?? 0) * 2, 8));
      if (results !== undefined) grown.set(results);
      results = grown;
      trace.results.set(id, results);
    }
    results[i] = 1;
    trace.matched[id]++;
  }

  /** Whether every predicate the rule cannot hold without matches enough spans of the trace. */
  private mayHold(trace: TraceState, entry: RuleEntry): boolean {
    const { required, requiredMin } = entry;
    for (let i = 0; i < required.length; i++) {
      const id = required[i];
      this.cover(trace, id);
      if (trace.matched[id] < requiredMin[i]) return false;
    }
    return true;
  }

  /** Match counts of `trace` for `entry`'s predicates (decideByCounts.ts), reused across rules. */
  private readonly counts = new RuleMatchCounts(
    (trace, id) => this.matchCount(trace, id),
    (id) => this.predicates[id].structural,
    (item, entry) => this.windowKeyOf(item, entry),
  );

  /** WindowMemo.keyOf for a within item of `entry`'s rule (its predicates by shared id), remembered per item until the rule set changes. */
  private windowKeyOf(item: Condition, entry: RuleEntry): string {
    let key = this.windowKeys.get(item);
    if (key === undefined) this.windowKeys.set(item, (key = windowKey(item, (local) => entry.predicateIds[local])));
    return key;
  }

  /** See RuleMatchCounts. */
  private matchCount(trace: TraceState, id: number): number {
    const p = this.predicates[id];
    if (p.structural) {
      if (p.prefilter >= 0) return this.matchCount(trace, p.prefilter);
      if (this.routing.routed[id] !== 2) return Infinity;
    }
    this.cover(trace, id);
    return trace.matched[id];
  }

  /** Non-structural predicate results, computed once per span, returned in linked order. */
  private cachedResults(trace: TraceState, id: number, linked: Span[]): Uint8Array {
    const results = this.cover(trace, id);
    const out = new Uint8Array(linked.length);
    if (results === undefined) return out;
    // linked order → arrival order
    const order = arrivalOrder(trace, linked);
    for (let i = 0; i < linked.length; i++) out[i] = results[order[i]];
    return out;
  }

  /** Indices of the rules a pass must visit on this trace, ascending (rule order): see RuleIndex. */
  private candidates(trace: TraceState, index: RuleIndex): ArrayLike<number> {
    const { anchors, anchoredRules, anchorOf, countedAnchors } = index;
    const routed = this.routing.routed;
    if (trace.routed < trace.spans.length) this.route(trace);
    let out: number[] | null = null;
    for (const id of trace.results.keys()) {
      const a = anchorOf[id];
      if (a < 0 || routed[id] !== 1) continue;
      out ??= Array.from(index.unanchored);
      const rules = anchoredRules[a];
      for (let r = 0; r < rules.length; r++) out.push(rules[r]);
    }
    for (let c = 0; c < countedAnchors.length; c++) {
      const a = countedAnchors[c];
      const id = anchors[a];
      if (routed[id] === 0) this.cover(trace, id);
      if (trace.matched[id] === 0) continue;
      out ??= Array.from(index.unanchored);
      const rules = anchoredRules[a];
      for (let r = 0; r < rules.length; r++) out.push(rules[r]);
    }
    if (out === null) return index.unanchored;
    return out.sort((x, y) => x - y);
  }

  /** Evaluates the rules a pass must visit (candidates); returns the trace's spans linked when the pass linked them, else null. */
  private evaluate(trace: TraceState, now: number, monotoneOnly: boolean, detections: Detection[]): Span[] | null {
    let linked: Span[] | null = null;
    // The evidence of this pass's detections: one snapshot, shared (read-only; see Detection.spans).
    let snapshot: Span[] | null = null;
    const structuralCache = new Map<number, Uint8Array>();
    const windows: WindowMemo['bounds'] = new Map();
    this.groupsOverBudget.clear();
    this.counts.pass = structuralCache;
    this.counts.windows = windows;
    const candidates = this.candidates(trace, monotoneOnly ? this.monotoneIndex : this.completionIndex);
    for (let c = 0; c < candidates.length; c++) {
      const entry = this.rules[candidates[c]];
      const rule = entry.rule;
      if (trace.fired.has(rule.id) || trace.exhausted?.has(rule.id)) continue;
      if (!this.mayHold(trace, entry)) continue;
      this.counts.trace = trace;
      this.counts.entry = entry;
      if (decideByCounts(rule.condition.root, this.counts) === false) continue;
      if (linked === null) linked = linkSpans(trace.spans);
      const matches = this.matchesFor(trace, linked, entry, structuralCache, windows);
      this.counters.ruleEvaluations++;
      let detection: Detection;
      try {
        const outcome = withBudget(this.options.ruleBudget, () => evaluateCondition(rule.condition, matches));
        if (outcome instanceof BudgetExceededError) {
          (trace.exhausted ??= new Set()).add(rule.id);
          this.counters.budgetExceeded++;
          this.listener.onBudgetExceeded?.(rule.id, trace.traceId);
          continue;
        }
        if (!outcome.holds) continue;
        detection = { signal: buildSignal(rule, trace.traceId, linked, witnessesOf(matches, outcome), now), spans: snapshot ??= linked.slice() };
      } catch (err) {
        // One rule failing (e.g. a stack overflow on a pathological rule) must
        // not stop the others or the trace's completion.
        this.counters.evaluationErrors++;
        continue;
      }
      trace.fired.add(rule.id);
      this.counters.signals++;
      detections.push(detection);
    }
    this.counts.pass = null;
    this.counts.windows = null;
    // Values shared between this pass's predicates hold this trace's spans (dsl/runtime.ts).
    if (linked !== null) releaseShared();
    return linked;
  }

  private complete(trace: TraceState, reason: CompletedTrace['reason'], now: number, detections: Detection[]): void {
    const fired = detections.length;
    const linked = this.evaluate(trace, now, false, detections);
    this.traces.delete(trace.traceId);
    this.bufferedSpans -= trace.spans.length;
    this.counters.tracesCompleted++;
    if (reason === 'memory' || reason === 'lifetime') this.counters.tracesForced++;
    const otlp = this.closed ? undefined : this.remember(trace, now);
    this.listener.onTraceCompleted?.({
      traceId: trace.traceId,
      spans: linked ?? linkSpans(trace.spans),
      otlp,
      reason,
      firstReceivedAt: trace.firstReceivedAt,
      lastReceivedAt: trace.lastReceivedAt,
      completedAt: now,
    });
    // The details its rules and the listener read go now, not at the next call: a tick completing many
    // traces would otherwise hold all of theirs at once. Those of a trace that fired stay for the evidence.
    if (detections.length === fired) releaseSpans(trace.spans);
  }

  /** Remembers a completed trace for late spans (see RememberedTrace) when the bounds allow; returns its bytes when it has them. */
  private remember(trace: TraceState, now: number): Uint8Array | undefined {
    const { maxCompletedTraces, maxCompletedSpans } = this.options;
    if (maxCompletedTraces === 0 || trace.spans.length > maxCompletedSpans) return undefined;
    // Spans decoded from OTLP/protobuf are copied as received, which cannot fail and decodes to the same spans.
    const otlp = trace.spans.every((s) => s.source !== null) ? encodeTracesDataAsReceived(trace.spans) : null;
    if (otlp === null) for (const span of trace.spans) span.source = null;
    this.remembered.set(trace.traceId, {
      otlp, spans: otlp === null ? trace.spans : null, spanCount: trace.spans.length, fired: trace.fired, exhausted: trace.exhausted, completedAt: now,
    });
    this.rememberedSpans += trace.spans.length;
    for (const [traceId, r] of this.remembered) {
      if (this.remembered.size <= maxCompletedTraces && this.rememberedSpans <= maxCompletedSpans) break;
      this.forget(traceId, r);
    }
    return otlp ?? undefined;
  }
}

/** A remembered trace a late span reopens: its spans (decoded again from its bytes, which came from spans that decoded) and their ids. */
interface ReopenedTrace { remembered: RememberedTrace; spans: Span[]; spanIds: SpanIdIndex }

function reopenedSpans(remembered: RememberedTrace): ReopenedTrace {
  let spans = remembered.spans;
  if (spans === null) {
    const decoded = decodeProtobufTraces(remembered.otlp!);
    if (decoded.rejected.length > 0) throw new Error(`a remembered trace does not decode again: ${decoded.rejected[0].path}: ${decoded.rejected[0].message}`);
    spans = decoded.spans;
  }
  return { remembered, spans, spanIds: new SpanIdIndex(spans) };
}

/** Per evaluation pass: linked index → arrival index. */
const orderCache = new WeakMap<TraceState, { linked: Span[]; order: Uint32Array }>();

function arrivalOrder(trace: TraceState, linked: Span[]): Uint32Array {
  const cached = orderCache.get(trace);
  if (cached !== undefined && cached.linked === linked) return cached.order;
  const position = new Map<Span, number>();
  trace.spans.forEach((s, i) => position.set(s, i));
  const order = new Uint32Array(linked.length);
  for (let i = 0; i < linked.length; i++) order[i] = position.get(linked[i])!;
  orderCache.set(trace, { linked, order });
  return order;
}

function buildSignal(rule: CompiledRule, traceId: string, spans: Span[], witnesses: Span[], now: number): Signal {
  let first = Infinity;
  let last = -Infinity;
  for (const s of spans) {
    if (s.startTime < first) first = s.startTime;
    if (s.endTime > last) last = s.endTime;
  }
  const services = [...new Set(witnesses.map((w) => w.service).filter((s): s is string => typeof s === 'string'))];
  return {
    id: signalId(rule.id, traceId),
    ruleId: rule.id,
    ruleName: rule.name,
    ruleVersion: rule.version,
    severity: rule.severity,
    mode: rule.mode,
    traceId,
    spanIds: witnesses.map((w) => w.spanId),
    message: describeSignal(rule.name, witnesses, services),
    detectedAt: now,
    firstSpanTime: first,
    lastSpanTime: last,
    services,
  };
}

function describeSignal(ruleName: string, witnesses: Span[], services: string[]): string {
  if (witnesses.length === 0) return `${ruleName}: the pattern holds for this trace`;
  const counts = new Map<string, number>();
  for (const w of witnesses) counts.set(w.name, (counts.get(w.name) ?? 0) + 1);
  const names = [...counts].slice(0, 4).map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
  if (counts.size > 4) names.push(`${counts.size - 4} more`);
  const where = services.length > 0 ? ` in ${services.join(', ')}` : '';
  return `${ruleName}: ${witnesses.length} witness span${witnesses.length === 1 ? '' : 's'} (${names.join(', ')})${where}`;
}

/**
 * The counts decideByCounts reads: exact for non-structural predicates (all
 * spans covered first), the spans passing the guard for structural ones
 * whose guard is routed, unknown (Infinity) for other structural ones.
 */
class RuleMatchCounts implements MatchCounts {
  trace!: TraceState;
  entry!: RuleEntry;
  /**
   * The results this pass over the trace has computed (Detector.evaluate),
   * by shared id: a structural predicate found there has an exact count
   * (rules sharing it, or differing only in a constant and so tested
   * together, are then decided by counts).
   */
  pass: Map<number, Uint8Array> | null = null;
  /** What this pass's within-evaluations learnt (WindowMemo): decides a window variant of a rule evaluated before. */
  windows: WindowMemo['bounds'] | null = null;
  constructor(
    private readonly matchCount: (trace: TraceState, id: number) => number,
    private readonly isStructural: (id: number) => boolean,
    private readonly windowKeyOf: (item: Condition, entry: RuleEntry) => string,
  ) {}

  within(c: WithinCondition): boolean | undefined {
    const bounds = this.windows?.get(this.windowKeyOf(c.item, this.entry));
    if (bounds === undefined) return undefined;
    if (c.ms <= bounds.failedUpTo) return false;
    return c.ms >= bounds.heldFrom ? true : undefined;
  }

  upper(local: number): number {
    const id = this.entry.predicateIds[local];
    const computed = this.isStructural(id) ? this.pass?.get(id) : undefined;
    if (computed === undefined) return this.matchCount(this.trace, id);
    let count = 0;
    for (let i = 0; i < computed.length; i++) count += computed[i];
    return count;
  }

  exact(local: number): boolean {
    const id = this.entry.predicateIds[local];
    return !this.isStructural(id) || this.pass?.has(id) === true;
  }
}

/**
 * The id of the prefilter of a structural predicate (SharedPredicate.prefilter),
 * added through `add` (by key: rules' predicates and prefilters with the same
 * code are one), or -1 when it has none worth testing: no local prefix, or one
 * whose guard cannot be routed (it would be tested at evaluation, on released
 * spans, as the predicate is), or one that is no more than its guard (the
 * routing counts the spans passing a structural predicate's guard already).
 */
function prefilterOf(body: PExpr, add: (key: string, predicate: SharedPredicate) => number): number {
  const local = localPrefix(body);
  if (local === null) return -1;
  const guard = predicateGuard(local);
  if (!isRoutable(guard)) return -1;
  if (1 + (guard.also?.length ?? 0) >= conjunctsOf(local).length) return -1;
  const generated = generatePredicate<Span>(local, []);
  return add(generatedKey(generated.source, []), { fn: generated.fn, structural: false, guard, body: local, state: generated.state, prefilter: -1 });
}
