/**
 * /api/v1/signals: list (filters, newest first, cursor pagination), one
 * signal with its evidence and status history, status changes, and the SSE
 * stream.
 *
 * Pagination is by `seq` (the store's insertion order): the cursor holds the
 * last seq of the page, and the next page is everything older. Signals
 * stored meanwhile have a higher seq, so they never shift or repeat a page.
 */
import { Hono } from 'hono';
import { SEVERITIES } from '@fluohq/engine';
import { FluoError } from '../errors.js';
import { SIGNAL_STATUSES, type SignalDetail, type SignalStatus } from '../store/store.js';
import type { ApiDeps } from './apiDeps.js';
import { ANONYMOUS } from '../auth/authenticator.js';
import { principalOf } from './apiAuth.js';
import { recordAudit } from './auditApi.js';
import { decodeCursor, encodeCursor, enumParam, intParam, readJson, stringParam, timeParam, type Query } from './request.js';

const isSeqCursor = (v: unknown): v is { seq: number } =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as { seq?: unknown }).seq) && (v as { seq: number }).seq > 0;

/** The API form of a signal with its evidence. */
export function signalDetailJson(detail: SignalDetail): Record<string, unknown> {
  const { evidence, ...rest } = detail;
  return { ...rest, evidence: { spans: evidence } };
}

export function signalsApi(deps: ApiDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const query = c.req.query() as Query;
    const limit = intParam(query, 'limit', { min: 1, max: 1000, fallback: 50 });
    const cursor = decodeCursor(query, isSeqCursor);
    const signals = await deps.store.listSignals({
      ruleId: stringParam(query, 'ruleId'),
      severity: enumParam(query, 'severity', SEVERITIES),
      status: enumParam(query, 'status', SIGNAL_STATUSES),
      service: stringParam(query, 'service'),
      since: timeParam(query, 'since'),
      until: timeParam(query, 'until'),
      beforeSeq: cursor?.seq,
      limit: limit + 1,
    });
    const more = signals.length > limit;
    const page = more ? signals.slice(0, limit) : signals;
    return c.json({ signals: page, nextCursor: more ? encodeCursor({ seq: page[page.length - 1].seq }) : null });
  });

  app.get('/stream', (c) => deps.streams.open(c.req.raw));

  app.get('/:id', async (c) => {
    const detail = await deps.store.getSignal(c.req.param('id'));
    if (!detail) throw new FluoError('NOT_FOUND', `no signal with id '${c.req.param('id')}'`);
    return c.json(signalDetailJson(detail));
  });

  app.patch('/:id', async (c) => {
    const body = await readJson(c.req.raw);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FluoError('VALIDATION', 'the request body must be a JSON object such as {"status": "acknowledged", "note": "looking"}');
    const { status, note, by, ...rest } = body as Record<string, unknown>;
    const problems: Array<{ field: string; message: string }> = [];
    for (const field of Object.keys(rest)) problems.push({ field, message: 'unknown field: a signal change has status, note and by' });
    if (!SIGNAL_STATUSES.includes(status as SignalStatus)) problems.push({ field: 'status', message: `must be one of ${SIGNAL_STATUSES.join(', ')}` });
    if (note !== undefined && note !== null && (typeof note !== 'string' || note.length > 10_000)) problems.push({ field: 'note', message: 'must be a string of at most 10000 characters' });
    if (by !== undefined && (typeof by !== 'string' || by.trim() === '' || by.length > 200)) problems.push({ field: 'by', message: 'must be a non-empty string of at most 200 characters' });
    if (problems.length > 0) throw new FluoError('VALIDATION', `invalid status change: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { details: problems });
    // With auth on, the actor is the token's name; a client-supplied `by` is kept only when auth is off.
    const principal = principalOf(c);
    const actor = principal !== ANONYMOUS ? principal.name : typeof by === 'string' ? by.trim() : 'anonymous';
    const detail = await deps.store.updateSignalStatus(c.req.param('id'), {
      to: status as SignalStatus,
      by: actor,
      note: typeof note === 'string' ? note : null,
      at: Date.now(),
    });
    if (!detail) throw new FluoError('NOT_FOUND', `no signal with id '${c.req.param('id')}'`);
    const change = detail.history[detail.history.length - 1];
    await recordAudit(deps, { ...principal, name: actor }, 'signal.status', `signal:${detail.id}`,
      { status: change?.from ?? null }, { status: detail.status, note: change?.note ?? null });
    return c.json(signalDetailJson(detail));
  });

  return app;
}
