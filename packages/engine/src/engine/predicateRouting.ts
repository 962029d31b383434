/**
 * Which predicates a span is tested against, and how: the detector's side of
 * the rule set's distinct predicates (SharedPredicate), computed when rules
 * are set.
 *
 * - Guard routing: a predicate with a guard (an equality it cannot hold
 *   without, dsl/predicateGuard.ts) is found by a hash lookup of the span's
 *   value for that field (GuardRouting), not by testing every guard.
 * - Tested together: the non-structural predicates a span is routed to, and
 *   structural predicates that differ only in literals, are generated as one
 *   function each that reads what they share once (TestedTogether,
 *   dsl/generatePredicateGroup.ts).
 *
 * Pure functions of the rule set; the per-trace state stays in detector.ts.
 */
import type { Span } from '../trace/span.js';
import type { PExpr } from '../dsl/checkPredicate.js';
import type { PredicateState } from '../dsl/generatePredicate.js';
import { generatePredicateGroup, type PredicateGroup } from '../dsl/generatePredicateGroup.js';
import type { GuardTest, PredicateGuard } from '../dsl/predicateGuard.js';
import { attribute, BUDGET_EXCEEDED, withBudget } from '../dsl/runtime.js';

/** A distinct predicate across all rules. */
export interface SharedPredicate {
  fn: (span: Span) => boolean;
  structural: boolean;
  /** Tested before fn on each span (see dsl/predicateGuard.ts). */
  guard: PredicateGuard | null;
  /** The tree fn was generated from (generatedFrom), null for a function written by hand: only generated ones are tested together. */
  body: PExpr | null;
  state: PredicateState;
  /**
   * For a structural predicate: the id of the non-structural predicate
   * testing its local prefix (dsl/localPrefix.ts), which every span it
   * matches matches, or -1. The prefix is routed, so it is tested when
   * spans arrive; the predicate is then tested only on spans matching it,
   * and the prefix's match count bounds the predicate's.
   */
  prefilter: number;
}

/**
 * Predicates tested on a span together, as one generated function that reads
 * what they share once (dsl/generatePredicateGroup.ts): the non-structural
 * predicates of a routing list, or structural predicates with the same guard
 * and the same shape (differing only in literals), which the rules of a pass
 * ask for one after the other.
 */
export interface TestedTogether {
  /** shared predicate ids, in the group's member order */
  ids: Int32Array;
  /** one generated function for all of them, or null (fewer than two, or one without a tree): each fn called */
  group: PredicateGroup<Span> | null;
  /** the group's answers for the last span */
  out: Uint8Array;
  /** The prefilter (SharedPredicate.prefilter) all members have, or -1 (then spans are tested against the guard). */
  prefilter: number;
}

export function testedTogether(ids: readonly number[], predicates: readonly SharedPredicate[]): TestedTogether {
  const members = ids.map((id) => predicates[id]);
  const groupable = members.length >= 2 && members.every((p) => p.body !== null);
  const prefilter = members.length > 0 && members.every((p) => p.prefilter === members[0].prefilter) ? members[0].prefilter : -1;
  return {
    ids: Int32Array.from(ids),
    group: groupable ? generatePredicateGroup<Span>(members.map((p) => ({ body: p.body!, state: p.state }))).fn : null,
    out: new Uint8Array(ids.length),
    prefilter,
  };
}

/** The shape of a predicate: its tree with every literal's value left out (regexes are kept by index). */
function shapeOf(body: PExpr): string {
  return JSON.stringify(body, (key: string, value: unknown) => (key === 'value' ? null : value));
}

/** Structural predicates with a group of their own (TestedTogether), by shared predicate id. */
export function buildStructuralGroups(predicates: readonly SharedPredicate[]): Array<TestedTogether | undefined> {
  const byShape = new Map<string, number[]>();
  predicates.forEach((p, id) => {
    if (!p.structural || p.body === null) return;
    const key = `${JSON.stringify(p.guard)}\u0000${shapeOf(p.body)}`;
    let ids = byShape.get(key);
    if (ids === undefined) byShape.set(key, (ids = []));
    ids.push(id);
  });
  const out = new Array<TestedTogether | undefined>(predicates.length);
  for (const ids of byShape.values()) {
    if (ids.length < 2) continue;
    const together = testedTogether(ids, predicates);
    for (const id of ids) out[id] = together;
  }
  return out;
}

/**
 * Tests the linked spans against a group of structural predicates sharing
 * `guard`, and caches every member's results in `cache` (the rules of a
 * pass ask for them one after the other). `prefiltered`: the results of the
 * members' prefilter in linked order (TestedTogether.prefilter), or null:
 * only spans matching it are tested, else only spans passing the guard
 * (mayMatch). The group runs on a budget of its own (`budget` units, the
 * meter of the evaluation that asked is left as it was): its work is
 * shared by the rules of the family, as a shared
 * subexpression's is, and charging it to the rule that asked first could
 * exhaust that rule where it alone would not. When the group needs more,
 * nothing is cached and false returned: the caller tests its predicate
 * alone, charged to its rule as without the group, and should not try the
 * group again in this pass.
 */
export function testTogether(
  together: TestedTogether, guard: PredicateGuard | null, prefiltered: Uint8Array | null, linked: readonly Span[], cache: Map<number, Uint8Array>, budget: number,
): boolean {
  const { ids, group, out } = together;
  // One allocation for all members (a typed array's backing store is what costs), a view each.
  const n = linked.length;
  const buffer = new Uint8Array(ids.length * n);
  const results = Array.from(ids, (_, j) => buffer.subarray(j * n, (j + 1) * n));
  const done = withBudget(budget, () => {
    for (let i = 0; i < n; i++) {
      const span = linked[i];
      if (!mayMatch(guard, prefiltered, linked, i)) continue;
      group!(span, out);
      for (let j = 0; j < ids.length; j++) results[j][i] = out[j];
    }
    return true;
  });
  if (done === BUDGET_EXCEEDED) return false;
  for (let j = 0; j < ids.length; j++) cache.set(ids[j], results[j]);
  return true;
}

/**
 * Whether linked span `i` may match a structural predicate, so that it is
 * tested: it matches the predicate's prefilter (`prefiltered`, its results
 * in linked order; SharedPredicate.prefilter), or, without one, passes its
 * guard.
 */
export function mayMatch(guard: PredicateGuard | null, prefiltered: Uint8Array | null, linked: readonly Span[], i: number): boolean {
  return prefiltered !== null ? prefiltered[i] !== 0 : guard === null || passesGuard(guard, linked[i]);
}

/** Whether a span passes a predicate's guard (every equality of it); a span failing it cannot match the predicate. */
export function passesGuard(guard: PredicateGuard, span: Span): boolean {
  return passesTest(guard, span) && (guard.also === undefined || passesAlso(guard.also, span));
}

export function passesAlso(also: readonly GuardTest[], span: Span): boolean {
  for (let i = 0; i < also.length; i++) if (!passesTest(also[i], span)) return false;
  return true;
}

function passesTest(guard: GuardTest, span: Span): boolean {
  switch (guard.field) {
    // One attribute, read from the bytes of a span whose details were released (SpanRecord.attribute), as predicates read it.
    case null: return attribute(span, guard.attribute!) === guard.value;
    case 'name': return span.name === guard.value;
    case 'kind': return span.kind === guard.value;
    case 'status': return span.status === guard.value;
    case 'service': return span.service === guard.value;
  }
}

/**
 * Guarded non-structural predicates by the value their guard requires, so a
 * span is tested only against predicates whose guard it passes (a hash
 * lookup per guarded field and attribute key instead of a guard test per
 * predicate): see Detector.route.
 */
export interface GuardRouting {
  /**
   * by shared predicate id: 1 when the predicate is routed (its results and
   * match count are kept up to date by route); 2 for a structural predicate,
   * whose guard alone is routed: its `matched` counts the spans passing the
   * guard, a cheap necessary condition (the predicate itself needs the whole
   * trace linked and is tested when a rule is evaluated).
   */
  routed: Uint8Array;
  name: Map<unknown, RouteList>;
  kind: Map<unknown, RouteList>;
  status: Map<unknown, RouteList>;
  service: Map<unknown, RouteList>;
  /** attribute keys, each with its predicates by value */
  attributeKeys: string[];
  attributes: Array<Map<unknown, RouteList>>;
}

/** The predicates whose guard's first equality a span's value passes. */
export interface RouteList {
  /** the non-structural ones, tested on the span */
  tested: TestedTogether;
  /**
   * the structural ones, counted when the span passes the rest of their
   * guard: by distinct rest (`also`), each tested once per span
   */
  counted: Array<{ also: readonly GuardTest[] | undefined; ids: Int32Array }>;
}

function routeList(ids: readonly number[], predicates: readonly SharedPredicate[]): RouteList {
  const byAlso = new Map<string, { also: readonly GuardTest[] | undefined; ids: number[] }>();
  const tested: number[] = [];
  for (const id of ids) {
    const p = predicates[id];
    if (!p.structural) { tested.push(id); continue; }
    const also = p.guard!.also;
    const key = JSON.stringify(also ?? []);
    let counted = byAlso.get(key);
    if (counted === undefined) byAlso.set(key, (counted = { also, ids: [] }));
    counted.ids.push(id);
  }
  return {
    tested: testedTogether(tested, predicates),
    counted: [...byAlso.values()].map((c) => ({ also: c.also, ids: Int32Array.from(c.ids) })),
  };
}

/** Whether predicates with this guard are routed by it (GuardRouting): NaN never equals itself, so a Map lookup would find it where the guard would not. */
export function isRoutable(guard: PredicateGuard | null): guard is PredicateGuard {
  return guard !== null && !Number.isNaN(guard.value);
}

export function buildGuardRouting(predicates: readonly SharedPredicate[]): GuardRouting {
  const routing: GuardRouting = {
    routed: new Uint8Array(predicates.length), name: new Map(), kind: new Map(), status: new Map(), service: new Map(), attributeKeys: [], attributes: [],
  };
  const byKey = new Map<string, Map<unknown, RouteList>>();
  const lists = new Map<Map<unknown, RouteList>, Map<unknown, number[]>>();
  const idsOf = (map: Map<unknown, RouteList>): Map<unknown, number[]> => {
    let ids = lists.get(map);
    if (ids === undefined) lists.set(map, (ids = new Map()));
    return ids;
  };
  predicates.forEach((p, id) => {
    const guard = p.guard;
    if (!isRoutable(guard)) return;
    let map: Map<unknown, RouteList>;
    if (guard.field === null) {
      let byValue = byKey.get(guard.attribute!);
      if (byValue === undefined) {
        byKey.set(guard.attribute!, (byValue = new Map()));
        routing.attributeKeys.push(guard.attribute!);
        routing.attributes.push(byValue);
      }
      map = byValue;
    } else {
      map = routing[guard.field];
    }
    const byValue = idsOf(map);
    let list = byValue.get(guard.value);
    if (list === undefined) byValue.set(guard.value, (list = []));
    list.push(id);
    routing.routed[id] = p.structural ? 2 : 1;
  });
  for (const [map, byValue] of lists) for (const [value, ids] of byValue) map.set(value, routeList(ids, predicates));
  return routing;
}
