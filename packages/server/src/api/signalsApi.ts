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
import { parseDurationMs } from '../config/units.js';
import { ANONYMOUS, type Principal } from '../auth/authenticator.js';
import { principalOf } from './apiAuth.js';
import { recordAudit } from './auditApi.js';
import { decodeCursor, encodeCursor, enumParam, intParam, readJson, stringParam, timeParam, type Query } from './request.js';

/** Most buckets one GET /signals/counts returns per rule and severity. */
export const MAX_COUNT_BUCKETS = 1000;
/** Most signals one POST /signals/status changes. */
export const MAX_BULK_SIGNALS = 1000;

interface StatusChangeInput { status: SignalStatus; note: string | null; by: string }

/** Validates the body of a status change; `extra` names fields allowed besides status, note and by. */
function statusChange(body: unknown, extra: readonly string[] = []): StatusChangeInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FluoError('VALIDATION', 'the request body must be a JSON object such as {"status": "acknowledged", "note": "looking"}');
  const { status, note, by, ...rest } = body as Record<string, unknown>;
  const problems: Array<{ field: string; message: string }> = [];
  for (const field of Object.keys(rest)) if (!extra.includes(field)) problems.push({ field, message: `unknown field: a signal change has ${[...extra, 'status', 'note', 'by'].join(', ')}` });
  if (!SIGNAL_STATUSES.includes(status as SignalStatus)) problems.push({ field: 'status', message: `must be one of ${SIGNAL_STATUSES.join(', ')}` });
  if (note !== undefined && note !== null && (typeof note !== 'string' || note.length > 10_000)) problems.push({ field: 'note', message: 'must be a string of at most 10000 characters' });
  if (by !== undefined && (typeof by !== 'string' || by.trim() === '' || by.length > 200)) problems.push({ field: 'by', message: 'must be a non-empty string of at most 200 characters' });
  if (problems.length > 0) throw new FluoError('VALIDATION', `invalid status change: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { details: problems });
  return { status: status as SignalStatus, note: typeof note === 'string' ? note : null, by: typeof by === 'string' ? by.trim() : 'anonymous' };
}

/**
 * Changes one signal's status and records it in the audit log. With auth on,
 * the actor is the token's name; a client-supplied `by` is kept only when auth
 * is off. Resolves go out to the channels that were sent the trigger: their
 * outbox rows are written in the status change's transaction.
 */
async function changeSignalStatus(deps: ApiDeps, principal: Principal, id: string, change: StatusChangeInput, at: number): Promise<SignalDetail | null> {
  const actor = principal !== ANONYMOUS ? principal.name : change.by;
  const closing = change.status === 'resolved' || change.status === 'false_positive';
  const triggers = closing ? await deps.store.listNotifications({ signalId: id, kind: 'trigger', limit: 1000 }) : [];
  const resolveRows = deps.notifications.resolveRows(triggers, at);
  const detail = await deps.store.updateSignalStatus(id, { to: change.status, by: actor, note: change.note, at }, (from) => resolveRows(from, change.status));
  if (!detail) return null;
  const last = detail.history[detail.history.length - 1];
  await recordAudit(deps, { ...principal, name: actor }, 'signal.status', `signal:${detail.id}`,
    { status: last?.from ?? null }, { status: detail.status, note: last?.note ?? null });
  return detail;
}

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

  // Signals per time bucket, rule and severity: charts and sparklines.
  app.get('/counts', async (c) => {
    const query = c.req.query() as Query;
    const now = Date.now();
    const until = timeParam(query, 'until') ?? now;
    const since = timeParam(query, 'since') ?? until - 24 * 3_600_000;
    const rawBucket = query.bucket;
    const bucketMs = rawBucket === undefined || rawBucket === '' ? 3_600_000 : parseDurationMs(rawBucket);
    const problems: Array<{ field: string; message: string }> = [];
    if (bucketMs === null || bucketMs < 1000) problems.push({ field: 'bucket', message: `must be a duration of at least 1s such as 5m or 1h, got '${rawBucket}'` });
    if (since >= until) problems.push({ field: 'since', message: 'must be before until' });
    else if (bucketMs !== null && bucketMs >= 1000 && (until - since) / bucketMs > MAX_COUNT_BUCKETS) problems.push({ field: 'bucket', message: `gives more than ${MAX_COUNT_BUCKETS} buckets between since and until: choose a wider bucket` });
    if (problems.length > 0) throw new FluoError('VALIDATION', `invalid signal count query: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { details: problems });
    const counts = await deps.store.countSignals({
      since, until, bucketMs: bucketMs!,
      status: enumParam(query, 'status', SIGNAL_STATUSES),
      ruleId: stringParam(query, 'ruleId'),
    });
    return c.json({ since, until, bucketMs, counts });
  });

  // Bulk triage. Each signal is changed on its own; the response reports every id (changed or why not), in request order.
  app.post('/status', async (c) => {
    const body = await readJson(c.req.raw);
    const change = statusChange(body, ['ids']);
    const ids = (body as { ids?: unknown }).ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK_SIGNALS || !ids.every((id) => typeof id === 'string' && id !== '')) {
      throw new FluoError('VALIDATION', `ids must be a list of 1 to ${MAX_BULK_SIGNALS} signal ids`, { details: [{ field: 'ids', message: `must be a list of 1 to ${MAX_BULK_SIGNALS} non-empty strings` }] });
    }
    const at = Date.now();
    const principal = principalOf(c);
    const results: Array<{ id: string; ok: boolean; status?: SignalStatus; error?: { code: string; message: string } }> = [];
    for (const id of new Set(ids as string[])) {
      try {
        const detail = await changeSignalStatus(deps, principal, id, change, at);
        results.push(detail ? { id, ok: true, status: detail.status } : { id, ok: false, error: { code: 'NOT_FOUND', message: `no signal with id '${id}'` } });
      } catch (err) {
        deps.log.error(`bulk status change of signal '${id}' failed: ${(err as Error).message}`);
        results.push({ id, ok: false, error: { code: 'INTERNAL', message: (err as Error).message } });
      }
    }
    return c.json({ changed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results });
  });

  app.get('/:id', async (c) => {
    const detail = await deps.store.getSignal(c.req.param('id'));
    if (!detail) throw new FluoError('NOT_FOUND', `no signal with id '${c.req.param('id')}'`);
    return c.json(signalDetailJson(detail));
  });

  app.patch('/:id', async (c) => {
    const change = statusChange(await readJson(c.req.raw));
    const detail = await changeSignalStatus(deps, principalOf(c), c.req.param('id'), change, Date.now());
    if (!detail) throw new FluoError('NOT_FOUND', `no signal with id '${c.req.param('id')}'`);
    return c.json(signalDetailJson(detail));
  });

  return app;
}
