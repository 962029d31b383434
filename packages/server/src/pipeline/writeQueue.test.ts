/**
 * The write queue against a real SQLite store: batching, transient failures
 * (another connection holding the write lock) retried until they pass,
 * permanent failures isolated to the item at fault, and a bounded close.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { testSignal, testSpan, testTrace } from '../store/storeConformance.testkit.js';
import { openStore } from '../store/stores.js';
import type { SignalRecord, Store } from '../store/store.js';
import { tempDir, waitFor } from '../testing/testServer.testkit.js';
import { WriteQueue, type WriteItem } from './writeQueue.js';

const dir = tempDir('write-queue');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function queueFor(store: Store, maxSpans = 1000) {
  const lines: string[] = [];
  const stored: SignalRecord[] = [];
  const dropped: WriteItem[] = [];
  const queue = new WriteQueue(store, {
    maxSpans,
    log: createLogger('error', (l) => lines.push(l)),
    onWritten: (s) => stored.push(...s),
    onDropped: (item) => dropped.push(item),
  });
  return { queue, lines, stored, dropped };
}

const signalItem = (n: number): WriteItem => ({ kind: 'signal', signal: testSignal(n), phase: 'ingest', arrivedAt: Date.now() });
const traceItem = (id: string): WriteItem => ({ kind: 'trace', trace: testTrace(id, [testSpan(id, 'a'.repeat(16))], Date.now()) });

describe('WriteQueue', () => {
  it('writes everything pushed, in order, and reports it', async () => {
    const store = await openStore('sqlite::memory:', { dataDir: dir });
    const { queue, stored } = queueFor(store);
    for (let i = 1; i <= 5; i++) queue.push(signalItem(i));
    queue.push(traceItem('c'.repeat(32)));
    await queue.idle();
    expect(stored.map((s) => s.id)).toEqual(['sig-1', 'sig-2', 'sig-3', 'sig-4', 'sig-5']);
    expect(queue.stats()).toMatchObject({ items: 0, spans: 0, written: 6, writeErrors: 0, dropped: 0 });
    expect(await store.getTrace('c'.repeat(32))).not.toBeNull();
    expect(await queue.close(1000)).toBe(0);
    expect(await queue.close(1000)).toBe(0);
    await store.close();
  });

  it('drops only the item the store can never take, logging it', async () => {
    const store = await openStore('sqlite::memory:', { dataDir: dir });
    const { queue, stored, dropped, lines } = queueFor(store);
    const bad = signalItem(2);
    if (bad.kind === 'signal') (bad.signal.evidence[0].attributes as Record<string, unknown>).big = 1n;
    queue.push(signalItem(1));
    queue.push(bad);
    queue.push(traceItem('d'.repeat(32)));
    queue.push(signalItem(3));
    await queue.idle();
    expect(stored.map((s) => s.id)).toEqual(['sig-1', 'sig-3']);
    expect(dropped).toEqual([bad]);
    expect(queue.stats()).toMatchObject({ items: 0, spans: 0, dropped: 1 });
    expect(lines.join('')).toContain('dropped signal sig-2 (rule rule-a');
    expect(await store.getTrace('d'.repeat(32))).not.toBeNull();
    queue.push(signalItem(4)); // and goes on batching
    await queue.idle();
    expect(stored.map((s) => s.id)).toEqual(['sig-1', 'sig-3', 'sig-4']);
    await store.close();
  });

  it('retries while another connection holds the database, reporting `behind`, and loses nothing', async () => {
    const dataDir = path.join(dir, 'locked');
    const store = await openStore('sqlite:', { dataDir });
    const { queue, stored, lines } = queueFor(store, 2);
    const locker = new Database(path.join(dataDir, 'fluo.db'));
    locker.exec('BEGIN IMMEDIATE');
    queue.push(signalItem(1));
    queue.push(signalItem(2));
    expect(queue.behind).toBe(true);
    await waitFor('a failed write', () => queue.stats().writeErrors > 0);
    expect(stored).toEqual([]);
    expect(lines.join('')).toContain('store write failed (2 items waiting, retrying in 100 ms)');
    locker.exec('COMMIT');
    await queue.idle();
    expect(stored.map((s) => s.id)).toEqual(['sig-1', 'sig-2']);
    expect(queue.behind).toBe(false);
    locker.close();
    await store.close();
  });

  it('gives up at close after the timeout, saying how many items are lost', async () => {
    const dataDir = path.join(dir, 'close-locked');
    const store = await openStore('sqlite:', { dataDir });
    const { queue, lines } = queueFor(store);
    const locker = new Database(path.join(dataDir, 'fluo.db'));
    locker.exec('BEGIN IMMEDIATE');
    try {
      queue.push(signalItem(1));
      expect(await queue.close(300)).toBe(1);
      expect(lines.join('')).toContain('store did not take 1 queued items (signals and traces) within 300 ms of shutdown: they are lost');
    } finally {
      locker.exec('COMMIT');
      locker.close();
      await store.close();
    }
  });
});
