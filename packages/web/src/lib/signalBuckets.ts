/**
 * Turns the sparse counts of GET /signals/counts (only non-empty buckets)
 * into dense series for charts: one value per bucket from `since` to
 * `until`, zeros where nothing fired.
 */
import type { SignalCount } from '../api/types';

/** Start of every bucket in [since, until). */
export function bucketStarts(since: number, until: number, bucketMs: number): number[] {
  const starts: number[] = [];
  if (!(bucketMs > 0)) return starts;
  for (let t = since; t < until; t += bucketMs) starts.push(t);
  return starts;
}

/** One dense series per key (e.g. per rule), in key order; counts outside the range are ignored. */
export function denseSeries(counts: readonly SignalCount[], since: number, until: number, bucketMs: number, keyOf: (c: SignalCount) => string): { times: number[]; series: Map<string, number[]> } {
  const times = bucketStarts(since, until, bucketMs);
  const series = new Map<string, number[]>();
  for (const c of counts) {
    const i = Math.floor((c.bucketStart - since) / bucketMs);
    if (i < 0 || i >= times.length) continue;
    const key = keyOf(c);
    let values = series.get(key);
    if (!values) series.set(key, (values = times.map(() => 0)));
    values[i] += c.count;
  }
  return { times, series: new Map([...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}

/** Total count per key. */
export function totals(counts: readonly SignalCount[], keyOf: (c: SignalCount) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of counts) out.set(keyOf(c), (out.get(keyOf(c)) ?? 0) + c.count);
  return out;
}

export interface TimeRange { label: string; ms: number; bucket: string; bucketMs: number }

/** The ranges the UI offers, each with a bucket giving 30 to 60 points. */
export const TIME_RANGES: readonly TimeRange[] = [
  { label: 'Last 15 minutes', ms: 15 * 60_000, bucket: '30s', bucketMs: 30_000 },
  { label: 'Last hour', ms: 3_600_000, bucket: '1m', bucketMs: 60_000 },
  { label: 'Last 6 hours', ms: 6 * 3_600_000, bucket: '10m', bucketMs: 600_000 },
  { label: 'Last 24 hours', ms: 24 * 3_600_000, bucket: '30m', bucketMs: 1_800_000 },
  { label: 'Last 7 days', ms: 7 * 24 * 3_600_000, bucket: '4h', bucketMs: 4 * 3_600_000 },
];

/** A range ending now, aligned to whole buckets so that refreshes reuse the same buckets. */
export function alignedRange(range: TimeRange, now: number): { since: number; until: number } {
  const until = Math.ceil((now + 1) / range.bucketMs) * range.bucketMs;
  return { since: until - range.ms, until };
}
