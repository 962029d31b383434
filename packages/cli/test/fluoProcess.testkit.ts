/**
 * Helpers for tests that run `fluo serve` and the OTLP load generator
 * (scripts/otlpLoad.mjs) as separate processes, as a user and a Collector
 * would. Needs the build (`npm run build`; `npm test` does it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
// @ts-expect-error: a plain ES module script, without types
import { loadTrace } from '../../../scripts/otlpLoad.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FLUO_BIN = path.resolve(HERE, '../bin/fluo.js');
export const LOAD_SCRIPT = path.resolve(HERE, '../../../scripts/otlpLoad.mjs');

/** Env without the FLUO_* and PG* (libpq) variables of the machine running the tests. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUO_') && !k.startsWith('PG')) env[k] = v;
  return env;
}

export interface ChildRun {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Children still running, killed when the test file ends: a test that fails
 * before it stops its `fluo serve` must not leave the process behind.
 */
const running = new Set<ChildProcessWithoutNullStreams>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

export function runNode(args: string[], options: { nodeArgs?: string[]; cwd?: string } = {}): ChildRun {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { env: cleanEnv(), cwd: options.cwd ?? HERE });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

export interface FluoRun extends ChildRun {
  api: string;
  otlpHttp: string;
}

/** Starts `fluo serve` and waits for its listening line. */
export async function startFluo(args: string[], nodeArgs: string[] = []): Promise<FluoRun> {
  const run = runNode([FLUO_BIN, 'serve', ...args], { nodeArgs });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /^fluo: listening api=(\S+) otlp-http=(\S+) otlp-grpc=(\S+)$/m.exec(run.stdout());
    if (m) return { ...run, api: m[1], otlpHttp: m[2] };
    if (run.child.exitCode !== null || run.child.signalCode !== null || Date.now() > deadline) {
      run.child.kill('SIGKILL');
      throw new Error(`fluo serve did not start: ${run.stderr()}`);
    }
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Free TCP ports on 127.0.0.1 (closed again, so that a server can take them). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<import('node:net').Server>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Kills `fluo serve` with SIGKILL (no shutdown code runs) and waits until it is gone. */
export async function killHard(fluo: ChildRun): Promise<void> {
  fluo.child.kill('SIGKILL');
  const { signal } = await fluo.exited;
  if (signal !== 'SIGKILL') throw new Error(`fluo serve ended by ${signal ?? 'exit'} before the kill: ${fluo.stderr()}`);
}

/** The signals ("<rule id> <trace id>", sorted) that traces 0..traces-1 of the load generator's seed must raise. */
export function expectedLoadSignals(seed: number, traces: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < traces; i++) {
    const t = loadTrace(seed, i) as { traceId: string; rules: string[] };
    for (const rule of t.rules) out.push(`${rule} ${t.traceId}`);
  }
  return out.sort();
}

/** Waits for a condition, polling; throws with `describe()` after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(100);
  }
}

export interface StoredSignal { id: string; ruleId: string; traceId: string }

/** Every signal in the store, through the REST API's pages. */
export async function allSignals(api: string): Promise<StoredSignal[]> {
  const out: StoredSignal[] = [];
  let cursor: string | null = null;
  do {
    const res = await fetch(`${api}/api/v1/signals?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET /api/v1/signals: ${res.status}`);
    const page = await res.json() as { signals: StoredSignal[]; nextCursor: string | null };
    out.push(...page.signals.map((s) => ({ id: s.id, ruleId: s.ruleId, traceId: s.traceId })));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** One sample of a metric from a Prometheus text page (sum over label sets). */
export function metricValue(page: string, name: string): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}
