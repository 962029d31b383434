/**
 * Decoders for the receivers' protobuf answers, built with protobufjs from
 * the proto definitions, so that tests check the hand-written encoder in
 * otlpWire.ts against an independent implementation.
 */
import protobuf from 'protobufjs';

const root = protobuf.parse(`
syntax = "proto3";
package fluotest;
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
message Any { string type_url = 1; bytes value = 2; }
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
message RetryInfo { Duration retry_delay = 1; }
`).root;

const ExportResponse = root.lookupType('fluotest.ExportTraceServiceResponse');
const Status = root.lookupType('fluotest.Status');
const RetryInfo = root.lookupType('fluotest.RetryInfo');

const options = { longs: Number, defaults: true };

export function decodeExportResponse(bytes: Uint8Array): { partialSuccess: { rejectedSpans: number; errorMessage: string } | null } {
  return ExportResponse.toObject(ExportResponse.decode(bytes), options) as never;
}

export function decodeStatus(bytes: Uint8Array): { code: number; message: string; retryDelaySeconds: number | null } {
  const status = Status.toObject(Status.decode(bytes), options) as { code: number; message: string; details: Array<{ typeUrl: string; value: Uint8Array }> };
  const retry = status.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
  const delay = retry ? (RetryInfo.toObject(RetryInfo.decode(retry.value), options) as { retryDelay: { seconds: number } }).retryDelay.seconds : null;
  return { code: status.code, message: status.message, retryDelaySeconds: delay };
}
