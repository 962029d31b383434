/**
 * The load generator, run as its own process so it does not share the
 * server's event loop: sends pre-encoded OTLP/protobuf requests (every send
 * stamped with new trace ids) over OTLP/HTTP or gRPC with `concurrency`
 * requests in flight, for `durationMs`. Prints one JSON line:
 * { acceptedSpans, requests, refused (503/RESOURCE_EXHAUSTED), failed, elapsedMs }.
 *
 * Usage: node bench/loadgen.mjs '<json options>'
 *   { protocol: 'http'|'grpc', port, durationMs, concurrency, spans, seed, stampBase }
 */
import http from 'node:http';
import grpc from '@grpc/grpc-js';
import { encodeRequests, generateTraces, stampTraceIds } from './workload.mjs';

const options = JSON.parse(process.argv[2]);
const pool = encodeRequests(generateTraces({ seed: options.seed ?? 7, spans: options.spans ?? 20_000 }), options.spansPerRequest ?? 500);
let stamp = options.stampBase ?? 1;
let next = 0;

function nextRequest() {
  const r = pool[next++ % pool.length];
  const bytes = Buffer.from(r.protobuf); // a copy: sends in flight keep their own ids
  stampTraceIds(bytes, r.traceIdOffsets, stamp++);
  return { bytes, spans: r.spans };
}

function httpSender() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  return (bytes) => new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: options.port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': bytes.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : res.statusCode === 503 || res.statusCode === 429 ? 'refused' : 'failed'));
    });
    req.on('error', () => resolve('failed'));
    req.end(bytes);
  });
}

function grpcSender() {
  const client = new grpc.Client(`127.0.0.1:${options.port}`, grpc.credentials.createInsecure());
  const method = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
  return (bytes) => new Promise((resolve) => {
    client.makeUnaryRequest(method, (b) => b, (b) => b, bytes, (err) => {
      resolve(err === null ? 'ok' : err.code === grpc.status.RESOURCE_EXHAUSTED || err.code === grpc.status.UNAVAILABLE ? 'refused' : 'failed');
    });
  });
}

const send = options.protocol === 'grpc' ? grpcSender() : httpSender();
const counts = { acceptedSpans: 0, requests: 0, refused: 0, failed: 0 };
const start = performance.now();
const deadline = start + options.durationMs;

async function worker() {
  while (performance.now() < deadline) {
    const { bytes, spans } = nextRequest();
    const outcome = await send(bytes);
    counts.requests++;
    if (outcome === 'ok') counts.acceptedSpans += spans;
    else if (outcome === 'refused') { counts[outcome]++; await new Promise((r) => setTimeout(r, 5)); }
    else counts.failed++;
  }
}

await Promise.all(Array.from({ length: options.concurrency }, worker));
process.stdout.write(`${JSON.stringify({ ...counts, elapsedMs: performance.now() - start, nextStamp: stamp })}\n`);
process.exit(0);
