// A quick A/B of the protobuf decoders on the standard workload (same process, alternating).
import { decodeProtobufTraces, decodeProtobufTracesWithProtobufjs } from '@fluohq/engine';
import { officialRequestType } from './decode.mjs';
import { interleavedRates } from './harness.mjs';
import { encodeRequests, generateTraces } from './workload.mjs';
const requests = encodeRequests(generateTraces({ spans: Number(process.argv[2] ?? 20000) }), 500);
const spans = requests.reduce((n, r) => n + r.spans, 0);
const type = officialRequestType();
for (let i = 0; i < 3; i++) {
  const r = interleavedRates({
    protobufjs: () => { for (const q of requests) type.decode(q.protobuf); },
    fast: () => { for (const q of requests) decodeProtobufTraces(q.protobuf); },
    oracle: () => { for (const q of requests) decodeProtobufTracesWithProtobufjs(q.protobuf); },
  }, spans, { minMs: 800 });
  console.log(`protobufjs ${(r.protobufjs / 1e3).toFixed(0)}k  fast ${(r.fast / 1e3).toFixed(0)}k  oracle ${(r.oracle / 1e3).toFixed(0)}k  fast/protobufjs ${(r.fast / r.protobufjs).toFixed(2)}x  fast/oracle ${(r.fast / r.oracle).toFixed(2)}x`);
}
