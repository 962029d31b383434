/**
 * Authorisation of REST API calls: one table (`requiredPermission`) says what
 * each route needs, one middleware enforces it and remembers the caller for
 * the handlers (`principalOf`), e.g. as the actor of audit entries.
 *
 * Tokens come in `Authorization: Bearer <token>`. Browsers' EventSource
 * cannot set headers, so the signal stream alone also takes
 * `?access_token=<token>` (RFC 6750 §2.3); everywhere else a token in the URL
 * is ignored, so that it does not end up in logs and histories by accident.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { tokenFromHeader, type ApiPermission } from '../auth/apiToken.js';
import { ANONYMOUS, type Authenticator, type Principal } from '../auth/authenticator.js';

export const SIGNAL_STREAM_PATH = '/api/v1/signals/stream';

/** What a request needs; null for public endpoints (probes, the API reference, the web UI's files). */
export function requiredPermission(method: string, path: string): ApiPermission | null {
  if (path === '/metrics') return 'read';
  if (!path.startsWith('/api/')) return null; // /healthz, /readyz, the web UI
  if (path === '/api/v1/openapi.json') return null;
  if (path.startsWith('/api/v1/tokens') || path.startsWith('/api/v1/audit')) return 'admin';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read';
  // Dry runs change nothing: viewers may check and try rules.
  if (method === 'POST' && (path === '/api/v1/rules/validate' || path === '/api/v1/rules/test')) return 'read';
  return 'write';
}

const principals = new WeakMap<Request, Principal>();

/** The caller of a request that passed apiAuth ('anonymous' when auth is off). */
export function principalOf(c: Context): Principal {
  return principals.get(c.req.raw) ?? ANONYMOUS;
}

export function apiAuth(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    const permission = requiredPermission(c.req.method, c.req.path);
    if (permission !== null) {
      let token = tokenFromHeader(c.req.header('authorization'), true);
      if (token === null && c.req.path === SIGNAL_STREAM_PATH) token = c.req.query('access_token') ?? null;
      principals.set(c.req.raw, await auth.authorize(token, permission));
    }
    await next();
  };
}
