/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode.
 *
 * Why SQLite: FLUO must run as one process with nothing else to install, keep
 * its rules and signals across restarts, and answer filtered, paginated
 * queries; SQLite gives transactions, indexes and crash safety in a single
 * file, and better-sqlite3's synchronous calls are fast for this (one
 * writer, many short reads). WAL lets reads run while a write commits.
 *
 * The write path (`write`: signals, notification rows and kept traces, one
 * transaction per batch) runs on a worker thread with its own connection
 * (../../worker/sqliteWriter.mjs, contract there), so that commits and the
 * SQLite insert work leave the ingest thread; this thread keeps the
 * connection for reads and the API's own writes. Kept traces arrive as OTLP
 * bytes (keptTrace.ts) and are stored as such (migration 6).
 *
 * Schema versions live in `PRAGMA user_version`; MIGRATIONS[i] moves a
 * database from version i to i + 1, each in its own transaction. A database
 * written by a newer FLUO (higher version) is refused rather than guessed at.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Severity } from '@fluohq/engine';
import { FluoError } from '../errors.js';
import { Worker } from 'node:worker_threads';
import { createBatchWriter, insertNotification, statementCache, type BatchMessage, type NotificationParams, type StatementCache } from '../../worker/sqliteWriter.mjs';
import { keptTraceFromRow, mergeNewTraces, storedSpansOtlp } from './keptTrace.js';
import { evidenceTexts, nullPrototypeReviver, type SerializedSpan } from './serializedSpan.js';
import { PermanentWriteError } from './store.js';
import type {
  ChannelRecord, DeliveryOutcomeRecord, NewNotification, NotificationQuery, NotificationRecord,
  ActivityCounts, ActivityQuery, RuleVersionRecord,
  AuditEntry, AuditQuery, NewAuditEntry, TokenRecord,
  KeptTrace, NewTrace, PruneResult, RuleRecord, SignalCount, SignalCountQuery, SignalDetail, SignalQuery, SignalRecord, SignalStatus, StatusChange,
  Store, StoreStats, TraceQuery, TraceSummary, WriteBatch,
} from './store.js';

export interface SqliteStoreConfig {
  /** Database file, or ':memory:'. */
  path: string;
  /**
   * ms a statement waits for a lock held by another connection (e.g. a
   * sqlite3 shell writing). Short on purpose: better-sqlite3 waits
   * synchronously, so a long wait would stall the server; a failed write is
   * retried by the write queue instead, and back-pressure tells senders.
   */
  busyTimeout: number;
}

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    dsl TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    mode TEXT NOT NULL,
    tags TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
  );
  CREATE TABLE signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    rule_id TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    rule_version INTEGER NOT NULL,
    severity TEXT NOT NULL,
    mode TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_ids TEXT NOT NULL,
    message TEXT NOT NULL,
    detected_at REAL NOT NULL,
    first_span_time REAL NOT NULL,
    last_span_time REAL NOT NULL,
    services TEXT NOT NULL,
    status TEXT NOT NULL,
    status_updated_at REAL NOT NULL,
    evidence TEXT NOT NULL
  );
  CREATE INDEX signals_by_rule ON signals (rule_id, seq);
  CREATE INDEX signals_by_detected_at ON signals (detected_at);
  CREATE TABLE signal_history (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id TEXT NOT NULL,
    at REAL NOT NULL,
    by TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    note TEXT
  );
  CREATE INDEX signal_history_by_signal ON signal_history (signal_id, n);
  CREATE TABLE traces (
    trace_id TEXT PRIMARY KEY,
    root_name TEXT NOT NULL,
    services TEXT NOT NULL,
    span_count INTEGER NOT NULL,
    error_count INTEGER NOT NULL,
    start_time REAL NOT NULL,
    end_time REAL NOT NULL,
    completed_at REAL NOT NULL,
    spans TEXT NOT NULL
  );
  CREATE INDEX traces_by_start ON traces (start_time, trace_id);
  CREATE INDEX traces_by_completed ON traces (completed_at);
  `,
  // 2: the notification outbox, its throttling windows, and the API's channels.
  `
  CREATE TABLE notifications (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    channel_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    signal_id TEXT,
    rule_id TEXT,
    order_key TEXT NOT NULL,
    group_key TEXT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at REAL NOT NULL,
    lease_until REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    delivered_at REAL,
    suppressed_count INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
  CREATE INDEX notifications_by_order ON notifications (channel_id, order_key, n);
  CREATE INDEX notifications_by_signal ON notifications (signal_id);
  CREATE TABLE notification_windows (
    channel_id TEXT NOT NULL,
    group_key TEXT NOT NULL,
    started_at REAL NOT NULL,
    ends_at REAL NOT NULL,
    sent INTEGER NOT NULL,
    suppressed INTEGER NOT NULL,
    PRIMARY KEY (channel_id, group_key)
  );
  CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    settings TEXT NOT NULL,
    match TEXT,
    throttle TEXT,
    version INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
  );
  `,
  // 3: rule versions (every saved version of an API rule; the current ones are copied in).
  `
  CREATE TABLE rule_versions (
    rule_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    dsl TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    mode TEXT NOT NULL,
    tags TEXT NOT NULL,
    saved_at REAL NOT NULL,
    PRIMARY KEY (rule_id, version)
  );
  INSERT INTO rule_versions (rule_id, version, name, description, severity, dsl, enabled, mode, tags, saved_at)
    SELECT id, version, name, description, severity, dsl, enabled, mode, tags, updated_at FROM rules;
  `,
  // 4: correlated signals (rules across traces): every trace involved, the key and the window. NULL for per-trace signals.
  `
  ALTER TABLE signals ADD COLUMN trace_ids TEXT;
  ALTER TABLE signals ADD COLUMN correlation_key TEXT;
  ALTER TABLE signals ADD COLUMN window_start REAL;
  ALTER TABLE signals ADD COLUMN window_end REAL;
  `,
  // 5: API tokens (hashed) and the audit log of rule changes, triage and token administration.
  `
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at REAL NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at REAL
  );
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after TEXT
  );
  CREATE INDEX audit_log_by_target ON audit_log (target, seq);
  `,
  // 6: kept traces' spans as OTLP/protobuf TracesData bytes (spans_otlp); rows kept before keep their JSON (spans), exactly one
  // of the two is set. span_names (JSON array) serves the spanName filter without reading the spans; filled for the old rows.
  `
  CREATE TABLE traces_v6 (
    trace_id TEXT PRIMARY KEY,
    root_name TEXT NOT NULL,
    services TEXT NOT NULL,
    span_count INTEGER NOT NULL,
    error_count INTEGER NOT NULL,
    start_time REAL NOT NULL,
    end_time REAL NOT NULL,
    completed_at REAL NOT NULL,
    span_names TEXT NOT NULL,
    spans_otlp BLOB,
    spans TEXT,
    CHECK ((spans_otlp IS NULL) <> (spans IS NULL))
  );
  INSERT INTO traces_v6 (trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at, span_names, spans_otlp, spans)
    SELECT trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at,
      (SELECT json_group_array(DISTINCT json_extract(value, '$.name')) FROM json_each(traces.spans)), NULL, spans FROM traces;
  DROP TABLE traces;
  ALTER TABLE traces_v6 RENAME TO traces;
  CREATE INDEX traces_by_start ON traces (start_time, trace_id);
  CREATE INDEX traces_by_completed ON traces (completed_at);
  `,
  // 7: evidence stored once for the signals that share it (one evaluation of a trace raises several), in its own table;
  // signals.evidence_id names it. Rows stored before keep their evidence in signals.evidence ('' in the new rows).
  `
  CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    spans TEXT NOT NULL
  );
  ALTER TABLE signals ADD COLUMN evidence_id TEXT;
  `,
];

const SIGNAL_COLUMNS = `seq, id, rule_id, rule_name, rule_version, severity, mode, trace_id, span_ids, message,
  detected_at, first_span_time, last_span_time, services, status, status_updated_at, trace_ids, correlation_key, window_start, window_end`;
const TRACE_COLUMNS = 'trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at';

interface RuleRow { id: string; name: string; description: string; severity: string; dsl: string; enabled: number; mode: string; tags: string; version: number; created_at: number; updated_at: number }
interface SignalRow { seq: number; id: string; rule_id: string; rule_name: string; rule_version: number; severity: string; mode: string; trace_id: string; span_ids: string; message: string; detected_at: number; first_span_time: number; last_span_time: number; services: string; status: string; status_updated_at: number; evidence?: string;
  trace_ids: string | null; correlation_key: string | null; window_start: number | null; window_end: number | null }
interface TraceRow { trace_id: string; root_name: string; services: string; span_count: number; error_count: number; start_time: number; end_time: number; completed_at: number; spans?: string | null; spans_otlp?: Uint8Array | null }
interface RuleVersionRow { rule_id: string; version: number; name: string; description: string; severity: string; dsl: string; enabled: number; mode: string; tags: string; saved_at: number }
interface TokenRow { id: string; name: string; role: string; token_hash: string; prefix: string; created_at: number; created_by: string; revoked_at: number | null }
interface AuditRow { seq: number; at: number; actor: string; action: string; target: string; before: string | null; after: string | null }

function tokenFromRow(r: TokenRow): TokenRecord {
  return {
    id: r.id, name: r.name, role: r.role as TokenRecord['role'], hash: r.token_hash, prefix: r.prefix,
    createdAt: r.created_at, createdBy: r.created_by, revokedAt: r.revoked_at,
  };
}

function auditFromRow(r: AuditRow): AuditEntry {
  return {
    seq: r.seq, at: r.at, actor: r.actor, action: r.action, target: r.target,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
  };
}

interface HistoryRow { at: number; by: string; from_status: string; to_status: string; note: string | null }

interface NotificationRow {
  n: number; key: string; channel_id: string; kind: string; signal_id: string | null; rule_id: string | null; order_key: string; group_key: string | null;
  payload: string; status: string; attempts: number; last_error: string | null; next_attempt_at: number; lease_until: number | null; created_at: number;
  updated_at: number; delivered_at: number | null; suppressed_count: number;
}
interface ChannelRow { id: string; type: string; name: string; enabled: number; settings: string; match: string | null; throttle: string | null; version: number; created_at: number; updated_at: number }

function notificationFromRow(r: NotificationRow): NotificationRecord {
  return {
    n: r.n, key: r.key, channelId: r.channel_id, kind: r.kind as NotificationRecord['kind'], signalId: r.signal_id, ruleId: r.rule_id,
    orderKey: r.order_key, groupKey: r.group_key, payload: JSON.parse(r.payload, nullPrototypeReviver) as unknown, status: r.status as NotificationRecord['status'],
    attempts: r.attempts, lastError: r.last_error, nextAttemptAt: r.next_attempt_at, leaseUntil: r.lease_until, createdAt: r.created_at,
    updatedAt: r.updated_at, deliveredAt: r.delivered_at, suppressedCount: r.suppressed_count,
  };
}

function channelFromRow(r: ChannelRow): ChannelRecord {
  return {
    id: r.id, type: r.type, name: r.name, enabled: r.enabled === 1, settings: JSON.parse(r.settings) as Record<string, unknown>,
    match: r.match === null ? null : JSON.parse(r.match) as ChannelRecord['match'], throttle: r.throttle === null ? null : JSON.parse(r.throttle) as ChannelRecord['throttle'],
    version: r.version, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

function channelParams(c: ChannelRecord): Record<string, unknown> {
  return {
    id: c.id, type: c.type, name: c.name, enabled: c.enabled ? 1 : 0, settings: JSON.stringify(c.settings),
    match: c.match === null ? null : JSON.stringify(c.match), throttle: c.throttle === null ? null : JSON.stringify(c.throttle),
    version: c.version, createdAt: c.createdAt, updatedAt: c.updatedAt,
  };
}

function ruleFromRow(r: RuleRow): RuleRecord {
  return {
    id: r.id, name: r.name, description: r.description, severity: r.severity as RuleRecord['severity'], dsl: r.dsl,
    enabled: r.enabled === 1, mode: r.mode as RuleRecord['mode'], tags: JSON.parse(r.tags) as string[], version: r.version,
    createdAt: r.created_at, updatedAt: r.updated_at, source: 'api',
  };
}

function ruleVersionFromRow(r: RuleVersionRow): RuleVersionRecord {
  return {
    ruleId: r.rule_id, version: r.version, name: r.name, description: r.description, severity: r.severity as RuleVersionRecord['severity'],
    dsl: r.dsl, enabled: r.enabled === 1, mode: r.mode as RuleVersionRecord['mode'], tags: JSON.parse(r.tags) as string[], savedAt: r.saved_at,
  };
}

function signalFromRow(r: SignalRow): SignalRecord {
  const correlated: Partial<SignalRecord> = {};
  if (r.trace_ids !== null) correlated.traceIds = JSON.parse(r.trace_ids) as string[];
  if (r.correlation_key !== null) correlated.correlationKey = r.correlation_key;
  if (r.window_start !== null) correlated.windowStart = r.window_start;
  if (r.window_end !== null) correlated.windowEnd = r.window_end;
  return {
    ...correlated,
    seq: r.seq, id: r.id, ruleId: r.rule_id, ruleName: r.rule_name, ruleVersion: r.rule_version,
    severity: r.severity as SignalRecord['severity'], mode: r.mode as SignalRecord['mode'], traceId: r.trace_id,
    spanIds: JSON.parse(r.span_ids) as string[], message: r.message, detectedAt: r.detected_at,
    firstSpanTime: r.first_span_time, lastSpanTime: r.last_span_time, services: JSON.parse(r.services) as string[],
    status: r.status as SignalStatus, statusUpdatedAt: r.status_updated_at,
  };
}

function summaryFromRow(r: TraceRow): TraceSummary {
  return {
    traceId: r.trace_id, rootName: r.root_name, services: JSON.parse(r.services) as string[], spanCount: r.span_count,
    errorCount: r.error_count, startTime: r.start_time, endTime: r.end_time, duration: r.end_time - r.start_time, completedAt: r.completed_at,
  };
}

function traceFromRow(r: TraceRow): KeptTrace {
  return keptTraceFromRow(summaryFromRow(r), r);
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;
  private readonly busyTimeout: number;
  /** The end of the last write's turn (see turn). */
  private writeTurn: Promise<void> = Promise.resolve();
  private inThreadWriter: ((batch: BatchMessage) => Array<{ index: number; seq: number }>) | undefined;
  private writerThread: SqliteWriterThread | undefined;
  private cachedStatements: StatementCache | undefined;

  private constructor(db: Database.Database, file: string, busyTimeout: number) {
    this.db = db;
    this.path = file;
    this.busyTimeout = busyTimeout;
  }

  /** Opens (creating the file and its folder when missing) and migrates. */
  static open(config: SqliteStoreConfig): SqliteStore {
    if (config.path !== ':memory:') mkdirSync(path.dirname(config.path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(config.path, { timeout: config.busyTimeout });
    } catch (err) {
      throw new Error(`cannot open SQLite database ${config.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash; only an OS crash or power loss can lose the last transactions.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, config.path);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteStore(db, config.path, config.busyTimeout);
  }

  /** Schema version of the open database. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private stmt(sql: string): Database.Statement {
    if (this.closed) throw new Error('the store is closed');
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  async listRules(): Promise<RuleRecord[]> {
    return (this.stmt('SELECT * FROM rules ORDER BY id').all() as RuleRow[]).map(ruleFromRow);
  }

  async getRule(id: string): Promise<RuleRecord | null> {
    const row = this.stmt('SELECT * FROM rules WHERE id = ?').get(id) as RuleRow | undefined;
    return row ? ruleFromRow(row) : null;
  }

  private saveVersion(rule: RuleRecord): void {
    this.stmt(`INSERT OR REPLACE INTO rule_versions (rule_id, version, name, description, severity, dsl, enabled, mode, tags, saved_at)
      VALUES (@id, @version, @name, @description, @severity, @dsl, @enabled, @mode, @tags, @updatedAt)`).run(ruleParams(rule));
  }

  async createRule(rule: RuleRecord): Promise<void> {
    const insert = this.stmt(`INSERT OR IGNORE INTO rules (id, name, description, severity, dsl, enabled, mode, tags, version, created_at, updated_at)
      VALUES (@id, @name, @description, @severity, @dsl, @enabled, @mode, @tags, @version, @createdAt, @updatedAt)`);
    const created = await this.writeTx((): boolean => {
      if (insert.run(ruleParams(rule)).changes === 0) return false;
      this.saveVersion(rule);
      return true;
    });
    if (!created) throw new FluoError('CONFLICT', `a rule with id '${rule.id}' exists already`, { details: { id: rule.id } });
  }

  async updateRule(rule: RuleRecord, expectedVersion: number): Promise<void> {
    const update = this.stmt(`UPDATE rules SET name = @name, description = @description, severity = @severity, dsl = @dsl, enabled = @enabled,
      mode = @mode, tags = @tags, version = @version, created_at = @createdAt, updated_at = @updatedAt WHERE id = @id AND version = @expectedVersion`);
    const updated = await this.writeTx((): boolean => {
      if (update.run({ ...ruleParams(rule), expectedVersion }).changes !== 1) return false;
      this.saveVersion(rule);
      return true;
    });
    if (updated) return;
    const current = await this.getRule(rule.id);
    if (!current) throw new FluoError('NOT_FOUND', `no rule with id '${rule.id}'`);
    throw new FluoError('CONFLICT', `rule '${rule.id}' is at version ${current.version}, not ${expectedVersion}: it was changed meanwhile`, { details: { id: rule.id, version: current.version } });
  }

  async deleteRule(id: string): Promise<boolean> {
    const remove = this.stmt('DELETE FROM rules WHERE id = ?');
    const removeVersions = this.stmt('DELETE FROM rule_versions WHERE rule_id = ?');
    return this.writeTx((): boolean => {
      removeVersions.run(id);
      return remove.run(id).changes > 0;
    });
  }

  async listRuleVersions(ruleId: string): Promise<RuleVersionRecord[]> {
    return (this.stmt('SELECT * FROM rule_versions WHERE rule_id = ? ORDER BY version DESC').all(ruleId) as RuleVersionRow[]).map(ruleVersionFromRow);
  }

  async getRuleVersion(ruleId: string, version: number): Promise<RuleVersionRecord | null> {
    const row = this.stmt('SELECT * FROM rule_versions WHERE rule_id = ? AND version = ?').get(ruleId, version) as RuleVersionRow | undefined;
    return row ? ruleVersionFromRow(row) : null;
  }

  async countActivity(query: ActivityQuery): Promise<ActivityCounts> {
    // Bucket starts computed in SQL: floor(t / bucketMs) * bucketMs (times are positive, so CAST truncation is floor).
    const traces = this.stmt(`SELECT CAST(completed_at / @bucketMs AS INTEGER) * @bucketMs AS start, COUNT(*) AS count FROM traces
      WHERE completed_at >= @since AND completed_at < @until GROUP BY 1 ORDER BY 1`).all(query) as Array<{ start: number; count: number }>;
    const signals = this.stmt(`SELECT rule_id AS ruleId, CAST(detected_at / @bucketMs AS INTEGER) * @bucketMs AS start, COUNT(*) AS count FROM signals
      WHERE detected_at >= @since AND detected_at < @until GROUP BY 1, 2 ORDER BY 1, 2`).all(query) as Array<{ ruleId: string; start: number; count: number }>;
    return { traces: traces.map((r) => ({ ...r })), signals: signals.map((r) => ({ ...r })) };
  }

  async createToken(token: TokenRecord): Promise<void> {
    const insert = this.stmt(`INSERT OR IGNORE INTO api_tokens (id, name, role, token_hash, prefix, created_at, created_by, revoked_at)
      VALUES (@id, @name, @role, @hash, @prefix, @createdAt, @createdBy, @revokedAt)`);
    const result = await this.writeTx(() => insert.run(token));
    if (result.changes === 0) throw new FluoError('CONFLICT', `a token with id '${token.id}' or the same hash exists already`, { details: { id: token.id } });
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as TokenRow[]).map(tokenFromRow);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    const row = this.stmt('SELECT * FROM api_tokens WHERE token_hash = ?').get(hash) as TokenRow | undefined;
    return row ? tokenFromRow(row) : null;
  }

  async revokeToken(id: string, at: number): Promise<TokenRecord | null> {
    const revoke = this.stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    await this.writeTx(() => revoke.run(at, id));
    const row = this.stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row ? tokenFromRow(row) : null;
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const insert = this.stmt('INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (@at, @actor, @action, @target, @before, @after)');
    const result = await this.writeTx(() => insert.run({
      at: entry.at, actor: entry.actor, action: entry.action, target: entry.target,
      before: entry.before === null || entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === null || entry.after === undefined ? null : JSON.stringify(entry.after),
    }));
    const row = this.stmt('SELECT * FROM audit_log WHERE seq = ?').get(Number(result.lastInsertRowid)) as AuditRow;
    return auditFromRow(row);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit };
    if (query.beforeSeq !== undefined) { where.push('seq < @beforeSeq'); params.beforeSeq = query.beforeSeq; }
    if (query.target !== undefined) { where.push('target = @target'); params.target = query.target; }
    if (query.action !== undefined) {
      if (query.action.endsWith('.')) { where.push('substr(action, 1, length(@action)) = @action'); }
      else where.push('action = @action');
      params.action = query.action;
    }
    const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    return (this.stmt(sql).all(params) as AuditRow[]).map(auditFromRow);
  }

  /**
   * Writes take turns, in call order: the writer thread's batches and this
   * connection's writes (rules, tokens, audit, triage, notifications,
   * channels, retention). Waiting here (asynchronously) for the batch in
   * flight, rather than in SQLite's busy handler, keeps the event loop free,
   * and a stream of batches cannot starve this connection's writes until
   * their busy timeout fails them ('database is locked' under load).
   */
  private turn<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.writeTurn.then(fn);
    this.writeTurn = run.then(() => undefined, () => undefined);
    return run;
  }

  /** One IMMEDIATE transaction on this connection, in its turn (see turn). */
  private writeTx<T>(fn: () => T): Promise<T> {
    return this.turn(() => this.db.transaction(fn).immediate());
  }

  /**
   * Runs on the writer (a worker thread with its own connection; in-thread
   * for ':memory:', which a worker cannot share): this thread only turns the
   * batch into bound values, one buffer of trace bytes (transferred, not
   * copied) and, for trace ids already kept (late spans: rare), the merge.
   */
  async write(batch: WriteBatch): Promise<SignalRecord[]> {
    if (this.closed) throw new Error('the store is closed');
    let message: BatchMessage;
    try {
      message = this.batchMessage(batch);
    } catch (err) {
      throw permanentOrNot(err);
    }
    const inserted = await this.turn(() => this.runBatch(message));
    return inserted.map(({ index, seq }) => {
      const { signal } = batch.signals[index];
      return { ...signal, seq, status: 'open', statusUpdatedAt: signal.detectedAt };
    });
  }

  private batchMessage(batch: WriteBatch): BatchMessage {
    const evidence = evidenceTexts();
    const signals = batch.signals.map(({ signal, evidence: spans, notifications }) => ({
      evidence: evidence.indexOf(spans),
      params: {
        id: signal.id, ruleId: signal.ruleId, ruleName: signal.ruleName, ruleVersion: signal.ruleVersion, severity: signal.severity,
        mode: signal.mode, traceId: signal.traceId, spanIds: JSON.stringify(signal.spanIds), message: signal.message,
        detectedAt: signal.detectedAt, firstSpanTime: signal.firstSpanTime, lastSpanTime: signal.lastSpanTime,
        services: JSON.stringify(signal.services),
        traceIds: signal.traceIds === undefined ? null : JSON.stringify(signal.traceIds), correlationKey: signal.correlationKey ?? null,
        windowStart: signal.windowStart ?? null, windowEnd: signal.windowEnd ?? null,
      },
      notifications: (notifications ?? []).map(notificationParams),
    }));
    // A trace id twice in one batch: merged here, so the writer sees each id once.
    const byId = new Map<string, NewTrace>();
    for (const t of batch.traces) {
      const earlier = byId.get(t.traceId);
      byId.set(t.traceId, earlier === undefined ? t : mergeNewTraces(earlier, t));
    }
    const existing = byId.size === 0 ? [] : this.stmt(`SELECT trace_id, span_count, completed_at, spans, spans_otlp FROM traces
      WHERE trace_id IN (SELECT value FROM json_each(?))`).all(JSON.stringify([...byId.keys()])) as Array<TraceRow>;
    const expected = new Map<string, { spanCount: number; completedAt: number; otlp: Uint8Array | null }>();
    for (const row of existing) {
      byId.set(row.trace_id, mergeNewTraces({ otlp: storedSpansOtlp(row), completedAt: row.completed_at }, byId.get(row.trace_id)!));
      expected.set(row.trace_id, { spanCount: row.span_count, completedAt: row.completed_at, otlp: row.spans_otlp ?? null });
    }
    let total = 0;
    for (const t of byId.values()) total += t.otlp.length;
    for (const e of expected.values()) total += e.otlp?.length ?? 0;
    const bytes = new Uint8Array(total);
    const traces: BatchMessage['traces'] = [];
    let offset = 0;
    for (const t of byId.values()) {
      bytes.set(t.otlp, offset);
      const e = expected.get(t.traceId);
      let expectedAt: BatchMessage['traces'][number]['expected'] = null;
      if (e !== undefined) {
        // The row's bytes travel too: the writer replaces the row only if it still holds exactly them.
        const at = offset + t.otlp.length;
        if (e.otlp !== null) bytes.set(e.otlp, at);
        expectedAt = { spanCount: e.spanCount, completedAt: e.completedAt, offset: at, length: e.otlp === null ? -1 : e.otlp.length };
      }
      traces.push({
        params: {
          traceId: t.traceId, rootName: t.rootName, services: JSON.stringify(t.services), spanCount: t.spanCount, errorCount: t.errorCount,
          startTime: t.startTime, endTime: t.endTime, completedAt: t.completedAt, spanNames: JSON.stringify(t.spanNames),
        },
        offset, length: t.otlp.length, expected: expectedAt,
      });
      offset += t.otlp.length + (e?.otlp?.length ?? 0);
    }
    return { signals, evidence: evidence.texts, traces, bytes };
  }

  private async runBatch(message: BatchMessage): Promise<Array<{ index: number; seq: number }>> {
    if (this.path === ':memory:') {
      this.inThreadWriter ??= createBatchWriter(this.db);
      try {
        return this.inThreadWriter(message);
      } catch (err) {
        throw permanentOrNot(err);
      }
    }
    return this.writer().write(message);
  }

  /** The writer thread while one runs (undefined for ':memory:' and before the first write or prepareWrites()); tests stop it to check recovery. */
  get writerWorker(): Worker | undefined {
    return this.writerThread?.exited === false ? this.writerThread.worker : undefined;
  }

  /** Starts the writer thread now (file databases), so the first write does not wait for the thread to start. */
  prepareWrites(): void {
    if (this.closed || this.path === ':memory:') return;
    this.writer();
  }

  private writer(): SqliteWriterThread {
    if (this.writerThread === undefined || this.writerThread.exited) {
      this.writerThread = new SqliteWriterThread(this.path, this.busyTimeout);
    }
    return this.writerThread;
  }

  async getSignal(id: string): Promise<SignalDetail | null> {
    const row = this.stmt(`SELECT ${SIGNAL_COLUMNS}, COALESCE((SELECT spans FROM evidence WHERE evidence.id = signals.evidence_id), evidence) AS evidence
      FROM signals WHERE id = ?`).get(id) as SignalRow | undefined;
    if (!row) return null;
    const history = (this.stmt('SELECT at, by, from_status, to_status, note FROM signal_history WHERE signal_id = ? ORDER BY n').all(id) as HistoryRow[])
      .map((h): StatusChange => ({ at: h.at, by: h.by, from: h.from_status as SignalStatus, to: h.to_status as SignalStatus, note: h.note }));
    return { ...signalFromRow(row), evidence: JSON.parse(row.evidence ?? '[]', nullPrototypeReviver) as SerializedSpan[], history };
  }

  async listSignals(query: SignalQuery): Promise<SignalRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.ruleId !== undefined) { where.push('rule_id = ?'); params.push(query.ruleId); }
    if (query.severity !== undefined) { where.push('severity = ?'); params.push(query.severity); }
    if (query.status !== undefined) { where.push('status = ?'); params.push(query.status); }
    if (query.service !== undefined) { where.push('EXISTS (SELECT 1 FROM json_each(signals.services) WHERE json_each.value = ?)'); params.push(query.service); }
    if (query.since !== undefined) { where.push('detected_at >= ?'); params.push(query.since); }
    if (query.until !== undefined) { where.push('detected_at < ?'); params.push(query.until); }
    if (query.beforeSeq !== undefined) { where.push('seq < ?'); params.push(query.beforeSeq); }
    const sql = `SELECT ${SIGNAL_COLUMNS} FROM signals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.stmt(sql).all(...params, query.limit) as SignalRow[]).map(signalFromRow);
  }

  async signalsAfter(afterSeq: number, limit: number): Promise<SignalRecord[]> {
    return (this.stmt(`SELECT ${SIGNAL_COLUMNS} FROM signals WHERE seq > ? ORDER BY seq LIMIT ?`).all(afterSeq, limit) as SignalRow[]).map(signalFromRow);
  }

  async lastSignalSeq(): Promise<number> {
    // sqlite_sequence remembers the highest seq ever handed out, even after deletes.
    const row = this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'signals'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  async countSignals(query: SignalCountQuery): Promise<SignalCount[]> {
    const where = ['detected_at >= ?', 'detected_at < ?'];
    const params: unknown[] = [query.since, query.until];
    if (query.status !== undefined) { where.push('status = ?'); params.push(query.status); }
    if (query.ruleId !== undefined) { where.push('rule_id = ?'); params.push(query.ruleId); }
    const sql = `SELECT CAST((detected_at - ?) / ? AS INTEGER) AS bucket, rule_id, severity, COUNT(*) AS n FROM signals
      WHERE ${where.join(' AND ')} GROUP BY bucket, rule_id, severity ORDER BY bucket, rule_id, severity`;
    const rows = this.stmt(sql).all(query.since, query.bucketMs, ...params) as Array<{ bucket: number; rule_id: string; severity: Severity; n: number }>;
    return rows.map((r) => ({ bucketStart: query.since + r.bucket * query.bucketMs, ruleId: r.rule_id, severity: r.severity, count: r.n }));
  }

  async updateSignalStatus(
    id: string,
    change: { to: SignalStatus; by: string; note: string | null; at: number },
    notifications?: (from: SignalStatus) => NewNotification[],
  ): Promise<SignalDetail | null> {
    const current = this.stmt('SELECT status FROM signals WHERE id = ?');
    const update = this.stmt('UPDATE signals SET status = ?, status_updated_at = ? WHERE id = ?');
    const history = this.stmt('INSERT INTO signal_history (signal_id, at, by, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?)');
    const found = await this.writeTx((): boolean => {
      const row = current.get(id) as { status: string } | undefined;
      if (!row) return false;
      update.run(change.to, change.at, id);
      history.run(id, change.at, change.by, row.status, change.to, change.note);
      for (const n of notifications?.(row.status as SignalStatus) ?? []) this.insertNotification(n);
      return true;
    });
    return found ? this.getSignal(id) : null;
  }

  /** Inserts one outbox row inside the caller's transaction, applying the throttle (contract in store.ts). null when the key exists. */
  private insertNotification(row: NewNotification): NotificationRecord | null {
    if (this.closed) throw new Error('the store is closed');
    this.cachedStatements ??= statementCache(this.db);
    const n = insertNotification(this.cachedStatements, notificationParams(row));
    return n === null ? null : notificationFromRow(this.stmt('SELECT * FROM notifications WHERE n = ?').get(n) as NotificationRow);
  }

  async enqueueNotifications(rows: NewNotification[]): Promise<NotificationRecord[]> {
    if (this.closed) throw new Error('the store is closed');
    try {
      return this.writeTx((): NotificationRecord[] => rows.map((r) => this.insertNotification(r)).filter((r) => r !== null));
    } catch (err) {
      throw permanentOrNot(err);
    }
  }

  async claimNotifications(options: { now: number; limit: number; leaseMs: number }): Promise<NotificationRecord[]> {
    const due = this.stmt(`SELECT o.n FROM notifications o
      WHERE ((o.status = 'pending' AND o.next_attempt_at <= @now) OR (o.status = 'delivering' AND o.lease_until <= @now))
        AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.channel_id = o.channel_id AND p.order_key = o.order_key AND p.n < o.n
          AND p.status IN ('pending', 'delivering'))
      ORDER BY o.n LIMIT @limit`);
    const claim = this.stmt(`UPDATE notifications SET status = 'delivering', attempts = attempts + 1, lease_until = @leaseUntil, updated_at = @now
      WHERE n = @n RETURNING *`);
    return this.writeTx((): NotificationRecord[] => {
      const rows = due.all({ now: options.now, limit: options.limit }) as Array<{ n: number }>;
      return rows.map(({ n }) => notificationFromRow(claim.get({ n, now: options.now, leaseUntil: options.now + options.leaseMs }) as NotificationRow));
    });
  }

  async completeNotification(n: number, attempt: number, outcome: DeliveryOutcomeRecord): Promise<boolean> {
    const params = { n, attempt, at: outcome.at };
    let update: () => Database.RunResult;
    if (outcome.status === 'delivered') {
      const stmt = this.stmt(`UPDATE notifications SET status = 'delivered', delivered_at = @at, updated_at = @at, lease_until = NULL
        WHERE n = @n AND status = 'delivering' AND attempts = @attempt`);
      update = () => stmt.run(params);
    } else if (outcome.status === 'retry') {
      const stmt = this.stmt(`UPDATE notifications SET status = 'pending', next_attempt_at = @next, last_error = @error, updated_at = @at, lease_until = NULL
        WHERE n = @n AND status = 'delivering' AND attempts = @attempt`);
      update = () => stmt.run({ ...params, next: outcome.nextAttemptAt, error: outcome.error });
    } else {
      const stmt = this.stmt(`UPDATE notifications SET status = 'failed', last_error = @error, updated_at = @at, lease_until = NULL
        WHERE n = @n AND status = 'delivering' AND attempts = @attempt`);
      update = () => stmt.run({ ...params, error: outcome.error });
    }
    return (await this.writeTx(update)).changes === 1;
  }

  async expireNotifications(createdBefore: number, at: number): Promise<number> {
    const expire = this.stmt(`UPDATE notifications SET status = 'expired', lease_until = NULL, updated_at = @at,
      last_error = 'expired: not delivered within the maximum age' || COALESCE(' (last error: ' || last_error || ')', '')
      WHERE status IN ('pending', 'delivering') AND created_at < @createdBefore`);
    return (await this.writeTx(() => expire.run({ createdBefore, at }))).changes;
  }

  async pruneNotifications(before: number): Promise<number> {
    const rows = this.stmt("DELETE FROM notifications WHERE status IN ('delivered', 'failed', 'expired', 'suppressed') AND updated_at < ?");
    const windows = this.stmt('DELETE FROM notification_windows WHERE ends_at < ?');
    return this.writeTx((): number => {
      windows.run(before);
      return rows.run(before).changes;
    });
  }

  async listNotifications(query: NotificationQuery): Promise<NotificationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status !== undefined) { where.push('status = ?'); params.push(query.status); }
    if (query.channelId !== undefined) { where.push('channel_id = ?'); params.push(query.channelId); }
    if (query.signalId !== undefined) { where.push('signal_id = ?'); params.push(query.signalId); }
    if (query.ruleId !== undefined) { where.push('rule_id = ?'); params.push(query.ruleId); }
    if (query.kind !== undefined) { where.push('kind = ?'); params.push(query.kind); }
    if (query.beforeN !== undefined) { where.push('n < ?'); params.push(query.beforeN); }
    const sql = `SELECT * FROM notifications ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY n DESC LIMIT ?`;
    return (this.stmt(sql).all(...params, query.limit) as NotificationRow[]).map(notificationFromRow);
  }

  async getNotification(n: number): Promise<NotificationRecord | null> {
    const row = this.stmt('SELECT * FROM notifications WHERE n = ?').get(n) as NotificationRow | undefined;
    return row ? notificationFromRow(row) : null;
  }

  async listChannels(): Promise<ChannelRecord[]> {
    return (this.stmt('SELECT * FROM channels ORDER BY id').all() as ChannelRow[]).map(channelFromRow);
  }

  async getChannel(id: string): Promise<ChannelRecord | null> {
    const row = this.stmt('SELECT * FROM channels WHERE id = ?').get(id) as ChannelRow | undefined;
    return row ? channelFromRow(row) : null;
  }

  async createChannel(channel: ChannelRecord): Promise<void> {
    const insert = this.stmt(`INSERT OR IGNORE INTO channels (id, type, name, enabled, settings, match, throttle, version, created_at, updated_at)
      VALUES (@id, @type, @name, @enabled, @settings, @match, @throttle, @version, @createdAt, @updatedAt)`);
    const result = await this.writeTx(() => insert.run(channelParams(channel)));
    if (result.changes === 0) throw new FluoError('CONFLICT', `a channel with id '${channel.id}' exists already`, { details: { id: channel.id } });
  }

  async updateChannel(channel: ChannelRecord, expectedVersion: number): Promise<void> {
    const update = this.stmt(`UPDATE channels SET type = @type, name = @name, enabled = @enabled, settings = @settings, match = @match, throttle = @throttle,
      version = @version, created_at = @createdAt, updated_at = @updatedAt WHERE id = @id AND version = @expectedVersion`);
    const result = await this.writeTx(() => update.run({ ...channelParams(channel), expectedVersion }));
    if (result.changes === 1) return;
    const current = await this.getChannel(channel.id);
    if (!current) throw new FluoError('NOT_FOUND', `no channel with id '${channel.id}'`);
    throw new FluoError('CONFLICT', `channel '${channel.id}' is at version ${current.version}, not ${expectedVersion}: it was changed meanwhile`, { details: { id: channel.id, version: current.version } });
  }

  async deleteChannel(id: string): Promise<boolean> {
    const remove = this.stmt('DELETE FROM channels WHERE id = ?');
    return (await this.writeTx(() => remove.run(id))).changes > 0;
  }

  private traceQuery(query: TraceQuery, withSpans: boolean): TraceRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.service !== undefined) { where.push('EXISTS (SELECT 1 FROM json_each(traces.services) WHERE json_each.value = ?)'); params.push(query.service); }
    if (query.name !== undefined) { where.push('root_name = ?'); params.push(query.name); }
    if (query.spanName !== undefined) { where.push('EXISTS (SELECT 1 FROM json_each(traces.span_names) WHERE json_each.value = ?)'); params.push(query.spanName); }
    if (query.since !== undefined) { where.push('start_time >= ?'); params.push(query.since); }
    if (query.until !== undefined) { where.push('start_time < ?'); params.push(query.until); }
    if (query.after !== undefined) {
      where.push('(start_time < ? OR (start_time = ? AND trace_id < ?))');
      params.push(query.after.startTime, query.after.startTime, query.after.traceId);
    }
    const sql = `SELECT ${TRACE_COLUMNS}${withSpans ? ', spans, spans_otlp' : ''} FROM traces ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY start_time DESC, trace_id DESC LIMIT ?`;
    return this.stmt(sql).all(...params, query.limit) as TraceRow[];
  }

  async listTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return this.traceQuery(query, false).map(summaryFromRow);
  }

  async scanTraces(query: TraceQuery): Promise<KeptTrace[]> {
    return this.traceQuery(query, true).map(traceFromRow);
  }

  async getTrace(traceId: string): Promise<KeptTrace | null> {
    const row = this.stmt(`SELECT ${TRACE_COLUMNS}, spans, spans_otlp FROM traces WHERE trace_id = ?`).get(traceId) as TraceRow | undefined;
    return row ? traceFromRow(row) : null;
  }

  async pruneTraces(options: { completedBefore: number; maxSpans: number }): Promise<PruneResult> {
    const byAge = this.stmt('SELECT COUNT(*) AS traces, COALESCE(SUM(span_count), 0) AS spans FROM traces WHERE completed_at < ?');
    const deleteByAge = this.stmt('DELETE FROM traces WHERE completed_at < ?');
    const total = this.stmt('SELECT COALESCE(SUM(span_count), 0) AS spans FROM traces');
    const oldest = this.stmt('SELECT trace_id, span_count FROM traces ORDER BY completed_at, trace_id');
    const deleteOne = this.stmt('DELETE FROM traces WHERE trace_id = ?');
    return this.writeTx((): PruneResult => {
      const aged = byAge.get(options.completedBefore) as { traces: number; spans: number };
      deleteByAge.run(options.completedBefore);
      let excess = (total.get() as { spans: number }).spans - options.maxSpans;
      const result = { traces: aged.traces, spans: aged.spans };
      if (excess <= 0) return result;
      const victims: Array<{ trace_id: string; span_count: number }> = [];
      for (const row of oldest.iterate() as IterableIterator<{ trace_id: string; span_count: number }>) {
        if (excess <= 0) break;
        victims.push(row);
        excess -= row.span_count;
      }
      for (const v of victims) {
        deleteOne.run(v.trace_id);
        result.traces++;
        result.spans += v.span_count;
      }
      return result;
    });
  }

  async stats(): Promise<StoreStats> {
    const row = this.stmt(`SELECT (SELECT COUNT(*) FROM rules) AS rules, (SELECT COUNT(*) FROM signals) AS signals,
      (SELECT COUNT(*) FROM traces) AS traces, (SELECT COALESCE(SUM(span_count), 0) FROM traces) AS spans`).get() as StoreStats;
    return { ...row };
  }

  /** Never calls: one process owns the file, and its RuleSet makes every rule change. */
  watchRules(_onChange: () => void): () => void {
    return () => {};
  }

  /** Never calls: one process owns the file, and its pipeline stores every signal. */
  watchSignals(_onStored: (lastSeq: number) => void): () => void {
    return () => {};
  }

  /** Never calls: one process owns the file, and its NotificationRouter makes every channel change. */
  watchChannels(_onChange: () => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes already made, waiting for their turn or handed to the writer thread, finish (or fail) before it ends.
    await this.writeTurn;
    await this.writerThread?.close();
    this.statements.clear();
    this.inThreadWriter = undefined;
    this.cachedStatements = undefined;
    this.db.close();
  }
}

function notificationParams(row: NewNotification): NotificationParams {
  return {
    key: row.key, channelId: row.channelId, kind: row.kind, signalId: row.signalId, ruleId: row.ruleId, orderKey: row.orderKey,
    payload: JSON.stringify(row.payload), createdAt: row.createdAt, nextAttemptAt: row.nextAttemptAt ?? row.createdAt, throttle: row.throttle ?? null,
  };
}

/**
 * The worker thread that runs SqliteStore.write's transactions on its own
 * connection (sqliteWriter.mjs). Batches are answered in the order sent.
 * When the thread dies (crash, out of memory), the batches in flight fail
 * with a retryable error and the store starts a new thread for the next
 * write. `close()` waits for the batches in flight, then ends the thread.
 */
class SqliteWriterThread {
  readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (inserted: Array<{ index: number; seq: number }>) => void; reject: (err: unknown) => void }>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  exited = false;
  /** Resolves when the thread has ended, however it ended (close, crash, terminate). */
  private readonly ended: Promise<void>;

  constructor(file: string, busyTimeout: number) {
    this.worker = new Worker(new URL('../../worker/sqliteWriter.mjs', import.meta.url), {
      workerData: { role: 'fluo-sqlite-writer', path: file, busyTimeout },
    });
    this.worker.on('message', (m: { id: number; inserted?: Array<{ index: number; seq: number }>; error?: { name: string; message: string; code?: string } }) => {
      const entry = this.pending.get(m.id);
      if (entry === undefined) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.error === undefined) entry.resolve(m.inserted!);
      else entry.reject(permanentOrNot(workerError(m.error)));
    });
    this.worker.on('error', (err) => this.fail(new Error(`the SQLite writer thread failed: ${err.message}`, { cause: err })));
    this.ended = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        this.fail(new Error(`the SQLite writer thread exited (code ${code})`));
        resolve();
      });
    });
    // Referenced only while a batch is in flight: an idle writer, started ahead of the first write, does not keep the
    // process alive. After the listeners: adding a 'message' listener references the thread's port again.
    this.worker.unref();
  }

  write(batch: BatchMessage): Promise<Array<{ index: number; seq: number }>> {
    if (this.exited || this.closing) return Promise.reject(new Error('the SQLite writer thread has ended'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while a batch is in flight: an idle writer does not keep the process alive.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      // The trace bytes move to the thread (transfer list) instead of being copied.
      const buffer = batch.bytes.buffer as ArrayBuffer;
      try {
        this.worker.postMessage({ id, batch }, buffer.byteLength > 0 ? [buffer] : []);
      } catch (err) {
        // A value the structured clone cannot take: this batch fails, and nothing waits for an answer that cannot come.
        this.pending.delete(id);
        if (this.pending.size === 0) this.worker.unref();
        reject(new PermanentWriteError(`the store cannot take this batch: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  private fail(err: Error): void {
    this.exited = true;
    for (const entry of this.pending.values()) entry.reject(err);
    this.pending.clear();
  }

  /** Idempotent: waits for the batches in flight, closes the thread's connection and ends it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.exited) return;
      await Promise.allSettled([...this.pending.values()].map((entry) => new Promise<void>((resolve) => {
        const { resolve: done, reject: failed } = entry;
        entry.resolve = (v) => { done(v); resolve(); };
        entry.reject = (e) => { failed(e); resolve(); };
      })));
      // The thread may have ended while the batches were waited for: `ended` has resolved then, and this returns at once.
      if (!this.exited) this.worker.postMessage({ close: true });
      const timer = setTimeout(() => void this.worker.terminate(), 5000);
      await this.ended;
      clearTimeout(timer);
    })();
    return this.closing;
  }
}

/** An error reported by the writer thread, with the name and code that decide permanent or retryable. */
function workerError(e: { name: string; message: string; code?: string }): Error {
  const err = e.name === 'TypeError' ? new TypeError(e.message) : e.name === 'RangeError' ? new RangeError(e.message) : new Error(e.message);
  if (e.code !== undefined) (err as Error & { code?: string }).code = e.code;
  return err;
}

/** SQLite result codes that retrying cannot fix. */
const PERMANENT_SQLITE = /^SQLITE_(TOOBIG|CONSTRAINT|MISMATCH|RANGE)/;

/** Serialization errors (e.g. a value JSON cannot hold) and data SQLite refuses are permanent; the rest (busy, I/O, full) is transient. */
function permanentOrNot(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (err instanceof TypeError || err instanceof RangeError || (typeof code === 'string' && PERMANENT_SQLITE.test(code))) {
    return new PermanentWriteError(`the store cannot take this data: ${(err as Error).message}`, { cause: err });
  }
  return err;
}

function ruleParams(rule: RuleRecord): Record<string, unknown> {
  return {
    id: rule.id, name: rule.name, description: rule.description, severity: rule.severity, dsl: rule.dsl,
    enabled: rule.enabled ? 1 : 0, mode: rule.mode, tags: JSON.stringify(rule.tags), version: rule.version,
    createdAt: rule.createdAt, updatedAt: rule.updatedAt,
  };
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`${file} has schema version ${version}, newer than this FLUO knows (${MIGRATIONS.length}): upgrade FLUO or use another data folder`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
