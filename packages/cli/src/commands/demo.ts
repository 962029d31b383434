/**
 * `fluo demo`: FLUO working in five minutes. Starts FLUO in this process
 * with the example rules (or uses a running FLUO given by --url, creating
 * the example rules there when missing), starts the simulated shop of
 * demo/shop.ts instrumented with the OpenTelemetry JS SDK, sends it traffic
 * with incidents injected, and prints what to open and a live summary.
 *
 * Runs until Ctrl-C, or for --duration; then it sends the last spans, waits
 * for the traces to complete (in-process FLUO), prints the summary, and with
 * --record writes which trace carried which incident (the ground truth).
 * Exit status: 0 after a clean stop, 1 when FLUO or the shop cannot start,
 * 2 for bad usage.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, ListenError, RuleFilesError, loadRuleFiles, resolveConfig, startServer, type RunningServer } from '@fluohq/server';
import { INCIDENTS, INCIDENT_KINDS } from '../demo/incidents.js';
import { Random } from '../demo/random.js';
import { startShop, type Shop } from '../demo/shop.js';
import { TrafficGenerator, type TrafficCounts } from '../demo/trafficGenerator.js';

export const DEMO_USAGE = `Usage: fluo demo [options]

Starts FLUO with the example rules and a simulated shop (services gateway,
auth, payment, inventory, db, audit) instrumented with the OpenTelemetry JS
SDK, sends it traffic with incidents injected, and shows the signals FLUO
raises. Four incident kinds span several requests (traces) sharing a user,
card or session, for the correlated rules (traces.by) of
examples/rules/correlation.yaml. Stops on Ctrl-C, or after --duration.

Options:
  --url URL               use a running FLUO (its API address, e.g. http://localhost:3000)
                          instead of starting one; missing example rules are created there
  --otlp-url URL          OTLP/HTTP traces endpoint (default: FLUO's, or with --url the
                          same host on port 4318: http://HOST:4318/v1/traces)
  --token TOKEN           bearer token for --url's API
  --duration DURATION     stop the traffic after this long, e.g. 90s, 5m (default: until Ctrl-C)
  --rate N                user flows started per second (default 5)
  --incident-rate RATIO   share of user flows that are incidents, 0 to 1 (default 0.1); a
                          correlated incident is a flow of several requests (traces)
  --seed N                seed of the traffic mix, to replay the same run (default: random, printed)
  --record FILE           write the ground truth as JSON at the end: per incident kind its
                          rules and each incident's trace ids (and key: user, card or
                          session, for correlated ones); the clean traces
  --port PORT             API and UI port of the FLUO started here (default 3000)
  --otlp-http-port PORT   OTLP/HTTP port (default 4318)
  --otlp-grpc-port PORT   OTLP/gRPC port (default 4317)
  --data-dir DIR          data folder of the FLUO started here (default: a temporary
                          folder removed at the end)
  --idle-timeout DURATION trace idle timeout of the FLUO started here (default 2s, so
                          signals show quickly)
  --summary-every DURATION live summary interval (default 5s; 0 for none)
  -h, --help              show this help
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  url: { type: 'string' },
  'otlp-url': { type: 'string' },
  token: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  'incident-rate': { type: 'string' },
  seed: { type: 'string' },
  record: { type: 'string' },
  port: { type: 'string' },
  'otlp-http-port': { type: 'string' },
  'otlp-grpc-port': { type: 'string' },
  'data-dir': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'summary-every': { type: 'string' },
} as const;

class UsageError extends Error {}

function parseDuration(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`--${flag}: '${raw}' is not a duration such as 500ms, 30s, 5m or 1h`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']);
}

function parseNumber(flag: string, raw: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag}: '${raw}' must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
  }
  return n;
}

/** The example rules: shipped in the package (examples/rules), or the repository's. */
export function exampleRulesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../examples/rules'), path.resolve(here, '../../../../examples/rules')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`the example rules are missing: looked in ${candidates.join(' and ')}`);
  return found;
}

async function apiJson(base: string, token: string | undefined, pathAndQuery: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/v1${pathAndQuery}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  let body: any;
  try { body = text === '' ? undefined : JSON.parse(text); } catch { body = text; }
  return { status: res.status, body };
}

/** Creates the example rules missing from a running FLUO; returns the ids created. */
async function ensureExampleRules(api: string, token: string | undefined): Promise<string[]> {
  const listed = await apiJson(api, token, '/rules');
  if (listed.status !== 200) throw new Error(`GET ${api}/api/v1/rules answered ${listed.status}: ${JSON.stringify(listed.body)}`);
  const present = new Set<string>((listed.body.rules as Array<{ id: string }>).map((r) => r.id));
  const loaded = await loadRuleFiles(exampleRulesDir());
  const created: string[] = [];
  for (const rule of loaded.rules) {
    if (present.has(rule.id)) continue;
    const d = rule.definition;
    const res = await apiJson(api, token, '/rules', { method: 'POST', body: { id: d.id, name: d.name, description: d.description, severity: d.severity, dsl: d.dsl, enabled: d.enabled ?? true, tags: d.tags ?? [], ...(d.mode ? { mode: d.mode } : {}) } });
    if (res.status !== 201) throw new Error(`creating example rule '${rule.id}' failed: ${res.status} ${JSON.stringify(res.body)}`);
    created.push(rule.id);
  }
  return created;
}

async function signalCounts(api: string, token: string | undefined, since: number): Promise<Map<string, number> | null> {
  const counts = new Map<string, number>();
  let cursor: string | null = null;
  try {
    do {
      const res = await apiJson(api, token, `/signals?since=${since}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (res.status !== 200) return null;
      for (const s of res.body.signals as Array<{ ruleId: string }>) counts.set(s.ruleId, (counts.get(s.ruleId) ?? 0) + 1);
      cursor = res.body.nextCursor;
    } while (cursor);
  } catch {
    return null;
  }
  return counts;
}

function describeCounts(counts: Map<string, number> | null): string {
  if (counts === null) return 'signals: FLUO not answering';
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return '0 signals yet';
  return `${total} signal${total === 1 ? '' : 's'}: ${[...counts].sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} ${n}`).join(', ')}`;
}

function describeTraffic(record: TrafficCounts): string {
  const incidents = INCIDENT_KINDS.map((k) => [k, record.incidents[k]] as const).filter(([, n]) => n > 0);
  const injected = incidents.reduce((a, [, n]) => a + n, 0);
  return `${record.clean} clean requests, ${injected} incident${injected === 1 ? '' : 's'} injected${incidents.length ? ` (${incidents.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}${record.failedRequests ? `, ${record.failedRequests} failed` : ''}`;
}

export async function demo(argv: string[]): Promise<number> {
  const out = (line = ''): void => { process.stdout.write(`${line}\n`); };
  let values: Record<string, string | boolean | undefined>;
  let duration: number | null;
  let rate: number;
  let incidentRate: number;
  let seed: number;
  let idleTimeout: number;
  let summaryEvery: number;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
    if (values.help) {
      process.stdout.write(DEMO_USAGE);
      return 0;
    }
    duration = values.duration === undefined ? null : parseDuration('duration', values.duration as string, 0);
    rate = parseNumber('rate', values.rate as string | undefined, 5, 0.1, 2000);
    incidentRate = parseNumber('incident-rate', values['incident-rate'] as string | undefined, 0.1, 0, 1);
    seed = parseNumber('seed', values.seed as string | undefined, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1, true);
    idleTimeout = parseDuration('idle-timeout', values['idle-timeout'] as string | undefined, 2000);
    summaryEvery = parseDuration('summary-every', values['summary-every'] as string | undefined, 5000);
    if (values.url !== undefined) {
      for (const f of ['port', 'otlp-http-port', 'otlp-grpc-port', 'data-dir', 'idle-timeout']) {
        if (values[f] !== undefined) throw new UsageError(`--${f} configures the FLUO the demo starts; with --url the demo uses a running one`);
      }
      try { new URL(values.url as string); } catch { throw new UsageError(`--url: '${values.url}' is not a URL such as http://localhost:3000`); }
    }
  } catch (err) {
    process.stderr.write(`fluo demo: ${(err as Error).message}\nRun 'fluo demo --help' for the options.\n`);
    return 2;
  }
  const token = values.token as string | undefined;

  // ---- FLUO ----------------------------------------------------------------
  let server: RunningServer | null = null;
  let ownDataDir: string | null = null;
  let api: string;
  let otlpUrl: string;
  let settleMs = 0;
  try {
    if (values.url !== undefined) {
      const url = new URL(values.url as string);
      api = url.origin + url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
      otlpUrl = (values['otlp-url'] as string | undefined) ?? `${url.protocol}//${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:4318/v1/traces`;
      const created = await ensureExampleRules(api, token);
      out(`fluo demo: using FLUO at ${api}${created.length ? `; created ${created.length} example rules` : '; the example rules are there'}`);
    } else {
      const dataDir = (values['data-dir'] as string | undefined) ?? (ownDataDir = mkdtempSync(path.join(tmpdir(), 'fluo-demo-')));
      const config = resolveConfig({
        flags: {
          port: values.port as string | undefined,
          'otlp-http-port': values['otlp-http-port'] as string | undefined,
          'otlp-grpc-port': values['otlp-grpc-port'] as string | undefined,
          'data-dir': dataDir,
          rules: exampleRulesDir(),
          'idle-timeout': `${idleTimeout}ms`,
          'log-level': 'warn',
        },
        env: {},
        file: null,
      });
      server = await startServer(config);
      api = server.urls.api;
      otlpUrl = (values['otlp-url'] as string | undefined) ?? `${server.urls.otlpHttp}/v1/traces`;
      settleMs = idleTimeout + 1500;
    }
  } catch (err) {
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    if (err instanceof ConfigError) {
      process.stderr.write(`fluo demo: invalid option:\n${err.problems.map((p) => `  ${p.source}: ${p.message}`).join('\n')}\n`);
      return 2;
    }
    const hint = err instanceof ListenError ? ' (is FLUO or another program already running there? Use --url to use it, or --port/--otlp-http-port/--otlp-grpc-port)' : '';
    const reason = err instanceof RuleFilesError || err instanceof ListenError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`fluo demo: cannot start FLUO: ${reason}${hint}\n`);
    return 1;
  }

  // ---- the shop and its traffic ---------------------------------------------
  // Two generators: the shop's latencies are drawn in whatever order requests interleave,
  // so they must not consume the sequence that picks the requests and incidents.
  const random = new Random(seed);
  let shop: Shop;
  try {
    shop = await startShop({ otlpUrl, random: new Random(seed ^ 0x9e3779b9) });
  } catch (err) {
    process.stderr.write(`fluo demo: cannot start the simulated shop: ${(err as Error).message}\n`);
    await server?.close();
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    return 1;
  }
  const traffic = new TrafficGenerator({ gatewayUrl: shop.gatewayUrl, random, seed, rate, incidentRate, recordTraceIds: values.record !== undefined });
  const startedAt = Date.now();

  out('');
  out('FLUO demo: a simulated shop sends traces to FLUO, with incidents injected.');
  out('');
  out(`  Open the UI:   ${api}`);
  out(`  Signals (API): ${api}/api/v1/signals`);
  out(`  OTLP:          ${otlpUrl}`);
  out(`  Services:      ${shop.services.map((s) => s.name).join(', ')} (OpenTelemetry JS SDK, W3C trace context over HTTP)`);
  out(`  Shop gateway:  ${shop.gatewayUrl}/api/v2/products`);
  out(`  Traffic:       ${rate} requests/s, ${Math.round(incidentRate * 100)}% with an incident, seed ${seed} (--seed ${seed} replays the mix)`);
  out('');
  out('Rules to watch (examples/rules) and the incidents they catch:');
  for (const k of INCIDENT_KINDS) out(`  ${INCIDENTS[k].ruleIds[0].padEnd(30)} ${INCIDENTS[k].description}`);
  out('');
  out(`Signals of per-trace rules appear once a trace is complete (${server ? `${idleTimeout / 1000} s` : "the server's idle timeout"} without new spans).`);
  out('Correlated rules (examples/rules/correlation.yaml) group traces by user, card or session: those that look for');
  out('something present fire once their window holds and the allowed lateness (--correlation-lateness, default 10 s)');
  out('has passed; checkout-abandoned-in-session, which looks for an absence, fires when its 2-minute window closes.');
  out(duration === null ? 'Press Ctrl-C to stop.' : `Stopping in ${duration / 1000} s (Ctrl-C to stop earlier).`);
  out('');
  traffic.start();

  const summary = async (): Promise<void> => {
    const counts = await signalCounts(api, token, startedAt);
    out(`[${Math.round((Date.now() - startedAt) / 1000)}s] ${describeTraffic(traffic.counts())} · ${describeCounts(counts)}`);
  };
  const ticker = summaryEvery > 0 ? setInterval(() => { void summary(); }, summaryEvery) : undefined;

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearTimeout(timer);
      resolve();
    };
    const timer = duration === null ? undefined : setTimeout(stop, duration);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  clearInterval(ticker);
  const force = (): void => { process.stderr.write('fluo demo: stopped before the end\n'); process.exit(1); };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);

  out('fluo demo: stopping the traffic, sending the last spans');
  await traffic.stop();
  await shop.flush();
  await shop.close();
  if (settleMs > 0) {
    out(`fluo demo: waiting ${(settleMs / 1000).toFixed(1)} s for the last traces to complete`);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  }
  const record = traffic.snapshot();
  const sent = traffic.counts();
  const counts = await signalCounts(api, token, startedAt);
  out('');
  out(`Sent ${describeTraffic(sent)}.`);
  out(`FLUO raised ${describeCounts(counts)}.`);
  for (const k of INCIDENT_KINDS) {
    const ruleId = INCIDENTS[k].ruleIds[0];
    out(`  ${k.padEnd(28)} injected ${String(sent.incidents[k]).padStart(4)}  → ${ruleId}: ${counts?.get(ruleId) ?? 0} signals`);
  }
  out('Correlated rules decide a window its length plus the lateness after it opened (checkout-abandoned-in-session:');
  out('2 min + lateness), so their signals for the last incidents come after the demo ends, while FLUO runs.');
  if (!server) out('Traces still open on the server may raise more signals in the next seconds.');
  if (values.record !== undefined) {
    const file = path.resolve(values.record as string);
    writeFileSync(file, `${JSON.stringify({ ...record, api, otlpUrl, startedAt, rules: Object.fromEntries(INCIDENT_KINDS.map((k) => [k, INCIDENTS[k]])) }, null, 2)}\n`);
    out(`Wrote the injected incidents to ${file}`);
  }
  if (server) {
    await server.close();
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
  }
  process.off('SIGINT', force);
  process.off('SIGTERM', force);
  return 0;
}
