/**
 * Access control in the web UI end to end (SECURITY.md): a real `fluo serve
 * --auth on` with a bootstrap admin token (FLUO_ADMIN_TOKEN), Debian's
 * Chromium on a fresh profile. The token form appears on 401, a wrong token
 * is refused, the admin token works; the Access screen creates a viewer token
 * (shown once) and revokes another; a viewer cannot change a rule (the UI
 * shows the server's 403) nor open the Access screen; the audit log lists
 * every change with who made it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, launchBrowser, poll, shot, startFluo, type FluoProcess } from './e2eHarness.js';

const ADMIN_TOKEN = 'e2e-bootstrap-admin-token-0123456789abcdef';
const RULE = { id: 'checkout-errors', name: 'Checkout errors', severity: 'warning', dsl: "trace.has(span => span.status === 'ERROR')" };
const work = mkdtempSync(path.join(tmpdir(), 'fluo-ui-access-e2e-'));
let server: FluoProcess | null = null;
let browser: BrowserContext | null = null;
let page: Page;
const pageErrors: string[] = [];
let viewerToken = '';

const useToken = async (token: string) => page.evaluate((t) => localStorage.setItem('fluo.token', t), token);

describe('web UI end to end: access control', () => {
  beforeAll(async () => {
    server = await startFluo(path.join(work, 'data'), ['--auth', 'on'], { FLUO_ADMIN_TOKEN: ADMIN_TOKEN });
    ({ browser, page } = await launchBrowser(path.join(work, 'chromium-profile'), server.api, pageErrors, [401, 403]));
    await api(server.api, 'GET', '/api/v1/rules', undefined, undefined, [401]);
    await api(server.api, 'POST', '/api/v1/rules', RULE, ADMIN_TOKEN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('asks for a token on 401, refuses a wrong one and works with the admin token', async () => {
    await page.goto('/rules');
    const form = page.getByRole('alertdialog', { name: 'This FLUO server needs an API token' });
    await poll(() => form.count()).toBe(1);
    await shot(page, 'token-form');
    await page.getByRole('textbox', { name: 'API token' }).fill('fluo_not-a-real-token-at-all-000000000');
    await page.getByRole('button', { name: 'Save token' }).click();
    await page.waitForLoadState('load');
    await poll(() => form.count()).toBe(1);

    // Keyboard only: the field, then Enter.
    await page.getByRole('textbox', { name: 'API token' }).focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForLoadState('load');
    await poll(() => page.locator('tr', { hasText: RULE.name }).count()).toBe(1);
    expect(await form.count()).toBe(0);
  });

  it('creates a viewer token shown once, revokes another, and lists them', async () => {
    await page.getByRole('link', { name: 'Access', exact: true }).click();
    await poll(() => page.getByRole('heading', { name: 'No tokens yet' }).count()).toBe(1);
    // The server's validation at the field.
    await page.getByRole('button', { name: 'Create token' }).click();
    await poll(() => page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(pageErrors.splice(0)).toEqual([expect.stringContaining('status of 400')]);

    await page.getByLabel('Name').fill('alice');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create token' }).click();
    const once = page.getByLabel('New token for alice');
    await poll(() => once.count()).toBe(1);
    viewerToken = await once.inputValue();
    expect(viewerToken.length).toBeGreaterThanOrEqual(32);
    await api(server!.api, 'GET', '/api/v1/rules', undefined, viewerToken);

    await page.getByLabel('Name').fill('old-ci');
    await page.getByLabel('Role').selectOption('editor');
    await page.getByRole('button', { name: 'Create token' }).click();
    await poll(() => page.getByLabel('New token for old-ci').count()).toBe(1);
    const ciToken = await page.getByLabel('New token for old-ci').inputValue();
    const rows = page.locator('.tokens-table tbody tr');
    await poll(() => rows.count()).toBe(2);
    page.once('dialog', (d) => void d.accept());
    await rows.filter({ hasText: 'old-ci' }).getByRole('button', { name: 'Revoke old-ci' }).click();
    await poll(() => rows.filter({ hasText: 'old-ci' }).locator('.badge.off').count()).toBe(1);
    await api(server!.api, 'GET', '/api/v1/rules', undefined, ciToken, [401]);
    // The token text is never listed again.
    expect(await page.locator('.tokens-table').textContent()).not.toContain(viewerToken);
  });

  it('a viewer reads but cannot change a rule: the UI shows the 403', async () => {
    await useToken(viewerToken);
    await page.goto('/rules');
    const row = page.locator('tr', { hasText: RULE.name });
    await poll(() => row.count()).toBe(1);
    await row.getByRole('button', { name: `Disable ${RULE.name}` }).click();
    const note = page.locator('.error-note');
    await poll(() => note.textContent()).toContain('Not allowed (403)');
    expect(await note.textContent()).toContain("the token 'alice' has role viewer");
    expect((await api(server!.api, 'GET', `/api/v1/rules/${RULE.id}`, undefined, ADMIN_TOKEN)).enabled).toBe(true);
    await shot(page, 'viewer-forbidden');

    await page.getByRole('link', { name: 'Access', exact: true }).click();
    await poll(() => page.getByRole('alert').textContent()).toMatch(/^Not allowed \(403\): .*manage tokens or read the audit log/);
  });

  it('the audit log lists the changes with who made them', async () => {
    await useToken(ADMIN_TOKEN);
    await page.goto('/access');
    const audit = page.locator('.audit-table tbody tr');
    await poll(() => audit.count()).toBe(4);
    const text = (await audit.allTextContents()).join('\n');
    expect(text).toMatch(/admin\s*token\.revoke/);
    expect(text).toMatch(/admin\s*token\.create/);
    expect(text).toMatch(/admin\s*rule\.create\s*rule:checkout-errors/);
    // Newest first.
    expect(await audit.first().locator('td').nth(2).textContent()).toBe('token.revoke');
    await audit.last().getByText('before / after').click();
    expect(await audit.last().locator('pre').textContent()).toContain('"checkout-errors"');
    await shot(page, 'access');
    // Filters: an action prefix, a target.
    await page.getByLabel('Action').fill('token.');
    await poll(() => audit.count()).toBe(3);
    await page.getByLabel('Action').fill('');
    await page.getByLabel('Target').fill('rule:checkout-errors');
    await poll(() => audit.count()).toBe(1);
    expect(await audit.first().locator('td').nth(2).textContent()).toBe('rule.create');
    expect(pageErrors).toEqual([]);
  });
}, 120_000);
