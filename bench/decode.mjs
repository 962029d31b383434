/**
 * Measurement 1: decoding OTLP requests into FLUO's span model, next to plain
 * protobufjs decoding of the same bytes with the official .proto files (the
 * ceiling a straightforward implementation reaches) and JSON.
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import * as engine from '@fluohq/engine';
import { REPO_ROOT, ruleSet } from './workload.mjs';
import { interleavedRates } from './harness.mjs';

let requestType;
/** protobufjs's ExportTraceServiceRequest, loaded from the vendored official .proto files. */
export function officialRequestType() {
  if (requestType === undefined) {
    const protoRoot = path.join(REPO_ROOT, 'proto');
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(protoRoot, target);
    root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
    requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  }
  return requestType;
}

/**
 * The attribute keys the standard rule set of `rules` rules reads by name:
 * what `fluo serve` decodes as spans arrive (DecodeOptions.attributeKeys),
 * or null for an engine without arrival mode.
 */
function arrivalKeys(rules) {
  if (typeof engine.Detector.prototype.arrivalAttributeKeys !== 'function') return null;
  const compiled = ruleSet(rules).map(engine.compileRule);
  const detector = new engine.Detector();
  detector.setRules(compiled);
  const correlator = new engine.Correlator();
  correlator.setRules(compiled);
  return new Set([...detector.arrivalAttributeKeys(), ...correlator.arrivalAttributeKeys()]);
}

/** The candidates, each a function of one request (bytes and text). */
export function decodeCandidates() {
  const type = officialRequestType();
  const keys = arrivalKeys(100);
  const candidates = {
    'protobufjs decode (official .proto)': (r) => type.decode(r.protobuf),
    'FLUO decodeProtobufTraces': (r) => engine.decodeProtobufTraces(r.protobuf),
    ...(keys === null ? {} : { [`FLUO decodeProtobufTraces, arrival mode (the ${keys.size} keys 100 rules read)`]: (r) => engine.decodeProtobufTraces(r.protobuf, { attributeKeys: keys }) }),
    'JSON.parse only': (r) => JSON.parse(r.json),
    'FLUO decodeJsonTraces': (r) => engine.decodeJsonTraces(r.json),
  };
  if (typeof engine.decodeProtobufTracesWithProtobufjs === 'function') {
    candidates['FLUO protobufjs-based decoder (oracle)'] = (r) => engine.decodeProtobufTracesWithProtobufjs(r.protobuf);
  }
  return candidates;
}

/** One run: spans/s of every candidate over the same requests, interleaved. */
export function decodeRun(requests, minMs) {
  const spans = requests.reduce((n, r) => n + r.spans, 0);
  const passes = {};
  for (const [name, fn] of Object.entries(decodeCandidates())) passes[name] = () => { for (const r of requests) fn(r); };
  return interleavedRates(passes, spans, { minMs });
}
