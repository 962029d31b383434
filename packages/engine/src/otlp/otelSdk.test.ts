/**
 * Requests produced by the real OpenTelemetry JS SDK and its OTLP serializers
 * (the code inside @opentelemetry/exporter-trace-otlp-proto and -http).
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { Span } from '../trace/span.js';
import { decodeJsonLinesTraces, decodeJsonTraces, decodeProtobufTraces } from './index.js';

function sdkSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.0' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('fluo-sdk-test', '0.9.0');
  const root = tracer.startSpan('GET /cart', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 500, ratio: 0.25, retried: true, tags: ['a', 'b'], ids: [1, 2] },
  });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan('SELECT cart', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, ctx);
  child.addEvent('exception', { 'exception.type': 'TimeoutError', 'exception.message': 'query timed out' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
  child.end();
  const linked = tracer.startSpan('publish', { kind: SpanKind.PRODUCER, links: [{ context: root.spanContext(), attributes: { 'link.kind': 'cause' } }] }, ctx);
  linked.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return exporter.getFinishedSpans();
}

const hrToNanos = ([s, ns]: [number, number]) => (BigInt(s) * 1_000_000_000n + BigInt(ns)).toString();

function expectSameAsSdk(decoded: Span[], readable: ReadableSpan[]): void {
  expect(decoded).toHaveLength(readable.length);
  for (const r of readable) {
    const s = decoded.find((d) => d.spanId === r.spanContext().spanId);
    expect(s, `span ${r.name}`).toBeDefined();
    expect(s!.traceId).toBe(r.spanContext().traceId);
    expect(s!.parentSpanId).toBe(r.parentSpanContext?.spanId ?? null);
    expect(s!.name).toBe(r.name);
    expect(s!.startTimeUnixNano).toBe(hrToNanos(r.startTime));
    expect(s!.endTimeUnixNano).toBe(hrToNanos(r.endTime));
    expect(s!.service).toBe('checkout');
    expect(s!.resource['service.version']).toBe('1.4.0');
    expect(s!.scope).toEqual({ name: 'fluo-sdk-test', version: '0.9.0' });
    expect({ ...s!.attributes }).toEqual({ ...r.attributes });
    expect(s!.events.map((e) => [e.name, e.timeUnixNano, { ...e.attributes }])).toEqual(r.events.map((e) => [e.name, hrToNanos(e.time), e.attributes]));
  }
  const byName = new Map(decoded.map((s) => [s.name, s]));
  expect(byName.get('GET /cart')!.kind).toBe('SERVER');
  expect(byName.get('GET /cart')!.status).toBe('OK');
  expect(byName.get('GET /cart')!.attributes['http.response.status_code']).toBe(500);
  expect(byName.get('GET /cart')!.attributes.tags).toEqual(['a', 'b']);
  expect(byName.get('SELECT cart')!.kind).toBe('CLIENT');
  expect(byName.get('SELECT cart')!.status).toBe('ERROR');
  expect(byName.get('SELECT cart')!.statusMessage).toBe('timeout');
  expect(byName.get('publish')!.kind).toBe('PRODUCER');
  expect(byName.get('publish')!.links).toHaveLength(1);
  expect(byName.get('publish')!.links[0]).toMatchObject({ traceId: byName.get('GET /cart')!.traceId, spanId: byName.get('GET /cart')!.spanId });
  expect(byName.get('publish')!.links[0].attributes['link.kind']).toBe('cause');
}

describe('requests from the OpenTelemetry JS SDK', () => {
  const readable = sdkSpans();

  it('decodes ProtobufTraceSerializer output', () => {
    const bytes = ProtobufTraceSerializer.serializeRequest(readable)!;
    const { spans, rejected } = decodeProtobufTraces(bytes);
    expect(rejected).toEqual([]);
    expectSameAsSdk(spans, readable);
  });

  it('decodes JsonTraceSerializer output, also as a Collector JSON Lines file', () => {
    const text = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(readable)!);
    const { spans, rejected } = decodeJsonTraces(text);
    expect(rejected).toEqual([]);
    expectSameAsSdk(spans, readable);
    const lines = decodeJsonLinesTraces(`${text}\n${text}\n`);
    expect(lines.spans).toHaveLength(2 * readable.length);
  });
});
