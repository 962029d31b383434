/**
 * Reading REST requests: JSON bodies (size-limited, parse errors with line
 * and column) and query parameters (each problem names the parameter).
 */
import { FluoError } from '../errors.js';
import { readBody } from '../http/readBody.js';

/** Largest REST request body. */
export const API_BODY_LIMIT = 1024 * 1024;

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) { line++; start = i + 1; }
  return { line, column: offset - start + 1 };
}

export async function readJson(request: Request, limit: number = API_BODY_LIMIT): Promise<unknown> {
  const type = request.headers.get('content-type');
  if (type !== null) {
    const media = type.split(';')[0].trim().toLowerCase();
    if (media !== 'application/json' && !media.endsWith('+json')) {
      throw new FluoError('UNSUPPORTED_MEDIA_TYPE', `Content-Type '${type}' is not supported: send application/json`);
    }
  }
  const text = new TextDecoder().decode(await readBody(request, limit));
  if (text.trim() === '') throw new FluoError('INVALID_JSON', 'the request body is empty: send a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const where = at ? lineColumn(text, Number(at[1])) : null;
    throw new FluoError('INVALID_JSON', `the request body is not valid JSON${where ? ` (line ${where.line}, column ${where.column})` : ''}: ${message}`, {
      details: where ?? undefined,
    });
  }
}

export type Query = Record<string, string | undefined>;

function bad(param: string, message: string): FluoError {
  return new FluoError('VALIDATION', `query parameter '${param}' ${message}`, { details: [{ field: param, message }] });
}

export function intParam(query: Query, param: string, { min, max, fallback }: { min: number; max: number; fallback: number }): number {
  const raw = query[param];
  if (raw === undefined || raw === '') return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(param, `must be a whole number from ${min} to ${max}, got '${raw}'`);
  return n;
}

/** A time: milliseconds since the epoch, or an ISO 8601 date-time. */
export function timeParam(query: Query, param: string): number | undefined {
  const raw = query[param];
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw bad(param, `must be milliseconds since the epoch or an ISO 8601 date-time such as 2026-01-31T12:00:00Z, got '${raw}'`);
  return ms;
}

/** Same as timeParam, for a field of a JSON body. */
export function timeField(body: Record<string, unknown>, field: string): number | undefined {
  const raw = body[field];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
  if (typeof raw === 'string') {
    const ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new FluoError('VALIDATION', `${field} must be milliseconds since the epoch or an ISO 8601 date-time`, { details: [{ field, message: 'not a time' }] });
}

export function enumParam<T extends string>(query: Query, param: string, values: readonly T[]): T | undefined {
  const raw = query[param];
  if (raw === undefined || raw === '') return undefined;
  if (!(values as readonly string[]).includes(raw)) throw bad(param, `must be one of ${values.join(', ')}, got '${raw}'`);
  return raw as T;
}

export function stringParam(query: Query, param: string): string | undefined {
  const raw = query[param];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > 1000) throw bad(param, 'is longer than 1000 characters');
  return raw;
}

/** Opaque cursors: base64url JSON, so clients cannot depend on their content. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(query: Query, check: (v: unknown) => v is T): T | undefined {
  const raw = query.cursor;
  if (raw === undefined || raw === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // reported below
  }
  throw bad('cursor', 'is not a cursor this server handed out: pass the nextCursor of a previous page unchanged');
}
