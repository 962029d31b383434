/**
 * The span log in the running server: every receiver (OTLP/HTTP JSON and
 * protobuf, OTLP/gRPC) acknowledges a request only after appending it; the
 * log empties once the traces are evaluated and stored; too many requests in
 * flight are refused with 429 / RESOURCE_EXHAUSTED.
 */
import * as grpc from '@grpc/grpc-js';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildTrace, encodeProtobufTraces } from '@fluohq/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { TRACE_SERVICE_DEFINITION } from '../receivers/otlpGrpc.js';
import { startTestServer, type TestServer } from '../testing/testServer.testkit.js';

const TraceServiceClient = grpc.makeGenericClientConstructor(TRACE_SERVICE_DEFINITION, 'TraceService');

function exportGrpc(s: TestServer, body: Uint8Array): Promise<grpc.ServiceError | null> {
  const client = new TraceServiceClient(`127.0.0.1:${s.server.ports.otlpGrpc}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    (client as unknown as { Export: (b: Buffer, cb: (e: grpc.ServiceError | null) => void) => void }).Export(Buffer.from(body), (error) => {
      client.close();
      resolve(error);
    });
  });
}

const metric = (page: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1] ?? NaN);

let server: TestServer | null = null;
afterEach(async () => { await server?.close(); server = null; });

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('span log in the server', () => {
  it('logs every acknowledged request from each receiver, and deletes the segments once the traces are stored', async () => {
    server = await startTestServer({ idleTimeout: 300 });
    const s = server;
    expect((await s.sendJson(buildTrace('wal-json', [{ id: 'a', name: 'op', start: 0 }], Date.now()))).status).toBe(200);
    expect((await s.sendProtobuf(buildTrace('wal-proto', [{ id: 'a', name: 'op', start: 0 }], Date.now()))).status).toBe(200);
    expect(await exportGrpc(s, encodeProtobufTraces(buildTrace('wal-grpc', [{ id: 'a', name: 'op', start: 0 }], Date.now())))).toBeNull();
    const during = await (await s.api('/metrics')).text();
    expect(metric(during, 'fluo_wal_appends_total')).toBe(3);
    expect(metric(during, 'fluo_wal_fsyncs_total')).toBeGreaterThanOrEqual(1);
    await until(async () => {
      const page = await (await s.api('/metrics')).text();
      return metric(page, 'fluo_traces_kept_total') === 3 && metric(page, 'fluo_wal_bytes') === 0 && metric(page, 'fluo_wal_segments') === 0;
    }, 'the span log to empty');
    expect(readdirSync(path.join(s.dataDir, 'wal')).filter((f) => f.endsWith('.log'))).toEqual([]);
  });

  it('refuses requests beyond --max-concurrent-requests with 429 and Retry-After, and takes them again afterwards', async () => {
    server = await startTestServer({ maxConcurrentRequests: 1, walFsyncInterval: 200 });
    const s = server;
    // The first request waits about 200 ms for its group commit; the others arrive meanwhile.
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => s.sendProtobuf(buildTrace(`busy-${i}`, [{ id: 'a', name: 'op', start: 0 }], Date.now()))));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(0);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await s.sendProtobuf(buildTrace('busy-later', [{ id: 'a', name: 'op', start: 0 }], Date.now()))).status).toBe(200);
    expect(metric(await (await s.api('/metrics')).text(), 'fluo_wal_appends_total')).toBe(2);
  });
});

describe('span log and retried requests', () => {
  it('releases the record of a retry whose spans were all seen before, without waiting for another write', async () => {
    server = await startTestServer({ idleTimeout: 200 });
    const s = server;
    const spans = buildTrace('retried', [{ id: 'a', name: 'op', start: 0 }], Date.now());
    expect((await s.sendProtobuf(spans)).status).toBe(200);
    await until(async () => metric(await (await s.api('/metrics')).text(), 'fluo_traces_kept_total') === 1, 'the trace stored');
    // The same request again, as a sender whose answer was lost would send it: acknowledged, ignored, and not kept in the log.
    expect((await s.sendProtobuf(spans)).status).toBe(200);
    await until(async () => metric(await (await s.api('/metrics')).text(), 'fluo_wal_bytes') === 0, 'the span log to empty');
    expect(metric(await (await s.api('/metrics')).text(), 'fluo_traces_kept_total')).toBe(1);
  });
});
