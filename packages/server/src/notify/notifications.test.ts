/**
 * Notifications end to end: the real server raises signals from OTLP
 * traffic and delivers them through the outbox to real receivers started
 * here: a webhook receiver that verifies the HMAC signature, a Slack-like
 * endpoint, a PagerDuty-compatible Events API v2 receiver, an OTLP/HTTP logs
 * receiver, and a real Prometheus Alertmanager. Then: a receiver down while
 * FLUO restarts gets everything once, in order per rule; a storm of 1,000
 * signals is throttled to the cap plus one summary.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTrace } from '@fluohq/engine';
import { startTestServer, tempDir, waitFor, type TestServer } from '../testing/testServer.testkit.js';
import { AlertmanagerProcess, freePort } from './alertmanagerProcess.testkit.js';
import { HttpReceiver, type ReceivedRequest } from './httpReceiver.testkit.js';
import { parseNotificationsConfig, type NotificationsConfig } from './notificationsConfig.js';

const SECRET = 'webhook-signing-secret';

/** What a receiver does with FLUO's signature (the snippet in docs/notifications.md). */
function verifyFluoSignature(secret: string, headers: ReceivedRequest['headers'], rawBody: Buffer, maxSkewSeconds = 300): boolean {
  const timestamp = String(headers['x-fluo-timestamp'] ?? '');
  const signature = String(headers['x-fluo-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > maxSkewSeconds) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

function notificationsConfig(raw: Record<string, unknown>): NotificationsConfig {
  const { config, problems } = parseNotificationsConfig({ retryInitialDelay: '50ms', maxRetryDelay: '200ms', pollInterval: '50ms', ...raw });
  expect(problems).toEqual([]);
  return config;
}

let traceCounter = 0;
function errorTrace(service: string, name = 'POST /checkout') {
  traceCounter++;
  return buildTrace(`t${process.pid}-${traceCounter}-${Math.random()}`, [
    { id: 'root', name, service, start: 0, duration: 30, status: 'ERROR', kind: 'SERVER', attributes: { 'http.route': '/checkout' } },
  ], Date.now() - 1000);
}

async function createRule(s: TestServer, rule: Record<string, unknown>): Promise<void> {
  const res = await s.json('/api/v1/rules', { method: 'POST', body: { severity: 'critical', ...rule } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function send(s: TestServer, spans: ReturnType<typeof buildTrace>): Promise<void> {
  const res = await s.sendJson(spans);
  expect(res.status).toBe(200);
}

const servers: TestServer[] = [];
const receivers: HttpReceiver[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const r of receivers.splice(0)) await r.close();
  for (const c of closers.splice(0)) await c();
});

async function receiver(port = 0): Promise<HttpReceiver> {
  const r = await HttpReceiver.start(port);
  receivers.push(r);
  return r;
}

describe('notifications end to end', () => {
  it('delivers a signal to a signed webhook, Slack, PagerDuty and OTLP, never for shadow rules, and sends resolves', async () => {
    const webhook = await receiver();
    webhook.respond = (req) => verifyFluoSignature(SECRET, req.headers, req.body) ? { status: 204 } : { status: 401, body: 'bad signature' };
    const slack = await receiver();
    slack.respond = () => ({ status: 200, body: 'ok' });
    const pagerduty = await receiver();
    pagerduty.respond = () => ({ status: 202, headers: { 'content-type': 'application/json' }, body: '{"status":"success","message":"Event processed"}' });
    const otlp = await receiver();

    const s = await startTestServer({
      notifications: notificationsConfig({
        channels: [
          { id: 'hook', type: 'webhook', settings: { url: `${webhook.url}/fluo`, secret: SECRET, headers: { 'x-team': 'payments' } }, match: {} },
          { id: 'slack', type: 'slack', settings: { url: `${slack.url}/services/T/B/X`, template: { text: '{{message}} on {{service}} (rule {{ruleId}})' } } },
          { id: 'pd', type: 'pagerduty', settings: { url: `${pagerduty.url}/v2/enqueue`, routingKey: 'routing-key-1' } },
          { id: 'otel', type: 'otlp', settings: { url: `${otlp.url}/v1/logs` }, match: { severities: ['critical'] } },
        ],
        routes: [{ match: { tags: ['payments'] }, channels: ['slack', 'pd'] }],
      }),
    });
    servers.push(s);
    await createRule(s, { id: 'checkout-error', name: 'Checkout <failed>', dsl: "trace.has(span => span.name === 'POST /checkout' && span.status === 'ERROR')", tags: ['payments'] });
    await createRule(s, { id: 'shadowed', name: 'Shadowed', mode: 'shadow', dsl: "trace.has(span => span.name === 'GET /shadow')" });

    const spans = errorTrace('checkout');
    await send(s, spans);
    await send(s, errorTrace('web', 'GET /shadow'));
    await waitFor('every channel got the trigger', () => webhook.requests.length >= 1 && slack.requests.length >= 1 && pagerduty.requests.length >= 1 && otlp.requests.length >= 1);

    const signal = (await s.json('/api/v1/signals?ruleId=checkout-error')).body.signals[0];
    expect(signal.traceId).toBe(spans[0].traceId);

    // Webhook: signed (the receiver verified it and answered 204), idempotency key, configured header, JSON body.
    const hook = webhook.requests[0];
    expect(hook.path).toBe('/fluo');
    expect(hook.headers['x-team']).toBe('payments');
    expect(hook.headers['x-fluo-idempotency-key']).toBe(`${signal.id}:hook:trigger`);
    expect(verifyFluoSignature('another-secret', hook.headers, hook.body)).toBe(false);
    const hookBody = JSON.parse(hook.text);
    expect(hookBody).toMatchObject({ kind: 'trigger', title: '[critical] Checkout <failed>', signal: { id: signal.id, ruleId: 'checkout-error', traceId: spans[0].traceId, services: ['checkout'], tags: ['payments'] } });
    expect(hookBody.links.trace).toBe(`${s.server.urls.api}/api/v1/traces/${spans[0].traceId}`);

    // Slack: Block Kit with rule, severity, service, trace link, witness spans; values escaped for mrkdwn.
    const slackBody = JSON.parse(slack.requests[0].text);
    const slackText = JSON.stringify(slackBody.blocks);
    expect(slackBody.blocks[0]).toMatchObject({ type: 'header', text: { text: '[critical] Checkout <failed>' } });
    expect(slackText).toContain('Checkout &lt;failed&gt;');
    expect(slackText).toContain('*Severity*');
    expect(slackText).toContain('*Service*\\ncheckout');
    expect(slackText).toContain(`${s.server.urls.api}/api/v1/traces/${spans[0].traceId}|${spans[0].traceId}`);
    expect(slackText).toContain('*Witness spans*');
    expect(slackText).toContain('`POST /checkout` (checkout) ERROR');
    expect(slackText).toContain('on checkout (rule checkout-error)');

    // PagerDuty: trigger with dedup_key = signal id.
    const pdTrigger = JSON.parse(pagerduty.requests[0].text);
    expect(pdTrigger).toMatchObject({ routing_key: 'routing-key-1', event_action: 'trigger', dedup_key: signal.id, payload: { severity: 'critical', source: 'checkout', group: 'checkout-error' } });

    // OTLP: one log record with the trace context, rule and severity (OTLP/JSON as the SDK's exporter encodes it).
    const logs = JSON.parse(otlp.requests[0].text);
    const record = logs.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(record.traceId).toBe(spans[0].traceId);
    expect(record.spanId).toBe(spans[0].spanId);
    expect(record.severityText).toBe('ERROR');
    expect(record.eventName).toBe('fluo.signal.trigger');
    const attributes = Object.fromEntries(record.attributes.map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]));
    expect(attributes).toMatchObject({ 'fluo.rule.id': 'checkout-error', 'fluo.severity': 'critical', 'fluo.signal.id': signal.id });
    expect(logs.resourceLogs[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'fluo' } });

    // Shadow-mode rules record signals but never notify.
    const shadow = await waitFor('the shadow signal', async () => (await s.json('/api/v1/signals?ruleId=shadowed')).body.signals[0]);
    expect((await s.json(`/api/v1/notifications?signalId=${shadow.id}`)).body.notifications).toEqual([]);

    // The outbox shows each delivery.
    const outbox = await waitFor('all four delivered', async () => {
      const rows = (await s.json(`/api/v1/notifications?signalId=${signal.id}`)).body.notifications;
      return rows.length === 4 && rows.every((r: { status: string }) => r.status === 'delivered') ? rows : null;
    });
    expect(outbox.map((r: { channelId: string }) => r.channelId).sort()).toEqual(['hook', 'otel', 'pd', 'slack']);
    expect(outbox.every((r: { attempts: number; lastError: null }) => r.attempts === 1 && r.lastError === null)).toBe(true);

    // Resolving the signal sends resolves to the channels that send them (webhook, PagerDuty), not to Slack or OTLP.
    const patched = await s.json(`/api/v1/signals/${signal.id}`, { method: 'PATCH', body: { status: 'resolved', by: 'alice' } });
    expect(patched.status).toBe(200);
    await waitFor('PagerDuty resolve', () => pagerduty.requests.length >= 2 && webhook.requests.length >= 2);
    expect(JSON.parse(pagerduty.requests[1].text)).toEqual({ routing_key: 'routing-key-1', event_action: 'resolve', dedup_key: signal.id });
    expect(JSON.parse(webhook.requests[1].text)).toMatchObject({ kind: 'resolve', signal: { id: signal.id } });
    expect(slack.requests.length).toBe(1);
    const metrics = await (await s.api('/metrics')).text();
    expect(metrics).toMatch(/fluo_notification_attempts_total\{channel="pd",type="pagerduty",outcome="delivered"\} 2/);
  });

  it('raises and resolves an alert in a real Alertmanager', async () => {
    const am = await AlertmanagerProcess.start();
    closers.push(() => am.close());
    const s = await startTestServer({
      notifications: notificationsConfig({ channels: [{ id: 'am', type: 'alertmanager', settings: { url: am.url }, match: { rules: ['checkout-error'] } }] }),
    });
    servers.push(s);
    await createRule(s, { id: 'checkout-error', name: 'CheckoutError', dsl: "trace.has(span => span.status === 'ERROR')" });
    const spans = errorTrace('checkout');
    await send(s, spans);
    const alert = await waitFor('the alert in Alertmanager', async () => (await am.alerts()).find((a) => a.labels.rule === 'checkout-error'), 20_000);
    const signal = (await s.json('/api/v1/signals?ruleId=checkout-error')).body.signals[0];
    expect(alert.labels).toMatchObject({ alertname: 'CheckoutError', rule: 'checkout-error', severity: 'critical', service: 'checkout', signal_id: signal.id });
    expect(alert.annotations).toMatchObject({ summary: '[critical] CheckoutError', trace_id: spans[0].traceId });
    expect(alert.generatorURL).toBe(`${s.server.urls.api}/api/v1/signals/${signal.id}`);
    expect(alert.status.state).not.toBe('resolved');

    expect((await s.json(`/api/v1/signals/${signal.id}`, { method: 'PATCH', body: { status: 'false_positive' } })).status).toBe(200);
    await waitFor('the alert resolved in Alertmanager', async () => !(await am.alerts()).some((a) => a.labels.signal_id === signal.id), 20_000);
    const rows = (await s.json(`/api/v1/notifications?signalId=${signal.id}`)).body.notifications;
    expect(rows.map((r: { kind: string; status: string }) => [r.kind, r.status])).toEqual([['resolve', 'delivered'], ['trigger', 'delivered']]);
  });

  it('delivers everything once, in order per rule, to a receiver that was down while FLUO restarted', async () => {
    const port = await freePort();
    const notifications = notificationsConfig({ channels: [{ id: 'hook', type: 'webhook', settings: { url: `http://127.0.0.1:${port}/hook`, secret: SECRET }, match: {}, throttle: null }] });
    const dataDir = tempDir('notify-restart');
    let s = await startTestServer({ notifications }, dataDir);
    await createRule(s, { id: 'rule-a', name: 'A', dsl: "trace.has(span => span.name === 'a' && span.status === 'ERROR')" });
    await createRule(s, { id: 'rule-b', name: 'B', dsl: "trace.has(span => span.name === 'b' && span.status === 'ERROR')" });
    for (let i = 0; i < 4; i++) {
      await send(s, errorTrace('svc', 'a'));
      await send(s, errorTrace('svc', 'b'));
    }
    // Every row has been tried against the closed port at least once.
    await waitFor('failed attempts', async () => {
      const rows = (await s.json('/api/v1/notifications?limit=100')).body.notifications;
      return rows.length === 8 && rows.filter((r: { attempts: number }) => r.attempts > 0).length >= 2 && rows.some((r: { lastError: string | null }) => r.lastError !== null);
    });
    await s.close({ keepData: true });

    s = await startTestServer({ notifications }, dataDir);
    servers.push(s);
    await send(s, errorTrace('svc', 'a'));
    await waitFor('nine rows', async () => (await s.json('/api/v1/notifications?limit=100')).body.notifications.length === 9);
    const hook = await receiver(port);
    hook.respond = (req) => verifyFluoSignature(SECRET, req.headers, req.body) ? { status: 200 } : { status: 401 };
    const rows = await waitFor('all delivered', async () => {
      const all = (await s.json('/api/v1/notifications?limit=100')).body.notifications;
      return all.every((r: { status: string }) => r.status === 'delivered') ? all : null;
    }, 20_000);
    expect(rows.length).toBe(9);

    const received = hook.requests.map((r) => JSON.parse(r.text) as { idempotencyKey: string; signal: { id: string; ruleId: string } });
    expect(received.length).toBe(9);
    expect(new Set(received.map((r) => r.idempotencyKey)).size).toBe(9);
    for (const ruleId of ['rule-a', 'rule-b']) {
      const stored = (await s.json(`/api/v1/signals?ruleId=${ruleId}&limit=100`)).body.signals.map((x: { id: string }) => x.id).reverse();
      expect(received.filter((r) => r.signal.ruleId === ruleId).map((r) => r.signal.id)).toEqual(stored);
    }
  });

  it('throttles a storm of 1,000 signals for one rule to the cap plus one summary', async () => {
    const hook = await receiver();
    const s = await startTestServer({
      notifications: notificationsConfig({ channels: [{ id: 'hook', type: 'webhook', settings: { url: hook.url }, match: {}, throttle: { window: '15s', cap: 5 } }] }),
    });
    servers.push(s);
    await createRule(s, { id: 'storm', name: 'Storm', dsl: "trace.has(span => span.status === 'ERROR')" });
    for (let batch = 0; batch < 10; batch++) {
      await send(s, Array.from({ length: 100 }, () => errorTrace('checkout')).flat());
    }
    await waitFor('1,000 signals', async () => (await s.json('/api/v1/signals?ruleId=storm&limit=1000')).body.signals.length === 1000, 30_000);
    const summary = await waitFor('the summary', () => hook.requests.map((r) => JSON.parse(r.text)).find((b) => b.kind === 'summary'), 40_000);
    expect(summary.summary.count).toBe(995);
    expect(summary.title).toBe('[critical] 995 more signals for rule Storm');
    expect(summary.text).toBe('995 more signals for rule Storm (storm) in 15 seconds were not sent one by one.');
    const kinds = hook.requests.map((r) => JSON.parse(r.text).kind as string);
    expect(kinds.filter((k) => k === 'trigger').length).toBe(5);
    expect(kinds.length).toBe(6);
    const suppressed = (await s.json('/api/v1/notifications?status=suppressed&limit=1000')).body.notifications;
    expect(suppressed.length).toBe(995);
  }, 90_000);
});
