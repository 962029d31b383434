/**
 * The allow-list check for predicates.
 *
 * A predicate is an arrow function over a span (`span => ...`) written in a
 * small, side-effect-free subset of JavaScript. This module walks acorn's
 * ESTree for one predicate and either throws a RuleError naming the first
 * construct that is not allowed (with its line and column and what to write
 * instead) or returns a validated tree (`PExpr`) that the code generator
 * turns into a function. The generator only ever sees this validated tree:
 * identifiers are replaced by parameter slots, literals are values to be
 * re-serialised, and every call is one of the allow-listed operations. User
 * text never reaches the generated code.
 *
 * A light static type pass rides along: we know the shape of spans, events,
 * links and scopes, so `span.nmae` or `span.startsWith(...)` are compile errors
 * with a suggestion instead of silently `undefined` at run time. Values whose
 * shape is not known statically (attribute values) are `unknown` and checked
 * at run time by the helpers in runtime.ts.
 *
 * Predicates that read `parent` or `children` are marked `structural`: their
 * answer for a span can change when other spans of the trace arrive, which
 * matters to incremental evaluation (see engine/detector.ts).
 */
import { RE2JS } from 're2js';
import { RuleError } from './ruleError.js';
import { positionOf, type EsNode } from './parseRule.js';

/**
 * Compiled regexes by flags and pattern, shared by every predicate of every
 * rule: a thousand rules that differ only in a literal share one RE2 object,
 * so the runtime's memo of its last result (runtime.ts, `test`) serves them
 * all. RE2JS objects are stateless (no lastIndex), so sharing changes no
 * result. Bounded; the oldest entry is dropped first.
 */
const sharedRegexes = new Map<string, RE2JS>();
const MAX_SHARED_REGEXES = 10_000;

export type PType =
  | 'span' | 'maybeSpan' | 'spanArray'
  | 'event' | 'eventArray' | 'link' | 'linkArray' | 'scope' | 'attributes'
  | 'string' | 'number' | 'boolean' | 'regex' | 'array' | 'unknown';

/** The validated predicate tree. */
export type PExpr =
  | { t: 'literal'; value: string | number | boolean | null | undefined }
  | { t: 'regex'; index: number }
  | { t: 'param'; slot: number }
  /**
   * direct: the object is never null and the key a known field (emitted as a
   * plain read); nullSafe: the object is such a value or null/undefined
   * (emitted as a null-checked plain read); neither: H.get.
   */
  /**
   * spanAttribute: a direct read of a span's attribute by a literal key
   * (`span.attributes['k']`, the span never null): emitted as
   * H.attribute(span, k), which reads one attribute of a span whose details
   * were released without decoding them all (trace/span.ts).
   */
  | { t: 'member'; object: PExpr; key: PExpr | string; direct: boolean; nullSafe?: boolean; spanAttribute?: true }
  | { t: 'unary'; op: '!' | '-' | '+' | 'typeof'; arg: PExpr }
  | { t: 'binary'; op: BinaryOp; left: PExpr; right: PExpr }
  | { t: 'logical'; op: '&&' | '||' | '??'; left: PExpr; right: PExpr }
  | { t: 'conditional'; test: PExpr; consequent: PExpr; alternate: PExpr }
  | { t: 'array'; elements: PExpr[] }
  | { t: 'template'; quasis: string[]; expressions: PExpr[] }
  | { t: 'method'; name: AllowedMethod; target: PExpr; args: PExpr[] }
  | { t: 'iterate'; name: 'some' | 'every' | 'filter' | 'find'; target: PExpr; slot: number; body: PExpr }
  | { t: 'global'; name: AllowedGlobal; args: PExpr[] }
  | { t: 'constant'; name: 'Math.PI' | 'Math.E' | 'Math.LN2' | 'Math.LN10' | 'Math.LOG2E' | 'Math.LOG10E' | 'Math.SQRT2' | 'Math.SQRT1_2' };

export type BinaryOp = '===' | '!==' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%' | 'in';

export const STRING_METHODS = ['startsWith', 'endsWith', 'includes', 'toLowerCase', 'toUpperCase', 'trim', 'match'] as const;
export type AllowedMethod = (typeof STRING_METHODS)[number] | 'test';
const ITERATORS = ['some', 'every', 'filter', 'find'] as const;
const MATH_FUNCTIONS = ['abs', 'min', 'max', 'round', 'floor', 'ceil', 'trunc', 'sign', 'sqrt', 'cbrt', 'pow', 'log', 'log2', 'log10', 'exp', 'hypot'] as const;
const MATH_CONSTANTS = ['PI', 'E', 'LN2', 'LN10', 'LOG2E', 'LOG10E', 'SQRT2', 'SQRT1_2'] as const;
export type AllowedGlobal = 'Array.isArray' | 'Number' | 'String' | `Math.${(typeof MATH_FUNCTIONS)[number]}`;

/** Globals people reach for to escape a sandbox or run code; named in a clearer error. */
const UNAVAILABLE_GLOBALS: ReadonlySet<string> = new Set([
  'globalThis', 'global', 'window', 'self', 'process', 'require', 'module', 'exports', 'eval', 'Function',
  'setTimeout', 'setInterval', 'fetch', 'console', 'Reflect', 'Proxy', 'Object', 'JSON', 'Date', 'Symbol', 'RegExp', 'WebAssembly',
]);

/** Property names that lead to JavaScript internals; never readable from a rule. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  'constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__',
  '__lookupGetter__', '__lookupSetter__', 'caller', 'callee', 'arguments',
  'valueOf', 'toString', 'toLocaleString', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable',
]);

const SPAN_FIELDS: Record<string, PType> = {
  name: 'string', traceId: 'string', spanId: 'string', parentSpanId: 'unknown', traceState: 'string',
  kind: 'string', status: 'string', statusMessage: 'string',
  startTime: 'number', endTime: 'number', duration: 'number',
  startTimeUnixNano: 'string', endTimeUnixNano: 'string',
  attributes: 'attributes', resource: 'attributes', service: 'unknown', scope: 'scope',
  events: 'eventArray', links: 'linkArray', isRoot: 'boolean', parent: 'maybeSpan', children: 'spanArray',
};
/** The span fields rules may read, by name; also what the runtime shows of a span to computed reads and `in`. */
export const SPAN_FIELD_NAMES: ReadonlySet<string> = new Set(Object.keys(SPAN_FIELDS));

/** Whether `e` is the predicate's span parameter (`span` in `span => ...`). */
export function isSpanParam(e: PExpr): boolean {
  return e.t === 'param' && e.slot === 0;
}

/** Whether a span field always holds a string, number or boolean (codegen: operators on it cannot throw). */
export function isPrimitiveSpanField(key: string): boolean {
  const type = Object.hasOwn(SPAN_FIELDS, key) ? SPAN_FIELDS[key] : undefined;
  return type === 'string' || type === 'number' || type === 'boolean';
}

const EVENT_FIELDS: Record<string, PType> = { name: 'string', time: 'number', timeUnixNano: 'string', attributes: 'attributes' };
const LINK_FIELDS: Record<string, PType> = { traceId: 'string', spanId: 'string', traceState: 'string', attributes: 'attributes' };
const SCOPE_FIELDS: Record<string, PType> = { name: 'string', version: 'string' };

function fieldsOf(type: PType): { what: string; fields: Record<string, PType> } | null {
  switch (type) {
    case 'span': case 'maybeSpan': return { what: 'span', fields: SPAN_FIELDS };
    case 'event': return { what: 'an event', fields: EVENT_FIELDS };
    case 'link': return { what: 'a link', fields: LINK_FIELDS };
    case 'scope': return { what: 'span.scope', fields: SCOPE_FIELDS };
    default: return null;
  }
}

function itemType(type: PType): PType {
  switch (type) {
    case 'spanArray': return 'span';
    case 'eventArray': return 'event';
    case 'linkArray': return 'link';
    default: return 'unknown';
  }
}

function isArrayType(type: PType): boolean {
  return type === 'spanArray' || type === 'eventArray' || type === 'linkArray' || type === 'array';
}

function describeType(type: PType): string {
  switch (type) {
    case 'span': case 'maybeSpan': return 'a span';
    case 'spanArray': return 'a list of spans';
    case 'event': return 'an event';
    case 'eventArray': return 'a list of events';
    case 'link': return 'a link';
    case 'linkArray': return 'a list of links';
    case 'scope': return 'an instrumentation scope';
    case 'attributes': return 'an attribute map';
    case 'regex': return 'a regular expression';
    case 'array': return 'a list';
    default: return `a ${type}`;
  }
}

export const ALLOWED_SUMMARY =
  "comparisons (=== !== == != < <= > >=), && || ! ?:, arithmetic (+ - * / %), 'key' in obj, " +
  'field and attribute reads, the string methods startsWith endsWith includes toLowerCase toUpperCase trim match and regex.test, ' +
  '.some/.every/.filter/.find on lists, Array.isArray, Number, String and Math functions';

/** Edit distance counting a swap of neighbours as one edit (typos like 'nmae'). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** " (did you mean 'name'?)" for a near miss among candidates, else "". */
export function suggest(word: string, candidates: readonly string[]): string {
  // Suggestions are for typos in short names; a long word would make the table huge.
  if (word.length > 64) return '';
  let best = '';
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) > 3) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) { bestDistance = d; best = c; }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? ` (did you mean '${best}'?)` : '';
}

function fail(code: ConstructorParameters<typeof RuleError>[0], message: string, node: EsNode): never {
  const pos = positionOf(node);
  throw new RuleError(code, message, pos.line, pos.column);
}

interface Binding { name: string; slot: number; type: PType }

/** Result of checking one predicate. */
export interface CheckedPredicate {
  body: PExpr;
  /** number of parameter slots used (the predicate's own parameter is slot 0) */
  slots: number;
  regexes: RE2JS[];
  /** reads parent/children: the answer may change when other spans arrive */
  structural: boolean;
}

interface Typed { expr: PExpr; type: PType; nonNull: boolean }

/** Deepest expression nesting inside one predicate. */
const MAX_DEPTH = 200;

class PredicateChecker {
  private scopes: Binding[][] = [];
  private slots = 0;
  readonly regexes: RE2JS[] = [];
  private regexIndex = new Map<string, number>();
  structural = false;
  private depth = 0;
  /** `span.attributes` of a span that is never null: reads of them by a literal key are marked spanAttribute. */
  private readonly spanAttributeMaps = new WeakSet<PExpr>();

  checkArrow(node: EsNode, paramType: PType, role: string): { slot: number; body: Typed } {
    if (node.type === 'FunctionExpression') {
      fail('NOT_ALLOWED', `Use an arrow function for ${role}, e.g. span => span.name === 'checkout'`, node);
    }
    if (node.type !== 'ArrowFunctionExpression') {
      fail('BAD_ARGUMENT', `Expected ${role}: an arrow function such as span => span.name === 'checkout'`, node);
    }
    if (node.async) fail('NOT_ALLOWED', 'Predicates cannot be async', node);
    if (node.params.length !== 1) {
      fail('BAD_ARGUMENT', `${capitalize(role)} takes exactly one parameter, e.g. span => ..., not ${node.params.length}`, node);
    }
    const param = node.params[0] as EsNode;
    if (param.type !== 'Identifier') {
      fail('NOT_ALLOWED', 'Destructuring and default values are not allowed in predicate parameters: write span => span.name ...', param);
    }
    if (node.body.type === 'BlockStatement') {
      fail('NOT_ALLOWED', "Predicates are expressions: write span => span.name === 'x' instead of a { ... } block with return", node.body);
    }
    const slot = this.slots++;
    this.scopes.push([{ name: param.name, slot, type: paramType }]);
    const body = this.check(node.body as EsNode);
    this.scopes.pop();
    return { slot, body };
  }

  private lookup(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      for (const b of this.scopes[i]) if (b.name === name) return b;
    }
    return undefined;
  }

  check(node: EsNode): Typed {
    if (++this.depth > MAX_DEPTH) fail('TOO_LARGE', `The predicate nests expressions more than ${MAX_DEPTH} deep`, node);
    try {
      return this.checkNode(node);
    } finally {
      this.depth--;
    }
  }

  private checkNode(node: EsNode): Typed {
    switch (node.type) {
      case 'Literal': return this.literal(node);
      case 'Identifier': return this.identifier(node);
      case 'TemplateLiteral': {
        const expressions = (node.expressions as EsNode[]).map((e) => this.check(e).expr);
        const quasis = (node.quasis as EsNode[]).map((q) => q.value.cooked as string);
        return { expr: { t: 'template', quasis, expressions }, type: 'string', nonNull: true };
      }
      case 'ArrayExpression': {
        const elements = (node.elements as (EsNode | null)[]).map((e) => {
          if (e === null) fail('NOT_ALLOWED', 'Holes in array literals are not allowed', node);
          if (e.type === 'SpreadElement') fail('NOT_ALLOWED', 'Spread (...) is not allowed in rules', e);
          return this.check(e).expr;
        });
        return { expr: { t: 'array', elements }, type: 'array', nonNull: true };
      }
      case 'ChainExpression':
        // Member reads are null-safe already; `?.` changes nothing.
        return this.check(node.expression);
      case 'MemberExpression': return this.member(node);
      case 'UnaryExpression': {
        const op = node.operator as string;
        if (op !== '!' && op !== '-' && op !== '+' && op !== 'typeof') {
          fail('NOT_ALLOWED', `The operator '${op}' is not allowed in rules; allowed: ${ALLOWED_SUMMARY}`, node);
        }
        const arg = this.check(node.argument);
        const type: PType = op === '!' ? 'boolean' : op === 'typeof' ? 'string' : 'number';
        return { expr: { t: 'unary', op, arg: arg.expr }, type, nonNull: true };
      }
      case 'BinaryExpression': {
        const op = node.operator as string;
        const allowed: string[] = ['===', '!==', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', 'in'];
        if (!allowed.includes(op)) {
          fail('NOT_ALLOWED', `The operator '${op}' is not allowed in rules; allowed: ${ALLOWED_SUMMARY}`, node);
        }
        if (node.left.type === 'PrivateIdentifier') fail('NOT_ALLOWED', 'Private names are not allowed in rules', node.left);
        const left = this.check(node.left);
        const right = this.check(node.right);
        let type: PType = 'boolean';
        if (op === '+') type = left.type === 'string' || right.type === 'string' ? 'string' : 'unknown';
        else if (op === '-' || op === '*' || op === '/' || op === '%') type = 'number';
        return { expr: { t: 'binary', op: op as BinaryOp, left: left.expr, right: right.expr }, type, nonNull: true };
      }
      case 'LogicalExpression': {
        const left = this.check(node.left);
        const right = this.check(node.right);
        return { expr: { t: 'logical', op: node.operator, left: left.expr, right: right.expr }, type: 'unknown', nonNull: false };
      }
      case 'ConditionalExpression': {
        const test = this.check(node.test);
        const consequent = this.check(node.consequent);
        const alternate = this.check(node.alternate);
        return {
          expr: { t: 'conditional', test: test.expr, consequent: consequent.expr, alternate: alternate.expr },
          type: consequent.type === alternate.type ? consequent.type : 'unknown',
          nonNull: consequent.nonNull && alternate.nonNull,
        };
      }
      case 'CallExpression': return this.call(node);
      case 'AssignmentExpression':
        fail('NOT_ALLOWED', `Assignment ('${node.operator}') is not allowed in rules: predicates only read spans; to compare use === instead of =`, node);
      case 'UpdateExpression':
        fail('NOT_ALLOWED', `'${node.operator}' changes a value and is not allowed in rules: predicates only read spans`, node);
      case 'NewExpression':
        fail('NOT_ALLOWED', "'new' is not allowed in rules: use literals, e.g. a regex literal /abc/ instead of new RegExp(...)", node);
      case 'ThisExpression':
        fail('NOT_ALLOWED', "'this' is not available in rules: read the span through the predicate's parameter, e.g. span => span.name", node);
      case 'TaggedTemplateExpression':
        fail('NOT_ALLOWED', 'Tagged templates are not allowed in rules: use a plain `template ${literal}` or string concatenation', node);
      case 'ObjectExpression':
        fail('NOT_ALLOWED', 'Object literals are not allowed in rules: compare fields one by one, e.g. span.attributes.k === 1', node);
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        fail('NOT_ALLOWED', 'Functions are only allowed as the argument of trace.has/missing/count/where or of .some/.every/.filter/.find', node);
      case 'ClassExpression':
        fail('NOT_ALLOWED', 'Classes are not allowed in rules', node);
      case 'SequenceExpression':
        fail('NOT_ALLOWED', 'The comma operator is not allowed in rules: combine conditions with && or ||', node);
      case 'ImportExpression':
        fail('NOT_ALLOWED', "import() is not allowed in rules: rules cannot load code", node);
      case 'MetaProperty':
        fail('NOT_ALLOWED', `${node.meta.name}.${node.property.name} is not available in rules`, node);
      case 'AwaitExpression':
      case 'YieldExpression':
        fail('NOT_ALLOWED', `'${node.type === 'AwaitExpression' ? 'await' : 'yield'}' is not allowed in rules: predicates are synchronous expressions`, node);
      case 'SpreadElement':
        fail('NOT_ALLOWED', 'Spread (...) is not allowed in rules', node);
      default:
        fail('NOT_ALLOWED', `${node.type} is not allowed in rules; allowed: ${ALLOWED_SUMMARY}`, node);
    }
  }

  private literal(node: EsNode): Typed {
    if (node.regex) {
      return { expr: { t: 'regex', index: this.regex(node.regex.pattern, node.regex.flags, node) }, type: 'regex', nonNull: true };
    }
    if (node.bigint !== undefined) fail('NOT_ALLOWED', 'BigInt literals are not allowed in rules: write plain numbers', node);
    const value = node.value as string | number | boolean | null;
    const type: PType = value === null ? 'unknown' : (typeof value as PType);
    return { expr: { t: 'literal', value }, type, nonNull: value !== null };
  }

  private regex(pattern: string, flags: string, node: EsNode): number {
    for (const f of flags) {
      if (f !== 'i' && f !== 'm' && f !== 's' && f !== 'u') {
        fail('BAD_REGEX', `The regex flag '${f}' is not allowed: only i, m, s and u (g and y make a regex stateful)`, node);
      }
    }
    const key = `${flags}/${pattern}`;
    const known = this.regexIndex.get(key);
    if (known !== undefined) return known;
    let compiled = sharedRegexes.get(key);
    try {
      if (compiled === undefined) {
        let re2Flags = 0;
        if (flags.includes('i')) re2Flags |= RE2JS.CASE_INSENSITIVE;
        if (flags.includes('m')) re2Flags |= RE2JS.MULTILINE;
        if (flags.includes('s')) re2Flags |= RE2JS.DOTALL;
        compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), re2Flags);
        if (sharedRegexes.size >= MAX_SHARED_REGEXES) sharedRegexes.delete(sharedRegexes.keys().next().value!);
        sharedRegexes.set(key, compiled);
      }
    } catch (err) {
      const detail = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
      const pos = positionOf(node);
      throw new RuleError(
        'BAD_REGEX',
        `The regular expression /${pattern}/ cannot be used: ${detail}. Rules run regexes in linear time (RE2 syntax): lookaround and backreferences are not supported`,
        pos.line, pos.column, { cause: err },
      );
    }
    const index = this.regexes.length;
    this.regexes.push(compiled);
    this.regexIndex.set(key, index);
    return index;
  }

  private identifier(node: EsNode): Typed {
    const name = node.name as string;
    const binding = this.lookup(name);
    if (binding) return { expr: { t: 'param', slot: binding.slot }, type: binding.type, nonNull: binding.type !== 'unknown' };
    if (name === 'undefined') return { expr: { t: 'literal', value: undefined }, type: 'unknown', nonNull: false };
    if (name === 'NaN') return { expr: { t: 'literal', value: NaN }, type: 'number', nonNull: true };
    if (name === 'Infinity') return { expr: { t: 'literal', value: Infinity }, type: 'number', nonNull: true };
    if (name === 'trace' || name === 'traces') {
      fail('NOT_ALLOWED', `'${name}' cannot be used inside a predicate: predicates look at one span; combine conditions outside, e.g. trace.has(...).and(trace.missing(...))`, node);
    }
    if (name === 'Math' || name === 'Array' || name === 'Number' || name === 'String') {
      fail('NOT_ALLOWED', `${name} can only be called, e.g. ${name === 'Math' ? 'Math.abs(x)' : name === 'Array' ? 'Array.isArray(x)' : `${name}(x)`}`, node);
    }
    if (UNAVAILABLE_GLOBALS.has(name)) {
      fail('UNKNOWN_IDENTIFIER', `'${name}' is not available in rules: rules cannot run code, load modules or reach the process. Read the span through the predicate's parameter, e.g. span => span.name`, node);
    }
    const names = this.scopes.flat().map((b) => b.name);
    fail('UNKNOWN_IDENTIFIER', `'${name}' is not defined in rules${suggest(name, names)}. Predicates can use their parameter (${names.join(', ') || 'span'}), literals, Array.isArray, Number, String and Math`, node);
  }

  private staticKey(node: EsNode): string | null {
    if (!node.computed) {
      if (node.property.type === 'PrivateIdentifier') fail('NOT_ALLOWED', 'Private names are not allowed in rules', node.property);
      return node.property.name as string;
    }
    const p = node.property as EsNode;
    if (p.type === 'Literal' && (typeof p.value === 'string' || typeof p.value === 'number')) return String(p.value);
    if (p.type === 'TemplateLiteral' && p.expressions.length === 0) return p.quasis[0].value.cooked as string;
    return null;
  }

  private member(node: EsNode): Typed {
    const key = this.staticKey(node);
    if (node.object.type === 'Identifier' && node.object.name === 'Math' && !this.lookup('Math') && key !== null) {
      if (!(MATH_CONSTANTS as readonly string[]).includes(key)) {
        fail('UNKNOWN_PROPERTY', `Math.${key} is not available in rules; constants: Math.${MATH_CONSTANTS.join(', Math.')}`, node.property);
      }
      return { expr: { t: 'constant', name: `Math.${key}` as 'Math.PI' }, type: 'number', nonNull: true };
    }
    const object = this.check(node.object);
    if (key !== null && FORBIDDEN_KEYS.has(key)) {
      fail('FORBIDDEN_PROPERTY', `'${key}' cannot be read in rules: it reaches JavaScript internals, not span data. Read span fields (span.name, span.attributes['key'], ...)`, node.property);
    }
    if (object.type === 'regex') fail('NOT_ALLOWED', 'Regular expressions have no readable properties in rules; use regex.test(text) or text.match(regex)', node);
    if (key === null) {
      // Any computed read on a value that may be a span may reach parent/children.
      if (object.type !== 'attributes' && object.type !== 'string' && object.type !== 'number' && object.type !== 'boolean') this.structural = true;
      const k = this.check(node.property);
      return { expr: { t: 'member', object: object.expr, key: k.expr, direct: false }, type: 'unknown', nonNull: false };
    }
    const shape = fieldsOf(object.type);
    // A value whose type is not known statically may be a span at run time
    // (e.g. `(s || s).parent`): reading parent/children through it is structural.
    if ((key === 'parent' || key === 'children') && shape === null) this.structural = true;
    let type: PType = 'unknown';
    if (shape) {
      const fieldType = shape.fields[key];
      if (fieldType === undefined) {
        const fields = Object.keys(shape.fields);
        const hint = shape.what === 'span' ? ". Attributes are read with span.attributes['key']" : '';
        fail('UNKNOWN_PROPERTY', `${capitalize(shape.what)} has no field '${key}'${suggest(key, fields)}; fields: ${fields.join(', ')}${hint}`, node.property);
      }
      if (shape.what === 'span' && (key === 'parent' || key === 'children')) this.structural = true;
      type = fieldType;
    } else if (object.type === 'string' || isArrayType(object.type)) {
      if (key === 'length') type = 'number';
      else if (/^\d+$/.test(key)) type = isArrayType(object.type) ? itemType(object.type) : 'string';
      else fail('UNKNOWN_PROPERTY', `${capitalize(describeType(object.type))} has no field '${key}': use .length or an index`, node.property);
      if (type === 'span') type = 'maybeSpan';
    } else if (object.type === 'number' || object.type === 'boolean') {
      fail('UNKNOWN_PROPERTY', `${capitalize(describeType(object.type))} has no field '${key}'`, node.property);
    }
    // Direct (unguarded) access only where the object cannot be null and the
    // key is a known field: the param's fields and attribute maps of it.
    const direct = object.nonNull && (shape !== null || object.type === 'attributes');
    const nonNull = direct && type !== 'unknown' && type !== 'maybeSpan';
    // The same reads on a value that may be missing (span.parent, children[0],
    // a filter's result): a plain read once it is not null or undefined, as
    // H.get would give (known data fields, attribute maps, array length and
    // canonical indices), without H.get's checks.
    const nullSafe = !direct && (shape !== null || object.type === 'attributes' || (isArrayType(object.type) && (key === 'length' || /^(0|[1-9]\d{0,8})$/.test(key))));
    const expr: PExpr = nullSafe ? { t: 'member', object: object.expr, key, direct, nullSafe } : { t: 'member', object: object.expr, key, direct };
    if (direct && shape?.what === 'span' && key === 'attributes') this.spanAttributeMaps.add(expr);
    else if (direct && this.spanAttributeMaps.has(object.expr)) (expr as { spanAttribute?: true }).spanAttribute = true;
    return { expr, type: type === 'maybeSpan' ? 'maybeSpan' : type, nonNull };
  }

  private call(node: EsNode): Typed {
    // `x.f?.()` is read like a plain call: the allowed methods always exist.
    const callee = node.callee as EsNode;
    const args = node.arguments as EsNode[];
    for (const a of args) if (a.type === 'SpreadElement') fail('NOT_ALLOWED', 'Spread (...) is not allowed in rules', a);
    if (callee.type === 'Identifier') {
      const name = callee.name as string;
      if (name === 'Number' || name === 'String') {
        if (args.length !== 1) fail('BAD_ARGUMENT', `${name}(x) takes one argument`, node);
        return { expr: { t: 'global', name, args: [this.check(args[0]).expr] }, type: name === 'Number' ? 'number' : 'string', nonNull: true };
      }
      if (this.lookup(name)) fail('NOT_ALLOWED', `'${name}' is not a function: predicates can only call the allowed methods (${ALLOWED_SUMMARY})`, callee);
      if (UNAVAILABLE_GLOBALS.has(name)) this.identifier(callee);
      fail('UNKNOWN_IDENTIFIER', `'${name}' is not a function available in rules; allowed: ${ALLOWED_SUMMARY}`, callee);
    }
    if (callee.type !== 'MemberExpression' && callee.type !== 'ChainExpression') {
      // Check the callee first: its own problem (e.g. a forbidden property) is the more useful message.
      this.check(callee);
      fail('NOT_ALLOWED', `Only the allowed methods can be called in rules, and they return values, not functions: ${ALLOWED_SUMMARY}`, callee);
    }
    const member = callee.type === 'ChainExpression' ? (callee.expression as EsNode) : callee;
    if (member.type !== 'MemberExpression') fail('NOT_ALLOWED', `Only the allowed methods can be called in rules: ${ALLOWED_SUMMARY}`, callee);
    const method = this.staticKey(member);
    if (method === null) fail('NOT_ALLOWED', 'Computed method calls (obj[expr](...)) are not allowed in rules: call a method by its name', member);
    if (FORBIDDEN_KEYS.has(method)) {
      fail('FORBIDDEN_PROPERTY', `'${method}' cannot be used in rules: it reaches JavaScript internals, not span data`, member.property);
    }
    // Globals: Array.isArray, Math.*
    if (member.object.type === 'Identifier' && !this.lookup(member.object.name)) {
      const ns = member.object.name as string;
      if (ns === 'Array' && method === 'isArray') {
        if (args.length !== 1) fail('BAD_ARGUMENT', 'Array.isArray(x) takes one argument', node);
        return { expr: { t: 'global', name: 'Array.isArray', args: [this.check(args[0]).expr] }, type: 'boolean', nonNull: true };
      }
      if (ns === 'Math') {
        if (!(MATH_FUNCTIONS as readonly string[]).includes(method)) {
          const why = method === 'random' ? ': rules must give the same answer every time' : '';
          fail('UNKNOWN_METHOD', `Math.${method} is not allowed in rules${why}${suggest(method, MATH_FUNCTIONS)}; allowed: Math.${MATH_FUNCTIONS.join(', Math.')}`, member.property);
        }
        return { expr: { t: 'global', name: `Math.${method}` as AllowedGlobal, args: args.map((a) => this.check(a).expr) }, type: 'number', nonNull: true };
      }
      if (ns === 'Array' || ns === 'Number' || ns === 'String' || ns === 'Object' || ns === 'JSON' || ns === 'Reflect' || ns === 'Date') {
        fail('UNKNOWN_METHOD', `${ns}.${method} is not allowed in rules; allowed: ${ALLOWED_SUMMARY}`, member);
      }
    }
    const target = this.check(member.object);
    if ((ITERATORS as readonly string[]).includes(method)) {
      if (!isArrayType(target.type) && target.type !== 'unknown') {
        fail('UNKNOWN_METHOD', `.${method}() works on lists (events, links, children, array attributes), not on ${describeType(target.type)}`, member.property);
      }
      if (args.length !== 1) fail('BAD_ARGUMENT', `.${method}() takes one arrow function, e.g. .${method}(e => e.name === 'exception')`, node);
      const arrow = this.checkArrow(args[0], itemType(target.type), `the argument of .${method}()`);
      let type: PType = 'boolean';
      if (method === 'filter') type = isArrayType(target.type) ? target.type : 'array';
      else if (method === 'find') type = itemType(target.type) === 'span' ? 'maybeSpan' : 'unknown';
      // Not non-null: on a value that is not a list the helpers give undefined.
      return { expr: { t: 'iterate', name: method as 'some', target: target.expr, slot: arrow.slot, body: arrow.body.expr }, type, nonNull: false };
    }
    if (method === 'test') {
      if (target.type !== 'regex') fail('UNKNOWN_METHOD', '.test() is a regex method: write /pattern/.test(span.name)', member.property);
      if (args.length !== 1) fail('BAD_ARGUMENT', '.test(text) takes one argument', node);
      return { expr: { t: 'method', name: 'test', target: target.expr, args: [this.check(args[0]).expr] }, type: 'boolean', nonNull: true };
    }
    if ((STRING_METHODS as readonly string[]).includes(method)) {
      const okTarget = target.type === 'string' || target.type === 'unknown' || (method === 'includes' && isArrayType(target.type));
      if (!okTarget) {
        fail('UNKNOWN_METHOD', `.${method}() is a string method${method === 'includes' ? ' (or a list method)' : ''}, but this is ${describeType(target.type)}`, member.property);
      }
      const arity = method === 'toLowerCase' || method === 'toUpperCase' || method === 'trim' ? 0 : 1;
      if (args.length !== arity && !(arity === 1 && args.length === 2 && method !== 'match')) {
        fail('BAD_ARGUMENT', `.${method}() takes ${arity === 0 ? 'no arguments' : 'one argument'}`, node);
      }
      const checkedArgs = args.map((a) => this.check(a));
      if (method === 'match') {
        const a = checkedArgs[0];
        if (a.type !== 'regex') {
          fail('BAD_ARGUMENT', '.match() takes a regex literal, e.g. span.name.match(/^GET /); use .includes() for plain text', args[0]);
        }
      } else {
        for (let i = 0; i < checkedArgs.length; i++) {
          if (checkedArgs[i].type === 'regex') fail('BAD_ARGUMENT', `.${method}() takes text, not a regex: use /pattern/.test(text) instead`, args[i]);
        }
      }
      const type: PType = method === 'match' ? 'unknown' : method === 'includes' || method === 'startsWith' || method === 'endsWith' ? 'boolean' : 'string';
      return { expr: { t: 'method', name: method as AllowedMethod, target: target.expr, args: checkedArgs.map((a) => a.expr) }, type, nonNull: false };
    }
    const allMethods = [...STRING_METHODS, 'test', ...ITERATORS];
    fail('UNKNOWN_METHOD', `.${method}() is not allowed in rules${suggest(method, allMethods)}; allowed methods: ${allMethods.join(', ')} (and .length)`, member.property);
  }

  get slotCount(): number {
    return this.slots;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Checks one predicate (an arrow function node) against the allow-list.
 * `role` names it in messages ("the predicate of trace.has()").
 */
export function checkPredicate(node: EsNode, role: string): CheckedPredicate {
  const checker = new PredicateChecker();
  const { body } = checker.checkArrow(node, 'span', role);
  return { body: body.expr, slots: checker.slotCount, regexes: checker.regexes, structural: checker.structural };
}
