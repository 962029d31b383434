#!/usr/bin/env node
/**
 * Scale-out throughput: spans per second through one FLUO instance and
 * through three, all on one PostgreSQL, on this machine.
 *
 *   npm run build && node bench/scale-out.mjs [--spans 240000] [--instances 1,3] [--json FILE]
 *
 * For each instance count: a fresh database, N `fluo serve` processes (the
 * real CLI, with the 17 example rules), and a load generator in a separate
 * process that sends OTLP/HTTP protobuf, each trace to the instance the
 * Collector's loadbalancing exporter would pick (bench/traceIdRing.mjs),
 * retrying refused requests (429/503, back-pressure) after 100 ms as a
 * Collector's retry would. Measured:
 * - accepted/s: spans the instances acknowledged per second of sending;
 * - stored/s: spans per second from the first request until every trace is
 *   kept in PostgreSQL (the end-to-end rate: detection, evaluation, storage);
 * - CPU seconds used by the FLUO processes and by PostgreSQL, hence spans
 *   per CPU-second;
 * - memory per buffered span: RSS growth of one instance holding spans in
 *   open traces (a long idle timeout), divided by the spans held.
 * Prints a table and the ratio of three instances to one. One run on a
 * shared machine is one sample: the figures in docs/scaling.md say so.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { TraceIdRing } from './traceIdRing.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const BIN = path.join(repo, 'packages/cli/bin/fluo.js');
const RULES = path.join(repo, 'examples/rules');
const SPANS_PER_TRACE = 8;
const TRACES_PER_REQUEST = 64;
const IN_FLIGHT_PER_INSTANCE = 4;
const CLOCK_TICKS = 100; // USER_HZ on Linux

// ---------------------------------------------------------------- generator

/** One checkout-like trace of 8 spans over 5 services, with a random trace id. */
function trace(engine, n, base) {
  const traceId = randomBytes(16).toString('hex');
  const id = () => randomBytes(8).toString('hex');
  const root = id();
  const ns = (ms) => engine.millisToNanos(base + ms);
  const span = (spanId, parentSpanId, name, service, start, duration, extra = {}) => engine.createSpan({
    traceId, spanId, parentSpanId, name, kind: extra.kind ?? (parentSpanId ? 'INTERNAL' : 'SERVER'), status: extra.status ?? 'UNSET',
    startTimeUnixNano: ns(start), endTimeUnixNano: ns(start + duration),
    attributes: { 'http.route': '/checkout', 'user.id': `user-${n % 5000}`, ...extra.attributes },
    resource: { 'service.name': service, 'deployment.environment': 'bench' },
  });
  const payment = id();
  return [
    span(root, null, 'POST /checkout', 'shop', 0, 120, { attributes: { 'http.request.method': 'POST', 'http.response.status_code': n % 50 === 0 ? 500 : 200 } }),
    span(id(), root, 'cart.load', 'shop', 2, 8),
    // One trace in ten reads personal data without an audit span: two of the example rules fire on it.
    span(id(), root, 'SELECT carts', 'shop', 3, 5, { kind: 'CLIENT', attributes: { 'db.system': 'postgresql', 'db.query.text': 'SELECT * FROM carts WHERE id = $1', ...(n % 10 === 0 ? { 'data.contains_pii': true } : {}) } }),
    span(id(), root, 'fraud.check', 'risk', 12, 15, { attributes: { 'risk.score': n % 100 } }),
    span(payment, root, 'payment.charge', 'payments', 30, 60, { attributes: { 'payment.amount': (n % 900) + 10, 'payment.currency': 'EUR' }, status: n % 40 === 0 ? 'ERROR' : 'UNSET' }),
    span(id(), payment, 'POST https://psp.example/charge', 'payments', 32, 50, { kind: 'CLIENT', attributes: { 'http.request.method': 'POST', 'server.address': 'psp.example' } }),
    span(id(), root, 'order.create', 'shop', 95, 10),
    span(id(), root, 'mail.send', 'notify', 106, 10),
  ];
}

async function generate(config) {
  const engine = await import('@fluohq/engine');
  const ring = new TraceIdRing(config.endpoints);
  const perEndpoint = new Map(config.endpoints.map((e) => [e, []]));
  const base = Date.now();
  const traces = Math.ceil(config.spans / SPANS_PER_TRACE);
  for (let n = 0; n < traces; n++) {
    const spans = trace(engine, n, base);
    perEndpoint.get(ring.endpointFor(spans[0].traceId)).push(spans);
  }
  // Encode before the clock starts: the generator should cost the machine as little as possible while measuring.
  const requests = new Map();
  for (const [endpoint, list] of perEndpoint) {
    const bodies = [];
    for (let i = 0; i < list.length; i += TRACES_PER_REQUEST) bodies.push(engine.encodeProtobufTraces(list.slice(i, i + TRACES_PER_REQUEST).flat()));
    requests.set(endpoint, { bodies, spans: list.length * SPANS_PER_TRACE });
  }
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise((resolve) => process.stdin.once('data', resolve));

  let refused = 0;
  const started = Date.now();
  const cpuAtStart = process.cpuUsage();
  await Promise.all([...requests].map(async ([endpoint, { bodies }]) => {
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT_PER_INSTANCE }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        for (;;) {
          const res = await fetch(`${endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
          await res.arrayBuffer();
          if (res.status === 200) break;
          if (res.status !== 429 && res.status !== 503) throw new Error(`${endpoint} answered ${res.status}`);
          refused++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }));
  }));
  const ended = Date.now();
  const cpu = process.cpuUsage(cpuAtStart);
  process.stdout.write(`${JSON.stringify({ started, ended, refused, cpuSeconds: (cpu.user + cpu.system) / 1e6, perEndpoint: Object.fromEntries([...requests].map(([e, r]) => [e, r.spans])) })}\n`);
}

// ---------------------------------------------------------------- harness

function lines(stream, onLine) {
  let buffer = '';
  stream.on('data', (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) { onLine(buffer.slice(0, nl)); buffer = buffer.slice(nl + 1); }
  });
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** utime + stime (+ reaped children's) of a process, in seconds; 0 when it is gone. */
function cpuSeconds(pid, withChildren = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0);
    return ticks / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds of the postmaster, its reaped children and its live children (backends, writers). */
function postgresCpuSeconds(postmasterPid) {
  let total = cpuSeconds(postmasterPid, true);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmasterPid) total += cpuSeconds(Number(entry));
    } catch { /* gone meanwhile */ }
  }
  return total;
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat), to show how much of it others used meanwhile. */
function machineCpuSeconds() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function startInstance(name, storeUrl, root, extra = []) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0',
    '--data-dir', path.join(root, name), '--store', storeUrl, '--rules', RULES, '--log-level', 'warn',
    '--idle-timeout', '500ms', '--trace-retention', '1d', '--trace-retention-max-spans', '100000000', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-10_000); });
  const m = await until(`${name} to listen`, () => {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
    return /^fluo: listening api=(\S+) otlp-http=(\S+)/m.exec(stdout);
  }, 60_000);
  return { name, child, api: m[1], otlpHttp: m[2], stderr: () => stderr };
}

async function stopAll(instances) {
  await Promise.all(instances.map((i) => new Promise((resolve) => {
    if (i.child.exitCode !== null) { resolve(); return; }
    i.child.once('exit', resolve);
    i.child.kill('SIGTERM');
  })));
}

function startGenerator(config) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--generate', JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const messages = [];
  const waiters = [];
  lines(child.stdout, (line) => { const msg = JSON.parse(line); const w = waiters.shift(); if (w) w(msg); else messages.push(msg); });
  const next = () => new Promise((resolve, reject) => {
    if (messages.length > 0) { resolve(messages.shift()); return; }
    waiters.push(resolve);
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`the generator exited with ${code}`)); });
  });
  return { child, next, go: () => child.stdin.write('go\n') };
}

async function storedSpans(db) {
  return Number((await db.query('SELECT COALESCE(sum(span_count), 0) AS n FROM traces')).rows[0].n);
}

async function runThroughput(pgServer, count, spans, root) {
  const url = await pgServer.createDatabase(`scale_${count}`);
  const instances = await Promise.all(Array.from({ length: count }, (_, i) => startInstance(`fluo-${count}-${i}`, url, root)));
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const generator = startGenerator({ endpoints: instances.map((i) => i.otlpHttp), spans });
    await generator.next(); // encoded, ready
    const cpuBefore = { fluo: instances.reduce((s, i) => s + cpuSeconds(i.child.pid), 0), postgres: postgresCpuSeconds(pgServer.pid), machine: machineCpuSeconds() };
    generator.go();
    const sent = await generator.next();
    const total = Object.values(sent.perEndpoint).reduce((a, b) => a + b, 0);
    await until('every span to be stored', async () => (await storedSpans(db)) >= total, 600_000);
    const done = Date.now();
    const cpuAfter = { fluo: instances.reduce((s, i) => s + cpuSeconds(i.child.pid), 0), postgres: postgresCpuSeconds(pgServer.pid), machine: machineCpuSeconds() };
    const signals = Number((await db.query('SELECT count(*) AS n FROM signals')).rows[0].n);
    const duplicates = Number((await db.query('SELECT count(*) - count(DISTINCT id) AS n FROM signals')).rows[0].n);
    return {
      instances: count, spans: total, traces: total / SPANS_PER_TRACE, signals, duplicateSignals: duplicates, refusedRequests: sent.refused,
      sendSeconds: (sent.ended - sent.started) / 1000, endToEndSeconds: (done - sent.started) / 1000,
      acceptedPerSecond: Math.round(total / ((sent.ended - sent.started) / 1000)),
      storedPerSecond: Math.round(total / ((done - sent.started) / 1000)),
      fluoCpuSeconds: +(cpuAfter.fluo - cpuBefore.fluo).toFixed(2), postgresCpuSeconds: +(cpuAfter.postgres - cpuBefore.postgres).toFixed(2),
      generatorCpuSeconds: +sent.cpuSeconds.toFixed(2),
      machineBusyCpuSeconds: +(cpuAfter.machine.busy - cpuBefore.machine.busy).toFixed(2),
      machineCpuSeconds: +(cpuAfter.machine.total - cpuBefore.machine.total).toFixed(2),
      spansPerFluoCpuSecond: Math.round(total / (cpuAfter.fluo - cpuBefore.fluo)),
      perInstance: sent.perEndpoint,
    };
  } finally {
    await db.end();
    await stopAll(instances);
  }
}

async function runMemory(pgServer, spans, root) {
  const url = await pgServer.createDatabase('memory');
  // Traces stay open: idle timeout and lifetime far beyond the run.
  const [instance] = [await startInstance('fluo-memory', url, root, ['--idle-timeout', '10m', '--max-trace-lifetime', '20m'])];
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = rssBytes(instance.child.pid);
    const generator = startGenerator({ endpoints: [instance.otlpHttp], spans });
    await generator.next();
    generator.go();
    const sent = await generator.next();
    const total = Object.values(sent.perEndpoint).reduce((a, b) => a + b, 0);
    const metrics = await (await fetch(`${instance.api}/metrics`)).text();
    const buffered = Number(/^fluo_buffered_spans (\d+)/m.exec(metrics)?.[1] ?? 0);
    const after = rssBytes(instance.child.pid);
    return { spansSent: total, bufferedSpans: buffered, rssBeforeMiB: +(before / 2 ** 20).toFixed(1), rssAfterMiB: +(after / 2 ** 20).toFixed(1), bytesPerBufferedSpan: Math.round((after - before) / buffered) };
  } finally {
    instance.child.kill('SIGKILL'); // its buffered traces are not the point here
    await new Promise((resolve) => instance.child.once('exit', resolve));
  }
}

async function main() {
  const { values } = parseArgs({ options: { spans: { type: 'string', default: '240000' }, instances: { type: 'string', default: '1,3' }, json: { type: 'string' }, 'memory-spans': { type: 'string', default: '200000' } } });
  const spans = Number(values.spans);
  const counts = values.instances.split(',').map(Number);
  const { startPostgres } = await import('../scripts/test-postgres.mjs');
  const pgServer = await startPostgres({ settings: { max_connections: '200', shared_buffers: '256MB' } });
  const root = mkdtempSync(path.join(tmpdir(), 'fluo-scale-out-bench-'));
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
  process.stderr.write(`scale-out bench: ${spans} spans per run, instances ${counts.join(' and ')}, on ${machine.cpus} CPUs (${machine.cpuModel})\n`);
  try {
    const runs = [];
    for (const count of counts) {
      const run = await runThroughput(pgServer, count, spans, root);
      process.stderr.write(`  ${count} instance(s): ${JSON.stringify(run)}\n`);
      runs.push(run);
    }
    const memory = await runMemory(pgServer, Number(values['memory-spans']), root);
    process.stderr.write(`  memory: ${JSON.stringify(memory)}\n`);
    const one = runs.find((r) => r.instances === 1);
    const three = runs.find((r) => r.instances === 3);
    const ratio = one && three ? { stored: +(three.storedPerSecond / one.storedPerSecond).toFixed(2), accepted: +(three.acceptedPerSecond / one.acceptedPerSecond).toFixed(2) } : null;
    const result = { date: new Date().toISOString(), machine, runs, memory, ratio };
    console.log('\ninstances  spans    accepted/s  stored/s  FLUO CPU s  PG CPU s  gen CPU s  machine busy/total s  spans/FLUO-CPU-s  refused  signals  duplicates');
    for (const r of runs) {
      console.log(`${String(r.instances).padEnd(10)} ${String(r.spans).padEnd(8)} ${String(r.acceptedPerSecond).padEnd(11)} ${String(r.storedPerSecond).padEnd(9)} ${String(r.fluoCpuSeconds).padEnd(11)} ${String(r.postgresCpuSeconds).padEnd(9)} ${String(r.generatorCpuSeconds).padEnd(10)} ${`${r.machineBusyCpuSeconds}/${r.machineCpuSeconds}`.padEnd(21)} ${String(r.spansPerFluoCpuSecond).padEnd(17)} ${String(r.refusedRequests).padEnd(8)} ${String(r.signals).padEnd(8)} ${r.duplicateSignals}`);
    }
    if (ratio) console.log(`\nthree instances / one: stored/s x${ratio.stored}, accepted/s x${ratio.accepted}`);
    console.log(`memory: ${memory.bytesPerBufferedSpan} bytes of RSS per buffered span (${memory.bufferedSpans} spans held, RSS ${memory.rssBeforeMiB} → ${memory.rssAfterMiB} MiB)`);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await pgServer.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const generateAt = process.argv.indexOf('--generate');
if (generateAt >= 0) {
  generate(JSON.parse(process.argv[generateAt + 1])).then(() => process.exit(0), (err) => { process.stderr.write(`generator: ${err.stack}\n`); process.exit(1); });
} else {
  main().catch((err) => { process.stderr.write(`${err.stack}\n`); process.exitCode = 1; });
}
