/**
 * /api/v1/tokens (admin): create (the token text is in the response, once),
 * list (never the token or its hash), revoke. Every change is audited.
 */
import { Hono } from 'hono';
import { checkTokenName, generateToken } from '../auth/apiToken.js';
import { FluoError } from '../errors.js';
import { TOKEN_ROLES, type TokenRecord, type TokenRole } from '../store/store.js';
import { principalOf } from './apiAuth.js';
import type { ApiDeps } from './apiDeps.js';
import { recordAudit } from './auditApi.js';
import { readJson } from './request.js';

/** A token as the API shows it: no hash. */
export function tokenJson(t: TokenRecord): Omit<TokenRecord, 'hash'> {
  const { hash: _hash, ...rest } = t;
  return rest;
}

export function tokensApi(deps: ApiDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => c.json({ tokens: (await deps.store.listTokens()).map(tokenJson) }));

  app.post('/', async (c) => {
    const body = await readJson(c.req.raw);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FluoError('VALIDATION', 'the request body must be a JSON object such as {"name": "ci", "role": "editor"}');
    const { name, role, ...rest } = body as Record<string, unknown>;
    const problems: Array<{ field: string; message: string }> = [];
    for (const field of Object.keys(rest)) problems.push({ field, message: 'unknown field: a token has name and role' });
    const nameProblem = checkTokenName(name);
    if (nameProblem !== null) problems.push({ field: 'name', message: nameProblem });
    if (!TOKEN_ROLES.includes(role as TokenRole)) problems.push({ field: 'role', message: `must be one of ${TOKEN_ROLES.join(', ')}` });
    if (problems.length > 0) throw new FluoError('VALIDATION', `invalid token: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { details: problems });
    const principal = principalOf(c);
    const { token, record } = generateToken({ name: name as string, role: role as TokenRole, createdBy: principal.name, now: Date.now() });
    await deps.store.createToken(record);
    await deps.auth.refresh();
    await recordAudit(deps, principal, 'token.create', `token:${record.id}`, null, tokenJson(record));
    return c.json({ ...tokenJson(record), token }, 201, { location: `/api/v1/tokens/${record.id}` });
  });

  app.delete('/:id', async (c) => {
    const id = c.req.param('id');
    const before = (await deps.store.listTokens()).find((t) => t.id === id) ?? null;
    const after = await deps.store.revokeToken(id, Date.now());
    if (after === null) throw new FluoError('NOT_FOUND', `no token with id '${id}'`);
    await deps.auth.refresh();
    if (before?.revokedAt === null) await recordAudit(deps, principalOf(c), 'token.revoke', `token:${id}`, tokenJson(before), tokenJson(after));
    return c.json(tokenJson(after));
  });

  return app;
}
