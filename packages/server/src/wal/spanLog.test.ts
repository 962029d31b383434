import { appendFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { tempDir } from '../testing/testServer.testkit.js';
import { SpanLog, decodeRecords, encodeRecord, type SpanLogOptions } from './spanLog.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function options(overrides: Partial<SpanLogOptions> = {}): SpanLogOptions {
  const dir = tempDir('wal');
  dirs.push(dir);
  return { dir, durable: true, maxBytes: 1024 * 1024, fsyncIntervalMs: 1, log: createLogger('silent'), ...overrides };
}

const body = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const segmentFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.log')).sort();

describe('span log records', () => {
  it('round-trip format, arrival time and body, and stop at a torn or corrupt record', () => {
    const a = encodeRecord('json', 1234.5, body('{"a":1}'));
    const b = encodeRecord('protobuf', 99, body('\x0a\x01\x02'));
    const both = Buffer.concat([a, b]);
    const { records, valid, problem } = decodeRecords(both, 7);
    expect(problem).toBeNull();
    expect(valid).toBe(both.length);
    expect(records.map((r) => [r.segment, r.format, r.receivedAt, text(r.body)])).toEqual([[7, 'json', 1234.5, '{"a":1}'], [7, 'protobuf', 99, '\x0a\x01\x02']]);

    const torn = decodeRecords(both.subarray(0, both.length - 2), 7);
    expect(torn.records).toHaveLength(1);
    expect(torn.valid).toBe(a.length);
    expect(torn.problem).toMatch(/torn record/);

    const flipped = Buffer.from(both);
    flipped[a.length + 14] ^= 0xff;
    const corrupt = decodeRecords(flipped, 7);
    expect(corrupt.records).toHaveLength(1);
    expect(corrupt.problem).toMatch(/checksum mismatch/);
  });
});

describe('SpanLog', () => {
  it('shares fsyncs between concurrent appends and keeps records until their traces are done and written', async () => {
    const o = options();
    const log = SpanLog.open(o);
    const appends = Array.from({ length: 50 }, (_, i) => log.append('json', i, body(`request ${i}`)));
    await Promise.all(appends.map((a) => a.durable));
    expect(log.stats().appends).toBe(50);
    expect(log.stats().fsyncs).toBeLessThan(50);
    appends.forEach((a, i) => log.register(a.segment, [`trace-${i % 5}`]));
    expect(segmentFiles(o.dir)).toHaveLength(1);

    for (let t = 0; t < 4; t++) log.traceDone(`trace-${t}`, 10 + t);
    log.written(20);
    log.sweep();
    expect(segmentFiles(o.dir)).toHaveLength(1); // trace-4 is still open

    // Done at queue position 30, but the store has committed only up to 29.
    log.traceDone('trace-4', 30);
    log.written(29);
    expect(segmentFiles(o.dir)).toHaveLength(1);
    log.written(30);
    expect(segmentFiles(o.dir)).toHaveLength(0);
    expect(log.stats().bytes).toBe(0);
    await log.close();
    await log.close();
  });

  it('does not release spans of a trace reopened after it was marked done', async () => {
    const o = options();
    const log = SpanLog.open(o);
    const first = log.append('json', 1, body('first'));
    await first.durable;
    log.register(first.segment, ['t']);
    log.traceDone('t', 1);
    const late = log.append('json', 2, body('late span of t'));
    await late.durable;
    log.register(late.segment, ['t']); // reopened: a new registration
    log.written(1);
    expect(segmentFiles(o.dir)).toHaveLength(1);
    await log.close();
    const reopened = SpanLog.open(o);
    expect(reopened.takeRecovered().map((r) => text(r.body))).toEqual(['first', 'late span of t']);
    await reopened.close();
  });

  it('recovers every complete record after a crash, discarding a torn tail, and counts it', async () => {
    const o = options({ segmentBytes: 200 });
    const log = SpanLog.open(o);
    for (let i = 0; i < 10; i++) {
      const a = log.append('json', i, body(`request number ${i} `.repeat(3)));
      await a.durable;
      log.register(a.segment, [`t${i}`]);
    }
    // No close(): the process "dies" here. Then a torn record at the end of the newest segment.
    const files = segmentFiles(o.dir);
    expect(files.length).toBeGreaterThan(1);
    const last = path.join(o.dir, files[files.length - 1]);
    appendFileSync(last, encodeRecord('json', 11, body('never acknowledged')).subarray(0, 20));
    const recovered = SpanLog.open(o);
    const records = recovered.takeRecovered();
    expect(records.map((r) => r.receivedAt)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(recovered.stats()).toMatchObject({ recoveredRecords: 10, discardedBytes: 20 });
    // Replaying and finishing the traces deletes the old segments.
    records.forEach((r, i) => recovered.register(r.segment, [`t${i}`]));
    records.forEach((_, i) => recovered.traceDone(`t${i}`, 1));
    recovered.written(1);
    expect(segmentFiles(o.dir)).toHaveLength(0);
    await recovered.close();
  });

  it('refuses with WAL_FULL at its byte bound, with --wal=off too', async () => {
    for (const durable of [true, false]) {
      const o = options({ durable, maxBytes: 1000 });
      const log = SpanLog.open(o);
      const a = log.append('protobuf', 0, new Uint8Array(600));
      await a.durable;
      log.register(a.segment, ['t']);
      expect(() => log.admit(600)).toThrow(expect.objectContaining({ code: 'WAL_FULL', retryable: true }));
      log.traceDone('t', 0);
      log.written(0);
      expect(() => log.admit(600)).not.toThrow();
      expect(segmentFiles(o.dir)).toEqual([]);
      await log.close();
    }
  });

  it('starts a fresh segment when a segment file cannot be written, and says why', async () => {
    const o = options();
    const log = SpanLog.open(o);
    const a = log.append('json', 0, body('ok'));
    await a.durable;
    log.register(a.segment, ['t']);
    // Replace the folder by a file: new segments cannot be created.
    await log.close();
    const again = SpanLog.open(o);
    expect(again.takeRecovered()).toHaveLength(1);
    rmSync(o.dir, { recursive: true });
    writeFileSync(o.dir, 'not a folder');
    expect(() => again.append('json', 1, body('x'))).toThrow(expect.objectContaining({ code: 'WAL_FAILED' }));
    expect(again.failure?.message).toMatch(/cannot start a span log segment/);
    // The folder is back.
    again.recheck(Date.now() + 5000);
    expect(again.failure).not.toBeNull();
    rmSync(o.dir);
    mkdirSync(o.dir);
    // The probe finds out by itself, without a request.
    again.recheck(Date.now() + 10_000);
    expect(again.failure).toBeNull();
    const b = again.append('json', 2, body('y'));
    await b.durable;
    expect(again.failure).toBeNull();
    await again.close();
  });
});
