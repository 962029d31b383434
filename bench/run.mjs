/**
 * `npm run bench`: runs the benchmark suite and writes bench/results/latest.md
 * and latest.json.
 *
 * Usage: node bench/run.mjs [--profile quick|full] [--only decode,evaluate,e2e,scaling,memory,latency,check] [--out DIR]
 *   quick (default): a few minutes; full: more runs, longer load runs, 1M-span memory.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { decodeRun } from './decode.mjs';
import { compileRuleSet, evaluateRun, withNativePredicates } from './evaluate.mjs';
import { detectionLatency, throughput } from './endToEnd.mjs';
import { prepareCheckFiles, timeCheck } from './checkFiles.mjs';
import { formatMarkdown, lastJsonLine, runNode, summarize } from './harness.mjs';
import { REPO_ROOT, encodeRequests, generateTraces, ruleSet } from './workload.mjs';

export const PROFILES = {
  smoke: { runs: 1, decodeSpans: 1_000, minMs: 10, evaluateSpans: 500, ruleCounts: [10], loadMs: 300, loadSpans: 1_000, loadRuns: 1, scaling: [1, 10], memory: [2_000], latencySamples: 3, latencyIdleMs: 200, checkSpans: 1_000 },
  quick: { runs: 3, decodeSpans: 20_000, minMs: 300, evaluateSpans: 5_000, ruleCounts: [10, 100, 1000], loadMs: 3_000, loadSpans: 20_000, loadRuns: 3, scaling: [1, 10, 100, 1000], memory: [100_000, 1_000_000], latencySamples: 50, latencyIdleMs: 1_000, checkSpans: 100_000 },
  full: { runs: 5, decodeSpans: 50_000, minMs: 1_000, evaluateSpans: 20_000, ruleCounts: [10, 100, 1000], loadMs: 8_000, loadSpans: 40_000, loadRuns: 5, scaling: [1, 10, 100, 1000], memory: [100_000, 1_000_000], latencySamples: 200, latencyIdleMs: 1_000, checkSpans: 300_000 },
};
export const MEASUREMENTS = ['decode', 'evaluate', 'e2e', 'scaling', 'memory', 'latency', 'check'];

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':')[1].trim();
  } catch { /* not Linux */ }
  return { cpu, cores: os.cpus().length, node: process.versions.node, platform: `${os.platform()} ${os.release()}`, memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
}

/**
 * Runs the chosen measurements; returns the results document.
 * `log` receives progress lines.
 */
export async function runBench({ profile = 'quick', only = MEASUREMENTS, seed = 1, log = () => {} } = {}) {
  const p = PROFILES[profile];
  if (!p) throw new Error(`unknown profile '${profile}' (quick, full or smoke)`);
  const results = [];
  const add = (section, id, name, unit, values, extra = {}) => {
    const stats = summarize(values);
    const result = { section, id, name, unit, stats, ...extra };
    if (extra.target) result.target = { ...extra.target, met: extra.target.check(stats.median) };
    delete result.target?.check;
    results.push(result);
    log(`${name}: ${stats.median.toPrecision(4)} ${unit}`);
    return stats;
  };
  let decodeCeiling = NaN;

  if (only.includes('decode')) {
    log('decode…');
    const requests = encodeRequests(generateTraces({ seed, spans: p.decodeSpans }), 500);
    const runs = [];
    for (let i = 0; i < p.runs; i++) runs.push(decodeRun(requests, p.minMs));
    const section = `Decode (${p.decodeSpans} spans in requests of ~500, spans/s, one core)`;
    for (const name of Object.keys(runs[0])) add(section, `decode:${name}`, name, 'spans/s', runs.map((r) => r[name]));
    const fluo = add(section, 'decode:ratio', 'FLUO protobuf ÷ protobufjs', 'x', runs.map((r) => r['FLUO decodeProtobufTraces'] / r['protobufjs decode (official .proto)']), {
      target: { text: '≥ 2x', check: (v) => v >= 2 },
    });
    void fluo;
    decodeCeiling = summarize(runs.map((r) => r['FLUO decodeProtobufTraces'])).median;
  }

  if (only.includes('evaluate')) {
    const traces = generateTraces({ seed: seed + 1, spans: p.evaluateSpans });
    const batches = batchTraces(traces, 500);
    for (const n of p.ruleCounts) {
      log(`evaluate ${n} rules…`);
      const compiled = compileRuleSet(ruleSet(n));
      const native = withNativePredicates(compiled);
      const runs = [];
      for (let i = 0; i < p.runs; i++) runs.push(evaluateRun({ compiled, native, traces, batches, minMs: p.minMs }));
      const section = `Evaluate (${p.evaluateSpans} spans, ns per span per rule or predicate, one core)`;
      const preds = runs[0].predicates;
      add(section, `evaluate:${n}:compiledPredicate`, `${n} rules: compiled predicates (${preds} distinct)`, 'ns/span/predicate', runs.map((r) => r.compiledPredicateNs));
      add(section, `evaluate:${n}:nativePredicate`, `${n} rules: native closures (${preds} distinct)`, 'ns/span/predicate', runs.map((r) => r.nativePredicateNs));
      add(section, `evaluate:${n}:predicateRatio`, `${n} rules: compiled ÷ native, predicates`, 'x', runs.map((r) => r.compiledPredicateNs / r.nativePredicateNs), {
        target: { text: '≤ 1.5x', check: (v) => v <= 1.5 },
      });
      add(section, `evaluate:${n}:compiledDetector`, `${n} rules: Detector, compiled`, 'ns/span/rule', runs.map((r) => r.compiledDetectorNs));
      add(section, `evaluate:${n}:nativeDetector`, `${n} rules: Detector, native closures`, 'ns/span/rule', runs.map((r) => r.nativeDetectorNs));
      add(section, `evaluate:${n}:detectorRatio`, `${n} rules: compiled ÷ native, Detector`, 'x', runs.map((r) => r.compiledDetectorNs / r.nativeDetectorNs), {
        target: { text: '≤ 1.5x', check: (v) => v <= 1.5 },
      });
    }
  }

  const load = { runs: p.loadRuns, durationMs: p.loadMs, concurrency: 8, spans: p.loadSpans };
  if (only.includes('e2e')) {
    const section = 'End to end: `fluo serve` (child process) fed by a load generator (another process), 100 rules, 8 requests in flight, accepted spans/s';
    for (const protocol of ['http', 'grpc']) {
      log(`end to end ${protocol}…`);
      const runs = await throughput(ruleSet(100), { protocol, ...load });
      const stats = add(section, `e2e:${protocol}`, `OTLP/${protocol === 'http' ? 'HTTP' : 'gRPC'} protobuf, 100 rules`, 'spans/s', runs.map((r) => r.spansPerSecond), {
        target: { text: '≥ 250k', check: (v) => v >= 250_000 },
        note: `refused (503) ${runs.reduce((n, r) => n + r.refused, 0)}, failed ${runs.reduce((n, r) => n + r.failed, 0)}`,
      });
      if (Number.isFinite(decodeCeiling)) {
        add(section, `e2e:${protocol}:ofDecode`, `OTLP/${protocol === 'http' ? 'HTTP' : 'gRPC'} ÷ decode ceiling`, '%', runs.map((r) => r.spansPerSecond / decodeCeiling), {
          target: { text: '≥ 50%', check: (v) => v >= 0.5 },
          note: 'decode ceiling: FLUO protobuf decode median of this run',
        });
      }
      void stats;
    }
    // The same server with decoding and detection on the ingest thread: what the detection thread buys, in one run.
    log('end to end http, detection on the ingest thread…');
    const threaded = results.find((r) => r.id === 'e2e:http');
    const inline = await throughput(ruleSet(100), { protocol: 'http', ...load, flags: ['--detection-thread', 'off'] });
    add(section, 'e2e:http:inline', 'OTLP/HTTP protobuf, 100 rules, --detection-thread off', 'spans/s', inline.map((r) => r.spansPerSecond));
    add(section, 'e2e:http:threadGain', 'detection thread ÷ ingest thread (OTLP/HTTP)', 'x', threaded.stats.runs.map((v, i) => v / inline[i % inline.length].spansPerSecond));
  }

  if (only.includes('scaling')) {
    const section = 'Rule-count scaling: end to end over OTLP/HTTP protobuf, accepted spans/s';
    const medians = {};
    const perRun = {};
    for (const n of p.scaling) {
      log(`scaling ${n} rules…`);
      const runs = await throughput(ruleSet(n), { protocol: 'http', ...load });
      perRun[n] = runs.map((r) => r.spansPerSecond);
      medians[n] = add(section, `scaling:${n}`, `${n} rule${n === 1 ? '' : 's'}`, 'spans/s', perRun[n]).median;
    }
    const most = p.scaling[p.scaling.length - 1];
    if (most !== 1 && perRun[1]) {
      add(section, 'scaling:ratio', `${most} rules ÷ 1 rule`, '%', perRun[most].map((v, i) => v / perRun[1][i % perRun[1].length]), {
        target: { text: '≥ 50%', check: (v) => v >= 0.5 },
      });
    }
  }

  if (only.includes('memory')) {
    const section = 'Memory: heap per buffered span (Detector with 100 rules, decoded standard workload; child process with --expose-gc)';
    for (const spans of p.memory) {
      log(`memory ${spans} spans…`);
      const runs = [];
      const offHeap = [];
      for (let i = 0; i < Math.min(p.runs, spans >= 1_000_000 ? 1 : 3); i++) {
        const { stdout } = await runNode(['--expose-gc', '--max-old-space-size=8192', path.join(REPO_ROOT, 'bench/memoryChild.mjs'), String(spans), '100']);
        const result = lastJsonLine(stdout);
        runs.push(result.bytesPerSpan);
        offHeap.push(result.offHeapBytesPerSpan);
      }
      add(section, `memory:${spans}`, `${spans.toLocaleString('en')} buffered spans`, 'B/span', runs, { target: { text: '≤ 300', check: (v) => v <= 300 } });
      add(section, `memory:offheap:${spans}`, `${spans.toLocaleString('en')} buffered spans, off the heap (request bytes kept, typed arrays)`, 'B/span', offHeap);
    }
  }

  if (only.includes('latency')) {
    log('detection latency…');
    const section = `Detection latency over OTLP/HTTP to the SSE stream, idle server (${p.latencySamples} samples per run; idle timeout ${p.latencyIdleMs} ms, tick interval default)`;
    const runs = [];
    for (let i = 0; i < Math.min(p.runs, 3); i++) runs.push(await detectionLatency({ samples: p.latencySamples, idleTimeoutMs: p.latencyIdleMs }));
    add(section, 'latency:positive:p50', 'positive pattern p50', 'ms', runs.map((r) => r.positiveP50));
    add(section, 'latency:positive:p99', 'positive pattern p99', 'ms', runs.map((r) => r.positiveP99), { target: { text: '< 50', check: (v) => v < 50 } });
    add(section, 'latency:absence:p50', 'absence pattern p50 (after the idle timeout)', 'ms', runs.map((r) => r.absenceP50));
    add(section, 'latency:absence:p99', 'absence pattern p99 (after the idle timeout)', 'ms', runs.map((r) => r.absenceP99), {
      target: { text: '≤ 100', check: (v) => v <= 100 },
      note: `signals missing: ${runs.reduce((n, r) => n + r.absenceMissing, 0)}`,
    });
    // Absence signals wait for the next tick after the idle timeout: the tick interval bounds their latency.
    const fastTick = [];
    for (let i = 0; i < Math.min(p.runs, 3); i++) fastTick.push(await detectionLatency({ samples: p.latencySamples, idleTimeoutMs: p.latencyIdleMs, extraFlags: ['--tick-interval', '50ms'] }));
    add(section, 'latency:absence:p99:tick50', 'absence pattern p99 with --tick-interval 50ms', 'ms', fastTick.map((r) => r.absenceP99), {
      target: { text: '≤ 100', check: (v) => v <= 100 },
      note: `positive p99 ${summarize(fastTick.map((r) => r.positiveP99)).median.toFixed(1)} ms in these runs`,
    });
  }

  if (only.includes('check')) {
    log('fluo check…');
    const prepared = prepareCheckFiles(generateTraces({ seed: seed + 2, spans: p.checkSpans }), ruleSet(100));
    try {
      const section = `\`fluo check\` with 100 rules over ${prepared.spans} spans in one file (child process, wall clock)`;
      const fixed = [];
      const pb = [];
      const json = [];
      for (let i = 0; i < p.runs; i++) {
        fixed.push(await timeCheck(prepared.files.rules, prepared.files.tiny));
        pb.push(await timeCheck(prepared.files.rules, prepared.files.protobuf));
        json.push(await timeCheck(prepared.files.rules, prepared.files.json));
      }
      add(section, 'check:fixed', 'fixed cost (one-trace file)', 'ms', fixed);
      add(section, 'check:protobuf', 'OTLP/protobuf file', 'spans/s', pb.map((ms) => prepared.spans / (ms / 1000)), { note: 'wall clock including the fixed cost' });
      add(section, 'check:json', 'OTLP/JSON file', 'spans/s', json.map((ms) => prepared.spans / (ms / 1000)), { note: 'wall clock including the fixed cost' });
    } finally {
      prepared.cleanup();
    }
  }

  return { meta: { date: new Date().toISOString(), profile, seed, runs: p.runs, ...machine() }, results };
}

function batchTraces(traces, spansPerBatch) {
  const batches = [];
  let batch = [];
  for (const t of traces) {
    batch.push(...t);
    if (batch.length >= spansPerBatch) { batches.push(batch); batch = []; }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export function writeResults(doc, dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(doc, null, 2)}\n`);
  writeFileSync(path.join(dir, 'latest.md'), formatMarkdown(doc));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { profile: { type: 'string', default: 'quick' }, only: { type: 'string' }, out: { type: 'string' } } });
  const only = values.only ? values.only.split(',') : MEASUREMENTS;
  const unknown = only.filter((m) => !MEASUREMENTS.includes(m));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown measurement ${unknown.join(', ')} (choose from ${MEASUREMENTS.join(', ')})\n`);
    process.exit(2);
  }
  const doc = await runBench({ profile: values.profile, only, log: (line) => process.stderr.write(`bench: ${line}\n`) });
  const out = values.out ?? path.join(REPO_ROOT, 'bench/results');
  writeResults(doc, out);
  process.stdout.write(formatMarkdown(doc));
  process.stderr.write(`bench: wrote ${path.join(out, 'latest.md')} and latest.json\n`);
}
