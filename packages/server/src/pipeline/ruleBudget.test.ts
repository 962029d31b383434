/**
 * The per-trace evaluation budget in a running server: a rule too expensive
 * for a trace is stopped on it (others still fire), counted in the metric,
 * logged once per rule, and reported by POST /rules/test.
 */
import { buildTrace, encodeJsonTraces } from '@fluohq/engine';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';
import { tempDir, testConfig, waitFor } from '../testing/testServer.testkit.js';

describe('rule budget', () => {
  it('stops an expensive rule per trace, counts it, logs it once, keeps the other rules working', async () => {
    const lines: string[] = [];
    const server = await startServer(testConfig(tempDir('budget'), { ruleBudget: 20_000, idleTimeout: 100 }), { log: createLogger('warn', (line) => { lines.push(line); }) });
    const api = (p: string, init?: RequestInit) => fetch(`${server.urls.api}${p}`, init);
    const post = (p: string, body: unknown) => api(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      expect((await post('/api/v1/rules', { id: 'quadratic', name: 'Quadratic', severity: 'info',
        dsl: "trace.has(s => s.parent.children.some(a => s.parent.children.some(b => a.name === b.name + '!')))" })).status).toBe(201);
      expect((await post('/api/v1/rules', { id: 'cheap', name: 'Cheap', severity: 'info', dsl: "trace.has(s => s.name === 'leaf-7')" })).status).toBe(201);
      const wide = (name: string) => buildTrace(name, [{ id: 'root', name: 'root', start: 0, duration: 1000 },
        ...Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`, name: `leaf-${i}`, parent: 'root', start: 1 + i }))], Date.now());
      for (const name of ['wide-1', 'wide-2']) {
        const res = await fetch(`${server.urls.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(encodeJsonTraces(wide(name))) });
        expect(res.status).toBe(200);
      }
      const signals = await waitFor('both cheap signals', async () => {
        const body = await (await api('/api/v1/signals')).json() as { signals: Array<{ ruleId: string }> };
        return body.signals.length >= 2 ? body.signals : null;
      });
      expect(signals.map((s) => s.ruleId)).toEqual(['cheap', 'cheap']);
      // Rules reading parent/children are decided when the trace completes.
      await waitFor('the budget metric', async () => /^fluo_rule_budget_exceeded_total\{rule_id="quadratic"\} 2$/m.test(await (await api('/metrics')).text()));
      const logged = lines.filter((l) => l.includes("rule 'quadratic' exceeded its evaluation budget"));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('--rule-budget 20000');
      await waitFor('kept traces', async () => ((await (await api('/api/v1/traces')).json()) as { traces: unknown[] }).traces.length >= 2);
      const dryRun = await (await post('/api/v1/rules/test', { ruleId: 'quadratic' })).json() as { budgetExceeded: number; matched: number };
      expect(dryRun).toMatchObject({ budgetExceeded: 2, matched: 0 });
    } finally {
      await server.close();
    }
  });
});
