/**
 * `fluo serve` as a user runs it: the real CLI in a child process, real
 * signals, real HTTP. Needs the build (npm run build; `npm test` does it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTrace, encodeJsonTraces, hexId } from '@fluohq/engine';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/fluo.js');
const root = mkdtempSync(path.join(tmpdir(), 'fluo-cli-serve-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Env without FLUO_* variables of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUO_')) env[k] = v;
  return { ...env, ...extra };
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  api: string;
  otlpHttp: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: cleanEnv(env), cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function start(dataDir: string, extra: string[] = []): Promise<Running> {
  const p = run(['--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--data-dir', dataDir, ...extra]);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /^fluo: listening api=(\S+) otlp-http=(\S+) otlp-grpc=(\S+)$/m.exec(p.stdout());
    if (m) return { child: p.child, api: m[1], otlpHttp: m[2], stderr: p.stderr, exited: p.exited };
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`fluo serve did not start: ${p.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function jsonOf(res: Response): Promise<any> {
  return res.json();
}

async function exitOf(p: { exited: Promise<number | null> }): Promise<number | null> {
  return p.exited;
}

describe('fluo serve', () => {
  it('stores the signal of an absence rule on SIGTERM, exits 0, and finds it after a restart', async () => {
    const dataDir = path.join(root, 'sigterm');
    // A long idle timeout: the trace is still buffered when SIGTERM arrives, so only the shutdown flush can decide it.
    const first = await start(dataDir, ['--idle-timeout', '2m', '--log-level', 'info']);
    const rule = { id: 'pii-without-audit', name: 'PII without audit', severity: 'critical', dsl: "trace.has(span => span.attributes['data.contains_pii'] === true).and(trace.missing(span => span.name === 'audit.log'))" };
    const created = await fetch(`${first.api}/api/v1/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
    expect(created.status).toBe(201);
    const spans = buildTrace('pii-at-shutdown', [
      { id: 'r', name: 'GET /export', start: 0 },
      { id: 'c', name: 'customers.read', parent: 'r', start: 1, attributes: { 'data.contains_pii': true } },
    ], Date.now());
    const sent = await fetch(`${first.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(encodeJsonTraces(spans)) });
    expect(sent.status).toBe(200);
    const open = await jsonOf(await fetch(`${first.api}/api/v1/traces/${hexId('pii-at-shutdown', 32)}`));
    expect(open.state).toBe('open');
    expect((await jsonOf(await fetch(`${first.api}/api/v1/signals`))).signals).toEqual([]);

    first.child.kill('SIGTERM');
    expect(await exitOf(first)).toBe(0);
    expect(first.stderr()).toContain('fluo: SIGTERM: stopping');
    expect(first.stderr()).toContain('fluo: stopped');

    const second = await start(dataDir);
    try {
      const { signals } = await jsonOf(await fetch(`${second.api}/api/v1/signals`));
      expect(signals).toMatchObject([{ ruleId: 'pii-without-audit', traceId: hexId('pii-at-shutdown', 32), severity: 'critical' }]);
      expect((await jsonOf(await fetch(`${second.api}/api/v1/rules/pii-without-audit`))).version).toBe(1);
      expect((await jsonOf(await fetch(`${second.api}/api/v1/traces/${hexId('pii-at-shutdown', 32)}`))).state).toBe('complete');
    } finally {
      second.child.kill('SIGINT');
    }
    expect(await exitOf(second)).toBe(0);
  });

  it('reads flags over environment over config file, and exits 2 naming a bad value and where it came from', async () => {
    const config = path.join(root, 'fluo.yaml');
    writeFileSync(config, 'port: 0\notlpHttpPort: 0\notlpGrpcPort: 0\nidleTimeout: soon\n');
    const fromFile = run(['--config', config]);
    expect(await fromFile.exited).toBe(2);
    expect(fromFile.stderr()).toContain('fluo serve: invalid configuration:\n  fluo.yaml: idleTimeout: idleTimeout must be a duration');

    // The environment wins over the file, the flag over the environment.
    const fromEnv = run(['--config', config], { FLUO_IDLE_TIMEOUT: 'later' });
    expect(await fromEnv.exited).toBe(2);
    expect(fromEnv.stderr()).toContain('FLUO_IDLE_TIMEOUT: idleTimeout must be a duration');
    expect(fromEnv.stderr()).toContain('got "later"');

    const fromFlag = run(['--config', config, '--idle-timeout', 'never'], { FLUO_IDLE_TIMEOUT: 'later' });
    expect(await fromFlag.exited).toBe(2);
    expect(fromFlag.stderr()).toContain('--idle-timeout: idleTimeout must be a duration');

    // All good once the flag is valid: the file's ports (0) are used.
    const dataDir = path.join(root, 'from-config');
    const ok = await start(dataDir, ['--config', config, '--idle-timeout', '1s']);
    ok.child.kill('SIGTERM');
    expect(await exitOf(ok)).toBe(0);

    writeFileSync(config, 'prot: 3000\n');
    const typo = run(['--config', config]);
    expect(await typo.exited).toBe(2);
    expect(typo.stderr()).toContain("fluo.yaml: prot: unknown option 'prot'");
  });

  it('exits 2 on an unknown flag or a stray argument, and prints its options with --help', async () => {
    const unknown = run(['--colour', 'red']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toContain("fluo serve: Unknown option '--colour'");
    const stray = run(['now']);
    expect(await stray.exited).toBe(2);
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    for (const flag of ['--port <port>', '--otlp-http-port', '--otlp-grpc-port', '--host', '--data-dir', '--rules', '--config', '--trace-retention', 'FLUO_OTLP_HTTP_PORT']) {
      expect(help.stdout()).toContain(flag);
    }
  });

  it('exits 1 with a clear message when a port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const p = run(['--port', String(port), '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--data-dir', path.join(root, 'busy')]);
      expect(await p.exited).toBe(1);
      expect(p.stderr()).toContain(`fluo serve: cannot listen on 127.0.0.1:${port} for the REST API (--port): the address is in use`);
    } finally {
      blocker.close();
    }
  });

  it('takes --otlp-auth as a bare switch and FLUO_ADMIN_TOKEN from the environment', async () => {
    const admin = `fluo_${'z'.repeat(43)}`;
    const p = run(['--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--data-dir', path.join(root, 'secured'), '--otlp-auth'], { FLUO_ADMIN_TOKEN: admin });
    const deadline = Date.now() + 20_000;
    let m: RegExpExecArray | null = null;
    while (!(m = /^fluo: listening api=(\S+) otlp-http=(\S+) /m.exec(p.stdout())) && p.child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(m, p.stderr()).not.toBeNull();
    try {
      expect((await fetch(`${m![1]}/api/v1/rules`)).status).toBe(401);
      expect((await fetch(`${m![1]}/api/v1/rules`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
      const body = JSON.stringify(encodeJsonTraces(buildTrace('cli-auth', [{ id: 'a', name: 'a', start: 0 }], Date.now())));
      expect((await fetch(`${m![2]}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(401);
      expect((await fetch(`${m![2]}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body })).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
    expect(p.stderr()).not.toContain(admin);
  });
});
