/**
 * Crash test: FLUO killed with SIGKILL at random (seeded) moments while a
 * separate load process streams traces over OTLP/HTTP and retries what is
 * refused, as a Collector does. Restarted each time on the same data folder
 * and ports. At the end the stored signals must be exactly the signals the
 * generated traces should raise: none lost, none twice.
 *
 * The control run with --wal=off shows that the test can fail: the same kind
 * of crash then loses signals of traces that were acknowledged but not yet
 * evaluated.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrace, encodeProtobufTraces, seededRandom } from '@fluohq/engine';
import { LOAD_SCRIPT, allSignals, expectedLoadSignals, freePorts, killHard, metricValue, runNode, sleep, startFluo, waitFor } from './fluoProcess.testkit.js';
// @ts-expect-error: a plain ES module script, without types
import { LOAD_RULES_YAML } from '../../../scripts/otlpLoad.mjs';

const root = mkdtempSync(path.join(tmpdir(), 'fluo-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function setup(name: string): Promise<{ dataDir: string; args: string[]; otlpUrl: string }> {
  const dir = path.join(root, name);
  const rules = path.join(root, `${name}-rules.yaml`);
  writeFileSync(rules, LOAD_RULES_YAML);
  const [api, otlpHttp, otlpGrpc] = await freePorts(3);
  return {
    dataDir: dir,
    otlpUrl: `http://127.0.0.1:${otlpHttp}`,
    args: ['--port', String(api), '--otlp-http-port', String(otlpHttp), '--otlp-grpc-port', String(otlpGrpc), '--data-dir', dir, '--rules', rules,
      '--idle-timeout', '1s', '--tick-interval', '100ms', '--log-level', 'warn'],
  };
}

describe('crash test', () => {
  it('after repeated kill -9 and restarts, every expected signal is stored exactly once', async () => {
    const seed = 20261124;
    const traces = 2500;
    const rng = seededRandom(seed);
    const { args, otlpUrl, dataDir } = await setup('wal-on');
    const out = path.join(root, 'load-wal-on.json');
    let fluo = await startFluo(args);
    const load = runNode([LOAD_SCRIPT, '--url', otlpUrl, '--traces', String(traces), '--seed', String(seed), '--batch', '10', '--concurrency', '4', '--rate', '200', '--max-backoff', '500', '--out', out]);
    let recoveredRequests = 0;
    for (let k = 0; k < 4; k++) {
      await sleep(800 + Math.floor(rng() * 2000));
      await killHard(fluo);
      fluo = await startFluo(args);
      recoveredRequests += metricValue(await (await fetch(`${fluo.api}/metrics`)).text(), 'fluo_wal_recovered_requests_total');
    }
    const loadExit = await waitFor(async () => (load.child.exitCode !== null ? load.exited : null), 90_000, () => `load generator still running: ${load.stdout().split('\n').slice(-2).join(' ')}`);
    expect(loadExit.code, load.stderr()).toBe(0);
    const summary = JSON.parse(readFileSync(out, 'utf8')) as { ackedTraces: number; permanent: number; abandonedTraces: number; networkErrors: number; refused: Record<string, number> };
    expect(summary).toMatchObject({ ackedTraces: traces, permanent: 0, abandonedTraces: 0 });
    // The kills happened while traces were buffered: the span log had requests to replay.
    expect(recoveredRequests).toBeGreaterThan(0);

    const expected = expectedLoadSignals(seed, traces);
    let stored: Array<{ ruleId: string; traceId: string }> = [];
    await waitFor(async () => {
      stored = await allSignals(fluo.api);
      return stored.length >= expected.length;
    }, 30_000, () => `${stored.length} of ${expected.length} signals stored`);
    // Let late completions land, then compare sets and look for duplicates.
    await sleep(1500);
    stored = await allSignals(fluo.api);
    const keys = stored.map((s) => `${s.ruleId} ${s.traceId}`).sort();
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expected);

    fluo.child.kill('SIGTERM');
    expect((await fluo.exited).code).toBe(0);
    // Four kills in the middle of store writes left a consistent database.
    const db = new Database(path.join(dataDir, 'fluo.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  }, 150_000);

  it('control: with --wal=off the same crash loses signals of acknowledged traces', async () => {
    const seed = 7;
    const traces = 600;
    const { args, otlpUrl } = await setup('wal-off');
    const walOff = [...args, '--wal', 'off', '--idle-timeout', '5s'];
    let fluo = await startFluo(walOff);
    const out = path.join(root, 'load-wal-off.json');
    const load = runNode([LOAD_SCRIPT, '--url', otlpUrl, '--traces', String(traces), '--seed', String(seed), '--batch', '10', '--concurrency', '2', '--rate', '200', '--max-backoff', '500', '--out', out]);
    // Kill once traces are acknowledged but still buffered (the idle timeout is 5 s).
    await waitFor(async () => metricValue(await (await fetch(`${fluo.api}/metrics`)).text(), 'fluo_buffered_traces') >= 100, 20_000, () => 'traces buffered');
    await killHard(fluo);
    fluo = await startFluo(walOff);
    await waitFor(async () => (load.child.exitCode !== null ? load.exited : null), 60_000, () => 'load generator still running');
    const summary = JSON.parse(readFileSync(out, 'utf8')) as { ackedTraces: number };
    expect(summary.ackedTraces).toBe(traces);
    fluo.child.kill('SIGTERM');
    expect((await fluo.exited).code).toBe(0);
    fluo = await startFluo(walOff);
    const stored = await allSignals(fluo.api);
    const expected = expectedLoadSignals(seed, traces);
    const keys = new Set(stored.map((s) => `${s.ruleId} ${s.traceId}`));
    const missing = expected.filter((k) => !keys.has(k));
    // Absence rules are decided at completion: the traces buffered at the kill never got there.
    expect(missing.filter((k) => k.startsWith('pii-without-audit ')).length).toBeGreaterThan(0);
    fluo.child.kill('SIGTERM');
    await fluo.exited;
  }, 120_000);

  it('a trace reopened by a late span and killed before it completes again is decided on all its spans after the restart', async () => {
    const { args, otlpUrl } = await setup('reopened');
    let fluo = await startFluo(args);
    const send = async (spans: ReturnType<typeof buildTrace>) => (await fetch(`${otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeProtobufTraces(spans) })).status;
    const base = Date.now();
    const [read, audit, lateRead] = buildTrace('reopened', [
      { id: 'c', name: 'customers.read', start: 0, attributes: { 'data.contains_pii': true } },
      { id: 'a', name: 'audit.log', start: 5 },
      { id: 'd', name: 'customers.read', start: 900, attributes: { 'data.contains_pii': true } },
    ], base);
    expect(await send([read, audit])).toBe(200);
    // Completed (audited: no signal), stored, and its span log record released.
    await waitFor(async () => {
      const page = await (await fetch(`${fluo.api}/metrics`)).text();
      return metricValue(page, 'fluo_traces_kept_total') === 1 && metricValue(page, 'fluo_wal_bytes') === 0;
    }, 15_000, () => 'first part of the trace completed and stored');
    // The late span reopens the trace; FLUO dies before the trace completes again.
    expect(await send([lateRead])).toBe(200);
    await killHard(fluo);
    fluo = await startFluo(args);
    await waitFor(async () => {
      const trace = await (await fetch(`${fluo.api}/api/v1/traces/${read.traceId}`)).json() as { state?: string; spans?: unknown[] };
      return trace.state === 'complete' && trace.spans?.length === 3;
    }, 15_000, () => 'the reopened trace completed with its three spans');
    await waitFor(async () => {
      const page = await (await fetch(`${fluo.api}/metrics`)).text();
      return metricValue(page, 'fluo_write_queue_spans') === 0 && metricValue(page, 'fluo_wal_bytes') === 0;
    }, 15_000, () => 'everything written');
    // Decided on the late span alone, the audit would be missing and pii-without-audit would fire.
    expect(await allSignals(fluo.api)).toEqual([]);
    fluo.child.kill('SIGTERM');
    expect((await fluo.exited).code).toBe(0);
  }, 60_000);
});
