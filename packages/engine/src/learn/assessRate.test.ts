/**
 * Rate baselines on generated, seasonal traffic with a known rate: a steady
 * seasonal rate is never flagged (while a baseline blind to the season would
 * flag it), a jump and a collapse are flagged in the first window after they
 * start.
 */
import { describe, expect, it } from 'vitest';
import { assessRate, type RateBucket } from './assessRate.js';
import { seededRandom } from './statistics.js';

const HOUR = 3_600_000;
const DAY0 = Date.UTC(2026, 0, 5);
const random = seededRandom(42);

function binomial(n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return k;
}

/** Daytime (08–20 UTC) is busier and the rule fires more (batch jobs run by day). */
function trafficAt(hour: number): { traces: number; rate: number } {
  const day = hour >= 8 && hour < 20;
  return { traces: day ? 3000 : 800, rate: day ? 0.03 : 0.001 };
}

function bucket(start: number, factor = 1, length = HOUR): RateBucket & { end: number } {
  const { traces, rate } = trafficAt(new Date(start).getUTCHours());
  const n = Math.round((traces * length) / HOUR);
  return { start, end: start + length, traces: n, signals: binomial(n, Math.min(1, rate * factor)) };
}

const history: RateBucket[] = [];
for (let h = 0; h < 14 * 24; h++) history.push(bucket(DAY0 + h * HOUR));
const day15 = DAY0 + 14 * 24 * HOUR;

describe('assessRate', () => {
  it('does not flag a steady seasonal rate in any hour of a new day', () => {
    for (let h = 0; h < 24; h++) {
      const a = assessRate(history, bucket(day15 + h * HOUR));
      expect(a.status, `hour ${h}: ${a.message}`).toBe('normal');
      expect(a.expected.slot).toBe(h);
    }
  });

  it('would flag the same traffic without seasonality (the baseline needs the hour of day)', () => {
    const statuses = new Set<string>();
    for (let h = 0; h < 24; h++) statuses.add(assessRate(history, bucket(day15 + h * HOUR), { seasonMs: 0 }).status);
    expect(statuses.has('collapse') || statuses.has('jump')).toBe(true);
  });

  it('flags a 12x jump in the first 15-minute window after it starts', () => {
    const start = day15 + 10 * HOUR;
    const a = assessRate(history, bucket(start, 12, HOUR / 4));
    expect(a.status).toBe('jump');
    expect(a.ratio!).toBeGreaterThan(8);
    expect(a.ratio!).toBeLessThan(16);
    expect(a.message).toMatch(/^fires \d+x its usual rate/);
    // At night, with few traces and a low rate, a 20x jump shows within the hour.
    expect(assessRate(history, bucket(day15 + 2 * HOUR, 20)).status).toBe('jump');
  });

  it('flags a collapse (a rule that stopped firing) and says it may be broken', () => {
    const a = assessRate(history, bucket(day15 + 12 * HOUR, 0, HOUR / 4));
    expect(a.status).toBe('collapse');
    expect(a.message).toMatch(/may be broken/);
  });

  it('stays quiet when there is too little history or too few signals', () => {
    expect(assessRate(history.slice(0, 3), bucket(day15, 12)).status).toBe('learning');
    // Doubling is significant for a busy rule but below the minimum ratio.
    expect(assessRate(history, bucket(day15 + 10 * HOUR, 2)).status).toBe('normal');
    // A rule that never fired firing twice is below minSignals.
    const silent = history.map((b) => ({ ...b, signals: 0 }));
    expect(assessRate(silent, { start: day15, end: day15 + HOUR, traces: 800, signals: 2 }).status).toBe('normal');
  });

  it('is deterministic', () => {
    const w = { start: day15, end: day15 + HOUR, traces: 900, signals: 40 };
    expect(assessRate(history, w)).toEqual(assessRate(history, w));
  });
});
