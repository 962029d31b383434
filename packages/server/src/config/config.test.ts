import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_OPTIONS, ConfigError, DEFAULT_CONFIG, describeOptions, loadConfigFile, resolveConfig } from './config.js';
import { parseDurationMs, parseSizeBytes } from './units.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fluo-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(fn: () => unknown): Array<{ field: string; source: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('uses the defaults when nothing is set, with the data folder under the working directory', () => {
    const config = resolveConfig({ cwd: '/srv' });
    expect(config).toEqual({ ...DEFAULT_CONFIG, dataDir: '/srv/fluo-data' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, otlpHttpPort: 4318, otlpGrpcPort: 4317, store: 'sqlite:', rules: null });
  });

  it('takes a flag over the environment over the config file over the default', async () => {
    const file = path.join(dir, 'precedence.yaml');
    writeFileSync(file, 'port: 3100\notlpHttpPort: 4400\notlpGrpcPort: 4500\nidleTimeout: 2s\n');
    const config = resolveConfig({
      flags: { port: '3300' },
      env: { FLUO_PORT: '3200', FLUO_OTLP_HTTP_PORT: '4401', FLUO_HOST: '0.0.0.0' },
      file: await loadConfigFile(file),
      cwd: dir,
    });
    expect(config.port).toBe(3300); // flag
    expect(config.otlpHttpPort).toBe(4401); // env over file
    expect(config.otlpGrpcPort).toBe(4500); // file
    expect(config.idleTimeout).toBe(2000); // file, with units
    expect(config.host).toBe('0.0.0.0'); // env
    expect(config.maxBodySize).toBe(16 * 1024 * 1024); // default
  });

  it('treats an empty environment variable as unset', () => {
    expect(resolveConfig({ env: { FLUO_PORT: '' } }).port).toBe(3000);
  });

  it('reads units and resolves paths: from the config file against its folder, from flags against the working directory', async () => {
    const file = path.join(dir, 'paths.yaml');
    writeFileSync(file, 'dataDir: ./data\nrules: rules/\ntraceRetention: 2h\nmaxBodySize: 4MiB\ntraceRetentionMaxSpans: 1_000\n');
    const fromFile = resolveConfig({ file: await loadConfigFile(file), cwd: '/elsewhere' });
    expect(fromFile).toMatchObject({ dataDir: path.join(dir, 'data'), rules: path.join(dir, 'rules'), traceRetention: 7_200_000, maxBodySize: 4 * 1024 * 1024, traceRetentionMaxSpans: 1000 });
    const fromFlags = resolveConfig({ flags: { 'data-dir': 'd', rules: 'r.yaml', 'trace-retention': '90m', 'max-body-size': '512KiB' }, cwd: '/work' });
    expect(fromFlags).toMatchObject({ dataDir: '/work/d', rules: '/work/r.yaml', traceRetention: 5_400_000, maxBodySize: 512 * 1024 });
  });

  it('accepts port 0 for every listener', () => {
    expect(resolveConfig({ flags: { port: '0', 'otlp-http-port': '0', 'otlp-grpc-port': '0' } })).toMatchObject({ port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 });
  });

  it('reports every invalid value, naming the option and where it came from', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'otlpGrpcPort: 70000\nidleTimeout: soon\n');
    const problems = problemsOf(() => resolveConfig({
      flags: { port: 'abc', 'max-body-size': '12 parsecs' },
      env: { FLUO_LOG_LEVEL: 'loud', FLUO_MAX_BUFFERED_SPANS: '-5' },
      file: { path: file, values: { otlpGrpcPort: 70000, idleTimeout: 'soon' } },
    }));
    expect(problems).toEqual([
      { field: 'port', source: '--port', message: 'port must be a port number from 0 to 65535 (0 picks a free port), got "abc"' },
      { field: 'otlpGrpcPort', source: 'bad.yaml: otlpGrpcPort', message: 'otlpGrpcPort must be a port number from 0 to 65535 (0 picks a free port), got 70000' },
      { field: 'maxBodySize', source: '--max-body-size', message: expect.stringContaining("maxBodySize must be a size such as '16MiB'") },
      { field: 'idleTimeout', source: 'bad.yaml: idleTimeout', message: expect.stringContaining("idleTimeout must be a duration such as '200ms'") },
      { field: 'maxBufferedSpans', source: 'FLUO_MAX_BUFFERED_SPANS', message: 'maxBufferedSpans must be a whole number of at least 1, got "-5"' },
      { field: 'logLevel', source: 'FLUO_LOG_LEVEL', message: 'logLevel must be one of debug, info, warn, error, silent, got "loud"' },
    ]);
  });

  it('takes a trace link template with {traceId} and a UI folder, and refuses a template without {traceId} or not http(s)', () => {
    const config = resolveConfig({ cwd: '/srv', flags: { 'trace-link-template': 'http://jaeger:16686/trace/{traceId}', 'ui-dir': 'ui/dist' } });
    expect(config).toMatchObject({ traceLinkTemplate: 'http://jaeger:16686/trace/{traceId}', uiDir: '/srv/ui/dist' });
    expect(resolveConfig({ env: { FLUO_TRACE_LINK_TEMPLATE: 'https://tempo.example/explore?trace={traceId}&x=1' } }).traceLinkTemplate).toBe('https://tempo.example/explore?trace={traceId}&x=1');
    expect(resolveConfig({}).traceLinkTemplate).toBeNull();
    const problems = problemsOf(() => resolveConfig({ flags: { 'trace-link-template': 'http://jaeger:16686/trace/' }, env: { FLUO_UI_DIR: '' } }));
    expect(problems).toEqual([{ field: 'traceLinkTemplate', source: '--trace-link-template', message: expect.stringContaining('must be an http(s) URL containing {traceId}') }]);
    expect(problemsOf(() => resolveConfig({ env: { FLUO_TRACE_LINK_TEMPLATE: 'javascript:alert(1)//{traceId}' } }))[0].source).toBe('FLUO_TRACE_LINK_TEMPLATE');
  });

  it('refuses unknown config file keys, suggesting the right one', () => {
    const problems = problemsOf(() => resolveConfig({ file: { path: '/x/fluo.yaml', values: { otlp_http_port: 4318, colour: 'red' } } }));
    expect(problems).toEqual([
      { field: 'otlp_http_port', source: 'fluo.yaml: otlp_http_port', message: "unknown option 'otlp_http_port' (did you mean 'otlpHttpPort'?)" },
      { field: 'colour', source: 'fluo.yaml: colour', message: "unknown option 'colour'" },
    ]);
  });

  it('refuses two listeners on one port, an unknown store and a lifetime shorter than the idle timeout', () => {
    expect(problemsOf(() => resolveConfig({ flags: { port: '4318' } }))).toEqual([
      { field: 'otlpHttpPort', source: 'default', message: 'otlpHttpPort 4318 is also the port: each listener needs its own port' },
    ]);
    expect(problemsOf(() => resolveConfig({ env: { FLUO_STORE: 'mysql://db' } }))[0]).toMatchObject({ field: 'store', source: 'FLUO_STORE', message: expect.stringContaining("has no known scheme: use one of 'sqlite:'") });
    expect(problemsOf(() => resolveConfig({ flags: { 'idle-timeout': '10m' } }))[0]).toMatchObject({ field: 'maxTraceLifetime', message: 'maxTraceLifetime (5m) must not be shorter than idleTimeout (10m)' });
  });

  it('says where a config file is broken', async () => {
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'port: 3000\n  host: [oops\n');
    const err = await loadConfigFile(file).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/broken\.yaml: config file is not valid YAML or JSON \(line \d+, column \d+\)/);
    const missing = await loadConfigFile(path.join(dir, 'nope.yaml')).then(() => null, (e: unknown) => e);
    expect((missing as ConfigError).message).toContain('cannot read config file');
    expect((missing as ConfigError).message).toContain('file not found');
    writeFileSync(path.join(dir, 'list.yaml'), '- port\n');
    expect(((await loadConfigFile(path.join(dir, 'list.yaml')).catch((e: unknown) => e)) as Error).message).toContain('must be a mapping of option names to values');
  });

  it('reads JSON config files and empty ones', async () => {
    writeFileSync(path.join(dir, 'c.json'), '{"port": 3005}');
    expect(resolveConfig({ file: await loadConfigFile(path.join(dir, 'c.json')) }).port).toBe(3005);
    writeFileSync(path.join(dir, 'empty.yaml'), '');
    expect(resolveConfig({ file: await loadConfigFile(path.join(dir, 'empty.yaml')) }).port).toBe(3000);
  });

  it('names each option\'s flag and variable consistently, and lists them all in the help', () => {
    const help = describeOptions();
    for (const o of CONFIG_OPTIONS) {
      expect(o.env).toBe(`FLUO_${o.flag.replaceAll('-', '_').toUpperCase()}`);
      expect(help).toContain(`--${o.flag}`);
      expect(help).toContain(o.env);
    }
    expect(CONFIG_OPTIONS.find((o) => o.key === 'otlpHttpPort')).toMatchObject({ flag: 'otlp-http-port', env: 'FLUO_OTLP_HTTP_PORT' });
  });
});

describe('security options', () => {
  it('reads the rule budget, auth mode, OTLP auth, header and TLS files, from flags and FLUO_* variables', () => {
    const config = resolveConfig({
      cwd: dir,
      flags: { 'rule-budget': '5_000', auth: 'on', 'otlp-auth': 'true', 'otlp-auth-header': 'X-Fluo-Token', 'tls-cert': 'c.pem', 'tls-key': 'k.pem' },
      env: { FLUO_ADMIN_TOKEN: `fluo_${'x'.repeat(40)}` },
    });
    expect(config).toMatchObject({
      ruleBudget: 5000, auth: 'on', otlpAuth: true, otlpAuthHeader: 'x-fluo-token', adminToken: `fluo_${'x'.repeat(40)}`,
      tlsCert: path.join(dir, 'c.pem'), tlsKey: path.join(dir, 'k.pem'),
    });
    expect(resolveConfig({ cwd: dir })).toMatchObject({ ruleBudget: 10_000_000, auth: 'auto', otlpAuth: false, adminToken: null, tlsCert: null });
    expect(resolveConfig({ cwd: dir, env: { FLUO_RULE_BUDGET: '123', FLUO_OTLP_AUTH: 'off' } })).toMatchObject({ ruleBudget: 123, otlpAuth: false });
  });

  it('refuses bad values without echoing a secret, and half a TLS pair', () => {
    const secret = 'short secret';
    const problems = problemsOf(() => resolveConfig({ cwd: dir, flags: { auth: 'maybe', 'otlp-auth': 'sometimes', 'otlp-auth-header': 'bad header', 'rule-budget': '0' }, env: { FLUO_ADMIN_TOKEN: secret } }));
    expect(problems.map((p) => p.field).sort()).toEqual(['adminToken', 'auth', 'otlpAuth', 'otlpAuthHeader', 'ruleBudget']);
    expect(JSON.stringify(problems)).not.toContain(secret);
    expect(problemsOf(() => resolveConfig({ cwd: dir, flags: { 'tls-cert': 'c.pem' } }))).toEqual([
      { field: 'tlsKey', source: '--tls-cert', message: 'TLS needs both --tls-cert and --tls-key' },
    ]);
    expect(problemsOf(() => resolveConfig({ cwd: dir, flags: { 'admin-token-file': 'f' }, env: { FLUO_ADMIN_TOKEN: `fluo_${'x'.repeat(40)}` } }))[0].field).toBe('adminToken');
  });
});

describe('units', () => {
  it('reads durations and sizes, and refuses the rest', () => {
    expect(parseDurationMs('200ms')).toBe(200);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('24h')).toBe(86_400_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs(250)).toBe(250);
    expect(parseDurationMs('250')).toBe(250);
    expect(parseDurationMs('soon')).toBeNull();
    expect(parseDurationMs('-1s')).toBeNull();
    expect(parseSizeBytes('16MiB')).toBe(16 * 1024 * 1024);
    expect(parseSizeBytes('1GB')).toBe(1e9);
    expect(parseSizeBytes('512k')).toBe(512 * 1024);
    expect(parseSizeBytes('1024')).toBe(1024);
    expect(parseSizeBytes('lots')).toBeNull();
  });
});
