// Micro-benchmark of the evaluation budget's overhead (packages/engine/src/dsl/runtime.ts):
// the same 5 rules on the same 2,000-span trace through evaluateTrace with the
// default budget, in this build and, optionally, in a build of the engine from
// before the budget, alternating samples in one process so that load on the
// machine affects both alike. Prints the median time per pass and the ratio.
//   npm run build && node scripts/bench-rule-budget.mjs [path/to/baseline/engine/dist/index.js]
// A baseline build: git archive <commit> packages/engine tsconfig.base.json | tar -x -C /tmp/base,
// symlink node_modules into /tmp/base, then npx tsc -b /tmp/base/packages/engine.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const engines = [['budgeted', await import('@fluohq/engine')]];
if (process.argv[2]) engines.push(['baseline', await import(pathToFileURL(path.resolve(process.argv[2])).href)]);

function workload(engine) {
  const { buildTrace, compileRule, evaluateTrace, linkSpans } = engine;
  const spans = linkSpans(buildTrace('bench', Array.from({ length: 2000 }, (_, i) => ({
    id: `s${i}`, name: i % 7 === 0 ? 'db.query' : `op-${i % 50}`, parent: i === 0 ? undefined : `s${Math.floor((i - 1) / 4)}`,
    start: i, duration: 5 + (i % 13), status: i % 97 === 0 ? 'ERROR' : 'OK',
    attributes: { 'http.status_code': 200 + (i % 5), tags: ['a', 'b', 'c', String(i % 9)] },
  }))));
  const rules = [
    "trace.has(s => s.name === 'db.query' && s.duration > 100)",
    "trace.has(s => s.attributes.tags.some(t => t === 'zz'))",
    "trace.has(s => s.status === 'ERROR').and(trace.missing(s => s.attributes['http.status_code'] === 500))",
    "trace.count(s => s.children.every(c => c.duration < 1000)) > 10000",
    "trace.has(s => /^op-4\\d$/.test(s.name)).within('5 seconds')",
  ].map((dsl, i) => compileRule({ id: `r${i}`, name: `r${i}`, severity: 'info', dsl }));
  return () => { for (const r of rules) evaluateTrace(r, spans, { budget: 10_000_000 }); };
}

const passes = engines.map(([name, engine]) => [name, workload(engine)]);
const samples = Object.fromEntries(passes.map(([name]) => [name, []]));
const rounds = Number(process.env.ROUNDS ?? 100);
for (const [, pass] of passes) for (let i = 0; i < 20; i++) pass();
for (let r = 0; r < rounds; r++) {
  for (const [name, pass] of passes) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 3; i++) pass();
    samples[name].push(Number(process.hrtime.bigint() - t0) / 1e6 / 3);
  }
}
// The minimum is the sample least disturbed by other processes; the median is shown too.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs) => Math.min(...xs);
for (const [name] of passes) console.log(`${name.padEnd(9)} min ${min(samples[name]).toFixed(3)} ms, median ${median(samples[name]).toFixed(3)} ms per pass (5 rules, 2000 spans)`);
if (samples.baseline) console.log(`ratio budgeted / baseline: min ${(min(samples.budgeted) / min(samples.baseline)).toFixed(3)}, median ${(median(samples.budgeted) / median(samples.baseline)).toFixed(3)}`);
