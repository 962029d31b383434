/**
 * The short soak test: scripts/soak.mjs for 15 s of overload (twice the
 * measured sustainable rate, open loop) against `fluo serve` with a 256 MiB
 * heap. `node scripts/soak.mjs --duration 3600` is the long version.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from './fluoProcess.testkit.js';

const SOAK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/soak.mjs');

describe('soak', () => {
  it('under twice the sustainable load: bounded memory, health checks answered, load shed with retryable statuses, full service afterwards, nothing acknowledged lost', async () => {
    const soak = runNode([SOAK, '--duration', '15', '--measure', '4', '--after-traces', '1000', '--heap-mb', '256']);
    const { code } = await soak.exited;
    const out = soak.stdout();
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { ok: boolean; checks: Record<string, boolean>; overload: { refused: Record<string, number> }; lostTraces: number };
    expect(report.checks, `${out}\n${soak.stderr()}`).toEqual({
      processAlive: true,
      heapWithinLimit: true,
      rssWithinTwiceHeapLimit: true,
      answeredHealthChecks: true,
      shedWithRetryableStatuses: true,
      noPermanentRefusals: true,
      acceptsAgainWithoutShedding: true,
      noAcknowledgedTraceLost: true,
      cleanShutdown: true,
    });
    expect(Object.keys(report.overload.refused).every((status) => status === '429' || status === '503')).toBe(true);
    expect(report.lostTraces).toBe(0);
    expect(code).toBe(0);
  }, 180_000);
});
