/**
 * Predicate groups: predicates a span is tested against together, generated
 * as one function (in a Rete network's terms, alpha nodes sharing their
 * tests).
 *
 * Why: a thousand rules are often a few written many times with different
 * constants, and the predicates a span is routed to together (all those
 * guarded by `span.kind === 'SERVER'`, say) read the same few fields and
 * attributes. Called one by one, 144 predicates read
 * `span.attributes['http.response.status_code']` 144 times, each a hash
 * lookup in a map whose shape differs from span to span; in one function,
 * a read the members share is made once per span and held in a local, and
 * the calls between them become straight-line code.
 *
 * What is read once: a member read rooted at the span (`span.kind`,
 * `span.attributes['x']`, `span.parent.status`) or a shared subexpression
 * (generatePredicate.ts), met at least twice in a chunk of members, outside
 * arrows (a local an arrow closed over would cost a context per call). Member
 * reads never throw and change nothing (the checker allows only reads of the
 * span model's values, plain or through null-safe helpers), and a span does
 * not change while it is tested, so one read gives what each member's own
 * read gave. A read is made when a member first needs it, so a member's
 * short-circuit still skips it.
 *
 * Safety is generatePredicate's: the source holds only slots, helper names,
 * operators and re-serialised literals, never user text.
 */
import type { PExpr } from './checkPredicate.js';
import { childrenOf, emit, emitIn, isShareable, mayThrow, shareableText, sharedFunctions, type EmitContext, type PredicateState } from './generatePredicate.js';
import { runtime } from './runtime.js';

export interface PredicateGroupMember {
  /** the validated tree (checkPredicate.ts) */
  body: PExpr;
  /** the member's own state: its regexes, and where its errors are counted */
  state: PredicateState;
}

/**
 * Sets `out[j]` to 1 when member j holds for `span` and to 0 when it does
 * not, for every member, exactly as calling each member's own predicate
 * would: an evaluation that throws counts as 0 and increments that member's
 * `state.errors` (so errors are counted for every member tested, whether or
 * not a rule reads its answer); each member charges one unit of the evaluation budget, and
 * BUDGET_EXCEEDED propagates, leaving `out` partly written.
 */
export type PredicateGroup<T> = (span: T, out: Uint8Array) => void;

/**
 * Members per generated function. Smaller functions are optimized by V8
 * sooner and more steadily: with 64 members the 1,000-rule detector varied
 * by up to 2x between processes (a family of 47 regex predicates: 17–68 ms
 * over the workload), with 16 by less and about 6% faster over 4
 * interleaved runs (bench/ruleFamilies.mjs and the detector alone).
 */
const CHUNK_MEMBERS = 16;

export function generatePredicateGroup<T>(members: readonly PredicateGroupMember[]): { fn: PredicateGroup<T>; source: string } {
  const chunks: Array<{ fn: PredicateGroup<T>; source: string }> = [];
  for (let start = 0; start < members.length; start += CHUNK_MEMBERS) chunks.push(generateChunk(members.slice(start, start + CHUNK_MEMBERS), start));
  const source = chunks.map((c) => c.source).join('\n');
  if (chunks.length === 1) return { fn: chunks[0].fn, source };
  const fns = chunks.map((c) => c.fn);
  return {
    fn: (span, out) => {
      for (let c = 0; c < fns.length; c++) fns[c](span, out);
    },
    source,
  };
}

function generateChunk<T>(members: readonly PredicateGroupMember[], base: number): { fn: PredicateGroup<T>; source: string } {
  const counts = new Map<string, number>();
  for (const m of members) countReads(m.body, counts);
  const names = new Map<string, string>();
  const common = (e: PExpr, emitted: () => string): string => {
    const key = readKey(e);
    if (key === null || counts.get(key)! < 2) return emitted();
    let name = names.get(key);
    if (name === undefined) names.set(key, (name = `c${names.size}`));
    return `(${name} === U ? (${name} = ${emitted()}) : ${name})`;
  };
  const shared = sharedFunctions();
  const statements = members.map((m, j) => {
    const ctx: EmitContext = { shared, regex: (index) => `R[${j}].re[${index}]`, common };
    const expr = emitIn(m.body, ctx);
    const slot = base + j;
    const test = mayThrow(m.body)
      ? `try { out[${slot}] = (${expr}) ? 1 : 0; } catch (e) { if (e === H.BUDGET_EXCEEDED) throw e; R[${j}].errors++; out[${slot}] = 0; }`
      : `out[${slot}] = (${expr}) ? 1 : 0;`;
    return `  if (--M.remaining < 0) throw H.BUDGET_EXCEEDED;\n  ${test}`;
  });
  const locals = names.size === 0 ? '' : `  let ${[...names.values()].map((n) => `${n} = U`).join(', ')};\n`;
  const sharedSource = shared.sources.length === 0 ? '' : `const S = [${shared.sources.join(', ')}];\n`;
  const source = `"use strict";\n${sharedSource}const U = {};\nreturn function predicateGroup(p0, out) {\n${locals}${statements.join('\n')}\n};`;
  // eslint-disable-next-line no-new-func -- input is validated trees, never user text (see module comment)
  const factory = new Function('H', 'R', 'M', source) as (h: typeof runtime, r: PredicateState[], m: typeof runtime.meter) => PredicateGroup<T>;
  return { fn: factory(runtime, members.map((m) => m.state), runtime.meter), source };
}

function isRootedAtSpan(e: PExpr): boolean {
  if (e.t === 'param') return e.slot === 0;
  return e.t === 'member' && typeof e.key === 'string' && isRootedAtSpan(e.object);
}

/** The identity of a read a chunk may make once (module comment), or null for any other node. */
function readKey(e: PExpr): string | null {
  if (isShareable(e)) return `shared ${shareableText(e)}`;
  if (e.t === 'member' && typeof e.key === 'string' && isRootedAtSpan(e.object)) return emit(e);
  return null;
}

/** Counts the reads of `e` outside arrows, as emitIn meets them: a shared subexpression is one read, not its insides. */
function countReads(e: PExpr, counts: Map<string, number>): void {
  const key = readKey(e);
  if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  if (isShareable(e)) return;
  // A span attribute is emitted without its map, an arrow's body without common reads (emitIn).
  const read = e.t === 'member' && e.spanAttribute === true && e.object.t === 'member' ? [e.object.object] : e.t === 'iterate' ? [e.target] : childrenOf(e);
  for (const x of read) countReads(x, counts);
}
