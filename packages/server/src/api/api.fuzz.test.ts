/**
 * Fuzzing the REST API and the OTLP/HTTP receiver over real HTTP: random
 * methods, paths, query strings, headers and bodies (random and mutated
 * valid ones). Every answer is a success or a 4xx; every API refusal has the
 * shape {error: {code, message, details?}}; never a 500, never a hang (each
 * request is bounded in size; the server answers or refuses each one).
 * Long runs: FLUO_FUZZ_RUNS=50000 node scripts/fuzz.mjs
 */
import fc from 'fast-check';
import { buildTrace, encodeJsonTraces, encodeProtobufTraces } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../testing/testServer.testkit.js';

const runs = (n: number): { numRuns: number; seed?: number; endOnFailure: true } => {
  const env = Number(process.env.FLUO_FUZZ_RUNS ?? '');
  const seed = Number(process.env.FLUO_FUZZ_SEED ?? '');
  return { numRuns: Number.isSafeInteger(env) && env > 0 ? env : n, ...(process.env.FLUO_FUZZ_SEED && Number.isSafeInteger(seed) ? { seed } : {}), endOnFailure: true };
};
const timeout = (ms: number): number => Math.max(ms, Number(process.env.FLUO_FUZZ_RUNS ?? 0) * 30);

const segment = fc.oneof(
  fc.constantFrom('rules', 'signals', 'traces', 'tokens', 'audit', 'validate', 'test', 'stream', 'seed-rule', 'openapi.json', '..', '.', '%2e%2e', '%00', '%ff', '__proto__', 'constructor', '0af7651916cd43dd8448eb211c80319c', ''),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.constant('x'.repeat(3000)),
);
const path = fc.oneof(
  fc.array(segment, { maxLength: 5 }).map((s) => `/api/v1/${s.join('/')}`),
  fc.array(segment, { maxLength: 3 }).map((s) => `/${s.join('/')}`),
  fc.constantFrom('/api/v1/rules', '/api/v1/rules/seed-rule', '/api/v1/rules/validate', '/api/v1/rules/test', '/api/v1/signals', '/api/v1/traces', '/api/v1/tokens', '/api/v1/audit', '/api/v1/signals/x', '/api/v1/traces/zz'),
);
const queryValue = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('-1', '0', '1', '1001', '1e9', 'NaN', '2026-01-31T12:00:00Z', 'eyJzZXEiOjF9', 'eyJzZXEiOi0xfQ', 'critical', 'open', 'x'.repeat(1500)));
const query = fc.array(fc.tuple(fc.constantFrom('limit', 'cursor', 'since', 'until', 'ruleId', 'severity', 'status', 'service', 'name', 'target', 'action', 'lastEventId', 'access_token', 'x'), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`));
const validBodies = [
  { id: 'fuzz-rule', name: 'Fuzz', severity: 'info', dsl: "trace.has(s => s.name === 'x')" },
  { name: 'Fuzz 2', severity: 'warning', dsl: 'trace.has(s => s.isRoot)', tags: ['a'], enabled: false, mode: 'shadow' },
  { dsl: "trace.has(s => s.status === 'ERROR')" },
  { ruleId: 'seed-rule', limit: 5, maxTraces: 10 },
  { status: 'acknowledged', note: 'n', by: 'me' },
  { name: 'ci', role: 'viewer' },
];
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.tuple(fc.constantFrom(...validBodies), fc.constantFrom('id', 'name', 'severity', 'dsl', 'tags', 'enabled', 'mode', 'version', 'status', 'note', 'limit', 'maxTraces', 'since', 'ruleId', 'role', '__proto__', 'extra'),
    fc.jsonValue({ maxDepth: 2 })).map(([b, k, v]) => JSON.stringify({ ...b, [k]: v })),
  fc.constantFrom(...validBodies).map((b) => JSON.stringify(b)),
  fc.constant(`{"dsl": "${'('.repeat(5000)}"}`),
  fc.constant(`${'['.repeat(100_000)}`),
);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');
const contentType = fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/x-protobuf', 'application/json; charset=utf-8', 'multipart/form-data; boundary=x');

async function expectCleanAnswer(res: Response, what: string, errorShape: 'api' | 'otlp'): Promise<void> {
  expect(res.status, what).toBeLessThan(500);
  if (res.headers.get('content-type')?.includes('text/event-stream')) {
    await res.body?.cancel();
    return;
  }
  const text = await res.text();
  if (res.status < 400 || what.startsWith('HEAD')) return;
  const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; code?: unknown; message?: unknown };
  if (errorShape === 'api') {
    expect(typeof parsed.error?.code, `${what}: ${text.slice(0, 200)}`).toBe('string');
    expect(typeof parsed.error?.message, what).toBe('string');
  } else {
    expect(typeof parsed.code, `${what}: ${text.slice(0, 200)}`).toBe('number');
    expect(typeof parsed.message, what).toBe('string');
  }
}

describe('REST API and OTLP/HTTP fuzz', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ auth: 'off', idleTimeout: 50 });
    expect((await s.json('/api/v1/rules', { method: 'POST', body: { id: 'seed-rule', name: 'Seed', severity: 'info', dsl: "trace.has(s => s.name === 'seed')" } })).status).toBe(201);
    expect((await s.sendJson(buildTrace('seed', [{ id: 'a', name: 'seed', start: 0 }], Date.now()))).status).toBe(200);
    await waitFor('the seed signal', async () => (await s.json('/api/v1/signals')).body.signals.length > 0);
  });
  afterAll(async () => { await s.close(); });

  it('answers every API request with a success or a 4xx in the error shape', async () => {
    await fc.assert(fc.asyncProperty(method, path, query, body, contentType, async (m, p, q, b, ct) => {
      const headers: Record<string, string> = {};
      if (ct !== undefined) headers['content-type'] = ct;
      const res = await s.api(`${p}${q}`, { method: m, headers, body: m === 'GET' || m === 'HEAD' ? undefined : b });
      await expectCleanAnswer(res, `${m} ${p}${q}`.slice(0, 300), 'api');
    }), runs(1500));
    expect((await s.api('/healthz')).status).toBe(200);
  }, timeout(120_000));

  it('answers every OTLP/HTTP request with 200 or a 4xx OTLP Status', async () => {
    const valid = fc.array(fc.record({ name: fc.string({ maxLength: 8 }), start: fc.nat(1000) }), { minLength: 1, maxLength: 3 })
      .map((specs) => buildTrace('otlp-fuzz', specs.map((x, i) => ({ id: `s${i}`, ...x })), Date.now()));
    const otlpBody = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 })).map(([spans, flips]) => {
        const bytes = encodeProtobufTraces(spans);
        for (const [i, v] of flips) bytes[i % bytes.length] = v;
        return bytes;
      }),
      fc.tuple(valid, fc.nat(), fc.constantFrom('{', '}', '"', ',', '[', '"__proto__":1,', '9e999')).map(([spans, at, token]) => {
        const text = JSON.stringify(encodeJsonTraces(spans));
        const i = at % text.length;
        return new TextEncoder().encode(text.slice(0, i) + token + text.slice(i));
      }),
    );
    const encoding = fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity');
    await fc.assert(fc.asyncProperty(otlpBody, contentType, encoding, fc.constantFrom('POST', 'GET', 'PUT'), fc.constantFrom('/v1/traces', '/v1/logs', '/'), async (b, ct, enc, m, p) => {
      const headers: Record<string, string> = {};
      if (ct !== undefined) headers['content-type'] = ct;
      if (enc !== undefined) headers['content-encoding'] = enc;
      const res = await fetch(`${s.server.urls.otlpHttp}${p}`, { method: m, headers, body: m === 'GET' ? undefined : b });
      expect(res.status, `${m} ${p} ${ct} ${enc}`).toBeLessThan(500);
      if (res.status >= 400 && res.headers.get('content-type') === 'application/json') await expectCleanAnswer(res, `${m} ${p}`, 'otlp');
      else await res.arrayBuffer();
    }), runs(1500));
  }, timeout(120_000));

  it('answers random Authorization headers with 401, never 500, when auth is on', async () => {
    const locked = await startTestServer({ adminToken: `fluo_${'k'.repeat(43)}` });
    try {
      const header = fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ maxLength: 60 }).map((t) => `Bearer ${t}`), fc.constant(`Bearer fluo_${'k'.repeat(42)}`));
      await fc.assert(fc.asyncProperty(header, fc.constantFrom('/api/v1/rules', '/api/v1/tokens', '/api/v1/signals/stream', '/metrics'), async (h, p) => {
        let res: Response;
        try {
          res = await locked.api(p, { headers: { authorization: h } });
        } catch (err) {
          // fetch itself refuses header values that are not valid HTTP (e.g. with control characters): nothing reaches the server.
          const cause = (err as Error & { cause?: Error }).cause;
          expect(`${(err as Error).message} ${cause?.message ?? ''}`).toMatch(/header|invalid|ByteString/i);
          expect((await locked.api('/healthz')).status).toBe(200);
          return;
        }
        expect(res.status).toBe(401);
        await expectCleanAnswer(res, p, 'api');
      }), runs(500));
    } finally {
      await locked.close();
    }
  }, timeout(60_000));
});
