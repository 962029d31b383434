/**
 * Precision of a rule from human triage: a signal resolved is a true
 * positive, a signal marked false_positive a false one; open and
 * acknowledged signals are not triaged and do not count.
 * precision = true / (true + false), with a 95 % Wilson score interval (so
 * that 2 of 2 does not read as certainty), per rule version and per time
 * bucket (by when the signal fired) for the trend.
 *
 * Bounded: at most `maxSignals` of the newest triaged signals per status are
 * read; `truncated` says when there were more.
 */
import type { SignalRecord, SignalStatus, Store } from '../store/store.js';

export interface PrecisionCounts {
  truePositives: number;
  falsePositives: number;
  /** null when nothing is triaged. */
  precision: number | null;
  /** 95 % Wilson score interval of the precision; null when nothing is triaged. */
  interval: [number, number] | null;
}

export interface RulePrecision extends PrecisionCounts {
  ruleId: string;
  byVersion: Array<PrecisionCounts & { version: number }>;
  /** Oldest bucket first; buckets without triaged signals are left out. */
  trend: Array<PrecisionCounts & { start: number }>;
  bucketMs: number;
  /** Reasons given when signals were marked false_positive (the note of that change), most frequent first, from the newest REASON_SAMPLE of them. */
  falsePositiveReasons: Array<{ reason: string; count: number }>;
  /** More triaged signals exist than were read. */
  truncated: boolean;
}

export interface PrecisionQuery {
  since?: number;
  until?: number;
  bucketMs: number;
  maxSignals: number;
}

const PAGE = 500;
/** False positives whose reasons are read (one store read each). */
export const REASON_SAMPLE = 100;

export function precisionCounts(truePositives: number, falsePositives: number): PrecisionCounts {
  const n = truePositives + falsePositives;
  if (n === 0) return { truePositives, falsePositives, precision: null, interval: null };
  const p = truePositives / n;
  const z = 1.959963984540054;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { truePositives, falsePositives, precision: p, interval: [Math.max(0, centre - half), Math.min(1, centre + half)] };
}

/** The newest signals of a rule with a status, up to `max`; `more` when there were more. */
export async function signalsWithStatus(store: Store, ruleId: string | undefined, status: SignalStatus, query: { since?: number; until?: number }, max: number): Promise<{ signals: SignalRecord[]; more: boolean }> {
  const signals: SignalRecord[] = [];
  let beforeSeq: number | undefined;
  for (;;) {
    const page = await store.listSignals({ ruleId, status, since: query.since, until: query.until, beforeSeq, limit: Math.min(PAGE, max + 1 - signals.length) });
    signals.push(...page);
    if (signals.length > max) return { signals: signals.slice(0, max), more: true };
    if (page.length === 0 || page.length < PAGE) return { signals, more: false };
    beforeSeq = page[page.length - 1].seq;
  }
}

export async function rulePrecision(store: Store, ruleId: string, query: PrecisionQuery): Promise<RulePrecision> {
  const resolved = await signalsWithStatus(store, ruleId, 'resolved', query, query.maxSignals);
  const falsePositive = await signalsWithStatus(store, ruleId, 'false_positive', query, query.maxSignals);
  const versions = new Map<number, [number, number]>();
  const buckets = new Map<number, [number, number]>();
  const tally = (s: SignalRecord, isTrue: boolean) => {
    const i = isTrue ? 0 : 1;
    const v = versions.get(s.ruleVersion) ?? [0, 0];
    v[i]++;
    versions.set(s.ruleVersion, v);
    const start = Math.floor(s.detectedAt / query.bucketMs) * query.bucketMs;
    const b = buckets.get(start) ?? [0, 0];
    b[i]++;
    buckets.set(start, b);
  };
  for (const s of resolved.signals) tally(s, true);
  for (const s of falsePositive.signals) tally(s, false);
  const reasons = new Map<string, number>();
  for (const s of falsePositive.signals.slice(0, REASON_SAMPLE)) {
    const detail = await store.getSignal(s.id);
    const change = detail?.history.filter((h) => h.to === 'false_positive').at(-1);
    const reason = change?.note?.trim();
    if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return {
    ruleId,
    ...precisionCounts(resolved.signals.length, falsePositive.signals.length),
    byVersion: [...versions.entries()].sort((a, b) => a[0] - b[0]).map(([version, [t, f]]) => ({ version, ...precisionCounts(t, f) })),
    trend: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([start, [t, f]]) => ({ start, ...precisionCounts(t, f) })),
    bucketMs: query.bucketMs,
    falsePositiveReasons: [...reasons.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20).map(([reason, count]) => ({ reason, count })),
    truncated: resolved.more || falsePositive.more,
  };
}
