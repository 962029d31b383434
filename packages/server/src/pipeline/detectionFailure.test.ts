/**
 * A detection thread that ends under a running pipeline: spans are refused
 * with a retryable 503-class error (never a 500 or a hang), readiness names
 * DETECTION_FAILED, the failure is logged once, and the pipeline still shuts
 * down. (A restart replays the span log: crash.test.ts shows that path.)
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildTrace, encodeProtobufTraces } from '@fluohq/engine';
import { describe, expect, it, vi } from 'vitest';
import { FluoError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createFluoMetrics } from '../metrics/fluoMetrics.js';
import { openStore } from '../store/stores.js';
import { tempDir, testConfig } from '../testing/testServer.testkit.js';
import type { ThreadDetection } from './detectionHost.js';
import { Pipeline } from './pipeline.js';
import { SignalHub } from './signalHub.js';
import { SpanLog } from '../wal/spanLog.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

/** A pipeline over `dataDir` with its span log, as startServer builds it (trimmed to what these tests read). */
function pipelineWithLog(dataDir: string, store: Store, log: Logger): { pipeline: Pipeline; spanLog: SpanLog } {
  const spanLog = SpanLog.open({ dir: path.join(dataDir, 'wal'), durable: true, maxBytes: 64 * 2 ** 20, fsyncIntervalMs: 1, log });
  const config = testConfig(dataDir, { idleTimeout: 600_000 });
  const pipeline: Pipeline = new Pipeline({ config, store, hub: new SignalHub(0), log, spanLog, metrics: () => metrics });
  const metrics = createFluoMetrics({ detector: () => pipeline.detectionStats().detector, writeQueueSpans: () => 0, sseClients: () => 0 });
  return { pipeline, spanLog };
}

const endThread = (pipeline: Pipeline) => (pipeline as unknown as { detection: ThreadDetection }).detection.thread.terminate();

describe('detection thread failure', () => {
  it('refuses spans as UNAVAILABLE, reports DETECTION_FAILED, logs once, and still closes', async () => {
    const dataDir = tempDir('detection-failure');
    const lines: string[] = [];
    const log = createLogger('error', (line) => { lines.push(line); });
    const store = await openStore('sqlite:', { dataDir, log });
    const pipeline: Pipeline = new Pipeline({
      config: testConfig(dataDir), store, hub: new SignalHub(0), log,
      metrics: () => metrics,
    });
    const metrics = createFluoMetrics({ detector: () => pipeline.detectionStats().detector, writeQueueSpans: () => 0, sseClients: () => 0 });
    try {
      pipeline.start();
      const body = encodeProtobufTraces(buildTrace('before', [{ id: 'a', name: 'op', start: 0 }], Date.now()));
      const request = await pipeline.decode('protobuf', body);
      expect(await pipeline.accept(request, Date.now())).toEqual([]);
      expect(pipeline.notReadyReasons()).toEqual([]);

      // The thread is private to the pipeline; ending it is what a crash in it would do.
      await endThread(pipeline);
      await vi.waitFor(() => expect(pipeline.detectionFailure).not.toBeNull());

      expect(pipeline.notReadyReasons().map((r) => r.code)).toEqual(['DETECTION_FAILED']);
      expect(() => pipeline.admitRequest()).toThrow(expect.objectContaining({ code: 'UNAVAILABLE', retryable: true }));
      const refused = await pipeline.decode('protobuf', body).then(() => null, (err: unknown) => err);
      expect(refused).toBeInstanceOf(FluoError);
      expect(refused).toMatchObject({ code: 'UNAVAILABLE', retryable: true, message: expect.stringMatching(/detection thread exited/) });
      expect(await pipeline.openTrace(request.traceIds[0])).toBeNull();
      expect(lines.filter((l) => l.includes('detection thread'))).toHaveLength(1);
      expect(lines[0]).toMatch(/span log keeps every accepted request/);
    } finally {
      await pipeline.close();
      await store.close();
    }
    expect(pipeline.state).toBe('stopped');
  });

  it('keeps acknowledged requests in the span log for the next start, also when the thread ends during recovery', async () => {
    const dataDir = tempDir('detection-failure-wal');
    const log = createLogger('silent');
    const store = await openStore('sqlite:', { dataDir, log });
    const segments = () => readdirSync(path.join(dataDir, 'wal')).length;
    try {
      // 1. A request is acknowledged (in the log), its trace still open, when the thread ends.
      const first = pipelineWithLog(dataDir, store, log);
      first.pipeline.start();
      const body = encodeProtobufTraces(buildTrace('kept', [{ id: 'a', name: 'op', start: 0 }], Date.now()));
      await first.pipeline.accept(await first.pipeline.decode('protobuf', body), Date.now());
      await endThread(first.pipeline);
      await vi.waitFor(() => expect(first.pipeline.detectionFailure).not.toBeNull());
      await first.pipeline.close();
      expect(segments()).toBeGreaterThan(0);

      // 2. The next start's thread ends before it replays: recovery fails and gives nothing up.
      const second = pipelineWithLog(dataDir, store, log);
      await endThread(second.pipeline);
      await vi.waitFor(() => expect(second.pipeline.detectionFailure).not.toBeNull());
      await expect(second.pipeline.recover()).rejects.toThrow(/detection thread exited/);
      await second.pipeline.close();
      expect(segments()).toBeGreaterThan(0);

      // 3. A start that works replays the request.
      const third = pipelineWithLog(dataDir, store, log);
      expect(await third.pipeline.recover()).toBe(1);
      expect(third.pipeline.detectionStats().detector.bufferedSpans).toBe(1);
      await third.pipeline.close();
    } finally {
      await store.close();
    }
  });
});
