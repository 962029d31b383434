/**
 * End to end: a correlated rule (`traces.by`, examples/rules/correlation.yaml's
 * login-retry rule) in a real `fluo serve`, two traces of one user sent with
 * the OpenTelemetry SDK over OTLP/HTTP, and Debian's Chromium: the signal
 * arrives live in the Signals list with its key and trace count, and its
 * detail shows the key, the window and both traces, each with its witness
 * marked and its own trace link.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, launchBrowser, poll, REPO, sendTrace, shot, startFluo, type FluoProcess } from './e2eHarness.js';

const LINK_TEMPLATE = 'http://jaeger.example:16686/trace/{traceId}';
const RULE_ID = 'login-retry-across-traces';

const work = mkdtempSync(path.join(tmpdir(), 'fluo-web-correlated-'));
const pageErrors: string[] = [];
let server: FluoProcess | undefined;
let browser: BrowserContext | undefined;
let page: Page;

/** One login request of `user`: the web front calls auth, which reads the user from the database. */
const login = (user: string, failing: boolean) => sendTrace(server!.otlpHttp, {
  name: 'POST /login', service: 'web', attributes: { 'enduser.id': user },
  children: [{
    name: 'auth.login', service: 'auth', attributes: { 'enduser.id': user }, error: failing, ok: !failing,
    children: [{ name: 'db.query', service: 'auth', attributes: { 'enduser.id': user, 'db.system': 'postgresql' } }],
  }],
});

describe('web UI: correlated signals end to end', () => {
  beforeAll(async () => {
    server = await startFluo(path.join(work, 'data'), ['--trace-link-template', LINK_TEMPLATE, '--correlation-lateness', '1s']);
    ({ browser, page } = await launchBrowser(path.join(work, 'chromium-profile'), server.api, pageErrors));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the key and every trace of a failed login retried in a new trace', async () => {
    const examples = parseYaml(readFileSync(path.join(REPO, 'examples/rules/correlation.yaml'), 'utf8')) as { rules: Array<Record<string, unknown>> };
    const rule = examples.rules.find((r) => r.id === RULE_ID);
    expect(rule).toBeDefined();
    await api(server!.api, 'POST', '/api/v1/rules', rule);

    await page.goto('/signals');
    await poll(() => page.locator('.live-state').textContent()).toContain('Live');
    // A marker that a reload would wipe: the signal must arrive over the stream.
    await page.evaluate(() => { (window as unknown as { __noReload: boolean }).__noReload = true; });

    const failed = await login('alice@example.com', true);
    const other = await login('bob@example.com', true); // another user's failure, never retried: not part of alice's signal
    const retried = await login('alice@example.com', false);

    const row = page.locator('tbody tr', { hasText: String(rule!.name) });
    await poll(() => row.count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect(await row.getByTestId('correlated-note').textContent()).toBe('key alice@example.com · 2 traces');
    await shot(page, 'signals-correlated');

    await row.getByRole('link', { name: String(rule!.name) }).click();
    await page.waitForURL(/\/signals\/[^/]+$/);
    await poll(() => page.getByTestId('correlation-key').textContent()).toBe('alice@example.com');
    expect(await page.getByTestId('correlation-window').textContent()).toContain('(5.00 s, span start times)');

    const sections = page.locator('details.correlated-trace');
    await poll(() => sections.count()).toBe(2);
    // In order of their first witness: the failed login, then the retry.
    expect(await sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-trace-id')))).toEqual([failed, retried]);
    expect(other).not.toBe(failed);
    for (const [index, traceId] of [failed, retried].entries()) {
      const section = sections.nth(index);
      await poll(() => section.locator('.wf-row').count()).toBe(3); // the whole trace, read from the kept traces
      const witness = section.locator('.wf-row[data-witness="true"]');
      expect(await witness.count()).toBe(1);
      expect(await witness.locator('.wf-name').textContent()).toBe('auth.login');
      expect(await witness.getAttribute('aria-label')).toContain(`status ${index === 0 ? 'ERROR' : 'OK'}`);
      expect(await section.getByRole('link', { name: /open in your tracing backend/ }).getAttribute('href')).toBe(`http://jaeger.example:16686/trace/${traceId}`);
      expect(await section.getByRole('link', { name: 'open the trace' }).getAttribute('href')).toMatch(new RegExp(`^/traces/${traceId}\\?witness=[0-9a-f]{16}$`));
    }
    await shot(page, 'signal-correlated');

    // A section collapses to its summary line.
    await sections.nth(0).locator('summary').click();
    await poll(() => sections.nth(0).locator('.wf-row').first().isVisible()).toBe(false);
    await sections.nth(0).locator('summary').click();
    await poll(() => sections.nth(0).locator('.wf-row').first().isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
