/**
 * What both OTLP receivers do with a request body once it is read: have the
 * pipeline decode it (on the detection thread by default), admit and accept
 * the spans, and say what was rejected.
 * Errors come out as FluoError (`toIngestError`), so each receiver maps them
 * to its protocol in one place.
 */
import { OtlpDecodeError } from '@fluohq/engine';
import { FluoError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FluoMetrics } from '../metrics/fluoMetrics.js';
import type { DecodedOtlpRequest, Pipeline } from '../pipeline/pipeline.js';
import type { PartialSuccess } from './otlpWire.js';

export type OtlpFormat = 'protobuf' | 'json';
export type OtlpProtocol = 'http' | 'grpc';

export interface OtlpIngestDeps {
  pipeline: Pipeline;
  metrics: () => FluoMetrics;
  log: Logger;
}

/** How many rejection reasons the partial-success message lists. */
const REASONS_SHOWN = 3;

/**
 * Decodes and ingests. Resolves, once the spans are durable in the span log,
 * to the partial success to report, or null when every span was accepted.
 */
export async function ingestOtlp(body: Uint8Array, format: OtlpFormat, protocol: OtlpProtocol, receivedAt: number, deps: OtlpIngestDeps): Promise<PartialSuccess | null> {
  let decoded: DecodedOtlpRequest;
  try {
    decoded = await deps.pipeline.decode(format, body);
  } catch (err) {
    throw toIngestError(err, format);
  }
  const metrics = deps.metrics();
  try {
    // Admission again, now that the number of spans is known; nothing is ingested when refused.
    deps.pipeline.admit(decoded);
  } catch (err) {
    deps.pipeline.release(decoded);
    throw err;
  }
  const refused = await deps.pipeline.accept(decoded, receivedAt);
  metrics.spansReceived.inc({ protocol }, decoded.spans + decoded.rejected.length);
  if (decoded.rejected.length > 0) metrics.spansRejected.inc({ stage: 'decode' }, decoded.rejected.length);
  if (refused.length > 0) metrics.spansRejected.inc({ stage: 'detector' }, refused.length);
  const reasons = [
    ...decoded.rejected.map((r) => `${r.path}: ${r.message}`),
    ...refused.map((r) => `span ${r.spanId} of trace ${r.traceId}: ${r.reason}`),
  ];
  if (reasons.length === 0) return null;
  const shown = reasons.slice(0, REASONS_SHOWN).join('; ');
  const more = reasons.length > REASONS_SHOWN ? `; and ${reasons.length - REASONS_SHOWN} more` : '';
  return { rejectedSpans: reasons.length, errorMessage: `${reasons.length} span${reasons.length === 1 ? '' : 's'} rejected: ${shown}${more}` };
}

/** Any error from reading, decoding or ingesting, as a FluoError. Unexpected errors are logged by the caller. */
export function toIngestError(err: unknown, format?: OtlpFormat): FluoError {
  if (err instanceof FluoError) return err;
  if (err instanceof OtlpDecodeError) {
    const where = [
      err.path ? `at ${err.path}` : '',
      err.line !== undefined ? `line ${err.line}${err.column !== undefined ? `, column ${err.column}` : ''}` : '',
    ].filter(Boolean).join(', ');
    const kind = format === 'json' ? 'OTLP/JSON' : format === 'protobuf' ? 'OTLP/protobuf' : 'OTLP';
    return new FluoError('OTLP_DECODE', `malformed ${kind} request${where && !err.message.includes(where) ? ` (${where})` : ''}: ${err.message}`, {
      details: { code: err.code, path: err.path, line: err.line, column: err.column },
    });
  }
  if (err instanceof Error && (err as { code?: unknown }).code === 'DETECTOR_CLOSED') {
    return new FluoError('UNAVAILABLE', 'FLUO is shutting down', { retryAfterSeconds: 5 });
  }
  return new FluoError('INTERNAL', 'internal error while ingesting spans', { cause: err });
}

export function logIfInternal(err: FluoError, log: Logger, where: string): void {
  if (err.code === 'INTERNAL') log.error(`${where}: ${describeError(err.cause ?? err)}`);
}
