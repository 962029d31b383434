#!/usr/bin/env node
/**
 * Soak test: drives `fluo serve` (the built CLI, as its own process, with a
 * V8 heap limit) at twice the rate it can sustain, for a bounded time. The
 * sustainable rate is measured first (closed-loop senders: each waits for its
 * answer, so FLUO sets the pace); the overload is open-loop (a new request on
 * schedule whether or not earlier ones were answered, as many independent
 * services send), retrying refusals like a Collector (scripts/otlpLoad.mjs). Meanwhile it samples /healthz
 * and /metrics. Then it waits for FLUO to drain, sends a second, normal load
 * to see that it accepts again, and checks that every acknowledged trace was
 * evaluated (each raises one `every-trace` signal).
 *
 * Prints a JSON report on stdout (and exits 1 if a check failed):
 *   memory (peak RSS and heap vs the heap limit), health checks answered,
 *   requests shed with retryable statuses, lost traces, FLUO's exit code.
 *
 * Usage: node scripts/soak.mjs [--duration 600] [--measure 5] [--rate TRACES_PER_S]
 *   [--heap-mb 256] [--max-buffered-spans 100000] [--wal-max-bytes 64MiB]
 *   [--max-concurrent-requests 32] [--after-traces 2000] [--verbose]
 * (--rate: the overload rate; default twice the measured sustainable rate.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LOAD_RULES_YAML } from './otlpLoad.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FLUO_BIN = path.resolve(HERE, '../packages/cli/bin/fluo.js');
const LOAD = path.resolve(HERE, 'otlpLoad.mjs');

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '600' }, measure: { type: 'string', default: '5' }, rate: { type: 'string' },
    'max-concurrent-requests': { type: 'string', default: '32' },
    'heap-mb': { type: 'string', default: '256' }, 'max-buffered-spans': { type: 'string', default: '100000' },
    'wal-max-bytes': { type: 'string', default: '64MiB' }, 'after-traces': { type: 'string', default: '2000' }, verbose: { type: 'boolean', default: false },
  },
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (msg) => { if (values.verbose) process.stderr.write(`soak: ${msg}\n`); };

function env() {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUO_')) out[k] = v;
  return out;
}

function run(args, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { env: env() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; if (stderr.length > 1e6) stderr = stderr.slice(-5e5); });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => resolve(s)); })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function metric(page, name) {
  let sum = 0;
  for (const line of page.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}

async function get(url, timeoutMs = 10_000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function signalTraceIds(api) {
  const ids = new Set();
  let cursor = null;
  do {
    const { text } = await get(`${api}/api/v1/signals?ruleId=every-trace&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 30_000);
    const page = JSON.parse(text);
    for (const s of page.signals) ids.add(s.traceId);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'fluo-soak-'));
  const rules = path.join(dir, 'rules.yaml');
  writeFileSync(rules, LOAD_RULES_YAML);
  const [apiPort, otlpPort, grpcPort] = await freePorts(3);
  const heapMb = Number(values['heap-mb']);
  const fluo = run([FLUO_BIN, 'serve', '--port', String(apiPort), '--otlp-http-port', String(otlpPort), '--otlp-grpc-port', String(grpcPort),
    '--data-dir', path.join(dir, 'data'), '--rules', rules, '--idle-timeout', '1s', '--tick-interval', '100ms', '--log-level', 'warn',
    '--max-buffered-spans', values['max-buffered-spans'], '--wal-max-bytes', values['wal-max-bytes'], '--max-concurrent-requests', values['max-concurrent-requests']],
  [`--max-old-space-size=${heapMb}`]);
  const api = `http://127.0.0.1:${apiPort}`;
  const otlp = `http://127.0.0.1:${otlpPort}`;
  const report = { ok: false, durationSeconds: Number(values.duration), checks: {} };
  try {
    await waitFor(async () => /^fluo: listening/m.test(fluo.stdout()), 30_000, `fluo to start: ${fluo.stderr()}`);

    // Phase 0: the sustainable rate, closed loop with as many senders as FLUO processes at once (saturating it).
    const measureOut = path.join(dir, 'measure.json');
    const measure = run([LOAD, '--url', otlp, '--duration', values.measure, '--seed', '3', '--batch', '20', '--concurrency', values['max-concurrent-requests'], '--max-backoff', '1000', '--out', measureOut]);
    await measure.exited;
    const measured = JSON.parse(readFileSync(measureOut, 'utf8'));
    const sustainable = measured.ackedTraces / measured.seconds;
    const rate = values.rate ? Number(values.rate) : Math.ceil(2 * sustainable);
    report.sustainableTracesPerSecond = Math.round(sustainable);
    report.overloadTracesPerSecond = rate;
    log(`sustainable ${Math.round(sustainable)} traces/s; overload at ${rate}`);

    // Phase 1: overload, open loop.
    const overloadOut = path.join(dir, 'overload.json');
    const overload = run([LOAD, '--url', otlp, '--duration', values.duration, '--seed', '1', '--batch', '20', '--open-loop', '--rate', String(rate), '--max-outstanding', '2000', '--max-backoff', '1000', '--out', overloadOut]);
    const memory = { peakRssBytes: 0, peakHeapUsedBytes: 0, heapLimitBytes: 0, samples: 0 };
    const health = { ok: 0, failed: 0 };
    let peakBufferedSpans = 0;
    let peakWalBytes = 0;
    while (overload.child.exitCode === null) {
      try {
        const h = await get(`${api}/healthz`, 5000);
        if (h.status === 200) health.ok++; else health.failed++;
      } catch { health.failed++; }
      try {
        const { text } = await get(`${api}/metrics`, 5000);
        memory.samples++;
        memory.peakRssBytes = Math.max(memory.peakRssBytes, metric(text, 'process_resident_memory_bytes'));
        memory.peakHeapUsedBytes = Math.max(memory.peakHeapUsedBytes, metric(text, 'nodejs_heap_used_bytes'));
        memory.heapLimitBytes = metric(text, 'nodejs_heap_size_limit_bytes');
        peakBufferedSpans = Math.max(peakBufferedSpans, metric(text, 'fluo_buffered_spans'));
        peakWalBytes = Math.max(peakWalBytes, metric(text, 'fluo_wal_bytes'));
      } catch { /* counted through health */ }
      log(`rss ${Math.round(memory.peakRssBytes / 1e6)} MB peak, ${overload.stdout().trim().split('\n').pop()}`);
      await sleep(500);
    }
    await overload.exited;
    const shed = JSON.parse(readFileSync(overloadOut, 'utf8'));
    report.overload = { ...shed, acked: undefined, peakBufferedSpans, peakWalBytes };
    report.memory = memory;
    report.health = health;

    // FLUO drains: every buffered trace completes and is stored; the span log empties.
    await waitFor(async () => {
      const { text } = await get(`${api}/metrics`);
      return (await get(`${api}/readyz`)).status === 200 && metric(text, 'fluo_buffered_traces') === 0 && metric(text, 'fluo_write_queue_spans') === 0 && metric(text, 'fluo_wal_bytes') === 0;
    }, 120_000, 'FLUO to drain after the overload');

    // Phase 2: a normal load is accepted again without shedding.
    const afterOut = path.join(dir, 'after.json');
    const after = run([LOAD, '--url', otlp, '--traces', values['after-traces'], '--seed', '2', '--batch', '10', '--concurrency', '2', '--max-backoff', '1000', '--out', afterOut]);
    await after.exited;
    const accepted = JSON.parse(readFileSync(afterOut, 'utf8'));
    report.after = { ...accepted, acked: undefined, tracesPerSecond: Math.round(accepted.ackedTraces / accepted.seconds) };

    // Every acknowledged trace was evaluated.
    const acked = [...measured.acked, ...shed.acked, ...accepted.acked].map((t) => t.traceId);
    await waitFor(async () => (await signalTraceIds(api)).size >= acked.length, 120_000, 'signals of every acknowledged trace');
    const evaluated = await signalTraceIds(api);
    report.lostTraces = acked.filter((id) => !evaluated.has(id)).length;
    report.ackedTraces = acked.length;

    const retryable = Object.entries(shed.refused).filter(([s]) => ['429', '503'].includes(s)).reduce((n, [, c]) => n + c, 0);
    report.checks = {
      processAlive: fluo.child.exitCode === null,
      heapWithinLimit: memory.peakHeapUsedBytes > 0 && memory.peakHeapUsedBytes < memory.heapLimitBytes,
      rssWithinTwiceHeapLimit: memory.peakRssBytes > 0 && memory.peakRssBytes < 2 * memory.heapLimitBytes,
      answeredHealthChecks: health.ok > 0 && health.failed === 0,
      shedWithRetryableStatuses: retryable > 0,
      noPermanentRefusals: measured.permanent === 0 && shed.permanent === 0 && accepted.permanent === 0,
      acceptsAgainWithoutShedding: accepted.ackedTraces === Number(values['after-traces']) && Object.keys(accepted.refused).length === 0,
      noAcknowledgedTraceLost: report.lostTraces === 0,
    };
  } finally {
    fluo.child.kill('SIGTERM');
    const exit = await fluo.exited;
    report.fluoExit = exit;
    report.checks.cleanShutdown = exit.code === 0;
    report.ok = Object.values(report.checks).every(Boolean);
    if (!report.ok) report.fluoStderrTail = fluo.stderr().slice(-4000);
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((err) => { process.stderr.write(`soak: ${err?.stack ?? err}\n`); process.exit(1); });
