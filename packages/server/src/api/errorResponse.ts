/**
 * The REST API's one error boundary: any thrown value becomes
 * `{ error: { code, message, details? } }` with the code's HTTP status,
 * `Retry-After` on retryable errors, and no stack or internals on a 500
 * (those go to the log).
 */
import { FluoError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function apiErrorResponse(thrown: unknown, log: Logger): Response {
  const err = thrown instanceof FluoError ? thrown : new FluoError('INTERNAL', 'internal error: see the server log', { cause: thrown });
  if (err.code === 'INTERNAL') log.error(`REST API: ${describeError(err.cause ?? err)}`);
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="fluo"';
  if (err.retryable && err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
  return new Response(JSON.stringify(body), { status: err.httpStatus, headers });
}
