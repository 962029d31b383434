/**
 * Requests node:http refuses before any handler runs (here a request line
 * over its 16 KiB header limit, found by the API fuzz test) are answered in
 * each listener's error shape, not with node's empty default body.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.testkit.js';

describe('requests refused by the HTTP parser', () => {
  let fluo: TestServer | null = null;
  afterAll(async () => { await fluo?.close(); });

  it('answer 431 with a JSON error body on the API and on OTLP/HTTP', async () => {
    fluo = await startTestServer();
    const long = 'x'.repeat(20_000);
    const api = await fetch(`${fluo.server.urls.api}/api/v1/signals?ruleId=${long}`);
    expect(api.status).toBe(431);
    expect(await api.json()).toEqual({ error: { code: 'VALIDATION', message: expect.stringContaining('over 16 KiB') } });
    const otlp = await fetch(`${fluo.server.urls.otlpHttp}/v1/traces?x=${long}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(otlp.status).toBe(431);
    expect(await otlp.json()).toEqual({ code: 3, message: expect.stringContaining('over 16 KiB') });
  });
});
