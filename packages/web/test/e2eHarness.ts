/**
 * Shared setup of the web UI's end-to-end tests: a real `fluo serve` child
 * process on free ports, Debian's Chromium driven by playwright-core (never
 * downloaded), traces sent with the OpenTelemetry JS SDK over OTLP/HTTP, and
 * screenshots to docs/screenshots/.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, trace, SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { locateBinary } from '../../../scripts/system-packages.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../../..');
const BIN = path.join(REPO, 'packages/cli/bin/fluo.js');
const DIST_INDEX = path.join(REPO, 'packages/web/dist/index.html');
export const SHOTS = path.join(REPO, 'docs/screenshots');

export interface FluoProcess {
  child: ChildProcessWithoutNullStreams;
  api: string;
  otlpHttp: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts `fluo serve` on free ports with its own data directory; `env` adds FLUO_* variables (others are inherited, FLUO_* are not). */
export async function startFluo(dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<FluoProcess> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUO_')) childEnv[k] = v;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0',
    '--data-dir', dataDir, '--idle-timeout', '1s', ...args], { env: childEnv, cwd: path.dirname(dataDir) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /^fluo: listening api=(\S+) otlp-http=(\S+) otlp-grpc=(\S+)$/m.exec(stdout);
    if (m) {
      const stop = async () => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      };
      return { child, api: m[1], otlpHttp: m[2], stderr: () => stderr, stop };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`fluo serve did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Chromium (fails, never skips, with the install command when it is missing) on a fresh profile, confined to the FLUO server.
 * Page errors and console errors are collected in `pageErrors`, except the browser's log of answers with an `expectedStatuses` status.
 */
export async function launchBrowser(profileDir: string, baseURL: string, pageErrors: string[], expectedStatuses: number[] = []): Promise<{ browser: BrowserContext; page: Page }> {
  const executablePath = locateBinary('chromium');
  if (!existsSync(DIST_INDEX)) throw new Error(`the web UI is not built (${DIST_INDEX} is missing): run npm run build`);
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
    baseURL,
    colorScheme: 'light',
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error' && !expectedStatuses.some((st) => msg.text().includes(`status of ${st} `))) pageErrors.push(`console error: ${msg.text()}`); });
  await page.route((url) => !url.href.startsWith(baseURL), (route) => { pageErrors.push(`request outside the FLUO server: ${route.request().url()}`); return route.abort(); });
  return { browser, page };
}

/** `error` sets the span's status to ERROR, `ok` to OK (else UNSET). */
export interface SpanSpec { name: string; service: string; attributes?: Attributes; error?: boolean; ok?: boolean; children?: SpanSpec[] }

/** Sends one trace (a tree of spans, each service its own SDK provider) over OTLP/HTTP protobuf; resolves once exported. Returns the trace id. */
export async function sendTrace(otlpHttp: string, root: SpanSpec, headers: Record<string, string> = {}): Promise<string> {
  const providers = new Map<string, BasicTracerProvider>();
  const provider = (service: string) => {
    let p = providers.get(service);
    if (!p) {
      p = new BasicTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }), spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${otlpHttp}/v1/traces`, headers }))] });
      providers.set(service, p);
    }
    return p;
  };
  let traceId = '';
  const emit = (spec: SpanSpec, parent: ReturnType<typeof context.active>) => {
    const span = provider(spec.service).getTracer('e2e').startSpan(spec.name, { kind: SpanKind.INTERNAL, attributes: spec.attributes }, parent);
    traceId ||= span.spanContext().traceId;
    for (const child of spec.children ?? []) emit(child, trace.setSpan(parent, span));
    if (spec.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    else if (spec.ok) span.setStatus({ code: SpanStatusCode.OK });
    span.end();
  };
  emit(root, context.active());
  await Promise.all([...providers.values()].map((p) => p.shutdown()));
  return traceId;
}

/** Polls until `probe` is truthy (server-side state; the browser side uses expect.poll). */
export async function until<T>(what: string, probe: () => Promise<T | false | null | undefined>, timeout = 20_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Browser-side waiting: retries until the assertion holds (generous, for a loaded CI machine). */
export const poll = <T>(probe: () => Promise<T> | T) => expect.poll(probe, { timeout: 20_000, interval: 100 });

/** A full-page screenshot, taken from the top (the sticky header would otherwise sit where the page was scrolled to). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** A JSON call to the API (optionally with a token); fails the test on an unexpected status. */
export async function api(base: string, method: string, p: string, body?: unknown, token?: string, expected = method === 'POST' ? [200, 201] : [200]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(expected, `${method} ${p} → ${res.status} ${text}`).toContain(res.status);
  return text === '' ? undefined : JSON.parse(text);
}
