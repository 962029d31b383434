/**
 * Invariant discovery: candidate rules mined from assembled traces.
 *
 * Four kinds of candidate, each over span kinds identified by (service, span
 * name):
 * - co-occurrence "every trace with A also has B": support = traces with A,
 *   confidence = traces with A and B / traces with A;
 * - ordering "A is always followed by B": confidence = traces where some B
 *   starts at or after the end of some A (what the DSL's `followedBy` means)
 *   / traces with A;
 * - duration "A takes under D ms at p99.9": D is the distribution-free upper
 *   confidence bound for the quantile (an order statistic chosen with the
 *   binomial distribution, so it holds whatever the shape of the latency
 *   distribution); support counts spans, and a bound is proposed only when
 *   there are enough samples for it (≈3000 spans for p99.9 at 95 %);
 * - attribute enumeration "attribute K of A is always one of {…}": the most
 *   frequent values covering at least the confidence threshold of the spans
 *   with K; support counts spans.
 * Every candidate carries the DSL text of the rule that fires on a violation,
 * examples (trace ids where it holds) and counter-examples.
 *
 * Work and memory are bounded: at most `maxSpanKinds` kinds are tracked (the
 * first seen; later ones are counted as dropped), pair counts live in flat
 * arrays of maxSpanKinds², attribute values stop being tracked for a key once
 * it has more than `maxAttributeValues` distinct values, duration samples are
 * a deterministic reservoir of `maxDurationSamples` per kind, and example
 * lists are capped. Candidates below `minSupport` or `minConfidence` are
 * never proposed.
 */
import type { Span } from '../trace/span.js';
import { formatSpanKey, hasSpan, literal, spanKeyCondition, spanKeyId, type SpanKey } from './ruleText.js';
import { quantileUpperBoundRank, seededRandom } from './statistics.js';

export type InvariantKind = 'co-occurrence' | 'ordering' | 'duration' | 'attribute-values';

export interface InvariantCandidate {
  /** Stable for the same kind and subject, e.g. `co-occurrence:api GET /a→db query`. */
  id: string;
  kind: InvariantKind;
  /** The invariant in words. */
  description: string;
  subject: SpanKey;
  /** The second span kind (co-occurrence and ordering). */
  object?: SpanKey;
  /** What support counts: traces (co-occurrence, ordering) or spans (duration, attribute values). */
  unit: 'traces' | 'spans';
  /** Traces with the subject, or its spans. */
  support: number;
  /** Of those, how many satisfy the invariant. */
  holding: number;
  /** holding / support. */
  confidence: number;
  /**
   * Co-occurrence and ordering: confidence / share of all traces having B.
   * Near 1 means B is everywhere anyway (a weak invariant); higher means A
   * really implies B. Null for the other kinds.
   */
  lift: number | null;
  /** Trace ids where the invariant holds (up to maxExamples). */
  examples: string[];
  /** Trace ids that violate it (up to maxExamples). */
  counterExamples: string[];
  /** A rule that fires on a trace violating the invariant; compiles with compileRule. */
  dsl: string;
  duration?: { quantile: number; level: number; boundMs: number; samples: number; observedMaxMs: number };
  attribute?: { key: string; values: Array<string | number | boolean>; otherCount: number };
}

export interface InvariantMiningOptions {
  /** Least support for a candidate (traces, or spans for duration and attribute candidates). */
  minSupport: number;
  /** Least confidence in [0, 1]; candidates below are never proposed. */
  minConfidence: number;
  /** Span kinds tracked at most. */
  maxSpanKinds: number;
  /** Distinct values tracked per attribute key; an enumeration has at most this many values. */
  maxAttributeValues: number;
  /** Attribute keys tracked per span kind. */
  maxAttributeKeys: number;
  /** Duration samples kept per span kind (reservoir). */
  maxDurationSamples: number;
  /** Quantile of the duration bound, e.g. 0.999. */
  durationQuantile: number;
  /** Confidence level of the duration bound, e.g. 0.95. */
  durationLevel: number;
  maxExamples: number;
  /** Most candidates returned (highest confidence, then support, first). */
  maxCandidates: number;
  kinds: readonly InvariantKind[];
}

export const DEFAULT_INVARIANT_MINING_OPTIONS: InvariantMiningOptions = {
  minSupport: 20,
  minConfidence: 0.99,
  maxSpanKinds: 200,
  maxAttributeValues: 10,
  maxAttributeKeys: 32,
  maxDurationSamples: 20_000,
  durationQuantile: 0.999,
  durationLevel: 0.95,
  maxExamples: 3,
  maxCandidates: 200,
  kinds: ['co-occurrence', 'ordering', 'duration', 'attribute-values'],
};

export interface InvariantMiningStats {
  traces: number;
  spans: number;
  spanKinds: number;
  /** Spans of kinds beyond maxSpanKinds, not analysed. */
  droppedSpans: number;
  /** Candidates that met the thresholds, before maxCandidates. */
  qualified: number;
}

type Primitive = string | number | boolean;

interface AttributeTally {
  values: Map<Primitive, number>;
  total: number;
  /** More distinct values than tracked: no enumeration. */
  overflow: boolean;
  counterExamples: Map<Primitive, string[]>;
  examples: string[];
}

interface KindTally {
  key: SpanKey;
  traces: number;
  spans: number;
  examples: string[];
  durations: number[];
  /** Trace ids of the longest spans, longest first (counter-examples of a duration bound). */
  longest: Array<{ duration: number; traceId: string }>;
  attributes: Map<string, AttributeTally>;
}

function pushCapped<T>(list: T[], item: T, cap: number): void {
  if (list.length < cap && !list.includes(item)) list.push(item);
}

/** Rounds up to two significant digits (a bound rounded up stays a bound). */
function roundUp(ms: number): number {
  if (ms <= 0) return 0;
  const magnitude = 10 ** (Math.floor(Math.log10(ms)) - 1);
  return Math.ceil(ms / magnitude - 1e-9) * magnitude;
}

function isPrimitive(v: unknown): v is Primitive {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Mines candidates from traces added one at a time (`addTrace`), within fixed memory. */
export class InvariantMiner {
  readonly options: InvariantMiningOptions;
  private readonly kinds: KindTally[] = [];
  private readonly kindIndex = new Map<string, number>();
  /** both[a * max + b]: traces with a and b. */
  private readonly both: Uint32Array;
  /** ordered[a * max + b]: traces where some b starts at or after the end of some a. */
  private readonly ordered: Uint32Array;
  /** partners[a]: kinds b that ever appeared in a trace with a. */
  private readonly partners: number[][] = [];
  private readonly pairExamples = new Map<number, string[]>();
  private readonly pairCounterExamples = new Map<number, string[]>();
  private readonly orderCounterExamples = new Map<number, string[]>();
  private readonly random: () => number;
  private traces = 0;
  private spans = 0;
  private droppedSpans = 0;

  constructor(options: Partial<InvariantMiningOptions> = {}) {
    this.options = { ...DEFAULT_INVARIANT_MINING_OPTIONS, ...options };
    const { minConfidence, maxSpanKinds } = this.options;
    if (!(minConfidence > 0 && minConfidence <= 1)) throw new RangeError('minConfidence must be in (0, 1]');
    if (!(this.options.durationQuantile > 0 && this.options.durationQuantile < 1)) throw new RangeError('durationQuantile must be in (0, 1)');
    this.both = new Uint32Array(maxSpanKinds * maxSpanKinds);
    this.ordered = new Uint32Array(maxSpanKinds * maxSpanKinds);
    this.random = seededRandom(0x5eed);
  }

  private kindOf(span: Span): number {
    const key: SpanKey = { service: span.service ?? null, name: span.name };
    const id = spanKeyId(key);
    const known = this.kindIndex.get(id);
    if (known !== undefined) return known;
    if (this.kinds.length >= this.options.maxSpanKinds) return -1;
    const index = this.kinds.length;
    this.kinds.push({ key, traces: 0, spans: 0, examples: [], durations: [], longest: [], attributes: new Map() });
    this.partners.push([]);
    this.kindIndex.set(id, index);
    return index;
  }

  /** Adds one assembled trace (all its spans). */
  addTrace(spans: readonly Span[]): void {
    if (spans.length === 0) return;
    const traceId = spans[0].traceId;
    const { maxExamples, maxDurationSamples, maxAttributeKeys, maxAttributeValues, maxSpanKinds } = this.options;
    this.traces++;
    this.spans += spans.length;
    // Per kind in this trace: earliest end and latest start (enough to decide "some b starts after some a ends").
    const present = new Map<number, { minEnd: number; maxStart: number }>();
    for (const span of spans) {
      const k = this.kindOf(span);
      if (k < 0) { this.droppedSpans++; continue; }
      const tally = this.kinds[k];
      tally.spans++;
      const seen = present.get(k);
      if (seen) {
        seen.minEnd = Math.min(seen.minEnd, span.endTime);
        seen.maxStart = Math.max(seen.maxStart, span.startTime);
      } else {
        present.set(k, { minEnd: span.endTime, maxStart: span.startTime });
      }
      // Durations: reservoir sampling (Algorithm R) with a seeded generator.
      if (tally.durations.length < maxDurationSamples) tally.durations.push(span.duration);
      else {
        const j = Math.floor(this.random() * tally.spans);
        if (j < maxDurationSamples) tally.durations[j] = span.duration;
      }
      if (tally.longest.length < maxExamples || span.duration > tally.longest[tally.longest.length - 1].duration) {
        if (!tally.longest.some((l) => l.traceId === traceId)) {
          tally.longest.push({ duration: span.duration, traceId });
          tally.longest.sort((a, b) => b.duration - a.duration);
          if (tally.longest.length > maxExamples) tally.longest.pop();
        }
      }
      for (const key of Object.keys(span.attributes)) {
        let a = tally.attributes.get(key);
        if (!a) {
          if (tally.attributes.size >= maxAttributeKeys) continue;
          a = { values: new Map(), total: 0, overflow: false, counterExamples: new Map(), examples: [] };
          tally.attributes.set(key, a);
        }
        const value = span.attributes[key];
        a.total++;
        if (a.overflow) continue;
        if (!isPrimitive(value)) { a.overflow = true; a.values.clear(); a.counterExamples.clear(); continue; }
        const count = a.values.get(value);
        if (count !== undefined) a.values.set(value, count + 1);
        else if (a.values.size >= maxAttributeValues * 2) { a.overflow = true; a.values.clear(); a.counterExamples.clear(); continue; }
        else a.values.set(value, 1);
        let traces = a.counterExamples.get(value);
        if (!traces) { traces = []; a.counterExamples.set(value, traces); }
        pushCapped(traces, traceId, maxExamples);
        pushCapped(a.examples, traceId, maxExamples);
      }
    }
    for (const [a, sa] of present) {
      const tally = this.kinds[a];
      tally.traces++;
      pushCapped(tally.examples, traceId, maxExamples);
      const partners = this.partners[a];
      for (const [b, sb] of present) {
        if (b === a) continue;
        const slot = a * maxSpanKinds + b;
        if (this.both[slot]++ === 0) partners.push(b);
        let examples = this.pairExamples.get(slot);
        if (!examples) { examples = []; this.pairExamples.set(slot, examples); }
        pushCapped(examples, traceId, maxExamples);
        if (sb.maxStart >= sa.minEnd) this.ordered[slot]++;
        else {
          let list = this.orderCounterExamples.get(slot);
          if (!list) { list = []; this.orderCounterExamples.set(slot, list); }
          pushCapped(list, traceId, maxExamples);
        }
      }
      // Counter-examples are only worth keeping for pairs that co-occur at all (the partners seen before this trace).
      for (const b of partners) {
        if (present.has(b)) continue;
        const slot = a * maxSpanKinds + b;
        let list = this.pairCounterExamples.get(slot);
        if (!list) { list = []; this.pairCounterExamples.set(slot, list); }
        pushCapped(list, traceId, maxExamples);
      }
    }
  }

  stats(): InvariantMiningStats {
    return { traces: this.traces, spans: this.spans, spanKinds: this.kinds.length, droppedSpans: this.droppedSpans, qualified: this.candidatesUnbounded().length };
  }

  /** The candidates meeting minSupport and minConfidence, highest confidence first, at most maxCandidates. */
  candidates(): InvariantCandidate[] {
    return this.candidatesUnbounded().slice(0, this.options.maxCandidates);
  }

  private candidatesUnbounded(): InvariantCandidate[] {
    const o = this.options;
    const out: InvariantCandidate[] = [];
    const want = new Set(o.kinds);
    const qualifies = (support: number, holding: number) => support >= o.minSupport && holding / support >= o.minConfidence;
    for (let a = 0; a < this.kinds.length; a++) {
      const ta = this.kinds[a];
      for (let b = 0; b < this.kinds.length; b++) {
        if (a === b) continue;
        const tb = this.kinds[b];
        const slot = a * o.maxSpanKinds + b;
        const both = this.both[slot];
        if (want.has('co-occurrence') && qualifies(ta.traces, both)) {
          out.push({
            id: `co-occurrence:${formatSpanKey(ta.key)}→${formatSpanKey(tb.key)}`,
            kind: 'co-occurrence',
            description: `every trace with ${formatSpanKey(ta.key)} also has ${formatSpanKey(tb.key)}`,
            subject: ta.key, object: tb.key, unit: 'traces',
            support: ta.traces, holding: both, confidence: both / ta.traces, lift: (both / ta.traces) / (tb.traces / this.traces),
            examples: [...(this.pairExamples.get(slot) ?? [])],
            counterExamples: [...(this.pairCounterExamples.get(slot) ?? [])],
            dsl: `${hasSpan(ta.key)}.and(trace.missing(span => ${spanKeyCondition(tb.key)}))`,
          });
        }
        const ordered = this.ordered[slot];
        if (want.has('ordering') && qualifies(ta.traces, ordered)) {
          // A trace without B violates "A is followed by B" too.
          const counter = [...(this.orderCounterExamples.get(slot) ?? []), ...(this.pairCounterExamples.get(slot) ?? [])].slice(0, o.maxExamples);
          out.push({
            id: `ordering:${formatSpanKey(ta.key)}→${formatSpanKey(tb.key)}`,
            kind: 'ordering',
            description: `${formatSpanKey(ta.key)} is always followed by ${formatSpanKey(tb.key)} (starting after it ends)`,
            subject: ta.key, object: tb.key, unit: 'traces',
            support: ta.traces, holding: ordered, confidence: ordered / ta.traces, lift: (ordered / ta.traces) / (tb.traces / this.traces),
            examples: [...(this.pairExamples.get(slot) ?? [])],
            counterExamples: counter,
            dsl: `${hasSpan(ta.key)}.and(trace.not(${hasSpan(ta.key)}.followedBy(${hasSpan(tb.key)})))`,
          });
        }
      }
      if (want.has('duration')) {
        const d = this.durationCandidate(ta);
        if (d) out.push(d);
      }
      if (want.has('attribute-values')) {
        for (const [key, tally] of ta.attributes) {
          const c = this.attributeCandidate(ta, key, tally);
          if (c) out.push(c);
        }
      }
    }
    out.sort((x, y) => y.confidence - x.confidence || y.support - x.support || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return out;
  }

  private durationCandidate(t: KindTally): InvariantCandidate | null {
    const o = this.options;
    const n = t.durations.length;
    if (t.spans < o.minSupport || n === 0) return null;
    const rank = quantileUpperBoundRank(n, o.durationQuantile, o.durationLevel);
    if (rank === null) return null;
    const sorted = Float64Array.from(t.durations).sort();
    const bound = roundUp(sorted[rank - 1]);
    let holding = 0;
    for (const d of sorted) if (d <= bound) holding++;
    const confidence = holding / n;
    if (confidence < o.minConfidence) return null;
    const pct = `p${(o.durationQuantile * 100).toFixed(4).replace(/\.?0+$/, '')}`;
    return {
      id: `duration:${formatSpanKey(t.key)}`,
      kind: 'duration',
      description: `${formatSpanKey(t.key)} takes at most ${bound} ms at ${pct} (upper bound at ${Math.round(o.durationLevel * 100)} % confidence from ${n} samples)`,
      subject: t.key, unit: 'spans',
      support: n, holding, confidence, lift: null,
      examples: t.examples.slice(0, o.maxExamples),
      counterExamples: t.longest.filter((l) => l.duration > bound).map((l) => l.traceId),
      dsl: hasSpan(t.key, `span.duration > ${literal(bound)}`),
      duration: { quantile: o.durationQuantile, level: o.durationLevel, boundMs: bound, samples: n, observedMaxMs: sorted[n - 1] },
    };
  }

  private attributeCandidate(t: KindTally, key: string, a: AttributeTally): InvariantCandidate | null {
    const o = this.options;
    if (a.overflow || a.total < o.minSupport) return null;
    // Most frequent values first; take values until the threshold is covered.
    const ranked = [...a.values.entries()].sort((x, y) => y[1] - x[1] || (String(x[0]) < String(y[0]) ? -1 : 1));
    const values: Primitive[] = [];
    let covered = 0;
    for (const [value, count] of ranked) {
      if (covered / a.total >= o.minConfidence) break;
      values.push(value);
      covered += count;
    }
    // A key with as many values as spans is an identifier, not an enumeration.
    if (values.length > o.maxAttributeValues || values.length >= a.total / 2) return null;
    const confidence = covered / a.total;
    if (confidence < o.minConfidence) return null;
    const keep = new Set(values);
    const counterExamples: string[] = [];
    for (const [value, traces] of a.counterExamples) if (!keep.has(value)) for (const id of traces) pushCapped(counterExamples, id, o.maxExamples);
    const read = `span.attributes[${literal(key)}]`;
    const outside = values.map((v) => `${read} !== ${literal(v)}`).join(' && ');
    const shown = [...values].sort((x, y) => (String(x) < String(y) ? -1 : 1));
    return {
      id: `attribute-values:${formatSpanKey(t.key)}:${key}`,
      kind: 'attribute-values',
      description: `attribute ${key} of ${formatSpanKey(t.key)} is always one of ${shown.map((v) => literal(v)).join(', ')}`,
      subject: t.key, unit: 'spans',
      support: a.total, holding: covered, confidence, lift: null,
      examples: a.examples.slice(0, o.maxExamples),
      counterExamples,
      dsl: hasSpan(t.key, `${read} !== undefined && ${outside}`),
      attribute: { key, values: shown, otherCount: a.total - covered },
    };
  }
}

/** Mines candidates from a set of assembled traces (each an array of its spans). */
export function mineInvariants(traces: Iterable<readonly Span[]>, options: Partial<InvariantMiningOptions> = {}): { candidates: InvariantCandidate[]; stats: InvariantMiningStats } {
  const miner = new InvariantMiner(options);
  for (const spans of traces) miner.addTrace(spans);
  return { candidates: miner.candidates(), stats: miner.stats() };
}
