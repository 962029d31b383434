/**
 * Correlated rules (traces.by) end to end: a real server, spans sent over
 * OTLP/HTTP in separate requests (separate traces), rules created through the
 * REST API, signals read from the API, and a restart on the same data folder
 * in the middle of open windows (no duplicate, no lost signal).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildTrace, type Span, type SpanSpec } from '@fluohq/engine';
import { startTestServer, tempDir, waitFor, type TestServer } from '../testing/testServer.testkit.js';

interface SignalJson {
  id: string; ruleId: string; traceId: string; traceIds?: string[]; correlationKey?: string; spanIds: string[];
  windowStart?: number; windowEnd?: number;
}

const LOGIN_RETRY = {
  id: 'login-retry', name: 'Login retried', severity: 'warning',
  dsl: "traces.by(span => span.attributes['enduser.id'])\n  .has(span => span.name === 'auth.login' && span.status === 'ERROR')\n  .followedBy(traces.has(span => span.name === 'auth.login' && span.status === 'OK'))\n  .within('5 seconds')",
};
const PAYMENT_ERRORS = {
  id: 'payment-errors', name: 'Payment errors per user', severity: 'critical',
  dsl: "traces.by(span => span.attributes['enduser.id'])\n  .count(span => span.name === 'payment.charge' && span.status === 'ERROR') >= 3\n  .within('1 minute')",
};
const ABANDONED = {
  id: 'abandoned', name: 'Checkout abandoned', severity: 'info',
  dsl: "traces.by(span => span.attributes['session.id'])\n  .has(span => span.name === 'checkout.start')\n  .and(traces.missing(span => span.name === 'order.confirmed'))\n  .within('2 seconds')",
};

/** One request's trace: a server span with one child carrying the key. */
function request(traceName: string, base: number, child: Omit<SpanSpec, 'id' | 'parent'>): Span[] {
  return buildTrace(traceName, [
    { id: `${traceName}-root`, name: 'POST /api', kind: 'SERVER', start: 0, duration: 50, service: 'shop', attributes: child.attributes },
    { id: `${traceName}-child`, parent: `${traceName}-root`, service: 'shop', duration: 20, ...child },
  ], base);
}

async function signals(s: TestServer, ruleId: string): Promise<SignalJson[]> {
  return (await s.json(`/api/v1/signals?ruleId=${ruleId}&limit=100`)).body.signals;
}

async function send(s: TestServer, spans: Span[]): Promise<void> {
  const res = await s.sendProtobuf(spans);
  expect(res.status).toBe(200);
}

describe('correlated rules in the server', () => {
  let s: TestServer | undefined;
  afterEach(async () => { await s?.close(); s = undefined; });

  it('raises one signal across traces with every trace, the key and evidence from both traces; exports metrics', async () => {
    // The failure's trace arrives 1.5 s (of span time) after the retry's: within the allowed lateness.
    s = await startTestServer({ correlationLateness: 2000 });
    expect((await s.json('/api/v1/rules', { method: 'POST', body: LOGIN_RETRY })).status).toBe(201);
    const base = Date.now() - 2000;
    const failed = request('e2e-login-fail', base, { name: 'auth.login', start: 5, status: 'ERROR', attributes: { 'enduser.id': 'alice' } });
    const ok = request('e2e-login-ok', base + 1500, { name: 'auth.login', start: 5, status: 'OK', attributes: { 'enduser.id': 'alice' } });
    const other = request('e2e-login-bob', base + 1600, { name: 'auth.login', start: 5, status: 'OK', attributes: { 'enduser.id': 'bob' } });
    // The retry's trace arrives first: order across traces does not matter.
    await send(s, ok);
    await send(s, other);
    await send(s, failed);
    const [signal] = await waitFor('the correlated signal', async () => {
      const found = await signals(s!, 'login-retry');
      return found.length > 0 ? found : null;
    });
    expect(signal.correlationKey).toBe('alice');
    expect(signal.traceIds).toEqual([failed[0].traceId, ok[0].traceId]);
    expect(signal.traceId).toBe(failed[0].traceId);
    expect(signal.spanIds).toEqual([failed[1].spanId, ok[1].spanId]);
    expect(signal.windowEnd! - signal.windowStart!).toBe(5000);
    const detail = (await s.json(`/api/v1/signals/${signal.id}`)).body;
    expect(new Set(detail.evidence.spans.map((e: { traceId: string }) => e.traceId))).toEqual(new Set([failed[0].traceId, ok[0].traceId]));

    const metrics = await (await s.api('/metrics')).text();
    expect(metrics).toMatch(/^fluo_correlation_keys \d+$/m);
    expect(metrics).toMatch(/^fluo_correlation_windows_decided_total [1-9]\d*$/m);
    expect(Number(/^fluo_correlation_spans_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^fluo_correlation_spans_late_total 0$/m);

    // POST /rules/test evaluates the correlated rule over the kept traces.
    await waitFor('the traces kept', async () => (await s!.api(`/api/v1/traces/${ok[0].traceId}`)).status === 200 && (await s!.api(`/api/v1/traces/${failed[0].traceId}`)).status === 200);
    const tested = (await s.json('/api/v1/rules/test', { method: 'POST', body: { dsl: LOGIN_RETRY.dsl } })).body;
    expect(tested.matched).toBe(1);
    expect(tested.traces[0]).toMatchObject({ traceIds: [failed[0].traceId, ok[0].traceId], correlationKey: 'alice' });
  });

  it('survives a restart in the middle of open windows: state rebuilt from kept traces, no duplicate, no lost signal', async () => {
    const dataDir = tempDir('correlate-restart');
    s = await startTestServer({ correlationLateness: 300 }, dataDir);
    for (const rule of [PAYMENT_ERRORS, ABANDONED]) expect((await s.json('/api/v1/rules', { method: 'POST', body: rule })).status).toBe(201);
    const base = Date.now() - 1000;
    const charge = (name: string, user: string, at: number) => request(name, base + at, { name: 'payment.charge', start: 5, status: 'ERROR', attributes: { 'enduser.id': user } });
    // Before the restart: p2 completes its pattern (fires), p1 has 2 of 3 errors, s1 starts a checkout (window open).
    const p2 = [charge('r-p2-a', 'p2', 0), charge('r-p2-b', 'p2', 100), charge('r-p2-c', 'p2', 200)];
    const p1 = [charge('r-p1-a', 'p1', 0), charge('r-p1-b', 'p1', 300)];
    const checkout = request('r-s1-start', base + 400, { name: 'checkout.start', start: 5, attributes: { 'session.id': 's1' } });
    for (const spans of [...p2, ...p1, checkout]) await send(s, spans);
    const [before] = await waitFor('p2 fires before the restart', async () => {
      const found = await signals(s!, 'payment-errors');
      return found.length > 0 ? found : null;
    });
    expect(before.correlationKey).toBe('p2');
    for (const spans of [...p1, checkout]) {
      await waitFor(`trace ${spans[0].traceId} kept`, async () => (await s!.api(`/api/v1/traces/${spans[0].traceId}`)).status === 200);
    }
    expect(await signals(s, 'abandoned')).toEqual([]);
    await s.close({ keepData: true });

    s = await startTestServer({ correlationLateness: 300 }, dataDir);
    // The third error for p1 after the restart completes a window opened before it.
    const third = charge('r-p1-c', 'p1', 600);
    await send(s, third);
    const p1Signal = await waitFor('p1 fires after the restart', async () => (await signals(s!, 'payment-errors')).find((x) => x.correlationKey === 'p1'));
    expect(p1Signal.traceIds).toEqual([p1[0][0].traceId, p1[1][0].traceId, third[0].traceId]);
    // The absence window open at the restart is decided after it closes.
    const [abandoned] = await waitFor('the checkout abandoned in s1', async () => {
      const found = await signals(s!, 'abandoned');
      return found.length > 0 ? found : null;
    });
    expect(abandoned).toMatchObject({ correlationKey: 's1', traceIds: [checkout[0].traceId] });
    // p2's window was replayed and fired again with the same id: the store kept one.
    const payment = await signals(s, 'payment-errors');
    expect(payment.map((x) => x.correlationKey).sort()).toEqual(['p1', 'p2']);
    expect(payment.find((x) => x.correlationKey === 'p2')!.id).toBe(before.id);
    expect(await signals(s, 'abandoned')).toHaveLength(1);
  });
});
