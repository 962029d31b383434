/**
 * Scale-out, as users run it: three `fluo serve` processes (the real CLI)
 * on one real PostgreSQL, with spans split among them by trace id exactly as
 * the OpenTelemetry Collector's loadbalancing exporter splits them
 * (bench/traceIdRing.mjs). A rule created through one instance must fire on
 * traces that the others receive, every signal must be stored once, an
 * SSE stream on one instance must carry the signals stored by all of them,
 * a webhook channel configured on all three must receive each signal
 * exactly once, across a time the receiver answers 503 and the retries are
 * claimed by whichever instance polls first, and a channel made through the
 * API of one instance must be used by all.
 * Needs the build (npm run build; `npm test` does it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTrace, encodeProtobufTraces, hexId, type Span } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../server/src/testing/postgresServer.testkit.js';
import { SseClient, waitFor } from '../../server/src/testing/testServer.testkit.js';
import { HttpReceiver } from '../../server/src/notify/httpReceiver.testkit.js';
// @ts-expect-error -- a plain ESM module shared with bench/scale-out.mjs
import { TraceIdRing } from '../../../bench/traceIdRing.mjs';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/fluo.js');
const root = mkdtempSync(path.join(tmpdir(), 'fluo-scale-out-'));

interface Instance {
  name: string;
  child: ChildProcessWithoutNullStreams;
  api: string;
  otlpHttp: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUO_') && !k.startsWith('PG')) env[k] = v;
  return env;
}

async function startInstance(name: string, storeUrl: string, configFile: string): Promise<Instance> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--config', configFile,
    '--data-dir', path.join(root, name), '--store', storeUrl, '--idle-timeout', '300ms', '--log-level', 'info'], { env: cleanEnv(), cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const m = await waitFor(`${name} to listen`, () => {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
    return /^fluo: listening api=(\S+) otlp-http=(\S+) otlp-grpc=(\S+)$/m.exec(stdout);
  }, 30_000);
  return { name, child, api: m[1], otlpHttp: m[2], stderr: () => stderr, exited };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(url: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function sendSpans(instance: Instance, spans: Span[]): Promise<void> {
  const res = await fetch(`${instance.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeProtobufTraces(spans) });
  if (res.status !== 200) throw new Error(`${instance.name} answered ${res.status}: ${await res.text()}`);
}

/** A checkout: fires the rule below unless it has a fraud check. */
function checkout(n: number, withFraudCheck: boolean): Span[] {
  return buildTrace(`checkout-${n}`, [
    { id: 'r', name: 'POST /checkout', service: 'shop', start: 0, duration: 40 },
    { id: 'p', name: 'payment.charge', parent: 'r', service: 'payments', start: 5, duration: 20, attributes: { 'payment.amount': 100 + n } },
    ...(withFraudCheck ? [{ id: 'f', name: 'fraud.check', parent: 'r', service: 'risk', start: 2, duration: 2 }] : []),
  ], Date.now());
}

/** A refund issued by a service that forgot the approval: fires the notified rule below. */
function refund(n: number): Span[] {
  return buildTrace(`refund-${n}`, [
    { id: 'r', name: 'POST /refund', service: 'shop', start: 0, duration: 30 },
    { id: 'i', name: 'refund.issue', parent: 'r', service: 'payments', start: 5, duration: 10 },
  ], Date.now());
}

const NOTIFIED_RULE = 'refund-issued';

let pg: PostgresServer;
let instances: Instance[] = [];
let receiver: HttpReceiver;
/** Until set, the webhook receiver answers 503 (down for maintenance). */
let receiverUp = false;
/** Every webhook request's idempotency key and the status it was answered with. */
const answers: Array<{ path: string; key: string; status: number }> = [];

beforeAll(async () => {
  pg = await startPostgres();
  const url = await pg.createDatabase('scale_out');
  receiver = await HttpReceiver.start();
  receiver.respond = (request) => {
    const status = receiverUp ? 200 : 503;
    answers.push({ path: request.path, key: String(request.headers['x-fluo-idempotency-key']), status });
    return status === 200
      ? { status, headers: { 'content-type': 'application/json' }, body: '{}' }
      : { status, headers: { 'content-type': 'text/plain' }, body: 'down for maintenance' };
  };
  // The same file on every instance, as a Deployment would mount it: one webhook channel for the notified rule, fast retries.
  const configFile = path.join(root, 'fluo.yaml');
  writeFileSync(configFile, JSON.stringify({
    notifications: {
      retryInitialDelay: '100ms', maxRetryDelay: '400ms', pollInterval: '200ms',
      channels: [{ id: 'ops-hook', type: 'webhook', settings: { url: `${receiver.url}/hook` }, match: { rules: [NOTIFIED_RULE] }, throttle: null }],
    },
  }));
  // Started together on an empty database: the schema migration must be taken by exactly one of them.
  instances = await Promise.all(['fluo-0', 'fluo-1', 'fluo-2'].map((name) => startInstance(name, url, configFile)));
});

afterAll(async () => {
  for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
  await receiver?.close();
  await pg?.close();
  rmSync(root, { recursive: true, force: true });
});

async function serveOutput(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', path.join(root, 'refused'), ...args], { env: cleanEnv(), cwd: root });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stderr };
}

describe('fluo serve --store postgres://', () => {
  it('refuses a bad URL (exit 2) and an unreachable server (exit 1), saying why without the password', async () => {
    const bad = await serveOutput(['--store', 'postgres://fluo:hunter2@db.example/']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--store: store 'postgres://fluo:***@db.example/' names no database");
    const down = await serveOutput(['--store', 'postgres://fluo:hunter2@127.0.0.1:1/fluo', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot start: cannot open the PostgreSQL store postgres://fluo:***@127.0.0.1:1/fluo: connect ECONNREFUSED');
    expect(bad.stderr + down.stderr).not.toContain('hunter2');
  });
});

describe('three FLUO instances on one PostgreSQL behind trace-id routing', () => {
  it('applies a rule created on one instance to traces received by all, storing and streaming each signal once', async () => {
    const [first, second, third] = instances;
    const stream = await SseClient.connect(`${third.api}/api/v1/signals/stream`);

    const rule = {
      id: 'charge-without-fraud-check', name: 'Charge without fraud check', severity: 'critical',
      dsl: "trace.has(span => span.name === 'payment.charge').and(trace.missing(span => span.name === 'fraud.check'))",
    };
    expect((await json(`${first.api}/api/v1/rules`, { method: 'POST', body: rule })).status).toBe(201);
    for (const other of [second, third]) {
      await waitFor(`${other.name} to apply the rule`, async () => (await json(`${other.api}/api/v1/rules/${rule.id}`)).status === 200);
    }

    // The Collector's ring over the three OTLP endpoints decides where each trace goes.
    const ring = new TraceIdRing(instances.map((i) => i.otlpHttp));
    const byEndpoint = new Map(instances.map((i) => [i.otlpHttp, i]));
    const traces = Array.from({ length: 60 }, (_, n) => ({ n, fires: n % 3 !== 0, spans: checkout(n, n % 3 === 0) }));
    const received = new Map<string, number>(instances.map((i) => [i.name, 0]));
    for (const { spans } of traces) {
      const target = byEndpoint.get(ring.endpointFor(spans[0].traceId))!;
      received.set(target.name, received.get(target.name)! + 1);
      // Span by span, as separate exports would deliver them.
      for (const span of spans) await sendSpans(target, [span]);
    }
    for (const [name, count] of received) expect(count, `traces routed to ${name}`).toBeGreaterThan(0);

    const firing = traces.filter((t) => t.fires).map((t) => t.spans[0].traceId).sort();
    const stored = await waitFor('every signal to be stored', async () => {
      const { body } = await json(`${second.api}/api/v1/signals?ruleId=${rule.id}&limit=1000`);
      return body.signals.length >= firing.length ? body.signals as Array<{ traceId: string; id: string; seq: number }> : undefined;
    }, 30_000);
    expect(stored.map((s) => s.traceId).sort()).toEqual(firing);
    expect(new Set(stored.map((s) => s.id)).size).toBe(firing.length);

    // The stream on the third instance carries the signals all three stored, in seq order, each once.
    const streamed: Array<{ id: string; seq: number }> = [];
    while (streamed.length < firing.length) {
      const { id, signal } = await stream.nextSignal(15_000);
      expect(Number(id)).toBe(signal.seq);
      streamed.push(signal);
    }
    stream.close();
    expect(streamed.map((s) => s.id).sort()).toEqual(stored.map((s) => s.id).sort());
    for (let i = 1; i < streamed.length; i++) expect(streamed[i].seq).toBeGreaterThan(streamed[i - 1].seq);
  });

  it('stores a signal once when a trace reaches two instances (a ring change mid-trace)', async () => {
    const [first, second, third] = instances;
    const spans = checkout(1000, false);
    const before = (await json(`${third.api}/api/v1/signals?ruleId=charge-without-fraud-check&limit=1000`)).body.signals.length;
    // Each instance sees the whole trace, as when a Collector retries to a new backend after a timeout.
    await sendSpans(first, spans);
    await sendSpans(second, spans);
    const traceId = spans[0].traceId;
    await waitFor('the signal of the duplicated trace', async () => {
      const { body } = await json(`${third.api}/api/v1/signals?ruleId=charge-without-fraud-check&limit=1000`);
      return body.signals.some((s: { traceId: string }) => s.traceId === traceId);
    }, 15_000);
    // Both instances have completed the trace (their buffers are empty again) before we count.
    for (const i of [first, second]) {
      await waitFor(`${i.name} to complete the trace`, async () => (await json(`${i.api}/api/v1/traces/${traceId}`)).body?.state === 'complete');
    }
    const after = (await json(`${third.api}/api/v1/signals?ruleId=charge-without-fraud-check&limit=1000`)).body.signals as Array<{ traceId: string }>;
    expect(after.length).toBe(before + 1);
    expect(after.filter((s) => s.traceId === traceId)).toHaveLength(1);
    // The kept trace is one row, merged from both deliveries.
    expect((await json(`${first.api}/api/v1/traces/${traceId}`)).body).toMatchObject({ state: 'complete', spanCount: 2 });
  });

  it('delivers each signal\'s webhook exactly once across the instances, retrying through a receiver that answers 503 for a while', async () => {
    const [first, second] = instances;
    const rule = { id: NOTIFIED_RULE, name: 'Refund issued', severity: 'warning', dsl: "trace.has(span => span.name === 'refund.issue')" };
    expect((await json(`${second.api}/api/v1/rules`, { method: 'POST', body: rule })).status).toBe(201);
    for (const other of instances) {
      await waitFor(`${other.name} to apply the rule`, async () => (await json(`${other.api}/api/v1/rules/${rule.id}`)).status === 200);
    }

    const ring = new TraceIdRing(instances.map((i) => i.otlpHttp));
    const byEndpoint = new Map(instances.map((i) => [i.otlpHttp, i]));
    const traces = Array.from({ length: 30 }, (_, n) => refund(n));
    const routed = new Set<string>();
    for (const spans of traces) {
      const target = byEndpoint.get(ring.endpointFor(spans[0].traceId))!;
      routed.add(target.name);
      await sendSpans(target, spans);
    }
    expect(routed.size).toBe(3);

    const signals = await waitFor('every refund signal to be stored', async () => {
      const { body } = await json(`${first.api}/api/v1/signals?ruleId=${rule.id}&limit=1000`);
      return body.signals.length >= traces.length ? body.signals as Array<{ id: string }> : undefined;
    }, 30_000);
    expect(signals).toHaveLength(traces.length);
    const expectedKeys = signals.map((s) => `${s.id}:ops-hook:trigger`).sort();

    // Down for a while: the instances' workers meet 503s and schedule retries, which any instance may claim. The rule's
    // notifications on the channel go one at a time in order, so the head one is retried while the others wait behind it.
    const REFUSALS = 12;
    await waitFor('the receiver to refuse deliveries for a while', () => answers.length >= REFUSALS, 30_000);
    receiverUp = true;
    await waitFor('every notification to be delivered', async () => {
      const { body } = await json(`${first.api}/api/v1/notifications?channelId=ops-hook&limit=1000`);
      return body.notifications.length === traces.length && body.notifications.every((n: { status: string }) => n.status === 'delivered');
    }, 60_000);

    // Every row is delivered, so no instance sends anything more: count what the receiver accepted, per idempotency key.
    const { body: listed } = await json(`${second.api}/api/v1/notifications?channelId=ops-hook&limit=1000`);
    expect(listed.notifications.map((n: { key: string }) => n.key).sort()).toEqual(expectedKeys);
    expect(listed.notifications.filter((n: { attempts: number }) => n.attempts > 1).length, 'notifications retried after a 503').toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(REFUSALS);
    const accepted = new Map<string, number>();
    for (const a of answers) if (a.status === 200) accepted.set(a.key, (accepted.get(a.key) ?? 0) + 1);
    expect([...accepted.keys()].sort()).toEqual(expectedKeys);
    expect([...accepted.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    // Refused attempts carried the keys of the rows they were for (retries are deduplicable).
    expect(answers.every((a) => expectedKeys.includes(a.key))).toBe(true);
  });

  it('routes signals raised on every instance to a channel made through the API of one, delivering each once', async () => {
    const [first] = instances;
    const created = await json(`${first.api}/api/v1/notifications/channels`, {
      method: 'POST', body: { id: 'api-hook', type: 'webhook', settings: { url: `${receiver.url}/api-hook` }, match: { rules: [NOTIFIED_RULE] }, throttle: null },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    for (const other of instances) {
      await waitFor(`${other.name} to know the channel`, async () => (await json(`${other.api}/api/v1/notifications/channels/api-hook`)).status === 200);
    }
    const ring = new TraceIdRing(instances.map((i) => i.otlpHttp));
    const byEndpoint = new Map(instances.map((i) => [i.otlpHttp, i]));
    const traces = Array.from({ length: 15 }, (_, n) => refund(100 + n));
    const routed = new Set<string>();
    for (const spans of traces) {
      const target = byEndpoint.get(ring.endpointFor(spans[0].traceId))!;
      routed.add(target.name);
      await sendSpans(target, spans);
    }
    expect(routed.size).toBe(3);
    const traceIds = new Set(traces.map((spans) => spans[0].traceId));
    const signals = await waitFor('the new refund signals', async () => {
      const { body } = await json(`${first.api}/api/v1/signals?ruleId=${NOTIFIED_RULE}&limit=1000`);
      const mine = (body.signals as Array<{ id: string; traceId: string }>).filter((s) => traceIds.has(s.traceId));
      return mine.length >= traces.length ? mine : undefined;
    }, 30_000);
    const expectedKeys = signals.map((s) => `${s.id}:api-hook:trigger`).sort();
    await waitFor('every api-hook notification to be delivered', async () => {
      const { body } = await json(`${first.api}/api/v1/notifications?channelId=api-hook&limit=1000`);
      return body.notifications.length === traces.length && body.notifications.every((n: { status: string }) => n.status === 'delivered');
    }, 60_000);
    const accepted = answers.filter((a) => a.path === '/api-hook' && a.status === 200).map((a) => a.key).sort();
    expect(accepted).toEqual(expectedKeys);
  });

  it('applies an edit and a deletion made on one instance everywhere, and stops cleanly', async () => {
    const [first, second, third] = instances;
    const patched = await json(`${second.api}/api/v1/rules/charge-without-fraud-check`, { method: 'PATCH', body: { enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ version: 2, enabled: false });
    for (const other of [first, third]) {
      await waitFor(`${other.name} to see version 2`, async () => (await json(`${other.api}/api/v1/rules/charge-without-fraud-check`)).body.version === 2);
    }
    // An edit based on the stale version is refused on every instance, not just the one that made the change.
    const stale = await json(`${third.api}/api/v1/rules/charge-without-fraud-check`, { method: 'PATCH', body: { version: 1, severity: 'info' } });
    expect(stale.status).toBe(409);

    // A rule deleted through one instance is gone from all.
    expect((await json(`${third.api}/api/v1/rules/charge-without-fraud-check`, { method: 'DELETE' })).status).toBe(204);
    for (const other of [first, second]) {
      await waitFor(`${other.name} to drop the rule`, async () => (await json(`${other.api}/api/v1/rules/charge-without-fraud-check`)).status === 404);
    }

    for (const i of instances) i.child.kill('SIGTERM');
    const codes = await Promise.all(instances.map((i) => i.exited));
    expect(codes, instances.map((i) => i.stderr()).join('\n')).toEqual([0, 0, 0]);
    expect(instances.map((i) => i.stderr()).join('\n')).toContain('rules changed through another instance');
  });
});
