/**
 * The audit log: who (the token's name) changed what and when, with the
 * state before and after. GET /api/v1/audit (admin) lists it newest first,
 * with cursor pagination by seq and filters by target and action.
 */
import { Hono } from 'hono';
import type { Principal } from '../auth/authenticator.js';
import { describeError } from '../errors.js';
import type { ApiDeps } from './apiDeps.js';
import { decodeCursor, encodeCursor, intParam, stringParam, type Query } from './request.js';

const isSeqCursor = (v: unknown): v is { seq: number } =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as { seq?: unknown }).seq) && (v as { seq: number }).seq > 0;

/**
 * Appends an entry. The change it describes has been made already, so a
 * failure to record it is logged (as an error, with the whole entry) rather
 * than reported to the caller as a failed change.
 */
export async function recordAudit(deps: Pick<ApiDeps, 'store' | 'log'>, who: Principal, action: string, target: string, before: unknown, after: unknown): Promise<void> {
  const entry = { at: Date.now(), actor: who.name, action, target, before: before ?? null, after: after ?? null };
  try {
    await deps.store.appendAudit(entry);
  } catch (err) {
    deps.log.error(`audit log: could not record ${JSON.stringify(entry)}: ${describeError(err)}`);
  }
}

export function auditApi(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const query = c.req.query() as Query;
    const limit = intParam(query, 'limit', { min: 1, max: 1000, fallback: 50 });
    const cursor = decodeCursor(query, isSeqCursor);
    const entries = await deps.store.listAudit({
      beforeSeq: cursor?.seq, target: stringParam(query, 'target'), action: stringParam(query, 'action'), limit: limit + 1,
    });
    const more = entries.length > limit;
    const page = more ? entries.slice(0, limit) : entries;
    return c.json({ entries: page, nextCursor: more ? encodeCursor({ seq: page[page.length - 1].seq }) : null });
  });
  return app;
}
