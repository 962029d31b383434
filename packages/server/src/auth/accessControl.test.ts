/**
 * Access control against a real server: tokens and roles on every kind of
 * route, the signal stream's access_token, the audit log, OTLP ingestion
 * with tokens over HTTP and gRPC (the OpenTelemetry SDK's exporters), the
 * exposure warnings, and token storage (hashes only).
 */
import Database from 'better-sqlite3';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildTrace, encodeJsonTraces, encodeProtobufTraces } from '@fluohq/engine';
import { TRACE_SERVICE_DEFINITION } from '../receivers/otlpGrpc.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';
import { SseClient, startTestServer, tempDir, testConfig, waitFor, type TestServer } from '../testing/testServer.testkit.js';
import { hashToken } from './apiToken.js';

const TraceServiceClient = grpc.makeGenericClientConstructor(TRACE_SERVICE_DEFINITION, 'TraceService');
const ADMIN = `fluo_${'A'.repeat(43)}`;
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function sendWithSdk(exporter: SpanExporter, name: string): Promise<void> {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'auth-test' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.getTracer('t').startSpan(name).end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe('API tokens and roles', () => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    s = await startTestServer({ adminToken: ADMIN, otlpAuth: true, idleTimeout: 100 });
    for (const role of ['viewer', 'editor', 'ingest', 'admin']) {
      const res = await s.json(`/api/v1/tokens`, { method: 'POST', headers: bearer(ADMIN), body: { name: `${role}-bot`, role } });
      expect(res.status).toBe(201);
      tokens[role] = res.body.token;
      ids[role] = res.body.id;
    }
  });
  afterAll(async () => { await s.close(); });

  it('hands out random prefixed tokens once, and stores only their SHA-256 hashes', async () => {
    for (const token of Object.values(tokens)) expect(token).toMatch(/^fluo_[A-Za-z0-9_-]{43}$/);
    expect(new Set(Object.values(tokens)).size).toBe(4);
    const list = await s.json('/api/v1/tokens', { headers: bearer(ADMIN) });
    expect(list.status).toBe(200);
    expect(list.body.tokens.map((t: { name: string }) => t.name)).toEqual(['viewer-bot', 'editor-bot', 'ingest-bot', 'admin-bot']);
    expect(JSON.stringify(list.body)).not.toContain(tokens.viewer);
    expect(list.body.tokens[0]).not.toHaveProperty('hash');
    expect(list.body.tokens[0]).not.toHaveProperty('token');
    const db = new Database(path.join(s.dataDir, 'fluo.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM api_tokens').all() as Array<Record<string, unknown>>;
      const dump = JSON.stringify(rows);
      for (const token of Object.values(tokens)) {
        expect(dump).not.toContain(token);
        expect(dump).toContain(hashToken(token));
      }
    } finally {
      db.close();
    }
  });

  it('refuses calls without a valid token with 401 UNAUTHENTICATED', async () => {
    for (const headers of [{}, bearer('fluo_not-a-token'), { authorization: `Basic ${Buffer.from(`x:${ADMIN}`).toString('base64')}` }, { authorization: ADMIN }]) {
      const res = await s.json('/api/v1/rules', { headers });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      expect(typeof res.body.error.message).toBe('string');
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="fluo"');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    // A token in the URL counts only for the signal stream.
    expect((await s.json(`/api/v1/rules?access_token=${tokens.viewer}`)).status).toBe(401);
    expect((await s.api('/metrics')).status).toBe(401);
  });

  it('leaves probes, the API reference and the UI page open', async () => {
    for (const p of ['/healthz', '/readyz', '/api/v1/openapi.json', '/']) {
      const res = await s.api(p);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('gives each role exactly its rights', async () => {
    const rule = { id: 'authz-rule', name: 'Authz rule', severity: 'warning', dsl: "trace.has(s => s.name === 'authz')" };
    // [role, method, path, body, expected status]
    const cases: Array<[string, string, string, unknown, number]> = [
      ['viewer', 'GET', '/api/v1/rules', undefined, 200],
      ['viewer', 'GET', '/api/v1/signals', undefined, 200],
      ['viewer', 'GET', '/api/v1/traces', undefined, 200],
      ['viewer', 'POST', '/api/v1/rules/validate', { dsl: 'trace.has(s => true)' }, 200],
      ['viewer', 'POST', '/api/v1/rules/test', { dsl: 'trace.has(s => true)' }, 200],
      ['viewer', 'POST', '/api/v1/rules', rule, 403],
      ['viewer', 'GET', '/api/v1/tokens', undefined, 403],
      ['viewer', 'GET', '/api/v1/audit', undefined, 403],
      ['ingest', 'GET', '/api/v1/rules', undefined, 403],
      ['editor', 'POST', '/api/v1/rules', rule, 201],
      ['editor', 'PATCH', '/api/v1/rules/authz-rule', { severity: 'critical' }, 200],
      ['editor', 'GET', '/api/v1/tokens', undefined, 403],
      ['editor', 'POST', '/api/v1/tokens', { name: 'x', role: 'admin' }, 403],
      ['editor', 'GET', '/api/v1/audit', undefined, 403],
      ['admin', 'GET', '/api/v1/audit', undefined, 200],
      ['admin', 'DELETE', '/api/v1/rules/authz-rule', undefined, 204],
    ];
    expect((await s.api('/metrics', { headers: bearer(tokens.viewer) })).status).toBe(200);
    expect((await s.api('/metrics', { headers: bearer(tokens.ingest) })).status).toBe(403);
    for (const [role, method, p, body, status] of cases) {
      const res = await s.json(p, { method, headers: bearer(tokens[role]), body });
      expect({ role, method, p, status: res.status }).toEqual({ role, method, p, status });
      if (status === 403) {
        expect(res.body.error.code).toBe('FORBIDDEN');
        expect(res.body.error.message).toContain(role);
      }
    }
  });

  it('records rule changes and triage in the audit log with the token name, before and after, paginated', async () => {
    const rule = { id: 'audited', name: 'Audited', severity: 'info', dsl: "trace.has(s => s.name === 'audited')" };
    expect((await s.json('/api/v1/rules', { method: 'POST', headers: bearer(tokens.editor), body: rule })).status).toBe(201);
    expect((await s.json('/api/v1/rules/audited', { method: 'PUT', headers: bearer(tokens.admin), body: { ...rule, name: 'Audited 2', version: 1 } })).status).toBe(200);
    // A signal to triage: send a trace with an ingest token.
    const spans = buildTrace('audited-trace', [{ id: 'a', name: 'audited', start: 0 }], Date.now());
    const sent = await fetch(`${s.server.urls.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) }, body: JSON.stringify(encodeJsonTraces(spans)) });
    expect(sent.status).toBe(200);
    const signal = await waitFor('the signal', async () => (await s.json('/api/v1/signals?ruleId=audited', { headers: bearer(tokens.viewer) })).body.signals[0]);
    const triage = await s.json(`/api/v1/signals/${signal.id}`, { method: 'PATCH', headers: bearer(tokens.editor), body: { status: 'acknowledged', by: 'someone-else', note: 'looking' } });
    expect(triage.status).toBe(200);
    expect(triage.body.history.at(-1).by).toBe('editor-bot'); // the token's name, not the claimed one

    const audit = await s.json('/api/v1/audit?limit=50', { headers: bearer(tokens.admin) });
    const entries = audit.body.entries as Array<{ actor: string; action: string; target: string; before: any; after: any; at: number }>;
    const relevant = entries.filter((e) => e.target === 'rule:audited' || e.target === `signal:${signal.id}`).reverse();
    expect(relevant.map((e) => [e.actor, e.action])).toEqual([['editor-bot', 'rule.create'], ['admin-bot', 'rule.update'], ['editor-bot', 'signal.status']]);
    expect(relevant[0].before).toBeNull();
    expect(relevant[0].after).toMatchObject({ id: 'audited', name: 'Audited' });
    expect(relevant[1].before).toMatchObject({ name: 'Audited' });
    expect(relevant[1].after).toMatchObject({ name: 'Audited 2' });
    expect(relevant[2].before).toEqual({ status: 'open' });
    expect(relevant[2].after).toEqual({ status: 'acknowledged', note: 'looking' });
    expect(entries.some((e) => e.action === 'token.create' && e.actor === 'admin')).toBe(true);

    const first = await s.json('/api/v1/audit?limit=1&target=rule:audited', { headers: bearer(tokens.admin) });
    expect(first.body.entries.map((e: { action: string }) => e.action)).toEqual(['rule.update']);
    const second = await s.json(`/api/v1/audit?limit=1&target=rule:audited&cursor=${first.body.nextCursor}`, { headers: bearer(tokens.admin) });
    expect(second.body.entries.map((e: { action: string }) => e.action)).toEqual(['rule.create']);
    expect(second.body.nextCursor).toBeNull();
    expect((await s.json('/api/v1/audit?cursor=garbage', { headers: bearer(tokens.admin) })).status).toBe(400);
  });

  it('authorises the signal stream by header or ?access_token=', async () => {
    expect((await s.api('/api/v1/signals/stream')).status).toBe(401);
    const byQuery = await SseClient.connect(`${s.server.urls.api}/api/v1/signals/stream?access_token=${tokens.viewer}`);
    expect(byQuery.response.headers.get('content-type')).toContain('text/event-stream');
    byQuery.close();
    const byHeader = await SseClient.connect(`${s.server.urls.api}/api/v1/signals/stream`, bearer(tokens.viewer));
    byHeader.close();
    expect((await s.api(`/api/v1/signals/stream?access_token=${tokens.ingest}`)).status).toBe(403);
  });

  it('requires an ingest or admin token for OTLP/HTTP when --otlp-auth is on', async () => {
    const body = JSON.stringify(encodeJsonTraces(buildTrace('otlp-auth', [{ id: 'a', name: 'a', start: 0 }], Date.now())));
    const send = (headers: Record<string, string>) => fetch(`${s.server.urls.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const none = await send({});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 16 });
    expect((await send(bearer(tokens.viewer))).status).toBe(403);
    expect((await send(bearer(tokens.ingest))).status).toBe(200);
    expect((await send(bearer(ADMIN))).status).toBe(200);
    // The OpenTelemetry SDK exporter with headers, as OTEL_EXPORTER_OTLP_HEADERS sets them.
    await sendWithSdk(new JsonExporter({ url: `${s.server.urls.otlpHttp}/v1/traces`, headers: bearer(tokens.ingest) }), 'sdk-http-span');
    await waitFor('the SDK span', async () => (await s.json('/api/v1/traces?name=sdk-http-span', { headers: bearer(tokens.viewer) })).body.traces.length > 0);
  });

  it('requires a token in gRPC metadata when --otlp-auth is on', async () => {
    const exportRaw = (metadata: grpc.Metadata): Promise<grpc.ServiceError | null> => new Promise((resolve) => {
      const client = new TraceServiceClient(`127.0.0.1:${s.server.ports.otlpGrpc}`, grpc.credentials.createInsecure());
      const body = Buffer.from(encodeProtobufTraces(buildTrace('grpc-auth', [{ id: 'a', name: 'a', start: 0 }], Date.now())));
      (client as unknown as { Export: (b: Buffer, m: grpc.Metadata, cb: (e: grpc.ServiceError | null) => void) => void }).Export(body, metadata, (error) => {
        client.close();
        resolve(error);
      });
    });
    const refused = (await exportRaw(new grpc.Metadata()))!;
    const viewerMetadata = new grpc.Metadata();
    viewerMetadata.set('authorization', `Bearer ${tokens.viewer}`);
    expect((await exportRaw(viewerMetadata))?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused.code).toBe(grpc.status.UNAUTHENTICATED);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${tokens.ingest}`);
    await sendWithSdk(new GrpcExporter({ url: s.server.urls.otlpGrpc, metadata }), 'sdk-grpc-span');
    await waitFor('the gRPC span', async () => (await s.json('/api/v1/traces?name=sdk-grpc-span', { headers: bearer(tokens.viewer) })).body.traces.length > 0);
  });

  it('revokes tokens: at once through the API, audited', async () => {
    expect((await s.json('/api/v1/rules', { headers: bearer(tokens.editor) })).status).toBe(200);
    const revoked = await s.json(`/api/v1/tokens/${ids.editor}`, { method: 'DELETE', headers: bearer(tokens.admin) });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(Number));
    const after = await s.json('/api/v1/rules', { headers: bearer(tokens.editor) });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain('revoked');
    expect((await s.json('/api/v1/tokens/tok_missing', { method: 'DELETE', headers: bearer(tokens.admin) })).status).toBe(404);
    const audit = await s.json(`/api/v1/audit?target=token:${ids.editor}`, { headers: bearer(tokens.admin) });
    expect(audit.body.entries.map((e: { action: string; actor: string }) => `${e.actor}:${e.action}`)).toEqual(['admin-bot:token.revoke', 'admin:token.create']);
  });

  it('validates token requests with field details', async () => {
    const res = await s.json('/api/v1/tokens', { method: 'POST', headers: bearer(ADMIN), body: { name: '<script>', role: 'root', extra: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['extra', 'name', 'role']);
  });
});

describe('auth modes and exposure', () => {
  it('auto mode: open without tokens, locked once the first token is created', async () => {
    const s = await startTestServer();
    try {
      expect((await s.api('/api/v1/rules')).status).toBe(200);
      const created = await s.json('/api/v1/tokens', { method: 'POST', body: { name: 'first', role: 'admin' } });
      expect(created.status).toBe(201);
      expect((await s.api('/api/v1/rules')).status).toBe(401);
      expect((await s.api('/api/v1/rules', { headers: bearer(created.body.token) })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('takes the OTLP token from a configured header, over HTTP and gRPC', async () => {
    const s = await startTestServer({ adminToken: ADMIN, otlpAuth: true, otlpAuthHeader: 'x-fluo-token' });
    try {
      const body = JSON.stringify(encodeJsonTraces(buildTrace('custom-header', [{ id: 'a', name: 'a', start: 0 }], Date.now())));
      const send = (headers: Record<string, string>) => fetch(`${s.server.urls.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect((await send({ 'x-fluo-token': ADMIN })).status).toBe(200);
      expect((await send({ 'x-fluo-token': `Bearer ${ADMIN}` })).status).toBe(200);
      expect((await send(bearer(ADMIN))).status).toBe(401);
      const metadata = new grpc.Metadata();
      metadata.set('x-fluo-token', ADMIN);
      await sendWithSdk(new GrpcExporter({ url: s.server.urls.otlpGrpc, metadata }), 'custom-header-grpc');
      await waitFor('the gRPC span', async () => (await s.json('/api/v1/traces?name=custom-header-grpc', { headers: bearer(ADMIN) })).body.traces.length > 0);
    } finally {
      await s.close();
    }
  });

  it('auth off: open, and callers act as anonymous', async () => {
    const s = await startTestServer({ auth: 'off', adminToken: ADMIN });
    try {
      expect((await s.api('/api/v1/tokens')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('auth on without tokens: everything but the probes is refused', async () => {
    const s = await startTestServer({ auth: 'on' });
    try {
      expect((await s.api('/api/v1/rules')).status).toBe(401);
      expect((await s.api('/healthz')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('warns loudly when listening on a non-loopback address without auth, and not on localhost', async () => {
    const start = async (overrides: Parameters<typeof testConfig>[1]): Promise<string[]> => {
      const lines: string[] = [];
      const dir = tempDir('exposure');
      const server = await startServer(testConfig(dir, overrides), { log: createLogger('warn', (line) => { lines.push(line); }) });
      await server.close();
      return lines;
    };
    const open = await start({ host: '0.0.0.0' });
    expect(open.join('')).toMatch(/WARNING: FLUO listens on 0\.0\.0\.0, which other machines can reach, WITHOUT AUTHENTICATION/);
    expect(open.join('')).toMatch(/--otlp-auth/);
    const secured = await start({ host: '0.0.0.0', adminToken: ADMIN, otlpAuth: true });
    expect(secured.join('')).not.toMatch(/WITHOUT AUTHENTICATION/);
    expect(secured.join('')).not.toMatch(/accepts spans from anyone/);
    expect(await start({ host: '127.0.0.1' })).toEqual([]);
  });

  it('reads the bootstrap admin token from a file and refuses a short one', async () => {
    const dir = tempDir('admin-file');
    const file = path.join(dir, 'admin-token');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `${ADMIN}\n`);
    const s = await startTestServer({ adminTokenFile: file });
    try {
      expect((await s.api('/api/v1/tokens')).status).toBe(401);
      expect((await s.api('/api/v1/tokens', { headers: bearer(ADMIN) })).status).toBe(200);
    } finally {
      await s.close();
    }
    writeFileSync(file, 'short\n');
    await expect(startServer(testConfig(tempDir('admin-file-bad'), { adminTokenFile: file }))).rejects.toThrow(/at least 32 characters/);
    expect(readFileSync(file, 'utf8')).toBe('short\n');
  });
});
