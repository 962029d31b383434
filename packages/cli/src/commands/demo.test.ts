/**
 * `fluo demo` as a user runs it: the real CLI in child processes, the real
 * OpenTelemetry SDK in the shop, a real FLUO. The demo records which trace
 * carried which incident (--record); FLUO's signals must match that ground
 * truth exactly: every incident raised its rule's signal, and nothing else
 * (clean traffic, near misses included) raised any.
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
  incidents: Record<string, string[]>;
  clean: string[];
  failedRequests: number;
  rules: Record<string, string>;
}

describe('fluo demo', () => {
  it('against a running FLUO: every injected incident raises its rule, clean traffic raises nothing', async () => {
    const serve = run(['serve', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--data-dir', path.join(root, 'data'), '--idle-timeout', '3s', '--log-level', 'warn']);
    const [, api, otlpHttp] = await waitFor('fluo serve to listen', async () => /^fluo: listening api=(\S+) otlp-http=(\S+)/m.exec(serve.stdout()) ?? (serve.child.exitCode !== null ? Promise.reject(new Error(serve.stderr())) : undefined));
    const recordFile = path.join(root, 'record.json');
    const demo = run(['demo', '--url', api, '--otlp-url', `${otlpHttp}/v1/traces`, '--duration', '12s', '--rate', '25', '--incident-rate', '0.2', '--seed', '42', '--record', recordFile, '--summary-every', '4s']);
    expect(await demo.exited, demo.stderr()).toBe(0);
    expect(demo.stdout()).toContain(`created ${exampleRuleCount} example rules`);
    expect(demo.stdout()).toMatch(/^\[\d+s\] \d+ requests/m);
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as DemoRecord;
    expect(record.failedRequests).toBe(0);
    const kinds = Object.keys(record.incidents);
    expect(kinds.sort()).toEqual(['auth-retry', 'payment-without-fraud-check', 'pii-without-audit', 'retry-storm', 'slow-payment-query']);
    for (const k of kinds) expect(record.incidents[k].length, k).toBeGreaterThan(0);
    expect(record.clean.length).toBeGreaterThan(100);

    const traceKind = new Map<string, string>();
    for (const k of kinds) for (const t of record.incidents[k]) traceKind.set(t, k);
    for (const t of record.clean) traceKind.set(t, 'clean');
    // Every trace complete (stored) means every rule has been decided on it.
    await waitFor('every trace of the demo to complete', async () => (await all(api, 'traces')).length >= traceKind.size);
    const kept = await all(api, 'traces');
    expect(new Set(kept.map((t) => t.traceId))).toEqual(new Set(traceKind.keys()));
    expect(new Set(kept.flatMap((t) => t.services))).toEqual(new Set(['gateway', 'auth', 'payment', 'inventory', 'db', 'audit']));

    // One checkout is one trace across services: W3C trace context crossed every HTTP hop.
    const checkout = (await getJson(`${api}/api/v1/traces/${record.incidents['payment-without-fraud-check'][0]}`)).spans as Array<{ spanId: string; parentSpanId: string | null; name: string; kind: string; service: string }>;
    expect(new Set(checkout.map((s) => s.service))).toEqual(new Set(['gateway', 'inventory', 'payment', 'db']));
    const byId = new Map(checkout.map((s) => [s.spanId, s]));
    const paymentServer = checkout.find((s) => s.service === 'payment' && s.kind === 'SERVER')!;
    expect(byId.get(paymentServer.parentSpanId!)).toMatchObject({ service: 'gateway', kind: 'CLIENT', name: 'POST /authorize' });
    expect(checkout.filter((s) => s.parentSpanId === null).map((s) => s.name)).toEqual(['POST /api/v2/checkout']);

    const signals = await all(api, 'signals');
    const stray = signals.filter((s) => record.rules[traceKind.get(s.traceId) ?? ''] !== s.ruleId)
      .map((s) => `${s.ruleId} on a ${traceKind.get(s.traceId) ?? 'unknown'} trace ${s.traceId}`);
    expect(stray).toEqual([]);
    for (const k of kinds) {
      const fired = new Set(signals.filter((s) => s.ruleId === record.rules[k]).map((s) => s.traceId));
      expect(record.incidents[k].filter((t) => !fired.has(t)), `${k} traces without a ${record.rules[k]} signal`).toEqual([]);
    }
    expect(signals.filter((s) => traceKind.get(s.traceId) === 'clean')).toEqual([]);

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it('starts its own FLUO with the example rules, prints what to open, and stops on Ctrl-C', async () => {
    const demo = run(['demo', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--rate', '20', '--incident-rate', '0.3', '--idle-timeout', '500ms', '--summary-every', '0']);
    const [, ui] = await waitFor('the demo to print the UI address', async () => /Open the UI:\s+(\S+)/.exec(demo.stdout()) ?? (demo.child.exitCode !== null ? Promise.reject(new Error(demo.stderr())) : undefined));
    const rules = (await getJson(`${ui}/api/v1/rules`)).rules;
    expect(rules).toHaveLength(exampleRuleCount);
    expect(rules.every((r: { source: string }) => r.source === 'file')).toBe(true);
    for (const id of ['auth-retry-storm', 'pii-access-without-audit', 'slow-payment-db-query', 'payment-without-fraud-check', 'http-retry-storm']) {
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
