/**
 * The endpoints the web UI relies on, over real HTTP: overview numbers,
 * ui-config, signal counts per bucket, bulk status changes with per-item
 * results, and the keys seen in recent traces.
 */
import { buildTrace } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../testing/testServer.testkit.js';
import { histogramQuantile } from './overviewApi.js';

describe('UI support API', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer({ traceLinkTemplate: 'http://jaeger:16686/trace/{traceId}' });
    await s.json('/api/v1/rules', { method: 'POST', body: { id: 'slow-pay', name: 'Slow payment', severity: 'critical', dsl: "trace.has(s => s.name === 'pay')" } });
    await s.json('/api/v1/rules', { method: 'POST', body: { id: 'any-login', name: 'Login', severity: 'info', dsl: "trace.has(s => s.name === 'login')" } });
    for (let i = 0; i < 5; i++) {
      const res = await s.sendJson(buildTrace(`ui-${i}`, [
        { id: 'root', name: 'GET /', start: 0, service: 'gateway', attributes: { 'http.route': '/checkout' } },
        { id: 'hit', name: i < 3 ? 'pay' : 'login', parent: 'root', start: 5, service: 'billing', attributes: { 'payment.amount': 10 * i } },
      ], Date.now()));
      expect(res.status).toBe(200);
    }
    await waitFor('5 signals and 5 kept traces', async () => {
      const signals = (await s.json('/api/v1/signals?limit=100')).body.signals.length;
      const traces = (await s.json('/api/v1/traces?limit=100')).body.traces.length;
      return signals === 5 && traces === 5;
    });
  });
  afterAll(async () => { await s.close(); });

  it('reports live numbers in the overview', async () => {
    const { status, body } = await s.json('/api/v1/overview');
    expect(status).toBe(200);
    expect(body.spansIngested).toBe(10);
    expect(body.spansPerSecond).toBeGreaterThan(0);
    expect(body.bufferedTraces).toBe(0);
    expect(body.rules).toEqual({ total: 2, enabled: 2, failing: 0 });
    expect(body.stored).toMatchObject({ signals: 5, traces: 5 });
    expect(body.detectionLatency.ingest.count).toBe(5);
    expect(body.detectionLatency.ingest.p95Ms).toBeGreaterThan(0);
    expect(body.detectionLatency.completion).toEqual({ count: 0, meanMs: null, p50Ms: null, p95Ms: null });
  });

  it('estimates quantiles from histogram buckets', () => {
    expect(histogramQuantile([1, 2, 5], [0, 0, 0], 0, 0.5)).toBeNull();
    expect(histogramQuantile([1, 2, 5], [2, 8, 10], 10, 0.5)).toBe(2);
    expect(histogramQuantile([1, 2, 5], [2, 8, 10], 10, 0.1)).toBe(1);
    expect(histogramQuantile([1, 2, 5], [2, 8, 9], 10, 0.95)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the UI its config', async () => {
    const { body } = await s.json('/api/v1/ui-config');
    expect(body).toEqual({ traceLinkTemplate: 'http://jaeger:16686/trace/{traceId}', otlpHttpPort: s.server.ports.otlpHttp, otlpGrpcPort: s.server.ports.otlpGrpc, host: '127.0.0.1' });
  });

  it('counts signals per bucket, rule and severity, and validates the query', async () => {
    const until = Date.now() + 1000;
    const { status, body } = await s.json(`/api/v1/signals/counts?since=${until - 3_600_000}&until=${until}&bucket=1h`);
    expect(status).toBe(200);
    expect(body.bucketMs).toBe(3_600_000);
    expect(body.counts).toEqual([
      { bucketStart: until - 3_600_000, ruleId: 'any-login', severity: 'info', count: 2 },
      { bucketStart: until - 3_600_000, ruleId: 'slow-pay', severity: 'critical', count: 3 },
    ]);
    const defaults = await s.json('/api/v1/signals/counts?ruleId=slow-pay');
    expect(defaults.body.until - defaults.body.since).toBe(24 * 3_600_000);
    expect(defaults.body.counts.map((c: { count: number }) => c.count)).toEqual([3]);
    const tooMany = await s.json('/api/v1/signals/counts?bucket=1s');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details).toEqual([{ field: 'bucket', message: expect.stringContaining('more than 1000 buckets') }]);
    expect((await s.json('/api/v1/signals/counts?bucket=soon')).status).toBe(400);
  });

  it('changes many signals at once and reports each one', async () => {
    const ids = (await s.json('/api/v1/signals?ruleId=slow-pay')).body.signals.map((x: { id: string }) => x.id);
    const { status, body } = await s.json('/api/v1/signals/status', { method: 'POST', body: { ids: [...ids, 'no-such-signal'], status: 'false_positive', note: 'test traffic', by: 'sre' } });
    expect(status).toBe(200);
    expect(body.changed).toBe(3);
    expect(body.failed).toBe(1);
    expect(body.results.at(-1)).toEqual({ id: 'no-such-signal', ok: false, error: { code: 'NOT_FOUND', message: "no signal with id 'no-such-signal'" } });
    const detail = (await s.json(`/api/v1/signals/${ids[0]}`)).body;
    expect(detail.status).toBe('false_positive');
    expect(detail.history).toEqual([expect.objectContaining({ from: 'open', to: 'false_positive', note: 'test traffic', by: 'sre' })]);
    const open = await s.json('/api/v1/signals/counts?status=open');
    expect(open.body.counts.map((c: { ruleId: string }) => c.ruleId)).toEqual(['any-login']);
    const bad = await s.json('/api/v1/signals/status', { method: 'POST', body: { ids: [], status: 'gone' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).toEqual(['status']);
    const noIds = await s.json('/api/v1/signals/status', { method: 'POST', body: { ids: [], status: 'resolved' } });
    expect(noIds.status).toBe(400);
    expect(noIds.body.error.details.map((d: { field: string }) => d.field)).toEqual(['ids']);
  });

  it('lists attribute keys, span names and services of recent traces', async () => {
    const { body } = await s.json('/api/v1/traces/keys');
    expect(body.tracesScanned).toBe(5);
    expect(body.spanAttributes).toEqual(expect.arrayContaining(['http.route', 'payment.amount']));
    expect(body.resourceAttributes).toContain('service.name');
    expect(body.spanNames).toEqual(['GET /', 'login', 'pay']);
    expect(body.services).toEqual(['billing', 'gateway']);
  });
});
