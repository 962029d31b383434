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
 * short-circuit still skips it. String(), Number() and a regex test of such
 * a read are computed once too (a regex is told by its pattern and flags: a
 * family of 47 rules testing one pattern runs it once per span, not 47
 * times); these may throw, and a value is held only once computed, so a
 * member whose computation threw computes it again and counts its own error.
 *
 * What is tested once: members beginning with the same conjunct (the same
 * test of the span, `span.kind === 'CLIENT'`, or `span.isRoot` in a family
 * of rules that differ further on) test it once, in an `if` whose else
 * answers 0 for all of them, then the same for their next conjunct. Only a
 * conjunct that cannot throw and holds no regex is tested for several
 * members (an error counts per member; regexes are each member's own).
 * Members are ordered by their conjuncts, so that a family sits in one
 * chunk; their answers go to their own slots whatever the order.
 *
 * Safety is generatePredicate's: the source holds only slots, helper names,
 * operators and re-serialised literals, never user text.
 */
import type { PExpr } from './checkPredicate.js';
import {
  childrenOf, conjunction, conjunctsOf, emit, emitIn, isShareable, mayThrow, needsNoState, regexText, shareableText, sharedFunctions, type EmitContext, type PredicateState,
} from './generatePredicate.js';
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
 * not a rule reads its answer). Each member charges one unit of the
 * evaluation budget (charged per chunk of members, before testing them),
 * and BUDGET_EXCEEDED propagates, leaving `out` partly written.
 */
export type PredicateGroup<T> = (span: T, out: Uint8Array) => void;

/**
 * Members per generated function. Smaller functions are optimized by V8
 * sooner and more steadily, larger ones read and test what members share
 * fewer times. Before reads were shared beyond plain reads and conjuncts
 * tested once, 16 was best: with 64 the 1,000-rule detector varied by up
 * to 2x between processes (a family of 47 predicates running one regex 47
 * times: 17–68 ms over the workload). Since, 64 is: the 1,000-rule
 * detector alone (bench/compareBuilds.mjs --only detector, 4 interleaved
 * runs, three processes each) measured 1.18–1.24x over the base build with
 * 64, 1.11–1.14x with 16, and 128 no better than 64; that family measured
 * 14–16 ms in three processes (bench/ruleFamilies.mjs).
 */
const CHUNK_MEMBERS = 64;

export function generatePredicateGroup<T>(members: readonly PredicateGroupMember[]): { fn: PredicateGroup<T>; source: string } {
  const conjuncts = members.map((m) => conjunctsOf(m.body));
  const keys = conjuncts.map((list) => list.map(factorKey));
  // Members that begin alike side by side, so that a chunk holds whole families (module comment).
  const order = members.map((_, j) => j).sort((a, b) => compareKeys(keys[a], keys[b], a, b));
  const chunks: Array<{ fn: PredicateGroup<T>; source: string }> = [];
  for (let start = 0; start < order.length; start += CHUNK_MEMBERS) {
    const slots = order.slice(start, start + CHUNK_MEMBERS);
    chunks.push(generateChunk(slots.map((slot) => ({ slot, member: members[slot], conjuncts: conjuncts[slot], keys: keys[slot] }))));
  }
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

/** A member of a chunk: `slot` is its index in the group (where its answer goes in `out`). */
interface ChunkMember {
  slot: number;
  member: PredicateGroupMember;
  /** its body's conjuncts (conjunctsOf), with the key of each (factorKey) */
  conjuncts: readonly PExpr[];
  keys: ReadonlyArray<string | null>;
}

function generateChunk<T>(members: readonly ChunkMember[]): { fn: PredicateGroup<T>; source: string } {
  const regexTexts = members.map((m) => (index: number) => regexText(m.member.state.re[index]));
  const counts = new Map<string, number>();
  members.forEach((m, j) => countReads(m.member.body, counts, regexTexts[j]));
  const names = new Map<string, string>();
  const commonIn = (memberRegex: MemberRegex) => (e: PExpr, emitted: () => string): string => {
    const key = readKey(e, memberRegex);
    if (key === null || counts.get(key)! < 2) return emitted();
    let name = names.get(key);
    if (name === undefined) names.set(key, (name = `c${names.size}`));
    return `(${name} === U ? (${name} = ${emitted()}) : ${name})`;
  };
  const shared = sharedFunctions();
  const contexts = members.map((_, j): EmitContext => ({ shared, regex: (index) => `R[${j}].re[${index}]`, common: commonIn(regexTexts[j]) }));
  const indexed = members.map((m, j) => ({ ...m, j }));
  const body = emitFactored(indexed, 0, contexts, '  ');
  const locals = names.size === 0 ? '' : `  let ${[...names.values()].map((n) => `${n} = U`).join(', ')};\n`;
  const sharedSource = shared.sources.length === 0 ? '' : `const S = [${shared.sources.join(', ')}];\n`;
  // One unit of the budget per member, charged for the chunk at once.
  const charge = `  if ((M.remaining -= ${members.length}) < 0) throw H.BUDGET_EXCEEDED;\n`;
  const source = `"use strict";\n${sharedSource}const U = {};\nreturn function predicateGroup(p0, out) {\n${locals}${charge}${body.join('\n')}\n};`;
  // eslint-disable-next-line no-new-func -- input is validated trees, never user text (see module comment)
  const factory = new Function('H', 'R', 'M', source) as (h: typeof runtime, r: PredicateState[], m: typeof runtime.meter) => PredicateGroup<T>;
  return { fn: factory(runtime, members.map((m) => m.member.state), runtime.meter), source };
}

/**
 * Statements setting `out` for `members`, whose first `depth` conjuncts held:
 * members whose next conjunct is the same factorable test (factorKey) test it
 * once, in an `if` whose else sets them all to 0, and recurse; each other
 * member tests the rest of its conjuncts as one expression, inside try/catch
 * when it may throw (an error counted in its own state, as its predicate
 * would). A member with no conjunct left holds.
 */
function emitFactored(members: ReadonlyArray<ChunkMember & { j: number }>, depth: number, contexts: readonly EmitContext[], indent: string): string[] {
  const byKey = new Map<string, Array<ChunkMember & { j: number }>>();
  const alone: Array<ChunkMember & { j: number }> = [];
  for (const m of members) {
    const key = depth < m.conjuncts.length ? m.keys[depth] : null;
    if (key === null) { alone.push(m); continue; }
    let same = byKey.get(key);
    if (same === undefined) byKey.set(key, (same = []));
    same.push(m);
  }
  const lines: string[] = [];
  for (const same of byKey.values()) {
    if (same.length < 2) { alone.push(same[0]); continue; }
    const test = emitIn(same[0].conjuncts[depth], contexts[same[0].j]);
    lines.push(`${indent}if (${test}) {`, ...emitFactored(same, depth + 1, contexts, `${indent}  `), `${indent}} else {`);
    lines.push(...same.map((m) => `${indent}  out[${m.slot}] = 0;`), `${indent}}`);
  }
  for (const m of alone) {
    const rest = m.conjuncts.slice(depth);
    if (rest.length === 0) { lines.push(`${indent}out[${m.slot}] = 1;`); continue; }
    const expr = conjunction(rest);
    const test = emitIn(expr, contexts[m.j]);
    lines.push(mayThrow(expr)
      ? `${indent}try { out[${m.slot}] = (${test}) ? 1 : 0; } catch (e) { if (e === H.BUDGET_EXCEEDED) throw e; R[${m.j}].errors++; out[${m.slot}] = 0; }`
      : `${indent}out[${m.slot}] = (${test}) ? 1 : 0;`);
  }
  return lines;
}

/**
 * The identity of a conjunct several members may test once (its canonical
 * text: equal texts are the same test of the span), or null for one each
 * member tests itself: one that may throw (the error is counted per
 * member) or that holds a regex (each member has its own).
 */
function factorKey(e: PExpr): string | null {
  return needsNoState(e) ? shareableText(e) : null;
}

/** Orders members by their conjuncts' keys, so members with a common first conjunct (and then second, ...) are adjacent; a member's own conjunct sorts after any key, by member. */
function compareKeys(a: ReadonlyArray<string | null>, b: ReadonlyArray<string | null>, ja: number, jb: number): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === null || y === null) return x !== null ? -1 : y !== null ? 1 : ja - jb;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length || ja - jb;
}

function isRootedAtSpan(e: PExpr): boolean {
  if (e.t === 'param') return e.slot === 0;
  return e.t === 'member' && typeof e.key === 'string' && isRootedAtSpan(e.object);
}

/** A member's regex by index, as its identity (regexText). */
type MemberRegex = (index: number) => string;

/**
 * The identity of a value a chunk may compute once (module comment), or null
 * for any other node: a read rooted at the span, a shared subexpression, or
 * String(), Number() or a regex test of such a read. Those three may throw:
 * a value is held only once computed, so a member whose computation threw
 * computes it again, throws as its own would, and counts its own error.
 */
function readKey(e: PExpr, memberRegex: MemberRegex): string | null {
  if (isShareable(e)) return `shared ${shareableText(e)}`;
  if (e.t === 'member' && typeof e.key === 'string' && isRootedAtSpan(e.object)) return emit(e);
  if (e.t === 'global' && (e.name === 'String' || e.name === 'Number') && e.args.length === 1) {
    const of = readKey(e.args[0], memberRegex);
    return of === null ? null : `${e.name}(${of})`;
  }
  if (e.t === 'method' && e.name === 'test' && e.target.t === 'regex' && e.args.length === 1) {
    const of = readKey(e.args[0], memberRegex);
    return of === null ? null : `test ${memberRegex(e.target.index)} (${of})`;
  }
  return null;
}

/** Counts the values of `e` outside arrows that readKey names, as emitIn meets them: a shared subexpression is one, not its insides. */
function countReads(e: PExpr, counts: Map<string, number>, memberRegex: MemberRegex): void {
  const key = readKey(e, memberRegex);
  if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  if (isShareable(e)) return;
  // A span attribute is emitted without its map, an arrow's body without common reads (emitIn).
  const read = e.t === 'member' && e.spanAttribute === true && e.object.t === 'member' ? [e.object.object] : e.t === 'iterate' ? [e.target] : childrenOf(e);
  for (const x of read) countReads(x, counts, memberRegex);
}
