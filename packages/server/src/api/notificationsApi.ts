/**
 * /api/v1/notifications: the outbox (every notification with its status,
 * attempts, last error and next attempt; newest first, cursor pagination by
 * `n`), the channels (CRUD for channels made through the API; config file
 * channels are listed read-only; secret settings are write-only), the
 * channel types, and a test send.
 */
import { Hono } from 'hono';
import { FluoError } from '../errors.js';
import { notifiers } from '../notify/notifiers.js';
import type { ChannelView } from '../notify/notificationRouter.js';
import { NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../store/store.js';
import type { ApiDeps } from './apiDeps.js';
import { decodeCursor, encodeCursor, enumParam, intParam, readJson, stringParam, type Query } from './request.js';

const isNCursor = (v: unknown): v is { n: number } =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as { n?: unknown }).n) && (v as { n: number }).n > 0;

export function notificationsApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const router = deps.notifications;

  app.get('/', async (c) => {
    const query = c.req.query() as Query;
    const limit = intParam(query, 'limit', { min: 1, max: 1000, fallback: 50 });
    const cursor = decodeCursor(query, isNCursor);
    const rows = await deps.store.listNotifications({
      status: enumParam(query, 'status', NOTIFICATION_STATUSES),
      kind: enumParam(query, 'kind', NOTIFICATION_KINDS),
      channelId: stringParam(query, 'channelId'),
      signalId: stringParam(query, 'signalId'),
      ruleId: stringParam(query, 'ruleId'),
      beforeN: cursor?.n,
      limit: limit + 1,
    });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return c.json({ notifications: page, nextCursor: more ? encodeCursor({ n: page[page.length - 1].n }) : null });
  });

  app.get('/channel-types', (c) => c.json({
    types: Object.entries(notifiers).map(([type, f]) => ({ type, description: f.description, secretFields: f.secretFields, sendResolvedByDefault: f.sendResolvedByDefault })),
  }));

  app.get('/channels', (c) => c.json({ channels: router.list().map((ch): ChannelView => router.view(ch)) }));

  app.post('/channels', async (c) => c.json(await router.create(await readJson(c.req.raw)), 201));

  app.get('/channels/:id', (c) => {
    const channel = router.channel(c.req.param('id'));
    if (!channel) throw new FluoError('NOT_FOUND', `no channel with id '${c.req.param('id')}'`);
    return c.json(router.view(channel));
  });

  app.put('/channels/:id', async (c) => c.json(await router.replace(c.req.param('id'), await readJson(c.req.raw))));

  app.delete('/channels/:id', async (c) => {
    await router.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  app.post('/channels/:id/test', async (c) => {
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    const body = hasBody ? await readJson(c.req.raw) : {};
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FluoError('VALIDATION', 'the request body must be a JSON object such as {"text": "hello"} (or empty)');
    const { text, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new FluoError('VALIDATION', `unknown field '${Object.keys(rest)[0]}': a test has only text`, { details: Object.keys(rest).map((field) => ({ field, message: 'unknown field' })) });
    if (text !== undefined && (typeof text !== 'string' || text.length > 2000)) throw new FluoError('VALIDATION', 'text must be a string of at most 2000 characters', { details: [{ field: 'text', message: 'not a string of at most 2000 characters' }] });
    const result = await router.sendTest(c.req.param('id'), typeof text === 'string' ? text : 'This is a test notification from FLUO: the channel works.');
    return c.json({ channelId: c.req.param('id'), ...result });
  });

  app.get('/:n', async (c) => {
    const raw = c.req.param('n');
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    const row = Number.isSafeInteger(n) ? await deps.store.getNotification(n) : null;
    if (!row) throw new FluoError('NOT_FOUND', `no notification with number '${raw}'`);
    return c.json(row);
  });

  return app;
}
