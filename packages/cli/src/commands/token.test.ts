/**
 * `fluo token` as an operator runs it: the real CLI in a child process on a
 * data folder, then a real server on that folder honouring (and, after an
 * offline revoke, refusing) the token.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, startServer } from '@fluohq/server';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/fluo.js');
const root = mkdtempSync(path.join(tmpdir(), 'fluo-cli-token-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fluo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUO_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('fluo token', () => {
  it('creates a token offline that a server on the same data folder accepts, lists it, and revokes it', async () => {
    const dataDir = path.join(root, 'data');
    const created = await fluo(['token', 'create', '--role', 'editor', '--name', 'ci', '--data-dir', dataDir]);
    expect(created.stderr).toMatch(/created tok_[0-9a-f]{16} \(editor, 'ci'\)/);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^fluo_[A-Za-z0-9_-]{43}$/);

    const listed = await fluo(['token', 'list', '--json', '--data-dir', dataDir]);
    expect(listed.code).toBe(0);
    const tokens = JSON.parse(listed.stdout) as Array<{ id: string; name: string; role: string; revokedAt: number | null }>;
    expect(tokens.map((t) => [t.name, t.role, t.revokedAt])).toEqual([['ci', 'editor', null]]);
    expect(listed.stdout).not.toContain(token);

    const server = await startServer({ ...DEFAULT_CONFIG, dataDir, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, logLevel: 'silent' });
    try {
      const call = (t?: string) => fetch(`${server.urls.api}/api/v1/rules`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
      expect((await call()).status).toBe(401); // auto mode: a token exists, so auth is on
      expect((await call(token)).status).toBe(200);
      const revoked = await fluo(['token', 'revoke', tokens[0].id, '--data-dir', dataDir]);
      expect(revoked.code).toBe(0);
      // The server's token cache holds a lookup for at most 5 s.
      const deadline = Date.now() + 15_000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        status = (await call(token)).status;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe(401);
    } finally {
      await server.close();
    }
    const audit = await fluo(['token', 'list', '--data-dir', dataDir]);
    expect(audit.stdout).toMatch(/tok_[0-9a-f]{16}\teditor\tci\tfluo_....…\tcreated .* by cli\trevoked /);
  });

  it('locks an open server in auto mode when the first token is created offline', async () => {
    const dataDir = path.join(root, 'data-auto');
    const server = await startServer({ ...DEFAULT_CONFIG, dataDir, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, logLevel: 'silent' });
    try {
      expect((await fetch(`${server.urls.api}/api/v1/rules`)).status).toBe(200);
      const created = await fluo(['token', 'create', '--role', 'viewer', '--name', 'late', '--data-dir', dataDir]);
      expect(created.code).toBe(0);
      const deadline = Date.now() + 15_000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        status = (await fetch(`${server.urls.api}/api/v1/rules`)).status;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe(401);
      expect((await fetch(`${server.urls.api}/api/v1/rules`, { headers: { authorization: `Bearer ${created.stdout.trim()}` } })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('generates admin tokens and refuses bad usage with exit code 2', async () => {
    const generated = await fluo(['token', 'generate']);
    expect(generated.code).toBe(0);
    expect(generated.stdout.trim()).toMatch(/^fluo_[A-Za-z0-9_-]{43}$/);
    const badRole = await fluo(['token', 'create', '--role', 'root', '--name', 'x', '--data-dir', path.join(root, 'bad')]);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role must be one of viewer, editor, admin, ingest');
    expect((await fluo(['token', 'revoke', 'tok_missing', '--data-dir', path.join(root, 'bad')])).code).toBe(1);
    expect((await fluo(['token', 'frobnicate'])).code).toBe(2);
    expect((await fluo(['--help'])).stdout).toContain('token');
  });
});
