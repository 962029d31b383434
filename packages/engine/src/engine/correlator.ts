/**
 * The correlator: rules across traces (`traces.by(keyFn) ... .within(d)`).
 *
 * Spans arrive in any order and batches, across traces. For every correlated
 * rule, each span whose key function yields a key joins that key's group; a
 * window over the group is a time range [t, t + d] of span start times, and
 * the rule's condition (the rule without its outer `within`) is evaluated on
 * the group's spans inside it, exactly as a per-trace condition is evaluated
 * on a trace: `has`, `count`, `followedBy` and also `missing`, `not` and
 * `where` look only inside the window.
 *
 * Windows (the semantics; `evaluateCorrelatedRule` states them as a batch
 * evaluation, the test oracle):
 * - Candidate windows start at the start time t of each span matching an
 *   opener (has/count clauses not under not/missing). They are tried in
 *   order of t: the first whose condition holds raises a signal, and then no
 *   window opens at or before its end t + d; the next candidate after it
 *   starts sliding again. So a key gets one signal per window, never one per
 *   trace or per span.
 *
 * Time (event time is span start time, decisions follow a watermark):
 * - The watermark of a key is `latest start time seen for the key + clock
 *   time since the key last received a span - allowedLatenessMs`, never
 *   moving back. It follows the spans while they flow and the clock when the
 *   key is quiet, so recorded traffic replayed with old timestamps is decided
 *   too.
 * - A window [t, t + d] is decided when the watermark passes t + d (for
 *   rules using missing/not/count < ..., the absence is decided then). A
 *   monotone rule (only has, count >/>=, and, or, followedBy) fires as soon
 *   as its window holds and the watermark has passed t, i.e. no earlier
 *   window can still appear.
 * - A span starting before the watermark of its key is late: it is dropped
 *   and counted (`spansLate`). A span inside a window already decided (one
 *   that fired early) can join no window to come: it is dropped and counted
 *   (`spansInDecidedWindows`). Spans that
 *   arrive within the allowed lateness of the latest span of their key are
 *   never late, so the streaming result equals the batch one.
 * - A key whose spans all fell behind its decided range is expired: its state
 *   is deleted (`keysExpired`). A span arriving for it afterwards starts a new
 *   group.
 *
 * Bounds (documented in docs/dsl.md; every hit is counted):
 * - Only spans some predicate of the rule matches are kept (all keyed spans
 *   for rules using where, whose views include descendants), as private
 *   copies (the correlator links them per trace inside a window without
 *   touching the detector's spans).
 * - `maxSpansPerKey`: beyond it the key's earliest span is evicted
 *   (`spansEvicted`).
 * - `maxKeys` across rules: beyond it the least recently active key is
 *   decided at once with the spans it holds, like a trace forced out of the
 *   detector, and deleted (`keysEvicted`).
 *
 * Signal ids derive from the rule id, the key and the window start
 * (`correlatedSignalId`): replaying the same spans (a restart rebuilding its
 * state from stored traces) gives the same ids, so stores keep one signal.
 *
 * Pure: no I/O, no clock read (callers pass `now`), deterministic given the
 * inputs.
 */
import { copySpan, type Span } from '../trace/span.js';
import { linkSpans } from '../trace/linkSpans.js';
import type { CompiledRule } from './rule.js';
import type { CorrelationSpec } from '../dsl/compileCorrelation.js';
import { correlatedSignalId, type Signal } from './signal.js';
import type { Detection } from './detection.js';
import { evaluateCondition, type Outcome, type TraceMatches } from './evaluateCondition.js';
import { DetectorClosedError } from './detector.js';
import { formatDuration } from '../dsl/duration.js';

export interface CorrelatorOptions {
  /** How far behind the latest span of its key a span may start and still count; windows close this long after their end. */
  allowedLatenessMs: number;
  /** Keys held across all correlated rules. */
  maxKeys: number;
  /** Spans held per rule and key. */
  maxSpansPerKey: number;
}

export const DEFAULT_CORRELATOR_OPTIONS: Readonly<CorrelatorOptions> = Object.freeze({
  allowedLatenessMs: 10_000,
  maxKeys: 100_000,
  maxSpansPerKey: 1_000,
});

export interface CorrelatorStats {
  rules: number;
  keys: number;
  spansHeld: number;
  /** spans kept for some rule and key (a span kept by two rules counts twice) */
  spansCorrelated: number;
  spansDuplicate: number;
  spansLate: number;
  /** spans starting inside a window already decided (typically one that fired early): they can change nothing */
  spansInDecidedWindows: number;
  spansEvicted: number;
  keysEvicted: number;
  keysExpired: number;
  windowsDecided: number;
  evaluationErrors: number;
  /** key functions that threw (the span took no part) */
  keyErrors: number;
  signals: number;
}

interface RuleEntry {
  rule: CompiledRule;
  spec: CorrelationSpec;
  /** Index of the rule's key function among the distinct ones (KeyGroup). */
  keyGroup: number;
}

/**
 * Rules whose key functions are the same (same generated source): a span's
 * key is computed once for all of them. A thousand rules over a few keys
 * (user, session, card) cost a few key computations per span, not a thousand.
 */
interface KeyGroup {
  /** the first rule's spec: its keyOf computes the key */
  spec: CorrelationSpec;
  /** the other rules' specs: their error counters follow the first one's */
  others: CorrelationSpec[];
}

interface HeldSpan {
  span: Span;
  /** predicate index → matched */
  matches: Uint8Array;
  opener: boolean;
}

interface KeyState {
  id: string;
  entry: RuleEntry;
  key: string;
  /** start-time order (ties: trace id, span id) */
  spans: HeldSpan[];
  ids: Set<string>;
  maxStart: number;
  lastArrival: number;
  watermark: number;
  /** Spans starting at or before this are decided (dropped, late when they arrive). */
  frontier: number;
  /** Bumped when a span is kept: a monotone window found not holding is evaluated again only after a change. */
  version: number;
  /** The window start and version of the last monotone evaluation that did not hold. */
  checked: { t: number; version: number } | null;
  /** Clock time until which a tick cannot change anything for the key (its watermark stays below the next threshold). */
  wakeAt: number;
}

function compareSpans(a: Span, b: Span): number {
  return a.startTime - b.startTime || (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0) || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);
}

export class Correlator {
  readonly options: CorrelatorOptions;
  private rules: RuleEntry[] = [];
  private keyGroups: KeyGroup[] = [];
  /** See arrivalAttributeKeys. */
  private arrivalKeys: ReadonlySet<string> = new Set();
  /** `${ruleId}\0${key}` → state; insertion order is activity order. */
  private readonly keys = new Map<string, KeyState>();
  private held = 0;
  private closed = false;
  private readonly counters = {
    spansCorrelated: 0, spansDuplicate: 0, spansLate: 0, spansInDecidedWindows: 0, spansEvicted: 0, keysEvicted: 0, keysExpired: 0,
    windowsDecided: 0, evaluationErrors: 0, signals: 0,
  };

  constructor(options: Partial<CorrelatorOptions> = {}) {
    this.options = { ...DEFAULT_CORRELATOR_OPTIONS, ...options };
    for (const [key, value] of Object.entries(this.options)) {
      if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`Correlator option ${key} must be a non-negative number, got ${String(value)}`);
    }
    if (this.options.maxKeys < 1 || this.options.maxSpansPerKey < 1) throw new RangeError('Correlator options maxKeys and maxSpansPerKey must be at least 1');
  }

  /**
   * Replaces the rule set; only correlated rules are taken (the others are
   * the detector's). The state of a rule whose id and text are unchanged is kept.
   */
  setRules(rules: readonly CompiledRule[]): void {
    const entries: RuleEntry[] = [];
    const groups: KeyGroup[] = [];
    const groupBySource = new Map<string, number>();
    for (const rule of rules) {
      const spec = rule.condition.correlation;
      if (spec === undefined) continue;
      let keyGroup = groupBySource.get(spec.keySource);
      if (keyGroup === undefined) {
        keyGroup = groups.length;
        groupBySource.set(spec.keySource, keyGroup);
        groups.push({ spec, others: [] });
      } else {
        groups[keyGroup].others.push(spec);
      }
      entries.push({ rule, spec, keyGroup });
    }
    this.keyGroups = groups;
    const arrivalKeys = new Set<string>();
    for (const { spec } of entries) for (const key of spec.attributeKeys) arrivalKeys.add(key);
    this.arrivalKeys = arrivalKeys;
    const byId = new Map(entries.map((e) => [e.rule.id, e]));
    for (const [id, state] of this.keys) {
      const next = byId.get(state.entry.rule.id);
      if (next === undefined || next.rule.condition.text !== state.entry.rule.condition.text) this.drop(id, state);
      else state.entry = next;
    }
    this.rules = entries;
  }

  /**
   * The attribute keys its rules' key functions and predicates read by name:
   * ingest() reads them of every span it is given (Detector.arrivalAttributeKeys).
   */
  arrivalAttributeKeys(): ReadonlySet<string> {
    return this.arrivalKeys;
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /** The longest window of the correlated rules (ms): how far back a restart must replay spans. */
  get longestWindowMs(): number {
    return this.rules.reduce((max, e) => Math.max(max, e.spec.windowMs), 0);
  }

  /** Takes spans (any traces, any order); returns the signals decided by them. Throws DetectorClosedError after close(). */
  ingest(spans: readonly Span[], now: number): Detection[] {
    if (this.closed) throw new DetectorClosedError();
    const detections: Detection[] = [];
    if (this.rules.length === 0) return detections;
    const touched = new Set<KeyState>();
    const groups = this.keyGroups;
    const keys: Array<string | null> = new Array(groups.length);
    for (const span of spans) {
      let anyKey = false;
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g];
        const errors = group.spec.keyState.errors;
        keys[g] = group.spec.keyOf(span);
        if (keys[g] !== null) anyKey = true;
        // Each rule counts its key function's errors, as if it had computed the key itself.
        if (group.spec.keyState.errors !== errors) for (const other of group.others) other.keyState.errors++;
      }
      if (!anyKey) continue;
      for (const entry of this.rules) {
        const key = keys[entry.keyGroup];
        if (key === null) continue;
        const predicates = entry.rule.condition.predicates;
        const matches = new Uint8Array(predicates.length);
        let any = false;
        for (let p = 0; p < predicates.length; p++) if ((matches[p] = predicates[p].fn(span) ? 1 : 0)) any = true;
        if (!any && !entry.spec.usesViews) continue; // matches nothing: cannot change any window
        const state = this.open(entry, key, now, detections);
        const id = `${span.traceId}:${span.spanId}`;
        if (state.ids.has(id)) { this.counters.spansDuplicate++; continue; }
        if (span.startTime < state.watermark) { this.counters.spansLate++; continue; }
        // Inside a window already decided (e.g. after an early signal): it can join no window to come.
        if (span.startTime <= state.frontier) { this.counters.spansInDecidedWindows++; continue; }
        const opener = entry.spec.openers.some((p) => matches[p] === 1);
        // A copy without links or request bytes: a window may outlive the trace and its request by minutes.
        this.insert(state, { span: copySpan(span, { parent: null, children: [], source: null }), matches, opener });
        state.ids.add(id);
        if (span.startTime > state.maxStart) state.maxStart = span.startTime;
        state.lastArrival = now;
        this.counters.spansCorrelated++;
        touched.add(state);
      }
    }
    for (const state of touched) {
      if (this.keys.get(state.id) !== state) continue; // evicted while the batch was read
      this.decide(state, now, false, detections);
    }
    return detections;
  }

  /** Advances every key's watermark by the clock: decides closed windows and expires keys. */
  tick(now: number): Detection[] {
    const detections: Detection[] = [];
    for (const state of [...this.keys.values()]) {
      if (now <= state.wakeAt) continue;
      this.decide(state, now, false, detections);
    }
    return detections;
  }

  /** Decides every open window with the spans held (end of input) and forgets all keys. Stays open. */
  flush(now: number): Detection[] {
    const detections: Detection[] = [];
    for (const state of [...this.keys.values()]) this.decide(state, now, true, detections);
    return detections;
  }

  /**
   * Stops, dropping open windows undecided: a server restarting rebuilds them
   * from stored traces rather than deciding absence early. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keys.clear();
    this.held = 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): CorrelatorStats {
    return {
      rules: this.rules.length,
      keys: this.keys.size,
      spansHeld: this.held,
      ...this.counters,
      keyErrors: this.rules.reduce((sum, e) => sum + e.spec.keyState.errors, 0),
    };
  }

  private open(entry: RuleEntry, key: string, now: number, detections: Detection[]): KeyState {
    const id = `${entry.rule.id}\u0000${key}`;
    let state = this.keys.get(id);
    if (state !== undefined) {
      this.keys.delete(id); // re-insert: most recently active last
      this.keys.set(id, state);
      return state;
    }
    for (const [oldId, old] of this.keys) {
      if (this.keys.size < this.options.maxKeys) break;
      this.decide(old, now, true, detections);
      if (this.keys.has(oldId)) this.drop(oldId, old);
      this.counters.keysEvicted++;
    }
    state = { id, entry, key, spans: [], ids: new Set(), maxStart: -Infinity, lastArrival: now, watermark: -Infinity, frontier: -Infinity, version: 0, checked: null, wakeAt: -Infinity };
    this.keys.set(id, state);
    return state;
  }

  private drop(id: string, state: KeyState): void {
    this.keys.delete(id);
    this.held -= state.spans.length;
  }

  private insert(state: KeyState, held: HeldSpan): void {
    const list = state.spans;
    let i = list.length;
    while (i > 0 && compareSpans(list[i - 1].span, held.span) > 0) i--;
    list.splice(i, 0, held);
    state.version++;
    this.held++;
    if (list.length > this.options.maxSpansPerKey) {
      const evicted = list.shift()!;
      state.ids.delete(`${evicted.span.traceId}:${evicted.span.spanId}`);
      this.held--;
      this.counters.spansEvicted++;
    }
  }

  /** Decides what the key's watermark allows (everything when `final`), prunes decided spans, expires the key when empty. */
  private decide(state: KeyState, now: number, final: boolean, detections: Detection[]): void {
    const { allowedLatenessMs } = this.options;
    const w = final ? Infinity : state.maxStart + Math.max(0, now - state.lastArrival) - allowedLatenessMs;
    if (w > state.watermark) state.watermark = w;
    const watermark = state.watermark;
    const { windowMs } = state.entry.spec;
    const monotone = state.entry.rule.condition.monotone;
    let firstOpen = Infinity;
    for (;;) {
      const opener = state.spans.find((h) => h.opener && h.span.startTime > state.frontier);
      if (opener === undefined) break;
      const t = opener.span.startTime;
      const closed = watermark > t + windowMs;
      if (!closed && !(monotone && watermark > t)) { firstOpen = t; break; }
      if (!closed && state.checked !== null && state.checked.t === t && state.checked.version === state.version) { firstOpen = t; break; }
      const outcome = this.evaluate(state, t);
      if (outcome !== null) {
        this.counters.windowsDecided++;
        detections.push(this.signal(state, opener.span, outcome, now));
        state.frontier = t + windowMs;
      } else if (closed) {
        this.counters.windowsDecided++;
        state.frontier = t;
      } else {
        firstOpen = t; // monotone, not yet holding: wait for more spans or the window's end
        state.checked = { t, version: state.version };
        break;
      }
    }
    // Spans before the first undecided window and behind the watermark can join no future window.
    const keepFrom = Math.min(firstOpen, watermark);
    let cut = 0;
    while (cut < state.spans.length && (state.spans[cut].span.startTime <= state.frontier || state.spans[cut].span.startTime < keepFrom)) cut++;
    if (cut > 0) {
      for (const h of state.spans.slice(0, cut)) state.ids.delete(`${h.span.traceId}:${h.span.spanId}`);
      state.spans.splice(0, cut);
      this.held -= cut;
    }
    // Expire only once no span that is not late could fall into the decided range.
    if ((state.spans.length === 0 && watermark > state.frontier) || final) {
      if (this.keys.get(state.id) === state) {
        this.drop(state.id, state);
        if (!final) this.counters.keysExpired++;
      }
      return;
    }
    // The next watermark a tick must reach to change something: the open window's start (a monotone
    // rule may fire) or end (it closes), else past every held span (the key expires).
    let threshold: number;
    if (firstOpen !== Infinity) threshold = monotone && watermark <= firstOpen ? firstOpen : firstOpen + windowMs;
    else threshold = Math.max(state.frontier, state.spans.length > 0 ? state.spans[state.spans.length - 1].span.startTime : -Infinity);
    const wakeAt = threshold - state.maxStart + allowedLatenessMs + state.lastArrival;
    state.wakeAt = Number.isFinite(wakeAt) ? wakeAt : -Infinity;
  }

  /** The condition on the key's spans starting in [t, t + window]: its outcome over those spans, or null when it does not hold. */
  private evaluate(state: KeyState, t: number): { outcome: Outcome; spans: Span[]; matches: Uint8Array[] } | null {
    const end = t + state.entry.spec.windowMs;
    const inWindow = state.spans.filter((h) => h.span.startTime >= t && h.span.startTime <= end);
    // Link per trace (parent/children for where views), on the correlator's own copies.
    const byTrace = new Map<string, Span[]>();
    for (const h of inWindow) {
      let list = byTrace.get(h.span.traceId);
      if (list === undefined) byTrace.set(h.span.traceId, (list = []));
      list.push(h.span);
    }
    for (const list of byTrace.values()) linkSpans(list);
    const spans = inWindow.map((h) => h.span);
    const matches = inWindow.map((h) => h.matches);
    const trace: TraceMatches = {
      spans,
      matches(pred: number): Uint8Array {
        const out = new Uint8Array(spans.length);
        for (let i = 0; i < spans.length; i++) out[i] = matches[i][pred];
        return out;
      },
    };
    try {
      const outcome = evaluateCondition({ ...state.entry.rule.condition, root: state.entry.spec.condition }, trace);
      return outcome.holds ? { outcome, spans, matches } : null;
    } catch {
      this.counters.evaluationErrors++;
      return null;
    }
  }

  private signal(state: KeyState, opener: Span, result: { outcome: Outcome; spans: Span[] }, now: number): Detection {
    const { rule, spec } = state.entry;
    const { spans, outcome } = result;
    const witnesses = [...new Set(outcome.witnesses)].sort((a, b) => a - b).map((i) => spans[i]);
    const involved = witnesses.length > 0 ? witnesses : spans;
    const traceIds = [...new Set(involved.map((s) => s.traceId))];
    let first = Infinity;
    let last = -Infinity;
    for (const s of spans) {
      if (s.startTime < first) first = s.startTime;
      if (s.endTime > last) last = s.endTime;
    }
    const services = [...new Set(witnesses.map((w) => w.service).filter((s): s is string => typeof s === 'string'))];
    this.counters.signals++;
    const signal: Signal = {
      id: correlatedSignalId(rule.id, state.key, opener.startTimeUnixNano),
      ruleId: rule.id,
      ruleName: rule.name,
      ruleVersion: rule.version,
      severity: rule.severity,
      mode: rule.mode,
      traceId: traceIds[0],
      spanIds: witnesses.map((w) => w.spanId),
      message: describe(rule.name, state.key, witnesses, traceIds.length, spec.windowMs),
      detectedAt: now,
      firstSpanTime: first,
      lastSpanTime: last,
      services,
      traceIds,
      correlationKey: state.key,
      windowStart: opener.startTime,
      windowEnd: opener.startTime + spec.windowMs,
    };
    return { signal, spans: spans.slice() };
  }
}

function describe(ruleName: string, key: string, witnesses: Span[], traces: number, windowMs: number): string {
  const counts = new Map<string, number>();
  for (const w of witnesses) counts.set(w.name, (counts.get(w.name) ?? 0) + 1);
  const names = [...counts].slice(0, 4).map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
  if (counts.size > 4) names.push(`${counts.size - 4} more`);
  const shownKey = key.length > 80 ? `${key.slice(0, 77)}...` : key;
  const what = witnesses.length > 0 ? `${witnesses.length} witness span${witnesses.length === 1 ? '' : 's'} (${names.join(', ')})` : 'the pattern holds';
  return `${ruleName}: key ${shownKey}: ${what} across ${traces} trace${traces === 1 ? '' : 's'} within ${formatDuration(windowMs)}`;
}

/**
 * Evaluates a correlated rule over all spans at once (POST /rules/test): the
 * semantics stated as a batch evaluation, and the test oracle of the
 * streaming Correlator (same windows, same ids). Spans sent twice count once.
 */
export function evaluateCorrelatedRule(rule: CompiledRule, spans: readonly Span[]): Array<{ key: string; windowStart: number; id: string; spanIds: string[]; traceIds: string[] }> {
  const spec = rule.condition.correlation;
  if (spec === undefined) throw new Error(`rule ${rule.id} is not correlated`);
  const groups = new Map<string, Span[]>();
  const seen = new Set<string>();
  for (const span of spans) {
    const key = spec.keyOf(span);
    if (key === null) continue;
    const id = `${span.traceId}:${span.spanId}`;
    if (seen.has(`${key}\u0000${id}`)) continue;
    seen.add(`${key}\u0000${id}`);
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(copySpan(span, { parent: null, children: [] }));
  }
  const out: Array<{ key: string; windowStart: number; id: string; spanIds: string[]; traceIds: string[] }> = [];
  for (const key of [...groups.keys()].sort()) {
    const group = groups.get(key)!.sort(compareSpans);
    const predicates = rule.condition.predicates;
    const isOpener = (s: Span) => spec.openers.some((p) => predicates[p].fn(s));
    let frontier = -Infinity;
    for (const opener of group) {
      const t = opener.startTime;
      if (t <= frontier || !isOpener(opener)) continue;
      const inWindow = group.filter((s) => s.startTime >= t && s.startTime <= t + spec.windowMs);
      const byTrace = new Map<string, Span[]>();
      for (const s of inWindow) {
        let list = byTrace.get(s.traceId);
        if (list === undefined) byTrace.set(s.traceId, (list = []));
        list.push(s);
      }
      for (const list of byTrace.values()) linkSpans(list);
      const trace: TraceMatches = {
        spans: inWindow,
        matches: (pred) => Uint8Array.from(inWindow, (s) => (predicates[pred].fn(s) ? 1 : 0)),
      };
      const outcome = evaluateCondition({ ...rule.condition, root: spec.condition }, trace);
      if (!outcome.holds) { frontier = t; continue; }
      const witnesses = [...new Set(outcome.witnesses)].sort((a, b) => a - b).map((i) => inWindow[i]);
      const involved = witnesses.length > 0 ? witnesses : inWindow;
      out.push({
        key,
        windowStart: t,
        id: correlatedSignalId(rule.id, key, opener.startTimeUnixNano),
        spanIds: witnesses.map((w) => w.spanId),
        traceIds: [...new Set(involved.map((s) => s.traceId))],
      });
      frontier = t + spec.windowMs;
    }
  }
  return out;
}
