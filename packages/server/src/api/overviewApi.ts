/**
 * GET /api/v1/overview (live numbers for the UI's overview screen) and
 * GET /api/v1/ui-config (settings the web UI needs from the server).
 *
 * Ingest rate: the detector only counts spans, so the rate is the difference
 * between the count now and a sample kept from an earlier request, over at
 * most the last minute. With no earlier sample (the first request) it is the
 * average since the server started.
 */
import { Hono } from 'hono';
import type { ApiDeps } from './apiDeps.js';

/** Samples of the ingested-span counter kept for the rate; older ones are dropped. */
const RATE_WINDOW_MS = 60_000;
const MAX_SAMPLES = 120;

export interface LatencySummary {
  count: number;
  /** Mean in ms, null without observations. */
  meanMs: number | null;
  /** Upper bucket bound (ms) holding the 50th and 95th percentile; null without observations, Infinity past the last bucket. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/** The bucket upper bound at or below which `q` of the observations fall. */
export function histogramQuantile(bounds: readonly number[], cumulative: readonly number[], count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = q * count;
  for (let i = 0; i < bounds.length; i++) if (cumulative[i] >= rank) return bounds[i];
  return Number.POSITIVE_INFINITY;
}

export function overviewApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const startedAt = Date.now();
  const samples: Array<{ at: number; spans: number }> = [];

  const latency = (phase: 'ingest' | 'completion'): LatencySummary => {
    const s = deps.metrics().detectionLatency.snapshot({ phase });
    const toMs = (v: number | null) => (v === null ? null : Number.isFinite(v) ? v * 1000 : null);
    return {
      count: s.count,
      meanMs: s.count === 0 ? null : (s.sum / s.count) * 1000,
      p50Ms: toMs(histogramQuantile(s.bounds, s.cumulative, s.count, 0.5)),
      p95Ms: toMs(histogramQuantile(s.bounds, s.cumulative, s.count, 0.95)),
    };
  };

  app.get('/overview', async (c) => {
    const now = Date.now();
    const { detector } = deps.pipeline.detectionStats();
    while (samples.length > 0 && (now - samples[0].at > RATE_WINDOW_MS || samples.length >= MAX_SAMPLES)) samples.shift();
    const base = samples.find((s) => now - s.at >= 1000) ?? { at: startedAt, spans: 0 };
    samples.push({ at: now, spans: detector.spansIngested });
    const elapsed = Math.max(1, now - base.at);
    const store = await deps.store.stats();
    const rules = deps.ruleSet.list();
    return c.json({
      now,
      uptimeMs: now - startedAt,
      spansPerSecond: ((detector.spansIngested - base.spans) * 1000) / elapsed,
      spansIngested: detector.spansIngested,
      spansRejected: detector.spansRejected,
      bufferedSpans: detector.bufferedSpans,
      bufferedTraces: detector.bufferedTraces,
      tracesCompleted: detector.tracesCompleted,
      writeQueueSpans: deps.pipeline.queue.stats().spans,
      detectionLatency: { ingest: latency('ingest'), completion: latency('completion') },
      rules: { total: rules.length, enabled: rules.filter((r) => r.enabled).length, failing: rules.filter((r) => r.compileError).length },
      stored: store,
    });
  });

  app.get('/ui-config', (c) => c.json({
    traceLinkTemplate: deps.config.traceLinkTemplate,
    otlpHttpPort: deps.otlpPorts().http,
    otlpGrpcPort: deps.otlpPorts().grpc,
    host: deps.config.host,
  }));

  return app;
}
