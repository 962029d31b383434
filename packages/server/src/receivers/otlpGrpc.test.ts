/**
 * The OTLP/gRPC receiver against a real grpc-js client: status codes as the
 * OTLP specification says, RetryInfo on back-pressure, compression, limits.
 */
import Database from 'better-sqlite3';
import * as grpc from '@grpc/grpc-js';
import path from 'node:path';
import { buildTrace, createSpan, encodeProtobufTraces, hexId } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.testkit.js';
import { TRACE_SERVICE_DEFINITION } from './otlpGrpc.js';
import { decodeExportResponse, decodeStatus } from './otlpWire.testkit.js';

const TraceServiceClient = grpc.makeGenericClientConstructor(TRACE_SERVICE_DEFINITION, 'TraceService');

type Outcome = { response: Buffer } | { error: grpc.ServiceError };

function exportRaw(s: TestServer, body: Uint8Array, options: grpc.ClientOptions = {}): Promise<Outcome> {
  const client = new TraceServiceClient(`127.0.0.1:${s.server.ports.otlpGrpc}`, grpc.credentials.createInsecure(), options);
  return new Promise((resolve) => {
    (client as unknown as { Export: (b: Buffer, cb: (e: grpc.ServiceError | null, r?: Buffer) => void) => void }).Export(Buffer.from(body), (error, response) => {
      client.close();
      resolve(error ? { error } : { response: response! });
    });
  });
}

function errorOf(outcome: Outcome): grpc.ServiceError {
  if (!('error' in outcome)) throw new Error('expected an error');
  return outcome.error;
}

const trace = (name: string, spans = 1) => buildTrace(name, Array.from({ length: spans }, (_, i) => ({ id: `s${i}`, name: `op${i}`, start: i })), Date.now());

describe('OTLP/gRPC receiver', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer({ maxBodySize: 64 * 1024, maxSpansPerTrace: 2, maxBufferedSpans: 20, idleTimeout: 60_000 }); });
  afterAll(async () => { await s.close(); });

  it('accepts a request, plain and gzip-compressed, answering an empty ExportTraceServiceResponse', async () => {
    const plain = await exportRaw(s, encodeProtobufTraces(trace('grpc-plain')));
    expect(decodeExportResponse((plain as { response: Buffer }).response)).toEqual({ partialSuccess: null });
    const gz = await exportRaw(s, encodeProtobufTraces(trace('grpc-gzip')), { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
    expect('response' in gz).toBe(true);
    expect((await s.json(`/api/v1/traces/${hexId('grpc-gzip', 32)}`)).body).toMatchObject({ state: 'open', spanCount: 1 });
  });

  it('reports rejected spans as partial success', async () => {
    const zero = createSpan({ traceId: '0'.repeat(32), spanId: hexId('z', 16), name: 'bad', startTimeUnixNano: '1', endTimeUnixNano: '2' });
    const outcome = await exportRaw(s, encodeProtobufTraces([...trace('grpc-partial', 3), zero]));
    const { partialSuccess } = decodeExportResponse((outcome as { response: Buffer }).response);
    expect(partialSuccess!.rejectedSpans).toBe(2);
    expect(partialSuccess!.errorMessage).toContain('all zeros');
    expect(partialSuccess!.errorMessage).toContain('limit of 2 spans per trace');
  });

  it('answers a malformed request with INVALID_ARGUMENT and says what is wrong', async () => {
    const err = errorOf(await exportRaw(s, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain('not a valid OTLP ExportTraceServiceRequest protobuf message');
    const rich = decodeStatus(err.metadata.get('grpc-status-details-bin')[0] as Buffer);
    expect(rich).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, retryDelaySeconds: null });
  });

  it('refuses a message over the size limit with RESOURCE_EXHAUSTED, compressed or not', async () => {
    const big = encodeProtobufTraces(buildTrace('big', [{ id: 'a', name: 'x'.repeat(100 * 1024), start: 0 }], Date.now()));
    expect(errorOf(await exportRaw(s, big)).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const zipped = errorOf(await exportRaw(s, big, { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip }));
    expect(zipped.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('answers RESOURCE_EXHAUSTED with RetryInfo when the span buffer is full', async () => {
    let outcome: Outcome;
    let n = 0;
    do outcome = await exportRaw(s, encodeProtobufTraces(trace(`fill-${n++}`, 2))); while ('response' in outcome && n < 30);
    const err = errorOf(outcome);
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toContain('the span buffer is full');
    const rich = decodeStatus(err.metadata.get('grpc-status-details-bin')[0] as Buffer);
    expect(rich.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(rich.retryDelaySeconds).toBeGreaterThanOrEqual(1);
  });
});

describe('OTLP/gRPC while stopping', () => {
  it('answers UNAVAILABLE with RetryInfo once shutdown has begun', async () => {
    const s = await startTestServer({ idleTimeout: 60_000 });
    expect('response' in await exportRaw(s, encodeProtobufTraces(trace('buffered')))).toBe(true);
    // Another writer holds the database, so the shutdown waits on storing the buffered trace.
    const locker = new Database(path.join(s.dataDir, 'fluo.db'));
    locker.exec('BEGIN IMMEDIATE');
    const closing = s.server.close();
    let outcome: Outcome;
    try {
      outcome = await exportRaw(s, encodeProtobufTraces(trace('late')));
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    await closing;
    await s.close();
    const err = errorOf(outcome);
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toBe('FLUO is shutting down');
    expect(decodeStatus(err.metadata.get('grpc-status-details-bin')[0] as Buffer).retryDelaySeconds).toBe(5);
  });
});
