/**
 * The store becomes unavailable for real: a second SQLite connection holds
 * an exclusive write transaction on FLUO's database. FLUO must stop
 * acknowledging spans with a retryable status, say why in /readyz and
 * /metrics, lose nothing it acknowledged, and take spans again by itself once
 * the lock is released.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildTrace, hexId } from '@fluohq/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.testkit.js';

let server: TestServer | null = null;
afterEach(async () => { await server?.close(); server = null; });

async function until<T>(check: () => Promise<T | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const metric = (page: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1] ?? NaN);

describe('store unavailable', () => {
  it('refuses spans with 503 while the database is locked, says why, and recovers without losing what it acknowledged', async () => {
    server = await startTestServer();
    const s = server;
    const created = await s.json('/api/v1/rules', { method: 'POST', body: { id: 'pay', name: 'payment', severity: 'warning', dsl: "trace.has(span => span.name === 'payment.charge')" } });
    expect(created.status).toBe(201);

    const locker = new Database(path.join(s.dataDir, 'fluo.db'), { timeout: 100 });
    locker.exec('BEGIN EXCLUSIVE');
    try {
      // Accepted: it is in the span log; its signal cannot be written yet.
      const first = await s.sendProtobuf(buildTrace('locked-1', [{ id: 'p', name: 'payment.charge', start: 0 }]));
      expect(first.status).toBe(200);
      const ready = await until(async () => { const r = await s.json('/readyz'); return r.status === 503 ? r : null; }, 'readyz 503');
      expect(ready.body.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/locked|busy/i) })]));
      expect(ready.headers.get('retry-after')).not.toBeNull();

      const refused = await s.sendJson(buildTrace('locked-2', [{ id: 'p', name: 'payment.charge', start: 0 }]));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).not.toBeNull();
      expect((await refused.json()).message).toMatch(/store cannot be written/);
      const metrics = await (await s.api('/metrics')).text();
      expect(metric(metrics, 'fluo_not_ready_store_unavailable')).toBe(1);
      expect(metric(metrics, 'fluo_store_write_errors_total')).toBeGreaterThan(0);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }

    await until(async () => ((await s.json('/readyz')).status === 200 ? true : null), 'readyz 200 after the lock is released');
    expect((await s.sendJson(buildTrace('locked-2', [{ id: 'p', name: 'payment.charge', start: 0 }]))).status).toBe(200);
    const signals = await until(async () => {
      const r = await s.json('/api/v1/signals?ruleId=pay');
      return r.body.signals.length === 2 ? r.body.signals : null;
    }, 'both signals stored');
    expect(signals.map((x: { traceId: string }) => x.traceId).sort()).toEqual([hexId('locked-1', 32), hexId('locked-2', 32)].sort());
    expect(metric(await (await s.api('/metrics')).text(), 'fluo_not_ready_store_unavailable')).toBe(0);
  });
});
