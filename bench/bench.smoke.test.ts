/**
 * The benchmark harness cannot rot: every measurement path runs with tiny
 * sizes (real server and load generator processes included) and produces
 * well-formed figures. Nothing here asserts anything about speed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the harness is plain JavaScript (bench/*.mjs), run by node directly.
import { MEASUREMENTS, runBench, writeResults } from './run.mjs';

interface Figure {
  section: string;
  id: string;
  name: string;
  unit: string;
  stats: { median: number; min: number; max: number; q1: number; q3: number; runs: number[] };
  target?: { text: string; met: boolean };
}

describe('npm run bench (smoke profile)', () => {
  it('produces every measurement as well-formed figures, in JSON and Markdown', async () => {
    const doc = (await runBench({ profile: 'smoke' })) as { meta: Record<string, unknown>; results: Figure[] };
    expect(doc.meta).toMatchObject({ profile: 'smoke', node: process.versions.node });
    expect(typeof doc.meta.cpu).toBe('string');
    const sections = new Set(doc.results.map((r) => r.id.split(':')[0]));
    expect([...sections].sort()).toEqual([...MEASUREMENTS].sort());
    for (const r of doc.results) {
      expect(r.stats.runs.length, r.id).toBeGreaterThan(0);
      for (const v of [r.stats.median, r.stats.min, r.stats.max]) {
        expect(Number.isFinite(v), `${r.id} is a number`).toBe(true);
        expect(v, r.id).toBeGreaterThan(0);
      }
      expect(r.stats.min).toBeLessThanOrEqual(r.stats.median);
      expect(r.stats.median).toBeLessThanOrEqual(r.stats.max);
      if (r.target) expect(typeof r.target.met).toBe('boolean');
    }
    // Ratios measured in the run are there.
    for (const id of ['decode:ratio', 'evaluate:10:predicateRatio', 'e2e:http:ofDecode', 'scaling:ratio']) {
      expect(doc.results.some((r) => r.id === id), id).toBe(true);
    }
    const out = mkdtempSync(path.join(tmpdir(), 'fluo-bench-smoke-'));
    try {
      writeResults(doc, out);
      expect(JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8')).results).toHaveLength(doc.results.length);
      const table = readFileSync(path.join(out, 'latest.md'), 'utf8');
      for (const r of doc.results) expect(table).toContain(`| ${r.name} |`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
