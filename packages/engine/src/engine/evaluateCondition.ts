/**
 * Evaluating a compiled condition on one trace.
 *
 * Semantics (docs/dsl.md is the user-facing statement of the same):
 * - A condition either holds or not, and when it holds it has witnesses: the
 *   spans that made it hold. has: every matching span in scope. count: every
 *   matching span, when the comparison holds. missing: none (in a where-scope,
 *   the scope's anchor spans, which show where something was missing). not:
 *   none. and/or: the union over the parts that hold. followedBy: every span
 *   of the first side that some span of the second side starts after (at or
 *   after its end), and those spans of the second side.
 * - Scopes: `where(p)` selects the spans matching p (inside the parent scope)
 *   and all their descendants. With no span matching p, every condition on
 *   that scope is false.
 * - within(d): the condition holds inside some window of length d, where a
 *   window restricts the spans that has, count and followedBy may pick (by
 *   start time) and leaves missing and not looking at the whole scope. It
 *   suffices to try windows starting at the start time of each span that a
 *   restricted predicate matches: the earliest chosen witness starts one.
 *   The witnesses are those of every window in which the condition holds.
 *
 * The evaluator reads predicate results through `TraceMatches`, so the same
 * code serves the straightforward whole-trace evaluation (`evaluateTrace`,
 * also the test oracle) and the detector's incremental evaluation with
 * cached predicate results.
 */
import type { Condition, CompiledCondition, Scope } from '../dsl/compileCondition.js';
import type { Span } from '../trace/span.js';
import { linkSpans } from '../trace/linkSpans.js';
import { BudgetExceededError, charge, releaseShared, withBudget } from '../dsl/runtime.js';

/** What the evaluator needs to know about a trace. */
export interface TraceMatches {
  /** Linked spans in start-time order. */
  readonly spans: readonly Span[];
  /** For predicate `pred` of the condition: 1 where spans[i] matches, else 0. */
  matches(pred: number): Uint8Array;
  /** Shared by the evaluations of several rules on the same spans: see WindowMemo. */
  readonly windows?: WindowMemo;
}

/**
 * What the `within` evaluations of one pass over a trace learnt, for the
 * rules evaluated after it on the same spans (the detector's pass): rules
 * that differ only in a window's length (`.within('30 seconds')`,
 * `.within('45 seconds')`) decide one another. An item whose truth can only
 * grow with its window (windowMonotone) that held in a window of length d
 * holds in every longer one, and one that did not hold does not in any
 * shorter one; the memo keeps, per item, the longest length it failed in and
 * the shortest it held in. A length it failed in decides a shorter window
 * false outright; a length it held in decides a longer one only where the
 * witnesses are not needed (under `not`), as they differ with the length.
 */
export interface WindowMemo {
  /** A key equal for items over the same predicates and scopes of the pass (windowKey, with the pass's predicate ids). */
  keyOf(item: Condition): string;
  readonly bounds: Map<string, { failedUpTo: number; heldFrom: number }>;
}

export interface Outcome {
  holds: boolean;
  /** Indices into spans; may contain duplicates, see witnessesOf. Read-only: may be shared with other outcomes. */
  witnesses: readonly number[];
  /** For followedBy: the witnesses of its last step, which a further followedBy must come after. */
  tail?: readonly number[];
}

interface Window { lo: number; hi: number }

/** The spans in a scope matching a predicate, and whether they are in start-time order (TraceMatches.spans promises it; checked, not trusted). */
interface Found { indices: readonly number[]; sorted: boolean }

const FALSE: Outcome = { holds: false, witnesses: [] };
/** Holds, witnesses left out (the caller reads only holds). */
const HOLDS: Outcome = { holds: true, witnesses: [] };

class Evaluation {
  /** Memberships of where-scopes, built on first use. */
  private scopes: Map<Scope, Uint8Array | null> | undefined;
  /** Span → index in trace.spans, built on first use (only where-scopes need it). */
  private index: Map<Span, number> | undefined;
  /** Membership of the whole trace, allocated once per evaluation (within calls it per window). */
  private whole: Uint8Array | undefined;
  /** allMatching's results by scope (null: the whole trace) and predicate. */
  private readonly found = new Map<Scope | null, Map<number, Found | null>>();

  constructor(private readonly trace: TraceMatches) {}

  /** Membership of a scope: 1 for spans under a where-anchor, null when the scope has no anchor. */
  members(scope: Scope | null): Uint8Array | null {
    const n = this.trace.spans.length;
    if (scope === null) return (this.whole ??= new Uint8Array(n).fill(1));
    const scopes = (this.scopes ??= new Map());
    const cached = scopes.get(scope);
    if (cached !== undefined) return cached;
    const parent = this.members(scope.parent);
    let result: Uint8Array | null = null;
    if (parent !== null) {
      const anchors = this.trace.matches(scope.where);
      const members = new Uint8Array(n);
      let any = false;
      const stack: Span[] = [];
      const index = (this.index ??= new Map(this.trace.spans.map((s, i) => [s, i])));
      for (let i = 0; i < n; i++) {
        if (parent[i] && anchors[i]) { any = true; stack.push(this.trace.spans[i]); }
      }
      while (stack.length > 0) {
        const span = stack.pop()!;
        const i = index.get(span);
        if (i === undefined || members[i]) continue;
        members[i] = 1;
        for (const child of span.children) stack.push(child);
      }
      result = any ? members : null;
    }
    scopes.set(scope, result);
    return result;
  }

  private anchors(scope: Scope): number[] {
    const parent = this.members(scope.parent)!;
    const anchors = this.trace.matches(scope.where);
    const out: number[] = [];
    for (let i = 0; i < anchors.length; i++) if (parent[i] && anchors[i]) out.push(i);
    return out;
  }

  /**
   * Indices of spans in scope matching pred, optionally restricted to a window
   * by start time. Read-only: the arrays are shared between calls.
   */
  private matching(scope: Scope | null, pred: number, window: Window | null): readonly number[] | null {
    const found = this.allMatching(scope, pred);
    if (found === null) return null;
    const all = found.indices;
    if (window === null || all.length === 0) return all;
    const spans = this.trace.spans;
    if (!found.sorted) {
      charge(all.length);
      return all.filter((i) => spans[i].startTime >= window.lo && spans[i].startTime <= window.hi);
    }
    // In start-time order: the window is a slice, found by two binary searches.
    const from = firstStartingAt(spans, all, window.lo, false);
    const to = firstStartingAt(spans, all, window.hi, true);
    charge(1 + to - from);
    return from === 0 && to === all.length ? all : all.slice(from, to);
  }

  /**
   * Indices of spans in scope matching pred, computed once per evaluation (a
   * within evaluates its item once per window: each window is a slice of
   * these); null when the scope has no anchor.
   */
  private allMatching(scope: Scope | null, pred: number): Found | null {
    let byPred = this.found.get(scope);
    if (byPred === undefined) this.found.set(scope, (byPred = new Map()));
    const known = byPred.get(pred);
    if (known !== undefined) return known;
    // The whole trace (scope null) needs no membership test.
    const members = scope === null ? null : this.members(scope);
    let out: Found | null = null;
    if (scope === null || members !== null) {
      const m = this.trace.matches(pred);
      const spans = this.trace.spans;
      charge(m.length); // the evaluation budget (dsl/runtime.ts): a scan is one unit per span
      const indices: number[] = [];
      let sorted = true;
      let last = -Infinity;
      for (let i = 0; i < m.length; i++) {
        if (!m[i] || (members !== null && !members[i])) continue;
        const t = spans[i].startTime;
        if (t < last) sorted = false;
        last = t;
        indices.push(i);
      }
      out = { indices, sorted };
    }
    byPred.set(pred, out);
    return out;
  }

  /** `holdsOnly`: the caller reads only `holds` (under not), so witnesses may be left out. */
  evaluate(c: Condition, window: Window | null, holdsOnly = false): Outcome {
    switch (c.k) {
      case 'has': {
        const found = this.matching(c.scope, c.pred, window);
        return found !== null && found.length > 0 ? { holds: true, witnesses: found } : FALSE;
      }
      case 'missing': {
        const found = this.matching(c.scope, c.pred, null);
        if (found === null || found.length > 0) return FALSE;
        return { holds: true, witnesses: c.scope === null ? [] : this.anchors(c.scope) };
      }
      case 'count': {
        const found = this.matching(c.scope, c.pred, window);
        if (found === null) return FALSE;
        return compare(found.length, c.op, c.n) ? { holds: true, witnesses: found } : FALSE;
      }
      case 'and': {
        const witnesses: number[] = [];
        for (const item of c.items) {
          const o = this.evaluate(item, window, holdsOnly);
          if (!o.holds) return FALSE;
          for (const w of o.witnesses) witnesses.push(w);
        }
        return { holds: true, witnesses };
      }
      case 'or': {
        let holds = false;
        const witnesses: number[] = [];
        for (const item of c.items) {
          const o = this.evaluate(item, window, holdsOnly);
          if (!o.holds) continue;
          holds = true;
          for (const w of o.witnesses) witnesses.push(w);
        }
        return holds ? { holds, witnesses } : FALSE;
      }
      case 'not':
        return this.evaluate(c.item, null, true).holds ? FALSE : { holds: true, witnesses: [] };
      case 'within':
        return this.within(c.item, c.ms, window, holdsOnly);
      case 'followedBy': {
        const a = this.evaluate(c.first, window);
        if (!a.holds || a.witnesses.length === 0) return FALSE;
        const b = this.evaluate(c.then, window);
        if (!b.holds || b.witnesses.length === 0) return FALSE;
        const spans = this.trace.spans;
        // In a chain a.followedBy(b).followedBy(c), c must follow b (the tail), not just a.
        const aLast = a.tail ?? a.witnesses;
        const bFirst = b.witnesses;
        let earliestEnd = Infinity;
        for (const i of aLast) earliestEnd = Math.min(earliestEnd, spans[i].endTime);
        let latestStart = -Infinity;
        for (const j of bFirst) latestStart = Math.max(latestStart, spans[j].startTime);
        if (latestStart < earliestEnd) return FALSE;
        // a's witnesses: those of its tail that end before b's latest start, and the rest of a chain.
        const tailSet = a.tail === undefined ? null : new Set(aLast);
        const witnesses: number[] = [];
        for (const i of a.witnesses) if ((tailSet !== null && !tailSet.has(i)) || spans[i].endTime <= latestStart) witnesses.push(i);
        const tail: number[] = [];
        for (const j of b.witnesses) {
          if (spans[j].startTime < earliestEnd) continue;
          witnesses.push(j);
          tail.push(j);
        }
        return { holds: true, witnesses, tail: b.tail ?? tail };
      }
    }
  }

  private within(item: Condition, ms: number, outer: Window | null, holdsOnly: boolean): Outcome {
    const memo = this.trace.windows;
    if (memo === undefined || !windowMonotone(item)) return this.withinAlone(item, ms, outer, holdsOnly);
    const key = outer === null ? memo.keyOf(item) : `${memo.keyOf(item)}@${outer.lo},${outer.hi}`;
    let bounds = memo.bounds.get(key);
    if (bounds === undefined) memo.bounds.set(key, (bounds = { failedUpTo: -Infinity, heldFrom: Infinity }));
    if (ms <= bounds.failedUpTo) return FALSE;
    if (holdsOnly && ms >= bounds.heldFrom) return HOLDS;
    const outcome = this.withinAlone(item, ms, outer, holdsOnly);
    if (outcome.holds) bounds.heldFrom = Math.min(bounds.heldFrom, ms);
    else bounds.failedUpTo = Math.max(bounds.failedUpTo, ms);
    return outcome;
  }

  private withinAlone(item: Condition, ms: number, outer: Window | null, holdsOnly: boolean): Outcome {
    let restricted = restrictedOf.get(item);
    if (restricted === undefined) restrictedOf.set(item, (restricted = collectRestricted(item, [])));
    const starts = new Set<number>();
    for (const r of restricted) {
      const found = this.matching(r.scope, r.pred, outer);
      if (found) for (const i of found) starts.add(this.trace.spans[i].startTime);
    }
    if (starts.size === 0) return this.evaluate(item, outer);
    // Witnesses are the union over every window in which the condition
    // holds: that keeps within monotone (more spans only add windows), so a
    // followedBy or and around it cannot lose a witness it relied on.
    const ordered = [...starts].sort((a, b) => a - b);
    let holds = false;
    const witnesses: number[] = [];
    for (const t of ordered) {
      const lo = outer ? Math.max(outer.lo, t) : t;
      const hi = outer ? Math.min(outer.hi, t + ms) : t + ms;
      if (hi < lo) continue;
      const o = this.evaluate(item, { lo, hi }, holdsOnly);
      if (!o.holds) continue;
      if (holdsOnly) return HOLDS;
      holds = true;
      for (const w of o.witnesses) witnesses.push(w);
    }
    return holds ? { holds, witnesses } : FALSE;
  }
}

/** The first position in `found` (indices of spans in start-time order) whose span starts at `t` or later, or after `t` when `after`. */
function firstStartingAt(spans: readonly Span[], found: readonly number[], t: number, after: boolean): number {
  let lo = 0;
  let hi = found.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = spans[found[mid]].startTime;
    if (after ? start <= t : start < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** windowMonotone of each within's item, computed once per compiled condition. */
const monotoneInWindow = new WeakMap<Condition, boolean>();

/**
 * Whether a condition that holds in a window holds in every window
 * containing it: what a window restricts (has, count, followedBy) can only
 * gain spans, so it is true unless a count that more spans can make false
 * (<, <=, ===, !==) is restricted; not and missing look at the whole scope.
 */
export function windowMonotone(c: Condition): boolean {
  let known = monotoneInWindow.get(c);
  if (known === undefined) monotoneInWindow.set(c, (known = isWindowMonotone(c)));
  return known;
}

function isWindowMonotone(c: Condition): boolean {
  switch (c.k) {
    case 'has': case 'missing': case 'not': return true;
    case 'count': return c.op === '>' || c.op === '>=';
    case 'and': case 'or': return c.items.every(isWindowMonotone);
    case 'within': return isWindowMonotone(c.item);
    case 'followedBy': return isWindowMonotone(c.first) && isWindowMonotone(c.then);
  }
}

/**
 * A text equal for conditions of the same form over the same predicates and
 * scopes, where `id` names a condition's predicate index across rules (the
 * detector's shared predicate ids): WindowMemo.keyOf.
 */
export function windowKey(c: Condition, id: (pred: number) => number): string {
  const scope = (s: Scope | null): string => (s === null ? '*' : `${id(s.where)}<${scope(s.parent)}`);
  switch (c.k) {
    case 'has': case 'missing': return `${c.k}(${scope(c.scope)},${id(c.pred)})`;
    case 'count': return `count(${scope(c.scope)},${id(c.pred)},${c.op},${c.n})`;
    case 'and': case 'or': return `${c.k}(${c.items.map((x) => windowKey(x, id)).join(',')})`;
    case 'not': return `not(${windowKey(c.item, id)})`;
    case 'within': return `within(${c.ms},${windowKey(c.item, id)})`;
    case 'followedBy': return `followedBy(${windowKey(c.first, id)},${windowKey(c.then, id)})`;
  }
}

/** collectRestricted of each within's item, computed once per compiled condition. */
const restrictedOf = new WeakMap<Condition, Array<{ scope: Scope | null; pred: number }>>();

/** The has/count clauses a window restricts: those not under not/missing. */
function collectRestricted(c: Condition, out: Array<{ scope: Scope | null; pred: number }>): Array<{ scope: Scope | null; pred: number }> {
  switch (c.k) {
    case 'has': case 'count': out.push({ scope: c.scope, pred: c.pred }); break;
    case 'missing': case 'not': break;
    case 'and': case 'or': for (const i of c.items) collectRestricted(i, out); break;
    case 'within': collectRestricted(c.item, out); break;
    case 'followedBy': collectRestricted(c.first, out); collectRestricted(c.then, out); break;
  }
  return out;
}

export function compare(value: number, op: string, n: number): boolean {
  switch (op) {
    case '>': return value > n;
    case '>=': return value >= n;
    case '<': return value < n;
    case '<=': return value <= n;
    case '===': return value === n;
    default: return value !== n;
  }
}

/** Evaluates a condition on a trace whose predicate results come from `trace`. */
export function evaluateCondition(compiled: CompiledCondition, trace: TraceMatches): Outcome {
  return new Evaluation(trace).evaluate(compiled.root, null);
}

/** Distinct witness spans in start-time order. */
export function witnessesOf(trace: TraceMatches, outcome: Outcome): Span[] {
  return [...new Set(outcome.witnesses)].sort((a, b) => a - b).map((i) => trace.spans[i]);
}

/** Predicate results computed on demand over all spans: the straightforward matcher. */
export function directMatches(compiled: CompiledCondition, spans: readonly Span[]): TraceMatches {
  const cache = new Map<number, Uint8Array>();
  return {
    spans,
    matches(pred: number): Uint8Array {
      let m = cache.get(pred);
      if (m === undefined) {
        const fn = compiled.predicates[pred].fn;
        m = new Uint8Array(spans.length);
        for (let i = 0; i < spans.length; i++) m[i] = fn(spans[i]) ? 1 : 0;
        cache.set(pred, m);
      }
      return m;
    },
  };
}

/**
 * Whole-trace evaluation: links the spans, evaluates every predicate on every
 * span, and the condition once. Used by `POST /rules/test`, and as the oracle
 * the detector's incremental evaluation is tested against.
 *
 * With `options.budget` (work units, see dsl/runtime.ts), an evaluation that
 * needs more stops and reports `budgetExceeded: true` (and no match).
 */
export function evaluateTrace(
  rule: { condition: CompiledCondition },
  spans: readonly Span[],
  options: { budget?: number } = {},
): { matched: boolean; witnesses: Span[]; budgetExceeded?: boolean } {
  const result = withBudget(options.budget ?? Infinity, () => evaluateTraceUnbudgeted(rule, spans));
  return result instanceof BudgetExceededError ? { matched: false, witnesses: [], budgetExceeded: true } : result;
}

function evaluateTraceUnbudgeted(rule: { condition: CompiledCondition }, spans: readonly Span[]): { matched: boolean; witnesses: Span[] } {
  // A span sent twice (a sender's retry) counts once, as in the detector.
  const seen = new Set<string>();
  const unique = spans.filter((s) => (seen.has(s.spanId) ? false : (seen.add(s.spanId), true)));
  const linked = linkSpans(unique);
  const trace = directMatches(rule.condition, linked);
  try {
    const outcome = evaluateCondition(rule.condition, trace);
    return { matched: outcome.holds, witnesses: outcome.holds ? witnessesOf(trace, outcome) : [] };
  } finally {
    releaseShared();
  }
}
