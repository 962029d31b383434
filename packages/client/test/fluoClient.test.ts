/**
 * @fluohq/fluo against a real FLUO server: the seed's snippet run as a user
 * runs it (CommonJS require and ESM import, in a child process), spans sent
 * by the real OpenTelemetry SDK through `fluoClient.traceExporter()`,
 * reconnection across a server restart, API errors and cancellation.
 * Needs the build (npm run build; `npm test` does it): the tests load the
 * package as published, through its exports map.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Fluo, FluoApiError, type Signal, type SignalData } from '@fluohq/fluo';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestServer, tempDir, waitFor, type TestServer } from '../../server/src/testing/testServer.testkit.js';
import { HttpReceiver } from '../../server/src/notify/httpReceiver.testkit.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../../..');
const SEED_LINES = [
  "const fluoClient = new Fluo({ url: 'http://localhost:3000' });",
  'fluoClient.on(\'data\', (data) => { const span = data.span; });',
];
// Inside the repository, so that '@fluohq/fluo' resolves through node_modules like in an app.
const scratch = path.join(REPO, '.test-output');
mkdirSync(scratch, { recursive: true });
const work = mkdtempSync(path.join(scratch, 'client-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(overrides = {}, dataDir?: string): Promise<TestServer> {
  const s = await startTestServer(overrides, dataDir);
  cleanups.push(() => s.close());
  return s;
}

async function createMarkerRule(s: TestServer, id: string, spanName: string, severity = 'warning'): Promise<void> {
  const res = await s.json('/api/v1/rules', { method: 'POST', body: { id, name: id, severity, dsl: `trace.has(span => span.name === '${spanName}')` } });
  expect(res.status).toBe(201);
}

/** A real OpenTelemetry SDK provider exporting to FLUO. */
function tracerProvider(exporter: SpanExporter, service = 'checkout'): BasicTracerProvider {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  cleanups.push(() => provider.shutdown());
  return provider;
}

/** Sends one trace: a root span and a child named `name`; resolves to the child's ids. */
async function sendTrace(provider: BasicTracerProvider, name: string): Promise<{ traceId: string; spanId: string }> {
  const tracer = provider.getTracer('fluo-client-test');
  const root = tracer.startSpan('POST /checkout', { kind: 1 });
  const child = tracer.startSpan(name, { attributes: { 'order.id': 'o-1' } }, trace.setSpan(context.active(), root));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  child.end();
  root.end();
  await provider.forceFlush();
  return { traceId: child.spanContext().traceId, spanId: child.spanContext().spanId };
}

function runSnippet(file: string, apiUrl: string): { lines: AsyncIterableIterator<string>; exited: Promise<number | null>; stderr: () => string } {
  const source = readFileSync(path.join(HERE, 'fixtures', file), 'utf8');
  for (const line of SEED_LINES) expect(source).toContain(line);
  // The one change: the address of the server this test started (the snippet says localhost:3000).
  const target = path.join(work, file);
  writeFileSync(target, source.replace("'http://localhost:3000'", `'${apiUrl}'`));
  const child = spawn(process.execPath, [target], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), exited, stderr: () => stderr };
}

async function nextLine(lines: AsyncIterableIterator<string>, stderr: () => string): Promise<any> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no output from the snippet; stderr: ${stderr()}`)), 20_000));
  const next = await Promise.race([lines.next(), timeout]);
  if (next.done) throw new Error(`the snippet exited; stderr: ${stderr()}`);
  return JSON.parse(next.value);
}

describe('the seed snippet', () => {
  for (const file of ['seed-snippet.cjs', 'seed-snippet.mjs']) {
    it(`${file}: receives a data event with the witness span of a signal raised by spans from the OpenTelemetry SDK`, async () => {
      const s = await server();
      await createMarkerRule(s, 'declined-card', 'payment.charge');
      const snippet = runSnippet(file, s.server.urls.api);
      expect(await nextLine(snippet.lines, snippet.stderr)).toEqual({ connected: true });

      const client = new Fluo({ url: s.server.urls.api });
      cleanups.push(() => client.close());
      const provider = tracerProvider(client.traceExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` }));
      const sent = await sendTrace(provider, 'payment.charge');

      const got = await nextLine(snippet.lines, snippet.stderr);
      expect(got.signal.ruleId).toBe('declined-card');
      expect(got.signal.traceId).toBe(sent.traceId);
      expect(got.span).toMatchObject({ spanId: sent.spanId, traceId: sent.traceId, name: 'payment.charge', service: 'checkout', status: 'ERROR', statusMessage: 'card declined' });
      expect(got.span.attributes['order.id']).toBe('o-1');
      expect(got.spans.map((sp: { spanId: string }) => sp.spanId)).toEqual([sent.spanId]);
      // close() in the data handler lets the process end.
      expect(await snippet.exited).toBe(0);
    });
  }
});

describe('the signal stream', () => {
  it('resumes after a server restart: signals raised before, during and after the outage arrive once each, in order', async () => {
    const dataDir = tempDir('client-restart');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestServer({}, dataDir);
    const ports = { port: Number(new URL(first.server.urls.api).port), otlpHttpPort: Number(new URL(first.server.urls.otlpHttp).port), otlpGrpcPort: Number(new URL(first.server.urls.otlpGrpc).port) };
    await createMarkerRule(first, 'marker', 'marker');
    let current = first;
    cleanups.push(() => current.close({ keepData: true }));

    // Holds stream reconnections while closed, so that signals are provably raised while the client is away.
    let gate: Promise<void> = Promise.resolve();
    let openGate = (): void => {};
    const gatedFetch: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/signals/stream')) await gate;
      return fetch(input, init);
    };
    const client = new Fluo({ url: first.server.urls.api, fetch: gatedFetch, reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
    cleanups.push(() => client.close());
    const received: SignalData[] = [];
    const events: string[] = [];
    client.on('data', (d) => received.push(d));
    client.on('connected', (e) => events.push(`connected:${e.lastEventId}`));
    client.on('disconnected', () => events.push('disconnected'));
    client.on('error', () => {});
    await waitFor('the first connection', () => events.includes('connected:'));

    const otlp = (s: TestServer) => tracerProvider(new OTLPTraceExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` }));
    const sent: string[] = [];
    const sendMarker = async (s: TestServer): Promise<void> => { sent.push((await sendTrace(otlp(s), 'marker')).traceId); };

    await sendMarker(first);
    await sendMarker(first);
    await waitFor('the signals before the restart', () => received.length === 2);

    gate = new Promise((resolve) => { openGate = resolve; });
    await first.close({ keepData: true });
    await waitFor('the client to notice', () => events.includes('disconnected'));
    current = await startTestServer(ports, dataDir);
    await sendMarker(current);
    await sendMarker(current);
    await waitFor('the signals raised during the outage to be stored', async () => (await current.json('/api/v1/signals')).body.signals.length === 4);
    expect(received).toHaveLength(2);
    openGate();
    await waitFor('the signals of the outage', () => received.length === 4);
    await sendMarker(current);
    await sendMarker(current);
    await waitFor('the signals after the restart', () => received.length === 6);

    const stored = (await current.json('/api/v1/signals')).body.signals as Signal[];
    expect(received.map((d) => d.signal.traceId)).toEqual(sent);
    expect(received.map((d) => d.signal.seq)).toEqual(stored.map((s) => s.seq).reverse());
    expect(new Set(received.map((d) => d.signal.id)).size).toBe(6);
    for (const d of received) expect(d.span?.name).toBe('marker');
    expect(events.filter((e) => e.startsWith('connected:')).at(-1)).toBe(`connected:${received[1].signal.seq}`);
    expect(client.lastEventId).toBe(String(received[5].signal.seq));
  });

  it('applies the filter and starts only when a signal or data listener is added', async () => {
    const s = await server();
    await createMarkerRule(s, 'info-rule', 'info.span', 'info');
    await createMarkerRule(s, 'critical-rule', 'critical.span', 'critical');
    let streamRequests = 0;
    const countingFetch: typeof fetch = (input, init) => {
      if (String(input).endsWith('/signals/stream')) streamRequests++;
      return fetch(input, init);
    };
    const client = new Fluo({ url: s.server.urls.api, fetch: countingFetch, filter: { severities: ['critical'] } });
    cleanups.push(() => client.close());
    const connected = new Promise((resolve) => client.once('connected', resolve));
    await client.rules.list();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(streamRequests).toBe(0);
    const got: Signal[] = [];
    client.on('signal', (sig) => got.push(sig));
    await connected;
    expect(streamRequests).toBe(1);
    const provider = tracerProvider(client.traceExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` }));
    await sendTrace(provider, 'info.span');
    await sendTrace(provider, 'critical.span');
    await waitFor('the critical signal', () => got.length === 1);
    await waitFor('both signals stored', async () => (await s.json('/api/v1/signals')).body.signals.length === 2);
    // The info signal was before the critical one in the stream and was left out, not delayed.
    await waitFor('the position past both', () => client.lastEventId === '2');
    expect(got.map((g) => g.ruleId)).toEqual(['critical-rule']);
  });
});

describe('the REST methods', () => {
  it('create, read, update, test and delete rules; read and update signals and traces', async () => {
    const s = await server();
    const client = new Fluo({ url: s.server.urls.api });
    cleanups.push(() => client.close());
    const rule = await client.rules.create({ name: 'Charge failed', severity: 'critical', dsl: "trace.has(span => span.name === 'payment.charge')" });
    expect(rule).toMatchObject({ id: 'charge-failed', version: 1, source: 'api', enabled: true });
    expect((await client.rules.list()).rules.map((r) => r.id)).toEqual(['charge-failed']);
    expect(await client.rules.get('charge-failed')).toEqual(rule);
    const updated = await client.rules.update('charge-failed', { severity: 'warning', version: 1 });
    expect(updated).toMatchObject({ severity: 'warning', version: 2 });
    expect(await client.rules.validate("trace.has(span => span.name === 'x')")).toEqual({ ok: true, errors: [] });
    const invalid = await client.rules.validate('trace.has(span => ');
    expect(invalid.ok).toBe(false);
    expect(invalid.errors[0]).toMatchObject({ line: 1 });

    const provider = tracerProvider(client.traceExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` }));
    const sent = await sendTrace(provider, 'payment.charge');
    const page = await waitFor('the signal', async () => { const p = await client.signals.list({ ruleId: 'charge-failed' }); return p.signals.length === 1 && p; });
    const tested = await waitFor('the kept trace', async () => { const t = await client.rules.test({ ruleId: 'charge-failed' }); return t.matched === 1 && t; });
    expect(tested.traces[0]).toMatchObject({ traceId: sent.traceId, witnesses: [sent.spanId] });
    const detail = await client.signals.get(page.signals[0].id);
    expect(detail.evidence.spans.map((sp) => sp.name)).toContain('payment.charge');
    const acked = await client.signals.update(detail.id, { status: 'acknowledged', note: 'looking', by: 'sre' });
    expect(acked.history.at(-1)).toMatchObject({ from: 'open', to: 'acknowledged', by: 'sre', note: 'looking' });
    const all = [];
    for await (const sig of client.signals.iterate({ limit: 1 })) all.push(sig.id);
    expect(all).toEqual([detail.id]);
    const trace = await client.traces.get(sent.traceId);
    expect(trace).toMatchObject({ traceId: sent.traceId, spanCount: 2, state: 'complete' });
    const listed = await client.traces.list({ spanName: 'payment.charge', limit: 10 });
    expect(listed.traces.map((t) => t.traceId)).toEqual([sent.traceId]);
    expect(listed.nextCursor).toBeNull();
    expect((await client.traces.list({ spanName: 'no.such.span' })).traces).toEqual([]);

    await client.rules.delete('charge-failed');
    expect((await client.rules.list()).rules).toEqual([]);
  });

  it('rule versions and precision, bulk status changes, and the notification outbox', async () => {
    const s = await server();
    // A real webhook receiver: the channel's notifications are delivered to it.
    const hook = await HttpReceiver.start();
    cleanups.push(() => hook.close());
    const client = new Fluo({ url: s.server.urls.api });
    cleanups.push(() => client.close());
    expect((await client.notifications.channels.types()).map((t) => t.type)).toContain('webhook');
    const channel = await client.notifications.channels.create({ id: 'team-hook', type: 'webhook', settings: { url: `${hook.url}/fluo`, secret: 'a-long-random-secret' }, match: {} });
    expect(channel).toMatchObject({ id: 'team-hook', type: 'webhook', source: 'api', secretsSet: ['secret'], version: 1 });
    expect(channel.settings).not.toHaveProperty('secret');
    expect((await client.notifications.channels.list()).map((ch) => ch.id)).toEqual(['team-hook']);
    const tested = await client.notifications.channels.test('team-hook', 'hello from the client test');
    expect(tested).toMatchObject({ channelId: 'team-hook', outcome: 'delivered' });
    expect(hook.requests.some((r) => r.text.includes('hello from the client test'))).toBe(true);
    // Replaced without the secret: the stored secret is kept.
    const replaced = await client.notifications.channels.replace('team-hook', { type: 'webhook', name: 'Team hook', settings: { url: `${hook.url}/fluo` }, match: {}, version: 1 });
    expect(replaced).toMatchObject({ name: 'Team hook', version: 2, secretsSet: ['secret'] });
    await expect(client.notifications.channels.replace('team-hook', { type: 'webhook', settings: { url: `${hook.url}/fluo` }, version: 1 })).rejects.toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(await client.notifications.channels.get('team-hook')).toMatchObject({ name: 'Team hook' });
    await client.notifications.channels.create({ id: 'spare', type: 'webhook', settings: { url: `${hook.url}/spare` } });
    await client.notifications.channels.delete('spare');
    await expect(client.notifications.channels.get('spare')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });

    await client.rules.create({ id: 'charge-declined', name: 'Charge declined', severity: 'warning', dsl: "trace.has(span => span.name === 'payment.charge' && span.status === 'ERROR')" });
    await client.rules.update('charge-declined', { severity: 'critical', version: 1 });
    const versions = await client.rules.versions('charge-declined');
    expect(versions.ruleId).toBe('charge-declined');
    expect(versions.versions.map((v) => [v.version, v.severity])).toEqual([[2, 'critical'], [1, 'warning']]);
    expect(versions.versions[0].dsl).toContain("span.status === 'ERROR'");

    const provider = tracerProvider(client.traceExporter({ url: `${s.server.urls.otlpHttp}/v1/traces` }));
    for (let i = 0; i < 3; i++) await sendTrace(provider, 'payment.charge');
    const ids = await waitFor('three signals', async () => { const p = await client.signals.list({ ruleId: 'charge-declined' }); return p.signals.length === 3 && p.signals.map((sig) => sig.id); });
    expect((await client.signals.get(ids[0])).ruleVersion).toBe(2);

    const resolved = await client.signals.updateMany(ids.slice(0, 2), { status: 'resolved', note: 'card issuer outage', by: 'sre' });
    expect(resolved).toEqual({ changed: 2, failed: 0, results: ids.slice(0, 2).map((id) => ({ id, ok: true, status: 'resolved' })) });
    const mixed = await client.signals.updateMany([ids[2], 'no-such-signal'], { status: 'false_positive', note: 'test card', by: 'sre' });
    expect(mixed).toMatchObject({ changed: 1, failed: 1, results: [{ id: ids[2], ok: true, status: 'false_positive' }, { id: 'no-such-signal', ok: false, error: { code: 'NOT_FOUND' } }] });
    expect((await client.signals.get(ids[0])).history.at(-1)).toMatchObject({ from: 'open', to: 'resolved', by: 'sre', note: 'card issuer outage' });
    await expect(client.signals.updateMany([], { status: 'resolved' })).rejects.toMatchObject({ code: 'VALIDATION', status: 400 });

    const precision = await client.rules.precision('charge-declined', { bucket: '1h' });
    expect(precision).toMatchObject({ ruleId: 'charge-declined', ruleVersion: 2, truePositives: 2, falsePositives: 1, bucketMs: 3_600_000, truncated: false });
    expect(precision.precision).toBeCloseTo(2 / 3);
    expect(precision.interval![0]).toBeLessThan(2 / 3);
    expect(precision.interval![1]).toBeGreaterThan(2 / 3);
    expect(precision.byVersion).toMatchObject([{ version: 2, truePositives: 2, falsePositives: 1 }]);
    expect(precision.falsePositiveReasons).toEqual([{ reason: 'test card', count: 1 }]);
    await expect(client.rules.precision('no-such-rule')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });

    // Each signal's trigger is delivered to the webhook, and the outbox says so.
    const triggers = await waitFor('the three triggers delivered', async () => {
      const page = await client.notifications.list({ channelId: 'team-hook', kind: 'trigger', status: 'delivered' });
      return page.notifications.length === 3 && page.notifications;
    });
    expect(new Set(triggers.map((n) => n.signalId))).toEqual(new Set(ids));
    expect(triggers.every((n) => n.ruleId === 'charge-declined' && n.attempts >= 1 && n.deliveredAt !== null)).toBe(true);
    const delivered = hook.requests.map((r) => JSON.parse(r.text) as { kind: string; signal: { id: string } }).filter((b) => b.kind === 'trigger');
    expect(new Set(delivered.map((b) => b.signal.id))).toEqual(new Set(ids));
    const first = await client.notifications.list({ channelId: 'team-hook', limit: 1 });
    expect(first.notifications).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const rest = await client.notifications.list({ channelId: 'team-hook', limit: 1000, cursor: first.nextCursor! });
    expect(rest.notifications.every((n) => n.n < first.notifications[0].n)).toBe(true);
    await expect(client.notifications.list({ status: 'lost' as never })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('throws FluoApiError with the server code, message, status and details', async () => {
    const s = await server();
    const client = new Fluo({ url: s.server.urls.api });
    cleanups.push(() => client.close());
    const caught = async (p: Promise<unknown>): Promise<FluoApiError> => {
      const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
      expect(err).toBeInstanceOf(FluoApiError);
      return err as FluoApiError;
    };
    expect(await caught(client.rules.get('missing'))).toMatchObject({ code: 'NOT_FOUND', status: 404, message: "no rule with id 'missing'", retryable: false });
    const compile = await caught(client.rules.create({ name: 'bad', severity: 'info', dsl: "trace.has(span => span.name === 'a'" }));
    expect(compile).toMatchObject({ code: 'RULE_COMPILE', status: 400 });
    expect(compile.details).toMatchObject({ line: 1 });
    await client.rules.create({ id: 'dup', name: 'dup', severity: 'info', dsl: "trace.has(span => span.name === 'a')" });
    expect(await caught(client.rules.create({ id: 'dup', name: 'dup', severity: 'info', dsl: "trace.has(span => span.name === 'a')" }))).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(await caught(client.rules.update('dup', { name: 'x', version: 7 }))).toMatchObject({ code: 'CONFLICT', status: 409 });
    const status = await caught(client.signals.update('nope', { status: 'closed' as never }));
    expect(status).toMatchObject({ code: 'VALIDATION', status: 400 });
    expect(status.details).toEqual([{ field: 'status', message: expect.stringContaining('open, acknowledged') }]);
    expect(await caught(client.traces.get('not-a-trace-id'))).toMatchObject({ code: 'VALIDATION', status: 400 });
    expect((await caught(client.signals.list({ severity: 'loud' as never }))).code).toBe('VALIDATION');

    const closedPort = new Fluo({ url: 'http://127.0.0.1:9' });
    expect(await caught(closedPort.rules.list())).toMatchObject({ code: 'UNREACHABLE', status: 0, retryable: true });
    expect(() => new Fluo({ url: 'localhost:3000/x y' })).toThrow(/not a URL|http or https/);
  });

  it('cancels: a per-call AbortSignal, and the client AbortSignal that closes everything', async () => {
    const s = await server();
    const perCall = new AbortController();
    const client = new Fluo({ url: s.server.urls.api });
    cleanups.push(() => client.close());
    perCall.abort(new Error('user went away'));
    await expect(client.rules.list({ signal: perCall.signal })).rejects.toThrow('user went away');
    expect((await client.rules.list()).rules).toEqual([]);

    const lifetime = new AbortController();
    const owned = new Fluo({ url: s.server.urls.api, signal: lifetime.signal });
    const events: string[] = [];
    owned.on('connected', () => events.push('connected'));
    owned.on('signal', () => events.push('signal'));
    await waitFor('the stream', () => events.includes('connected'));
    lifetime.abort();
    expect(owned.isClosed).toBe(true);
    await owned.close();
    await owned.close();
    await expect(owned.rules.list()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('traceExporter', () => {
  it('says which package to install when the optional exporter is missing', () => {
    // The package as installed in an app that lacks the peer dependency (outside this repository's node_modules).
    const app = mkdtempSync(path.join(tmpdir(), 'fluo-client-app-'));
    cleanups.push(() => rmSync(app, { recursive: true, force: true }));
    const pkg = path.join(app, 'node_modules', '@fluohq', 'fluo');
    mkdirSync(pkg, { recursive: true });
    cpSync(path.join(REPO, 'packages', 'client', 'package.json'), path.join(pkg, 'package.json'));
    cpSync(path.join(REPO, 'packages', 'client', 'dist'), path.join(pkg, 'dist'), { recursive: true });
    const script = "const { Fluo } = require('@fluohq/fluo'); const c = new Fluo({ url: 'http://localhost:3000' }); try { c.traceExporter(); console.log('no error'); } catch (e) { console.log(e.message); }";
    const cjs = execFileSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8' });
    expect(cjs).toContain("needs the package @opentelemetry/exporter-trace-otlp-proto: run 'npm install @opentelemetry/exporter-trace-otlp-proto");
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', script.replace("const { Fluo } = require('@fluohq/fluo');", "import { Fluo } from '@fluohq/fluo';")], { cwd: app, encoding: 'utf8' });
    expect(esm).toContain('needs the package @opentelemetry/exporter-trace-otlp-proto');
    // And the REST part works without it.
    expect(execFileSync(process.execPath, ['-e', "const { Fluo } = require('@fluohq/fluo'); console.log(typeof new Fluo({ url: 'http://localhost:3000' }).rules.list)"], { cwd: app, encoding: 'utf8' }).trim()).toBe('function');
  });
});
