/** The distributions against values computed independently (closed forms and direct sums). */
import { describe, expect, it } from 'vitest';
import { lnGamma, poissonLowerTail, poissonUpperTail, quantileUpperBoundRank, seededRandom } from './statistics.js';

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

describe('statistics', () => {
  it('lnGamma matches factorials and Γ(1/2) = √π', () => {
    for (const n of [1, 2, 5, 10, 20]) expect(lnGamma(n + 1)).toBeCloseTo(Math.log(factorial(n)), 10);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it('Poisson tails match direct sums, in both directions and for large means', () => {
    const cdf = (k: number, lambda: number) => { let s = 0; for (let i = 0; i <= k; i++) s += Math.exp(-lambda) * lambda ** i / factorial(i); return s; };
    expect(poissonUpperTail(5, 1)).toBeCloseTo(1 - cdf(4, 1), 12);
    expect(poissonLowerTail(2, 10)).toBeCloseTo(cdf(2, 10), 12);
    expect(poissonUpperTail(3, 10)).toBeCloseTo(1 - cdf(2, 10), 12);
    expect(poissonLowerTail(15, 10)).toBeCloseTo(cdf(15, 10), 12);
    expect(poissonUpperTail(0, 3)).toBe(1);
    expect(poissonLowerTail(-1, 3)).toBe(0);
    // Mean 10 000: ±4 standard deviations.
    expect(poissonUpperTail(10_400, 10_000)).toBeGreaterThan(2e-5);
    expect(poissonUpperTail(10_400, 10_000)).toBeLessThan(5e-5);
    expect(poissonLowerTail(9_600, 10_000)).toBeGreaterThan(2e-5);
    expect(poissonLowerTail(9_600, 10_000)).toBeLessThan(6e-5);
  });

  it('chooses the order statistic that bounds a quantile with the asked confidence', () => {
    // The maximum of n samples bounds the q-quantile with probability 1 − q^n.
    expect(quantileUpperBoundRank(2995, 0.999, 0.95)).toBe(2995);
    expect(quantileUpperBoundRank(2994, 0.999, 0.95)).toBeNull();
    expect(quantileUpperBoundRank(299, 0.99, 0.95)).toBe(299);
    // Checked by simulation: the chosen order statistic of uniform samples is above q in at least 95 % of draws.
    const random = seededRandom(9);
    const n = 1000;
    const rank = quantileUpperBoundRank(n, 0.99, 0.95)!;
    expect(rank).toBeLessThan(n);
    let covered = 0;
    const draws = 400;
    for (let d = 0; d < draws; d++) {
      const sample = Float64Array.from({ length: n }, random).sort();
      if (sample[rank - 1] >= 0.99) covered++;
    }
    expect(covered / draws).toBeGreaterThanOrEqual(0.93);
  });
});
