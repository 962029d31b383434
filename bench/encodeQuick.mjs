// A quick A/B of the ways to store a completed trace's spans (same process, alternating): the spans' request bytes
// copied as received (encodeTracesDataAsReceived, what the server stores), the hand-written OTLP encoder
// (encodeTracesData, for spans without request bytes), protobufjs (encodeProtobufTraces, its test
// oracle), and the JSON the store kept before (JSON.stringify of serialized spans). Traces come from decoding the
// standard workload's OTLP requests, so spans of one request share their resource object, as in the server.
// Usage: node bench/encodeQuick.mjs [spans]
import { decodeProtobufTraces, encodeProtobufTraces, encodeTracesData, encodeTracesDataAsReceived } from '@fluohq/engine';
import { serializeSpan } from '../packages/server/dist/store/serializedSpan.js';
import { interleavedRates } from './harness.mjs';
import { encodeRequests, generateTraces } from './workload.mjs';

const requests = encodeRequests(generateTraces({ spans: Number(process.argv[2] ?? 20000) }), 500);
const byTrace = new Map();
for (const r of requests) {
  for (const span of decodeProtobufTraces(r.protobuf).spans) {
    let t = byTrace.get(span.traceId);
    if (t === undefined) byTrace.set(span.traceId, (t = []));
    t.push(span);
  }
}
const traces = [...byTrace.values()];
const spans = traces.reduce((n, t) => n + t.length, 0);
const bytes = (encode) => traces.reduce((n, t) => n + encode(t).length, 0) / spans;
console.log(`${traces.length} traces, ${spans} spans; bytes per span: as received ${bytes(encodeTracesDataAsReceived).toFixed(0)}, encodeTracesData ${bytes(encodeTracesData).toFixed(0)}, protobufjs ${bytes(encodeProtobufTraces).toFixed(0)}, JSON ${bytes((t) => JSON.stringify(t.map(serializeSpan))).toFixed(0)}`);
for (let i = 0; i < 3; i++) {
  const r = interleavedRates({
    asReceived: () => { for (const t of traces) encodeTracesDataAsReceived(t); },
    ours: () => { for (const t of traces) encodeTracesData(t); },
    protobufjs: () => { for (const t of traces) encodeProtobufTraces(t); },
    json: () => { for (const t of traces) JSON.stringify(t.map(serializeSpan)); },
  }, spans, { minMs: 800 });
  const ns = (rate) => (1e9 / rate).toFixed(0);
  console.log(`ns/span: as received ${ns(r.asReceived)} (${(r.asReceived / r.ours).toFixed(2)}x encodeTracesData)  encodeTracesData ${ns(r.ours)}  protobufjs ${ns(r.protobufjs)}  JSON ${ns(r.json)}  ratio vs JSON ${(r.ours / r.json).toFixed(2)}x  vs protobufjs ${(r.ours / r.protobufjs).toFixed(2)}x`);
}
