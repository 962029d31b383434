/**
 * A detection thread that ends under a running pipeline: spans are refused
 * with a retryable 503-class error (never a 500 or a hang), readiness names
 * DETECTION_FAILED, the failure is logged once, and the pipeline still shuts
 * down. (A restart replays the span log: crash.test.ts shows that path.)
 */
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
      await (pipeline as unknown as { detection: ThreadDetection }).detection.thread.terminate();
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
});
