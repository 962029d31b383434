/**
 * Disk full for real: `fluo serve` runs with its data folder on a small
 * tmpfs in a private mount namespace (unshare; as root, or as a user mapped
 * to root in a user namespace), and the test fills that tmpfs until writes
 * fail with ENOSPC. FLUO must stop acknowledging with a retryable status, say
 * why (readyz, metrics, log), take spans again by itself once space is
 * freed, and lose nothing it acknowledged.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTrace, encodeProtobufTraces, hexId } from '@fluohq/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { FLUO_BIN, allSignals, cleanEnv, metricValue, sleep, waitFor } from './fluoProcess.testkit.js';

const CONTROLLER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'diskFull.controller.mjs');
const root = mkdtempSync(path.join(tmpdir(), 'fluo-diskfull-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('disk full', () => {
  it('refuses spans with 503 while the disk is full, says why, and recovers by itself without losing acknowledged spans', async () => {
    const rules = path.join(root, 'rules.yaml');
    writeFileSync(rules, `rules:\n  - id: pay\n    name: payment\n    severity: warning\n    dsl: "trace.has(span => span.name === 'payment.charge')"\n`);
    const unshare = ['--mount', '--propagation', 'private', ...(process.getuid?.() === 0 ? [] : ['--map-root-user'])];
    const child = spawn('unshare', [...unshare, process.execPath, CONTROLLER, path.join(root, 'mnt'), '24m', FLUO_BIN,
      '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--rules', rules, '--idle-timeout', '300ms', '--tick-interval', '50ms', '--log-level', 'warn'],
    { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const m = await waitFor(async () => /^fluo: listening api=(\S+) otlp-http=(\S+)/m.exec(stdout), 30_000, () => `fluo did not start: ${stderr}`);
      const [api, otlp] = [m[1], m[2]];
      const send = (name: string) => fetch(`${otlp}/v1/traces`, {
        method: 'POST', headers: { 'content-type': 'application/x-protobuf' },
        body: encodeProtobufTraces(buildTrace(name, [{ id: 'p', name: 'payment.charge', start: 0, attributes: { pad: 'x'.repeat(20_000) } }])),
      });
      expect((await send('before-full')).status).toBe(200);
      await waitFor(async () => (await allSignals(api)).length === 1, 15_000, () => 'first signal');

      child.stdin.write('fill\n');
      await waitFor(async () => /^filled \d+$/m.test(stdout), 30_000, () => 'disk filled');
      // Send until FLUO refuses: the first request may still fit in a page the span log already has.
      const acknowledged = ['before-full'];
      const refusedNames: string[] = [];
      let refused: Response | null = null;
      for (let i = 0; i < 20 && refused === null; i++) {
        const name = `full-${i}`;
        const res = await send(name);
        if (res.status === 200) acknowledged.push(name);
        else { refused = res; refusedNames.push(name); }
        await sleep(100);
      }
      expect(refused?.status).toBe(503);
      expect(refused?.headers.get('retry-after')).not.toBeNull();
      const ready = await fetch(`${api}/readyz`);
      expect(ready.status).toBe(503);
      const body = await ready.json() as { reasons: Array<{ code: string; message: string }> };
      expect(body.reasons.map((r) => r.code)).toEqual(expect.arrayContaining([expect.stringMatching(/^(WAL_FAILED|STORE_UNAVAILABLE)$/)]));
      expect(body.reasons.map((r) => r.message).join(' ')).toMatch(/ENOSPC|full/i);
      const metrics = await (await fetch(`${api}/metrics`)).text();
      expect(metricValue(metrics, 'fluo_not_ready_wal_failed') + metricValue(metrics, 'fluo_not_ready_store_unavailable')).toBeGreaterThan(0);
      expect(stderr).toMatch(/ENOSPC|disk is full/i);

      child.stdin.write('free\n');
      await waitFor(async () => /^freed$/m.test(stdout), 10_000, () => 'disk freed');
      // FLUO finds out by itself (no request needed: a load balancer would not send any while /readyz says 503).
      await waitFor(async () => (await fetch(`${api}/readyz`)).status === 200, 30_000, () => 'readyz 200 again');
      // The sender retries what was refused.
      for (const name of refusedNames) {
        expect((await send(name)).status).toBe(200);
        acknowledged.push(name);
      }
      expect((await send('after-free')).status).toBe(200);
      acknowledged.push('after-free');
      const expected = acknowledged.map((n) => hexId(n, 32)).sort();
      await waitFor(async () => (await allSignals(api)).length === expected.length, 30_000, () => 'every acknowledged trace has its signal');
      expect((await allSignals(api)).map((s) => s.traceId).sort()).toEqual(expected);
    } finally {
      child.stdin.end();
    }
    expect(await exited, stderr).toBe(0);
  }, 120_000);
});
