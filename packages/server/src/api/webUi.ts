/**
 * Serves the built web UI (packages/web, built by Vite) from the API port.
 *
 * - Files come from `uiDir`, or by default from the dist folder of the
 *   `@fluohq/web` package, found by module resolution at startup. The server
 *   does not depend on the web package: when it is absent or not built, every
 *   UI path answers with a page saying how to build it.
 * - Vite names assets by content hash (`/assets/index-3f9c1a.js`), so those
 *   are cached for a year as immutable; index.html is revalidated on every
 *   load so a new build shows at once.
 * - Any other GET outside /api/ that matches no file is the single-page app's
 *   own route (e.g. /signals/abc): it gets index.html (SPA fallback).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const REVALIDATE_CACHE = 'no-cache';

/** The built UI folder: `configured` when set, else @fluohq/web's dist folder; null when that package cannot be found. */
export function resolveUiDir(configured: string | null): string | null {
  if (configured !== null) return configured;
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('@fluohq/web/package.json')), 'dist');
  } catch {
    return null;
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function uiNotBuiltPage(uiDir: string | null): string {
  const where = uiDir === null ? 'the @fluohq/web package is not installed' : `no index.html in ${escapeHtml(uiDir)}`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>FLUO: web UI not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem}code,pre{background:#f3f3f3;padding:0 .25em}</style></head>
<body>
<h1>FLUO is running, but its web UI is not built</h1>
<p>The server looked for the built UI and found none (${where}).</p>
<p>Build it from the repository root with</p>
<pre>npm run build</pre>
<p>or point the server at a built copy with <code>--ui-dir PATH</code> (env <code>FLUO_UI_DIR</code>). Then reload this page.</p>
<p>The REST API works meanwhile: <a href="/api/v1/openapi.json">API reference</a> &middot; <a href="/metrics">metrics</a> &middot; <a href="/readyz">readiness</a>.</p>
</body>
</html>
`;
}

/** The route paths the UI registers (not part of the REST API). */
export const WEB_UI_ROUTES: readonly string[] = ['/', '/index.html'];

/**
 * Registers the UI's routes and returns the handler for every other path,
 * to be called from the app's notFound handler: a catch-all route would
 * match every request and hide the real route from per-route metrics.
 * The folder is resolved at the first request (registering reads no
 * dependency), and index.html is read per request, so a rebuild shows
 * without a restart. The handler resolves to null for paths the UI does not
 * own (under /api/, non-GET, missing hashed assets).
 */
export function registerWebUi(app: Hono, configuredDir: () => string | null): (c: Context) => Promise<Response | null> {
  let resolved: { uiDir: string | null; staticFiles: MiddlewareHandler | null } | null = null;
  const ui = () => {
    if (resolved === null) {
      const uiDir = resolveUiDir(configuredDir());
      const staticFiles = uiDir === null ? null : serveStatic({
        root: uiDir,
        onFound: (_file, c) => {
          c.header('cache-control', c.req.path.startsWith('/assets/') ? IMMUTABLE_CACHE : REVALIDATE_CACHE);
          c.header('x-content-type-options', 'nosniff');
        },
      });
      resolved = { uiDir, staticFiles };
    }
    return resolved;
  };

  const sendIndex = async (c: Context) => {
    const { uiDir } = ui();
    c.header('cache-control', REVALIDATE_CACHE);
    const html = uiDir === null ? null : await readFile(path.join(uiDir, 'index.html'), 'utf8').catch(() => null);
    return html === null ? c.html(uiNotBuiltPage(uiDir), 503) : c.html(html);
  };
  app.get('/', sendIndex);
  app.get('/index.html', sendIndex);

  return async (c) => {
    const p = c.req.path;
    if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || p === '/api' || p.startsWith('/api/')) return null;
    const { uiDir, staticFiles } = ui();
    if (staticFiles !== null && uiDir !== null && existsSync(uiDir)) {
      const served = await staticFiles(c, async () => {});
      if (served) return served;
    }
    // A missing hashed asset is a stale page asking for an old build: a 404, not the app.
    if (p.startsWith('/assets/')) return null;
    return sendIndex(c);
  };
}
