/**
 * OTLP/HTTP receiver: POST /v1/traces with application/x-protobuf or
 * application/json bodies, gzip or deflate encoded or not, answered as the
 * OTLP specification says:
 * - 200 with an ExportTraceServiceResponse in the request's encoding;
 *   `partialSuccess` when some spans were rejected.
 * - 400 with a google.rpc.Status (in the request's encoding) for a malformed
 *   request; 413 over the body limit; 415 for another content type or
 *   encoding (Status as JSON, the request's encoding being unknown).
 * - 200 only once the spans are durable in the span log (wal/spanLog.ts).
 * - 429 (buffer full, too many requests in flight, heap near its limit) or 503 (store behind or unavailable, span log full or
 *   failing, starting, stopping) with Retry-After, which OTLP exporters retry.
 * Errors are mapped to answers in one place: `errorResponse`.
 */
import { Hono } from 'hono';
import { FluoError } from '../errors.js';
import { readBody } from '../http/readBody.js';
import { requestMetrics } from '../http/requestMetrics.js';
import { encodeExportResponse, encodeStatus, exportResponseJson, grpcCodeOf, statusJson, type PartialSuccess } from './otlpWire.js';
import { ingestOtlp, logIfInternal, toIngestError, type OtlpFormat, type OtlpIngestDeps } from './otlpIngest.js';
import { checkOtlpSender, type OtlpAuth } from './otlpAuth.js';

export interface OtlpHttpOptions extends OtlpIngestDeps {
  maxBodySize: number;
  /** Token check for senders (--otlp-auth), or null. */
  auth?: OtlpAuth | null;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

function formatOf(contentType: string | null): OtlpFormat | null {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (media === PROTOBUF || media === 'application/protobuf') return 'protobuf';
  if (media === JSON_TYPE) return 'json';
  return null;
}

function okResponse(partial: PartialSuccess | null, format: OtlpFormat): Response {
  if (format === 'protobuf') {
    return new Response(encodeExportResponse(partial), { status: 200, headers: { 'content-type': PROTOBUF } });
  }
  return Response.json(exportResponseJson(partial), { status: 200 });
}

export function errorResponse(err: FluoError, format: OtlpFormat | null): Response {
  const headers: Record<string, string> = {};
  const retry = err.retryable ? err.retryAfterSeconds : undefined;
  if (retry !== undefined) headers['retry-after'] = String(retry);
  const code = grpcCodeOf(err.code);
  if (format === 'protobuf') {
    headers['content-type'] = PROTOBUF;
    return new Response(encodeStatus(code, err.message, retry), { status: err.httpStatus, headers });
  }
  headers['content-type'] = 'application/json';
  return new Response(JSON.stringify(statusJson(code, err.message, retry)), { status: err.httpStatus, headers });
}

export function createOtlpHttpApp(options: OtlpHttpOptions): Hono {
  const app = new Hono();
  app.use('*', requestMetrics('otlp', options.metrics));

  app.post('/v1/traces', async (c) => {
    const receivedAt = Date.now();
    const format = formatOf(c.req.header('content-type') ?? null);
    let release: (() => void) | null = null;
    try {
      if (format === null) {
        throw new FluoError('UNSUPPORTED_MEDIA_TYPE', `Content-Type '${c.req.header('content-type') ?? ''}' is not supported: send ${PROTOBUF} or ${JSON_TYPE}`);
      }
      await checkOtlpSender(options.auth, c.req.header(options.auth?.header ?? 'authorization'));
      release = options.pipeline.admitRequest();
      const body = await readBody(c.req.raw, options.maxBodySize);
      return okResponse(await ingestOtlp(body, format, 'http', receivedAt, options), format);
    } catch (thrown) {
      const err = toIngestError(thrown, format ?? undefined);
      logIfInternal(err, options.log, 'OTLP/HTTP');
      options.metrics().requestsRefused.inc({ protocol: 'http', code: err.code });
      return errorResponse(err, err.code === 'UNSUPPORTED_MEDIA_TYPE' ? null : format);
    } finally {
      release?.();
    }
  });

  app.all('/v1/traces', () => errorResponse(new FluoError('METHOD_NOT_ALLOWED', 'use POST /v1/traces'), null));
  app.notFound((c) => errorResponse(new FluoError('NOT_FOUND', `no such OTLP endpoint: ${c.req.method} ${c.req.path} (this receiver takes traces at POST /v1/traces)`), null));
  app.onError((thrown) => {
    const err = toIngestError(thrown);
    logIfInternal(err, options.log, 'OTLP/HTTP');
    return errorResponse(err, null);
  });
  return app;
}
