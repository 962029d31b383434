/**
 * The server's configuration: one table of options, each settable by a flag,
 * an environment variable and a key of the config file, merged with the
 * precedence flag > environment > config file > default, then validated.
 *
 * Every problem names the option and where the value came from
 * (`--port`, `FLUO_PORT`, `fluo.yaml: port`), and all problems are reported
 * together (ConfigError). Relative paths from the config file are resolved
 * against the file's folder; from flags and the environment, against the
 * working directory.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_NOTIFICATIONS, parseNotificationsConfig, type NotificationsConfig } from '../notify/notificationsConfig.js';
import { AUTH_MODES, type AuthMode } from '../auth/authenticator.js';
import { parseStoreUrl } from '../store/stores.js';
import { DURATION_HELP, SIZE_HELP, formatDurationMs, formatSizeBytes, parseDurationMs, parseSizeBytes } from './units.js';

export interface ServerConfig {
  /** Address every listener binds. */
  host: string;
  /** REST API, SSE and web UI. 0 picks a free port. */
  port: number;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  /** Folder of the embedded store (created when missing). */
  dataDir: string;
  /** Store URL; its scheme picks the store in `stores` (store/stores.ts). */
  store: string;
  /** Rule file or folder of rule files, or null for none. */
  rules: string | null;
  /** ms a completed trace is kept for GET /traces and POST /rules/test. */
  traceRetention: number;
  /** Most spans kept over all completed traces; the oldest traces go first. */
  traceRetentionMaxSpans: number;
  /** Largest request body, after decompression, in bytes (OTLP and REST). */
  maxBodySize: number;
  /** Detector: ms without a new span after which a trace is complete. */
  idleTimeout: number;
  /** Detector: ms after a trace's first span after which it is complete, idle or not. */
  maxTraceLifetime: number;
  maxBufferedSpans: number;
  maxBufferedTraces: number;
  maxSpansPerTrace: number;
  /** Spans (signal evidence and completed traces) waiting to be written before ingestion is refused with 503. */
  writeQueueMaxSpans: number;
  /** OTLP requests (HTTP and gRPC) being read, decoded or made durable at once; more are refused (429 / RESOURCE_EXHAUSTED). */
  maxConcurrentRequests: number;
  /** Write-ahead span log: acknowledge spans only once fsync'ed (true), or keep them in memory only (false, `--wal=off`: a crash loses them). */
  wal: boolean;
  /** Decode and evaluate on a thread of their own (true), so that ingestion and evaluation use two cores; false: on the ingest thread. */
  detectionThread: boolean;
  /** Bytes of accepted spans not yet evaluated and stored (encoded as received); at the bound senders are asked to retry. Applies with --wal=off too. */
  walMaxBytes: number;
  /** ms the span log waits to gather appends into one fsync (group commit). */
  walFsyncInterval: number;
  /** ms between detector ticks (idle traces completed, absence rules decided). */
  tickInterval: number;
  /** Correlated rules: how far behind the latest span of its key a span may start and still count (windows close this long after their end). */
  correlationLateness: number;
  /** Correlated rules: keys held across rules; beyond it the least recently active key is decided early. */
  correlationMaxKeys: number;
  /** Correlated rules: spans held per rule and key; beyond it the earliest is evicted. */
  correlationMaxSpansPerKey: number;
  /** ms between SSE heartbeat comments. */
  sseHeartbeat: number;
  /** ms between rate-baseline checks of every enabled rule. */
  rateCheckInterval: number;
  /** ms of recent traffic a rate check compares with the baseline. */
  rateWindow: number;
  /** ms of history the rate baseline learns from (limited by traceRetention). */
  rateHistory: number;
  logLevel: LogLevel;
  /** The config file's `notifications:` section (channels, routes, delivery); see docs/notifications.md. */
  notifications: NotificationsConfig;
  /** Folder of the built web UI, or null for the `@fluohq/web` package's dist folder. */
  uiDir: string | null;
  /** URL of a trace in the user's tracing backend with `{traceId}` in it, shown in the UI; null for none. */
  traceLinkTemplate: string | null;
  /** Work units one rule may spend on one trace per evaluation (see the engine's dsl/runtime.ts). */
  ruleBudget: number;
  /** API authentication: 'auto' (on once a token exists), 'on' or 'off'. */
  auth: AuthMode;
  /** Bootstrap admin token (at least 32 characters), or null. */
  adminToken: string | null;
  /** File holding the bootstrap admin token (first line), or null. */
  adminTokenFile: string | null;
  /** Whether OTLP ingestion (HTTP and gRPC) needs a token with role ingest or admin. */
  otlpAuth: boolean;
  /** Header (HTTP) / metadata key (gRPC) carrying the OTLP token; 'authorization' expects "Bearer <token>". */
  otlpAuthHeader: string;
  /** PEM certificate chain and private key: with both, every listener speaks TLS. */
  tlsCert: string | null;
  tlsKey: string | null;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

type OptionType = 'port' | 'host' | 'path' | 'optionalPath' | 'store' | 'duration' | 'size' | 'count' | 'logLevel' | 'linkTemplate'
  | 'authMode' | 'secret' | 'boolean' | 'headerName' | 'onOff';

export interface ConfigOption {
  key: keyof ServerConfig;
  /** Flag name without the leading dashes. */
  flag: string;
  env: string;
  type: OptionType;
  description: string;
}

export const DEFAULT_CONFIG: Readonly<ServerConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 3000,
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  dataDir: './fluo-data',
  store: 'sqlite:',
  rules: null,
  traceRetention: 24 * 3_600_000,
  traceRetentionMaxSpans: 500_000,
  maxBodySize: 16 * 1024 * 1024,
  idleTimeout: 10_000,
  maxTraceLifetime: 300_000,
  maxBufferedSpans: 1_000_000,
  maxBufferedTraces: 200_000,
  maxSpansPerTrace: 10_000,
  writeQueueMaxSpans: 200_000,
  maxConcurrentRequests: 256,
  wal: true,
  detectionThread: true,
  walMaxBytes: 256 * 1024 * 1024,
  walFsyncInterval: 1,
  tickInterval: 250,
  correlationLateness: 10_000,
  correlationMaxKeys: 100_000,
  correlationMaxSpansPerKey: 1_000,
  sseHeartbeat: 15_000,
  rateCheckInterval: 300_000,
  rateWindow: 900_000,
  rateHistory: 14 * 86_400_000,
  logLevel: 'info',
  notifications: DEFAULT_NOTIFICATIONS,
  uiDir: null,
  traceLinkTemplate: null,
  ruleBudget: 10_000_000,
  auth: 'auto',
  adminToken: null,
  adminTokenFile: null,
  otlpAuth: false,
  otlpAuthHeader: 'authorization',
  tlsCert: null,
  tlsKey: null,
});

function option(key: keyof ServerConfig, type: OptionType, description: string): ConfigOption {
  const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return { key, flag, env: `FLUO_${flag.replaceAll('-', '_').toUpperCase()}`, type, description };
}

/** Every option, in the order `fluo serve --help` lists them. */
export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  option('host', 'host', 'address to bind (use 0.0.0.0 in containers)'),
  option('port', 'port', 'REST API and web UI port (0 picks a free port)'),
  option('otlpHttpPort', 'port', 'OTLP/HTTP receiver port'),
  option('otlpGrpcPort', 'port', 'OTLP/gRPC receiver port'),
  option('dataDir', 'path', 'folder of the embedded store'),
  option('store', 'store', "store URL: 'sqlite:' (file fluo.db in the data folder), 'sqlite:PATH', or 'postgres://user:password@host:5432/database' shared by several instances (docs/scaling.md)"),
  option('rules', 'optionalPath', 'rule file or folder of rule files (YAML or JSON), reloaded on change'),
  option('traceRetention', 'duration', 'how long completed traces are kept'),
  option('traceRetentionMaxSpans', 'count', 'most spans kept over all completed traces'),
  option('maxBodySize', 'size', 'largest request body after decompression'),
  option('idleTimeout', 'duration', 'a trace is complete after this long without a new span'),
  option('maxTraceLifetime', 'duration', 'a trace is complete this long after its first span'),
  option('maxBufferedSpans', 'count', 'spans buffered in open traces before senders are asked to retry'),
  option('maxBufferedTraces', 'count', 'open traces buffered at most'),
  option('maxSpansPerTrace', 'count', 'spans accepted per trace (more are rejected)'),
  option('writeQueueMaxSpans', 'count', 'spans waiting to be stored before senders are asked to retry'),
  option('maxConcurrentRequests', 'count', 'OTLP requests processed at once; more are asked to retry (bounds request memory to this times max-body-size)'),
  option('wal', 'onOff', "write-ahead span log: 'on' acknowledges spans only once on disk; 'off' risks losing acknowledged spans on a crash"),
  option('detectionThread', 'onOff', "decode and evaluate spans on a thread of their own ('on': ingestion and evaluation use two cores) or on the ingest thread ('off')"),
  option('walMaxBytes', 'size', 'accepted spans (bytes as received) not yet evaluated and stored, before senders are asked to retry'),
  option('walFsyncInterval', 'duration', 'how long the span log gathers requests into one fsync'),
  option('tickInterval', 'duration', 'regular tick: correlated windows, span log checks; idle traces complete at their own deadline in between'),
  option('correlationLateness', 'duration', 'correlated rules: how late a span of a key may arrive; windows close this long after their end'),
  option('correlationMaxKeys', 'count', 'correlated rules: keys held at most (then the least recently active is decided early)'),
  option('correlationMaxSpansPerKey', 'count', 'correlated rules: spans held per rule and key (then the earliest is evicted)'),
  option('sseHeartbeat', 'duration', 'interval of SSE heartbeat comments'),
  option('rateCheckInterval', 'duration', 'how often each rule\'s signal rate is compared with its baseline'),
  option('rateWindow', 'duration', 'recent traffic a rate check looks at'),
  option('rateHistory', 'duration', 'history a rate baseline learns from (keep traces at least this long)'),
  option('logLevel', 'logLevel', `log level: ${LOG_LEVELS.join(', ')}`),
  option('uiDir', 'optionalPath', "folder of the built web UI (default: the @fluohq/web package's dist folder)"),
  option('traceLinkTemplate', 'linkTemplate', 'link to a trace in your tracing backend, e.g. http://jaeger:16686/trace/{traceId}'),
  option('ruleBudget', 'count', 'work units one rule may spend evaluating one trace (beyond: stopped, counted, logged)'),
  option('auth', 'authMode', `API authentication: ${AUTH_MODES.join(', ')} (auto: on once a token exists)`),
  option('adminToken', 'secret', 'bootstrap admin token, at least 32 characters (prefer the env variable or --admin-token-file)'),
  option('adminTokenFile', 'optionalPath', 'file holding the bootstrap admin token'),
  option('otlpAuth', 'boolean', 'require a token (role ingest or admin) for OTLP ingestion'),
  option('otlpAuthHeader', 'headerName', "header carrying the OTLP token ('authorization' expects 'Bearer <token>')"),
  option('tlsCert', 'optionalPath', 'PEM certificate (chain) for TLS on every listener'),
  option('tlsKey', 'optionalPath', 'PEM private key for TLS on every listener'),
];

/** Sections only the config file has (nested settings no flag can carry). */
export const FILE_ONLY_SECTIONS = ['notifications'] as const;

/** The flag and variable of the config file itself. */
export const CONFIG_FILE_FLAG = 'config';
export const CONFIG_FILE_ENV = 'FLUO_CONFIG';

export interface ConfigProblem {
  /** The option's key (as in the config file). */
  field: string;
  /** Where the value came from: '--port', 'FLUO_PORT', 'fluo.yaml: port' or 'default'. */
  source: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.source}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ConfigFile {
  path: string;
  values: Record<string, unknown>;
}

export interface ConfigSources {
  /** Flag values by flag name (without dashes), as util.parseArgs gives them. */
  flags?: Record<string, string | undefined>;
  env?: Record<string, string | undefined>;
  file?: ConfigFile | null;
  /** Base for relative paths from flags and the environment; default process.cwd(). */
  cwd?: string;
}

/** Reads a YAML or JSON config file. Throws ConfigError naming the file and the position of a syntax error. */
export async function loadConfigFile(filePath: string, cwd: string = process.cwd()): Promise<ConfigFile> {
  const absolute = path.resolve(cwd, filePath);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([{ field: 'config', source: `--${CONFIG_FILE_FLAG}`, message: `cannot read config file ${absolute}: ${reason}` }]);
  }
  let values: unknown;
  try {
    values = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const e = err as Error & { linePos?: Array<{ line: number; col: number }> };
    const at = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    throw new ConfigError([{ field: 'config', source: absolute, message: `config file is not valid YAML or JSON${at}: ${e.message.split('\n')[0]}` }]);
  }
  if (values === null || values === undefined) values = {};
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new ConfigError([{ field: 'config', source: absolute, message: 'config file must be a mapping of option names to values, e.g. "port: 3000"' }]);
  }
  return { path: absolute, values: values as Record<string, unknown> };
}

function suggest(key: string): string {
  const lower = key.toLowerCase().replaceAll(/[-_]/g, '');
  const match = CONFIG_OPTIONS.find((o) => o.key.toLowerCase() === lower);
  return match ? ` (did you mean '${match.key}'?)` : '';
}

function validate(option: ConfigOption, raw: unknown, base: string): { value?: unknown; problem?: string } {
  switch (option.type) {
    case 'port': {
      const n = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) return { problem: `must be a port number from 0 to 65535 (0 picks a free port), got ${JSON.stringify(raw)}` };
      return { value: n };
    }
    case 'host':
      if (typeof raw !== 'string' || raw.trim() === '' || /\s/.test(raw.trim())) return { problem: `must be a host name or IP address such as 127.0.0.1 or 0.0.0.0, got ${JSON.stringify(raw)}` };
      return { value: raw.trim() };
    case 'path':
    case 'optionalPath':
      if (typeof raw !== 'string' || raw.trim() === '') return { problem: `must be a path, got ${JSON.stringify(raw)}` };
      return { value: path.resolve(base, raw) };
    case 'store':
      if (typeof raw !== 'string') return { problem: `must be a store URL such as 'sqlite:', got ${JSON.stringify(raw)}` };
      return { value: raw.trim() };
    case 'duration': {
      const ms = parseDurationMs(raw);
      if (ms === null || ms <= 0) return { problem: `must be ${DURATION_HELP}, greater than zero, got ${JSON.stringify(raw)}` };
      return { value: ms };
    }
    case 'size': {
      const bytes = parseSizeBytes(raw);
      if (bytes === null || bytes < 1024) return { problem: `must be ${SIZE_HELP}, at least 1KiB, got ${JSON.stringify(raw)}` };
      return { value: bytes };
    }
    case 'count': {
      const n = typeof raw === 'string' && /^\s*\d[\d_]*\s*$/.test(raw) ? Number(raw.replaceAll('_', '')) : raw;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return { problem: `must be a whole number of at least 1, got ${JSON.stringify(raw)}` };
      return { value: n };
    }
    case 'linkTemplate': {
      const text = typeof raw === 'string' ? raw.trim() : '';
      let url: URL | null = null;
      try { url = new URL(text.replaceAll('{traceId}', '0')); } catch { url = null; }
      if (!text.includes('{traceId}') || !url || !['http:', 'https:'].includes(url.protocol)) {
        return { problem: `must be an http(s) URL containing {traceId}, such as http://jaeger:16686/trace/{traceId}, got ${JSON.stringify(raw)}` };
      }
      return { value: text };
    }
    case 'onOff': {
      const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
      if (v === true || v === 'on' || v === 'true') return { value: true };
      if (v === false || v === 'off' || v === 'false') return { value: false };
      return { problem: `must be 'on' or 'off', got ${JSON.stringify(raw)}` };
    }
    case 'logLevel':
      if (!LOG_LEVELS.includes(raw as LogLevel)) return { problem: `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}` };
      return { value: raw };
    case 'authMode':
      if (!AUTH_MODES.includes(raw as AuthMode)) return { problem: `must be one of ${AUTH_MODES.join(', ')}, got ${JSON.stringify(raw)}` };
      return { value: raw };
    case 'secret':
      // Never echo the value: it is a credential.
      if (typeof raw !== 'string' || raw.trim().length < 32 || /\s/.test(raw.trim())) return { problem: 'must be at least 32 characters without spaces (generate one with: fluo token generate)' };
      return { value: raw.trim() };
    case 'boolean': {
      const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
      if (v === true || v === 'true' || v === 'on' || v === '1' || v === 'yes') return { value: true };
      if (v === false || v === 'false' || v === 'off' || v === '0' || v === 'no') return { value: false };
      return { problem: `must be true or false, got ${JSON.stringify(raw)}` };
    }
    case 'headerName':
      if (typeof raw !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(raw.trim())) return { problem: `must be an HTTP header name such as authorization or x-fluo-token, got ${JSON.stringify(raw)}` };
      return { value: raw.trim().toLowerCase() };
  }
}

/**
 * Merges and validates. Throws ConfigError listing every problem.
 * Unknown keys in the config file are errors (a typo would otherwise be ignored silently).
 */
export function resolveConfig(sources: ConfigSources = {}): ServerConfig {
  const cwd = sources.cwd ?? process.cwd();
  const flags = sources.flags ?? {};
  const env = sources.env ?? {};
  const file = sources.file ?? null;
  const fileName = file ? path.basename(file.path) : '';
  const problems: ConfigProblem[] = [];
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const sourceOf: Record<string, string> = {};

  if (file) {
    const known = new Set<string>([...CONFIG_OPTIONS.map((o) => o.key), ...FILE_ONLY_SECTIONS]);
    for (const key of Object.keys(file.values)) {
      if (!known.has(key)) problems.push({ field: key, source: `${fileName}: ${key}`, message: `unknown option '${key}'${suggest(key)}` });
    }
  }

  if (file && Object.hasOwn(file.values, 'notifications')) {
    const parsed = parseNotificationsConfig(file.values.notifications);
    config.notifications = parsed.config;
    for (const p of parsed.problems) problems.push({ field: p.field, source: `${fileName}: ${p.field}`, message: p.message });
  }

  for (const opt of CONFIG_OPTIONS) {
    let raw: unknown;
    let source = 'default';
    let base = cwd;
    const flagValue = flags[opt.flag];
    const envValue = env[opt.env];
    if (flagValue !== undefined) {
      raw = flagValue; source = `--${opt.flag}`;
    } else if (envValue !== undefined && envValue !== '') {
      raw = envValue; source = opt.env;
    } else if (file && Object.hasOwn(file.values, opt.key)) {
      raw = file.values[opt.key]; source = `${fileName}: ${opt.key}`; base = path.dirname(file.path);
    } else {
      continue;
    }
    if ((opt.type === 'optionalPath' || opt.type === 'linkTemplate' || opt.type === 'secret') && (raw === null || raw === '')) { config[opt.key] = null; sourceOf[opt.key] = source; continue; }
    const { value, problem } = validate(opt, raw, base);
    if (problem !== undefined) problems.push({ field: opt.key, source, message: `${opt.key} ${problem}` });
    else { config[opt.key] = value; sourceOf[opt.key] = source; }
  }

  if (config.dataDir === DEFAULT_CONFIG.dataDir) config.dataDir = path.resolve(cwd, DEFAULT_CONFIG.dataDir);

  const result = config as unknown as ServerConfig;
  if (problems.length === 0) {
    try {
      parseStoreUrl(result.store, { dataDir: result.dataDir });
    } catch (err) {
      problems.push({ field: 'store', source: sourceOf.store ?? 'default', message: `store ${(err as Error).message}` });
    }
    const ports = (['port', 'otlpHttpPort', 'otlpGrpcPort'] as const).filter((k) => result[k] !== 0);
    for (let i = 0; i < ports.length; i++) {
      for (let j = i + 1; j < ports.length; j++) {
        if (result[ports[i]] === result[ports[j]]) {
          problems.push({ field: ports[j], source: sourceOf[ports[j]] ?? 'default', message: `${ports[j]} ${result[ports[j]]} is also the ${ports[i]}: each listener needs its own port` });
        }
      }
    }
    if ((result.tlsCert === null) !== (result.tlsKey === null)) {
      const missing = result.tlsCert === null ? 'tlsCert' : 'tlsKey';
      problems.push({ field: missing, source: sourceOf[missing === 'tlsCert' ? 'tlsKey' : 'tlsCert'] ?? 'default', message: 'TLS needs both --tls-cert and --tls-key' });
    }
    if (result.adminToken !== null && result.adminTokenFile !== null) {
      problems.push({ field: 'adminToken', source: sourceOf.adminToken ?? 'default', message: 'give the admin token either directly or as a file (--admin-token-file), not both' });
    }
    if (result.maxTraceLifetime < result.idleTimeout) {
      problems.push({ field: 'maxTraceLifetime', source: sourceOf.maxTraceLifetime ?? 'default', message: `maxTraceLifetime (${formatDurationMs(result.maxTraceLifetime)}) must not be shorter than idleTimeout (${formatDurationMs(result.idleTimeout)})` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

/** The `--help` text of the options. */
const METAVARS: Record<OptionType, string> = {
  port: '<port>', host: '<address>', path: '<path>', optionalPath: '<path>', store: '<url>',
  duration: '<duration>', size: '<size>', count: '<n>', logLevel: '<level>', linkTemplate: '<url>',
  authMode: '<mode>', secret: '<token>', boolean: '<true|false>', headerName: '<header>', onOff: 'on|off',
};

export function describeOptions(): string {
  const lines: string[] = [];
  for (const opt of CONFIG_OPTIONS) {
    const def = DEFAULT_CONFIG[opt.key];
    const shown = def === null ? 'none'
      : opt.type === 'duration' ? formatDurationMs(def as number)
        : opt.type === 'size' ? formatSizeBytes(def as number)
          : opt.type === 'onOff' ? (def ? 'on' : 'off')
            : String(def);
    lines.push(`  --${`${opt.flag} ${METAVARS[opt.type]}`.padEnd(36)} ${opt.description} (env ${opt.env}, default ${shown})`);
  }
  lines.push(`  --${`${CONFIG_FILE_FLAG} <file>`.padEnd(36)} config file, YAML or JSON (env ${CONFIG_FILE_ENV})`);
  return lines.join('\n');
}
