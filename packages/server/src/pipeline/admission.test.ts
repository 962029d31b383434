/**
 * Admission counts every span it let in until the detector holds it: spans
 * decoded and waiting (for the span log), and spans whose ingest is still on
 * its way to the detection thread. Otherwise requests admitted against a
 * stale count would overfill the buffer, and the detector would complete
 * traces early, deciding absence rules on half a trace.
 */
import { buildTrace, encodeProtobufTraces } from '@fluohq/engine';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createFluoMetrics } from '../metrics/fluoMetrics.js';
import { openStore } from '../store/stores.js';
import { tempDir, testConfig } from '../testing/testServer.testkit.js';
import { Pipeline } from './pipeline.js';
import { SignalHub } from './signalHub.js';

const request = (name: string) => encodeProtobufTraces(buildTrace(name, Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, name: 'op', start: i })), Date.now()));

describe.each([true, false])('admission (--detection-thread %s)', (detectionThread) => {
  it('counts decoded requests, and requests being ingested, against the span buffer', async () => {
    const dataDir = tempDir('admission');
    const log = createLogger('silent');
    const store = await openStore('sqlite:', { dataDir, log });
    const pipeline: Pipeline = new Pipeline({
      config: testConfig(dataDir, { detectionThread, maxBufferedSpans: 15, idleTimeout: 600_000 }), store, hub: new SignalHub(0), log,
      metrics: () => metrics,
    });
    const metrics = createFluoMetrics({ detector: () => pipeline.detectionStats().detector, writeQueueSpans: () => 0, sseClients: () => 0 });
    try {
      pipeline.start();
      const first = await pipeline.decode('protobuf', request('first'));
      pipeline.admit(first);
      const second = await pipeline.decode('protobuf', request('second'));
      // Decoded, not yet ingested: the first request's 10 spans count.
      expect(() => pipeline.admit(second)).toThrow(expect.objectContaining({ code: 'BUFFER_FULL' }));
      // Being ingested (on the thread, its answer not yet back): they still count.
      const ingested = pipeline.ingest(first, Date.now());
      expect(() => pipeline.admit(second)).toThrow(expect.objectContaining({ code: 'BUFFER_FULL' }));
      expect(await ingested).toEqual([]);
      expect(pipeline.detectionStats().detector.bufferedSpans).toBe(10);
      expect(() => pipeline.admit(second)).toThrow(expect.objectContaining({ code: 'BUFFER_FULL' }));
      // Released, the second request no longer counts: a small one fits.
      pipeline.release(second);
      const small = await pipeline.decode('protobuf', encodeProtobufTraces(buildTrace('small', [{ id: 'a', name: 'op', start: 0 }], Date.now())));
      expect(() => pipeline.admit(small)).not.toThrow();
      expect(await pipeline.ingest(small, Date.now())).toEqual([]);
      expect(pipeline.detectionStats().detector.bufferedSpans).toBe(11);
    } finally {
      await pipeline.close();
      await store.close();
    }
  });
});
