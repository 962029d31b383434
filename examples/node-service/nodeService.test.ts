/**
 * The example service against a real FLUO loaded with the example rules:
 * the service runs as a user would run it (its own process, configured by
 * OTEL_* environment variables), and FLUO flags exactly its two bugs.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../../packages/server/src/testing/testServer.testkit.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const cleanups: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

describe('examples/node-service', () => {
  it('sends its traces to FLUO over OTLP; FLUO flags the unaudited export and the masked login failure, nothing else', async () => {
    const fluo: TestServer = await startTestServer({ rules: path.join(HERE, '..', 'rules') });
    cleanups.push(() => fluo.close());
    const child = spawn(process.execPath, ['service.js'], {
      cwd: HERE,
      env: { ...process.env, PORT: '0', OTEL_SERVICE_NAME: 'customers', OTEL_EXPORTER_OTLP_ENDPOINT: fluo.server.urls.otlpHttp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    cleanups.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    const base = await waitFor('the service to listen', () => /on (http:\S+)/.exec(stdout)?.[1] ?? (child.exitCode !== null ? Promise.reject(new Error(stderr)) : undefined));

    const traceOf = async (method: string, p: string): Promise<string> => {
      const res = await fetch(`${base}${p}`, { method });
      expect(res.status).toBe(200);
      return /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceresponse') ?? '')![1];
    };
    const audited = await traceOf('GET', '/customers/42');
    const exported = await traceOf('GET', '/customers/42/export');
    const login = await traceOf('POST', '/login');
    // SIGTERM flushes the exporter, as a deployment's shutdown would.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    await waitFor('the three traces to complete', async () => (await fluo.json('/api/v1/traces')).body.traces.length === 3);
    const signals = (await fluo.json('/api/v1/signals')).body.signals as Array<{ ruleId: string; traceId: string; services: string[] }>;
    expect(signals.map((s) => `${s.ruleId} ${s.traceId}`).sort()).toEqual([`auth-retry-storm ${login}`, `pii-access-without-audit ${exported}`].sort());
    expect(signals.every((s) => s.services.includes('customers'))).toBe(true);
    const trace = (await fluo.json(`/api/v1/traces/${audited}`)).body;
    expect(trace.spans.map((s: { name: string }) => s.name)).toEqual(['GET /customers/:id', 'authz.check', 'db.query SELECT customers', 'audit.log']);
  });
});
