import { describe, expect, it } from 'vitest';
import { createApiApp } from './apiApp.js';
import type { ApiDeps } from './apiDeps.js';
import { openApiDocument } from './openApiDocument.js';
import { WEB_UI_ROUTES } from './webUi.js';

describe('OpenAPI document', () => {
  it('describes exactly the routes the API serves', () => {
    // Registering routes reads no dependency, so the route table can be read without a server.
    const app = createApiApp({} as ApiDeps);
    const served = new Set(app.routes
      .filter((r) => r.method !== 'ALL' && !WEB_UI_ROUTES.includes(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = new Set<string>();
    for (const [p, item] of Object.entries(openApiDocument.paths)) {
      for (const method of Object.keys(item)) if (method !== 'parameters') documented.add(`${method} ${p}`);
    }
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it('resolves every $ref', () => {
    const text = JSON.stringify(openApiDocument);
    for (const [, kind, name] of text.matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
      expect((openApiDocument.components as Record<string, Record<string, unknown>>)[kind][name], `${kind}/${name}`).toBeDefined();
    }
  });
});
