/**
 * startServer: the one entry that the CLI and the tests use. It opens the
 * store, loads the rules, starts the pipeline and the three listeners (REST
 * API, OTLP/HTTP, OTLP/gRPC), and returns their ports and an idempotent
 * close().
 *
 * Shutdown order (close): stop taking spans (readyz and receivers answer
 * 503/UNAVAILABLE) → complete every buffered trace, deciding absence rules →
 * write the resulting signals and traces → let SSE streams send them → close
 * the listeners → close the store.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Authenticator } from './auth/authenticator.js';
import { loadTls } from './http/tls.js';
import type { ServerConfig } from './config/config.js';
import { createApiApp } from './api/apiApp.js';
import { SignalStreams } from './api/signalStreams.js';
import { describeError } from './errors.js';
import { listenHttp, type HttpListener } from './http/listen.js';
import { RateMonitor } from './learn/rateMonitor.js';
import { createLogger, type Logger } from './logger.js';
import { createFluoMetrics, type FluoMetrics } from './metrics/fluoMetrics.js';
import { DeliveryWorker } from './notify/deliveryWorker.js';
import { NotificationRouter } from './notify/notificationRouter.js';
import { Pipeline } from './pipeline/pipeline.js';
import { SignalHub } from './pipeline/signalHub.js';
import { createOtlpHttpApp } from './receivers/otlpHttp.js';
import { listenGrpc, type GrpcListener } from './receivers/otlpGrpc.js';
import { grpcCodeOf, statusJson } from './receivers/otlpWire.js';
import { RuleFileWatcher } from './rules/ruleFileWatcher.js';
import { RuleSet } from './rules/ruleSet.js';
import { openStore } from './store/stores.js';
import { SpanLog } from './wal/spanLog.js';
import path from 'node:path';
import type { Store } from './store/store.js';

export interface StartOptions {
  /** Default: lines on stderr at config.logLevel. */
  log?: Logger;
}

export interface ServerPorts {
  api: number;
  otlpHttp: number;
  otlpGrpc: number;
}

export interface RunningServer {
  config: ServerConfig;
  ports: ServerPorts;
  /** Base URLs (http://host:port) of the REST API, OTLP/HTTP and OTLP/gRPC. */
  urls: { api: string; otlpHttp: string; otlpGrpc: string };
  /** The machine-readable startup line: `fluo: listening api=... otlp-http=... otlp-grpc=...`. */
  listeningLine: string;
  /** Stops as described above. Idempotent; resolves when everything is closed. */
  close(): Promise<void>;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

async function readAdminToken(config: ServerConfig): Promise<string | null> {
  if (config.adminToken !== null) return config.adminToken;
  if (config.adminTokenFile === null) return null;
  let text: string;
  try {
    text = await readFile(config.adminTokenFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --admin-token-file ${config.adminTokenFile}: ${(err as Error).message}`, { cause: err });
  }
  const token = text.split(/\r?\n/)[0].trim();
  if (token.length < 32 || /\s/.test(token)) throw new Error(`--admin-token-file ${config.adminTokenFile}: the first line must be a token of at least 32 characters without spaces`);
  return token;
}

/** Startup warnings about exposure: loud, because they usually mean data and rules are open to a network. */
export function exposureWarnings(config: ServerConfig, authEnabled: boolean): string[] {
  if (isLoopbackHost(config.host)) return [];
  const warnings: string[] = [];
  if (!authEnabled) {
    warnings.push(`WARNING: FLUO listens on ${config.host}, which other machines can reach, WITHOUT AUTHENTICATION: anyone who can connect can read signals and traces, change rules and create tokens. Create a token (fluo token create --role admin --name you) or set FLUO_ADMIN_TOKEN, or bind to 127.0.0.1.`);
  }
  if (!config.otlpAuth) warnings.push(`WARNING: OTLP ingestion on ${config.host} accepts spans from anyone who can connect; set --otlp-auth to require a token.`);
  if (config.tlsCert === null) warnings.push(`WARNING: FLUO listens on ${config.host} without TLS: tokens and telemetry cross the network in clear text; set --tls-cert and --tls-key, or terminate TLS in front of FLUO.`);
  return warnings;
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const cleanups: Array<() => Promise<void> | void> = [];
  const undo = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try { await cleanup(); } catch (err) { log.error(`while stopping: ${describeError(err)}`); }
    }
  };

  try {
    const tls = await loadTls(config.tlsCert, config.tlsKey);
    const adminToken = await readAdminToken(config);
    await mkdir(config.dataDir, { recursive: true });
    const store: Store = await openStore(config.store, { dataDir: config.dataDir, log });
    cleanups.push(() => store.close());
    store.prepareWrites?.();
    const auth = await Authenticator.create(store, { mode: config.auth, adminToken });
    if (config.otlpAuth && !auth.hasTokens) log.warn('--otlp-auth is on but no token exists yet: every OTLP request will be refused until one is created (role ingest or admin)');
    const otlpAuth = config.otlpAuth ? { authenticator: auth, header: config.otlpAuthHeader } : null;

    const hub = new SignalHub(await store.lastSignalSeq());
    let metrics: FluoMetrics | undefined;
    const getMetrics = (): FluoMetrics => metrics!;
    let ruleSet: RuleSet | undefined;
    let apiUrl = '';
    const router = new NotificationRouter({
      config: config.notifications, store, log,
      ruleTags: (ruleId) => ruleSet?.get(ruleId)?.tags ?? [],
      linkBase: () => config.notifications.linkBaseUrl ?? apiUrl,
    });
    await router.load();
    cleanups.push(() => router.close());
    const worker = new DeliveryWorker({ store, router, metrics: getMetrics, log });
    // Reads what a previous run left in the span log; replayed below once the rules are loaded.
    const spanLog = SpanLog.open({
      dir: path.join(config.dataDir, 'wal'), durable: config.wal, maxBytes: config.walMaxBytes, fsyncIntervalMs: config.walFsyncInterval, log,
    });
    cleanups.push(() => spanLog.close());
    if (!config.wal) log.warn('the span log is off (--wal=off): spans are acknowledged before they are on disk, and a crash loses the traces being assembled');
    const pipeline = new Pipeline({
      config, store, hub, metrics: getMetrics, log, spanLog,
      notifications: { route: (signal, evidence) => router.route(signal, evidence), stored: () => worker.wake() },
    });
    const streams = new SignalStreams({ store, hub, heartbeatMs: config.sseHeartbeat, log });
    metrics = createFluoMetrics({
      detector: () => pipeline.detectionStats().detector,
      correlator: () => pipeline.detectionStats().correlator,
      writeQueueSpans: () => pipeline.queue.stats().spans,
      sseClients: () => streams.count,
      notificationsInFlight: () => worker.stats().inFlight,
      spanLog: () => spanLog.stats(),
      requestsInFlight: () => pipeline.requestsInFlight,
      notReady: () => pipeline.notReadyReasons().map((r) => r.code),
    });
    cleanups.push(() => pipeline.close());
    cleanups.push(() => worker.close());

    ruleSet = new RuleSet(store, (rules) => pipeline.setRules(rules), log);
    // Other instances sharing the store (PostgreSQL) change rules and store signals too. Watching
    // before loading: a change made in between is then seen twice rather than not at all.
    const stopRuleFeed = store.watchRules(() => { void ruleSet.refresh(); });
    cleanups.push(stopRuleFeed);
    const stopSignalFeed = store.watchSignals((lastSeq) => hub.advance(lastSeq));
    cleanups.push(stopSignalFeed);
    const stopChannelFeed = store.watchChannels(() => {
      router.refresh().catch((err: unknown) => log.warn(`cannot reload the notification channels: ${(err as Error).message}`));
    });
    cleanups.push(stopChannelFeed);
    await ruleSet.load();
    // Before taking spans: open correlation windows are rebuilt from kept traces (see Pipeline.restoreCorrelation),
    // then the span log's requests of a previous run, which are newer, are fed again.
    await pipeline.restoreCorrelation();
    const recovered = await pipeline.recover();
    // A detection thread that could not start (or ended while replaying) would refuse every span: fail the start
    // instead, leaving the span log for the next one.
    if (pipeline.detectionFailure !== null) throw new Error(`cannot start: ${pipeline.detectionFailure.message}`, { cause: pipeline.detectionFailure });
    if (recovered > 0) log.info(`span log: ${recovered} spans of a previous run fed to the detector again`);
    let watcher: RuleFileWatcher | null = null;
    if (config.rules !== null) {
      watcher = await RuleFileWatcher.start(config.rules, ruleSet, log);
      cleanups.push(() => watcher!.close());
    }

    const rateMonitor = new RateMonitor({ store, ruleSet, hub, log }, {
      windowMs: config.rateWindow, historyMs: config.rateHistory, intervalMs: config.rateCheckInterval,
    });
    cleanups.push(() => rateMonitor.close());

    const otlpPorts = { http: config.otlpHttpPort, grpc: config.otlpGrpcPort };
    const api = await listenHttp(createApiApp({
      config, store, ruleSet, pipeline, hub, streams, metrics: getMetrics, log, auth, rateMonitor, ruleFileErrors: () => watcher?.errors ?? [], notifications: router, otlpPorts: () => otlpPorts,
    }).fetch, config.host, config.port, 'the REST API (--port)', tls);
    cleanups.push(() => api.close(2000));
    cleanups.push(() => streams.close());

    const otlpApp = createOtlpHttpApp({ pipeline, metrics: getMetrics, log, maxBodySize: config.maxBodySize, auth: otlpAuth });
    const otlpHttp: HttpListener = await listenHttp(otlpApp.fetch, config.host, config.otlpHttpPort, 'the OTLP/HTTP receiver (--otlp-http-port)', tls,
      (_code, message) => JSON.stringify(statusJson(grpcCodeOf('VALIDATION'), message)));
    cleanups.push(() => otlpHttp.close(2000));
    const otlpGrpc: GrpcListener = await listenGrpc(config.host, config.otlpGrpcPort, { pipeline, metrics: getMetrics, log, maxBodySize: config.maxBodySize, auth: otlpAuth, tls, maxConcurrentStreams: config.maxConcurrentRequests });
    cleanups.push(() => otlpGrpc.close(2000));
    otlpPorts.http = otlpHttp.port;
    otlpPorts.grpc = otlpGrpc.port;

    pipeline.start();
    rateMonitor.start();
    for (const warning of exposureWarnings(config, auth.enabled)) log.warn(warning);
    const host = urlHost(config.host);
    const scheme = tls ? 'https' : 'http';
    apiUrl = `${scheme}://${host}:${api.port}`;
    worker.start();
    const urls = {
      api: `${scheme}://${host}:${api.port}`,
      otlpHttp: `${scheme}://${host}:${otlpHttp.port}`,
      otlpGrpc: `${scheme}://${host}:${otlpGrpc.port}`,
    };
    let closing: Promise<void> | null = null;
    return {
      config,
      ports: { api: api.port, otlpHttp: otlpHttp.port, otlpGrpc: otlpGrpc.port },
      urls,
      listeningLine: `fluo: listening api=${urls.api} otlp-http=${urls.otlpHttp} otlp-grpc=${urls.otlpGrpc}`,
      close() {
        if (closing) return closing;
        closing = (async () => {
          // Stop taking spans first; the listeners stay up so that readyz answers 503 meanwhile.
          await pipeline.close();
          // The signals of the last traces are in the outbox now; deliveries in flight finish or are recorded as retries.
          await worker.close();
          await router.close();
          await rateMonitor.close();
          stopRuleFeed();
          await watcher?.close();
          streams.close();
          const deadline = Date.now() + 2000;
          while (streams.count > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
          streams.abortAll();
          stopSignalFeed();
          await Promise.all([otlpGrpc.close(2000), otlpHttp.close(2000), api.close(2000)]);
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
