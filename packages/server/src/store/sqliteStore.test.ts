import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createBatchWriter } from '../../worker/sqliteWriter.mjs';
import { MIGRATIONS, SqliteStore } from './sqliteStore.js';
import { describeStoreConformance, testSignal, testSpan, testTrace } from './storeConformance.testkit.js';
import { PermanentWriteError } from './store.js';
import { openStore, parseStoreUrl } from './stores.js';

const root = mkdtempSync(path.join(tmpdir(), 'fluo-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describeStoreConformance('sqlite (file)', async () => {
  const dataDir = path.join(root, `conformance-${++n}`);
  let store = await openStore('sqlite:', { dataDir });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openStore('sqlite:', { dataDir });
      return store;
    },
  };
});

describeStoreConformance('sqlite (in memory)', async () => ({ store: await openStore('sqlite::memory:', { dataDir: root }) }));

describe('SqliteStore', () => {
  it('creates its file in the data folder, in WAL mode, at the latest schema version', async () => {
    const dataDir = path.join(root, 'fresh', 'nested');
    const store = await openStore('sqlite:', { dataDir }) as SqliteStore;
    expect(store.path).toBe(path.join(dataDir, 'fluo.db'));
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    await store.close();
    const db = new Database(path.join(dataDir, 'fluo.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database written by a newer FLUO, naming both versions', async () => {
    const file = path.join(root, 'newer.db');
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => SqliteStore.open({ path: file, busyTimeout: 100 })).toThrow(`schema version ${MIGRATIONS.length + 1}, newer than this FLUO knows (${MIGRATIONS.length})`);
  });

  it('migrates a version 1 database: existing rules get their current version recorded, its signals read back as per-trace signals', async () => {
    const file = path.join(root, 'v1.db');
    const oldEvidence = [testSpan('t'.padStart(32, '0'), 's'.padStart(16, '0'), { name: 'stored in the signal row' })];
    const db = new Database(file);
    db.exec(MIGRATIONS[0]);
    db.pragma('user_version = 1');
    db.prepare(`INSERT INTO rules (id, name, description, severity, dsl, enabled, mode, tags, version, created_at, updated_at)
      VALUES ('old', 'Old', '', 'info', 'trace.has(s => true)', 1, 'alert', '[]', 4, 10, 20)`).run();
    db.prepare(`INSERT INTO signals (id, rule_id, rule_name, rule_version, severity, mode, trace_id, span_ids, message, detected_at,
      first_span_time, last_span_time, services, status, status_updated_at, evidence)
      VALUES ('old', 'r', 'R', 1, 'info', 'alert', 't', '["s"]', 'm', 1, 1, 2, '[]', 'open', 1, ?)`).run(JSON.stringify(oldEvidence));
    db.close();
    const store = SqliteStore.open({ path: file, busyTimeout: 100 });
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    expect(await store.listRuleVersions('old')).toEqual([
      { ruleId: 'old', version: 4, name: 'Old', description: '', severity: 'info', dsl: 'trace.has(s => true)', enabled: true, mode: 'alert', tags: [], savedAt: 20 },
    ]);
    const old = await store.getSignal('old');
    expect(old).toMatchObject({ id: 'old', traceId: 't', spanIds: ['s'] });
    expect(old!.traceIds).toBeUndefined();
    expect(JSON.parse(JSON.stringify(old!.evidence))).toEqual(JSON.parse(JSON.stringify(oldEvidence)));
    await store.close();
  });

  it('migrates kept traces to OTLP bytes: rows kept as JSON before still read, filter by span name and take late spans', async () => {
    const file = path.join(root, 'v5.db');
    const db = new Database(file);
    for (const m of MIGRATIONS.slice(0, 5)) db.exec(m);
    db.pragma('user_version = 5');
    const traceId = 'a'.repeat(32);
    const spans = [testSpan(traceId, '1'.repeat(16), { name: 'GET /old' }), testSpan(traceId, '2'.repeat(16), { name: 'db', parentSpanId: '1'.repeat(16), service: 'db' })];
    db.prepare(`INSERT INTO traces (trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at, spans)
      VALUES (?, 'GET /old', '["auth","db"]', 2, 0, ?, ?, 7, ?)`).run(traceId, spans[0].startTime, spans[0].endTime, JSON.stringify(spans));
    db.close();
    const store = SqliteStore.open({ path: file, busyTimeout: 100 });
    try {
      expect(store.schemaVersion).toBe(MIGRATIONS.length);
      expect((await store.getTrace(traceId))!.spans).toEqual(spans.map((s) => ({ ...s })));
      expect((await store.listTraces({ spanName: 'db', limit: 10 })).map((t) => t.traceId)).toEqual([traceId]);
      expect(await store.listTraces({ spanName: 'nope', limit: 10 })).toEqual([]);
      await store.write({ signals: [], traces: [testTrace(traceId, [testSpan(traceId, '3'.repeat(16), { name: 'late', startTime: spans[0].startTime + 100 })], 8)] });
      const merged = (await store.getTrace(traceId))!;
      expect(merged.spans.map((s) => s.name)).toEqual(['GET /old', 'db', 'late']);
      expect(merged).toMatchObject({ spanCount: 3, completedAt: 8, rootName: 'GET /old', services: ['auth', 'db'] });
      expect((await store.listTraces({ spanName: 'late', limit: 10 })).map((t) => t.traceId)).toEqual([traceId]);
    } finally {
      await store.close();
    }
  });

  it('stores spans as OTLP bytes, once per batch write, and a late copy of a span replaces the earlier one', async () => {
    const store = SqliteStore.open({ path: path.join(root, 'bytes.db'), busyTimeout: 100 });
    try {
      const traceId = 'b'.repeat(32);
      await store.write({ signals: [], traces: [testTrace(traceId, [testSpan(traceId, '1'.repeat(16), { name: 'first', status: 'ERROR' })], 1)] });
      await store.write({ signals: [], traces: [testTrace(traceId, [testSpan(traceId, '1'.repeat(16), { name: 'again', status: 'OK' }), testSpan(traceId, '2'.repeat(16))], 2)] });
      const kept = (await store.getTrace(traceId))!;
      expect(kept.spans.map((s) => [s.spanId, s.name, s.status])).toEqual([['1'.repeat(16), 'again', 'OK'], ['2'.repeat(16), 'span', 'UNSET']]);
      expect(kept).toMatchObject({ spanCount: 2, errorCount: 0, rootName: 'again', completedAt: 2 });
      const db = new Database(store.path, { readonly: true });
      const row = db.prepare('SELECT typeof(spans_otlp) AS type, spans FROM traces WHERE trace_id = ?').get(traceId);
      db.close();
      expect(row).toEqual({ type: 'blob', spans: null });
    } finally {
      await store.close();
    }
  });

  it('stores the evidence the signals of a batch share once', async () => {
    const store = SqliteStore.open({ path: path.join(root, 'evidence.db'), busyTimeout: 100 });
    const db = new Database(store.path, { readonly: true });
    try {
      const traceId = 'c'.repeat(32);
      const shared = Array.from({ length: 30 }, (_, i) => testSpan(traceId, (i + 1).toString(16).padStart(16, '0')));
      await store.write({ signals: [1, 2, 3].map((n) => ({ ...testSignal(n, { traceId }), evidence: shared })), traces: [] });
      expect(db.prepare('SELECT id, length(spans) > 0 AS kept FROM evidence').all()).toEqual([{ id: 'sig-1', kept: 1 }]);
      expect(db.prepare("SELECT id, evidence_id, evidence FROM signals ORDER BY seq").all()).toEqual(
        [1, 2, 3].map((n) => ({ id: `sig-${n}`, evidence_id: 'sig-1', evidence: '' })));
      expect((await store.getSignal('sig-3'))!.evidence.map((s) => s.spanId)).toEqual(shared.map((s) => s.spanId));
    } finally {
      db.close();
      await store.close();
    }
  });

  it('stores a trace completed again and again once: its bytes do not grow with each completion', async () => {
    const store = SqliteStore.open({ path: path.join(root, 'recompleted.db'), busyTimeout: 100 });
    const db = new Database(store.path, { readonly: true });
    try {
      const traceId = 'd'.repeat(32);
      const spans = Array.from({ length: 20 }, (_, i) => testSpan(traceId, (i + 1).toString(16).padStart(16, '0')));
      const stored = () => (db.prepare('SELECT length(spans_otlp) AS n FROM traces WHERE trace_id = ?').get(traceId) as { n: number }).n;
      await store.write({ signals: [], traces: [testTrace(traceId, spans, 1)] });
      const once = stored();
      // Each completion hands over every span of the trace again, as the detector does for a reopened trace.
      for (let n = 2; n <= 12; n++) await store.write({ signals: [], traces: [testTrace(traceId, spans, n)] });
      expect(stored()).toBe(once);
      const late = [...spans, testSpan(traceId, 'f'.repeat(16))];
      await store.write({ signals: [], traces: [testTrace(traceId, late, 13)] });
      expect(stored()).toBeLessThan(once * 1.2);
      expect((await store.getTrace(traceId))!.spans.map((s) => s.spanId).sort()).toEqual(late.map((s) => s.spanId).sort());
    } finally {
      db.close();
      await store.close();
    }
  });

  it('the writer replaces a kept trace only while the row holds exactly the bytes it was merged from', async () => {
    const file = path.join(root, 'raced.db');
    const store = SqliteStore.open({ path: file, busyTimeout: 100 });
    const traceId = 'e'.repeat(32);
    await store.write({ signals: [], traces: [testTrace(traceId, [testSpan(traceId, '1'.repeat(16))], 1)] });
    await store.close();
    const db = new Database(file);
    try {
      const writeBatch = createBatchWriter(db);
      const row = db.prepare('SELECT span_count, completed_at, spans_otlp FROM traces WHERE trace_id = ?').get(traceId) as { span_count: number; completed_at: number; spans_otlp: Buffer };
      const params = {
        traceId, rootName: 'r', services: '[]', spanCount: row.span_count, errorCount: 0, startTime: 0, endTime: 0, completedAt: row.completed_at, spanNames: '[]',
      };
      const replace = (expectedBytes: Uint8Array) => {
        const replacement = Uint8Array.of(0x0a, 0x00);
        const bytes = new Uint8Array(replacement.length + expectedBytes.length);
        bytes.set(replacement, 0);
        bytes.set(expectedBytes, replacement.length);
        const expected = { spanCount: row.span_count, completedAt: row.completed_at, offset: replacement.length, length: expectedBytes.length };
        return () => writeBatch({ signals: [], evidence: [], traces: [{ params, offset: 0, length: replacement.length, expected }], bytes });
      };
      // Same span count, completion time and length, one byte different: another write changed the row.
      const changed = Uint8Array.from(row.spans_otlp);
      changed[changed.length - 1] ^= 1;
      expect(replace(changed)).toThrow(expect.objectContaining({ code: 'FLUO_TRACE_RACED' }));
      expect(replace(Uint8Array.from(row.spans_otlp))).not.toThrow();
      expect((db.prepare('SELECT hex(spans_otlp) AS h FROM traces WHERE trace_id = ?').get(traceId) as { h: string }).h).toBe('0A00');
    } finally {
      db.close();
    }
  });

  it('refuses late spans for a kept trace whose stored bytes are damaged as a permanent error, naming the trace', async () => {
    const store = SqliteStore.open({ path: path.join(root, 'damaged.db'), busyTimeout: 100 });
    try {
      const traceId = 'c'.repeat(32);
      await store.write({ signals: [], traces: [testTrace(traceId, [testSpan(traceId, '1'.repeat(16))], 1)] });
      const db = new Database(store.path);
      db.prepare("UPDATE traces SET spans_otlp = x'0aff' WHERE trace_id = ?").run(traceId);
      db.close();
      const late = testTrace(traceId, [testSpan(traceId, '2'.repeat(16))], 2);
      const err = await store.write({ signals: [], traces: [late] }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentWriteError);
      expect((err as Error).message).toMatch(new RegExp(`trace ${traceId}: its kept spans cannot be merged`));
    } finally {
      await store.close();
    }
  });

  describe('writer thread', () => {
    const trace = (n: number) => testTrace(n.toString(16).padStart(32, '0'), [testSpan(n.toString(16).padStart(32, '0'), '1'.repeat(16))], n);

    it('writes batches on a worker thread with its own connection; reads on the main connection see them', async () => {
      const store = SqliteStore.open({ path: path.join(root, 'writer.db'), busyTimeout: 100 });
      try {
        expect(store.writerWorker).toBeUndefined();
        const stored = await store.write({ signals: [testSignal(1)], traces: [trace(1)] });
        expect(stored.map((s) => s.id)).toEqual(['sig-1']);
        expect(store.writerWorker!.threadId).toBeGreaterThan(0);
        expect(await store.getTrace(trace(1).traceId)).not.toBeNull();
        expect((await store.getSignal('sig-1'))?.seq).toBe(stored[0].seq);
      } finally {
        await store.close();
        await store.close(); // idempotent
      }
      expect(store.writerWorker).toBeUndefined();
    });

    it('prepareWrites starts the thread before the first write, once; a database in memory writes in-thread', async () => {
      const store = SqliteStore.open({ path: path.join(root, 'prepared.db'), busyTimeout: 100 });
      const memory = SqliteStore.open({ path: ':memory:', busyTimeout: 100 });
      try {
        store.prepareWrites();
        const started = store.writerWorker;
        expect(started?.threadId).toBeGreaterThan(0);
        store.prepareWrites();
        expect(store.writerWorker).toBe(started);
        expect((await store.write({ signals: [testSignal(1)], traces: [trace(1)] })).map((s) => s.id)).toEqual(['sig-1']);
        expect(store.writerWorker).toBe(started);
        memory.prepareWrites();
        expect(memory.writerWorker).toBeUndefined();
        expect((await memory.write({ signals: [testSignal(1)], traces: [trace(1)] })).map((s) => s.id)).toEqual(['sig-1']);
      } finally {
        await store.close();
        await memory.close();
      }
      expect(store.writerWorker).toBeUndefined();
    });

    it('an idle writer thread started ahead of time does not keep the process alive', async () => {
      // A child process runs the built store (npm test builds first): it must exit by itself without close().
      const built = fileURLToPath(new URL('../../dist/store/sqliteStore.js', import.meta.url));
      const script = `import { SqliteStore } from ${JSON.stringify(pathToFileURL(built).href)};
        const store = SqliteStore.open({ path: ${JSON.stringify(path.join(root, 'idle.db'))}, busyTimeout: 100 });
        store.prepareWrites();
        console.log(store.writerWorker.threadId > 0 ? 'started' : 'not started');`;
      const file = path.join(root, 'idle.mjs');
      writeFileSync(file, script);
      const result = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
      expect(result.stderr).toBe('');
      expect(result.signal).toBeNull(); // not killed by the timeout
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toBe('started');
    });

    it('reports a lock held by another connection as retryable, and writes once it is released', async () => {
      const file = path.join(root, 'locked.db');
      const store = SqliteStore.open({ path: file, busyTimeout: 50 });
      const other = new Database(file);
      try {
        await store.write({ signals: [], traces: [trace(1)] }); // the writer thread is up
        other.exec('BEGIN IMMEDIATE');
        const err = await store.write({ signals: [testSignal(2)], traces: [trace(2)] }).then(() => null, (e: unknown) => e);
        expect(err).toMatchObject({ code: 'SQLITE_BUSY' });
        expect(err).not.toBeInstanceOf(PermanentWriteError);
        other.exec('ROLLBACK');
        expect((await store.write({ signals: [testSignal(2)], traces: [trace(2)] })).map((s) => s.id)).toEqual(['sig-2']);
      } finally {
        other.close();
        await store.close();
      }
    });

    it('fails the writes in flight as retryable when the thread dies, and starts a new thread for the next write', async () => {
      const store = SqliteStore.open({ path: path.join(root, 'crash.db'), busyTimeout: 100 });
      try {
        await store.write({ signals: [], traces: [trace(1)] });
        const first = store.writerWorker!;
        // Told to end ahead of the next write, the thread exits without answering it, as after a crash. (Not
        // terminate(): terminating a thread inside a better-sqlite3 call that then fails aborts the whole process.)
        first.postMessage({ close: true });
        const err = await store.write({ signals: [testSignal(3)], traces: [trace(3)] }).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(PermanentWriteError);
        expect(String((err as Error).message)).toMatch(/writer thread exited/);
        expect((await store.write({ signals: [testSignal(3)], traces: [trace(3)] })).map((s) => s.id)).toEqual(['sig-3']);
        expect(store.writerWorker).not.toBe(first);
        expect((await store.listTraces({ limit: 10 })).map((t) => t.traceId)).toEqual([trace(3).traceId, trace(1).traceId]);
      } finally {
        await store.close();
      }
    });

    it('close() ends when the thread ends while close() waits for a write in flight', async () => {
      const store = SqliteStore.open({ path: path.join(root, 'ends-on-close.db'), busyTimeout: 100 });
      store.prepareWrites();
      // Told to end ahead of the write, the thread exits without answering it, as after a crash. (Not terminate():
      // terminating a thread inside a better-sqlite3 call that then fails aborts the whole process.)
      store.writerWorker!.postMessage({ close: true });
      const inFlight = store.write({ signals: [testSignal(1)], traces: [trace(1)] }).then(() => 'written', (e: unknown) => String(e));
      const closing = store.close();
      expect(await inFlight).toMatch(/writer thread exited/);
      await closing; // before the fix this never settled: the thread had exited before close() listened for it
      expect(store.writerWorker).toBeUndefined();
    });

    it("takes this connection's writes in turn with the thread's batches, in call order", async () => {
      // A write of this connection made while a batch is in flight waits (asynchronously) for it, instead of meeting
      // its lock in SQLite's busy handler, which blocks the event loop and, under a stream of batches, fails with
      // 'database is locked'. Without the turns, the audit entry and the expiry settle first (they run at once).
      const store = SqliteStore.open({ path: path.join(root, 'turns.db'), busyTimeout: 100 });
      store.prepareWrites();
      try {
        const order: string[] = [];
        const done = (what: string) => () => { order.push(what); };
        await Promise.all([
          store.write({ signals: [testSignal(1)], traces: [trace(1)] }).then(done('batch 1')),
          store.appendAudit({ at: 1, actor: 'test', action: 'rule.update', target: 'r1', before: null, after: { n: 1 } }).then(done('audit')),
          store.write({ signals: [testSignal(2)], traces: [trace(2)] }).then(done('batch 2')),
          store.expireNotifications(0, 2).then(done('expiry')),
        ]);
        expect(order).toEqual(['batch 1', 'audit', 'batch 2', 'expiry']);
        expect(await store.stats()).toMatchObject({ signals: 2, traces: 2 });
      } finally {
        await store.close();
      }
    });

    it('close() waits for the writes in flight', async () => {
      const file = path.join(root, 'close.db');
      const store = SqliteStore.open({ path: file, busyTimeout: 100 });
      const writes = [1, 2, 3].map((n) => store.write({ signals: [testSignal(n)], traces: [trace(n)] }));
      await store.close();
      expect((await Promise.all(writes)).flat().map((s) => s.id)).toEqual(['sig-1', 'sig-2', 'sig-3']);
      const again = SqliteStore.open({ path: file, busyTimeout: 100 });
      expect((await again.stats())).toMatchObject({ signals: 3, traces: 3, spans: 3 });
      await again.close();
    });
  });

  it('says why a database cannot be opened', () => {
    const notADb = path.join(root, 'not-a-db');
    Database(notADb).close();
    rmSync(notADb);
    // A folder where the file should be.
    expect(() => SqliteStore.open({ path: root, busyTimeout: 100 })).toThrow(/cannot open SQLite database/);
  });

  it('parses store URLs: default file, relative and absolute paths, memory; refuses unknown schemes', () => {
    expect(parseStoreUrl('sqlite:', { dataDir: '/data' }).config).toEqual({ path: '/data/fluo.db', busyTimeout: 250 });
    expect(parseStoreUrl('sqlite:x/y.db', { dataDir: '/data' }).config).toEqual({ path: '/data/x/y.db', busyTimeout: 250 });
    expect(parseStoreUrl('sqlite:/abs.db', { dataDir: '/data' }).config).toEqual({ path: '/abs.db', busyTimeout: 250 });
    expect(parseStoreUrl('sqlite::memory:', { dataDir: '/data' }).config).toEqual({ path: ':memory:', busyTimeout: 250 });
    expect(() => parseStoreUrl('mysql://localhost/fluo', { dataDir: '/data' })).toThrow("'mysql://localhost/fluo' has no known scheme: use one of 'sqlite:', 'postgres:', 'postgresql:'");
    expect(() => parseStoreUrl('fluo.db', { dataDir: '/data' })).toThrow('no known scheme');
  });
});
