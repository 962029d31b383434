/**
 * The one error type of the client. A FLUO server answers every failed
 * request with `{ "error": { "code", "message", "details" } }`; the client
 * throws it as a FluoApiError carrying the same `code`, `message` and
 * `details` plus the HTTP `status`. Failures that never got an answer from
 * FLUO have `status` 0: `UNREACHABLE` (network error), `BAD_RESPONSE` (an
 * answer that is not FLUO's, e.g. a proxy's HTML page) or `CLOSED` (the
 * reason of calls cancelled by `close()`).
 *
 * `retryable` is true for answers that say "come back later" (429, 503) and
 * for UNREACHABLE; every other error is permanent.
 */
export type FluoErrorCode =
  | 'VALIDATION' | 'INVALID_JSON' | 'BAD_CONTENT_ENCODING' | 'RULE_COMPILE' | 'OTLP_DECODE'
  | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'CONFLICT' | 'READ_ONLY' | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE' | 'BUFFER_FULL' | 'STORE_BEHIND' | 'UNAVAILABLE' | 'INTERNAL'
  | 'UNAUTHORIZED' | 'FORBIDDEN'
  | 'UNREACHABLE' | 'BAD_RESPONSE' | 'CLOSED'
  // Codes added by newer servers pass through unchanged.
  | (string & {});

export class FluoApiError extends Error {
  readonly code: FluoErrorCode;
  /** HTTP status of FLUO's answer; 0 when there was none. */
  readonly status: number;
  readonly details: unknown;
  /** Seconds to wait before retrying, from the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;
  /** Method and URL of the failed request. */
  readonly request: string;

  constructor(init: { code: FluoErrorCode; message: string; status: number; details?: unknown; retryAfterSeconds?: number; request: string; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'FluoApiError';
    this.code = init.code;
    this.status = init.status;
    this.details = init.details;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.request = init.request;
  }

  get retryable(): boolean {
    return this.code === 'UNREACHABLE' || this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** The FluoApiError for a response that is not 2xx (reads the body). */
export async function errorFromResponse(response: Response, request: string): Promise<FluoApiError> {
  const text = await response.text().catch(() => '');
  const retryAfter = Number(response.headers.get('retry-after'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter >= 0 && response.headers.has('retry-after') ? retryAfter : undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new FluoApiError({ code: error.code, message: error.message, status: response.status, details: error.details, retryAfterSeconds, request });
  }
  const code = response.status === 401 ? 'UNAUTHORIZED' : response.status === 403 ? 'FORBIDDEN' : response.status === 404 ? 'NOT_FOUND'
    : response.status === 503 ? 'UNAVAILABLE' : 'BAD_RESPONSE';
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new FluoApiError({ code, message: `${request} answered HTTP ${response.status}${excerpt ? `: ${excerpt}` : ''}`, status: response.status, retryAfterSeconds, request });
}
