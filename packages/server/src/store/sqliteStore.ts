/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode.
 *
 * Why SQLite: FLUO must run as one process with nothing else to install, keep
 * its rules and signals across restarts, and answer filtered, paginated
 * queries; SQLite gives transactions, indexes and crash safety in a single
 * file, and better-sqlite3's synchronous calls are fast for this (one
 * writer, many short reads). WAL lets reads run while a write commits.
 *
 * Schema versions live in `PRAGMA user_version`; MIGRATIONS[i] moves a
 * database from version i to i + 1, each in its own transaction. A database
 * written by a newer FLUO (higher version) is refused rather than guessed at.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { FluoError } from '../errors.js';
import { mergeKeptTraces } from './keptTrace.js';
import { nullPrototypeReviver, type SerializedSpan } from './serializedSpan.js';
import { PermanentWriteError } from './store.js';
import type {
  AuditEntry, AuditQuery, NewAuditEntry, TokenRecord,
  KeptTrace, NewSignal, PruneResult, RuleRecord, SignalDetail, SignalQuery, SignalRecord, SignalStatus, StatusChange,
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
  // 2: API tokens (hashed) and the audit log of rule changes, triage and token administration.
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
];

const SIGNAL_COLUMNS = `seq, id, rule_id, rule_name, rule_version, severity, mode, trace_id, span_ids, message,
  detected_at, first_span_time, last_span_time, services, status, status_updated_at`;
const TRACE_COLUMNS = 'trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at';

interface RuleRow { id: string; name: string; description: string; severity: string; dsl: string; enabled: number; mode: string; tags: string; version: number; created_at: number; updated_at: number }
interface SignalRow { seq: number; id: string; rule_id: string; rule_name: string; rule_version: number; severity: string; mode: string; trace_id: string; span_ids: string; message: string; detected_at: number; first_span_time: number; last_span_time: number; services: string; status: string; status_updated_at: number; evidence?: string }
interface TraceRow { trace_id: string; root_name: string; services: string; span_count: number; error_count: number; start_time: number; end_time: number; completed_at: number; spans?: string }
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

function ruleFromRow(r: RuleRow): RuleRecord {
  return {
    id: r.id, name: r.name, description: r.description, severity: r.severity as RuleRecord['severity'], dsl: r.dsl,
    enabled: r.enabled === 1, mode: r.mode as RuleRecord['mode'], tags: JSON.parse(r.tags) as string[], version: r.version,
    createdAt: r.created_at, updatedAt: r.updated_at, source: 'api',
  };
}

function signalFromRow(r: SignalRow): SignalRecord {
  return {
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
  return { ...summaryFromRow(r), spans: JSON.parse(r.spans ?? '[]', nullPrototypeReviver) as SerializedSpan[] };
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.path = file;
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
    return new SqliteStore(db, config.path);
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

  async createRule(rule: RuleRecord): Promise<void> {
    const result = this.stmt(`INSERT OR IGNORE INTO rules (id, name, description, severity, dsl, enabled, mode, tags, version, created_at, updated_at)
      VALUES (@id, @name, @description, @severity, @dsl, @enabled, @mode, @tags, @version, @createdAt, @updatedAt)`).run(ruleParams(rule));
    if (result.changes === 0) throw new FluoError('CONFLICT', `a rule with id '${rule.id}' exists already`, { details: { id: rule.id } });
  }

  async updateRule(rule: RuleRecord, expectedVersion: number): Promise<void> {
    const result = this.stmt(`UPDATE rules SET name = @name, description = @description, severity = @severity, dsl = @dsl, enabled = @enabled,
      mode = @mode, tags = @tags, version = @version, created_at = @createdAt, updated_at = @updatedAt WHERE id = @id AND version = @expectedVersion`)
      .run({ ...ruleParams(rule), expectedVersion });
    if (result.changes === 1) return;
    const current = await this.getRule(rule.id);
    if (!current) throw new FluoError('NOT_FOUND', `no rule with id '${rule.id}'`);
    throw new FluoError('CONFLICT', `rule '${rule.id}' is at version ${current.version}, not ${expectedVersion}: it was changed meanwhile`, { details: { id: rule.id, version: current.version } });
  }

  async deleteRule(id: string): Promise<boolean> {
    return this.stmt('DELETE FROM rules WHERE id = ?').run(id).changes > 0;
  }

  async createToken(token: TokenRecord): Promise<void> {
    const result = this.stmt(`INSERT OR IGNORE INTO api_tokens (id, name, role, token_hash, prefix, created_at, created_by, revoked_at)
      VALUES (@id, @name, @role, @hash, @prefix, @createdAt, @createdBy, @revokedAt)`).run(token);
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
    this.stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    const row = this.stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row ? tokenFromRow(row) : null;
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const result = this.stmt('INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (@at, @actor, @action, @target, @before, @after)').run({
      at: entry.at, actor: entry.actor, action: entry.action, target: entry.target,
      before: entry.before === null || entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === null || entry.after === undefined ? null : JSON.stringify(entry.after),
    });
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

  async write(batch: WriteBatch): Promise<SignalRecord[]> {
    const insertSignal = this.stmt(`INSERT OR IGNORE INTO signals (id, rule_id, rule_name, rule_version, severity, mode, trace_id, span_ids, message,
      detected_at, first_span_time, last_span_time, services, status, status_updated_at, evidence)
      VALUES (@id, @ruleId, @ruleName, @ruleVersion, @severity, @mode, @traceId, @spanIds, @message, @detectedAt, @firstSpanTime, @lastSpanTime,
      @services, 'open', @detectedAt, @evidence)`);
    const getTrace = this.stmt(`SELECT ${TRACE_COLUMNS}, spans FROM traces WHERE trace_id = ?`);
    const upsertTrace = this.stmt(`INSERT OR REPLACE INTO traces (trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at, spans)
      VALUES (@traceId, @rootName, @services, @spanCount, @errorCount, @startTime, @endTime, @completedAt, @spans)`);
    const run = this.db.transaction((b: WriteBatch): SignalRecord[] => {
      const inserted: SignalRecord[] = [];
      for (const { signal, evidence } of b.signals) {
        const result = insertSignal.run({
          id: signal.id, ruleId: signal.ruleId, ruleName: signal.ruleName, ruleVersion: signal.ruleVersion, severity: signal.severity,
          mode: signal.mode, traceId: signal.traceId, spanIds: JSON.stringify(signal.spanIds), message: signal.message,
          detectedAt: signal.detectedAt, firstSpanTime: signal.firstSpanTime, lastSpanTime: signal.lastSpanTime,
          services: JSON.stringify(signal.services), evidence: JSON.stringify(evidence),
        });
        if (result.changes === 1) {
          inserted.push({ ...signal, seq: Number(result.lastInsertRowid), status: 'open', statusUpdatedAt: signal.detectedAt });
        }
      }
      for (const trace of b.traces) {
        const existing = getTrace.get(trace.traceId) as TraceRow | undefined;
        const merged = existing ? mergeKeptTraces(traceFromRow(existing), trace) : trace;
        upsertTrace.run({
          traceId: merged.traceId, rootName: merged.rootName, services: JSON.stringify(merged.services), spanCount: merged.spanCount,
          errorCount: merged.errorCount, startTime: merged.startTime, endTime: merged.endTime, completedAt: merged.completedAt,
          spans: JSON.stringify(merged.spans),
        });
      }
      return inserted;
    });
    if (this.closed) throw new Error('the store is closed');
    try {
      return run.immediate(batch);
    } catch (err) {
      throw permanentOrNot(err);
    }
  }

  async getSignal(id: string): Promise<SignalDetail | null> {
    const row = this.stmt(`SELECT ${SIGNAL_COLUMNS}, evidence FROM signals WHERE id = ?`).get(id) as SignalRow | undefined;
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

  async updateSignalStatus(id: string, change: { to: SignalStatus; by: string; note: string | null; at: number }): Promise<SignalDetail | null> {
    const current = this.stmt('SELECT status FROM signals WHERE id = ?');
    const update = this.stmt('UPDATE signals SET status = ?, status_updated_at = ? WHERE id = ?');
    const history = this.stmt('INSERT INTO signal_history (signal_id, at, by, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?)');
    const found = this.db.transaction((): boolean => {
      const row = current.get(id) as { status: string } | undefined;
      if (!row) return false;
      update.run(change.to, change.at, id);
      history.run(id, change.at, change.by, row.status, change.to, change.note);
      return true;
    }).immediate();
    return found ? this.getSignal(id) : null;
  }

  private traceQuery(query: TraceQuery, withSpans: boolean): TraceRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.service !== undefined) { where.push('EXISTS (SELECT 1 FROM json_each(traces.services) WHERE json_each.value = ?)'); params.push(query.service); }
    if (query.name !== undefined) { where.push('root_name = ?'); params.push(query.name); }
    if (query.since !== undefined) { where.push('start_time >= ?'); params.push(query.since); }
    if (query.until !== undefined) { where.push('start_time < ?'); params.push(query.until); }
    if (query.after !== undefined) {
      where.push('(start_time < ? OR (start_time = ? AND trace_id < ?))');
      params.push(query.after.startTime, query.after.startTime, query.after.traceId);
    }
    const sql = `SELECT ${TRACE_COLUMNS}${withSpans ? ', spans' : ''} FROM traces ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
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
    const row = this.stmt(`SELECT ${TRACE_COLUMNS}, spans FROM traces WHERE trace_id = ?`).get(traceId) as TraceRow | undefined;
    return row ? traceFromRow(row) : null;
  }

  async pruneTraces(options: { completedBefore: number; maxSpans: number }): Promise<PruneResult> {
    const byAge = this.stmt('SELECT COUNT(*) AS traces, COALESCE(SUM(span_count), 0) AS spans FROM traces WHERE completed_at < ?');
    const deleteByAge = this.stmt('DELETE FROM traces WHERE completed_at < ?');
    const total = this.stmt('SELECT COALESCE(SUM(span_count), 0) AS spans FROM traces');
    const oldest = this.stmt('SELECT trace_id, span_count FROM traces ORDER BY completed_at, trace_id');
    const deleteOne = this.stmt('DELETE FROM traces WHERE trace_id = ?');
    return this.db.transaction((): PruneResult => {
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
    }).immediate();
  }

  async stats(): Promise<StoreStats> {
    const row = this.stmt(`SELECT (SELECT COUNT(*) FROM rules) AS rules, (SELECT COUNT(*) FROM signals) AS signals,
      (SELECT COUNT(*) FROM traces) AS traces, (SELECT COALESCE(SUM(span_count), 0) FROM traces) AS spans`).get() as StoreStats;
    return { ...row };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }
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
