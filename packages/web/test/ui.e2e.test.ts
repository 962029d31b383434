/**
 * The web UI end to end, as a user meets it: the built UI in real headless
 * Chromium (Debian's, driven by playwright-core) against a real `fluo serve`
 * child process that receives traces from the OpenTelemetry JS SDK over
 * OTLP/HTTP (protobuf).
 *
 * Flow: write a rule in the editor, see the compile error underlined, fix it,
 * try it on kept traces, save it, send traces, watch the signal arrive live
 * (SSE, no reload), open it, see the waterfall with the witness marked, read
 * a span's attributes (hostile markup shows as text and never runs), mark it
 * false positive with a note, triage in bulk, search traces. Screenshots of
 * every screen go to docs/screenshots/ (linked from the README).
 *
 * Needs the build (npm run build; `npm test` does it) and Chromium
 * (scripts/system-packages.mjs installs it; without it this test fails
 * saying how to install it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { context, trace, SpanKind, SpanStatusCode, type Span as OtelSpan } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, poll, shot as shotOf, startFluo, until, type FluoProcess } from './e2eHarness.js';

const LINK_TEMPLATE = 'http://jaeger.example:16686/trace/{traceId}';
const XSS_IMG = '<img src=x onerror="window.__fluoXss=1">';
const XSS_SCRIPT = '<script>window.__fluoXss=2</script>';
const RULE_NAME = 'Payment charge failed';
const BAD_DSL = "trace.has(span => span.name = 'payment.charge')";
const GOOD_DSL = "trace.has(span => span.name === 'payment.charge' && span.status === 'ERROR')";

const work = mkdtempSync(path.join(tmpdir(), 'fluo-ui-e2e-'));
let server: FluoProcess | null = null;
let browser: BrowserContext | null = null;
let page: Page;
const pageErrors: string[] = [];

/** One checkout trace from two services through the OpenTelemetry SDK; resolves once exported. Returns the trace id. */
async function sendCheckout(options: { failing: boolean; hostile?: boolean }): Promise<string> {
  const exporter = () => new OTLPTraceExporter({ url: `${server!.otlpHttp}/v1/traces` });
  const shop = new BasicTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'checkout' }), spanProcessors: [new SimpleSpanProcessor(exporter())] });
  const payments = new BasicTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'payments', 'deployment.environment': 'e2e' }), spanProcessors: [new SimpleSpanProcessor(exporter())] });
  const root = shop.getTracer('e2e-shop').startSpan('POST /checkout', { kind: SpanKind.SERVER, attributes: { 'http.route': '/checkout', 'http.request.method': 'POST' } });
  const inRoot = trace.setSpan(context.active(), root);
  shop.getTracer('e2e-shop').startSpan('cart.load', { kind: SpanKind.INTERNAL }, inRoot).end();
  const charge: OtelSpan = payments.getTracer('e2e-payments').startSpan('payment.charge', {
    kind: SpanKind.CLIENT,
    attributes: { 'payment.amount': 42.5, 'payment.currency': 'EUR', ...(options.hostile ? { 'customer.note': XSS_IMG, 'customer.script': XSS_SCRIPT } : {}) },
  }, inRoot);
  const db = payments.getTracer('e2e-payments').startSpan('db.query', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, trace.setSpan(context.active(), charge));
  await new Promise((resolve) => setTimeout(resolve, 5)); // spans with a visible duration in the waterfall
  db.end();
  if (options.failing) {
    charge.addEvent('exception', { 'exception.type': 'CardDeclined', 'exception.message': 'insufficient funds' });
    charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  }
  charge.end();
  root.end();
  const traceId = root.spanContext().traceId;
  await Promise.all([shop.shutdown(), payments.shutdown()]);
  return traceId;
}

async function apiJson(p: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${server!.api}${p}`);
  expect(res.status, p).toBe(200);
  return res.json();
}

const shot = (name: string) => shotOf(page, name);
const xssRan = () => page.evaluate(() => (window as unknown as { __fluoXss?: number }).__fluoXss ?? null);

describe('web UI end to end', () => {
  beforeAll(async () => {
    server = await startFluo(path.join(work, 'data'), ['--trace-link-template', LINK_TEMPLATE]);
    ({ browser, page } = await launchBrowser(path.join(work, 'chromium-profile'), server.api, pageErrors));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows what to do next before any trace arrives', async () => {
    await page.goto('/');
    const empty = page.getByRole('status').filter({ hasText: 'No traces yet' });
    await poll(() => empty.textContent()).toContain(`Point your OTLP exporter at ${server!.otlpHttp}`);
    await page.goto('/signals');
    await poll(() => page.getByRole('heading', { name: 'No signals yet' }).count()).toBe(1);
  });

  it('writes a rule: the compile error is underlined, the fix compiles, Try it finds the matching kept trace, and it saves', async () => {
    // Traces to try the rule on: one failing charge, two fine ones.
    await sendCheckout({ failing: false });
    await sendCheckout({ failing: true });
    await sendCheckout({ failing: false });
    await until('3 kept traces', async () => (await apiJson('/api/v1/traces')).traces.length === 3);

    await page.goto('/rules');
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Name', { exact: true }).fill(RULE_NAME);
    const editor = page.locator('.dsl-editor .cm-content');
    const status = page.getByTestId('dsl-status');
    // A template from the example library, compiled in the page by the engine.
    await page.getByLabel('Start from a template').selectOption({ label: 'Auth failure masked by retry (seed)' });
    await poll(() => editor.textContent()).toContain("span.name === 'auth.login'");
    await poll(() => status.textContent()).toBe('✓ The rule compiles.');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(RULE_NAME);
    await page.getByLabel('Description').fill('');
    await page.getByLabel(/^Tags/).fill('payments');
    expect(await page.getByLabel('Severity').inputValue()).toBe('warning');
    await page.getByLabel('Severity').selectOption('critical');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.type('trace.');
    // Completion of the DSL's trace members.
    await poll(() => page.locator('.cm-tooltip-autocomplete').textContent()).toContain('has');
    await page.keyboard.press('Escape');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(BAD_DSL);

    // The engine's compiler, running in the page, underlines the assignment at its line and column.
    const underline = page.locator('.cm-lintRange-error');
    await poll(() => underline.count()).toBeGreaterThan(0);
    await poll(() => status.textContent()).toMatch(/^Line 1, column \d+: Assignment/);
    expect(await underline.first().textContent()).toBeTruthy();
    expect(await page.getByRole('button', { name: 'Save rule' }).isDisabled()).toBe(true);
    await shot('rule-editor-error');

    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(GOOD_DSL);
    await poll(() => status.textContent()).toBe('✓ The rule compiles.');
    await poll(() => underline.count()).toBe(0);

    await page.getByRole('button', { name: 'Try it' }).click();
    const results = page.getByTestId('try-results');
    await poll(() => results.getByRole('heading').textContent()).toMatch(/^Try it: 1 of 3 kept traces/);
    expect(await results.locator('tbody tr').count()).toBe(1);
    await shot('rule-try-it');

    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.waitForURL(/\/rules\?saved=/);
    const row = page.locator('tr', { hasText: RULE_NAME });
    await poll(() => row.textContent()).toContain('enabled');
    expect(await row.textContent()).toContain('critical');
    const saved = (await apiJson('/api/v1/rules')).rules.find((r: { name: string }) => r.name === RULE_NAME);
    expect(saved).toMatchObject({ dsl: GOOD_DSL, severity: 'critical', enabled: true, version: 1 });

    // Edit: the saved rule opens in the editor; a changed description is saved as version 2.
    await row.getByRole('link', { name: RULE_NAME }).click();
    await poll(() => page.locator('.dsl-editor .cm-content').textContent()).toBe(GOOD_DSL);
    await page.getByLabel('Description').fill('The payment provider refused a charge.');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/\/rules\?saved=/);
    expect(await apiJson(`/api/v1/rules/${saved.id}`)).toMatchObject({ description: 'The payment provider refused a charge.', version: 2, dsl: GOOD_DSL });
  });

  let signalTraceId = '';

  it('shows a new signal live, then its detail with the witness marked and hostile attributes as plain text', async () => {
    await page.getByRole('link', { name: 'Signals', exact: true }).click();
    await poll(() => page.locator('.live-state').textContent()).toContain('Live');
    // A marker that a reload would wipe: the signal must arrive over the stream.
    await page.evaluate(() => { (window as unknown as { __noReload: boolean }).__noReload = true; });
    signalTraceId = await sendCheckout({ failing: true, hostile: true });

    const row = page.locator('tbody tr', { hasText: RULE_NAME });
    await poll(() => row.count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect(await row.textContent()).toContain('open');
    await shot('signals');

    await row.getByRole('link', { name: RULE_NAME }).click();
    await page.waitForURL(/\/signals\/[^/]+$/);
    await poll(() => page.locator('.wf-row').count()).toBe(4);
    const witness = page.locator('.wf-row[data-witness="true"]');
    expect(await witness.count()).toBe(1);
    expect(await witness.textContent()).toContain('payment.charge');
    // Indented under its parent: POST /checkout > payment.charge > db.query.
    const names = await page.locator('.wf-row .wf-name').allTextContents();
    expect(names).toEqual(['POST /checkout', 'cart.load', 'payment.charge', 'db.query']);
    const link = page.getByRole('link', { name: /open in your tracing backend/ });
    expect(await link.getAttribute('href')).toBe(`http://jaeger.example:16686/trace/${signalTraceId}`);
    await shot('signal-detail');

    await witness.click();
    const details = page.locator('.span-details');
    await poll(() => details.textContent()).toContain('Witness');
    // Attribute values are data: shown as the literal text, never parsed as markup.
    expect(await details.getByRole('cell', { name: XSS_IMG, exact: true }).count()).toBe(1);
    expect(await details.getByRole('cell', { name: XSS_SCRIPT, exact: true }).count()).toBe(1);
    expect(await page.locator('.span-details img').count()).toBe(0);
    expect(await page.locator('.span-details script').count()).toBe(0);
    expect(await xssRan()).toBeNull();
    expect(await details.textContent()).toContain('deployment.environment');
    expect(await details.textContent()).toContain('CardDeclined');
    await shot('span-details');

    // Keyboard: the waterfall rows are reachable and move with the arrow keys.
    await witness.focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toContain('db.query');
  });

  it('marks the signal false positive with a note, and triages signals in bulk', async () => {
    await page.getByLabel('New status').selectOption('false_positive');
    await page.getByLabel('Note').fill('synthetic card used by the load test');
    await page.getByRole('button', { name: 'Change status' }).click();
    await poll(() => page.locator('.history').textContent()).toContain('synthetic card used by the load test');
    expect(await page.locator('.facts .badge.st-false_positive').count()).toBe(1);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const stored = await apiJson(`/api/v1/signals/${encodeURIComponent(id)}`);
    expect(stored.status).toBe('false_positive');
    expect(stored.history.at(-1)).toMatchObject({ from: 'open', to: 'false_positive', note: 'synthetic card used by the load test' });

    // Bulk: a second signal, then both are acknowledged together.
    await sendCheckout({ failing: true });
    await until('2 signals', async () => (await apiJson('/api/v1/signals')).signals.length === 2);
    await page.getByRole('link', { name: 'Back to signals' }).click();
    await poll(() => page.locator('tbody tr').count()).toBe(2);
    await page.getByLabel('Select all signals shown').check();
    await page.getByLabel('Set status').selectOption('acknowledged');
    await page.locator('.bulk-bar').getByLabel('Note').fill('looking into the card processor');
    await page.getByRole('button', { name: 'Apply to 2' }).click();
    await poll(() => page.locator('.ok-note').textContent()).toContain('2 signals changed');
    const statuses = (await apiJson('/api/v1/signals')).signals.map((s: { status: string }) => s.status);
    expect(statuses).toEqual(['acknowledged', 'acknowledged']);
    expect(await xssRan()).toBeNull();
  });

  it('searches traces and opens one in the waterfall; shows overview and rules with real numbers; has a dark theme', async () => {
    // Signals fire as spans arrive; traces are kept once complete (idle for 1 s).
    await until('5 kept traces', async () => (await apiJson('/api/v1/traces')).traces.length === 5);
    await page.getByRole('link', { name: 'Traces', exact: true }).click();
    await poll(() => page.locator('tbody tr').count()).toBe(5);
    await page.getByLabel('Service').fill('payments');
    await poll(() => page.locator('tbody tr').count()).toBe(5);
    await page.getByLabel('Service').fill('nobody');
    await poll(() => page.getByRole('heading', { name: 'No traces match' }).count()).toBe(1);
    await page.getByLabel('Service').fill('checkout');
    await poll(() => page.locator('tbody tr').count()).toBe(5);
    // Any span's name, not only the root's.
    await page.getByLabel('Span name').fill('no.such.span');
    await poll(() => page.getByRole('heading', { name: 'No traces match' }).count()).toBe(1);
    await page.getByLabel('Span name').fill('db.query');
    await poll(() => page.locator('tbody tr').count()).toBe(5);
    await shot('traces');
    await page.locator(`a[href="/traces/${signalTraceId}"]`).click();
    await poll(() => page.locator('.wf-row').count()).toBe(4);
    expect(await page.locator('.wf-bar.st-error').count()).toBe(1);

    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await poll(() => page.locator('.chart canvas').count()).toBe(1);
    const stats = page.locator('.stat-grid');
    await poll(() => stats.textContent()).toContain('Signals stored2');
    expect(await page.locator('table.list', { hasText: 'Open signals' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: /Rules firing most/ }).count()).toBe(1);
    await poll(() => page.locator('.top-rules').textContent()).toContain(`${RULE_NAME} 2 signals`);
    await shot('overview');

    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    const row = page.locator('tr', { hasText: RULE_NAME });
    await poll(() => row.locator('td.num').textContent()).toBe('2');
    expect(await row.locator('.sparkline rect').count()).toBe(1);
    await shot('rules');
    const ruleId = (await apiJson('/api/v1/rules')).rules[0].id;
    await row.getByRole('button', { name: `Disable ${RULE_NAME}` }).click();
    await poll(() => row.locator('.badge.off').count()).toBe(1);
    expect((await apiJson(`/api/v1/rules/${ruleId}`)).enabled).toBe(false);
    await row.getByRole('button', { name: `Enable ${RULE_NAME}` }).click();
    await poll(() => row.locator('.badge.on').count()).toBe(1);
    expect((await apiJson(`/api/v1/rules/${ruleId}`)).enabled).toBe(true);

    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.getByRole('link', { name: 'Signals', exact: true }).click();
    await page.locator('tbody tr a').first().click();
    await poll(() => page.locator('.wf-row').count()).toBe(4);
    await page.locator('.wf-row[data-witness="true"]').click();
    await shot('dark-theme');
    // The choice survives a reload.
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await xssRan()).toBeNull();
    expect(pageErrors).toEqual([]);
  });

  it('sends a saved API token with every request, the live signal stream included', async () => {
    const authorization = new Map<string, string | undefined>();
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname.startsWith('/api/')) authorization.set(url.pathname, req.headers().authorization);
    });
    await page.evaluate(() => localStorage.setItem('fluo.token', 'e2e-token'));
    await page.goto('/signals');
    await poll(() => page.locator('.live-state').textContent()).toContain('Live');
    const before = await page.locator('tbody tr').count();
    await sendCheckout({ failing: true });
    await poll(() => page.locator('tbody tr').count()).toBe(before + 1);
    expect(authorization.get('/api/v1/signals')).toBe('Bearer e2e-token');
    expect(authorization.get('/api/v1/signals/stream')).toBe('Bearer e2e-token');
    expect(authorization.get('/api/v1/ui-config')).toBe('Bearer e2e-token');
    expect(pageErrors).toEqual([]);
  });
}, 120_000);
