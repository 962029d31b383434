/**
 * A/B of two builds of FLUO on this machine, interleaved so that load from
 * other processes hits both alike: this tree ("new") and another checkout
 * built with `npm run build` ("base", e.g. a copy of the tree before a
 * change). Prints one JSON line per figure with both values and the per-run
 * ratios new ÷ base (for throughput; base ÷ new for costs), and a summary.
 *
 * Usage: node bench/compareBuilds.mjs --base DIR [--only detector,store,memory,scaling] [--runs 3] [--rules 1,100,1000] [--load-ms 3000]
 *
 * - detector: the whole Detector of each build in this process (the same
 *   spans, batches and rule texts; each build compiles its own rules and
 *   sets them once per detector, outside the timed passes: evaluate.mjs,
 *   detectorPasses), interleaved pass by pass; ns per span per rule.
 * - store: the SQLite store of each build writing batches of completed
 *   traces into a new file (building the stored form included, one write
 *   in flight while the next batch is built); spans/s, and the main
 *   thread's CPU ns per span.
 * - memory: bench/memoryChild.mjs of each tree (100,000 buffered spans,
 *   100 rules); deterministic, one run each.
 * - scaling: `fluo serve` of each build fed over OTLP/HTTP, base and new
 *   alternating run by run, per rule count; accepted spans/s.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as current from '@fluohq/engine';
import { interleavedRates, lastJsonLine, runNode, summarize } from './harness.mjs';
import { throughput } from './endToEnd.mjs';
import { detectorPasses } from './evaluate.mjs';
import { REPO_ROOT, generateTraces, ruleSet } from './workload.mjs';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    only: { type: 'string', default: 'detector,memory,scaling' },
    runs: { type: 'string', default: '3' },
    rules: { type: 'string', default: '1,100,1000' },
    'load-ms': { type: 'string', default: '3000' },
  },
});
if (!values.base) throw new Error('--base DIR is required (a built checkout to compare with)');
const BASE = path.resolve(values.base);
const only = values.only.split(',');
const runs = Number(values.runs);
const ruleCounts = values.rules.split(',').map(Number);
const loadMs = Number(values['load-ms']);

function report(figure, base, next, higherIsBetter) {
  const ratios = base.map((b, i) => (higherIsBetter ? next[i] / b : b / next[i]));
  const line = { figure, base: summarize(base).median, new: summarize(next).median, speedup: summarize(ratios), ratios };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

if (only.includes('detector')) {
  const baseEngine = await import(pathToFileURL(path.join(BASE, 'packages/engine/dist/index.js')).href);
  const traces = generateTraces({ seed: 2, spans: 5_000 });
  const batches = [];
  let batch = [];
  for (const t of traces) {
    batch.push(...t);
    if (batch.length >= 500) { batches.push(batch); batch = []; }
  }
  if (batch.length > 0) batches.push(batch);
  const spans = batches.reduce((n, b) => n + b.length, 0);
  const pass = (engine, rules) => detectorPasses(engine.Detector, rules, batches);
  for (const n of ruleCounts) {
    const definitions = ruleSet(n);
    const baseRules = definitions.map((d) => baseEngine.compileRule(d));
    const newRules = definitions.map((d) => current.compileRule(d));
    const signalsBase = pass(baseEngine, baseRules)();
    const signalsNew = pass(current, newRules)();
    if (signalsBase !== signalsNew) throw new Error(`${n} rules: base raised ${signalsBase} signals, new ${signalsNew}`);
    const base = [];
    const next = [];
    for (let i = 0; i < runs; i++) {
      const r = interleavedRates({ base: pass(baseEngine, baseRules), new: pass(current, newRules) }, spans * n, { minMs: 300 });
      base.push(1e9 / r.base);
      next.push(1e9 / r.new);
    }
    report(`detector ${n} rules, ns/span/rule (${signalsNew} signals in both)`, base, next, false);
  }
}

if (only.includes('store')) {
  // The SQLite store's write path: batches of completed traces (new trace ids, as under load), one file per build and run.
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  // Timed: from engine spans to committed rows, as the pipeline does it: the stored form is built per trace and
  // written in batches, one write in flight while the next batch is built (the write queue writes while ingest goes
  // on). Measured in wall time and in the main thread's CPU time (Linux: /proc/thread-self/schedstat, ns on CPU;
  // elsewhere event-loop busy time), which is what a store write takes from ingestion.
  const { readFileSync } = await import('node:fs');
  const mainThreadNs = () => {
    try {
      return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    } catch {
      return performance.eventLoopUtilization().active * 1e6;
    }
  };
  const load = async (root) => {
    const kept = await import(pathToFileURL(path.join(root, 'packages/server/dist/store/keptTrace.js')).href);
    const { serializeSpan } = await import(pathToFileURL(path.join(root, 'packages/server/dist/store/serializedSpan.js')).href);
    return {
      SqliteStore: (await import(pathToFileURL(path.join(root, 'packages/server/dist/store/sqliteStore.js')).href)).SqliteStore,
      // Builds before OTLP bytes kept serialized spans; later ones take the spans and encode them.
      toStore: kept.newTrace ?? ((traceId, spans, completedAt) => kept.keptTrace(traceId, spans.map(serializeSpan), completedAt)),
    };
  };
  const builds = { base: await load(BASE), new: await load(REPO_ROOT) };
  const traces = generateTraces({ seed: 3, spans: 20_000 });
  const spans = traces.reduce((n, t) => n + t.length, 0);
  const base = [];
  const next = [];
  const baseMain = [];
  const nextMain = [];
  for (let i = 0; i < runs; i++) {
    for (const [name, out, outMain] of [['base', base, baseMain], ['new', next, nextMain]]) {
      const b = builds[name];
      const dir = mkdtempSync(path.join(tmpdir(), 'fluo-store-ab-'));
      const store = b.SqliteStore.open({ path: path.join(dir, 'fluo.db'), busyTimeout: 5000 });
      await store.write({ signals: [], traces: [] }); // a writer thread, where the build has one, is up before timing
      const start = performance.now();
      const cpu = mainThreadNs();
      let inFlight = Promise.resolve();
      for (let k = 0; k < traces.length; k += 20) {
        const batch = traces.slice(k, k + 20).map((t, j) => b.toStore(`${i}f${k + j}`.padStart(32, '0'), t, 1));
        await inFlight;
        inFlight = store.write({ signals: [], traces: batch });
      }
      await inFlight;
      outMain.push((mainThreadNs() - cpu) / spans);
      out.push(spans / ((performance.now() - start) / 1000));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  report(`SQLite store write, batches of 20 new traces, spans/s`, base, next, true);
  report(`SQLite store write, main-thread CPU ns per span`, baseMain, nextMain, false);
}

if (only.includes('memory')) {
  const measure = async (root) => lastJsonLine((await runNode(['--expose-gc', '--max-old-space-size=8192', path.join(root, 'bench/memoryChild.mjs'), '100000', '100'], { cwd: root })).stdout).bytesPerSpan;
  report('memory, B per buffered span (100 rules)', [await measure(BASE)], [await measure(REPO_ROOT)], false);
}

if (only.includes('scaling')) {
  const bins = { base: path.join(BASE, 'packages/cli/bin/fluo.js'), new: path.join(REPO_ROOT, 'packages/cli/bin/fluo.js') };
  const perRules = {};
  for (const n of ruleCounts) {
    const base = [];
    const next = [];
    for (let i = 0; i < runs; i++) {
      // One server start per run and build, alternating, so drift in the machine's load hits both.
      const load = { protocol: 'http', runs: 1, durationMs: loadMs, concurrency: 8, spans: 20_000 };
      base.push((await throughput(ruleSet(n), { ...load, bin: bins.base }))[0].spansPerSecond);
      next.push((await throughput(ruleSet(n), { ...load, bin: bins.new }))[0].spansPerSecond);
    }
    perRules[n] = { base, next };
    report(`fluo serve, OTLP/HTTP, ${n} rule${n === 1 ? '' : 's'}, spans/s`, base, next, true);
  }
  const most = ruleCounts[ruleCounts.length - 1];
  if (perRules[1] && most !== 1) {
    const share = (which) => perRules[most][which].map((v, i) => v / perRules[1][which][i]);
    process.stdout.write(`${JSON.stringify({ figure: `${most} rules ÷ 1 rule`, base: summarize(share('base')), new: summarize(share('next')) })}\n`);
  }
}
