/**
 * Deciding a condition from match counts alone, without evaluating it.
 *
 * The detector keeps, per trace, how many spans match each predicate (exact
 * for predicates that do not read parent/children) or an upper bound of it
 * (for a structural predicate, the spans passing its guard). Many conditions
 * are decided by those numbers: `trace.has(p).and(trace.missing(q))` is false
 * as soon as one span matches q, whatever the other spans are. Returns true
 * or false when the counts decide the condition on the whole trace, and
 * undefined when only an evaluation can tell. A caller skips the evaluation
 * when the answer is false and evaluates (for the witnesses) otherwise.
 *
 * Why each case is sound (semantics in evaluateCondition.ts):
 * - has(trace, p) holds iff some span matches p; count(trace, p) op n iff the
 *   number of matching spans compares so; missing(trace, p) iff none matches.
 *   Decided when the count is exact, or when the upper bound alone decides
 *   (a bound of 0 is exact; a bound under the minimum a count needs).
 * - In a where-scope, spans in scope are a subset of the trace and the scope
 *   is false without an anchor match: has and count are false when the
 *   whole-trace bound is too small or an anchor matches no span, missing is
 *   false when an anchor matches no span; otherwise undecided.
 * - and/or/not: three-valued logic over the parts (and is false with one
 *   false part, true with all true; or the dual; not of undecided is undecided).
 * - followedBy(a, b) is false when a or b is false; otherwise undecided.
 * - within(c) restricts has and count to windows, where counts differ from
 *   the whole trace's: false when c's required match counts
 *   (requiredPredicates.ts) are not met, otherwise what an earlier
 *   evaluation on the same spans learnt of the same item in another window
 *   (MatchCounts.within), or undecided. A within that decideByCounts meets
 *   is never inside another window (it does not look into a within's item).
 */
import type { Condition, Scope } from '../dsl/compileCondition.js';
import { compare } from './evaluateCondition.js';
import { minimumCount, requiredMatchCounts } from './requiredPredicates.js';

/** Match counts of one trace, by the condition's predicate index. */
export interface MatchCounts {
  /** An upper bound of the spans matching predicate `pred` (Infinity when unknown). */
  upper(pred: number): number;
  /** Whether upper(pred) is the exact count. */
  exact(pred: number): boolean;
  /**
   * Whether a `within` holds, when an earlier evaluation on the same spans
   * decided it (evaluateCondition.ts, WindowMemo); undefined when unknown.
   */
  within?(c: WithinCondition): boolean | undefined;
}

export type WithinCondition = Extract<Condition, { k: 'within' }>;

/** requiredMatchCounts of each within's item, computed once per compiled condition. */
const withinRequirements = new WeakMap<Condition, Array<[number, number]>>();

function anchorsMissing(scope: Scope | null, counts: MatchCounts): boolean {
  for (let s = scope; s !== null; s = s.parent) if (counts.upper(s.where) === 0) return true;
  return false;
}

export function decideByCounts(c: Condition, counts: MatchCounts): boolean | undefined {
  switch (c.k) {
    case 'has': {
      if (anchorsMissing(c.scope, counts)) return false;
      const upper = counts.upper(c.pred);
      if (upper === 0) return false;
      return c.scope === null && counts.exact(c.pred) ? true : undefined;
    }
    case 'missing': {
      if (anchorsMissing(c.scope, counts)) return false;
      if (c.scope !== null) return undefined;
      const upper = counts.upper(c.pred);
      if (upper === 0) return true;
      return counts.exact(c.pred) ? false : undefined;
    }
    case 'count': {
      if (anchorsMissing(c.scope, counts)) return false;
      const upper = counts.upper(c.pred);
      if (upper < minimumCount(c.op, c.n)) return false;
      return c.scope === null && (upper === 0 || counts.exact(c.pred)) ? compare(upper, c.op, c.n) : undefined;
    }
    case 'and': {
      let decided = true;
      for (const item of c.items) {
        const d = decideByCounts(item, counts);
        if (d === false) return false;
        if (d === undefined) decided = false;
      }
      return decided ? true : undefined;
    }
    case 'or': {
      let decided = true;
      for (const item of c.items) {
        const d = decideByCounts(item, counts);
        if (d === true) return true;
        if (d === undefined) decided = false;
      }
      return decided ? false : undefined;
    }
    case 'not': {
      const d = decideByCounts(c.item, counts);
      return d === undefined ? undefined : !d;
    }
    case 'followedBy':
      return decideByCounts(c.first, counts) === false || decideByCounts(c.then, counts) === false ? false : undefined;
    case 'within': {
      let required = withinRequirements.get(c);
      if (required === undefined) withinRequirements.set(c, (required = [...requiredMatchCounts(c.item)]));
      for (const [pred, min] of required) if (counts.upper(pred) < min) return false;
      return counts.within?.(c);
    }
  }
}
