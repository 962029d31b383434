/**
 * Predicates a condition cannot hold without: for each returned predicate,
 * if no span of the trace matches it, the condition is false. The detector
 * uses them to skip rules on traces where they cannot hold, before building
 * any evaluation (most rules, on most traces).
 *
 * Why each case is sound (see evaluateCondition.ts for the semantics):
 * - has(scope, p): holds only with a span in scope matching p, and a scope
 *   with a where-anchor holds nothing without a span matching its anchor.
 * - count(scope, p) op n: needs a match of p only when op/n exclude a count
 *   of 0 (> n≥0, >= n≥1, === n≥1); its scope's anchors are always needed.
 * - missing(scope, p): needs its scope's anchors (a scope without one is false).
 * - and, followedBy: every part must hold, so every part's requirements.
 * - within(c): holds only if c holds in some window, so c's requirements.
 * - or, not: nothing (conservative).
 */
import type { Condition, Scope } from '../dsl/compileCondition.js';

export function requiredPredicates(root: Condition): number[] {
  const out = new Set<number>();
  const scopeAnchors = (scope: Scope | null): void => {
    for (let s = scope; s !== null; s = s.parent) out.add(s.where);
  };
  const visit = (c: Condition): void => {
    switch (c.k) {
      case 'has': scopeAnchors(c.scope); out.add(c.pred); return;
      case 'count':
        scopeAnchors(c.scope);
        if ((c.op === '>' && c.n >= 0) || (c.op === '>=' && c.n >= 1) || (c.op === '===' && c.n >= 1)) out.add(c.pred);
        return;
      case 'missing': scopeAnchors(c.scope); return;
      case 'and': for (const item of c.items) visit(item); return;
      case 'followedBy': visit(c.first); visit(c.then); return;
      case 'within': visit(c.item); return;
      case 'or': case 'not': return;
    }
  };
  visit(root);
  return [...out];
}
