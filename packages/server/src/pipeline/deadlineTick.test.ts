/**
 * Idle traces complete at their idle timeout, not at the next regular tick:
 * with a tick interval far longer than the test waits, only the tick armed at
 * the detector's next deadline can complete the trace and decide its absence
 * rule, so the signal arriving at all shows that tick ran.
 */
import { buildTrace } from '@fluohq/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../testing/testServer.testkit.js';

describe('deadline tick', () => {
  let fluo: TestServer | null = null;
  afterAll(async () => { await fluo?.close(); });

  it('decides an absence rule once the idle timeout ends, long before the next regular tick', async () => {
    fluo = await startTestServer({ idleTimeout: 200, tickInterval: 3_600_000 });
    const created = await fluo.json('/api/v1/rules', { method: 'POST', body: {
      id: 'pii-without-audit', name: 'PII read without audit', severity: 'critical',
      dsl: "trace.has(span => span.name === 'pii.read').and(trace.missing(span => span.name === 'audit.log'))",
    } });
    expect(created.status).toBe(201);
    const trace = buildTrace('deadline-1', [
      { id: 'root', name: 'GET /customer', start: 0, duration: 20 },
      { id: 'read', name: 'pii.read', parent: 'root', start: 2, duration: 5 },
    ], Date.now());
    expect((await fluo.sendProtobuf(trace)).status).toBe(200);
    const signals = await waitFor('the absence signal', async () => {
      const { body } = await fluo!.json<{ signals: Array<{ ruleId: string; traceId: string }> }>('/api/v1/signals');
      return body.signals.length > 0 ? body.signals : null;
    });
    expect(signals).toEqual([expect.objectContaining({ ruleId: 'pii-without-audit', traceId: trace[0].traceId })]);
  });
});
