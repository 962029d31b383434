import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrace } from '@fluohq/engine';
import { HttpReceiver } from '../notify/httpReceiver.testkit.js';
import { parseNotificationsConfig } from '../notify/notificationsConfig.js';
import { startTestServer, waitFor, type TestServer } from '../testing/testServer.testkit.js';

describe('/api/v1/notifications', () => {
  let s: TestServer;
  let hook: HttpReceiver;

  beforeAll(async () => {
    hook = await HttpReceiver.start();
    const { config } = parseNotificationsConfig({
      pollInterval: '50ms', retryInitialDelay: '50ms', maxRetryDelay: '100ms',
      channels: [{ id: 'from-config', type: 'slack', settings: { url: `${hook.url}/slack` } }],
    });
    s = await startTestServer({ notifications: config });
  });
  afterAll(async () => {
    await s.close();
    await hook.close();
  });

  it('creates, reads (secrets left out), replaces (secrets kept), and deletes channels', async () => {
    const created = await s.json('/api/v1/notifications/channels', {
      method: 'POST',
      body: { id: 'team-hook', type: 'webhook', name: 'Team', settings: { url: `${hook.url}/team`, secret: 'top-secret', headers: { authorization: 'Bearer x' } }, match: { severities: ['critical'] } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'team-hook', source: 'api', version: 1, settings: { url: `${hook.url}/team` }, secretsSet: ['secret', 'headers'], throttle: { window: 300_000, cap: 10 } });
    expect(JSON.stringify(created.body)).not.toContain('top-secret');
    expect(JSON.stringify((await s.json('/api/v1/notifications/channels')).body)).not.toContain('Bearer x');

    const list = (await s.json('/api/v1/notifications/channels')).body.channels;
    expect(list.map((c: { id: string; source: string }) => [c.id, c.source])).toEqual([['from-config', 'config'], ['team-hook', 'api']]);

    const replaced = await s.json('/api/v1/notifications/channels/team-hook', {
      method: 'PUT', body: { id: 'team-hook', type: 'webhook', version: 1, settings: { url: `${hook.url}/team2` }, match: {}, throttle: null },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, settings: { url: `${hook.url}/team2` }, secretsSet: ['secret', 'headers'], throttle: null });
    const stale = await s.json('/api/v1/notifications/channels/team-hook', { method: 'PUT', body: { type: 'webhook', version: 1, settings: { url: hook.url } } });
    expect(stale.status).toBe(409);

    // The kept secret still signs: a test notification carries a signature.
    const test = await s.json('/api/v1/notifications/channels/team-hook/test', { method: 'POST', body: { text: 'hello' } });
    expect(test.body).toMatchObject({ channelId: 'team-hook', outcome: 'delivered' });
    const sent = hook.requests.at(-1)!;
    expect(sent.path).toBe('/team2');
    expect(sent.headers['x-fluo-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(sent.headers.authorization).toBe('Bearer x');
    expect(JSON.parse(sent.text)).toMatchObject({ kind: 'test', text: 'hello', title: 'FLUO test notification' });

    expect((await s.api('/api/v1/notifications/channels/team-hook', { method: 'DELETE' })).status).toBe(204);
    expect((await s.json('/api/v1/notifications/channels/team-hook')).status).toBe(404);
  });

  it('refuses bad channels with every field named, and edits of config channels', async () => {
    const bad = await s.json('/api/v1/notifications/channels', { method: 'POST', body: { id: 'x', type: 'pagerduty', settings: { url: 'nope' }, throttle: { cap: -1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION');
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['settings.routingKey', 'settings.url', 'throttle.cap']);
    const unknownType = await s.json('/api/v1/notifications/channels', { method: 'POST', body: { id: 'x', type: 'fax' } });
    expect(unknownType.body.error.message).toMatch(/unknown channel type 'fax': use one of webhook, slack, alertmanager, pagerduty, otlp/);
    expect((await s.json('/api/v1/notifications/channels', { method: 'POST', body: { id: 'from-config', type: 'slack', settings: { url: hook.url } } })).status).toBe(409);
    const readOnly = await s.json('/api/v1/notifications/channels/from-config', { method: 'DELETE' });
    expect(readOnly.status).toBe(409);
    expect(readOnly.body.error.code).toBe('READ_ONLY');
    expect((await s.json('/api/v1/notifications/channels/nope/test', { method: 'POST' })).status).toBe(404);
    expect((await s.json('/api/v1/notifications/channel-types')).body.types.map((t: { type: string }) => t.type)).toEqual(['webhook', 'slack', 'alertmanager', 'pagerduty', 'otlp']);
  });

  it('reports a failing test send with the receiver\'s answer', async () => {
    hook.respond = () => ({ status: 404, body: 'no_service' });
    try {
      const res = await s.json('/api/v1/notifications/channels/from-config/test', { method: 'POST' });
      expect(res.body).toMatchObject({ outcome: 'failed', reason: 'Slack answered HTTP 404: no_service' });
    } finally {
      hook.respond = () => ({ status: 200, body: 'ok' });
    }
  });

  it('lists the outbox with status, attempts and last error, filtered and paged', async () => {
    await s.json('/api/v1/notifications/channels', { method: 'POST', body: { id: 'flaky', type: 'webhook', settings: { url: `${hook.url}/flaky` }, match: { rules: ['api-errors'] }, throttle: null } });
    let calls = 0;
    hook.respond = (req) => (req.path === '/flaky' && ++calls <= 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' });
    await s.json('/api/v1/rules', { method: 'POST', body: { id: 'api-errors', name: 'API errors', severity: 'warning', dsl: "trace.has(span => span.status === 'ERROR')" } });
    for (const n of [1, 2, 3]) {
      expect((await s.sendJson(buildTrace(`outbox-${n}`, [{ id: 'r', name: 'GET /', status: 'ERROR', start: 0 }], Date.now()))).status).toBe(200);
    }
    const rows = await waitFor('three delivered', async () => {
      const all = (await s.json('/api/v1/notifications?channelId=flaky')).body.notifications;
      return all.length === 3 && all.every((r: { status: string }) => r.status === 'delivered') ? all : null;
    });
    const first = rows[2];
    expect(first).toMatchObject({ kind: 'trigger', ruleId: 'api-errors', attempts: 3, lastError: 'the webhook answered HTTP 503: busy', status: 'delivered' });
    expect((await s.json(`/api/v1/notifications/${first.n}`)).body).toEqual(first);
    const page1 = await s.json('/api/v1/notifications?channelId=flaky&limit=2');
    expect(page1.body.notifications.length).toBe(2);
    const page2 = await s.json(`/api/v1/notifications?channelId=flaky&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.notifications.map((r: { n: number }) => r.n)).toEqual([first.n]);
    expect(page2.body.nextCursor).toBeNull();
    expect((await s.json('/api/v1/notifications?status=sent')).status).toBe(400);
    expect((await s.json('/api/v1/notifications/abc')).status).toBe(404);
  });
});
