import { describe, expect, it } from 'vitest';
import type { SignalCount } from '../api/types';
import { alignedRange, bucketStarts, denseSeries, TIME_RANGES, totals } from './signalBuckets';

const c = (bucketStart: number, ruleId: string, count: number, severity: SignalCount['severity'] = 'warning'): SignalCount => ({ bucketStart, ruleId, severity, count });

describe('signal buckets', () => {
  it('lists the start of every bucket in the range', () => {
    expect(bucketStarts(1000, 5000, 1000)).toEqual([1000, 2000, 3000, 4000]);
    expect(bucketStarts(1000, 5500, 1000)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(bucketStarts(0, 10, 0)).toEqual([]);
  });

  it('fills zeros between the sparse counts, one series per key, keys sorted, out-of-range counts ignored', () => {
    const counts = [c(2000, 'b', 3), c(1000, 'a', 1), c(4000, 'a', 2), c(4000, 'a', 5, 'critical'), c(9000, 'a', 7), c(0, 'a', 7)];
    const { times, series } = denseSeries(counts, 1000, 5000, 1000, (x) => x.ruleId);
    expect(times).toEqual([1000, 2000, 3000, 4000]);
    expect([...series.keys()]).toEqual(['a', 'b']);
    expect(series.get('a')).toEqual([1, 0, 0, 7]);
    expect(series.get('b')).toEqual([0, 3, 0, 0]);
    const bySeverity = denseSeries(counts, 1000, 5000, 1000, (x) => x.severity).series;
    expect(bySeverity.get('critical')).toEqual([0, 0, 0, 5]);
  });

  it('totals per key', () => {
    expect([...totals([c(0, 'a', 1), c(1, 'b', 2), c(2, 'a', 3)], (x) => x.ruleId)]).toEqual([['a', 4], ['b', 2]]);
  });

  it('aligns a range to whole buckets that include now', () => {
    const hour = TIME_RANGES.find((r) => r.ms === 3_600_000)!;
    const now = 1_760_000_123_456;
    const { since, until } = alignedRange(hour, now);
    expect(until % hour.bucketMs).toBe(0);
    expect(until).toBeGreaterThan(now);
    expect(until - now).toBeLessThanOrEqual(hour.bucketMs);
    expect(until - since).toBe(hour.ms);
    for (const r of TIME_RANGES) expect(r.ms / r.bucketMs).toBeLessThanOrEqual(60);
  });
});
