/**
 * fast-check parameters for the fuzz suites (*.fuzz.test.ts): a few thousand
 * inputs per property in the normal test run, as many as FLUO_FUZZ_RUNS says
 * for long runs (scripts/fuzz.mjs), reproducible with FLUO_FUZZ_SEED.
 */
/** The environment when running under Node (the engine has no Node types: it also runs in browsers). */
function env(name: string): string | undefined {
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
}

export function fuzzOptions(defaultRuns: number): { numRuns: number; seed?: number; endOnFailure: true } {
  const runs = Number(env('FLUO_FUZZ_RUNS') ?? '');
  const seed = Number(env('FLUO_FUZZ_SEED') ?? '');
  return {
    numRuns: Number.isSafeInteger(runs) && runs > 0 ? runs : defaultRuns,
    ...(env('FLUO_FUZZ_SEED') && Number.isSafeInteger(seed) ? { seed } : {}),
    endOnFailure: true,
  };
}

/** Extra time a long fuzz run needs per test. */
export function fuzzTimeout(defaultMs: number): number {
  const runs = Number(env('FLUO_FUZZ_RUNS') ?? '');
  return Number.isSafeInteger(runs) && runs > 0 ? Math.max(defaultMs, runs * 20) : defaultMs;
}
