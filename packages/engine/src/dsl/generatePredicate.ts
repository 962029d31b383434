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

/** Emits source for a validated expression. */
export function emit(e: PExpr): string {
  switch (e.t) {
    case 'literal': return literal(e.value);
    case 'regex': return `R.re[${e.index}]`;
    case 'param': return `p${e.slot}`;
    case 'member': {
      const object = emit(e.object);
      if (typeof e.key === 'string') {
        if (e.direct) return `${object}[${JSON.stringify(e.key)}]`;
        return e.nullSafe ? `H.field(${object}, ${JSON.stringify(e.key)})` : `H.get(${object}, ${JSON.stringify(e.key)})`;
      }
      return `H.get(${object}, ${emit(e.key)})`;
    }
    case 'unary': return e.op === 'typeof' ? `(typeof ${emit(e.arg)})` : `(${e.op}${emit(e.arg)})`;
    case 'binary':
      if (e.op === 'in') return `H.has(${emit(e.left)}, ${emit(e.right)})`;
      return `(${emit(e.left)} ${e.op} ${emit(e.right)})`;
    case 'logical': return `(${emit(e.left)} ${e.op} ${emit(e.right)})`;
    case 'conditional': return `(${emit(e.test)} ? ${emit(e.consequent)} : ${emit(e.alternate)})`;
    case 'array': return `[${e.elements.map(emit).join(', ')}]`;
    case 'template': {
      const parts: string[] = [JSON.stringify(e.quasis[0])];
      e.expressions.forEach((x, i) => {
        parts.push(`String(${emit(x)})`, JSON.stringify(e.quasis[i + 1]));
      });
      return `(${parts.join(' + ')})`;
    }
    case 'method':
      if (e.name === 'test') return `H.test(${emit(e.target)}, ${emit(e.args[0])})`;
      return `H.${e.name}(${[emit(e.target), ...e.args.map(emit)].join(', ')})`;
    case 'iterate': return `H.${e.name}(${emit(e.target)}, (p${e.slot}) => ${emit(e.body)})`;
    case 'global':
      switch (e.name) {
        case 'Array.isArray': return `H.isArray(${emit(e.args[0])})`;
        case 'Number': return `H.Number(${emit(e.args[0])})`;
        case 'String': return `H.String(${emit(e.args[0])})`;
        default: return `${e.name}(${e.args.map(emit).join(', ')})`;
      }
    case 'constant': return e.name;
  }
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

/**
 * The identity of generated code: its source and its regexes (compiled to
 * objects held by index, so the source alone does not tell them apart).
 * Equal keys mean the same function: predicates and correlation keys are
 * shared by it.
 */
export function generatedKey(source: string, regexes: readonly RE2JS[]): string {
  return `${source}\u0000${regexes.map((r) => `${r.flags()}/${r.pattern()}`).join('\u0000')}`;
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
  /** 'always': wrap in try/catch even where mayThrow says it cannot throw (the test oracle). */
  catchErrors: 'auto' | 'always' = 'auto',
): { fn: SpanPredicate<T>; source: string; state: PredicateState } {
  const source = emit(body);
  const state: PredicateState = { re: regexes, errors: 0 };
  const evaluate = catchErrors === 'always' || mayThrow(body)
    ? `try { return !!(${source}); } catch (e) { if (e === H.BUDGET_EXCEEDED) throw e; R.errors++; return false; }`
    : `return !!(${source});`;
  // eslint-disable-next-line no-new-func -- input is the validated tree, never user text (see module comment)
  // The meter is passed as its own parameter: one load fewer per call than H.meter (measured, docs/performance.md).
  const factory = new Function('H', 'R', 'M', `"use strict";\nreturn function predicate(p0) {\n  if (--M.remaining < 0) throw H.BUDGET_EXCEEDED;\n  ${evaluate}\n};`) as (
    h: typeof runtime,
    r: PredicateState,
    m: typeof runtime.meter,
  ) => SpanPredicate<T>;
  return { fn: factory(runtime, state, runtime.meter), source, state };
}
