/**
 * protobufjs message types for OTLP, built once (on first use) from the
 * generated descriptor; no .proto text is parsed at run time.
 */
import protobuf from 'protobufjs/light.js';
import { otlpDescriptor } from './otlpDescriptor.js';

export interface OtlpTypes {
  exportTraceServiceRequest: protobuf.Type;
}

let cached: OtlpTypes | undefined;

export function otlpTypes(): OtlpTypes {
  if (cached === undefined) {
    const root = protobuf.Root.fromJSON(otlpDescriptor);
    cached = {
      exportTraceServiceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    };
  }
  return cached;
}

/** A protobufjs reader for `bytes` that drops unknown fields instead of keeping their raw bytes. */
export function otlpReader(bytes: Uint8Array): protobuf.Reader {
  const reader = protobuf.Reader.create(bytes) as protobuf.Reader & { discardUnknown?: boolean };
  reader.discardUnknown = true;
  return reader;
}
