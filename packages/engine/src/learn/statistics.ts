/**
 * The few distributions the learning modules need, computed in log space so
 * that large counts neither overflow nor underflow: binomial (order-statistic
 * bounds for quantiles) and Poisson (rate change tests), and a seeded
 * pseudo-random generator for deterministic reservoir sampling.
 */

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error about 1e-15). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = 0.99999999999980993;
  const t = z + 7.5;
  for (let i = 0; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function lnChoose(n: number, k: number): number {
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
}

/** ln P(Binomial(n, p) = k). */
export function lnBinomialPmf(k: number, n: number, p: number): number {
  if (p <= 0) return k === 0 ? 0 : -Infinity;
  if (p >= 1) return k === n ? 0 : -Infinity;
  return lnChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/**
 * The distribution-free upper confidence bound for a quantile: the smallest
 * rank k (1-based) such that the k-th smallest of n independent samples is at
 * or above the q-quantile with probability at least `level`, i.e.
 * P(Binomial(n, q) ≤ k − 1) ≥ level. Null when even the largest sample is not
 * enough (n too small for q and level: for q = 0.999 and level 0.95 that
 * needs n ≥ 2995).
 */
export function quantileUpperBoundRank(n: number, q: number, level: number): number | null {
  // P(Bin ≥ k) = Σ_{i ≥ k} pmf(i); find the smallest k with P(Bin ≥ k) ≤ 1 − level.
  const alpha = 1 - level;
  let tail = 0;
  for (let k = n; k >= 1; k--) {
    const next = tail + Math.exp(lnBinomialPmf(k, n, q));
    // P(Bin ≥ k) = next; when it exceeds alpha, rank k + 1 was the last one small enough.
    if (next > alpha) return k + 1 <= n ? k + 1 : null;
    tail = next;
  }
  return 1;
}

/** P(Poisson(lambda) ≥ k). */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  if (k <= lambda) return 1 - poissonLowerTail(k - 1, lambda);
  // Terms decrease from k on; sum until they no longer matter.
  let sum = 0;
  for (let i = k; ; i++) {
    const term = Math.exp(i * Math.log(lambda) - lambda - lnGamma(i + 1));
    sum += term;
    if (term < sum * 1e-15 || i - k > 100_000) break;
  }
  return Math.min(1, sum);
}

/** P(Poisson(lambda) ≤ k). */
export function poissonLowerTail(k: number, lambda: number): number {
  if (k < 0) return 0;
  if (lambda <= 0) return 1;
  if (k >= lambda) return 1 - poissonUpperTail(k + 1, lambda);
  // Terms increase up to k < lambda; sum from k downwards until they no longer matter.
  let sum = 0;
  for (let i = Math.floor(k); i >= 0; i--) {
    const term = Math.exp(i * Math.log(lambda) - lambda - lnGamma(i + 1));
    sum += term;
    if (term < sum * 1e-15) break;
  }
  return Math.min(1, sum);
}

/** A small seeded generator (mulberry32): the same seed gives the same sequence in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a of a string, for deterministic fold assignment and ids. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
