/**
 * Code generation for predicates: validated tree (checkPredicate.ts) to a
 * JavaScript function, compiled once with `new Function`.
 *
 * Why generate code: a predicate runs once per span per rule, so it is the
 * innermost loop of FLUO. A generated function is as fast as one written by
 * hand; composing closures costs several times more (see docs/performance.md).
 *
 * Why it is safe: the generator never copies user text. It emits only
 * parameter slots (`p0`, `p1`, ...), fixed helper names from runtime.ts,
 * operators from a closed list, and literals re-serialised with
 * JSON.stringify (strings) or String() (finite numbers). Regexes are
 * pre-compiled RE2 objects passed in by index. The function body is strict
 * mode and sees only its parameters, `H` (helpers), `R` (regexes and an
 * error counter) and `M` (the evaluation budget's meter).
 *
 * Shared subexpressions: a thousand rules are often a few written many times
 * with different constants, e.g. `span.parent.children.filter(sibling => ...)
 * .length > n` for several n. An iteration over the span's links (parent,
 * children) that depends on nothing but the span (no enclosing arrow's
 * parameter, no regex) and gives a boolean, a number or a span (`some`,
 * `every`, `find`, a `filter`'s length) is emitted as a function of its own, with its slots
 * renumbered so that equal subexpressions have equal text, and called
 * through `H.shared(id, p0, fn)`: one id per distinct text, process-wide, so
 * each span computes it once per evaluation pass however many predicates
 * contain it (runtime.ts, `shared`, says how long a value holds). The
 * oracle mode generates every predicate without sharing.
 */
import type { RE2JS } from 're2js';
import { isPrimitiveSpanField, isSpanParam, type PExpr } from './checkPredicate.js';
import { runtime } from './runtime.js';

function literal(value: string | number | boolean | null | undefined): string {
  if (value === undefined) return '(void 0)';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '(-Infinity)';
  return Object.is(value, -0) ? '(-0)' : String(value);
}

/** Where emit puts the subexpressions it shares (see the module comment). */
interface SharedFunctions {
  sources: string[];
  /** source text → index in sources: a text met twice is one function */
  indexes: Map<string, number>;
}

/**
 * How emit writes a tree. `shared`: where shareable subexpressions go (null:
 * share none). `regex`: the reference to regex `index` of the predicate being
 * emitted. `common`: in a predicate group (generatePredicateGroup.ts), how a
 * read of the span met by several members is written once (null: emitted
 * where it is met).
 */
export interface EmitContext {
  shared: SharedFunctions | null;
  regex: (index: number) => string;
  common: ((e: PExpr, emitted: () => string) => string) | null;
}

export function sharedFunctions(): SharedFunctions {
  return { sources: [], indexes: new Map() };
}

/**
 * Ids of shared subexpressions by their canonical text. Ids are never reused
 * (an id names one computation for as long as a predicate holding it lives);
 * the table is emptied when its texts reach SHARED_TEXT_MAX_CHARS, so rules
 * compiled and dropped (validation, rule tests, the editor) cannot grow it
 * without bound; a text compiled again afterwards gets a new id and is
 * shared from then on.
 */
const sharedIds = new Map<string, number>();
let sharedTextChars = 0;
let nextSharedId = 0;
const SHARED_TEXT_MAX_CHARS = 4 * 1024 * 1024;

function sharedIdOf(text: string): number {
  let id = sharedIds.get(text);
  if (id !== undefined) return id;
  if (sharedTextChars + text.length > SHARED_TEXT_MAX_CHARS) {
    sharedIds.clear();
    sharedTextChars = 0;
  }
  id = nextSharedId++;
  sharedIds.set(text, id);
  sharedTextChars += text.length;
  return id;
}

const PLAIN: EmitContext = { shared: null, regex: (index) => `R.re[${index}]`, common: null };

/** Emits source for a validated expression. */
export function emit(e: PExpr, shared: SharedFunctions | null = null): string {
  return emitIn(e, shared === null ? PLAIN : { ...PLAIN, shared });
}

/** The canonical text of a shareable subexpression (the identity H.shared caches it by). */
export function shareableText(e: PExpr): string {
  return emit(canonicalSlots(e));
}

export function emitIn(e: PExpr, ctx: EmitContext): string {
  if (ctx.common !== null) {
    const common = ctx.common;
    return common(e, () => emitNode(e, ctx));
  }
  return emitNode(e, ctx);
}

function emitNode(e: PExpr, ctx: EmitContext): string {
  const shared = ctx.shared;
  if (shared !== null && isShareable(e)) {
    const text = shareableText(e);
    const source = `(p0) => ${text}`;
    let index = shared.indexes.get(source);
    if (index === undefined) {
      index = shared.sources.push(source) - 1;
      shared.indexes.set(source, index);
    }
    return `H.shared(${sharedIdOf(text)}, p0, S[${index}])`;
  }
  const emit1 = (x: PExpr): string => emitIn(x, ctx);
  switch (e.t) {
    case 'literal': return literal(e.value);
    case 'regex': return ctx.regex(e.index);
    case 'param': return `p${e.slot}`;
    case 'member': {
      if (e.spanAttribute === true && e.object.t === 'member') return `H.attribute(${emit1(e.object.object)}, ${JSON.stringify(e.key)})`;
      const object = emit1(e.object);
      if (typeof e.key === 'string') {
        if (e.direct) return `${object}[${JSON.stringify(e.key)}]`;
        return e.nullSafe ? `H.field(${object}, ${JSON.stringify(e.key)})` : `H.get(${object}, ${JSON.stringify(e.key)})`;
      }
      return `H.get(${object}, ${emit1(e.key)})`;
    }
    case 'unary': return e.op === 'typeof' ? `(typeof ${emit1(e.arg)})` : `(${e.op}${emit1(e.arg)})`;
    case 'binary':
      if (e.op === 'in') return `H.has(${emit1(e.left)}, ${emit1(e.right)})`;
      return `(${emit1(e.left)} ${e.op} ${emit1(e.right)})`;
    case 'logical': return `(${emit1(e.left)} ${e.op} ${emit1(e.right)})`;
    case 'conditional': return `(${emit1(e.test)} ? ${emit1(e.consequent)} : ${emit1(e.alternate)})`;
    case 'array': return `[${e.elements.map(emit1).join(', ')}]`;
    case 'template': {
      const parts: string[] = [JSON.stringify(e.quasis[0])];
      e.expressions.forEach((x, i) => {
        parts.push(`String(${emit1(x)})`, JSON.stringify(e.quasis[i + 1]));
      });
      return `(${parts.join(' + ')})`;
    }
    case 'method':
      if (e.name === 'test') return `H.test(${emit1(e.target)}, ${emit1(e.args[0])})`;
      return `H.${e.name}(${[emit1(e.target), ...e.args.map(emit1)].join(', ')})`;
    // An arrow's body reads nothing in common: a local it closed over would cost a context per call.
    case 'iterate': return `H.${e.name}(${emit1(e.target)}, (p${e.slot}) => ${emitIn(e.body, { ...ctx, common: null })})`;
    case 'global':
      switch (e.name) {
        case 'Array.isArray': return `H.isArray(${emit1(e.args[0])})`;
        case 'Number': return `H.Number(${emit1(e.args[0])})`;
        case 'String': return `H.String(${emit1(e.args[0])})`;
        default: return `${e.name}(${e.args.map(emit1).join(', ')})`;
      }
    case 'constant': return e.name;
  }
}

/** The subexpressions of `e`, in source order. */
export function childrenOf(e: PExpr): readonly PExpr[] {
  switch (e.t) {
    case 'member': return typeof e.key === 'string' ? [e.object] : [e.object, e.key];
    case 'unary': return [e.arg];
    case 'binary': case 'logical': return [e.left, e.right];
    case 'conditional': return [e.test, e.consequent, e.alternate];
    case 'array': return e.elements;
    case 'template': return e.expressions;
    case 'method': return [e.target, ...e.args];
    case 'iterate': return [e.target, e.body];
    case 'global': return e.args;
    default: return [];
  }
}

/** Whether any node of `e` satisfies `test`. */
export function someNode(e: PExpr, test: (x: PExpr) => boolean): boolean {
  return test(e) || childrenOf(e).some((x) => someNode(x, test));
}

/** The conjuncts of `e`, left to right: `a && b && c` is [a, b, c] (as a test, `e` holds when each holds, tested in this order). */
export function conjunctsOf(e: PExpr): PExpr[] {
  return e.t === 'logical' && e.op === '&&' ? [...conjunctsOf(e.left), ...conjunctsOf(e.right)] : [e];
}

/** The conjunction of `conjuncts` (at least one), as conjunctsOf would split it again. */
export function conjunction(conjuncts: readonly PExpr[]): PExpr {
  return conjuncts.reduce((left, right): PExpr => ({ t: 'logical', op: '&&', left, right }));
}

/** Whether `e` reads no parameter but the span (slot 0) and those of its own arrows (slots are unique per predicate). */
function readsOnlyTheSpan(e: PExpr): boolean {
  const read = new Set<number>();
  const bound = new Set<number>();
  someNode(e, (x) => {
    if (x.t === 'param') read.add(x.slot);
    else if (x.t === 'iterate') bound.add(x.slot);
    return false;
  });
  return [...read].every((slot) => slot === 0 || bound.has(slot));
}

/**
 * A subexpression worth sharing (module comment): an iteration over links, of
 * the span alone, without regexes, whose value is a boolean, a number or a
 * span: `some`, `every`, `find`, or the length of a `filter` (the array itself
 * is not shared: two filters give two arrays, which a rule could compare).
 */
export function isShareable(e: PExpr): boolean {
  const iteration = e.t === 'iterate' ? (e.name === 'filter' ? null : e)
    : e.t === 'member' && e.key === 'length' && e.object.t === 'iterate' && e.object.name === 'filter' ? e.object : null;
  if (iteration === null) return false;
  return readsOnlyTheSpan(iteration)
    && !someNode(iteration, (x) => x.t === 'regex')
    && someNode(iteration, (x) => x.t === 'member' && (x.key === 'parent' || x.key === 'children'));
}

/** `e` with slot 0 kept and the slots it binds renumbered 1, 2, ... in order of appearance. */
function canonicalSlots(e: PExpr): PExpr {
  const renumbered = new Map<number, number>([[0, 0]]);
  const slot = (n: number): number => {
    let to = renumbered.get(n);
    if (to === undefined) renumbered.set(n, (to = renumbered.size));
    return to;
  };
  const walk = (x: PExpr): PExpr => {
    switch (x.t) {
      case 'param': return { ...x, slot: slot(x.slot) };
      case 'literal': case 'regex': case 'constant': return x;
      case 'member': return { ...x, object: walk(x.object), key: typeof x.key === 'string' ? x.key : walk(x.key) };
      case 'unary': return { ...x, arg: walk(x.arg) };
      case 'binary': return { ...x, left: walk(x.left), right: walk(x.right) };
      case 'logical': return { ...x, left: walk(x.left), right: walk(x.right) };
      case 'conditional': return { ...x, test: walk(x.test), consequent: walk(x.consequent), alternate: walk(x.alternate) };
      case 'array': return { ...x, elements: x.elements.map(walk) };
      case 'template': return { ...x, expressions: x.expressions.map(walk) };
      case 'method': return { ...x, target: walk(x.target), args: x.args.map(walk) };
      case 'iterate': {
        const target = walk(x.target);
        const bound = slot(x.slot);
        return { ...x, target, slot: bound, body: walk(x.body) };
      }
      case 'global': return { ...x, args: x.args.map(walk) };
    }
  };
  return walk(e);
}

/** Whether the value of `e` is always a primitive (string, number, boolean, null, undefined). */
function isPrimitive(e: PExpr): boolean {
  switch (e.t) {
    case 'literal': case 'constant': return true;
    case 'member': return e.direct && typeof e.key === 'string' && isSpanParam(e.object) && isPrimitiveSpanField(e.key);
    case 'unary': return true; // !, -, +, typeof all give primitives (whether they throw is mayThrow's business)
    case 'binary': return true; // every operator gives a primitive
    default: return false;
  }
}

/**
 * Whether evaluating `e` may throw (other than the evaluation budget, which
 * the generated function lets through anyway). Member reads never throw
 * (direct reads are of the span model's known fields, other reads go through
 * null-safe helpers), nor do the helpers, ===, !==, in, the logical
 * operators and the conditional (regex methods are counted as may-throw).
 * What may: converting an object to a
 * primitive (relational and arithmetic operators, unary -/+, String(),
 * Number(), Math.*, template literals) unless the operands are known
 * primitives. A predicate that cannot throw is generated without try/catch
 * (measured faster, docs/performance.md); its results are the same.
 */
export function mayThrow(e: PExpr): boolean {
  switch (e.t) {
    case 'literal': case 'regex': case 'param': case 'constant': return false;
    case 'member': return mayThrow(e.object) || (typeof e.key !== 'string' && mayThrow(e.key));
    case 'unary':
      if (e.op === '!' || e.op === 'typeof') return mayThrow(e.arg);
      return !isPrimitive(e.arg) || mayThrow(e.arg);
    case 'binary':
      if (e.op === '===' || e.op === '!==' || e.op === 'in') return mayThrow(e.left) || mayThrow(e.right);
      return !isPrimitive(e.left) || !isPrimitive(e.right) || mayThrow(e.left) || mayThrow(e.right);
    case 'logical': return mayThrow(e.left) || mayThrow(e.right);
    case 'conditional': return mayThrow(e.test) || mayThrow(e.consequent) || mayThrow(e.alternate);
    case 'array': return e.elements.some(mayThrow);
    case 'template': return e.expressions.some((x) => !isPrimitive(x) || mayThrow(x));
    // Regexes run in a library (RE2JS): left inside try/catch, as anything it might throw must count as no match.
    case 'method': return e.name === 'test' || e.name === 'match' || mayThrow(e.target) || e.args.some(mayThrow);
    case 'iterate': return mayThrow(e.target) || mayThrow(e.body);
    case 'global':
      if (e.name === 'Array.isArray') return e.args.some(mayThrow);
      return e.args.some((x) => !isPrimitive(x) || mayThrow(x));
  }
}

export interface PredicateState {
  re: RE2JS[];
  /** predicate evaluations that threw and were counted as false */
  errors: number;
}

export type SpanPredicate<T = unknown> = (span: T) => boolean;

/** What each generated predicate was generated from: see generatedFrom. */
const sources = new WeakMap<SpanPredicate<never>, { body: PExpr; state: PredicateState }>();

/**
 * The validated tree and state a function was generated from by
 * generatePredicate, or undefined for any other function (a predicate
 * written by hand, or a compiled predicate object whose fn was replaced):
 * what a predicate group is generated from (generatePredicateGroup.ts), so
 * that a group never stands in for a function it was not made from.
 */
export function generatedFrom(fn: SpanPredicate<never>): { body: PExpr; state: PredicateState } | undefined {
  return sources.get(fn);
}

/** A compiled regex's identity: its flags and pattern (equal regexes of two predicates are two objects). */
export function regexText(re: RE2JS): string {
  return `${re.flags()}/${re.pattern()}`;
}

/**
 * Whether `e` can be tested on behalf of predicates other than its own (a
 * predicate group's shared conjunct, a structural predicate's local prefix):
 * it cannot throw (an error counts in its own predicate's state) and holds no
 * regex (regexes are each predicate's own).
 */
export function needsNoState(e: PExpr): boolean {
  return !mayThrow(e) && !someNode(e, (x) => x.t === 'regex');
}

/**
 * The identity of generated code: its source and its regexes (compiled to
 * objects held by index, so the source alone does not tell them apart).
 * Equal keys mean the same function: predicates and correlation keys are
 * shared by it.
 */
export function generatedKey(source: string, regexes: readonly RE2JS[]): string {
  return `${source}\u0000${regexes.map(regexText).join('\u0000')}`;
}

/**
 * Compiles a validated predicate. The result returns a boolean for every
 * input: a value that throws inside (e.g. comparing objects whose conversion
 * to a primitive fails) counts as "does not match" and increments
 * `state.errors`. The one exception is the evaluation budget (runtime.ts):
 * each call charges one unit, and BUDGET_EXCEEDED propagates to the
 * evaluator, which stops evaluating the rule on that trace.
 */
export function generatePredicate<T>(
  body: PExpr,
  regexes: RE2JS[],
  /** 'oracle': wrap in try/catch even where mayThrow says it cannot throw, and share no subexpression (the test oracle). */
  mode: 'auto' | 'oracle' = 'auto',
): { fn: SpanPredicate<T>; source: string; state: PredicateState } {
  const shared: SharedFunctions | null = mode === 'oracle' ? null : sharedFunctions();
  const source = emit(body, shared);
  const state: PredicateState = { re: regexes, errors: 0 };
  const evaluate = mode === 'oracle' || mayThrow(body)
    ? `try { return !!(${source}); } catch (e) { if (e === H.BUDGET_EXCEEDED) throw e; R.errors++; return false; }`
    : `return !!(${source});`;
  // eslint-disable-next-line no-new-func -- input is the validated tree, never user text (see module comment)
  // The meter is passed as its own parameter: one load fewer per call than H.meter (measured, docs/performance.md).
  const sharedSource = shared === null || shared.sources.length === 0 ? '' : `const S = [${shared.sources.join(', ')}];\n`;
  const factory = new Function('H', 'R', 'M', `"use strict";\n${sharedSource}return function predicate(p0) {\n  if (--M.remaining < 0) throw H.BUDGET_EXCEEDED;\n  ${evaluate}\n};`) as (
    h: typeof runtime,
    r: PredicateState,
    m: typeof runtime.meter,
  ) => SpanPredicate<T>;
  // The source names the predicate (its key): with the shared functions' text, not only their ids.
  const named = sharedSource === '' ? source : `${source}\n${sharedSource}`;
  const fn = factory(runtime, state, runtime.meter);
  sources.set(fn as SpanPredicate<never>, { body, state });
  return { fn, source: named, state };
}
