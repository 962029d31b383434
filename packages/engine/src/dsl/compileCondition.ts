/**
 * Compiling a rule: text → ESTree (parseRule) → condition tree with checked,
 * generated predicates. Compile once, evaluate many: the result holds plain
 * functions and a small tree that engine/evaluateCondition.ts walks per trace.
 *
 * The rule grammar (trace level):
 *   cond  := scope.has(pred) | scope.missing(pred) | count CMP number | number CMP count
 *          | trace.not(cond) | cond.and(cond, ...) | cond.or(cond, ...)
 *          | cond.within(duration) | cond.followedBy(cond)
 *          | cond && cond | cond || cond | !cond | (cond)
 *   count := scope.count(pred)
 *   scope := trace | scope.where(pred)
 * Correlated rules (across traces, see engine/correlator.ts) use the same
 * grammar with `traces` for `trace`; exactly one scope starts with
 * `traces.by(keyFn)` and the whole rule ends with `.within(duration)`:
 *   rule  := cond(traces).within(duration)    where some scope is traces.by(key)
 * `trace.count(p) >= 5 .within('1m')` is read as `(trace.count(p) >= 5).within('1m')`,
 * which is what people mean when they write it (JavaScript would bind
 * `.within` to the number).
 */
import { parseRule, positionOf, type EsNode } from './parseRule.js';
import { RuleError } from './ruleError.js';
import { checkPredicate, suggest } from './checkPredicate.js';
import { generatePredicate, generatedKey, type PredicateState } from './generatePredicate.js';
import { predicateGuard, type PredicateGuard } from './predicateGuard.js';
import { parseDuration, DURATION_HELP } from './duration.js';
import type { Span } from '../trace/span.js';
import { compileCorrelation, type CorrelationSpec } from './compileCorrelation.js';

export type CountOp = '>' | '>=' | '<' | '<=' | '===' | '!==';

/** A view of the trace: the whole trace (null) or the spans under `where` anchors. */
export interface Scope {
  /** index into CompiledCondition.predicates */
  where: number;
  parent: Scope | null;
}

export type Condition =
  | { k: 'has'; scope: Scope | null; pred: number }
  | { k: 'missing'; scope: Scope | null; pred: number }
  | { k: 'count'; scope: Scope | null; pred: number; op: CountOp; n: number }
  | { k: 'and'; items: Condition[] }
  | { k: 'or'; items: Condition[] }
  | { k: 'not'; item: Condition }
  | { k: 'within'; item: Condition; ms: number }
  | { k: 'followedBy'; first: Condition; then: Condition };

export interface CompiledPredicate {
  /** Canonical generated source: equal keys mean equal predicates, across rules. */
  key: string;
  fn: (span: Span) => boolean;
  /** Reads parent/children, so its answer for a span can change as the trace grows. */
  structural: boolean;
  /** The predicate as the user wrote it (for messages and the UI). */
  text: string;
  /** An equality the predicate cannot hold without, tested before calling it (predicateGuard.ts); null or absent when none. */
  guard?: PredicateGuard | null;
  state: PredicateState;
}

export interface CompiledCondition {
  root: Condition;
  predicates: CompiledPredicate[];
  /**
   * True when the condition can only go from false to true as spans arrive
   * (built from has, count >/>=, and, or, within, followedBy over
   * non-structural predicates): it may fire before the trace is complete.
   */
  monotone: boolean;
  text: string;
  /** Set for rules starting from traces.by(...): evaluated by the Correlator across traces, never per trace. */
  correlation?: CorrelationSpec;
}

const SCOPE_METHODS = ['has', 'missing', 'count', 'where'];
const CONDITION_METHODS = ['and', 'or', 'within', 'followedBy'];
const COMPARISONS: Record<string, CountOp> = { '>': '>', '>=': '>=', '<': '<', '<=': '<=', '===': '===', '!==': '!==', '==': '===', '!=': '!==' };
const FLIPPED: Record<CountOp, CountOp> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=', '===': '===', '!==': '!==' };

function fail(code: ConstructorParameters<typeof RuleError>[0], message: string, node: EsNode): never {
  const pos = positionOf(node);
  throw new RuleError(code, message, pos.line, pos.column);
}

function methodName(node: EsNode): string | null {
  if (node.type !== 'CallExpression') return null;
  const callee = node.callee as EsNode;
  if (callee.type !== 'MemberExpression' || callee.computed) return null;
  return callee.property.type === 'Identifier' ? (callee.property.name as string) : null;
}

/** Where to point at for a problem with a method call: its name. */
function methodNode(call: EsNode): EsNode {
  return call.type === 'CallExpression' && call.callee.type === 'MemberExpression' ? (call.callee.property as EsNode) : call;
}

class ConditionCompiler {
  readonly predicates: CompiledPredicate[] = [];
  private byKey = new Map<string, number>();

  /** Where `trace`, `traces` and `traces.by(...)` were used: a rule is either per trace or correlated. */
  readonly roots: { trace: EsNode | null; traces: EsNode | null; by: EsNode | null; keyArg: EsNode | null } = { trace: null, traces: null, by: null, keyArg: null };

  constructor(private readonly text: string) {}

  private predicate(node: EsNode | undefined, call: EsNode, role: string): number {
    if (node === undefined) fail('BAD_ARGUMENT', `${role} needs a predicate, e.g. span => span.status === 'ERROR'`, methodNode(call));
    const checked = checkPredicate(node, `the predicate of ${role}`);
    const generated = generatePredicate<Span>(checked.body, checked.regexes);
    const key = generatedKey(generated.source, checked.regexes);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const index = this.predicates.length;
    this.predicates.push({
      key,
      fn: generated.fn,
      structural: checked.structural,
      text: this.text.slice(node.start, node.end),
      guard: predicateGuard(checked.body),
      state: generated.state,
    });
    this.byKey.set(key, index);
    return index;
  }

  private args(node: EsNode, method: string, count: number, usage: string): EsNode[] {
    const args = node.arguments as EsNode[];
    for (const a of args) if (a.type === 'SpreadElement') fail('NOT_ALLOWED', 'Spread (...) is not allowed in rules', a);
    if (args.length !== count) {
      fail('BAD_ARGUMENT', `.${method}() takes ${count === 1 ? 'one argument' : `${count} arguments`}, got ${args.length}: ${usage}`, methodNode(node));
    }
    return args;
  }

  /** Resolves `trace` or `trace.where(...)...` to a scope; fails for anything else. */
  scope(node: EsNode, usedAs: string): Scope | null {
    if (node.type === 'Identifier') {
      if (node.name === 'trace') { this.roots.trace ??= node; return null; }
      if (node.name === 'traces') { this.roots.traces ??= node; return null; }
      fail('UNKNOWN_IDENTIFIER', `'${node.name}' is not defined in rules${suggest(node.name, ['trace'])}: a rule starts with trace, e.g. trace.${usedAs}(span => ...)`, node);
    }
    if (methodName(node) === 'by' && node.callee.object.type === 'Identifier' && node.callee.object.name === 'traces') {
      if (this.roots.by !== null) fail('BAD_RULE_SHAPE', 'A correlated rule has one key: write traces.by(...) once and traces.has(...) for the other clauses', methodNode(node));
      const [arg] = this.args(node, 'by', 1, "traces.by(span => span.attributes['enduser.id'])");
      if (arg.type !== 'ArrowFunctionExpression') fail('BAD_ARGUMENT', "traces.by() takes a key function, e.g. traces.by(span => span.attributes['enduser.id'])", arg);
      this.roots.by = node;
      this.roots.keyArg = arg;
      this.roots.traces ??= node.callee.object;
      return null;
    }
    if (methodName(node) === 'by') {
      fail('BAD_RULE_SHAPE', 'A correlated rule has one key: traces.by(span => ...) is written once, at the start of the rule', methodNode(node));
    }
    if (methodName(node) === 'where') {
      const parent = this.scope(node.callee.object, 'where');
      const [arg] = this.args(node, 'where', 1, "trace.where(span => span.service === 'payment')");
      return { where: this.predicate(arg, node, 'trace.where()'), parent };
    }
    fail('BAD_RULE_SHAPE', `.${usedAs}() is called on trace or on trace.where(...), e.g. trace.${usedAs}(span => ...)`, node);
  }

  private isCount(node: EsNode): boolean {
    return methodName(node) === 'count';
  }

  private count(node: EsNode): { scope: Scope | null; pred: number } {
    const scope = this.scope(node.callee.object, 'count');
    const [arg] = this.args(node, 'count', 1, "trace.count(span => span.name === 'http.retry') > 3");
    return { scope, pred: this.predicate(arg, node, 'count()') };
  }

  private countLimit(node: EsNode): number {
    if (node.type === 'Literal' && typeof node.value === 'number' && node.value >= 0) return node.value;
    fail('BAD_ARGUMENT', 'count(...) is compared with a non-negative number literal, e.g. trace.count(span => ...) > 3', node);
  }

  private duration(node: EsNode | undefined, call: EsNode): number {
    if (node === undefined) fail('BAD_DURATION', `.within() needs ${DURATION_HELP}`, methodNode(call));
    let value: unknown;
    if (node.type === 'Literal' && (typeof node.value === 'string' || typeof node.value === 'number')) value = node.value;
    else if (node.type === 'TemplateLiteral' && node.expressions.length === 0) value = node.quasis[0].value.cooked;
    else fail('BAD_DURATION', `.within() takes a literal: ${DURATION_HELP}`, node);
    const ms = parseDuration(value);
    if (ms === null) fail('BAD_DURATION', `${JSON.stringify(value)} is not a duration: use ${DURATION_HELP}`, node);
    return ms;
  }

  private depth = 0;

  condition(node: EsNode): Condition {
    // Method chains recurse once per link: bound them so compiling is never a stack overflow.
    if (++this.depth > MAX_CHAIN_LENGTH) {
      fail('TOO_LARGE', `The rule chains more than ${MAX_CHAIN_LENGTH} conditions: split it into several rules`, node);
    }
    try {
      return this.conditionNode(node);
    } finally {
      this.depth--;
    }
  }

  private conditionNode(node: EsNode): Condition {
    switch (node.type) {
      case 'CallExpression': return this.call(node);
      case 'BinaryExpression': return this.comparison(node);
      case 'LogicalExpression': {
        if (node.operator === '??') fail('NOT_ALLOWED', "'??' does not combine conditions: use .and(...) / && or .or(...) / ||", node);
        // a || b || c parses as ((a || b) || c): walk the left spine in a loop, not by recursion.
        const operands: EsNode[] = [];
        let spine: EsNode = node;
        while (spine.type === 'LogicalExpression' && spine.operator === node.operator) {
          operands.push(spine.right);
          spine = spine.left;
        }
        operands.push(spine);
        operands.reverse();
        return combine(node.operator === '&&' ? 'and' : 'or', operands.map((o) => this.condition(o)));
      }
      case 'UnaryExpression':
        if (node.operator === '!') return { k: 'not', item: this.condition(node.argument) };
        break;
      case 'ChainExpression':
        return this.condition(node.expression);
      case 'Identifier':
        if (node.name === 'traces') fail('BAD_RULE_SHAPE', "traces alone is not a condition: write traces.by(span => ...).has(span => ...) ... .within('5 seconds')", node);
        if (node.name === 'trace') fail('BAD_RULE_SHAPE', "trace alone is not a condition: write trace.has(span => ...), trace.missing(...) or trace.count(...) > n", node);
        return this.scope(node, 'has') as never;
      case 'ArrowFunctionExpression':
        fail('BAD_RULE_SHAPE', 'A rule is a condition on the trace, not a bare predicate: wrap it, e.g. trace.has(span => ...)', node);
      default:
        break;
    }
    if (node.type === 'AssignmentExpression') fail('NOT_ALLOWED', 'Assignment is not allowed in rules', node);
    if (node.type === 'NewExpression') fail('NOT_ALLOWED', "'new' is not allowed in rules", node);
    if (node.type === 'ThisExpression') fail('NOT_ALLOWED', "'this' is not available in rules", node);
    if (node.type === 'SequenceExpression') fail('NOT_ALLOWED', 'The comma operator is not allowed in rules: combine conditions with .and(...)', node);
    if (node.type === 'ImportExpression') fail('NOT_ALLOWED', 'import() is not allowed in rules: rules cannot load code', node);
    if (node.type === 'TaggedTemplateExpression') fail('NOT_ALLOWED', 'Tagged templates are not allowed in rules', node);
    fail('BAD_RULE_SHAPE', 'A rule must be a condition built from trace: trace.has(...), trace.missing(...), trace.count(...) > n, combined with .and/.or/.within/.followedBy', node);
  }

  private comparison(node: EsNode): Condition {
    const op = COMPARISONS[node.operator as string];
    if (op === undefined) {
      fail('BAD_RULE_SHAPE', `'${node.operator}' does not combine conditions: use .and(...) or .or(...), or compare trace.count(...) with a number`, node);
    }
    const left = node.left as EsNode;
    let right = node.right as EsNode;
    // `count(...) >= 5 .within('1m')`: JavaScript binds .within to 5.
    let withinMs: number | null = null;
    if (methodName(right) === 'within' && ((right.callee.object.type === 'Literal' && this.isCount(left)) || this.isCount(right.callee.object))) {
      // `count >= 5 .within(d)` or `5 <= count .within(d)`
      const [d] = this.args(right, 'within', 1, ".within('5 seconds')");
      withinMs = this.duration(d, right);
      right = right.callee.object;
    }
    let cond: Condition;
    if (this.isCount(left)) {
      const { scope, pred } = this.count(left);
      cond = { k: 'count', scope, pred, op, n: this.countLimit(right) };
    } else if (this.isCount(right)) {
      const { scope, pred } = this.count(right);
      cond = { k: 'count', scope, pred, op: FLIPPED[op], n: this.countLimit(left) };
    } else {
      fail('BAD_RULE_SHAPE', 'Only trace.count(...) can be compared with a number at the top of a rule, e.g. trace.count(span => ...) > 3', node);
    }
    return withinMs === null ? cond : { k: 'within', item: cond, ms: withinMs };
  }

  private call(node: EsNode): Condition {
    const callee = node.callee as EsNode;
    if (callee.type !== 'MemberExpression') {
      if (callee.type === 'Identifier') {
        fail('UNKNOWN_IDENTIFIER', `'${callee.name}' is not available in rules: a rule starts with trace, e.g. trace.has(span => ...)`, callee);
      }
      fail('BAD_RULE_SHAPE', 'A rule must be built from trace: trace.has(...), trace.missing(...), ...', node);
    }
    const method = methodName(node);
    if (method === null) fail('NOT_ALLOWED', 'Computed method calls are not allowed in rules: call .has, .missing, .count, .where, .and, .or, .within or .followedBy by name', callee);
    const object = callee.object as EsNode;
    if (method === 'has' || method === 'missing') {
      const scope = this.scope(object, method);
      const [arg] = this.args(node, method, 1, `trace.${method}(span => span.name === 'audit.log')`);
      return { k: method, scope, pred: this.predicate(arg, node, `${method}()`) };
    }
    if (method === 'count') {
      fail('BAD_RULE_SHAPE', 'count(...) is a number: compare it to make a condition, e.g. trace.count(span => ...) > 3', methodNode(node));
    }
    if (method === 'by') {
      fail('BAD_RULE_SHAPE', "traces.by(...) chooses the key but is not a condition: follow it with .has(...), .missing(...) or .count(...), e.g. traces.by(span => span.attributes['enduser.id']).has(span => ...)", methodNode(node));
    }
    if (method === 'where') {
      fail('BAD_RULE_SHAPE', 'where(...) selects spans but is not a condition: follow it with .has(...), .missing(...) or .count(...)', methodNode(node));
    }
    if (method === 'not') {
      if (object.type !== 'Identifier' || (object.name !== 'trace' && object.name !== 'traces')) {
        fail('BAD_RULE_SHAPE', 'not is written trace.not(condition)', methodNode(node));
      }
      if (object.name === 'trace') this.roots.trace ??= object;
      else this.roots.traces ??= object;
      const [arg] = this.args(node, 'not', 1, 'trace.not(trace.has(span => ...))');
      return { k: 'not', item: this.condition(arg) };
    }
    if (method === 'and' || method === 'or') {
      const first = this.condition(object);
      const args = node.arguments as EsNode[];
      if (args.length === 0) fail('BAD_ARGUMENT', `.${method}() needs a condition, e.g. .${method}(trace.has(span => ...))`, methodNode(node));
      const items = [first, ...args.map((a) => {
        if (a.type === 'SpreadElement') fail('NOT_ALLOWED', 'Spread (...) is not allowed in rules', a);
        if (a.type === 'ArrowFunctionExpression') fail('BAD_ARGUMENT', `.${method}() takes a condition such as trace.has(span => ...), not a bare predicate`, a);
        return this.condition(a);
      })];
      return combine(method, items);
    }
    if (method === 'within') {
      const item = this.condition(object);
      const args = node.arguments as EsNode[];
      if (args.length > 1) fail('BAD_ARGUMENT', `.within() takes one duration, got ${args.length}`, methodNode(node));
      return { k: 'within', item, ms: this.duration(args[0], node) };
    }
    if (method === 'followedBy') {
      const first = this.condition(object);
      const [arg] = this.args(node, 'followedBy', 1, '.followedBy(trace.has(span => ...))');
      if (arg.type === 'ArrowFunctionExpression') fail('BAD_ARGUMENT', '.followedBy() takes a condition such as trace.has(span => ...), not a bare predicate', arg);
      return { k: 'followedBy', first, then: this.condition(arg) };
    }
    if (object.type === 'Identifier' && object.name === 'traces') {
      fail('UNKNOWN_METHOD', `traces.${method}() does not exist${suggest(method, [...SCOPE_METHODS, 'not', 'by'])}; traces offers by, has, missing, count, where and not`, callee.property);
    }
    if (object.type === 'Identifier' && object.name === 'trace') {
      fail('UNKNOWN_METHOD', `trace.${method}() does not exist${suggest(method, [...SCOPE_METHODS, 'not'])}; trace offers has, missing, count, where and not`, callee.property);
    }
    fail('UNKNOWN_METHOD', `.${method}() does not exist on a condition${suggest(method, CONDITION_METHODS)}; conditions offer and, or, within and followedBy`, callee.property);
  }
}

/** and/or with nested same-kind parts flattened: long chains stay shallow. */
function combine(k: 'and' | 'or', parts: Condition[]): Condition {
  const items: Condition[] = [];
  for (const p of parts) {
    if (p.k === k) items.push(...p.items);
    else items.push(p);
  }
  return { k, items };
}

/** Longest chain of conditions (`.and(...).and(...)...`, nested calls) accepted. */
export const MAX_CHAIN_LENGTH = 1000;

/** Deepest nesting of conditions accepted (after flattening and/or chains). */
export const MAX_CONDITION_DEPTH = 64;

function depthOf(c: Condition): number {
  switch (c.k) {
    case 'has': case 'missing': case 'count': return 1;
    case 'and': case 'or': return 1 + Math.max(...c.items.map(depthOf));
    case 'not': case 'within': return 1 + depthOf(c.item);
    case 'followedBy': return 1 + Math.max(depthOf(c.first), depthOf(c.then));
  }
}

function isMonotone(c: Condition): boolean {
  switch (c.k) {
    case 'has': return true;
    case 'count': return c.op === '>' || c.op === '>=';
    case 'missing': case 'not': return false;
    case 'and': case 'or': return c.items.every(isMonotone);
    case 'within': return isMonotone(c.item);
    case 'followedBy': return isMonotone(c.first) && isMonotone(c.then);
  }
}

/** Compiles rule text. Throws RuleError with line and column. */
export function compileCondition(text: string): CompiledCondition {
  const expression = parseRule(text);
  const compiler = new ConditionCompiler(text);
  let root: Condition;
  try {
    root = compiler.condition(expression);
  } catch (err) {
    if (err instanceof RangeError) throw new RuleError('TOO_LARGE', 'The rule is nested too deeply to compile: split it into several rules', 1, 1, { cause: err });
    throw err;
  }
  if (depthOf(root) > MAX_CONDITION_DEPTH) {
    throw new RuleError('TOO_LARGE', `The rule nests conditions more than ${MAX_CONDITION_DEPTH} deep: split it into several rules`, 1, 1);
  }
  const structural = compiler.predicates.some((p) => p.structural);
  const correlation = compileCorrelation(compiler.roots, root, compiler.predicates, text);
  const compiled: CompiledCondition = { root, predicates: compiler.predicates, monotone: !structural && isMonotone(root), text };
  if (correlation !== null) compiled.correlation = correlation;
  return compiled;
}

/** Validation for editors and the API: every problem found (currently the first), never throws. */
export function validateRuleDsl(text: string): { ok: boolean; errors: Array<{ code: string; message: string; line: number; column: number }> } {
  try {
    compileCondition(text);
    return { ok: true, errors: [] };
  } catch (err) {
    if (err instanceof RuleError) return { ok: false, errors: [err.toJSON()] };
    throw err;
  }
}
