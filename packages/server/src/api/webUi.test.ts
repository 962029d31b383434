/**
 * The web UI served from the API port, over real HTTP: built files with
 * their content types and cache headers, the single-page-app fallback, and
 * the page shown when the UI is not built.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, tempDir, type TestServer } from '../testing/testServer.testkit.js';
import { IMMUTABLE_CACHE, REVALIDATE_CACHE, resolveUiDir } from './webUi.js';

describe('web UI serving', () => {
  let built: TestServer;
  let unbuilt: TestServer;

  beforeAll(async () => {
    const uiDir = tempDir('ui');
    mkdirSync(path.join(uiDir, 'assets'));
    writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>FLUO test UI</title><script type="module" src="/assets/app-1a2b3c.js"></script>');
    writeFileSync(path.join(uiDir, 'assets', 'app-1a2b3c.js'), 'console.log("ui")');
    writeFileSync(path.join(uiDir, 'assets', 'app-1a2b3c.css'), 'body{}');
    writeFileSync(path.join(uiDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    built = await startTestServer({ uiDir });
    unbuilt = await startTestServer({ uiDir: tempDir('ui-empty') });
  });
  afterAll(async () => { await built?.close(); await unbuilt?.close(); });

  it('serves index.html at / and for the app\'s own routes, revalidated on every load', async () => {
    for (const p of ['/', '/signals/sig-1', '/rules/new', '/index.html']) {
      const res = await built.api(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control'), p).toBe(REVALIDATE_CACHE);
      expect(await res.text(), p).toContain('FLUO test UI');
    }
  });

  it('serves hashed assets as immutable with their content types', async () => {
    const js = await built.api('/assets/app-1a2b3c.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toBe(IMMUTABLE_CACHE);
    expect(await js.text()).toBe('console.log("ui")');
    expect((await built.api('/assets/app-1a2b3c.css')).headers.get('content-type')).toMatch(/^text\/css/);
    const icon = await built.api('/favicon.svg');
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(icon.headers.get('cache-control')).toBe(REVALIDATE_CACHE);
  });

  it('answers 404 for a missing asset and JSON errors for unknown API paths', async () => {
    expect((await built.api('/assets/app-old.js')).status).toBe(404);
    const api = await built.json('/api/v1/nothing-here');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('NOT_FOUND');
    expect((await built.api('/../../etc/passwd')).status).not.toBe(500);
  });

  it('says how to build the UI when it is not built', async () => {
    for (const p of ['/', '/signals']) {
      const res = await unbuilt.api(p);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toContain('web UI is not built');
      expect(text).toContain('npm run build');
      expect(text).toContain('--ui-dir');
    }
    expect((await unbuilt.json('/api/v1/rules')).status).toBe(200);
  });

  it('finds the @fluohq/web package by default and honours a configured folder', () => {
    expect(resolveUiDir('/srv/fluo-ui')).toBe('/srv/fluo-ui');
    expect(resolveUiDir(null)).toMatch(/packages[\\/]web[\\/]dist$/);
  });
});
