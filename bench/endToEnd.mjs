/**
 * Measurements 3, 4 and 6: a real `fluo serve` in a child process, fed by the
 * load generator in another process (end-to-end throughput over OTLP/HTTP
 * protobuf and gRPC, rule-count scaling), and detection latency read from the
 * SSE signal stream.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSpan, encodeProtobufTraces, millisToNanos } from '@fluohq/engine';
import { stringify as toYaml } from 'yaml';
import { FLUO_BIN, freePort, lastJsonLine, percentile, runNode, sleep } from './harness.mjs';
import { REPO_ROOT } from './workload.mjs';

/** Starts `fluo serve` with these rules; resolves once /readyz answers. `bin`: another build's fluo.js (bench/compareBuilds.mjs). */
export async function startFluo(rules, extraFlags = [], { bin = FLUO_BIN } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fluo-bench-'));
  writeFileSync(path.join(dir, 'rules.yaml'), toYaml({ rules: rules.map((r) => ({ ...r, enabled: true })) }));
  const ports = { api: await freePort(), http: await freePort(), grpc: await freePort() };
  const args = [bin, 'serve', '--host', '127.0.0.1', '--port', String(ports.api), '--otlp-http-port', String(ports.http), '--otlp-grpc-port', String(ports.grpc),
    '--data-dir', path.join(dir, 'data'), '--rules', path.join(dir, 'rules.yaml'), '--log-level', 'warn', ...extraFlags];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`fluo serve exited ${child.exitCode}: ${output}`);
    const ok = await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: ports.api, path: '/readyz' }, (res) => { res.resume(); resolve(res.statusCode === 200); }).on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 600) { child.kill('SIGKILL'); throw new Error(`fluo serve did not become ready: ${output}`); }
    await sleep(50);
  }
  return {
    ports,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the load generator against a running server; resolves to accepted spans/s and counts. */
export async function loadRun(server, { protocol, durationMs, concurrency, spans, stampBase }) {
  const options = { protocol, port: protocol === 'grpc' ? server.ports.grpc : server.ports.http, durationMs, concurrency, spans, stampBase };
  const { stdout } = await runNode([path.join(REPO_ROOT, 'bench/loadgen.mjs'), JSON.stringify(options)]);
  const r = lastJsonLine(stdout);
  return { ...r, spansPerSecond: r.acceptedSpans / (r.elapsedMs / 1000) };
}

/** Throughput of one server configuration over `runs` load runs. */
export async function throughput(rules, { protocol, runs, durationMs, concurrency, spans, bin = FLUO_BIN, flags = [] }) {
  // A short idle timeout keeps the buffer at its steady state within a short run.
  const server = await startFluo(rules, ['--idle-timeout', '1s', ...flags], { bin });
  try {
    await loadRun(server, { protocol, durationMs: Math.min(1000, durationMs), concurrency, spans, stampBase: 1 }); // warm-up
    const out = [];
    for (let i = 0; i < runs; i++) out.push(await loadRun(server, { protocol, durationMs, concurrency, spans, stampBase: (i + 1) * 1_000_000 }));
    return out;
  } finally {
    await server.stop();
  }
}

/** Opens the SSE signal stream; calls onSignal(signal, receivedAtMs) for each event. */
function openSignalStream(port, onSignal) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/signals/stream', headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`signal stream answered ${res.statusCode}`)); return; }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk) => {
        const at = performance.now();
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').find((l) => l.startsWith('data: '));
          if (data && event.includes('event: signal')) onSignal(JSON.parse(data.slice(6)), at);
        }
      });
      resolve(() => req.destroy());
    });
    req.on('error', reject);
  });
}

function postSpans(port, spans) {
  const body = encodeProtobufTraces(spans);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`POST /v1/traces answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function latencySpan(traceNumber, spanNumber, name) {
  const now = Date.now();
  return createSpan({
    traceId: (traceNumber + 1).toString(16).padStart(32, 'a'),
    spanId: (spanNumber + 1).toString(16).padStart(16, 'b'),
    parentSpanId: spanNumber === 0 ? null : (1).toString(16).padStart(16, 'b'),
    name,
    kind: 'SERVER',
    startTimeUnixNano: millisToNanos(now),
    endTimeUnixNano: millisToNanos(now + 1),
    resource: { 'service.name': 'latency-bench' },
  });
}

export const LATENCY_RULES = [
  { id: 'bench-positive', name: 'positive pattern', severity: 'info', dsl: "trace.has(span => span.name === 'bench.checkout').and(trace.has(span => span.name === 'bench.payment'))" },
  { id: 'bench-absence', name: 'absence pattern', severity: 'info', dsl: "trace.has(span => span.name === 'bench.order').and(trace.missing(span => span.name === 'bench.shipped'))" },
];

/**
 * Detection latency, ms. Positive: from sending the span that completes the
 * pattern to its signal on the SSE stream. Absence: from the end of the idle
 * timeout (counted from the acknowledgement of the trace's last span) to
 * its signal.
 */
export async function detectionLatency({ samples, idleTimeoutMs = 1000, extraFlags = [] }) {
  const server = await startFluo(LATENCY_RULES, ['--idle-timeout', `${idleTimeoutMs}ms`, ...extraFlags]);
  const arrived = new Map();
  const waiters = new Map();
  const stopStream = await openSignalStream(server.ports.api, (signal, at) => {
    arrived.set(signal.traceId, at);
    waiters.get(signal.traceId)?.();
  });
  const waitFor = (traceId) => (arrived.has(traceId) ? Promise.resolve() : new Promise((resolve) => waiters.set(traceId, resolve)));
  try {
    const positive = [];
    for (let i = 0; i < samples; i++) {
      const first = latencySpan(i, 0, 'bench.checkout');
      await postSpans(server.ports.http, [first]);
      const completing = latencySpan(i, 1, 'bench.payment');
      const sentAt = performance.now();
      await postSpans(server.ports.http, [completing]);
      await waitFor(completing.traceId);
      positive.push(arrived.get(completing.traceId) - sentAt);
    }
    const absence = [];
    const pending = [];
    for (let i = 0; i < samples; i++) {
      const span = latencySpan(100_000 + i, 0, 'bench.order');
      await postSpans(server.ports.http, [span]);
      const dueAt = performance.now() + idleTimeoutMs;
      pending.push(waitFor(span.traceId).then(() => absence.push(arrived.get(span.traceId) - dueAt)));
      await sleep(Math.max(5, Math.floor(idleTimeoutMs / samples)));
    }
    await Promise.race([Promise.all(pending), sleep(idleTimeoutMs + 30_000)]);
    return {
      positiveP50: percentile(positive, 0.5), positiveP99: percentile(positive, 0.99),
      absenceP50: percentile(absence, 0.5), absenceP99: percentile(absence, 0.99), absenceMissing: samples - absence.length,
    };
  } finally {
    stopStream();
    await server.stop();
  }
}
