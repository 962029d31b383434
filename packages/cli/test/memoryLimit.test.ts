/**
 * The last guard against out-of-memory: `fluo serve` with a 96 MiB heap and
 * span buffer bounds far too large for it. FLUO must refuse spans with 429
 * (OVERLOADED, retryable) before the heap runs out, keep answering health
 * checks, and still shut down cleanly, completing every buffered trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildTrace, encodeJsonTraces } from '@fluohq/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { metricValue, startFluo } from './fluoProcess.testkit.js';

const root = mkdtempSync(path.join(tmpdir(), 'fluo-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('memory limit', () => {
  it('refuses spans with 429 before the heap runs out, stays healthy, and shuts down cleanly', async () => {
    const fluo = await startFluo(['--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--data-dir', path.join(root, 'data'),
      '--idle-timeout', '10m', '--max-trace-lifetime', '10m', '--max-buffered-spans', '10000000', '--wal-max-bytes', '1GiB', '--log-level', 'warn'],
    ['--max-old-space-size=96']);
    const statuses: number[] = [];
    let refusal = '';
    // About 1 MB of attributes per request; 300 requests would need far more than the heap holds. OTLP/JSON,
    // so that the spans keep their attributes on the heap: spans decoded from OTLP/protobuf release theirs
    // (engine trace/span.ts) and their requests' bytes are bounded by --wal-max-bytes instead.
    for (let i = 0; i < 300 && statuses.filter((s) => s === 429).length < 10; i++) {
      const spans = Array.from({ length: 50 }, (_, t) => buildTrace(`m${i}x${t}`, [{ id: 'a', name: 'op', start: 0, attributes: { pad: `${'y'.repeat(20_000)}${i}.${t}` } }], Date.now())).flat();
      const sent = await fetch(`${fluo.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(encodeJsonTraces(spans)) });
      statuses.push(sent.status);
      if (sent.status !== 200) {
        expect(sent.status).toBe(429);
        expect(sent.headers.get('retry-after')).not.toBeNull();
        refusal = await sent.text();
      } else {
        await sent.arrayBuffer();
      }
    }
    expect(statuses.filter((s) => s === 429).length).toBe(10);
    expect(refusal).toMatch(/memory use is near its limit/);
    // The detection thread, where buffered traces live, was guarded too: still taking spans once memory frees up.
    expect((await fetch(`${fluo.api}/readyz`)).status).toBe(200);
    expect((await fetch(`${fluo.api}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${fluo.api}/metrics`)).text();
    expect(metricValue(metrics, 'nodejs_heap_used_bytes')).toBeLessThan(metricValue(metrics, 'nodejs_heap_size_limit_bytes'));
    expect(fluo.child.exitCode).toBeNull();
    fluo.child.kill('SIGTERM');
    const exit = await fluo.exited;
    expect(exit, fluo.stderr()).toEqual({ code: 0, signal: null });
    expect(fluo.stderr()).not.toMatch(/heap out of memory|detection thread/);
  }, 120_000);
});
