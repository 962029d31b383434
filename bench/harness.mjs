/**
 * The benchmark harness's plumbing: statistics over runs, timed loops,
 * child processes, free ports and result formatting.
 *
 * Every figure is a list of per-run values summarised as median, min, max
 * and interquartile range. Ratios are computed per run from figures measured
 * in that run (the machine is shared and noisy), then summarised the same way.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './workload.mjs';

export const FLUO_BIN = path.join(REPO_ROOT, 'packages/cli/bin/fluo.js');

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Median, min, max and interquartile range of per-run values. */
export function summarize(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    runs: values,
  };
}

export function percentile(values, q) {
  return quantile([...values].sort((a, b) => a - b), q);
}

/**
 * Calls `step()` (which does `units` of work) until at least `minMs` passed,
 * after `warmup` untimed calls. Returns units per second.
 */
export function rate(step, units, { minMs = 300, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) step();
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  do {
    step();
    calls++;
    elapsedNs = process.hrtime.bigint() - start;
  } while (elapsedNs < BigInt(minMs) * 1_000_000n);
  return (calls * units) / (Number(elapsedNs) / 1e9);
}

/**
 * Rates of several candidates measured interleaved: one pass of each in
 * turn, repeated until each has run `minMs`, so that load from other
 * processes hits every candidate alike and their ratio holds.
 * `candidates` maps a name to a function doing `units` of work per call.
 */
export function interleavedRates(candidates, units, { minMs = 300 } = {}) {
  const names = Object.keys(candidates);
  for (const n of names) candidates[n](); // warm-up
  const elapsed = Object.fromEntries(names.map((n) => [n, 0]));
  const calls = Object.fromEntries(names.map((n) => [n, 0]));
  while (names.some((n) => elapsed[n] < minMs)) {
    for (const n of names) {
      const start = performance.now();
      candidates[n]();
      elapsed[n] += performance.now() - start;
      calls[n]++;
    }
  }
  return Object.fromEntries(names.map((n) => [n, (calls[n] * units) / (elapsed[n] / 1000)]));
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs a node script to completion; resolves to its stdout (rejects on a non-zero exit unless allowed). */
export function runNode(args, { allowExit = [0], env = process.env, cwd = REPO_ROOT } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (allowExit.includes(code)) resolve({ stdout, stderr, code });
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** The last line of a child's stdout, parsed as JSON (children report their result that way). */
export function lastJsonLine(stdout) {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fmt(value, unit) {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'x' || unit === '%') return unit === '%' ? `${(value * 100).toFixed(0)}%` : `${value.toFixed(2)}x`;
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The Markdown table of a results document. */
export function formatMarkdown(doc) {
  const lines = [];
  lines.push(`# FLUO benchmark (${doc.meta.profile} profile)`);
  lines.push('');
  lines.push(`${doc.meta.date} · ${doc.meta.cpu} × ${doc.meta.cores} · Node ${doc.meta.node} · seed ${doc.meta.seed} · ${doc.meta.runs} runs per figure`);
  lines.push('');
  lines.push('Median of the runs, with min–max. Ratios are computed per run from figures of the same run.');
  let section = '';
  for (const r of doc.results) {
    if (r.section !== section) {
      section = r.section;
      lines.push('', `## ${section}`, '', '| Figure | Median | Min–max | Unit | Target | Note |', '|---|---:|---:|---|---|---|');
    }
    const s = r.stats;
    const target = r.target ? `${r.target.text} ${r.target.met === undefined ? '' : r.target.met ? '✅' : '❌'}` : '';
    lines.push(`| ${r.name} | ${fmt(s.median, r.unit)} | ${fmt(s.min, r.unit)}–${fmt(s.max, r.unit)} | ${r.unit} | ${target} | ${r.note ?? ''} |`);
  }
  lines.push('');
  return lines.join('\n');
}
