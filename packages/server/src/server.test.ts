/**
 * End to end: the official OpenTelemetry JS SDK and exporters (OTLP/HTTP
 * JSON, OTLP/HTTP protobuf, OTLP/gRPC) send the seed scenarios to a real
 * server; rules are created through the REST API; signals come out of
 * GET /signals and the SSE stream; everything survives a restart.
 */
import { context, trace, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from './api/openApiDocument.js';
import { SseClient, startTestServer, tempDir, waitFor, type TestServer } from './testing/testServer.testkit.js';

export const SEED_RULES = [
  {
    id: 'auth-failure-masked-by-retry',
    name: 'Auth failure masked by retry',
    severity: 'warning',
    dsl: "trace.has(span => span.name === 'auth.login' && span.status === 'ERROR')\n  .and(trace.has(span => span.name === 'auth.login' && span.status === 'OK'))\n  .within('5 seconds')",
  },
  {
    id: 'pii-without-audit',
    name: 'PII access without audit',
    severity: 'critical',
    dsl: "trace.has(span => span.attributes['data.contains_pii'] === true)\n  .and(trace.missing(span => span.name === 'audit.log'))",
  },
  {
    id: 'slow-query-in-payment',
    name: 'Slow query in payment flow',
    severity: 'info',
    dsl: "trace.where(span => span.name.startsWith('payment'))\n  .has(span => span.name.includes('db.query') && span.duration > 1000)",
  },
] as const;

/** The three seed scenarios, each one trace; resolves to their trace ids. */
function runScenarios(tracer: Tracer): { auth: string; pii: string; payment: string } {
  const t0 = Date.now() - 3000;
  const root = (name: string, start: number) => tracer.startSpan(name, { startTime: start, kind: 1 });
  const child = (parent: ReturnType<Tracer['startSpan']>, name: string, start: number, attributes: Record<string, unknown> = {}) =>
    tracer.startSpan(name, { startTime: start, attributes: attributes as never }, trace.setSpan(context.active(), parent));

  const login = root('POST /login', t0);
  const failed = child(login, 'auth.login', t0 + 5, { 'enduser.id': 'alice' });
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'bad password' });
  failed.end(t0 + 25);
  const retried = child(login, 'auth.login', t0 + 100, { 'enduser.id': 'alice' });
  retried.setStatus({ code: SpanStatusCode.OK });
  retried.end(t0 + 130);
  login.end(t0 + 140);

  const export_ = root('GET /customers/export', t0);
  const read = child(export_, 'customers.read', t0 + 10, { 'data.contains_pii': true });
  read.end(t0 + 60);
  export_.end(t0 + 80);

  const payment = root('payment.process', t0);
  const query = child(payment, 'db.query', t0 + 10, { 'db.system': 'postgresql' });
  query.end(t0 + 1510);
  payment.end(t0 + 1600);

  return { auth: login.spanContext().traceId, pii: export_.spanContext().traceId, payment: payment.spanContext().traceId };
}

/** CompressionAlgorithm.GZIP of @opentelemetry/otlp-exporter-base (not a direct dependency). */
const GZIP = 'gzip' as never;

const EXPORTERS: Array<[string, (s: TestServer) => SpanExporter]> = [
  ['OTLP/HTTP JSON', (s) => new JsonExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` })],
  ['OTLP/HTTP protobuf, gzip', (s) => new ProtoExporter({ url: `${s.server.urls.otlpHttp}/v1/traces`, compression: GZIP })],
  ['OTLP/gRPC, gzip', (s) => new GrpcExporter({ url: s.server.urls.otlpGrpc, compression: GZIP })],
];

// Decoding and detection on their own thread (the default), and on the ingest thread: the same behaviour.
for (const detectionThread of [true, false]) describe(`fluo server end to end (--detection-thread ${detectionThread ? 'on' : 'off'})`, () => {
  const dataDir = tempDir('e2e');
  let s: TestServer;
  let sse: SseClient;

  beforeAll(async () => {
    s = await startTestServer({ detectionThread }, dataDir);
    for (const rule of SEED_RULES) {
      const { status, body } = await s.json('/api/v1/rules', { method: 'POST', body: rule });
      expect(status, JSON.stringify(body)).toBe(201);
    }
    sse = await SseClient.connect(`${s.server.urls.api}/api/v1/signals/stream`);
  });

  afterAll(async () => {
    sse?.close();
    await s?.close();
  });

  it('prints a machine-readable listening line with the chosen ports', () => {
    const m = /^fluo: listening api=(\S+) otlp-http=(\S+) otlp-grpc=(\S+)$/.exec(s.server.listeningLine);
    expect(m).not.toBeNull();
    expect(new URL(m![1]).port).toBe(String(s.server.ports.api));
    expect(new URL(m![2]).port).toBe(String(s.server.ports.otlpHttp));
    expect(new URL(m![3]).port).toBe(String(s.server.ports.otlpGrpc));
    expect(new Set(Object.values(s.server.ports)).size).toBe(3);
  });

  it('answers health, readiness, the web UI (or the page saying how to build it) and the OpenAPI document', async () => {
    expect((await s.json('/healthz')).body).toEqual({ status: 'ok' });
    expect(await s.json('/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    const page = await s.api('/');
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    // The built UI, or (when packages/web is not built) the page saying how to build it.
    expect(html).toMatch(/<div id="root"><\/div>|web UI is not built/);
    const doc = await s.json('/api/v1/openapi.json');
    expect(doc.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    expect(doc.body.openapi).toBe('3.1.0');
  });

  for (const [name, makeExporter] of EXPORTERS) {
    it(`detects the seed scenarios sent with the ${name} exporter`, async () => {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': `shop-${name.replace(/\W+/g, '-').toLowerCase()}` }),
        spanProcessors: [new SimpleSpanProcessor(makeExporter(s))],
      });
      const ids = runScenarios(provider.getTracer('fluo-e2e'));
      await provider.forceFlush();
      await provider.shutdown();

      const expected: Array<[string, string, string]> = [
        [ids.auth, 'auth-failure-masked-by-retry', 'warning'],
        [ids.pii, 'pii-without-audit', 'critical'],
        [ids.payment, 'slow-query-in-payment', 'info'],
      ];
      for (const [traceId, ruleId, severity] of expected) {
        const signal = await waitFor(`a ${ruleId} signal for trace ${traceId}`, async () => {
          const { body } = await s.json(`/api/v1/signals?ruleId=${ruleId}`);
          return body.signals.find((x: { traceId: string }) => x.traceId === traceId);
        });
        expect(signal).toMatchObject({ ruleId, severity, status: 'open', mode: 'alert', ruleVersion: 1 });
        const detail = await s.json(`/api/v1/signals/${signal.id}`);
        expect(detail.status).toBe(200);
        const spans = detail.body.evidence.spans;
        expect(spans.length).toBeGreaterThanOrEqual(2);
        for (const span of spans) {
          expect(span.traceId).toBe(traceId);
          expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
          expect(typeof span.startTime).toBe('number');
          expect(span.resource['service.name']).toMatch(/^shop-/);
          expect(span.scope.name).toBe('fluo-e2e');
        }
        for (const witness of signal.spanIds) expect(spans.map((x: { spanId: string }) => x.spanId)).toContain(witness);
      }
      const pii = (await s.json(`/api/v1/signals?ruleId=pii-without-audit`)).body.signals.find((x: { traceId: string }) => x.traceId === ids.pii);
      const piiDetail = await s.json(`/api/v1/signals/${pii.id}`);
      expect(piiDetail.body.evidence.spans.find((x: { name: string }) => x.name === 'customers.read').attributes).toEqual({ 'data.contains_pii': true });
    });
  }

  it('publishes every signal on the SSE stream, in seq order, with id = seq', async () => {
    const { body } = await s.json('/api/v1/signals?limit=100');
    expect(body.signals).toHaveLength(9);
    const seen: Array<{ id: string; signal: { id: string; seq: number } }> = [];
    for (let i = 0; i < 9; i++) seen.push(await sse.nextSignal());
    expect(seen.map((e) => Number(e.id))).toEqual(seen.map((e) => e.signal.seq));
    expect(seen.map((e) => e.signal.seq)).toEqual([...seen.map((e) => e.signal.seq)].sort((a, b) => a - b));
    expect(new Set(seen.map((e) => e.signal.id))).toEqual(new Set(body.signals.map((x: { id: string }) => x.id)));
  });

  it('exposes Prometheus metrics for spans, traces, signals, latency and requests', async () => {
    await waitFor('every trace to complete', async () => (await (await s.api('/metrics')).text()).includes('\nfluo_buffered_traces 0\n'));
    const res = await s.api('/metrics');
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('fluo_spans_received_total{protocol="http"}')).toBe(14); // 7 spans × 2 HTTP exporters
    expect(value('fluo_spans_received_total{protocol="grpc"}')).toBe(7);
    expect(value('fluo_traces_completed_total')).toBe(9);
    expect(value('fluo_buffered_spans')).toBe(0);
    expect(value('fluo_signals_total{rule_id="pii-without-audit",severity="critical",mode="alert"}')).toBe(3);
    expect(value('fluo_detection_latency_seconds_count{phase="ingest"}')).toBe(6);
    expect(value('fluo_detection_latency_seconds_count{phase="completion"}')).toBe(3);
    expect(text).toContain('fluo_http_request_duration_seconds_bucket{server="otlp",method="POST",route="/v1/traces",status="200",le="0.005"}');
    expect(text).toContain('route="/api/v1/signals/:id"');
    expect(value('fluo_rule_evaluations_total')).toBeGreaterThan(0);
  });

  it('keeps its rules and signals across a restart on the same data folder', async () => {
    const before = (await s.json('/api/v1/signals?limit=100')).body.signals;
    sse.close();
    await s.close({ keepData: true });
    s = await startTestServer({ detectionThread }, dataDir);
    const rules = (await s.json('/api/v1/rules')).body.rules;
    expect(rules.map((r: { id: string }) => r.id).sort()).toEqual(SEED_RULES.map((r) => r.id).sort());
    expect(rules.every((r: { source: string; version: number }) => r.source === 'api' && r.version === 1)).toBe(true);
    expect((await s.json('/api/v1/signals?limit=100')).body.signals).toEqual(before);

    // The stream replays from the store on Last-Event-ID.
    const oldest = before[before.length - 1];
    sse = await SseClient.connect(`${s.server.urls.api}/api/v1/signals/stream`, { 'last-event-id': String(oldest.seq) });
    const replayed = await sse.nextSignal();
    expect(replayed.signal.seq).toBe(before[before.length - 2].seq);
    // and the restored rules still detect.
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'after-restart' }), spanProcessors: [new SimpleSpanProcessor(new JsonExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` }))] });
    const ids = runScenarios(provider.getTracer('fluo-e2e'));
    await provider.shutdown();
    await waitFor('a signal after restart', async () => (await s.json(`/api/v1/signals?ruleId=pii-without-audit`)).body.signals.find((x: { traceId: string }) => x.traceId === ids.pii));
  });
});
