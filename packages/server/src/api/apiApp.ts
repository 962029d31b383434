/**
 * The REST API, health and metrics endpoints and the web UI's placeholder,
 * on one port. Errors from every route go through `apiErrorResponse`.
 */
import { Hono } from 'hono';
import { FluoError } from '../errors.js';
import { requestMetrics } from '../http/requestMetrics.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/metricsRegistry.js';
import type { ApiDeps } from './apiDeps.js';
import { apiErrorResponse } from './errorResponse.js';
import { notificationsApi } from './notificationsApi.js';
import { insightsApi, invariantsApi, ruleLearningApi } from './learningApi.js';
import { openApiDocument } from './openApiDocument.js';
import { rulesApi } from './rulesApi.js';
import { signalsApi } from './signalsApi.js';
import { tracesApi } from './tracesApi.js';

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>FLUO</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .25em}</style></head>
<body>
<h1>FLUO is running</h1>
<p>Behavioral assurance for OpenTelemetry traces. The web UI comes in a later release; the REST API is here now.</p>
<ul>
<li><a href="/api/v1/openapi.json">API reference (OpenAPI 3.1)</a></li>
<li><a href="/api/v1/rules">Rules</a> &middot; <a href="/api/v1/signals">Signals</a> &middot; <a href="/api/v1/traces">Traces</a> &middot; <a href="/api/v1/notifications">Notifications</a></li>
<li><a href="/metrics">Metrics</a> &middot; <a href="/readyz">Readiness</a></li>
</ul>
</body>
</html>
`;

export function createApiApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.use('*', requestMetrics('api', deps.metrics));

  app.get('/', (c) => c.html(PLACEHOLDER_PAGE));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const state = deps.pipeline.state;
    const reasons = deps.pipeline.notReadyReasons();
    if (state === 'ready' && reasons.length === 0) return c.json({ status: 'ready' });
    c.header('retry-after', '1');
    return c.json({ status: state === 'ready' ? 'unavailable' : state, reasons }, 503);
  });
  app.get('/metrics', (c) => c.body(deps.metrics().registry.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }));

  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument));
  app.route('/api/v1/rules', rulesApi(deps));
  app.route('/api/v1/rules', ruleLearningApi(deps));
  app.route('/api/v1/invariants', invariantsApi(deps));
  app.route('/api/v1/insights', insightsApi(deps));
  app.route('/api/v1/signals', signalsApi(deps));
  app.route('/api/v1/traces', tracesApi(deps));
  app.route('/api/v1/notifications', notificationsApi(deps));

  app.notFound((c) => apiErrorResponse(new FluoError('NOT_FOUND', `no such endpoint: ${c.req.method} ${c.req.path} (see /api/v1/openapi.json)`), deps.log));
  app.onError((err) => apiErrorResponse(err, deps.log));
  return app;
}
