// A quick A/B of the protobuf decoders on the standard workload (same process, alternating).
import { decodeProtobufTraces, decodeProtobufTracesWithProtobufjs } from '@fluohq/engine';
import { officialRequestType } from './decode.mjs';
import { rate } from './harness.mjs';
import { encodeRequests, generateTraces } from './workload.mjs';
const requests = encodeRequests(generateTraces({ spans: Number(process.argv[2] ?? 20000) }), 500);
const spans = requests.reduce((n, r) => n + r.spans, 0);
const type = officialRequestType();
for (let i = 0; i < 3; i++) {
  const pbjs = rate(() => { for (const r of requests) type.decode(r.protobuf); }, spans, { minMs: 500 });
  const fast = rate(() => { for (const r of requests) decodeProtobufTraces(r.protobuf); }, spans, { minMs: 500 });
  const oracle = rate(() => { for (const r of requests) decodeProtobufTracesWithProtobufjs(r.protobuf); }, spans, { minMs: 500 });
  console.log(`protobufjs ${(pbjs / 1e3).toFixed(0)}k  fast ${(fast / 1e3).toFixed(0)}k  oracle ${(oracle / 1e3).toFixed(0)}k  fast/protobufjs ${(fast / pbjs).toFixed(2)}x`);
}
