/**
 * Predicates a condition cannot hold without, each with the least number of
 * spans that must match it: if fewer spans of the trace match, the condition
 * is false. The detector uses them to skip rules on traces where they cannot
 * hold, before building any evaluation (most rules, on most traces).
 *
 * Why each case is sound (see evaluateCondition.ts for the semantics):
 * - has(scope, p): holds only with a span in scope matching p (1), and a
 *   scope with a where-anchor holds nothing without a span matching its
 *   anchor (1).
 * - count(scope, p) op n: holds only when the spans in scope (a subset of the
 *   trace, and in a window a subset again) matching p number at least
 *   floor(n) + 1 for `> n`, ceil(n) for `>= n` and n for `=== n` (an `=== n`
 *   with a fractional n never holds; ceil(n) is still a lower bound). Other
 *   comparisons hold with a count of 0. Its scope's anchors are always needed.
 * - missing(scope, p): needs its scope's anchors (a scope without one is false).
 * - and, followedBy: every part must hold, so every part's requirements (the
 *   largest minimum per predicate).
 * - within(c): holds only if c holds in some window, so c's requirements.
 * - or, not: nothing (conservative).
 */
import type { Condition, CountOp, Scope } from '../dsl/compileCondition.js';

/** The least count of matching spans a `count op n` comparison holds with (0 when it holds with none). */
export function minimumCount(op: CountOp, n: number): number {
  switch (op) {
    case '>': return n >= 0 ? Math.floor(n) + 1 : 0;
    case '>=':
    case '===': return n > 0 ? Math.ceil(n) : 0;
    default: return 0;
  }
}

/** Predicate index → least number of spans that must match it for the condition to hold (≥ 1). */
export function requiredMatchCounts(root: Condition): Map<number, number> {
  const out = new Map<number, number>();
  const need = (pred: number, min: number): void => {
    if (min > (out.get(pred) ?? 0)) out.set(pred, min);
  };
  const scopeAnchors = (scope: Scope | null): void => {
    for (let s = scope; s !== null; s = s.parent) need(s.where, 1);
  };
  const visit = (c: Condition): void => {
    switch (c.k) {
      case 'has': scopeAnchors(c.scope); need(c.pred, 1); return;
      case 'count': scopeAnchors(c.scope); need(c.pred, minimumCount(c.op, c.n)); return;
      case 'missing': scopeAnchors(c.scope); return;
      case 'and': for (const item of c.items) visit(item); return;
      case 'followedBy': visit(c.first); visit(c.then); return;
      case 'within': visit(c.item); return;
      case 'or': case 'not': return;
    }
  };
  visit(root);
  return out;
}
