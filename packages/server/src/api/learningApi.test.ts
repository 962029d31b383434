/**
 * Learning and oversight endpoints against the real server, with traffic
 * sent over OTLP/HTTP: rule versions, shadow mode and promotion, precision
 * from triage, refinements learnt from planted false positives (applied as
 * a new version that no longer fires on them), invariants planted in the
 * traffic, and rate baselines with the periodic rate-anomaly check.
 */
import { buildTrace, type Span, type SpanSpec } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSignal, testSpan, testTrace } from '../store/storeConformance.testkit.js';
import { openStore } from '../store/stores.js';
import type { RuleRecord } from '../store/store.js';
import { startTestServer, tempDir, waitFor, type TestServer } from '../testing/testServer.testkit.js';

async function signalsOf(s: TestServer, ruleId: string): Promise<any[]> {
  const res = await s.json(`/api/v1/signals?ruleId=${encodeURIComponent(ruleId)}&limit=1000`);
  return res.body.signals;
}

async function waitForSignals(s: TestServer, ruleId: string, count: number): Promise<any[]> {
  return waitFor(`${count} signals of ${ruleId}`, async () => {
    const signals = await signalsOf(s, ruleId);
    return signals.length >= count ? signals : null;
  });
}

async function send(s: TestServer, traces: Span[][]): Promise<void> {
  const res = await s.sendJson(traces.flat());
  expect(res.status).toBe(200);
}

describe('learning API', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer(); });
  afterAll(async () => { await s.close(); });

  it('keeps every version of a rule; signals name the version that raised them; shadow signals are listed and the rule promoted', async () => {
    const created = await s.json('/api/v1/rules', { method: 'POST', body: { id: 'shadowed', name: 'Shadowed', severity: 'warning', mode: 'shadow', dsl: "trace.has(span => span.name === 'shadow-op')" } });
    expect(created.status).toBe(201);
    const now = Date.now();
    await send(s, [0, 1, 2].map((i) => buildTrace(`shadow-${i}`, [{ id: 'a', name: 'shadow-op', start: 0 }], now)));
    const shadowSignals = await waitForSignals(s, 'shadowed', 3);
    for (const signal of shadowSignals) expect(signal).toMatchObject({ mode: 'shadow', ruleVersion: 1 });

    const shadow = await s.json('/api/v1/rules/shadowed/shadow');
    expect(shadow.body).toMatchObject({ ruleId: 'shadowed', mode: 'shadow', wouldHaveNotified: 3, byVersion: [{ version: 1, signals: 3 }], truncated: false });
    expect(shadow.body.signals).toHaveLength(3);

    const promoted = await s.json('/api/v1/rules/shadowed/promote', { method: 'POST', body: { version: 1 } });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ mode: 'alert', version: 2 });
    expect((await s.json('/api/v1/rules/shadowed/promote', { method: 'POST', body: {} })).body.error.code).toBe('CONFLICT');

    const versions = await s.json('/api/v1/rules/shadowed/versions');
    expect(versions.body.versions.map((v: any) => [v.version, v.mode])).toEqual([[2, 'alert'], [1, 'shadow']]);
    expect((await s.json('/api/v1/rules/shadowed/versions/1')).body).toMatchObject({ ruleId: 'shadowed', version: 1, mode: 'shadow' });
    expect((await s.json('/api/v1/rules/shadowed/versions/7')).status).toBe(404);
    expect((await s.json('/api/v1/rules/shadowed/versions/x')).body.error.code).toBe('VALIDATION');
    expect((await s.json('/api/v1/rules/nope/versions')).status).toBe(404);

    await send(s, [buildTrace('shadow-3', [{ id: 'a', name: 'shadow-op', start: 0 }], Date.now())]);
    const all = await waitForSignals(s, 'shadowed', 4);
    expect(all[0]).toMatchObject({ mode: 'alert', ruleVersion: 2 });
    expect((await s.json('/api/v1/rules/shadowed/shadow')).body.wouldHaveNotified).toBe(3);
  });

  it('measures precision from triage and learns a refinement that drops the planted false positives (staging)', async () => {
    const dsl = "trace.has(span => span.name === 'charge' && span.status === 'ERROR')";
    expect((await s.json('/api/v1/rules', { method: 'POST', body: { id: 'charge-errors', name: 'Charge errors', severity: 'critical', dsl } })).status).toBe(201);
    const now = Date.now();
    const staging = (i: number) => i % 5 < 2;
    const trace = (name: string, i: number, env: string, base = now): Span[] => buildTrace(name, [
      { id: 'root', name: 'POST /orders', service: 'web', start: 0, duration: 100, resource: { 'deployment.environment': env } },
      { id: 'charge', name: 'charge', service: 'payments', parent: 'root', start: 10, duration: 20, status: 'ERROR', attributes: { 'payment.provider': i % 2 ? 'stripe' : 'adyen' }, resource: { 'deployment.environment': env } },
    ], base);
    const traces = Array.from({ length: 60 }, (_, i) => trace(`charge-${i}`, i, staging(i) ? 'staging' : 'production'));
    await send(s, traces);
    const signals = await waitForSignals(s, 'charge-errors', 60);
    const stagingTraces = new Set(traces.filter((_, i) => staging(i)).map((t) => t[0].traceId));
    for (const signal of signals) {
      const fp = stagingTraces.has(signal.traceId);
      const res = await s.json(`/api/v1/signals/${signal.id}`, { method: 'PATCH', body: fp ? { status: 'false_positive', note: 'test card in staging', by: 'sre' } : { status: 'resolved', by: 'sre' } });
      expect(res.status).toBe(200);
    }

    const precision = await s.json('/api/v1/rules/charge-errors/precision');
    expect(precision.body).toMatchObject({
      ruleId: 'charge-errors', ruleVersion: 1, truePositives: 36, falsePositives: 24, precision: 0.6,
      byVersion: [{ version: 1, truePositives: 36, falsePositives: 24 }], falsePositiveReasons: [{ reason: 'test card in staging', count: 24 }], truncated: false,
    });
    expect(precision.body.interval[0]).toBeLessThan(0.6);
    expect(precision.body.interval[1]).toBeGreaterThan(0.6);
    expect(precision.body.trend).toHaveLength(1);
    const insights = await s.json('/api/v1/insights/precision');
    expect(insights.body.rules.find((r: any) => r.ruleId === 'charge-errors')).toMatchObject({ truePositives: 36, falsePositives: 24, precision: 0.6 });

    const refinements = await s.json('/api/v1/rules/charge-errors/refinements');
    expect(refinements.status).toBe(200);
    expect(refinements.body).toMatchObject({ ruleId: 'charge-errors', ruleVersion: 1, reason: null, signals: { truePositives: 36, falsePositives: 24, notFiringNow: 0 } });
    const best = refinements.body.proposals[0];
    expect(best.dsl).toBe("trace.has(span => (span.name === 'charge' && span.status === 'ERROR') && span.resource['deployment.environment'] !== 'staging')");
    expect(best.recommended).toBe(true);
    expect(best.history.after).toMatchObject({ truePositives: 36, falsePositives: 0, precision: 1, recall: 1 });
    expect(best.heldOut.after.precision).toBeGreaterThan(best.heldOut.before.precision);
    expect(best.heldOut.after.recall).toBe(1);

    // A stale version is refused; the current one is applied as a new version.
    expect((await s.json('/api/v1/rules/charge-errors/refinements/apply', { method: 'POST', body: { dsl: best.dsl, version: 0 } })).body.error.code).toBe('CONFLICT');
    expect((await s.json('/api/v1/rules/charge-errors/refinements/apply', { method: 'POST', body: { dsl: 'trace.has(', version: 1 } })).body.error.code).toBe('RULE_COMPILE');
    const applied = await s.json('/api/v1/rules/charge-errors/refinements/apply', { method: 'POST', body: { dsl: best.dsl, version: 1 } });
    expect(applied.body).toMatchObject({ version: 2, dsl: best.dsl });

    const later = Date.now();
    const fresh = [trace('charge-new-stg', 0, 'staging', later), trace('charge-new-prd', 1, 'production', later)];
    await send(s, fresh);
    const after = await waitForSignals(s, 'charge-errors', 61);
    expect(after[0]).toMatchObject({ traceId: fresh[1][0].traceId, ruleVersion: 2 });
    // The staging trace completed with the production one and raised nothing.
    await waitFor('both fresh traces kept', async () => (await s.json(`/api/v1/traces/${fresh[0][0].traceId}`)).body?.state === 'complete');
    expect((await signalsOf(s, 'charge-errors')).some((sig) => sig.traceId === fresh[0][0].traceId)).toBe(false);
    // The refined version has no triage yet: the old signals do not fire on it when they were staging ones.
    const again = await s.json('/api/v1/rules/charge-errors/refinements');
    expect(again.body.signals.notFiringNow).toBe(24);
    expect(again.body.reason).toMatch(/false_positive/);
  });

  it('discovers invariants planted in the traffic and adopts one as a shadow rule', async () => {
    const since = Date.now();
    const traces = Array.from({ length: 80 }, (_, i) => {
      const specs: SpanSpec[] = [
        { id: 'root', name: 'GET /checkout', service: 'web', start: 0, duration: 200 },
        { id: 'charge', name: 'charge', service: 'payments', parent: 'root', start: 20, duration: 30, attributes: { 'payment.method': i % 3 ? 'card' : 'paypal' } },
      ];
      if (i % 5 !== 0) specs.push({ id: 'fraud', name: 'fraud check', service: 'risk', parent: 'root', start: 5, duration: 5 });
      return buildTrace(`inv-${i}`, specs, since + 1);
    });
    await send(s, traces);
    await waitFor('80 traces kept', async () => {
      const res = await s.json(`/api/v1/traces?since=${since}&limit=1000`);
      return res.body.traces.length >= 80;
    });
    const mined = await s.json(`/api/v1/invariants?since=${since}&minSupport=10&minConfidence=0.95`);
    expect(mined.status).toBe(200);
    expect(mined.body).toMatchObject({ tracesScanned: 80, truncated: false });
    const candidates: any[] = mined.body.candidates;
    const planted = candidates.find((c) => c.id === 'co-occurrence:web GET /checkout→payments charge');
    expect(planted).toMatchObject({ kind: 'co-occurrence', support: 80, holding: 80, confidence: 1, counterExamples: [] });
    expect(candidates.find((c) => c.id === 'attribute-values:payments charge:payment.method')).toMatchObject({ confidence: 1, attribute: { values: ['card', 'paypal'] } });
    expect(candidates.find((c) => c.id === 'co-occurrence:web GET /checkout→risk fraud check')).toBeUndefined();
    for (const c of candidates) expect(c.confidence).toBeGreaterThanOrEqual(0.95);

    // Backtest the violation rule over the same period: it holds everywhere.
    const backtest = await s.json('/api/v1/rules/test', { method: 'POST', body: { dsl: planted.dsl, since } });
    expect(backtest.body).toMatchObject({ tracesScanned: 80, matched: 0 });

    const adopted = await s.json('/api/v1/invariants/adopt', { method: 'POST', body: { id: 'checkout-charges', dsl: planted.dsl, description: planted.description } });
    expect(adopted.status).toBe(201);
    expect(adopted.body).toMatchObject({ id: 'checkout-charges', mode: 'shadow', tags: ['invariant'], name: 'Invariant broken: every trace with web GET /checkout also has payments charge' });
    await send(s, [buildTrace('inv-broken', [{ id: 'root', name: 'GET /checkout', service: 'web', start: 0 }], Date.now())]);
    const [violation] = await waitForSignals(s, 'checkout-charges', 1);
    expect(violation).toMatchObject({ mode: 'shadow', ruleVersion: 1 });

    expect((await s.json('/api/v1/invariants?kinds=bogus')).body.error).toMatchObject({ code: 'VALIDATION', details: [{ field: 'kinds' }] });
    expect((await s.json('/api/v1/invariants?minConfidence=2')).body.error.code).toBe('VALIDATION');
    expect((await s.json('/api/v1/invariants/adopt', { method: 'POST', body: { dsl: 'trace.has(' } })).body.error.code).toBe('RULE_COMPILE');
    expect((await s.json('/api/v1/invariants/adopt', { method: 'POST', body: { dsl: planted.dsl, extra: 1 } })).body.error.details).toEqual([{ field: 'extra', message: 'unknown field' }]);
  });
});

describe('rate baselines in the server', () => {
  const HOUR = 3_600_000;
  let s: TestServer;

  beforeAll(async () => {
    // Two days of history written to the real store before the server starts: 150 traces an hour, each rule firing twice an hour.
    const dataDir = tempDir('rates');
    const store = await openStore('sqlite:', { dataDir });
    const now = Date.now();
    const rule = (id: string, dsl: string): RuleRecord => ({
      id, name: id, description: '', severity: 'warning', dsl, enabled: true, mode: 'alert', tags: [], version: 1,
      createdAt: now - 3 * 24 * HOUR, updatedAt: now - 3 * 24 * HOUR, source: 'api',
    });
    await store.createRule(rule('jumpy', "trace.has(span => span.name === 'rate-op')"));
    await store.createRule(rule('steady', "trace.has(span => span.attributes['steady'] === true)"));
    const currentHour = Math.floor(now / HOUR) * HOUR;
    let n = 0;
    for (let h = 1; h <= 48; h++) {
      const start = currentHour - h * HOUR;
      const traces = Array.from({ length: 150 }, (_, i) => {
        const id = (h * 1000 + i).toString(16).padStart(32, '0');
        return testTrace(id, [testSpan(id, '1'.padStart(16, '0'))], start + i * 1000);
      });
      const signals = [0, 1].flatMap((k) => ['jumpy', 'steady'].map((ruleId) => testSignal(++n, { ruleId, detectedAt: start + k * 60_000 })));
      await store.write({ signals, traces });
    }
    await store.close();
    s = await startTestServer({ rateCheckInterval: 200, rateWindow: 10 * 60_000, rateHistory: 7 * 24 * HOUR, traceRetention: 7 * 24 * HOUR }, dataDir);
  });
  afterAll(async () => { await s.close(); });

  it('flags a jump in the current window (a stored fluo.rate-anomaly signal) and leaves a steady rule alone', async () => {
    const now = Date.now();
    await send(s, Array.from({ length: 150 }, (_, i) => buildTrace(`rate-${i}`, [{ id: 'a', name: 'rate-op', start: 0, attributes: { steady: i === 7 } }], now)));
    await waitForSignals(s, 'jumpy', 150 + 96);
    const [meta] = await waitFor('a rate-anomaly signal', async () => {
      const found = (await signalsOf(s, 'fluo.rate-anomaly')).filter((sig) => sig.message.startsWith("rule 'jumpy'"));
      return found.length > 0 ? found : null;
    });
    expect(meta).toMatchObject({ ruleId: 'fluo.rate-anomaly', severity: 'warning', mode: 'alert', status: 'open' });
    expect(meta.message).toMatch(/^rule 'jumpy' fires \d+x its usual rate/);

    const rates = await s.json('/api/v1/insights/rates');
    expect(rates.body).toMatchObject({ ruleId: 'fluo.rate-anomaly', windowMs: 600_000 });
    const byRule = new Map(rates.body.assessments.map((a: any) => [a.ruleId, a]));
    expect(byRule.get('jumpy')).toMatchObject({ status: 'jump', window: { traces: 150, signals: 150 } });
    expect((byRule.get('jumpy') as any).ratio).toBeGreaterThan(30);
    expect(byRule.get('steady')).toMatchObject({ status: 'normal', window: { signals: 1 } });
    expect((byRule.get('steady') as any).expected.historyTraces).toBe(48 * 150);
    expect((await signalsOf(s, 'fluo.rate-anomaly')).some((sig) => sig.message.startsWith("rule 'steady'"))).toBe(false);
  });

  it('restarts learning when a rule\'s expression changes, not when other fields do', async () => {
    expect((await s.json('/api/v1/rules/jumpy', { method: 'PATCH', body: { dsl: "trace.has(span => span.name === 'rate-op' && span.attributes['steady'] === false)" } })).status).toBe(200);
    expect((await s.json('/api/v1/rules/steady', { method: 'PATCH', body: { tags: ['renamed'], severity: 'info' } })).status).toBe(200);
    const rates = await s.json('/api/v1/insights/rates');
    const byRule = new Map(rates.body.assessments.map((a: any) => [a.ruleId, a]));
    expect(byRule.get('jumpy')).toMatchObject({ status: 'learning', expected: { historyTraces: 0 } });
    expect(byRule.get('steady')).toMatchObject({ status: 'normal', expected: { historyTraces: 48 * 150 } });
  });
});
