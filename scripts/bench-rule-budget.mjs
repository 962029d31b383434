// Micro-benchmark of the evaluation budget's overhead (dsl/runtime.ts): the
// same rules on the same 2,000-span trace through evaluateTrace, with the
// default budget. Pass the path of another build of @fluohq/engine (e.g. one
// from before the budget) to compare:
//   node scripts/bench-rule-budget.mjs [path/to/engine/dist/index.js]
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const enginePath = process.argv[2] ? pathToFileURL(path.resolve(process.argv[2])).href : '@fluohq/engine';
const { buildTrace, compileRule, evaluateTrace, linkSpans } = await import(enginePath);

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

const rounds = Number(process.env.ROUNDS ?? 200);
const pass = () => { for (const r of rules) evaluateTrace(r, spans, { budget: 10_000_000 }); };
for (let i = 0; i < 20; i++) pass();
const samples = [];
for (let s = 0; s < 7; s++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds / 7; i++) pass();
  samples.push(Number(process.hrtime.bigint() - t0) / 1e6 / Math.floor(rounds / 7));
}
samples.sort((a, b) => a - b);
console.log(`${enginePath}: median ${samples[3].toFixed(3)} ms per pass of ${rules.length} rules over ${spans.length} spans`);
