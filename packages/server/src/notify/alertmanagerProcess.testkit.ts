/**
 * A real Prometheus Alertmanager (Debian's binary) for tests: started on a
 * free port with a temporary config and storage folder, clustering off,
 * stopped and cleaned up by close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error -- a plain ESM script without type declarations
import { locateBinary } from '../../../../scripts/system-packages.mjs';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const CONFIG = `route:
  receiver: discard
  group_wait: 1s
receivers:
  - name: discard
`;

export class AlertmanagerProcess {
  private output = '';
  private constructor(private readonly child: ChildProcess, readonly url: string, private readonly dir: string) {
    child.stdout?.on('data', (c: Buffer) => { this.output = (this.output + c.toString()).slice(-5000); });
    child.stderr?.on('data', (c: Buffer) => { this.output = (this.output + c.toString()).slice(-5000); });
  }

  static async start(): Promise<AlertmanagerProcess> {
    const binary = locateBinary('alertmanager') as string;
    const dir = mkdtempSync(path.join(tmpdir(), 'fluo-alertmanager-'));
    writeFileSync(path.join(dir, 'alertmanager.yml'), CONFIG);
    const port = await freePort();
    const child = spawn(binary, [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const am = new AlertmanagerProcess(child, `http://127.0.0.1:${port}`, dir);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}: ${am.output}`);
      try {
        if ((await fetch(`${am.url}/-/ready`)).ok) return am;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) { await am.close(); throw new Error(`alertmanager did not become ready: ${am.output}`); }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** GET /api/v2/alerts (active, silenced, inhibited; resolved alerts are left out by Alertmanager). */
  async alerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string }; startsAt: string; endsAt: string; generatorURL?: string }>> {
    const res = await fetch(`${this.url}/api/v2/alerts`);
    if (!res.ok) throw new Error(`alertmanager answered ${res.status}`);
    return res.json() as never;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
