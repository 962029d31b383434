/**
 * The local prefix of a structural predicate: the leading conjuncts of its
 * top-level `&&` chain that read only the span itself. For
 * `span => span.kind === 'CLIENT' && span.attributes['db.system'] !== undefined
 * && span.parent !== null && span.parent.children.filter(...).length > 1` it
 * is `span.kind === 'CLIENT' && span.attributes['db.system'] !== undefined`.
 *
 * Why: a structural predicate needs the whole trace linked, so it is tested
 * when a rule is evaluated, by then on spans whose details were released
 * (trace/span.ts) and are read again from their bytes. Its local prefix can
 * be tested when the span arrives, with the details at hand, as any
 * non-structural predicate is (engine/detector.ts): the spans failing it
 * cannot match, are not tested at evaluation, and their count bounds the
 * predicate's (a rule needing ten such spans is not evaluated on a trace
 * with three).
 *
 * A conjunct is local when it reads neither `parent` nor `children` nor any
 * computed property (which could reach them: the checker counts such a read
 * as structural too). The prefix also stops at a conjunct that may throw or
 * holds a regex, so that testing the prefix alone counts no error and needs
 * none of the predicate's state: where the prefix is false, so is the
 * predicate, which is then not called and counts nothing, as it would
 * count nothing when called (its own prefix is false without throwing).
 */
import type { PExpr } from './checkPredicate.js';
import { conjunction, conjunctsOf, needsNoState, someNode } from './generatePredicate.js';

/** The predicate's local prefix (module comment), or null when it has none or the whole predicate is local. */
export function localPrefix(body: PExpr): PExpr | null {
  const conjuncts = conjunctsOf(body);
  let n = 0;
  while (n < conjuncts.length && isLocal(conjuncts[n])) n++;
  return n === 0 || n === conjuncts.length ? null : conjunction(conjuncts.slice(0, n));
}

function isLocal(e: PExpr): boolean {
  return needsNoState(e) && !someNode(e, (x) => x.t === 'member' && (typeof x.key !== 'string' || x.key === 'parent' || x.key === 'children'));
}
