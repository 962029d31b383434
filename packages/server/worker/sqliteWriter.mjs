/**
 * The SQLite store's batch writer: the statements `SqliteStore.write` runs in
 * one transaction, and the worker thread that runs them off the ingest thread.
 *
 * Contract (see SqliteStore.write, which builds the batch):
 * - `createBatchWriter(db)` returns `writeBatch(batch)`, which runs in one
 *   IMMEDIATE transaction, in this order: every signal (INSERT OR IGNORE by
 *   id; for a newly inserted one, its notification rows, throttled as
 *   store.ts says), then every trace. It returns `[{ index, seq }]` for the
 *   signals newly stored (index into batch.signals). Any error rolls the whole
 *   batch back and is thrown.
 * - A signal's evidence is `batch.evidence[signal.evidence]` (JSON text),
 *   which several signals share. It is stored once, in the evidence table,
 *   under the id of the first of them that is newly inserted (signal ids
 *   are unique and signals are never deleted, so that id names no other
 *   evidence); the signals store its id (evidence_id) and '' in their own
 *   evidence column, which only rows from before schema 7 fill.
 * - A trace is `{ params, offset, length, expected }`: its spans are
 *   `batch.bytes.subarray(offset, offset + length)` (OTLP TracesData). Without
 *   `expected` it is new and inserted; a row that exists already means another
 *   write stored the trace since the caller looked, and the batch fails with
 *   code 'FLUO_TRACE_RACED' (retryable: the caller merges on the retry). With
 *   `expected` ({ spanCount, completedAt } of the row the caller merged into,
 *   and its stored bytes at `batch.bytes.subarray(expected.offset,
 *   expected.offset + expected.length)`, length -1 for a row without bytes)
 *   it replaces that row, and fails the same way when the row changed
 *   meanwhile (any of the three differs).
 * - All values arrive ready to bind (JSON already stringified by the caller):
 *   this file holds no domain logic beyond the notification throttle.
 * - Run as a worker (workerData `{ path, busyTimeout }`): opens its own
 *   connection to the (already migrated) database file and answers each
 *   message `{ id, batch }` with `{ id, inserted }` or `{ id, error: { name,
 *   message, code } }`, in message order; `{ close: true }` closes the
 *   connection and ends the thread.
 *
 * Plain JavaScript outside `src` so that the same file runs under vitest
 * (which cannot start a TypeScript worker) and from `dist`.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** @param {import('better-sqlite3').Database} db */
export function statementCache(db) {
  const statements = new Map();
  return (sql) => {
    let s = statements.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
}

/**
 * Inserts one outbox row inside the caller's transaction, applying the
 * throttle (contract in store.ts). Returns its n, or null when the key exists.
 */
export function insertNotification(stmt, row) {
  if (stmt('SELECT 1 FROM notifications WHERE key = ?').get(row.key)) return null;
  let status = 'pending';
  let groupKey = null;
  if (row.throttle) {
    const t = row.throttle;
    groupKey = t.groupKey;
    const window = stmt('SELECT started_at, ends_at, sent, suppressed FROM notification_windows WHERE channel_id = ? AND group_key = ?')
      .get(row.channelId, t.groupKey);
    if (!window || row.createdAt >= window.ends_at) {
      stmt(`INSERT INTO notification_windows (channel_id, group_key, started_at, ends_at, sent, suppressed) VALUES (?, ?, ?, ?, 1, 0)
        ON CONFLICT (channel_id, group_key) DO UPDATE SET started_at = excluded.started_at, ends_at = excluded.ends_at, sent = 1, suppressed = 0`)
        .run(row.channelId, t.groupKey, row.createdAt, row.createdAt + t.windowMs);
    } else if (window.sent < t.cap) {
      stmt('UPDATE notification_windows SET sent = sent + 1 WHERE channel_id = ? AND group_key = ?').run(row.channelId, t.groupKey);
    } else {
      status = 'suppressed';
      stmt('UPDATE notification_windows SET suppressed = suppressed + 1 WHERE channel_id = ? AND group_key = ?').run(row.channelId, t.groupKey);
      stmt(`INSERT INTO notifications (key, channel_id, kind, signal_id, rule_id, order_key, group_key, payload, status, next_attempt_at, created_at, updated_at, suppressed_count)
        VALUES (@key, @channelId, 'summary', NULL, @ruleId, @orderKey, @groupKey, @payload, 'pending', @endsAt, @createdAt, @createdAt, 1)
        ON CONFLICT (key) DO UPDATE SET suppressed_count = suppressed_count + 1, updated_at = excluded.updated_at`).run({
        key: `summary:${row.channelId}:${t.groupKey}:${window.started_at}`, channelId: row.channelId, ruleId: row.ruleId, orderKey: `summary:${row.orderKey}`,
        groupKey: t.groupKey, payload: row.payload, endsAt: window.ends_at, createdAt: row.createdAt,
      });
    }
  }
  const result = stmt(`INSERT INTO notifications (key, channel_id, kind, signal_id, rule_id, order_key, group_key, payload, status, next_attempt_at, created_at, updated_at)
    VALUES (@key, @channelId, @kind, @signalId, @ruleId, @orderKey, @groupKey, @payload, @status, @nextAttemptAt, @createdAt, @createdAt)`).run({
    key: row.key, channelId: row.channelId, kind: row.kind, signalId: row.signalId, ruleId: row.ruleId, orderKey: row.orderKey, groupKey,
    payload: row.payload, status, nextAttemptAt: row.nextAttemptAt, createdAt: row.createdAt,
  });
  return Number(result.lastInsertRowid);
}

function raced(traceId) {
  const err = new Error(`trace ${traceId} was stored by another write meanwhile; the write is retried`);
  err.code = 'FLUO_TRACE_RACED';
  return err;
}

/** @param {import('better-sqlite3').Database} db */
export function createBatchWriter(db) {
  const stmt = statementCache(db);
  const insertSignal = stmt(`INSERT OR IGNORE INTO signals (id, rule_id, rule_name, rule_version, severity, mode, trace_id, span_ids, message,
    detected_at, first_span_time, last_span_time, services, status, status_updated_at, evidence, trace_ids, correlation_key, window_start, window_end,
    evidence_id) VALUES (@id, @ruleId, @ruleName, @ruleVersion, @severity, @mode, @traceId, @spanIds, @message, @detectedAt, @firstSpanTime, @lastSpanTime,
    @services, 'open', @detectedAt, '', @traceIds, @correlationKey, @windowStart, @windowEnd, @evidenceId)`);
  const insertEvidence = stmt('INSERT OR REPLACE INTO evidence (id, spans) VALUES (?, ?)');
  const insertTrace = stmt(`INSERT INTO traces (trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at, span_names, spans_otlp)
    VALUES (@traceId, @rootName, @services, @spanCount, @errorCount, @startTime, @endTime, @completedAt, @spanNames, @otlp) ON CONFLICT (trace_id) DO NOTHING`);
  const replaceTrace = stmt(`UPDATE traces SET root_name = @rootName, services = @services, span_count = @spanCount, error_count = @errorCount,
    start_time = @startTime, end_time = @endTime, completed_at = @completedAt, span_names = @spanNames, spans_otlp = @otlp, spans = NULL
    WHERE trace_id = @traceId AND span_count = @expectedSpanCount AND completed_at = @expectedCompletedAt AND spans_otlp IS @expectedOtlp`);
  const transaction = db.transaction((batch) => {
    const inserted = [];
    /** By index into batch.evidence: the id it is stored under, once stored. */
    const evidenceIds = new Array(batch.evidence.length);
    for (let i = 0; i < batch.signals.length; i++) {
      const { params, evidence, notifications } = batch.signals[i];
      const evidenceId = evidenceIds[evidence];
      const result = insertSignal.run({ ...params, evidenceId: evidenceId ?? params.id });
      if (result.changes !== 1) continue;
      if (evidenceId === undefined) {
        insertEvidence.run(params.id, batch.evidence[evidence]);
        evidenceIds[evidence] = params.id;
      }
      inserted.push({ index: i, seq: Number(result.lastInsertRowid) });
      for (const row of notifications) insertNotification(stmt, row);
    }
    const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    for (const { params, offset, length, expected } of batch.traces) {
      const otlp = bytes.subarray(offset, offset + length);
      if (expected === null) {
        if (insertTrace.run({ ...params, otlp }).changes !== 1) throw raced(params.traceId);
      } else {
        const changes = replaceTrace.run({
          ...params, otlp, expectedSpanCount: expected.spanCount, expectedCompletedAt: expected.completedAt,
          expectedOtlp: expected.length < 0 ? null : bytes.subarray(expected.offset, expected.offset + expected.length),
        }).changes;
        if (changes !== 1) throw raced(params.traceId);
      }
    }
    return inserted;
  });
  return (batch) => transaction.immediate(batch);
}

if (!isMainThread && workerData?.role === 'fluo-sqlite-writer') {
  const db = new Database(workerData.path, { timeout: workerData.busyTimeout });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const writeBatch = createBatchWriter(db);
  parentPort.on('message', (message) => {
    if (message.close) {
      db.close();
      parentPort.close();
      return;
    }
    try {
      parentPort.postMessage({ id: message.id, inserted: writeBatch(message.batch) });
    } catch (err) {
      parentPort.postMessage({ id: message.id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err), code: err?.code } });
    }
  });
}
