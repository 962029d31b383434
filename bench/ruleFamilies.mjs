/**
 * Where the 1,000-rule detector spends its time, by example rule: for each
 * example rule, the Detector alone runs the rule set's variants of it (48
 * each in the 1,000-rule set, see workload.mjs ruleVariant) over the decoded
 * standard workload, and the table gives the time above a detector without
 * rules (best of the runs), the rule evaluations and the signals. Families
 * do not add up to the whole set exactly (routing and indexes are shared).
 *
 * Usage: node bench/ruleFamilies.mjs [--runs 6] [--spans 20000] [--only <example rule id>]
 */
import { parseArgs } from 'node:util';
import { Detector, compileRule, copySpan, decodeProtobufTraces } from '@fluohq/engine';
import { encodeRequests, exampleRules, generateTraces, ruleSet } from './workload.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '6' }, spans: { type: 'string', default: '20000' }, only: { type: 'string' } } });
const runs = Number(values.runs);
const requests = encodeRequests(generateTraces({ seed: 11, spans: Number(values.spans) }), 500).map((r) => decodeProtobufTraces(new Uint8Array(r.protobuf)).spans);
const spanCount = requests.reduce((n, list) => n + list.length, 0);
const all = ruleSet(1000);
const ids = exampleRules().map((r) => r.id);

/** Best time of `runs` passes of a fresh Detector with `rules` over fresh copies of the workload's spans. */
function measure(rules) {
  const compiled = rules.map(compileRule);
  let best = { ms: Infinity };
  for (let run = 0; run < runs; run++) {
    const detector = new Detector({ idleTimeoutMs: 1e12, maxTraceLifetimeMs: 1e12 });
    detector.setRules(compiled);
    const batches = requests.map((list) => list.map((s) => copySpan(s, { parent: null, children: [] })));
    const started = process.hrtime.bigint();
    let now = 0;
    for (const batch of batches) detector.ingest(batch, ++now);
    detector.flush(++now);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (ms < best.ms) best = { ms, ...detector.stats() };
  }
  return best;
}

const none = measure([]);
process.stdout.write(`${spanCount} spans; detector without rules ${none.ms.toFixed(1)} ms\n\n| Example rule | Variants | ms above no rules | Rule evaluations | Signals |\n|---|---:|---:|---:|---:|\n`);
for (const id of values.only ? [values.only] : ids) {
  const family = all.filter((r) => r.id === id || (r.id.startsWith(`${id}-`) && /^\d+$/.test(r.id.slice(id.length + 1))));
  const m = measure(family);
  process.stdout.write(`| ${id} | ${family.length} | ${(m.ms - none.ms).toFixed(1)} | ${m.ruleEvaluations} | ${m.signals} |\n`);
}
if (!values.only) {
  const m = measure(all);
  process.stdout.write(`| all 1,000 rules | ${all.length} | ${(m.ms - none.ms).toFixed(1)} | ${m.ruleEvaluations} | ${m.signals} |\n`);
}
