import type { Severity, RuleMode } from './rule.js';

/**
 * A signal: a rule's pattern was found in a trace. The witnesses (`spanIds`)
 * are the spans that satisfied the rule's positive clauses, the evidence a
 * person reads first.
 */
export interface Signal {
  /** Deterministic: derived from ruleId and traceId (correlated rules: ruleId, key and window start), so a replay (e.g. after a crash) produces the same id. */
  id: string;
  ruleId: string;
  ruleName: string;
  ruleVersion: number;
  severity: Severity;
  mode: RuleMode;
  traceId: string;
  /** Witness span ids, in start-time order. */
  spanIds: string[];
  message: string;
  /** ms since epoch, from the detector's clock. */
  detectedAt: number;
  /** Earliest start time (ms) among the trace's spans seen when the signal fired. */
  firstSpanTime: number;
  /** Latest end time (ms) among the trace's spans seen when the signal fired. */
  lastSpanTime: number;
  /** Services of the witness spans. */
  services: string[];
  /**
   * Correlated rules (traces.by): every trace involved, in order of their
   * first witness; `traceId` is the first. Absent (read as [traceId]) for
   * per-trace rules.
   */
  traceIds?: string[];
  /** Correlated rules: the key value shared by the witnesses (e.g. the user id). */
  correlationKey?: string;
  /** Correlated rules: the window, [start, end] in ms of span start time. */
  windowStart?: number;
  windowEnd?: number;
}

/** 64-bit FNV-1a of a string, as 16 hex digits. */
function fnv1a64(text: string, seed: bigint): string {
  let hash = 0xcbf29ce484222325n ^ seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** The id of the signal a rule raises for a trace: the same inputs always give the same id. */
export function signalId(ruleId: string, traceId: string): string {
  const key = `${ruleId}\u0000${traceId}`;
  return fnv1a64(key, 0n) + fnv1a64(key, 0x9e3779b97f4a7c15n);
}

/**
 * The id of the signal a correlated rule raises for one key and window:
 * derived from the rule id, the key and the window's start (the opening
 * span's start time, in exact nanoseconds), so a replay of the same spans, e.g.
 * after a restart, produces the same id and stores keep one signal.
 */
export function correlatedSignalId(ruleId: string, key: string, windowStartUnixNano: string): string {
  const text = `${ruleId}\u0000\u0001correlated\u0000${key}\u0000${windowStartUnixNano}`;
  return fnv1a64(text, 0n) + fnv1a64(text, 0x9e3779b97f4a7c15n);
}
