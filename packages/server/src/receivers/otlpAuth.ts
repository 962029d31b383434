/**
 * Optional authentication of OTLP senders (--otlp-auth): the token travels
 * in a header (HTTP) or metadata entry (gRPC), by default `authorization:
 * Bearer <token>` as OpenTelemetry exporters send it with
 * OTEL_EXPORTER_OTLP_HEADERS; with --otlp-auth-header x-fluo-token the bare
 * token (or "Bearer <token>") in that header. Refusals are UNAUTHENTICATED
 * (HTTP 401, gRPC 16) or FORBIDDEN (HTTP 403, gRPC 7), which exporters do
 * not retry.
 */
import { tokenFromHeader } from '../auth/apiToken.js';
import type { Authenticator } from '../auth/authenticator.js';

export interface OtlpAuth {
  authenticator: Authenticator;
  /** Lowercase header / metadata key. */
  header: string;
}

/** Resolves when the sender may send spans; rejects with FluoError UNAUTHENTICATED or FORBIDDEN. */
export async function checkOtlpSender(auth: OtlpAuth | null | undefined, headerValue: string | null | undefined): Promise<void> {
  if (!auth) return;
  await auth.authenticator.authorizeIngest(tokenFromHeader(headerValue, auth.header === 'authorization'));
}
