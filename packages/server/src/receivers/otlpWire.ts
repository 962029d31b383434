/**
 * The few protobuf messages the receivers answer with, encoded by hand: they
 * are tiny and fixed, and this keeps the server free of a protobuf runtime
 * dependency (the engine owns OTLP request decoding).
 *
 *   ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
 *   ExportTracePartialSuccess  { int64 rejected_spans = 1; string error_message = 2; }
 *   google.rpc.Status          { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
 *   google.protobuf.Any        { string type_url = 1; bytes value = 2; }
 *   google.rpc.RetryInfo       { google.protobuf.Duration retry_delay = 1; }
 *   google.protobuf.Duration   { int64 seconds = 1; int32 nanos = 2; }
 *
 * JSON forms follow the OTLP/JSON mapping (lowerCamelCase keys, int64 as a
 * decimal string).
 */

/** gRPC status codes used in google.rpc.Status bodies and gRPC answers. */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

class ProtoWriter {
  private readonly bytes: number[] = [];

  varint(value: number | bigint): this {
    let v = BigInt(value);
    if (v < 0n) v = BigInt.asUintN(64, v);
    while (v > 0x7fn) {
      this.bytes.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.bytes.push(Number(v));
    return this;
  }

  tag(field: number, wireType: 0 | 2): this {
    return this.varint((field << 3) | wireType);
  }

  uint(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this; // proto3: defaults are not written
    return this.tag(field, 0).varint(value);
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    for (const b of value) this.bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    if (value === '') return this;
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** ExportTraceServiceResponse; partial_success is set only when something was rejected. */
export function encodeExportResponse(partial: PartialSuccess | null): Uint8Array {
  if (partial === null) return new Uint8Array(0);
  const inner = new ProtoWriter().uint(1, partial.rejectedSpans).string(2, partial.errorMessage).finish();
  return new ProtoWriter().bytesField(1, inner).finish();
}

export function exportResponseJson(partial: PartialSuccess | null): Record<string, unknown> {
  if (partial === null) return {};
  return { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } };
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/** google.rpc.RetryInfo wrapped in google.protobuf.Any. */
function retryInfoAny(retryAfterSeconds: number): Uint8Array {
  const duration = new ProtoWriter().uint(1, Math.max(0, Math.round(retryAfterSeconds))).finish();
  const retryInfo = new ProtoWriter().bytesField(1, duration).finish();
  return new ProtoWriter().string(1, RETRY_INFO_TYPE).bytesField(2, retryInfo).finish();
}

/** google.rpc.Status, with a RetryInfo detail when a retry delay is given. */
export function encodeStatus(code: number, message: string, retryAfterSeconds?: number): Uint8Array {
  const w = new ProtoWriter().uint(1, code).string(2, message);
  if (retryAfterSeconds !== undefined) w.bytesField(3, retryInfoAny(retryAfterSeconds));
  return w.finish();
}

export function statusJson(code: number, message: string, retryAfterSeconds?: number): Record<string, unknown> {
  const status: Record<string, unknown> = { code, message };
  if (retryAfterSeconds !== undefined) status.details = [{ '@type': RETRY_INFO_TYPE, retryDelay: `${Math.round(retryAfterSeconds)}s` }];
  return status;
}

/** The gRPC code that stands for a FluoError code, in gRPC answers and in OTLP/HTTP Status bodies. */
export function grpcCodeOf(code: import('../errors.js').ErrorCode): number {
  switch (code) {
    case 'BUFFER_FULL':
    case 'OVERLOADED':
    case 'PAYLOAD_TOO_LARGE':
      return GrpcCode.RESOURCE_EXHAUSTED;
    case 'STORE_BEHIND':
    case 'UNAVAILABLE':
    case 'WAL_FULL':
    case 'WAL_FAILED':
    case 'STORE_UNAVAILABLE':
      return GrpcCode.UNAVAILABLE;
    case 'NOT_FOUND':
    case 'METHOD_NOT_ALLOWED':
      return GrpcCode.UNIMPLEMENTED;
    case 'INTERNAL':
      return GrpcCode.INTERNAL;
    case 'UNAUTHENTICATED':
      return GrpcCode.UNAUTHENTICATED;
    case 'FORBIDDEN':
      return GrpcCode.PERMISSION_DENIED;
    default:
      return GrpcCode.INVALID_ARGUMENT;
  }
}
