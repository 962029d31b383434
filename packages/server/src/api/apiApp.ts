/**
 * The REST API, health and metrics endpoints and the web UI, on one port. Errors from every route go through `apiErrorResponse`.
 */
import { Hono } from 'hono';
import { FluoError } from '../errors.js';
import { requestMetrics } from '../http/requestMetrics.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/metricsRegistry.js';
import type { ApiDeps } from './apiDeps.js';
import { apiAuth } from './apiAuth.js';
import { auditApi } from './auditApi.js';
import { apiErrorResponse } from './errorResponse.js';
import { notificationsApi } from './notificationsApi.js';
import { insightsApi, invariantsApi, ruleLearningApi } from './learningApi.js';
import { tokensApi } from './tokensApi.js';
import { openApiDocument } from './openApiDocument.js';
import { rulesApi } from './rulesApi.js';
import { signalsApi } from './signalsApi.js';
import { overviewApi } from './overviewApi.js';
import { tracesApi } from './tracesApi.js';
import { registerWebUi } from './webUi.js';

export function createApiApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.use('*', requestMetrics('api', deps.metrics));
  // Answers are data: never let a browser sniff a JSON body (which may quote span attributes) as HTML.
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
  });
  // After metrics (refused calls are counted), before every route (see requiredPermission in apiAuth.ts).
  app.use('*', apiAuth(deps.auth));

  // Not alive once the detection thread has ended: nothing will be evaluated until a restart, which replays the span log.
  app.get('/healthz', (c) => {
    const failure = deps.pipeline.detectionFailure;
    if (failure === null) return c.json({ status: 'ok' });
    return c.json({ status: 'failed', reason: `${failure.message}: restart FLUO (the span log keeps what was accepted)` }, 503);
  });
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
  app.route('/api/v1', overviewApi(deps));
  const webUi = registerWebUi(app, () => deps.config.uiDir);
  app.route('/api/v1/tokens', tokensApi(deps));
  app.route('/api/v1/audit', auditApi(deps));

  app.notFound(async (c) => (await webUi(c))
    ?? apiErrorResponse(new FluoError('NOT_FOUND', `no such endpoint: ${c.req.method} ${c.req.path} (see /api/v1/openapi.json)`), deps.log));
  app.onError((err) => apiErrorResponse(err, deps.log));
  return app;
}
