/**
 * A predicate's guard: one equality its result depends on, cheap enough to
 * test before calling the predicate at all. For `span => span.kind === 'CLIENT'
 * && span.attributes['db.system'] !== undefined && ...` the guard is
 * `kind === 'CLIENT'`: on a span whose kind is anything else the predicate is
 * false, so the detector does not call it.
 *
 * A guard is taken only from a conjunct of the predicate's top-level `&&`
 * chain that compares, with `===`, a direct read of the span's name, kind,
 * status or service, or of one of its attributes by a literal key, with a
 * string, number or boolean literal. Such a conjunct being false makes the
 * whole chain false whatever the other conjuncts do (a conjunct that throws
 * also makes the predicate false), so skipping the call changes no result.
 * Of several candidates the most selective kind is chosen: an attribute or
 * the name before the service before the kind or status; the others are kept
 * in `also` (each one alone is a guard as well), so that a structural
 * predicate such as `span.kind === 'CLIENT' && span.status === 'ERROR' && ...
 * span.children ...` counts only spans passing both as spans that may match.
 */
import { isSpanParam, type PExpr } from './checkPredicate.js';
import { conjunctsOf } from './generatePredicate.js';

export type GuardField = 'name' | 'kind' | 'status' | 'service';

/** One equality: span.<field> === value, or span.attributes[attribute] === value. */
export interface GuardTest {
  /** A span field, or null for an attribute. */
  field: GuardField | null;
  /** The attribute key when field is null. */
  attribute: string | null;
  value: string | number | boolean;
}

export interface PredicateGuard extends GuardTest {
  /** The predicate's other top-level equalities of the same kinds, when it has some. */
  also?: GuardTest[];
}

const RANK: Record<GuardField | 'attribute', number> = { attribute: 0, name: 1, service: 2, kind: 3, status: 3 };

/** The read a guard can test: span.<field> or span.attributes['<key>'], both direct. */
function guardRead(e: PExpr): { field: GuardField | null; attribute: string | null } | null {
  if (e.t !== 'member' || !e.direct || typeof e.key !== 'string') return null;
  if (isSpanParam(e.object)) {
    return e.key === 'name' || e.key === 'kind' || e.key === 'status' || e.key === 'service' ? { field: e.key, attribute: null } : null;
  }
  const o = e.object;
  if (o.t === 'member' && o.direct && o.key === 'attributes' && isSpanParam(o.object)) return { field: null, attribute: e.key };
  return null;
}

function literalValue(e: PExpr): string | number | boolean | null {
  if (e.t !== 'literal') return null;
  const v = e.value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

export function predicateGuard(body: PExpr): PredicateGuard | null {
  let best: GuardTest | null = null;
  let bestRank = Infinity;
  const tests: GuardTest[] = [];
  for (const c of conjunctsOf(body)) {
    if (c.t !== 'binary' || c.op !== '===') continue;
    let read = guardRead(c.left);
    let value = literalValue(c.right);
    if (read === null || value === null) {
      read = guardRead(c.right);
      value = literalValue(c.left);
    }
    if (read === null || value === null) continue;
    // NaN never equals anything; leave such a predicate to run as written.
    if (typeof value === 'number' && Number.isNaN(value)) continue;
    const test: GuardTest = { field: read.field, attribute: read.attribute, value };
    tests.push(test);
    const rank = RANK[read.field ?? 'attribute'];
    if (rank < bestRank) {
      best = test;
      bestRank = rank;
    }
  }
  if (best === null) return null;
  const primary = best;
  const also = tests.filter((t) => t !== primary);
  return also.length > 0 ? { ...primary, also } : primary;
}
