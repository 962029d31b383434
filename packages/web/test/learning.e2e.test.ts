/**
 * The Notifications, rule learning, Invariants and Insights screens end to
 * end: the built UI in Debian's Chromium against a real `fluo serve`, traces
 * from the OpenTelemetry JS SDK over OTLP/HTTP, and a real HTTP receiver for
 * the webhook channel.
 *
 * Flow: create a webhook channel in the UI (a bad URL is reported at its
 * field), send a test, raise a signal and see its outbox row delivered; triage
 * signals and see the rule's precision, learn a refinement and apply it as a
 * new version with its DSL diff; watch a shadow rule's would-have-sent list
 * and promote it; mine invariants from generated traffic, backtest and adopt
 * one; read the insights. Screenshots go to docs/screenshots/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../../server/src/notify/httpReceiver.testkit.js';
import { api, launchBrowser, poll, sendTrace, shot, startFluo, until, type FluoProcess } from './e2eHarness.js';

const work = mkdtempSync(path.join(tmpdir(), 'fluo-ui-learn-e2e-'));
let server: FluoProcess | null = null;
let receiver: HttpReceiver | null = null;
let browser: BrowserContext | null = null;
let page: Page;
const pageErrors: string[] = [];

const CHARGE_RULE = { id: 'charge-failed', name: 'Payment charge failed', severity: 'critical', dsl: "trace.has(span => span.name === 'payment.charge' && span.status === 'ERROR')" };
const SHADOW_RULE = { id: 'cart-loaded', name: 'Cart loaded (trial)', severity: 'info', mode: 'shadow', dsl: "trace.has(span => span.name === 'cart.load')" };

const failedCharge = (card: string, service = 'payments') => sendTrace(server!.otlpHttp, {
  name: 'POST /checkout', service: 'checkout',
  children: [{ name: 'payment.charge', service, error: true, attributes: { 'payment.card': card, 'payment.amount': 42 } }],
});

/** Bulk triage in the Signals screen: every signal the URL's filters show gets `status` with `note`. */
async function triageAll(filters: string, count: number, status: string, note: string): Promise<void> {
  await page.goto(`/signals?${filters}`);
  await poll(() => page.locator('tbody tr').count()).toBe(count);
  await page.getByLabel('Select all signals shown').check();
  await page.getByLabel('Set status').selectOption(status);
  await page.locator('.bulk-bar').getByLabel('Note').fill(note);
  await page.getByRole('button', { name: `Apply to ${count}` }).click();
  await poll(() => page.locator('.ok-note').textContent()).toContain(`${count} signals changed`);
}
const signalsOf = async (ruleId: string) => (await api(server!.api, 'GET', `/api/v1/signals?ruleId=${ruleId}&limit=1000`)).signals as Array<{ id: string; traceId: string; mode: string }>;

describe('web UI end to end: notifications and learning', () => {
  beforeAll(async () => {
    receiver = await HttpReceiver.start();
    server = await startFluo(path.join(work, 'data'));
    ({ browser, page } = await launchBrowser(path.join(work, 'chromium-profile'), server.api, pageErrors));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('creates a webhook channel (a bad URL is shown at its field), sends a test, and shows a signal delivered in the outbox', async () => {
    await page.goto('/notifications');
    await poll(() => page.getByRole('heading', { name: 'No channels yet' }).count()).toBe(1);
    await poll(() => page.getByRole('heading', { name: 'The outbox is empty' }).count()).toBe(1);

    await page.getByRole('button', { name: 'New channel' }).click();
    await page.getByLabel('Type').selectOption('webhook');
    await page.getByLabel(/^Id/).fill('ops-webhook');
    await page.getByLabel('Name', { exact: true }).fill('Ops <b>webhook</b>');
    const url = page.getByLabel('URL', { exact: true });
    await url.fill('not a url');
    await page.getByRole('button', { name: 'Create channel' }).click();
    // The server's validation, shown at the field it names.
    await poll(() => url.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#err-url').textContent()).toBeTruthy();
    expect(await page.getByRole('alert').first().textContent()).toMatch(/Not saved: invalid channel: .*settings\.url/);
    await shot(page, 'notifications-channel-error');
    // The browser logs the refused request; that 400 was the point.
    expect(pageErrors.splice(0)).toEqual([expect.stringContaining('status of 400')]);

    await url.fill(`http://127.0.0.1:${receiver!.port}/fluo`);
    await page.getByLabel(/^Signing secret/).fill('e2e-signing-secret');
    await page.getByRole('button', { name: 'Create channel' }).click();
    const row = page.locator('tr[data-channel-id="ops-webhook"]');
    await poll(() => row.count()).toBe(1);
    // Values are text: the markup in the name is shown, not interpreted.
    expect(await row.textContent()).toContain('Ops <b>webhook</b>');
    expect(await row.locator('b').count()).toBe(0);
    expect(await row.textContent()).toContain('secrets set: secret');
    const channel = await api(server!.api, 'GET', '/api/v1/notifications/channels/ops-webhook');
    expect(channel).toMatchObject({ type: 'webhook', enabled: true, match: {}, secretsSet: ['secret'] });
    expect(channel.settings.secret).toBeUndefined();

    await row.getByRole('button', { name: /^Send test/ }).click();
    await poll(() => row.getByTestId('test-result').textContent()).toBe('✓ delivered');
    expect(receiver!.requests.length).toBe(1);
    expect(receiver!.requests[0].headers['x-fluo-signature']).toMatch(/^sha256=/);

    // A second channel whose receiver is down: its row keeps the last error and the next attempt.
    receiver!.respond = (r) => (r.path === '/down' ? { status: 503, body: 'receiver down for maintenance' } : { status: 200, body: '{}' });
    await api(server!.api, 'POST', '/api/v1/notifications/channels', { id: 'down-hook', type: 'webhook', name: 'Down hook', settings: { url: `http://127.0.0.1:${receiver!.port}/down` }, match: {} });
    await api(server!.api, 'POST', '/api/v1/rules', CHARGE_RULE);
    await failedCharge('visa');
    const delivered = page.locator('.outbox-table tbody tr[data-status="delivered"]', { hasText: 'trigger' });
    await poll(() => delivered.count()).toBe(1);
    expect(await delivered.textContent()).toContain('charge-failed');
    expect(await delivered.textContent()).toContain('Ops <b>webhook</b>');
    const retrying = page.locator('.outbox-table tbody tr[data-channel="down-hook"]');
    await poll(() => retrying.locator('.error-cell').textContent()).toContain('503');
    expect(await retrying.getAttribute('data-status')).toMatch(/^(pending|delivering)$/);
    expect(Number(await retrying.locator('td.num').nth(1).textContent())).toBeGreaterThanOrEqual(1);
    const trigger = receiver!.requests.find((r) => r.path === '/fluo' && r.text.includes('"trigger"'));
    expect(trigger?.text).toContain('charge-failed');
    await shot(page, 'notifications');

    // The signal's own page lists where it was sent.
    await delivered.getByRole('link', { name: 'charge-failed' }).click();
    await page.waitForURL(/\/signals\/[^/]+$/);
    const sent = page.locator('.signal-notifications li');
    await poll(() => sent.count()).toBe(2);
    expect(await sent.filter({ hasText: 'ops-webhook' }).locator('.badge').textContent()).toBe('delivered');
    expect(await sent.filter({ hasText: 'down-hook' }).locator('.error-text').textContent()).toContain('503');
    await page.goBack();

    // Filter by status (kept in the URL).
    await page.getByLabel('Status').selectOption('pending');
    await poll(() => page.locator('.outbox-table tbody tr').count()).toBe(1);
    expect(await page.locator('.outbox-table tbody tr').getAttribute('data-channel')).toBe('down-hook');
    expect(page.url()).toContain('status=pending');
    await page.getByLabel('Status').selectOption('failed');
    await poll(() => page.getByRole('heading', { name: 'No failed notifications' }).count()).toBe(1);
    await page.getByLabel('Status').selectOption('');

    // Disable from the list.
    await row.getByRole('button', { name: /^Disable/ }).click();
    await poll(() => row.locator('.badge.off').count()).toBe(1);
    expect((await api(server!.api, 'GET', '/api/v1/notifications/channels/ops-webhook')).enabled).toBe(false);

    // Edit: a new name; the secret left empty keeps its stored value.
    await row.getByRole('button', { name: /^Edit/ }).click();
    expect(await page.getByLabel(/^Signing secret/).inputValue()).toBe('');
    await page.getByLabel('Name', { exact: true }).fill('Ops webhook');
    expect(await page.getByLabel('Throttle cap').inputValue()).toBe('10');
    expect(await page.getByLabel('Throttle window').inputValue()).toBe('5m');
    await page.getByLabel('Throttle cap').fill('ten');
    await page.getByRole('button', { name: 'Save channel' }).click();
    await poll(() => page.getByLabel('Throttle cap').getAttribute('aria-invalid')).toBe('true');
    expect(pageErrors.splice(0)).toEqual([expect.stringContaining('status of 400')]);
    await page.getByLabel('Throttle cap').fill('3');
    await page.getByRole('button', { name: 'Save channel' }).click();
    await poll(() => row.locator('td').first().textContent()).toContain('Ops webhook');
    const edited = await api(server!.api, 'GET', '/api/v1/notifications/channels/ops-webhook');
    expect(edited).toMatchObject({ name: 'Ops webhook', enabled: false, secretsSet: ['secret'], version: 3, throttle: { window: 300_000, cap: 3, groupBy: null } });

    // A test to a receiver that is down says why it failed.
    const down = page.locator('tr[data-channel-id="down-hook"]');
    await down.getByRole('button', { name: /^Send test/ }).click();
    await poll(() => down.getByTestId('test-result').textContent()).toMatch(/^✗ (retry|failed): .*503/);

    // Delete asks first.
    page.once('dialog', (d) => void d.accept());
    await down.getByRole('button', { name: /^Delete/ }).click();
    await poll(() => down.count()).toBe(0);
    await api(server!.api, 'GET', '/api/v1/notifications/channels/down-hook', undefined, undefined, [404]);
  });

  it('shows precision from triage, learns a refinement, applies it as a new version and diffs the DSL', async () => {
    // Staging charges test cards that fail on purpose: false positives; the real declines are resolved.
    for (let i = 0; i < 6; i++) { await failedCharge('test-card', 'payments-staging'); await failedCharge('visa'); }
    await until('13 signals', async () => (await signalsOf('charge-failed')).length === 13);
    await triageAll('ruleId=charge-failed&service=payments-staging', 6, 'false_positive', 'synthetic test card');
    await triageAll('ruleId=charge-failed&service=payments', 7, 'resolved', 'real decline');

    await page.goto('/rules/charge-failed');
    const precision = page.getByTestId('rule-precision');
    await poll(() => precision.locator('.stat-value').textContent()).toBe('54 %');
    expect(await precision.textContent()).toContain('7 resolved, 6 false positives');
    expect(await precision.textContent()).toMatch(/95 % Wilson interval \d+ %–\d+ %/);
    expect(await precision.locator('.fp-reasons').textContent()).toContain('synthetic test card');
    await poll(() => precision.locator('.precision-chart canvas').count()).toBe(1);
    await shot(page, 'rule-precision');

    const refinements = page.getByTestId('rule-refinements');
    await refinements.getByRole('button', { name: 'Learn from triage' }).click();
    const proposal = refinements.locator('.proposal').first();
    await poll(() => proposal.count()).toBe(1);
    // The condition that separates them: the test card, or the staging service.
    const condition = await proposal.locator('p code').nth(1).textContent();
    expect(condition).toMatch(/payment\.card|service\.name/);
    expect(await proposal.locator('.badge', { hasText: 'recommended' }).count()).toBe(1);
    expect(await proposal.textContent()).toContain('100 % precision');
    await shot(page, 'rule-refinements');
    await proposal.getByRole('button', { name: /^Apply as version 2/ }).click();
    await poll(() => refinements.getByRole('status').textContent()).toBe('Applied as version 2.');
    const rule = await api(server!.api, 'GET', '/api/v1/rules/charge-failed');
    expect(rule.version).toBe(2);
    expect(rule.dsl).toContain(condition);

    const versions = page.getByTestId('rule-versions');
    await poll(() => versions.locator('tbody tr').count()).toBe(2);
    const diff = versions.getByTestId('dsl-diff');
    await poll(() => diff.locator('.diff-add').count()).toBeGreaterThan(0);
    expect(await diff.locator('.diff-add').first().textContent()).toContain(condition);
    expect(await diff.locator('.diff-del').first().textContent()).toContain("span.status === 'ERROR'");
    await versions.scrollIntoViewIfNeeded();
    await shot(page, 'rule-versions');
  });

  it("lists what a shadow rule would have sent, and promotes it", async () => {
    await api(server!.api, 'POST', '/api/v1/rules', SHADOW_RULE);
    for (let i = 0; i < 3; i++) await sendTrace(server!.otlpHttp, { name: 'GET /cart', service: 'shop', children: [{ name: 'cart.load', service: 'shop' }] });
    await until('3 shadow signals', async () => (await signalsOf('cart-loaded')).filter((s) => s.mode === 'shadow').length === 3);
    // Shadow signals never notify.
    expect((await api(server!.api, 'GET', '/api/v1/notifications?ruleId=cart-loaded')).notifications).toEqual([]);

    await page.goto('/rules/cart-loaded');
    const shadow = page.getByTestId('rule-shadow');
    await poll(() => shadow.getByTestId('would-have-notified').textContent()).toMatch(/^Would have notified 3 times/);
    expect(await shadow.locator('tbody tr').count()).toBe(3);
    await shot(page, 'rule-shadow');
    await shadow.getByRole('button', { name: 'Promote to alert' }).click();
    await poll(() => shadow.getByRole('status').first().textContent()).toMatch(/^Promoted: the rule now alerts/);
    expect((await api(server!.api, 'GET', '/api/v1/rules/cart-loaded')).mode).toBe('alert');
    await poll(() => page.locator('h2', { hasText: 'Signals from its time in shadow mode' }).count()).toBe(1);
  });

  it('mines invariants from generated traffic, backtests one and adopts it as a shadow rule', async () => {
    await page.goto('/invariants');
    await poll(() => page.getByRole('heading', { name: 'Nothing mined yet' }).count()).toBe(1);
    const before = (await api(server!.api, 'GET', '/api/v1/traces?limit=1000')).traces.length;
    for (let i = 0; i < 25; i++) {
      await sendTrace(server!.otlpHttp, { name: 'GET /catalog', service: 'web', attributes: { 'http.route': '/catalog' }, children: [{ name: 'catalog.query', service: 'catalog', attributes: { 'db.system': 'postgresql' } }] });
    }
    await until('the generated traces kept', async () => (await api(server!.api, 'GET', '/api/v1/traces?limit=1000')).traces.length >= before + 25);

    await page.getByLabel('Traces since').selectOption({ label: 'last hour' });
    await page.getByLabel('Least support').fill('20');
    await page.getByRole('button', { name: 'Mine invariants' }).click();
    const rows = page.locator('.invariants-table tbody tr');
    await poll(() => rows.count()).toBeGreaterThan(0);
    const candidate = rows.filter({ hasText: 'catalog.query' }).first();
    expect(await candidate.locator('.badge.kind').textContent()).toMatch(/co-occurrence|ordering|duration|attribute-values/);
    expect(await candidate.locator('td.num').first().textContent()).toMatch(/^\d+ (traces|spans)$/);
    expect(await candidate.getByRole('link', { name: /^example trace / }).count()).toBeGreaterThan(0);
    await candidate.getByRole('button', { name: /^Backtest/ }).click();
    await poll(() => candidate.getByRole('status').first().textContent()).toMatch(/^Backtest: fires on \d+ of \d+ kept traces/);
    await shot(page, 'invariants');

    const example = await candidate.getByRole('link', { name: /^example trace / }).first().getAttribute('href');
    const rulesBefore = (await api(server!.api, 'GET', '/api/v1/rules')).rules.length;
    await candidate.getByRole('button', { name: /^Adopt/ }).click();
    await poll(() => candidate.textContent()).toContain('Adopted as the shadow rule');
    const rules = (await api(server!.api, 'GET', '/api/v1/rules')).rules as Array<{ id: string; mode: string; tags: string[] }>;
    expect(rules.length).toBe(rulesBefore + 1);
    const adopted = rules.find((r) => r.tags.includes('invariant'))!;
    expect(adopted.mode).toBe('shadow');
    await candidate.getByRole('link', { name: /Invariant broken/ }).click();
    await page.waitForURL(new RegExp(`/rules/${adopted.id}$`));

    // An example trace opens in the waterfall.
    await page.goto(example!);
    await poll(() => page.locator('.wf-row').count()).toBe(2);
    expect(await page.locator('.wf-row .wf-name').allTextContents()).toEqual(['GET /catalog', 'catalog.query']);
  });

  it('shows rules by precision and their rate status in the insights', async () => {
    await page.goto('/insights');
    const row = page.locator('.precision-table tbody tr', { hasText: 'Payment charge failed' });
    await poll(() => row.count()).toBe(1);
    expect(await row.locator('td.num').first().textContent()).toBe('54 %');
    // Lowest precision first; untriaged rules after.
    expect(await page.locator('.precision-table tbody tr').first().textContent()).toContain('Payment charge failed');
    expect(await row.locator('td.num').nth(1).textContent()).toBe('7');
    expect(await row.locator('td.num').nth(2).textContent()).toBe('6');
    await poll(() => page.locator('.rates-table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('.rates-table tbody tr', { hasText: 'Payment charge failed' }).locator('.badge').textContent()).toMatch(/learning|normal|jump|collapse/);
    // No rule has the 5000 traces of history a rate verdict needs: no anomaly, said plainly.
    expect(await page.locator('.rates-table tbody tr', { hasText: 'Payment charge failed' }).textContent()).toContain('5000 needed');
    await poll(() => page.getByText('None: every rule fires at its usual rate').count()).toBe(1);
    await shot(page, 'insights');

    // The rules list shows each rule's precision too.
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    const ruleRow = page.locator('tr[data-rule-id="charge-failed"]');
    await poll(() => ruleRow.locator('td.precision-col').textContent()).toMatch(/^54 % \(\d+ %–\d+ %, 13 triaged\)$/);
    expect(await page.locator('tr[data-rule-id="cart-loaded"] td.precision-col').textContent()).toBe('not triaged');

    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await page.getByRole('link', { name: 'Notifications', exact: true }).click();
    await poll(() => page.locator('.outbox-table tbody tr').count()).toBeGreaterThan(0);
    await shot(page, 'notifications-dark');
    expect(pageErrors).toEqual([]);
  });
}, 120_000);
