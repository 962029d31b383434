/**
 * The OTLP/HTTP receiver against real HTTP requests: encodings, errors as
 * the OTLP specification says, limits and back-pressure.
 */
import Database from 'better-sqlite3';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildTrace, createSpan, encodeJsonTraces, encodeProtobufTraces, hexId } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/stores.js';
import { jsonOf, startTestServer, waitFor, type TestServer } from '../testing/testServer.testkit.js';
import { decodeExportResponse, decodeStatus } from './otlpWire.testkit.js';

const now = () => Date.now();
const oneTrace = (name: string, spans = 1) => buildTrace(name, Array.from({ length: spans }, (_, i) => ({ id: `s${i}`, name: `op${i}`, start: i, parent: i > 0 ? 's0' : undefined })), now());

async function post(s: TestServer, body: string | Uint8Array, headers: Record<string, string>): Promise<Response> {
  return fetch(`${s.server.urls.otlpHttp}/v1/traces`, { method: 'POST', headers, body });
}

describe('OTLP/HTTP receiver', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer({ maxBodySize: 64 * 1024, maxSpansPerTrace: 3 }); });
  afterAll(async () => { await s.close(); });

  it('accepts OTLP/JSON and OTLP/protobuf, plain or gzip, answering an empty ExportTraceServiceResponse in the same encoding', async () => {
    const json = await post(s, JSON.stringify(encodeJsonTraces(oneTrace('plain-json'))), { 'content-type': 'application/json' });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(await jsonOf(json)).toEqual({});

    const gzJson = await post(s, gzipSync(JSON.stringify(encodeJsonTraces(oneTrace('gzip-json')))), { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip' });
    expect(gzJson.status).toBe(200);

    const pb = await post(s, encodeProtobufTraces(oneTrace('plain-pb')), { 'content-type': 'application/x-protobuf' });
    expect(pb.status).toBe(200);
    expect(pb.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeExportResponse(new Uint8Array(await pb.arrayBuffer()))).toEqual({ partialSuccess: null });

    const gzPb = await post(s, gzipSync(encodeProtobufTraces(oneTrace('gzip-pb', 2))), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(gzPb.status).toBe(200);

    for (const [name, count] of [['plain-json', 1], ['gzip-json', 1], ['plain-pb', 1], ['gzip-pb', 2]] as const) {
      const trace = await s.json(`/api/v1/traces/${hexId(name, 32)}`);
      expect(trace.status, name).toBe(200);
      expect(trace.body.spanCount, name).toBe(count);
    }
  });

  it('answers a malformed JSON request with 400 and a google.rpc.Status saying where', async () => {
    const res = await post(s, '{"resourceSpans": [\n  {"scopeSpans": [}\n]}', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const status = await jsonOf(res);
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.message).toMatch(/^malformed OTLP\/JSON request/);
    expect(status.message).toContain('line 2');

    const shape = await post(s, '{"resourceSpans": 5}', { 'content-type': 'application/json' });
    expect(shape.status).toBe(400);
    expect((await jsonOf(shape)).message).toContain('resourceSpans');
  });

  it('answers a malformed protobuf request with 400 and a protobuf google.rpc.Status', async () => {
    const res = await post(s, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const status = decodeStatus(new Uint8Array(await res.arrayBuffer()));
    expect(status.code).toBe(3);
    expect(status.message).toContain('not a valid OTLP ExportTraceServiceRequest protobuf message');
    expect(status.retryDelaySeconds).toBeNull();
    // and keeps serving
    expect((await post(s, encodeProtobufTraces(oneTrace('after-bad-pb')), { 'content-type': 'application/x-protobuf' })).status).toBe(200);
  });

  it('reports rejected spans as partial success, in JSON and in protobuf', async () => {
    const good = oneTrace('partial-json');
    const zero = createSpan({ traceId: '0'.repeat(32), spanId: hexId('z', 16), name: 'bad', startTimeUnixNano: '1', endTimeUnixNano: '2' });
    const res = await post(s, JSON.stringify(encodeJsonTraces([...good, zero])), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const body = await jsonOf(res);
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/^1 span rejected: resourceSpans\[\d+\]\.scopeSpans\[0\]\.spans\[0\]\.traceId.*all zeros/);

    // Over the per-trace limit (3): the detector rejects the rest.
    const big = oneTrace('partial-pb', 5);
    const pb = await post(s, encodeProtobufTraces(big), { 'content-type': 'application/x-protobuf' });
    expect(pb.status).toBe(200);
    const decoded = decodeExportResponse(new Uint8Array(await pb.arrayBuffer()));
    expect(decoded.partialSuccess!.rejectedSpans).toBe(2);
    expect(decoded.partialSuccess!.errorMessage).toContain('has reached the limit of 3 spans per trace');
    expect((await s.json(`/api/v1/traces/${hexId('partial-pb', 32)}`)).body.spanCount).toBe(3);
  });

  it('delivers partial success to the official exporter', async () => {
    const warnings: string[] = [];
    diag.setLogger({ error: () => {}, warn: (m: string, ...a: unknown[]) => warnings.push([m, ...a].join(' ')), info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    try {
      const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new JsonExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` }))] });
      const tracer = provider.getTracer('partial');
      const root = tracer.startSpan('root');
      const ctx = (await import('@opentelemetry/api')).trace.setSpan((await import('@opentelemetry/api')).context.active(), root);
      for (let i = 0; i < 4; i++) tracer.startSpan(`child${i}`, {}, ctx).end();
      root.end();
      await provider.shutdown();
    } finally {
      diag.disable();
    }
    expect(warnings.join('\n')).toContain('Received Partial Success response');
    expect(warnings.join('\n')).toContain('"rejectedSpans":"2"');
  });

  it('refuses bodies over the limit with 413, before and after decompression', async () => {
    const huge = JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(100 * 1024) });
    const res = await post(s, huge, { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    const status = await jsonOf(res);
    expect(status.message).toContain('exceeds the limit of 64KiB (maxBodySize)');

    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024)); // 50 MiB of zeros, about 50 KiB compressed
    expect(bomb.length).toBeLessThan(64 * 1024);
    const bombed = await post(s, bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(bombed.status).toBe(413);
    expect(decodeStatus(new Uint8Array(await bombed.arrayBuffer())).message).toContain('after decompression');

    const corrupt = await post(s, Buffer.from('definitely not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect((await jsonOf(corrupt)).message).toContain('not valid gzip data');
  });

  it('refuses other content types and encodings with 415, and other paths and methods', async () => {
    const text = await post(s, 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect((await jsonOf(text)).message).toBe("Content-Type 'text/plain' is not supported: send application/x-protobuf or application/json");
    const br = await post(s, '{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(br.status).toBe(415);
    expect((await jsonOf(br)).message).toContain("Content-Encoding 'br' is not supported");
    const get = await fetch(`${s.server.urls.otlpHttp}/v1/traces`);
    expect(get.status).toBe(405);
    const metrics = await post(s, '{}', { 'content-type': 'application/json' }).then(() => fetch(`${s.server.urls.otlpHttp}/v1/metrics`, { method: 'POST', body: '{}' }));
    expect(metrics.status).toBe(404);
    expect((await jsonOf(metrics)).message).toContain('POST /v1/traces');
  });
});

describe('OTLP/HTTP back-pressure', () => {
  it('answers 429 with Retry-After when the span buffer is full, in the request\'s encoding', async () => {
    const s = await startTestServer({ maxBufferedSpans: 4, idleTimeout: 60_000 });
    try {
      expect((await s.sendJson(oneTrace('fills', 4))).status).toBe(200);
      const json = await s.sendJson(oneTrace('refused-json'));
      expect(json.status).toBe(429);
      expect(json.headers.get('retry-after')).toMatch(/^\d+$/);
      const status = await jsonOf(json);
      expect(status).toMatchObject({ code: 8, details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo' }] });
      expect(status.message).toContain('the span buffer is full (4 of 4 spans)');

      const pb = await s.sendProtobuf(oneTrace('refused-pb'));
      expect(pb.status).toBe(429);
      const decoded = decodeStatus(new Uint8Array(await pb.arrayBuffer()));
      expect(decoded.code).toBe(8);
      expect(decoded.retryDelaySeconds).toBe(Number(pb.headers.get('retry-after')));
      // Nothing of a refused request was taken.
      expect((await s.json(`/api/v1/traces/${hexId('refused-json', 32)}`)).status).toBe(404);
      const metrics = await (await s.api('/metrics')).text();
      expect(metrics).toContain('fluo_otlp_requests_refused_total{protocol="http",code="BUFFER_FULL"} 2');
    } finally {
      await s.close();
    }
  });

  it('answers 503 with Retry-After while the store is behind, and loses nothing once it catches up', async () => {
    const s = await startTestServer({ writeQueueMaxSpans: 1 });
    const locker = new Database(path.join(s.dataDir, 'fluo.db'));
    try {
      locker.exec('BEGIN IMMEDIATE'); // another writer holds the database: the server's writes fail and are retried
      expect((await s.sendJson(oneTrace('while-locked', 2))).status).toBe(200);
      const refused = await waitFor('a 503 while the store is locked', async () => {
        const res = await s.sendJson(oneTrace('probe'));
        return res.status === 503 ? res : undefined;
      });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await jsonOf(refused)).message).toContain('the store is behind');
      // The writes run on the store's writer thread, so the server keeps answering while one waits for the lock: wait
      // until one has failed (and is being retried) before releasing it.
      await waitFor('a store write failed while locked', async () => /fluo_store_write_errors_total [1-9]/.test(await (await s.api('/metrics')).text()));
      locker.exec('COMMIT');
      await waitFor('the store to catch up', async () => (await s.sendJson(oneTrace('after-unlock'))).status === 200);
      await waitFor('the trace written while locked', async () => (await s.json(`/api/v1/traces?name=op0&limit=100`)).body.traces.some((t: { traceId: string }) => t.traceId === hexId('while-locked', 32)));
    } finally {
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
      await s.close();
    }
  });

  it('stops taking spans while shutting down (readyz 503, OTLP 503) and still stores what was buffered', async () => {
    const s = await startTestServer({ idleTimeout: 60_000 });
    const rule = { id: 'no-audit', name: 'No audit', severity: 'critical', dsl: "trace.has(s => s.name === 'op0').and(trace.missing(s => s.name === 'audit.log'))" };
    expect((await s.json('/api/v1/rules', { method: 'POST', body: rule })).status).toBe(201);
    expect((await s.sendJson(oneTrace('buffered-at-shutdown'))).status).toBe(200);
    const locker = new Database(path.join(s.dataDir, 'fluo.db'));
    locker.exec('BEGIN IMMEDIATE');
    const closing = s.server.close();
    try {
      const ready = await s.json('/readyz');
      expect(ready).toMatchObject({ status: 503, body: { status: 'stopping' } });
      const refused = await s.sendJson(oneTrace('too-late'));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect((await jsonOf(refused)).message).toBe('FLUO is shutting down');
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    await closing;
    const store = await openStore('sqlite:', { dataDir: s.dataDir });
    try {
      const signals = await store.listSignals({ ruleId: 'no-audit', limit: 10 });
      expect(signals.map((x) => x.traceId)).toEqual([hexId('buffered-at-shutdown', 32)]);
      expect(await store.getTrace(hexId('buffered-at-shutdown', 32))).not.toBeNull();
      expect(await store.getTrace(hexId('too-late', 32))).toBeNull();
    } finally {
      await store.close();
      await s.close();
    }
  });
});
