/**
 * The server's one error type. Every failure that crosses a boundary (REST
 * API, OTLP/HTTP, OTLP/gRPC, CLI) is a FluoError with a stable `code`; each
 * boundary turns it into its protocol's answer in one place
 * (api/errorResponse.ts, receivers/otlpHttp.ts, receivers/otlpGrpc.ts).
 *
 * `retryable` errors tell senders to come back later (HTTP 429/503 with
 * Retry-After, gRPC RESOURCE_EXHAUSTED/UNAVAILABLE); every other code is
 * permanent: sending the same request again gives the same answer.
 */
export type ErrorCode =
  | 'VALIDATION'              // a field of a request or of the configuration is invalid
  | 'INVALID_JSON'            // a request body is not JSON
  | 'BAD_CONTENT_ENCODING'    // a gzip body that does not decompress
  | 'RULE_COMPILE'            // a rule's DSL does not compile (details: code, message, line, column)
  | 'OTLP_DECODE'             // an OTLP request is malformed (details: the engine's code, path, line, column)
  | 'UNAUTHENTICATED'         // no token, or not a valid one (401; gRPC UNAUTHENTICATED)
  | 'FORBIDDEN'               // a valid token whose role may not do this (403; gRPC PERMISSION_DENIED)
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'                // the id exists already, or the version given is not the current one
  | 'READ_ONLY'               // the rule comes from a rule file: edit the file instead
  | 'PAYLOAD_TOO_LARGE'       // body (after decompression) over the configured limit
  | 'UNSUPPORTED_MEDIA_TYPE'  // content type or content encoding not accepted
  | 'BUFFER_FULL'             // the detector's span buffer is at its bound: retry later
  | 'STORE_BEHIND'            // the store's write queue is at its bound: retry later
  | 'UNAVAILABLE'             // starting or stopping: retry later
  | 'OVERLOADED'              // too many OTLP requests in flight, or the heap near its limit: retry later
  | 'WAL_FULL'                // the span log holds its maximum of accepted, unfinished spans: retry later
  | 'WAL_FAILED'              // the span log cannot be written (disk full, I/O error): retry later
  | 'STORE_UNAVAILABLE'       // the store refuses writes (locked, read-only, disk full): retry later
  | 'INTERNAL';

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  INVALID_JSON: 400,
  BAD_CONTENT_ENCODING: 400,
  RULE_COMPILE: 400,
  OTLP_DECODE: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  READ_ONLY: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BUFFER_FULL: 429,
  STORE_BEHIND: 503,
  UNAVAILABLE: 503,
  OVERLOADED: 429,
  WAL_FULL: 503,
  WAL_FAILED: 503,
  STORE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class FluoError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Seconds a sender should wait before retrying; set on retryable errors only. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'FluoError';
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds ?? (isRetryableCode(code) ? 1 : undefined);
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  get retryable(): boolean {
    return isRetryableCode(this.code);
  }
}

export function isRetryableCode(code: ErrorCode): boolean {
  return code === 'BUFFER_FULL' || code === 'STORE_BEHIND' || code === 'UNAVAILABLE'
    || code === 'OVERLOADED' || code === 'WAL_FULL' || code === 'WAL_FAILED' || code === 'STORE_UNAVAILABLE';
}

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** Message of an unknown thrown value, for logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
