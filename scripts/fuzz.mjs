#!/usr/bin/env node
// The long fuzz run: every *.fuzz.test.ts suite (OTLP decoders, DSL, REST API and
// OTLP/HTTP) with many more inputs per property than `npm test` uses.
//   npm run fuzz                                   100000 inputs per property
//   FLUO_FUZZ_RUNS=1000000 FLUO_FUZZ_SEED=42 npm run fuzz
// A failure prints fast-check's seed and counterexample; rerun with that seed
// to reproduce it. Needs the build (npm run build).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = process.env.FLUO_FUZZ_RUNS ?? '100000';
const env = { ...process.env, FLUO_FUZZ_RUNS: runs };
const seed = process.env.FLUO_FUZZ_SEED ?? String(Date.now() % 2 ** 31);
env.FLUO_FUZZ_SEED = seed;
process.stderr.write(`fuzz: ${runs} inputs per property, seed ${seed}\n`);
const result = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '.fuzz.test.ts', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
