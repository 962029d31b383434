/**
 * Measurement 5, run in its own process with --expose-gc: heap bytes per
 * buffered span. Decodes the standard workload (fresh trace ids per request,
 * so strings are as the server holds them, not shared literals) into a
 * Detector with 100 rules that never completes a trace, then compares the
 * heap after a full GC with the heap before ingesting.
 *
 * Usage: node --expose-gc bench/memoryChild.mjs <spans> [rules]
 * Prints one JSON line: { spans, rules, heapBytes, bytesPerSpan, offHeapBytesPerSpan }.
 */
import { Detector, compileRule, decodeProtobufTraces } from '@fluohq/engine';
import { encodeRequests, generateTraces, ruleSet, stampTraceIds } from './workload.mjs';

const target = Number(process.argv[2]);
const ruleCount = Number(process.argv[3] ?? 100);
const pool = encodeRequests(generateTraces({ seed: 11, spans: 20_000 }), 500);
const detector = new Detector({ idleTimeoutMs: 1e12, maxTraceLifetimeMs: 1e12, maxBufferedSpans: target * 2, maxBufferedTraces: target, maxSpansPerTrace: 1e6 });
detector.setRules(ruleSet(ruleCount).map(compileRule));

globalThis.gc();
globalThis.gc();
const before = process.memoryUsage();
let stamp = 1;
let now = 0;
for (let i = 0; detector.stats().bufferedSpans < target; i++) {
  const r = pool[i % pool.length];
  const bytes = new Uint8Array(r.protobuf);
  stampTraceIds(bytes, r.traceIdOffsets, stamp++);
  detector.ingest(decodeProtobufTraces(bytes).spans, ++now);
}
globalThis.gc();
globalThis.gc();
const after = process.memoryUsage();
const spans = detector.stats().bufferedSpans;
const heapBytes = after.heapUsed - before.heapUsed;
// Off the heap: the requests' bytes the spans keep (Span.source) and the detector's typed arrays.
const offHeapBytes = after.arrayBuffers - before.arrayBuffers;
process.stdout.write(`${JSON.stringify({ spans, rules: ruleCount, heapBytes, bytesPerSpan: heapBytes / spans, offHeapBytesPerSpan: offHeapBytes / spans })}\n`);
