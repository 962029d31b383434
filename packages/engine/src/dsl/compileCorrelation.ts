/**
 * The correlated-rule part of compilation: rules starting from
 * `traces.by(keyFn)` (see engine/correlator.ts for how they are evaluated).
 *
 * compileCondition parses such a rule with the ordinary grammar, `traces`
 * standing for the correlated group where `trace` stands for one trace, and
 * records where `trace`, `traces` and `traces.by(...)` were used. This module
 * checks the correlated shape and compiles the key function:
 * - a rule uses either `trace` (per trace) or `traces` (correlated), not both;
 * - `traces` needs exactly one `traces.by(keyFn)`;
 * - the whole rule ends with `.within(duration)`: the window is mandatory;
 * - some clause opens windows (has, or count not under not/missing);
 * - predicates and the key function do not read parent/children (the spans of
 *   a trace that carry no key take no part, so structure is not there to read).
 * The key function is a predicate-language expression, checked by the same
 * allow-list and generated the same way as predicates, returning its value.
 */
import type { EsNode } from './parseRule.js';
import { positionOf } from './parseRule.js';
import { RuleError, type RuleErrorCode } from './ruleError.js';
import { checkPredicate } from './checkPredicate.js';
import { emit, generatedFrom, generatedKey, type PredicateState } from './generatePredicate.js';
import { literalAttributeKeys } from './literalAttributeKeys.js';
import { runtime } from './runtime.js';
import type { Condition, CompiledPredicate } from './compileCondition.js';
import type { Span } from '../trace/span.js';

export interface CorrelationSpec {
  /** The key of a span: a non-empty string, or null when the span takes no part. */
  keyOf: (span: Span) => string | null;
  /** The key function as written. */
  keyText: string;
  /** The key function's generated source and regexes: equal for key functions that give equal keys (the Correlator computes each once per span). */
  keySource: string;
  /** The window stated by the rule's outer `.within(...)`, in ms. */
  windowMs: number;
  /** The condition inside the window (the rule without its outer within). */
  condition: Condition;
  /** Predicate indices whose matches open a window: has and count clauses not under not/missing, and the where anchors of their views. */
  openers: number[];
  /** Whether the condition reads views (where): such rules keep every keyed span, not only matching ones. */
  usesViews: boolean;
  keyState: PredicateState;
  /** The attribute keys the key function and the predicates read by name (see Correlator.arrivalAttributeKeys). */
  attributeKeys: ReadonlySet<string>;
}

export interface RuleRoots {
  trace: EsNode | null;
  traces: EsNode | null;
  by: EsNode | null;
  keyArg: EsNode | null;
}

function fail(code: RuleErrorCode, message: string, node: EsNode): never {
  const pos = positionOf(node);
  throw new RuleError(code, message, pos.line, pos.column);
}

/** Key values: strings as they are, finite numbers and booleans as text; anything else (and '') takes no part. */
export function normalizeKey(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  return null;
}

function openersOf(c: Condition, out: number[], views: { used: boolean }): void {
  switch (c.k) {
    case 'has': case 'count':
      // A view's anchors start before the spans under them: they open windows too.
      for (let scope = c.scope; scope !== null; scope = scope.parent) { views.used = true; out.push(scope.where); }
      out.push(c.pred); return;
    case 'missing': if (c.scope !== null) views.used = true; return;
    case 'not': { const ignored: number[] = []; openersOf(c.item, ignored, views); return; }
    case 'and': case 'or': for (const i of c.items) openersOf(i, out, views); return;
    case 'within': openersOf(c.item, out, views); return;
    case 'followedBy': openersOf(c.first, out, views); openersOf(c.then, out, views); return;
  }
}

/** Checks a compiled rule's correlated shape; null for a per-trace rule. Throws RuleError. */
export function compileCorrelation(roots: RuleRoots, root: Condition, predicates: readonly CompiledPredicate[], text: string): CorrelationSpec | null {
  if (roots.by === null) {
    if (roots.traces !== null) {
      fail('BAD_RULE_SHAPE', "traces.has(...) and the like belong to correlated rules, which start with traces.by(span => ...) and end with .within(...); for a pattern inside one trace write trace.has(...)", roots.traces);
    }
    return null;
  }
  const by = roots.by;
  const byName = by.callee.property as EsNode;
  if (roots.trace !== null) {
    fail('BAD_RULE_SHAPE', "A correlated rule looks at every trace of the key: write traces.has(...) (not trace.has(...)) after traces.by(...)", roots.trace);
  }
  if (root.k !== 'within') {
    fail('BAD_RULE_SHAPE', "A correlated rule must state its window: end it with .within(...), e.g. traces.by(span => ...).has(span => ...).within('5 seconds')", byName);
  }
  const keyArg = roots.keyArg!;
  const checked = checkPredicate(keyArg, 'the key function of traces.by()');
  if (checked.structural || predicates.some((p) => p.structural)) {
    fail('NOT_ALLOWED', "Correlated rules cannot read span.parent or span.children: spans are grouped by key across traces, and a trace's spans without the key take no part", byName);
  }
  const openers: number[] = [];
  const views = { used: false };
  openersOf(root.item, openers, views);
  if (openers.length === 0) {
    fail('BAD_RULE_SHAPE', "A correlated rule needs a clause that opens its window, has(...) or count(...): e.g. traces.by(span => ...).has(span => ...).and(traces.missing(span => ...)).within('5 seconds')", byName);
  }
  const source = emit(checked.body);
  const keyState: PredicateState = { re: checked.regexes, errors: 0 };
  // Same safety argument as generatePredicate: the source is emitted from the checked tree, never copied from the rule text.
  // eslint-disable-next-line no-new-func
  const factory = new Function('H', 'R', `"use strict";\nreturn function key(p0) {\n  try { return (${source}); } catch (e) { R.errors++; return undefined; }\n};`) as (
    h: typeof runtime,
    r: PredicateState,
  ) => (span: Span) => unknown;
  const raw = factory(runtime, keyState);
  const attributeKeys = literalAttributeKeys(checked.body, new Set());
  for (const p of predicates) {
    const body = generatedFrom(p.fn)?.body;
    if (body !== undefined) literalAttributeKeys(body, attributeKeys);
  }
  return {
    keyOf: (span) => normalizeKey(raw(span)),
    keyText: text.slice(keyArg.start, keyArg.end),
    keySource: generatedKey(source, checked.regexes),
    windowMs: root.ms,
    condition: root.item,
    openers: [...new Set(openers)],
    usesViews: views.used,
    keyState,
    attributeKeys,
  };
}
