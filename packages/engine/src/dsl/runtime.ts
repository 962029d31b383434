/**
 * Run-time helpers for generated predicates. Each one keeps JavaScript's
 * meaning where the value has the expected type and returns `undefined`
 * (never throws) where data is missing or of another type, so that a rule
 * never fails on a span that lacks an attribute. They are also the sandbox's
 * last line: member reads refuse internal keys and never hand out functions.
 */
import type { RE2JS } from 're2js';
import { FORBIDDEN_KEYS, SPAN_FIELD_NAMES } from './checkPredicate.js';
import { SpanRecord } from '../trace/span.js';
import { linkEpoch } from '../trace/linkSpans.js';

/**
 * The evaluation budget. Work is counted in units: one per predicate call,
 * one per element an iterator (`some`, `every`, `filter`, `find`) visits, one
 * per 256 characters a string helper or regex scans, and one per span the
 * evaluator inspects (engine/evaluateCondition.ts). `meter.remaining` is set
 * before a rule is evaluated on a trace (see `withBudget`) and is Infinity
 * otherwise, so a predicate called outside an evaluation is never limited.
 * When it drops below zero the helper throws BUDGET_EXCEEDED, which the
 * generated predicate rethrows (unlike other errors, which count as "no
 * match"), so the whole evaluation of that rule on that trace stops.
 * Evaluation is synchronous and single-threaded, hence one meter suffices.
 */
export const meter = { remaining: Infinity };

export class BudgetExceededError extends Error {
  readonly code = 'BUDGET_EXCEEDED';
  constructor() {
    super('the rule exceeded its evaluation budget on this trace');
    this.name = 'BudgetExceededError';
  }
}

/** One preallocated instance: throwing it costs no allocation or stack capture in a hot loop. */
export const BUDGET_EXCEEDED: BudgetExceededError = new BudgetExceededError();

/** Charges `units` of work; throws BUDGET_EXCEEDED when the budget is spent. */
export function charge(units: number): void {
  if ((meter.remaining -= units) < 0) throw BUDGET_EXCEEDED;
}

function chargeText(s: string): void {
  if (s.length > 256) charge(s.length >>> 8);
}

/**
 * Runs `work` with a budget of `units` (Infinity: unlimited). Returns its
 * result, or BUDGET_EXCEEDED when the budget ran out. Restores the previous
 * meter, so budgets nest (a budgeted call inside another charges only its own).
 */
export function withBudget<T>(units: number, work: () => T): T | typeof BUDGET_EXCEEDED {
  const saved = meter.remaining;
  meter.remaining = units;
  try {
    return work();
  } catch (err) {
    if (err === BUDGET_EXCEEDED) return BUDGET_EXCEEDED;
    throw err;
  } finally {
    meter.remaining = saved;
  }
}

const hasOwn = Object.prototype.hasOwnProperty;
const STOP_PROTOTYPES: ReadonlySet<unknown> = new Set([Object.prototype, Array.prototype, String.prototype, Function.prototype, null]);

/**
 * Data objects: spans, plain objects (events, links, scopes) and chains of
 * null-prototype maps (attributes falling back to the resource). Anything
 * else (a compiled regex, another class's instance) is opaque to rules.
 */
function isData(object: object): boolean {
  let proto = Object.getPrototypeOf(object) as object | null;
  if (proto === Object.prototype || proto === SpanRecord.prototype) return true;
  for (let depth = 0; depth < 4; depth++) {
    if (proto === null) return true;
    if (proto === Object.prototype) return false; // a class instance
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return false;
}

/**
 * `span.attributes[key]` where the checker knows `span` is a span and never
 * null (PExpr member `spanAttribute`): a SpanRecord whose details were
 * released reads this one attribute from its request's bytes instead of
 * decoding its whole attribute map (SpanRecord.attribute).
 */
export function attribute(span: unknown, key: string): unknown {
  return span instanceof SpanRecord ? span.attribute(key) : (span as { attributes: Record<string, unknown> }).attributes[key];
}

/** Null-safe, sandboxed `object[key]`. */
export function get(object: unknown, key: unknown): unknown {
  if (object === null || object === undefined) return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const k = String(key);
  if (FORBIDDEN_KEYS.has(k)) return undefined;
  if (typeof object === 'string') {
    if (k === 'length') return object.length;
    return /^\d+$/.test(k) ? object[Number(k)] : undefined;
  }
  if (typeof object !== 'object') return undefined;
  if (Array.isArray(object)) {
    if (k === 'length') return object.length;
    return /^\d+$/.test(k) ? object[Number(k)] : undefined;
  }
  if (!isData(object)) return undefined;
  if (holderOf(object, k) === null) return undefined;
  // Read through the object, not its holder: a span's getters need it as `this`.
  const v = (object as Record<string, unknown>)[k];
  return typeof v === 'function' ? undefined : v;
}

/**
 * `object[key]`, or undefined when object is null or undefined. Generated
 * only where the checker knows the object is one of the span model's values
 * (a span, event, link, scope or attribute map) or an array, and the key one
 * of its fields (checkPredicate.ts, `nullSafe`): there a plain read gives
 * what `get` gives, without its checks.
 */
export function field(object: unknown, key: string): unknown {
  return object === null || object === undefined ? undefined : (object as Record<string, unknown>)[key];
}

/**
 * The object on the prototype chain that owns `key` as its own property,
 * stopping at the built-in prototypes, so that only data (own properties of
 * our objects, and of the resource map an attribute map inherits from) is
 * ever visible. A span shows exactly the fields rules may name
 * (checkPredicate.ts), its derived ones (getters of its class) included, and
 * not the model's bookkeeping (source, the times' parts) or its constructor.
 */
function holderOf(object: object, key: string): object | null {
  if (object instanceof SpanRecord) return SPAN_FIELD_NAMES.has(key) ? object : null;
  let o: object | null = object;
  while (!STOP_PROTOTYPES.has(o)) {
    if (hasOwn.call(o, key)) return o;
    o = Object.getPrototypeOf(o) as object | null;
  }
  return null;
}

/** `key in object` without reaching built-in prototypes; false for non-objects. */
export function has(key: unknown, object: unknown): boolean {
  if (object === null || typeof object !== 'object') return false;
  if (!Array.isArray(object) && !isData(object)) return false;
  if (typeof key !== 'string' && typeof key !== 'number') return false;
  const k = String(key);
  if (FORBIDDEN_KEYS.has(k)) return false;
  return holderOf(object, k) !== null;
}

function isText(a: unknown): boolean {
  return a === undefined || a === null || typeof a !== 'object';
}

export function startsWith(s: unknown, a: unknown, pos?: unknown): boolean | undefined {
  if (typeof s === 'string') chargeText(s);
  return typeof s === 'string' && isText(a) ? s.startsWith(String(a), typeof pos === 'number' ? pos : undefined) : undefined;
}

export function endsWith(s: unknown, a: unknown, pos?: unknown): boolean | undefined {
  if (typeof s === 'string') chargeText(s);
  return typeof s === 'string' && isText(a) ? s.endsWith(String(a), typeof pos === 'number' ? pos : undefined) : undefined;
}

export function includes(s: unknown, a: unknown, pos?: unknown): boolean | undefined {
  if (typeof s === 'string') chargeText(s);
  else if (Array.isArray(s)) charge(s.length);
  if (Array.isArray(s)) return s.includes(a, typeof pos === 'number' ? pos : undefined);
  return typeof s === 'string' && isText(a) ? s.includes(String(a), typeof pos === 'number' ? pos : undefined) : undefined;
}

export function toLowerCase(s: unknown): string | undefined {
  if (typeof s === 'string') chargeText(s);
  return typeof s === 'string' ? s.toLowerCase() : undefined;
}

export function toUpperCase(s: unknown): string | undefined {
  if (typeof s === 'string') chargeText(s);
  return typeof s === 'string' ? s.toUpperCase() : undefined;
}

export function trim(s: unknown): string | undefined {
  if (typeof s === 'string') chargeText(s);
  return typeof s === 'string' ? s.trim() : undefined;
}

/** Like String.prototype.match with a non-global regex: [match, ...groups] or null; undefined for non-strings. */
export function match(s: unknown, re: RE2JS): string[] | null | undefined {
  if (typeof s !== 'string') return undefined;
  chargeText(s);
  const m = re.exec(s);
  return m ? Array.from(m as ArrayLike<string>) : null;
}

/**
 * The last text each regex was tested on, and the answer. Regexes are shared
 * by every predicate with the same pattern and flags (checkPredicate.ts), and
 * the detector tests one span against all its candidate predicates in a row,
 * so rules differing only in a literal test the same regex on the same text
 * one after the other: RE2 runs once for all of them. A regex's answer
 * depends only on the text, so this changes no result.
 */
const lastTest = new WeakMap<RE2JS, { text: string; result: boolean }>();

/** regex.test(x): numbers and booleans are tested as text; missing values (undefined, null) and objects never match. */
export function test(re: RE2JS, s: unknown): boolean {
  if (typeof s === 'string') {
    chargeText(s);
    const last = lastTest.get(re);
    if (last !== undefined && last.text === s) return last.result;
    const result = re.test(s);
    if (last === undefined) lastTest.set(re, { text: s, result });
    else { last.text = s; last.result = result; }
    return result;
  }
  if (typeof s === 'number' || typeof s === 'boolean') return re.test(String(s));
  return false;
}

export function some(a: unknown, fn: (item: unknown) => unknown): boolean | undefined {
  if (!Array.isArray(a)) return undefined;
  for (let i = 0; i < a.length; i++) {
    charge(1);
    if (fn(a[i])) return true;
  }
  return false;
}

export function every(a: unknown, fn: (item: unknown) => unknown): boolean | undefined {
  if (!Array.isArray(a)) return undefined;
  for (let i = 0; i < a.length; i++) {
    charge(1);
    if (!fn(a[i])) return false;
  }
  return true;
}

export function filter(a: unknown, fn: (item: unknown) => unknown): unknown[] | undefined {
  if (!Array.isArray(a)) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < a.length; i++) {
    charge(1);
    if (fn(a[i])) out.push(a[i]);
  }
  return out;
}

export function find(a: unknown, fn: (item: unknown) => unknown): unknown {
  if (!Array.isArray(a)) return undefined;
  for (let i = 0; i < a.length; i++) {
    charge(1);
    if (fn(a[i])) return a[i];
  }
  return undefined;
}

/**
 * Values of subexpressions that several predicates share (generatePredicate.ts,
 * "Shared subexpressions"), by subexpression id and span. They read links,
 * so they hold until linkSpans next runs (linkEpoch): the table is emptied
 * then, and when it holds SHARED_MAX_VALUES values, so it holds at most one
 * evaluation pass's worth. A computation that throws (an error, the budget)
 * stores nothing: the next predicate computes and throws again, as it would
 * without sharing.
 */
const sharedValues = new Map<number, Map<object, unknown>>();
let sharedCount = 0;
let sharedEpoch = -1;
const SHARED_MAX_VALUES = 100_000;

export function shared(id: number, span: object, compute: (span: object) => unknown): unknown {
  const epoch = linkEpoch();
  if (epoch !== sharedEpoch || sharedCount >= SHARED_MAX_VALUES) {
    releaseShared();
    sharedEpoch = epoch;
  }
  let values = sharedValues.get(id);
  if (values === undefined) sharedValues.set(id, (values = new Map()));
  const known = values.get(span);
  if (known !== undefined || values.has(span)) return known;
  const value = compute(span);
  values.set(span, value);
  sharedCount++;
  return value;
}

/**
 * Forgets every shared value. Evaluators call it when a pass ends, so the
 * table does not keep a trace's spans (and their requests' bytes) alive
 * after it.
 */
export function releaseShared(): void {
  sharedValues.clear();
  sharedCount = 0;
}

export const runtime = {
  meter, BUDGET_EXCEEDED, shared, attribute,
  get, field, has, startsWith, endsWith, includes, toLowerCase, toUpperCase, trim, match, test, some, every, filter, find,
  isArray: Array.isArray,
  Number: (x: unknown) => Number(x),
  String: (x: unknown) => String(x),
};
export type Runtime = typeof runtime;
