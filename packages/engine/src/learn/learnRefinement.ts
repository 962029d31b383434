/**
 * Learning from false positives: given a rule and its triaged signals (true
 * positives and false positives, each with the trace's spans as evidence and
 * its witness span ids), propose a narrower rule that excludes the false
 * positives and keeps the true ones.
 *
 * How:
 * 1. Targets: the predicates of the rule's `has(...)` calls in positive
 *    position (not under `not`/`!`, not `missing` or `where`). Adding
 *    `&& condition` to such a predicate can only make the rule fire on fewer
 *    traces, never on more, so a refinement cannot create new signals.
 * 2. Features: for each signal, the witness spans that the target predicate
 *    matches; their own attributes and their resource attributes. Candidate
 *    conditions are equality and inequality with observed values for
 *    categorical keys and thresholds (midpoints between observed values) for
 *    numeric ones.
 * 3. Learner: greedy. The condition chosen excludes the most false positives
 *    (information gain of the kept/excluded split, ties to the simpler
 *    condition and then the key's name) while keeping at least
 *    (1 − maxRecallLoss) of the true positives; a second condition is added
 *    when false positives remain. A signal is taken as kept when some of its
 *    feature spans satisfies the condition.
 * 4. Truth: the refined text is compiled with the rule compiler and
 *    evaluated with `evaluateTrace` on every signal's evidence, so the
 *    precision and recall reported are what the refined rule really does on
 *    the triaged history, not what the learner's approximation believed.
 * 5. Overfitting: k-fold cross-validation (folds by a hash of the signal id,
 *    deterministic): the learner is trained without each fold and measured,
 *    for real, on it; a proposal is `recommended` only when its held-out
 *    precision beats the rule's and its held-out recall loss is within bounds.
 */
import { compileCondition } from '../dsl/compileCondition.js';
import { parseRule, type EsNode } from '../dsl/parseRule.js';
import { evaluateTrace } from '../engine/evaluateCondition.js';
import { compileRule, type CompiledRule } from '../engine/rule.js';
import { linkSpans } from '../trace/linkSpans.js';
import { copySpan, type Span } from '../trace/span.js';
import { literal } from './ruleText.js';
import { hash32 } from './statistics.js';

export interface TriagedSignal {
  /** The signal's id (assigns the cross-validation fold). */
  id: string;
  /** true: resolved as a real problem; false: marked false_positive. */
  truePositive: boolean;
  /** The trace's spans as the signal saw them. */
  spans: readonly Span[];
  witnessSpanIds: readonly string[];
}

export type RefinementOp = '===' | '!==' | '<' | '>=';

export interface RefinementCondition {
  /** Where the key is read: the span's attributes (own, falling back to the resource's) or its resource. */
  source: 'attributes' | 'resource';
  key: string;
  op: RefinementOp;
  value: string | number | boolean;
  /** The condition as DSL text over the predicate's parameter. */
  text: string;
}

export interface RefinementMetrics {
  /** True positives still raised. */
  truePositives: number;
  /** False positives still raised. */
  falsePositives: number;
  /** True positives no longer raised. */
  lostTruePositives: number;
  /** False positives no longer raised. */
  excludedFalsePositives: number;
  /** truePositives / (truePositives + falsePositives); null when nothing is raised. */
  precision: number | null;
  /** truePositives / all true positives; null when there are none. */
  recall: number | null;
}

export interface RefinementProposal {
  /** The refined rule text; compiles with compileRule. */
  dsl: string;
  conditions: RefinementCondition[];
  /** The predicate refined, as written in the rule, and where. */
  predicate: { text: string; line: number; column: number };
  /** The rule as it is and as refined, evaluated on every triaged signal. */
  history: { before: RefinementMetrics; after: RefinementMetrics };
  /** Cross-validated: trained without each fold, measured on it. Null when there are too few signals for folds. */
  heldOut: { folds: number; before: RefinementMetrics; after: RefinementMetrics } | null;
  /** Held-out precision is higher and held-out recall loss within maxRecallLoss. */
  recommended: boolean;
}

export interface RefinementOptions {
  /** Cross-validation folds. */
  folds: number;
  /** Fewest triaged signals to learn from. */
  minSignals: number;
  /** Share of true positives a condition may lose (0: none). */
  maxRecallLoss: number;
  /** Conditions added at most (greedy steps). */
  maxConditions: number;
  /** Attribute keys considered at most (the most frequent). */
  maxKeys: number;
  /** Values or thresholds per key at most. */
  maxValuesPerKey: number;
}

export const DEFAULT_REFINEMENT_OPTIONS: RefinementOptions = {
  folds: 5,
  minSignals: 10,
  maxRecallLoss: 0,
  maxConditions: 2,
  maxKeys: 64,
  maxValuesPerKey: 20,
};

export interface RefinementResult {
  /** The rule as it is, on the triaged signals. */
  baseline: RefinementMetrics;
  proposals: RefinementProposal[];
  /** Why there is no proposal, when there is none. */
  reason: string | null;
}

interface Target {
  text: string;
  line: number;
  column: number;
  param: string;
  bodyStart: number;
  bodyEnd: number;
  fn: (span: Span) => boolean;
}

interface Example {
  signal: TriagedSignal;
  spans: Span[];
  /** Per target: the spans whose attributes are the features. */
  features: Span[][];
}

type Primitive = string | number | boolean;

function methodOf(node: EsNode): string | null {
  if (node.type !== 'CallExpression' || node.callee.type !== 'MemberExpression' || node.callee.computed) return null;
  return node.callee.property.type === 'Identifier' ? (node.callee.property.name as string) : null;
}

/** The arrow functions of `has(...)` calls in positive position. */
function positiveHasPredicates(root: EsNode): EsNode[] {
  const out: EsNode[] = [];
  const walk = (node: EsNode | null | undefined, positive: boolean): void => {
    if (!node || typeof node !== 'object' || typeof node.type !== 'string') return;
    if (node.type === 'ArrowFunctionExpression') return;
    if (node.type === 'UnaryExpression' && node.operator === '!') { walk(node.argument as EsNode, !positive); return; }
    if (node.type === 'BinaryExpression') return; // count comparisons: narrowing a count's predicate can go either way
    const method = methodOf(node);
    if (method !== null) {
      walk(node.callee.object as EsNode, positive);
      const args = node.arguments as EsNode[];
      if (method === 'not') { for (const a of args) walk(a, !positive); return; }
      if (method === 'has') { if (positive && args[0]?.type === 'ArrowFunctionExpression') out.push(args[0]); return; }
      if (method === 'missing' || method === 'where' || method === 'count') return;
      for (const a of args) walk(a, positive);
      return;
    }
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue;
      const child = (node as Record<string, unknown>)[key];
      if (Array.isArray(child)) for (const c of child) walk(c as EsNode, positive);
      else if (child && typeof child === 'object') walk(child as EsNode, positive);
    }
  };
  walk(root, true);
  return out;
}

function targetsOf(dsl: string): Target[] {
  const root = parseRule(dsl);
  return positiveHasPredicates(root).map((arrow) => {
    const text = dsl.slice(arrow.start, arrow.end);
    const body = arrow.body as EsNode;
    const fn = compileCondition(`trace.has(${text})`).predicates[0].fn;
    return { text, line: arrow.loc.start.line, column: arrow.loc.start.column + 1, param: (arrow.params[0] as EsNode).name as string, bodyStart: body.start, bodyEnd: body.end, fn };
  });
}

function conditionText(param: string, c: Omit<RefinementCondition, 'text'>): string {
  return `${param}.${c.source}[${literal(c.key)}] ${c.op} ${literal(c.value)}`;
}

function refine(dsl: string, target: Target, conditions: RefinementCondition[]): string {
  const body = dsl.slice(target.bodyStart, target.bodyEnd);
  const added = conditions.map((c) => conditionText(target.param, c)).join(' && ');
  return `${dsl.slice(0, target.bodyStart)}(${body}) && ${added}${dsl.slice(target.bodyEnd)}`;
}

function holds(value: unknown, op: RefinementOp, against: Primitive): boolean {
  const v = value as Primitive;
  switch (op) {
    case '===': return v === against;
    case '!==': return v !== against;
    case '<': return v < against;
    case '>=': return v >= against;
  }
}

function read(span: Span, c: Pick<RefinementCondition, 'source' | 'key'>): unknown {
  return c.source === 'resource' ? span.resource[c.key] : span.attributes[c.key];
}

/** Whether a signal still fires under condition c: some feature span satisfies it, or the target predicate played no part (no span matched it). */
function kept(features: Span[], c: RefinementCondition): boolean {
  return features.length === 0 || features.some((s) => holds(read(s, c), c.op, c.value));
}

function metrics(examples: readonly Example[], fires: (e: Example) => boolean): RefinementMetrics {
  let tp = 0, fp = 0, lost = 0, excluded = 0;
  for (const e of examples) {
    const raised = fires(e);
    if (e.signal.truePositive) { if (raised) tp++; else lost++; } else if (raised) fp++; else excluded++;
  }
  return {
    truePositives: tp, falsePositives: fp, lostTruePositives: lost, excludedFalsePositives: excluded,
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: tp + lost === 0 ? null : tp / (tp + lost),
  };
}

function addMetrics(a: RefinementMetrics, b: RefinementMetrics): RefinementMetrics {
  const tp = a.truePositives + b.truePositives;
  const fp = a.falsePositives + b.falsePositives;
  const lost = a.lostTruePositives + b.lostTruePositives;
  return {
    truePositives: tp, falsePositives: fp, lostTruePositives: lost, excludedFalsePositives: a.excludedFalsePositives + b.excludedFalsePositives,
    precision: tp + fp === 0 ? null : tp / (tp + fp), recall: tp + lost === 0 ? null : tp / (tp + lost),
  };
}

const EMPTY_METRICS: RefinementMetrics = { truePositives: 0, falsePositives: 0, lostTruePositives: 0, excludedFalsePositives: 0, precision: null, recall: null };

function entropy(pos: number, neg: number): number {
  const n = pos + neg;
  if (n === 0 || pos === 0 || neg === 0) return 0;
  const p = pos / n;
  return -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
}

/** Candidate conditions from the feature spans of the examples. */
function candidateConditions(examples: readonly Example[], t: number, param: string, options: RefinementOptions): RefinementCondition[] {
  const tallies = new Map<string, { source: 'attributes' | 'resource'; key: string; count: number; values: Map<Primitive, number> }>();
  for (const e of examples) {
    for (const span of e.features[t]) {
      const sources: Array<['attributes' | 'resource', string[]]> = [['attributes', Object.keys(span.attributes)], ['resource', Object.keys(span.resource)]];
      for (const [source, keys] of sources) {
        for (const key of keys) {
          const value = source === 'resource' ? span.resource[key] : span.attributes[key];
          if (!(typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) continue;
          const id = `${source}\u0000${key}`;
          let tally = tallies.get(id);
          if (!tally) { tally = { source, key, count: 0, values: new Map() }; tallies.set(id, tally); }
          tally.count++;
          tally.values.set(value, (tally.values.get(value) ?? 0) + 1);
        }
      }
    }
  }
  const keys = [...tallies.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, options.maxKeys);
  const out: RefinementCondition[] = [];
  const push = (c: Omit<RefinementCondition, 'text'>) => out.push({ ...c, text: conditionText(param, c) });
  for (const k of keys) {
    const values = [...k.values.keys()];
    if (values.every((v) => typeof v === 'number') && values.length > 2) {
      const sorted = (values as number[]).sort((a, b) => a - b);
      const step = Math.max(1, Math.floor((sorted.length - 1) / options.maxValuesPerKey));
      for (let i = 0; i + 1 < sorted.length; i += step) {
        const threshold = (sorted[i] + sorted[i + 1]) / 2;
        push({ source: k.source, key: k.key, op: '<', value: threshold });
        push({ source: k.source, key: k.key, op: '>=', value: threshold });
      }
      continue;
    }
    const frequent = [...k.values.entries()].sort((a, b) => b[1] - a[1] || (String(a[0]) < String(b[0]) ? -1 : 1)).slice(0, options.maxValuesPerKey);
    for (const [value] of frequent) {
      push({ source: k.source, key: k.key, op: '!==', value });
      push({ source: k.source, key: k.key, op: '===', value });
    }
  }
  return out;
}

/** Simpler first: excluding one value, then keeping one value, then thresholds; own attributes before resource. */
function simplicity(c: RefinementCondition): number {
  return (c.op === '!==' ? 0 : c.op === '===' ? 1 : 2) * 2 + (c.source === 'attributes' ? 0 : 1);
}

/** The greedy learner on a training set for one target; returns no conditions when none helps. */
function learnConditions(examples: readonly Example[], t: number, param: string, options: RefinementOptions): RefinementCondition[] {
  const trueCount = examples.filter((e) => e.signal.truePositive).length;
  const mustKeep = Math.ceil(trueCount * (1 - options.maxRecallLoss) - 1e-9);
  const candidates = candidateConditions(examples, t, param, options);
  const chosen: RefinementCondition[] = [];
  let remaining = [...examples];
  for (let step = 0; step < options.maxConditions; step++) {
    const fpLeft = remaining.filter((e) => !e.signal.truePositive).length;
    if (fpLeft === 0) break;
    const tpLeft = remaining.length - fpLeft;
    let best: { c: RefinementCondition; gain: number; excluded: number } | null = null;
    for (const c of candidates) {
      if (chosen.some((x) => x.source === c.source && x.key === c.key)) continue;
      let keptTp = 0, keptFp = 0;
      for (const e of remaining) if (kept(e.features[t], c)) { if (e.signal.truePositive) keptTp++; else keptFp++; }
      if (keptTp < mustKeep) continue;
      const excluded = fpLeft - keptFp;
      if (excluded === 0) continue;
      const n = remaining.length;
      const keptN = keptTp + keptFp;
      const gain = entropy(tpLeft, fpLeft) - (keptN / n) * entropy(keptTp, keptFp) - ((n - keptN) / n) * entropy(tpLeft - keptTp, fpLeft - keptFp);
      const better = best === null || gain > best.gain + 1e-12
        || (Math.abs(gain - best.gain) <= 1e-12 && (simplicity(c) < simplicity(best.c) || (simplicity(c) === simplicity(best.c) && c.text < best.c.text)));
      if (better) best = { c, gain, excluded };
    }
    if (best === null) break;
    chosen.push(best.c);
    remaining = remaining.filter((e) => kept(e.features[t], best.c));
  }
  return chosen;
}

function firesFor(rule: CompiledRule): (e: Example) => boolean {
  return (e) => evaluateTrace(rule, e.spans).matched;
}

function compiled(dsl: string): CompiledRule {
  return compileRule({ id: 'refinement', name: 'refinement', severity: 'info', dsl });
}

/**
 * Proposes refinements of `dsl` from triaged signals. Throws RuleError when
 * `dsl` does not compile.
 */
export function learnRefinements(dsl: string, signals: readonly TriagedSignal[], options: Partial<RefinementOptions> = {}): RefinementResult {
  const o = { ...DEFAULT_REFINEMENT_OPTIONS, ...options };
  compiled(dsl);
  const targets = targetsOf(dsl);
  const examples: Example[] = signals.map((signal) => {
    const spans = linkSpans(signal.spans.map((s) => copySpan(s, { parent: null, children: [], source: null })));
    const witnesses = new Set(signal.witnessSpanIds);
    const features = targets.map((t) => {
      const matching = spans.filter((s) => t.fn(s));
      const fromWitnesses = matching.filter((s) => witnesses.has(s.spanId));
      return fromWitnesses.length > 0 ? fromWitnesses : matching;
    });
    return { signal, spans, features };
  });
  const baseline = metrics(examples, () => true);
  const falseCount = baseline.falsePositives;
  const trueCount = baseline.truePositives;
  const none = (reason: string): RefinementResult => ({ baseline, proposals: [], reason });
  if (examples.length < o.minSignals) return none(`${examples.length} triaged signals; at least ${o.minSignals} are needed to learn from`);
  if (falseCount === 0) return none('no signal of this rule is marked false_positive');
  if (trueCount === 0) return none('no signal of this rule is resolved as a true positive: nothing tells the learner what to keep');
  if (targets.length === 0) return none('the rule has no has(...) predicate in positive position to narrow');

  const folds = Math.min(o.folds, examples.length);
  const foldOf = examples.map((e) => hash32(e.signal.id) % folds);
  const proposals: RefinementProposal[] = [];
  for (let t = 0; t < targets.length; t++) {
    const target = targets[t];
    const conditions = learnConditions(examples, t, target.param, o);
    if (conditions.length === 0) continue;
    const refinedDsl = refine(dsl, target, conditions);
    const refined = compiled(refinedDsl);
    const after = metrics(examples, firesFor(refined));
    let heldOut: RefinementProposal['heldOut'] = null;
    if (folds >= 2) {
      let before = EMPTY_METRICS;
      let afterHeld = EMPTY_METRICS;
      for (let f = 0; f < folds; f++) {
        const train = examples.filter((_, i) => foldOf[i] !== f);
        const test = examples.filter((_, i) => foldOf[i] === f);
        if (test.length === 0) continue;
        before = addMetrics(before, metrics(test, () => true));
        const learnt = learnConditions(train, t, target.param, o);
        const rule = learnt.length === 0 ? null : compiled(refine(dsl, target, learnt));
        afterHeld = addMetrics(afterHeld, metrics(test, rule === null ? () => true : firesFor(rule)));
      }
      heldOut = { folds, before, after: afterHeld };
    }
    const recommended = heldOut !== null
      && heldOut.after.precision !== null && heldOut.before.precision !== null && heldOut.after.precision > heldOut.before.precision
      && (heldOut.after.recall ?? 0) >= 1 - o.maxRecallLoss - 1e-9;
    proposals.push({
      dsl: refinedDsl,
      conditions,
      predicate: { text: target.text, line: target.line, column: target.column },
      history: { before: baseline, after },
      heldOut,
      recommended,
    });
  }
  proposals.sort((a, b) => Number(b.recommended) - Number(a.recommended) || (b.history.after.precision ?? 0) - (a.history.after.precision ?? 0));
  return { baseline, proposals, reason: proposals.length === 0 ? 'no attribute condition separates the false positives from the true ones' : null };
}
