/**
 * `fluo demo` as a user runs it: the real CLI in child processes, the real
 * OpenTelemetry SDK in the shop, a real FLUO. The demo records which trace
 * carried which incident (--record); FLUO's signals must match that ground
 * truth exactly: every incident raised its rules' signals (a correlated
 * rule's signal with the incident's key, listing only its traces), and
 * nothing else (clean traffic, near misses included) raised any.
 * Needs the build (npm run build; `npm test` does it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRuleFiles } from '@fluohq/server/rule-files';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/fluo.js');
const EXAMPLE_RULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/rules');
const exampleRuleCount = (await loadRuleFiles(EXAMPLE_RULES)).rules.length;
const root = mkdtempSync(path.join(tmpdir(), 'fluo-cli-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const children: Array<ReturnType<typeof run>> = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
});

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUO_')) env[k] = v;
  return env;
}

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(), cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const handle = { child, stdout: () => stdout, stderr: () => stderr, exited };
  children.push(handle);
  return handle;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false | null>, timeout = 30_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

async function all(api: string, kind: 'signals' | 'traces'): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page = await getJson(`${api}/api/v1/${kind}?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page[kind]);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

interface DemoRecord {
  incidents: Record<string, Array<{ traceIds: string[]; key?: string }>>;
  clean: string[];
  failedRequests: number;
  rules: Record<string, { ruleIds: string[]; correlatedRuleIds: string[] }>;
}

interface ApiSignal { id: string; ruleId: string; traceId: string; traceIds?: string[]; correlationKey?: string }

const CORRELATION_LATENESS_MS = 5_000;
/** The longest window of a correlated example rule that fires on an absence (checkout-abandoned-in-session). */
const ABSENCE_WINDOW_MS = 120_000;

describe('fluo demo', () => {
  // Bounded: 12 s of traffic, then the wait for the last checkout-abandoned window (2 min + lateness) to close.
  it('against a running FLUO: every injected incident raises its rule, clean traffic raises nothing', { timeout: 300_000 }, async () => {
    // The lateness is shorter than the 10 s default (the demo's spans arrive within a second) so that the test ends sooner.
    const serve = run(['serve', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--data-dir', path.join(root, 'data'), '--idle-timeout', '3s', '--correlation-lateness', `${CORRELATION_LATENESS_MS / 1000}s`, '--log-level', 'warn']);
    const [, api, otlpHttp] = await waitFor('fluo serve to listen', async () => /^fluo: listening api=(\S+) otlp-http=(\S+)/m.exec(serve.stdout()) ?? (serve.child.exitCode !== null ? Promise.reject(new Error(serve.stderr())) : undefined));
    const recordFile = path.join(root, 'record.json');
    const demo = run(['demo', '--url', api, '--otlp-url', `${otlpHttp}/v1/traces`, '--duration', '12s', '--rate', '25', '--incident-rate', '0.25', '--seed', '42', '--record', recordFile, '--summary-every', '4s']);
    expect(await demo.exited, demo.stderr()).toBe(0);
    const demoEnded = Date.now();
    expect(demo.stdout()).toContain(`created ${exampleRuleCount} example rules`);
    expect(demo.stdout()).toMatch(/^\[\d+s\] \d+ clean requests, \d+ incidents? injected/m);
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as DemoRecord;
    expect(record.failedRequests).toBe(0);
    const kinds = Object.keys(record.incidents);
    expect(kinds.sort()).toEqual(['auth-retry', 'card-testing', 'checkout-abandoned', 'login-retry-new-trace', 'payment-errors-per-user', 'payment-without-fraud-check', 'pii-without-audit', 'retry-storm', 'slow-payment-query']);
    for (const k of kinds) expect(record.incidents[k].length, k).toBeGreaterThan(0);
    expect(record.clean.length).toBeGreaterThan(100);
    const correlatedRules = new Set(kinds.flatMap((k) => record.rules[k].correlatedRuleIds));
    expect([...correlatedRules].sort()).toEqual(['card-testing-across-accounts', 'checkout-abandoned-in-session', 'login-retry-across-traces', 'payment-errors-per-user']);
    // Correlated incidents span several traces (a retry, five attempts, three accounts); each has the key its rule groups by.
    expect(record.incidents['login-retry-new-trace'].every((o) => o.traceIds.length === 2 && o.key?.endsWith('@example.com'))).toBe(true);
    expect(record.incidents['payment-errors-per-user'].every((o) => o.traceIds.length === 6 && o.key?.endsWith('@example.com'))).toBe(true);
    expect(record.incidents['card-testing'].every((o) => o.traceIds.length === 3 && o.key?.startsWith('fp_'))).toBe(true);
    expect(record.incidents['checkout-abandoned'].every((o) => o.traceIds.length === 1 && o.key?.startsWith('sess-'))).toBe(true);

    const traceKind = new Map<string, string>();
    for (const k of kinds) for (const o of record.incidents[k]) for (const t of o.traceIds) traceKind.set(t, k);
    for (const t of record.clean) traceKind.set(t, 'clean');
    // Every trace complete (stored) means every per-trace rule has been decided on it.
    await waitFor('every trace of the demo to complete', async () => (await all(api, 'traces')).length >= traceKind.size);
    const kept = await all(api, 'traces');
    expect(new Set(kept.map((t) => t.traceId))).toEqual(new Set(traceKind.keys()));
    expect(new Set(kept.flatMap((t) => t.services))).toEqual(new Set(['gateway', 'auth', 'payment', 'inventory', 'db', 'audit']));

    // One checkout is one trace across services: W3C trace context crossed every HTTP hop.
    const checkout = (await getJson(`${api}/api/v1/traces/${record.incidents['payment-without-fraud-check'][0].traceIds[0]}`)).spans as Array<{ spanId: string; parentSpanId: string | null; name: string; kind: string; service: string }>;
    expect(new Set(checkout.map((s) => s.service))).toEqual(new Set(['gateway', 'inventory', 'payment', 'db']));
    const byId = new Map(checkout.map((s) => [s.spanId, s]));
    const paymentServer = checkout.find((s) => s.service === 'payment' && s.kind === 'SERVER')!;
    expect(byId.get(paymentServer.parentSpanId!)).toMatchObject({ service: 'gateway', kind: 'CLIENT', name: 'POST /authorize' });
    expect(checkout.filter((s) => s.parentSpanId === null).map((s) => s.name)).toEqual(['POST /api/v2/checkout']);

    // Correlated rules: those looking for something present fire within the lateness after their window holds;
    // checkout-abandoned-in-session decides the absence when the window closes, 2 min + lateness after the
    // checkout started. Waiting past that for the last checkout of the run decides every window of clean traffic too.
    const expected: Array<{ kind: string; ruleId: string; key: string; traceIds: string[] }> = [];
    for (const k of kinds) for (const o of record.incidents[k]) for (const ruleId of record.rules[k].correlatedRuleIds) expected.push({ kind: k, ruleId, key: o.key!, traceIds: o.traceIds });
    const allDecided = demoEnded + ABSENCE_WINDOW_MS + CORRELATION_LATENESS_MS + 3_000;
    await waitFor('every correlated incident to raise its signal and every window of the run to close', async () => {
      if (Date.now() <= allDecided) return false;
      const signals = (await all(api, 'signals')) as ApiSignal[];
      return expected.every((e) => signals.some((s) => s.ruleId === e.ruleId && s.correlationKey === e.key));
    }, ABSENCE_WINDOW_MS + 60_000);
    const signals = (await all(api, 'signals')) as ApiSignal[];
    const correlated = signals.filter((s) => correlatedRules.has(s.ruleId));
    const perTrace = signals.filter((s) => !correlatedRules.has(s.ruleId));

    // Per-trace rules: each incident trace raised its rule; no signal on another kind's trace or a clean one.
    const stray = perTrace.filter((s) => !(record.rules[traceKind.get(s.traceId) ?? '']?.ruleIds ?? []).includes(s.ruleId))
      .map((s) => `${s.ruleId} on a ${traceKind.get(s.traceId) ?? 'unknown'} trace ${s.traceId}`);
    expect(stray).toEqual([]);
    for (const k of kinds) {
      for (const ruleId of record.rules[k].ruleIds.filter((r) => !correlatedRules.has(r))) {
        const fired = new Set(perTrace.filter((s) => s.ruleId === ruleId).map((s) => s.traceId));
        expect(record.incidents[k].flatMap((o) => o.traceIds).filter((t) => !fired.has(t)), `${k} traces without a ${ruleId} signal`).toEqual([]);
      }
    }

    // Correlated rules: exactly one signal per incident, with the incident's key, listing only the incident's traces;
    // none from clean traffic (every correlated signal is some incident's).
    for (const e of expected) {
      const matching = correlated.filter((s) => s.ruleId === e.ruleId && s.correlationKey === e.key);
      expect(matching.map((s) => s.ruleId), `${e.kind} ${e.key}: ${e.ruleId} signals`).toEqual([e.ruleId]);
      expect(matching[0].traceIds!.length).toBeGreaterThan(0);
      expect(matching[0].traceIds!.filter((t) => !e.traceIds.includes(t)), `${e.kind} ${e.key}: traces beyond the incident's`).toEqual([]);
      expect(matching[0].traceId).toBe(matching[0].traceIds![0]);
    }
    const unexpected = correlated.filter((s) => !expected.some((e) => e.ruleId === s.ruleId && e.key === s.correlationKey))
      .map((s) => `${s.ruleId} for ${s.correlationKey} on ${(s.traceIds ?? [s.traceId]).map((t) => `${traceKind.get(t) ?? 'unknown'} trace ${t}`).join(', ')}`);
    expect(unexpected).toEqual([]);
    // Cross-trace incidents really are across traces: these signals name several traces.
    for (const ruleId of ['payment-errors-per-user', 'card-testing-across-accounts']) {
      expect(correlated.filter((s) => s.ruleId === ruleId).every((s) => (s.traceIds?.length ?? 0) >= 3), ruleId).toBe(true);
    }

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it('starts its own FLUO with the example rules, prints what to open, and stops on Ctrl-C', async () => {
    const demo = run(['demo', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--rate', '20', '--incident-rate', '0.3', '--idle-timeout', '500ms', '--summary-every', '0']);
    const [, ui] = await waitFor('the demo to print the UI address', async () => /Open the UI:\s+(\S+)/.exec(demo.stdout()) ?? (demo.child.exitCode !== null ? Promise.reject(new Error(demo.stderr())) : undefined));
    const rules = (await getJson(`${ui}/api/v1/rules`)).rules;
    expect(rules).toHaveLength(exampleRuleCount);
    expect(rules.every((r: { source: string }) => r.source === 'file')).toBe(true);
    for (const id of ['auth-retry-storm', 'pii-access-without-audit', 'slow-payment-db-query', 'payment-without-fraud-check', 'http-retry-storm', 'login-retry-across-traces', 'payment-errors-per-user', 'card-testing-across-accounts', 'checkout-abandoned-in-session']) {
      expect(demo.stdout()).toContain(id);
    }
    await waitFor('signals in the demo FLUO', async () => (await getJson(`${ui}/api/v1/signals`)).signals.length >= 3);
    demo.child.kill('SIGINT');
    expect(await demo.exited, demo.stderr()).toBe(0);
    expect(demo.stdout()).toMatch(/FLUO raised \d+ signals/);
  });

  it('rejects bad options with exit status 2 and says which', async () => {
    const bad = run(['demo', '--rate', 'fast']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain("--rate: 'fast' must be a number");
    const mixed = run(['demo', '--url', 'http://127.0.0.1:1', '--port', '0']);
    expect(await mixed.exited).toBe(2);
    expect(mixed.stderr()).toContain('--port configures the FLUO the demo starts');
  });
});
