import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { FluoMetrics } from '../metrics/fluoMetrics.js';

/**
 * Observes request durations by route pattern (never the raw path, which
 * would make a series per id). Unmatched paths share the route 'unmatched'.
 */
export function requestMetrics(server: 'api' | 'otlp', metrics: () => FluoMetrics): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const route = routePath(c, -1);
    metrics().httpDuration.observe((performance.now() - start) / 1000, {
      server,
      method: c.req.method,
      route: route === '*' || route === '/*' ? 'unmatched' : route,
      status: String(c.res.status),
    });
  };
}
