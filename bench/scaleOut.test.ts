/**
 * The scale-out benchmark's parts: the trace-id ring behaves like the
 * Collector's (deterministic, even, consistent when a backend joins), and a
 * small run of bench/scale-out.mjs measures what it says (every span stored,
 * the expected signals, each once). Needs the build (`npm test` does it).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ESM module
import { TraceIdRing } from './traceIdRing.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('TraceIdRing', () => {
  const ids = Array.from({ length: 6000 }, () => randomBytes(16).toString('hex'));

  it('sends a trace id to the same backend whatever the order backends are listed in', () => {
    const a = new TraceIdRing(['fluo-0:4317', 'fluo-1:4317', 'fluo-2:4317']);
    const b = new TraceIdRing(['fluo-2:4317', 'fluo-0:4317', 'fluo-1:4317']);
    for (const id of ids) expect(b.endpointFor(id)).toBe(a.endpointFor(id));
  });

  it('spreads trace ids over every backend, and moves only the new backend\'s share when one joins', () => {
    const three = new TraceIdRing(['fluo-0:4317', 'fluo-1:4317', 'fluo-2:4317']);
    const four = new TraceIdRing(['fluo-0:4317', 'fluo-1:4317', 'fluo-2:4317', 'fluo-3:4317']);
    const counts = new Map<string, number>();
    let moved = 0;
    for (const id of ids) {
      const before = three.endpointFor(id);
      counts.set(before, (counts.get(before) ?? 0) + 1);
      const after = four.endpointFor(id);
      if (after !== before) {
        moved++;
        expect(after).toBe('fluo-3:4317'); // a trace only ever moves to the new backend
      }
    }
    for (const count of counts.values()) expect(count).toBeGreaterThan(ids.length / 3 / 2);
    expect(moved).toBeGreaterThan(ids.length / 4 / 2);
    expect(moved).toBeLessThan(ids.length / 4 * 2);
  });
});

describe('bench/scale-out.mjs', () => {
  it('runs: every span stored, one signal per firing rule and trace, in one instance and in two', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fluo-scale-bench-'));
    try {
      const out = path.join(dir, 'result.json');
      await promisify(execFile)(process.execPath, [path.join(here, 'scale-out.mjs'), '--spans', '1600', '--instances', '1,2', '--memory-spans', '800', '--json', out], { timeout: 240_000 });
      const result = JSON.parse(readFileSync(out, 'utf8'));
      expect(result.runs.map((r: { instances: number }) => r.instances)).toEqual([1, 2]);
      for (const run of result.runs) {
        // 200 traces; one in ten fires two example rules.
        expect(run).toMatchObject({ spans: 1600, traces: 200, signals: 40, duplicateSignals: 0 });
        expect(Object.keys(run.perInstance)).toHaveLength(run.instances);
        expect(run.storedPerSecond).toBeGreaterThan(0);
        expect(run.fluoCpuSeconds).toBeGreaterThan(0);
      }
      expect(result.memory.bufferedSpans).toBe(800);
      expect(result.ratio).toBeNull(); // only 1 and 3 instances make the reported ratio
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
