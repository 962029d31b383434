import { describe, expect, it } from 'vitest';
import { FluoError } from '../errors.js';
import { createLogger } from '../logger.js';
import { apiErrorResponse } from './errorResponse.js';

describe('apiErrorResponse', () => {
  const logged: string[] = [];
  const log = createLogger('error', (line) => logged.push(line));

  it('answers an unexpected error with a 500 that leaks nothing, and logs the stack', async () => {
    const res = apiErrorResponse(new TypeError('secret detail at /srv/app.js:1'), log);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error: see the server log' } });
    expect(logged.join('')).toContain('TypeError: secret detail at /srv/app.js:1');
  });

  it('maps each code to its status, with Retry-After on retryable ones', async () => {
    const cases: Array<[FluoError, number, string | null]> = [
      [new FluoError('VALIDATION', 'v', { details: [{ field: 'x', message: 'bad' }] }), 400, null],
      [new FluoError('NOT_FOUND', 'n'), 404, null],
      [new FluoError('READ_ONLY', 'r'), 409, null],
      [new FluoError('PAYLOAD_TOO_LARGE', 'p'), 413, null],
      [new FluoError('UNSUPPORTED_MEDIA_TYPE', 'u'), 415, null],
      [new FluoError('BUFFER_FULL', 'b', { retryAfterSeconds: 7 }), 429, '7'],
      [new FluoError('STORE_BEHIND', 's'), 503, '1'],
    ];
    for (const [err, status, retryAfter] of cases) {
      const res = apiErrorResponse(err, log);
      expect(res.status, err.code).toBe(status);
      expect(res.headers.get('retry-after'), err.code).toBe(retryAfter);
      const body = await res.json() as { error: { code: string; details?: unknown } };
      expect(body.error.code).toBe(err.code);
      expect('details' in body.error).toBe(err.details !== undefined);
    }
  });
});
