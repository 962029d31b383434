/**
 * /api/v1/traces and POST /api/v1/rules/test over real HTTP: kept traces,
 * traces still being assembled, retention, and rule dry runs.
 */
import { buildTrace, hexId } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../testing/testServer.testkit.js';

describe('traces API and rule tests', () => {
  let s: TestServer;
  const base = Date.now() - 60_000;

  beforeAll(async () => {
    s = await startTestServer();
    await s.sendJson([
      ...buildTrace('checkout-ok', [
        { id: 'r', name: 'POST /checkout', start: 0, duration: 300, service: 'shop', kind: 'SERVER' },
        { id: 'p', name: 'payment.charge', parent: 'r', start: 10, duration: 200, service: 'payment' },
      ], base),
      ...buildTrace('checkout-failed', [
        { id: 'r', name: 'POST /checkout', start: 0, duration: 300, service: 'shop', kind: 'SERVER' },
        { id: 'p', name: 'payment.charge', parent: 'r', start: 10, duration: 200, service: 'payment', status: 'ERROR' },
        { id: 'q', name: 'db.query', parent: 'p', start: 20, duration: 50, service: 'payment', status: 'ERROR' },
      ], base + 1000),
      ...buildTrace('login', [{ id: 'r', name: 'POST /login', start: 0, service: 'auth', status: 'ERROR' }], base + 2000),
    ]);
    await waitFor('three kept traces', async () => (await s.json('/api/v1/traces')).body.traces.length === 3);
  });
  afterAll(async () => { await s.close(); });

  it('lists kept traces newest first, with summaries and filters', async () => {
    const { body } = await s.json('/api/v1/traces');
    expect(body.nextCursor).toBeNull();
    expect(body.traces.map((t: { traceId: string }) => t.traceId)).toEqual([hexId('login', 32), hexId('checkout-failed', 32), hexId('checkout-ok', 32)]);
    expect(body.traces[1]).toEqual({
      traceId: hexId('checkout-failed', 32), rootName: 'POST /checkout', services: ['payment', 'shop'], spanCount: 3, errorCount: 2,
      startTime: base + 1000, endTime: base + 1300, duration: 300, completedAt: expect.any(Number),
    });
    const ids = async (q: string) => (await s.json(`/api/v1/traces?${q}`)).body.traces.map((t: { traceId: string }) => t.traceId);
    expect(await ids('service=payment')).toEqual([hexId('checkout-failed', 32), hexId('checkout-ok', 32)]);
    expect(await ids('name=POST%20%2Flogin')).toEqual([hexId('login', 32)]);
    expect(await ids('spanName=db.query')).toEqual([hexId('checkout-failed', 32)]);
    expect(await ids('spanName=payment.charge')).toEqual([hexId('checkout-failed', 32), hexId('checkout-ok', 32)]);
    expect(await ids(`since=${base + 500}&until=${base + 1500}`)).toEqual([hexId('checkout-failed', 32)]);
    const page1 = await s.json('/api/v1/traces?limit=2');
    const page2 = await s.json(`/api/v1/traces?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toEqual({ traces: [expect.objectContaining({ traceId: hexId('checkout-ok', 32) })], nextCursor: null });
  });

  it('returns a kept trace with all its spans, and one still being assembled', async () => {
    const kept = await s.json(`/api/v1/traces/${hexId('checkout-failed', 32).toUpperCase()}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ state: 'complete', spanCount: 3 });
    expect(kept.body.spans.map((x: { name: string; parentSpanId: string | null }) => [x.name, x.parentSpanId])).toEqual([
      ['POST /checkout', null], ['payment.charge', hexId('r', 16)], ['db.query', hexId('p', 16)],
    ]);

    const slow = await startTestServer({ idleTimeout: 60_000 });
    try {
      await slow.sendJson(buildTrace('in-flight', [{ id: 'a', name: 'first', start: 0 }], Date.now()));
      await slow.sendJson(buildTrace('in-flight', [{ id: 'b', name: 'second', parent: 'a', start: 5 }], Date.now()));
      const open = await slow.json(`/api/v1/traces/${hexId('in-flight', 32)}`);
      expect(open.body).toMatchObject({ state: 'open', completedAt: null, spanCount: 2, rootName: 'first' });
      expect((await slow.json('/api/v1/traces')).body.traces).toEqual([]);
    } finally {
      await slow.close();
    }

    expect((await s.json(`/api/v1/traces/${'f'.repeat(32)}`)).body.error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await s.json('/api/v1/traces/xyz')).body.error).toMatchObject({ code: 'VALIDATION', message: "'xyz' is not a trace id: 32 hexadecimal digits" });
  });

  it('runs a rule over kept traces without creating signals', async () => {
    const res = await s.json('/api/v1/rules/test', { method: 'POST', body: { dsl: "trace.has(s => s.status === 'ERROR')" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      tracesScanned: 3, matched: 2, truncated: false, budgetExceeded: 0,
      traces: [
        { traceId: hexId('login', 32), witnesses: [hexId('r', 16)], rootName: 'POST /login', startTime: base + 2000 },
        { traceId: hexId('checkout-failed', 32), witnesses: [hexId('p', 16), hexId('q', 16)], rootName: 'POST /checkout', startTime: base + 1000 },
      ],
    });
    const limited = await s.json('/api/v1/rules/test', { method: 'POST', body: { dsl: "trace.has(s => s.status === 'ERROR')", limit: 1, since: base + 500, until: new Date(base + 1500).toISOString() } });
    expect(limited.body).toMatchObject({ tracesScanned: 1, matched: 1, traces: [{ traceId: hexId('checkout-failed', 32) }] });
    // Structural rules work on stored traces: parent/child links are rebuilt.
    const structural = await s.json('/api/v1/rules/test', { method: 'POST', body: { dsl: "trace.has(s => s.status === 'ERROR' && s.parent?.status === 'ERROR')" } });
    expect(structural.body.traces.map((t: { witnesses: string[] }) => t.witnesses)).toEqual([[hexId('q', 16)]]);
    expect((await s.json('/api/v1/signals')).body.signals).toEqual([]);
  });

  it('tests a saved rule by id, and says what is wrong with a request', async () => {
    await s.json('/api/v1/rules', { method: 'POST', body: { id: 'slow-charge', name: 'Slow charge', severity: 'info', dsl: "trace.has(s => s.name === 'payment.charge' && s.duration >= 200)" } });
    expect((await s.json('/api/v1/rules/test', { method: 'POST', body: { ruleId: 'slow-charge' } })).body).toMatchObject({ tracesScanned: 3, matched: 2 });
    expect((await s.json('/api/v1/rules/test', { method: 'POST', body: { ruleId: 'nope' } })).status).toBe(404);
    const both = await s.json('/api/v1/rules/test', { method: 'POST', body: { ruleId: 'slow-charge', dsl: 'x' } });
    expect(both.body.error).toMatchObject({ code: 'VALIDATION', message: 'give either dsl (a rule expression) or ruleId (a saved rule), not both' });
    const broken = await s.json('/api/v1/rules/test', { method: 'POST', body: { dsl: 'trace.has(s => s.name === )' } });
    expect(broken.body.error).toMatchObject({ code: 'RULE_COMPILE', details: { line: 1, column: 27 } });
    expect((await s.json('/api/v1/rules/test', { method: 'POST', body: { dsl: 'trace.has(s => true)', limit: 5000 } })).body.error.details).toEqual([{ field: 'limit', message: 'must be from 1 to 1000' }]);
  });
});

describe('trace retention', () => {
  it('keeps at most traceRetentionMaxSpans spans, dropping the oldest traces first', async () => {
    const s = await startTestServer({ traceRetentionMaxSpans: 5, traceRetention: 2000 });
    try {
      for (let i = 0; i < 4; i++) {
        await s.sendJson(buildTrace(`kept-${i}`, [{ id: 'a', name: 'x', start: 0 }, { id: 'b', name: 'y', parent: 'a', start: 1 }], Date.now()));
        await waitFor(`trace ${i} kept`, async () => (await s.json(`/api/v1/traces/${hexId(`kept-${i}`, 32)}`)).body?.state === 'complete');
      }
      const left = await waitFor('retention to apply', async () => {
        const traces = (await s.json('/api/v1/traces')).body.traces as Array<{ traceId: string; spanCount: number }>;
        return traces.reduce((n, t) => n + t.spanCount, 0) <= 5 ? traces : undefined;
      });
      expect(left.map((t) => t.traceId)).toEqual([hexId('kept-3', 32), hexId('kept-2', 32)]);
      expect(await (await s.api('/metrics')).text()).toMatch(/fluo_traces_pruned_total [1-9]/);
    } finally {
      await s.close();
    }
  });
});
