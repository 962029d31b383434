// How often the standard workload fires each rule (a check on the workload's realism).
import { Detector, compileRule } from '@fluohq/engine';
import { generateTraces, ruleSet } from './workload.mjs';
const traces = generateTraces({ seed: 1, spans: Number(process.argv[3] ?? 20000) });
const d = new Detector({ idleTimeoutMs: 1e12 });
d.setRules(ruleSet(Number(process.argv[2] ?? 100)).map(compileRule));
const fired = new Map(); const tracesFired = new Set();
const note = (ds) => { for (const x of ds) { fired.set(x.signal.ruleId, (fired.get(x.signal.ruleId) ?? 0) + 1); tracesFired.add(x.signal.traceId); } };
for (const t of traces) note(d.ingest(t, 1).detections);
note(d.flush(2));
console.log(`traces ${traces.length}, traces with a signal ${tracesFired.size}, signals ${[...fired.values()].reduce((a, b) => a + b, 0)}`);
console.log([...fired].sort((a, b) => b[1] - a[1]).slice(0, 20));
