/**
 * OTLP/gRPC receiver: opentelemetry.proto.collector.trace.v1.TraceService/Export
 * with @grpc/grpc-js. Messages stay raw Buffers (identity serializers): the
 * engine decodes requests, otlpWire encodes responses. grpc-js handles gzip
 * and deflate message compression and enforces the size limit after
 * decompression (`grpc.max_receive_message_length`).
 *
 * Errors map to status codes as the OTLP specification says:
 * INVALID_ARGUMENT for malformed requests (not retried), RESOURCE_EXHAUSTED
 * with google.rpc.RetryInfo when the buffer is full or the server overloaded, UNAVAILABLE (with
 * RetryInfo) when the store is behind or unavailable, the span log is full or
 * failing, or the server is starting or stopping. OK is sent only once the
 * request is durable in the span log.
 */
import * as grpc from '@grpc/grpc-js';
import { FluoError } from '../errors.js';
import { ListenError } from '../http/listen.js';
import { encodeExportResponse, encodeStatus, grpcCodeOf } from './otlpWire.js';
import { ingestOtlp, logIfInternal, toIngestError, type OtlpIngestDeps } from './otlpIngest.js';
import { checkOtlpSender, type OtlpAuth } from './otlpAuth.js';
import type { TlsMaterial } from '../http/tls.js';

export interface OtlpGrpcOptions extends OtlpIngestDeps {
  maxBodySize: number;
  /** Token check for senders (--otlp-auth), or null. */
  auth?: OtlpAuth | null;
  /** Serve TLS with this certificate and key, or plaintext when null. */
  tls?: TlsMaterial | null;
  /** Streams per connection grpc-js lets in at once (each holds a message of up to maxBodySize). */
  maxConcurrentStreams?: number;
}

export interface GrpcListener {
  port: number;
  close(graceMs?: number): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

export const TRACE_SERVICE_DEFINITION: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

function grpcError(err: FluoError): grpc.ServerErrorResponse {
  const code = grpcCodeOf(err.code);
  const retry = err.retryable ? err.retryAfterSeconds : undefined;
  const metadata = new grpc.Metadata();
  // The rich status (with RetryInfo) that OTLP clients read to decide when to retry.
  metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(code, err.message, retry)));
  return Object.assign(new Error(err.message), { code, details: err.message, metadata });
}

export async function listenGrpc(host: string, port: number, options: OtlpGrpcOptions): Promise<GrpcListener> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxBodySize,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
    ...(options.maxConcurrentStreams !== undefined ? { 'grpc.max_concurrent_streams': options.maxConcurrentStreams } : {}),
  });
  server.addService(TRACE_SERVICE_DEFINITION, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const receivedAt = Date.now();
      let release: (() => void) | null = null;
      const refuse = (thrown: unknown): void => {
        release?.();
        const err = toIngestError(thrown, 'protobuf');
        logIfInternal(err, options.log, 'OTLP/gRPC');
        options.metrics().requestsRefused.inc({ protocol: 'grpc', code: err.code });
        callback(grpcError(err), null);
      };
      const ingest = (): void => {
        try {
          release = options.pipeline.admitRequest();
          // OK only once the spans are durable in the span log.
          ingestOtlp(call.request, 'protobuf', 'grpc', receivedAt, options).then(
            (partial) => { release?.(); callback(null, Buffer.from(encodeExportResponse(partial))); },
            refuse,
          );
        } catch (thrown) {
          refuse(thrown);
        }
      };
      if (!options.auth) { ingest(); return; }
      const value = call.metadata.get(options.auth.header)[0];
      checkOtlpSender(options.auth, typeof value === 'string' ? value : value?.toString('utf8') ?? null).then(ingest, refuse);
    },
  });
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    const credentials = options.tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: options.tls.cert, private_key: options.tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    server.bindAsync(address, credentials, (error, boundPort) => {
      if (error) reject(new ListenError(`cannot listen on ${address} for the OTLP/gRPC receiver (--otlp-grpc-port): ${error.message}`, { cause: error }));
      else resolve(boundPort);
    });
  });
  let closing: Promise<void> | null = null;
  return {
    port: bound,
    close(graceMs = 5000) {
      if (closing) return closing;
      closing = new Promise<void>((resolve) => {
        const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, graceMs);
        timer.unref();
        server.tryShutdown(() => { clearTimeout(timer); resolve(); });
      });
      return closing;
    },
  };
}
