/**
 * The shared store: PostgreSQL through node-postgres (`pg`), for several FLUO
 * instances that share rules, signals and kept traces (docs/scaling.md).
 *
 * Schema: MIGRATIONS[i] moves a database from version i to i + 1. At open,
 * every instance takes a transaction-scoped advisory lock, reads the version
 * from `fluo_schema_migrations`, applies what is missing and commits, all in
 * one transaction: instances starting together on an empty database wait for
 * the first one and then find nothing to do, and a failed migration leaves
 * nothing behind. A database at a newer version than this FLUO knows is
 * refused. New tables are one more entry at the end of MIGRATIONS.
 *
 * Signal seq in commit order. SSE readers ask for `seq > last`; with plain
 * sequence numbers, two instances writing at once could commit seq 8 before
 * seq 7, and a reader that saw 8 would never ask for 7. So seq is not taken
 * from a sequence: a transaction that stores signals first locks the single
 * row of `fluo_signal_counter` (`SELECT ... FOR UPDATE`), numbers its new
 * signals after the counter, raises it, and commits, releasing the lock. The
 * next writer waits for that commit and reads the raised counter. Hence a
 * signal is visible only once every lower seq is, and a seq, once committed,
 * is never handed out again (the counter never goes down, even when signals
 * are deleted). The lock is taken after the batch's traces are written, so
 * only the short signal insert is serialized across instances. The same lock
 * makes idempotence by id exact: under it, "which ids are stored already"
 * cannot change until commit.
 *
 * Notification outbox, shared by the delivery workers of every instance.
 * A claim is one statement: the due rows are selected `FOR UPDATE SKIP
 * LOCKED` and set to 'delivering' with a lease, so concurrent claimers never
 * take the same row, and a head row locked by one claimer still holds back,
 * for the others, the later rows of its channel and order key. Outcomes are
 * recorded only for the current attempt. Throttling windows are rows locked
 * by the transaction that writes into them (after the outbox row itself was
 * inserted with ON CONFLICT (key) DO NOTHING, so a known key counts nothing),
 * so writers on several instances never exceed a window's cap.
 *
 * Change feed. Triggers send NOTIFY on `fluo_rules` (any change to the rules
 * table, by FLUO or by hand), on `fluo_channels` (the same for channels) and
 * on `fluo_signals` (the counter was raised; payload: the new last seq).
 * `watchRules`, `watchChannels` and `watchSignals` share one
 * dedicated LISTEN connection, which reconnects with backoff when lost; after
 * a reconnect, and every `reconcileInterval` as a safety net, the watchers
 * are called as if notified, because notifications sent while not listening
 * are lost; the same happens once the first connection listens, which covers
 * changes made between a watcher's first read and the LISTEN.
 *
 * Text in PostgreSQL cannot hold NUL characters. Kept traces' spans are
 * stored as OTLP/protobuf bytes (bytea; rows from before migration 6 as JSON
 * text), evidence and signals as JSON text (JSON escapes NUL), so they come
 * back exactly; in
 * the plain text columns (the trace summary's services and root span name,
 * filters) a NUL is replaced by U+FFFD, so a trace summary shows U+FFFD where
 * its spans have NUL.
 */
import pg from 'pg';
import { FluoError } from '../errors.js';
import { keptTraceFromRow, mergeNewTraces, storedSpansOtlp } from './keptTrace.js';
import { evidenceTexts, nullPrototypeReviver, type SerializedSpan } from './serializedSpan.js';
import { PermanentWriteError } from './store.js';
import type {
  ActivityCounts, ActivityQuery, AuditEntry, AuditQuery, ChannelRecord, DeliveryOutcomeRecord, KeptTrace, NewAuditEntry, NewNotification, NewTrace,
  NewSignal, NotificationQuery, NotificationRecord, PruneResult, RuleRecord, RuleVersionRecord, SignalCount, SignalCountQuery, SignalDetail,
  SignalQuery, SignalRecord, SignalStatus, StatusChange, Store, StoreStats, TokenRecord, TraceQuery, TraceSummary, WriteBatch,
} from './store.js';
import type { Severity, Signal } from '@fluohq/engine';

export interface PostgresStoreConfig {
  /** libpq-style connection URL as given (may hold a password: never log it, log `redactedUrl`). */
  connectionString: string;
  /** The URL with the password replaced by `***`. */
  redactedUrl: string;
  /** Connections in the pool. */
  poolSize: number;
  /** ms to wait for a connection. */
  connectTimeout: number;
  /** ms after which the server cancels a statement. */
  statementTimeout: number;
  /** ms between reconciliations of the change feed (the safety net for lost notifications). */
  reconcileInterval: number;
  /** Where a pool error is reported (no secrets in it); default: ignored (the failing call rejects anyway). */
  onError?: (message: string) => void;
}

/** Advisory lock keys (two 32-bit halves; the first is 'FLUO' in ASCII). */
const LOCK_NAMESPACE = 0x464c554f;
const LOCK_MIGRATIONS = 1;
const LOCK_PRUNE = 2;

export const RULES_CHANNEL = 'fluo_rules';
export const SIGNALS_CHANNEL = 'fluo_signals';
export const CHANNELS_CHANNEL = 'fluo_channels';
/** application_name of the LISTEN connection (visible in pg_stat_activity). */
export const FEED_APPLICATION_NAME = 'fluo-change-feed';

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE rules (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    description text NOT NULL,
    severity text NOT NULL,
    dsl text NOT NULL,
    enabled boolean NOT NULL,
    mode text NOT NULL,
    tags text NOT NULL,
    version integer NOT NULL,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL
  );
  CREATE FUNCTION fluo_notify_rules() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('${RULES_CHANNEL}', '');
    RETURN NULL;
  END $$;
  CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rules
    FOR EACH STATEMENT EXECUTE FUNCTION fluo_notify_rules();

  CREATE TABLE fluo_signal_counter (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last bigint NOT NULL
  );
  INSERT INTO fluo_signal_counter (last) VALUES (0);
  CREATE FUNCTION fluo_notify_signals() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('${SIGNALS_CHANNEL}', NEW.last::text);
    RETURN NULL;
  END $$;
  CREATE TRIGGER signals_stored AFTER UPDATE ON fluo_signal_counter
    FOR EACH ROW EXECUTE FUNCTION fluo_notify_signals();

  CREATE TABLE signals (
    seq bigint PRIMARY KEY,
    id text COLLATE "C" NOT NULL UNIQUE,
    rule_id text NOT NULL,
    severity text NOT NULL,
    services text[] NOT NULL,
    detected_at double precision NOT NULL,
    status text NOT NULL,
    status_updated_at double precision NOT NULL,
    signal text NOT NULL,
    evidence text NOT NULL
  );
  CREATE INDEX signals_by_rule ON signals (rule_id, seq);
  CREATE INDEX signals_by_detected_at ON signals (detected_at);
  CREATE INDEX signals_by_service ON signals USING gin (services);

  CREATE TABLE signal_history (
    n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    signal_id text COLLATE "C" NOT NULL,
    at double precision NOT NULL,
    by text NOT NULL,
    from_status text NOT NULL,
    to_status text NOT NULL,
    note text
  );
  CREATE INDEX signal_history_by_signal ON signal_history (signal_id, n);

  CREATE TABLE traces (
    trace_id text COLLATE "C" PRIMARY KEY,
    root_name text NOT NULL,
    services text[] NOT NULL,
    span_count integer NOT NULL,
    error_count integer NOT NULL,
    start_time double precision NOT NULL,
    end_time double precision NOT NULL,
    completed_at double precision NOT NULL,
    spans text NOT NULL
  );
  CREATE INDEX traces_by_start ON traces (start_time, trace_id);
  CREATE INDEX traces_by_completed ON traces (completed_at, trace_id);
  CREATE INDEX traces_by_service ON traces USING gin (services);
  `,
  // 2: the notification outbox, its throttling windows, and the API's channels (contract in store.ts).
  `
  CREATE TABLE notifications (
    n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text COLLATE "C" NOT NULL UNIQUE,
    channel_id text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    signal_id text COLLATE "C",
    rule_id text COLLATE "C",
    order_key text COLLATE "C" NOT NULL,
    group_key text COLLATE "C",
    payload text NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    next_attempt_at double precision NOT NULL,
    lease_until double precision,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    delivered_at double precision,
    suppressed_count integer NOT NULL DEFAULT 0
  );
  CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
  CREATE INDEX notifications_by_order ON notifications (channel_id, order_key, n);
  CREATE INDEX notifications_by_signal ON notifications (signal_id);
  CREATE TABLE notification_windows (
    channel_id text COLLATE "C" NOT NULL,
    group_key text COLLATE "C" NOT NULL,
    started_at double precision NOT NULL,
    ends_at double precision NOT NULL,
    sent integer NOT NULL,
    suppressed integer NOT NULL,
    PRIMARY KEY (channel_id, group_key)
  );
  CREATE TABLE channels (
    id text COLLATE "C" PRIMARY KEY,
    type text NOT NULL,
    name text NOT NULL,
    enabled boolean NOT NULL,
    settings text NOT NULL,
    match text,
    throttle text,
    version integer NOT NULL,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL
  );
  CREATE FUNCTION fluo_notify_channels() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('${CHANNELS_CHANNEL}', '');
    RETURN NULL;
  END $$;
  CREATE TRIGGER channels_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON channels
    FOR EACH STATEMENT EXECUTE FUNCTION fluo_notify_channels();
  `,
  // 3: rule versions (every saved version of an API rule; the current ones are copied in).
  `
  CREATE TABLE rule_versions (
    rule_id text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    severity text NOT NULL,
    dsl text NOT NULL,
    enabled boolean NOT NULL,
    mode text NOT NULL,
    tags text NOT NULL,
    saved_at double precision NOT NULL,
    PRIMARY KEY (rule_id, version)
  );
  INSERT INTO rule_versions (rule_id, version, name, description, severity, dsl, enabled, mode, tags, saved_at)
    SELECT id, version, name, description, severity, dsl, enabled, mode, tags, updated_at FROM rules;
  `,
  // 4: the names of every span of a kept trace, for TraceQuery.spanName (NUL replaced, like the other filter columns).
  // Rows kept before are filled from their spans; a NUL escape in a name becomes U+FFFD there too.
  `
  ALTER TABLE traces ADD COLUMN span_names text[] NOT NULL DEFAULT '{}';
  UPDATE traces SET span_names = ARRAY(
    SELECT DISTINCT e->>'name' FROM json_array_elements(replace(spans, '\\u0000', '\\ufffd')::json) AS e WHERE e->>'name' IS NOT NULL);
  ALTER TABLE traces ALTER COLUMN span_names DROP DEFAULT;
  CREATE INDEX traces_by_span_name ON traces USING gin (span_names);
  `,
  // 5: API tokens (hashed) and the audit log of rule changes, triage and token administration.
  `
  CREATE TABLE api_tokens (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    token_hash text COLLATE "C" NOT NULL UNIQUE,
    prefix text NOT NULL,
    created_at double precision NOT NULL,
    created_by text NOT NULL,
    revoked_at double precision
  );
  CREATE TABLE audit_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at double precision NOT NULL,
    actor text NOT NULL,
    action text COLLATE "C" NOT NULL,
    target text COLLATE "C" NOT NULL,
    before text,
    after text
  );
  CREATE INDEX audit_log_by_target ON audit_log (target, seq);
  `,
  // 6: kept traces' spans as OTLP/protobuf TracesData bytes; rows kept before keep their JSON (spans), exactly one of the two is set.
  `
  ALTER TABLE traces ADD COLUMN spans_otlp bytea;
  ALTER TABLE traces ALTER COLUMN spans DROP NOT NULL;
  ALTER TABLE traces ADD CONSTRAINT traces_spans_one_form CHECK ((spans_otlp IS NULL) <> (spans IS NULL));
  `,
  // 7: evidence stored once for the signals that share it (one evaluation of a trace raises several), in its own table,
  // under the id of the first of them stored; signals.evidence_id names it. Rows stored before keep theirs in signals.evidence.
  `
  CREATE TABLE evidence (
    id text COLLATE "C" PRIMARY KEY,
    spans text NOT NULL
  );
  ALTER TABLE signals ADD COLUMN evidence_id text;
  ALTER TABLE signals ALTER COLUMN evidence DROP NOT NULL;
  ALTER TABLE signals ADD CONSTRAINT signals_evidence_one_form CHECK ((evidence_id IS NULL) <> (evidence IS NULL));
  `,
];

const SIGNAL_COLUMNS = 'seq, status, status_updated_at, signal';
const TRACE_COLUMNS = 'trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at';

interface RuleRow { id: string; name: string; description: string; severity: string; dsl: string; enabled: boolean; mode: string; tags: string; version: number; created_at: number; updated_at: number }
interface SignalRow { seq: number; status: string; status_updated_at: number; signal: string; evidence?: string }
interface TraceRow { trace_id: string; root_name: string; services: string[]; span_count: number; error_count: number; start_time: number; end_time: number; completed_at: number; spans?: string | null; spans_otlp?: Buffer | null }
interface HistoryRow { at: number; by: string; from_status: string; to_status: string; note: string | null }
interface RuleVersionRow { rule_id: string; version: number; name: string; description: string; severity: string; dsl: string; enabled: boolean; mode: string; tags: string; saved_at: number }
interface NotificationRow {
  n: number; key: string; channel_id: string; kind: string; signal_id: string | null; rule_id: string | null; order_key: string; group_key: string | null;
  payload: string; status: string; attempts: number; last_error: string | null; next_attempt_at: number; lease_until: number | null; created_at: number;
  updated_at: number; delivered_at: number | null; suppressed_count: number;
}
interface ChannelRow { id: string; type: string; name: string; enabled: boolean; settings: string; match: string | null; throttle: string | null; version: number; created_at: number; updated_at: number }
interface TokenRow { id: string; name: string; role: string; token_hash: string; prefix: string; created_at: number; created_by: string; revoked_at: number | null }
interface AuditRow { seq: number; at: number; actor: string; action: string; target: string; before: string | null; after: string | null }

function ruleVersionFromRow(r: RuleVersionRow): RuleVersionRecord {
  return {
    ruleId: r.rule_id, version: r.version, name: r.name, description: r.description, severity: r.severity as RuleVersionRecord['severity'],
    dsl: r.dsl, enabled: r.enabled, mode: r.mode as RuleVersionRecord['mode'], tags: JSON.parse(r.tags) as string[], savedAt: r.saved_at,
  };
}

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
    id: r.id, type: r.type, name: r.name, enabled: r.enabled, settings: JSON.parse(r.settings) as Record<string, unknown>,
    match: r.match === null ? null : JSON.parse(r.match) as ChannelRecord['match'], throttle: r.throttle === null ? null : JSON.parse(r.throttle) as ChannelRecord['throttle'],
    version: r.version, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

function channelParams(c: ChannelRecord): unknown[] {
  return [
    c.id, c.type, c.name, c.enabled, JSON.stringify(c.settings), c.match === null ? null : JSON.stringify(c.match),
    c.throttle === null ? null : JSON.stringify(c.throttle), c.version, c.createdAt, c.updatedAt,
  ];
}

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

/** An outbox row with its payload serialized before any transaction starts (a payload JSON cannot hold fails there, as a PermanentWriteError). */
interface PreparedNotification {
  row: NewNotification;
  payload: string;
}

function prepareNotifications(rows: readonly NewNotification[]): PreparedNotification[] {
  return rows.map((row) => ({ row, payload: JSON.stringify(row.payload) ?? 'null' }));
}

/** int8 (counts, seq) as numbers: every value FLUO keeps there is far below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

function ruleFromRow(r: RuleRow): RuleRecord {
  return {
    id: r.id, name: r.name, description: r.description, severity: r.severity as RuleRecord['severity'], dsl: r.dsl,
    enabled: r.enabled, mode: r.mode as RuleRecord['mode'], tags: JSON.parse(r.tags) as string[], version: r.version,
    createdAt: r.created_at, updatedAt: r.updated_at, source: 'api',
  };
}

function signalFromRow(r: SignalRow): SignalRecord {
  return { ...(JSON.parse(r.signal) as Signal), seq: r.seq, status: r.status as SignalStatus, statusUpdatedAt: r.status_updated_at };
}

function summaryFromRow(r: TraceRow): TraceSummary {
  return {
    traceId: r.trace_id, rootName: r.root_name, services: r.services, spanCount: r.span_count, errorCount: r.error_count,
    startTime: r.start_time, endTime: r.end_time, duration: r.end_time - r.start_time, completedAt: r.completed_at,
  };
}

function traceFromRow(r: TraceRow): KeptTrace {
  return keptTraceFromRow(summaryFromRow(r), r);
}

/** For columns used only to filter: PostgreSQL text cannot hold NUL. */
function filterText(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
}

/** SQLSTATE classes retrying cannot fix: data exceptions (22), integrity violations (23), program limits (54). */
const PERMANENT_SQLSTATE = /^(22|23|54)/;

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Serialization errors and data PostgreSQL refuses are permanent; the rest (connection lost, deadlock, shutdown, disk full) is transient. */
function permanentOrNot(err: unknown): unknown {
  const state = sqlState(err);
  if (err instanceof TypeError || err instanceof RangeError || (state !== undefined && PERMANENT_SQLSTATE.test(state))) {
    return new PermanentWriteError(`the store cannot take this data: ${(err as Error).message}`, { cause: err });
  }
  return err;
}

/** A client's field that PostgreSQL refuses (e.g. a NUL character in a note) is the client's error, not the server's. */
function invalidInput(err: unknown, what: string): unknown {
  const state = sqlState(err);
  if (state !== undefined && state.startsWith('22')) return new FluoError('VALIDATION', `${what}: ${(err as Error).message}`, { cause: err });
  return err;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * PostgreSQL unreachable, restarting, or out of connections: a retryable
 * FluoError (the API answers 503 with Retry-After; the write queue retries).
 */
function unreachable(err: unknown, where: string): unknown {
  if (err instanceof FluoError) return err;
  const state = sqlState(err);
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const transient = state !== undefined
    ? /^(08|57P0[1-3]|53300)/.test(state)
    : (typeof code === 'string' && CONNECTION_ERRORS.has(code)) || /Connection terminated|timeout exceeded when trying to connect|connect ECONN/i.test(message);
  if (!transient) return err;
  return new FluoError('UNAVAILABLE', `the PostgreSQL store ${where} is unavailable: ${message}`, { retryAfterSeconds: 5, cause: err });
}

type Queryable = pg.Pool | pg.PoolClient;

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly feed: ChangeFeed;
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(readonly config: PostgresStoreConfig, pool: pg.Pool) {
    this.pool = pool;
    this.feed = new ChangeFeed(config, () => this.lastSignalSeq());
  }

  /** Connects, migrates (safely when several instances start at once) and opens the pool. */
  static async open(config: PostgresStoreConfig): Promise<PostgresStore> {
    const pool = new pg.Pool({ ...clientConfig(config), max: config.poolSize, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks (server restart) must not crash the process; the next query reconnects.
    pool.on('error', (err) => config.onError?.(`PostgreSQL connection lost: ${err.message}`));
    try {
      await migrate(pool, config.redactedUrl);
    } catch (err) {
      await pool.end().catch(() => {});
      if (err instanceof Error && /newer than this FLUO/.test(err.message)) throw err;
      throw new Error(`cannot open the PostgreSQL store ${config.redactedUrl}: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresStore(config, pool);
  }

  /** Schema version of the database. */
  async schemaVersion(): Promise<number> {
    return currentVersion(this.db());
  }

  private db(): pg.Pool {
    if (this.closed) throw new Error('the store is closed');
    return this.pool;
  }

  private async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], on?: Queryable): Promise<R[]> {
    return (await this.query<R>(sql, params, on)).rows;
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[], on: Queryable = this.db()): Promise<pg.QueryResult<R>> {
    try {
      return await on.query<R>(sql, params);
    } catch (err) {
      throw unreachable(err, this.config.redactedUrl);
    }
  }

  /** Runs `work` in a transaction on one connection; rolls back on any error. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.db().connect();
    } catch (err) {
      throw unreachable(err, this.config.redactedUrl);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
      throw unreachable(err, this.config.redactedUrl);
    } finally {
      // A connection that could not even roll back is discarded rather than reused.
      client.release(broken);
    }
  }

  async listRules(): Promise<RuleRecord[]> {
    return (await this.rows<RuleRow>('SELECT * FROM rules ORDER BY id')).map(ruleFromRow);
  }

  async getRule(id: string): Promise<RuleRecord | null> {
    const [row] = await this.rows<RuleRow>('SELECT * FROM rules WHERE id = $1', [filterText(id)]);
    return row ? ruleFromRow(row) : null;
  }

  async createRule(rule: RuleRecord): Promise<void> {
    let created: boolean;
    try {
      created = await this.transaction(async (client) => {
        const inserted = (await client.query(`INSERT INTO rules (id, name, description, severity, dsl, enabled, mode, tags, version, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`, ruleParams(rule))).rowCount ?? 0;
        if (inserted === 0) return false;
        await saveVersion(client, rule);
        return true;
      });
    } catch (err) {
      throw invalidInput(err, `rule '${rule.id}' cannot be stored`);
    }
    if (!created) throw new FluoError('CONFLICT', `a rule with id '${rule.id}' exists already`, { details: { id: rule.id } });
  }

  async updateRule(rule: RuleRecord, expectedVersion: number): Promise<void> {
    let updated: boolean;
    try {
      updated = await this.transaction(async (client) => {
        const changed = (await client.query(`UPDATE rules SET name = $2, description = $3, severity = $4, dsl = $5, enabled = $6, mode = $7, tags = $8,
          version = $9, created_at = $10, updated_at = $11 WHERE id = $1 AND version = $12`, [...ruleParams(rule), expectedVersion])).rowCount ?? 0;
        if (changed !== 1) return false;
        await saveVersion(client, rule);
        return true;
      });
    } catch (err) {
      throw invalidInput(err, `rule '${rule.id}' cannot be stored`);
    }
    if (updated) return;
    const current = await this.getRule(rule.id);
    if (!current) throw new FluoError('NOT_FOUND', `no rule with id '${rule.id}'`);
    throw new FluoError('CONFLICT', `rule '${rule.id}' is at version ${current.version}, not ${expectedVersion}: it was changed meanwhile`, { details: { id: rule.id, version: current.version } });
  }

  async deleteRule(id: string): Promise<boolean> {
    return this.transaction(async (client) => {
      await client.query('DELETE FROM rule_versions WHERE rule_id = $1', [filterText(id)]);
      return ((await client.query('DELETE FROM rules WHERE id = $1', [filterText(id)])).rowCount ?? 0) > 0;
    });
  }

  async listRuleVersions(ruleId: string): Promise<RuleVersionRecord[]> {
    return (await this.rows<RuleVersionRow>('SELECT * FROM rule_versions WHERE rule_id = $1 ORDER BY version DESC', [filterText(ruleId)])).map(ruleVersionFromRow);
  }

  async getRuleVersion(ruleId: string, version: number): Promise<RuleVersionRecord | null> {
    const [row] = await this.rows<RuleVersionRow>('SELECT * FROM rule_versions WHERE rule_id = $1 AND version = $2', [filterText(ruleId), version]);
    return row ? ruleVersionFromRow(row) : null;
  }

  async countActivity(query: ActivityQuery): Promise<ActivityCounts> {
    const params = [query.since, query.until, query.bucketMs];
    const traces = await this.rows<{ start: number; count: number }>(`SELECT floor(completed_at / $3) * $3 AS start, count(*) AS count FROM traces
      WHERE completed_at >= $1 AND completed_at < $2 GROUP BY 1 ORDER BY 1`, params);
    const signals = await this.rows<{ ruleId: string; start: number; count: number }>(`SELECT rule_id AS "ruleId", floor(detected_at / $3) * $3 AS start,
      count(*) AS count FROM signals WHERE detected_at >= $1 AND detected_at < $2 GROUP BY 1, 2 ORDER BY rule_id COLLATE "C", 2`, params);
    return { traces: traces.map((r) => ({ start: r.start, count: r.count })), signals: signals.map((r) => ({ ruleId: r.ruleId, start: r.start, count: r.count })) };
  }

  async countSignals(query: SignalCountQuery): Promise<SignalCount[]> {
    const params: unknown[] = [query.since, query.until, query.bucketMs];
    const where = ['detected_at >= $1', 'detected_at < $2'];
    if (query.status !== undefined) { params.push(query.status); where.push(`status = $${params.length}`); }
    if (query.ruleId !== undefined) { params.push(filterText(query.ruleId)); where.push(`rule_id = $${params.length}`); }
    const rows = await this.rows<{ bucket: number; rule_id: string; severity: Severity; n: number }>(`SELECT floor((detected_at - $1) / $3) AS bucket,
      rule_id, severity, count(*) AS n FROM signals WHERE ${where.join(' AND ')}
      GROUP BY 1, 2, 3 ORDER BY 1, rule_id COLLATE "C", severity COLLATE "C"`, params);
    return rows.map((r) => ({ bucketStart: query.since + r.bucket * query.bucketMs, ruleId: r.rule_id, severity: r.severity, count: r.n }));
  }

  async createToken(token: TokenRecord): Promise<void> {
    let inserted: number;
    try {
      inserted = (await this.query(`INSERT INTO api_tokens (id, name, role, token_hash, prefix, created_at, created_by, revoked_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [token.id, token.name, token.role, token.hash, token.prefix, token.createdAt, token.createdBy, token.revokedAt])).rowCount ?? 0;
    } catch (err) {
      throw invalidInput(err, `token '${token.id}' cannot be stored`);
    }
    if (inserted === 0) throw new FluoError('CONFLICT', `a token with id '${token.id}' or the same hash exists already`, { details: { id: token.id } });
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.rows<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id')).map(tokenFromRow);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    const [row] = await this.rows<TokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1', [filterText(hash)]);
    return row ? tokenFromRow(row) : null;
  }

  async revokeToken(id: string, at: number): Promise<TokenRecord | null> {
    // COALESCE keeps an earlier revocation, so revoking twice (or from two instances at once) is idempotent.
    const [row] = await this.rows<TokenRow>('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING *', [filterText(id), at]);
    return row ? tokenFromRow(row) : null;
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
    let row: AuditRow;
    try {
      [row] = await this.rows<AuditRow>('INSERT INTO audit_log (at, actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
        [entry.at, entry.actor, entry.action, entry.target, json(entry.before), json(entry.after)]);
    } catch (err) {
      throw invalidInput(err, `the audit entry '${entry.action}' on '${entry.target}' cannot be stored`);
    }
    return auditFromRow(row);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => { params.push(value); return `$${params.length}`; };
    if (query.beforeSeq !== undefined) where.push(`seq < ${param(query.beforeSeq)}`);
    if (query.target !== undefined) where.push(`target = ${param(filterText(query.target))}`);
    if (query.action !== undefined) {
      where.push(query.action.endsWith('.') ? `starts_with(action, ${param(filterText(query.action))})` : `action = ${param(filterText(query.action))}`);
    }
    const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${param(query.limit)}`;
    return (await this.rows<AuditRow>(sql, params)).map(auditFromRow);
  }

  async write(batch: WriteBatch): Promise<SignalRecord[]> {
    if (this.closed) throw new Error('the store is closed');
    let prepared: ReturnType<typeof prepareBatch>;
    try {
      prepared = prepareBatch(batch);
    } catch (err) {
      throw permanentOrNot(err);
    }
    if (prepared.signals.length === 0 && prepared.traces.length === 0) return [];
    try {
      return await this.transaction(async (client) => {
        if (prepared.traces.length > 0) await writeTraces(client, prepared.traces);
        return prepared.signals.length > 0 ? await writeSignals(client, prepared.signals, prepared.evidence) : [];
      });
    } catch (err) {
      throw permanentOrNot(err);
    }
  }

  async getSignal(id: string): Promise<SignalDetail | null> {
    const [row] = await this.rows<SignalRow>(`SELECT ${SIGNAL_COLUMNS}, COALESCE(e.spans, s.evidence) AS evidence
      FROM signals s LEFT JOIN evidence e ON e.id = s.evidence_id WHERE s.id = $1`, [filterText(id)]);
    if (!row) return null;
    const history = (await this.rows<HistoryRow>('SELECT at, by, from_status, to_status, note FROM signal_history WHERE signal_id = $1 ORDER BY n', [id]))
      .map((h): StatusChange => ({ at: h.at, by: h.by, from: h.from_status as SignalStatus, to: h.to_status as SignalStatus, note: h.note }));
    return { ...signalFromRow(row), evidence: JSON.parse(row.evidence ?? '[]', nullPrototypeReviver) as SerializedSpan[], history };
  }

  async listSignals(query: SignalQuery): Promise<SignalRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => { params.push(value); return `$${params.length}`; };
    if (query.ruleId !== undefined) where.push(`rule_id = ${param(filterText(query.ruleId))}`);
    if (query.severity !== undefined) where.push(`severity = ${param(query.severity)}`);
    if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
    if (query.service !== undefined) where.push(`services @> ARRAY[${param(filterText(query.service))}]::text[]`);
    if (query.since !== undefined) where.push(`detected_at >= ${param(query.since)}`);
    if (query.until !== undefined) where.push(`detected_at < ${param(query.until)}`);
    if (query.beforeSeq !== undefined) where.push(`seq < ${param(query.beforeSeq)}`);
    const sql = `SELECT ${SIGNAL_COLUMNS} FROM signals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${param(query.limit)}`;
    return (await this.rows<SignalRow>(sql, params)).map(signalFromRow);
  }

  async signalsAfter(afterSeq: number, limit: number): Promise<SignalRecord[]> {
    return (await this.rows<SignalRow>(`SELECT ${SIGNAL_COLUMNS} FROM signals WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit])).map(signalFromRow);
  }

  async lastSignalSeq(): Promise<number> {
    const [row] = await this.rows<{ last: number }>('SELECT last FROM fluo_signal_counter');
    return row?.last ?? 0;
  }

  async updateSignalStatus(
    id: string,
    change: { to: SignalStatus; by: string; note: string | null; at: number },
    notifications?: (from: SignalStatus) => NewNotification[],
  ): Promise<SignalDetail | null> {
    let found: boolean;
    try {
      found = await this.transaction(async (client) => {
        const [row] = await this.rows<{ status: string }>('SELECT status FROM signals WHERE id = $1 FOR UPDATE', [filterText(id)], client);
        if (!row) return false;
        await client.query('UPDATE signals SET status = $1, status_updated_at = $2 WHERE id = $3', [change.to, change.at, id]);
        await client.query('INSERT INTO signal_history (signal_id, at, by, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6)',
          [id, change.at, change.by, row.status, change.to, change.note]);
        // The row lock above orders concurrent changes of one signal, so `from` is the status this change replaces.
        if (notifications) await insertNotifications(client, prepareNotifications(notifications(row.status as SignalStatus)));
        return true;
      });
    } catch (err) {
      throw invalidInput(err, `the status change of signal '${id}' cannot be stored`);
    }
    return found ? this.getSignal(id) : null;
  }

  async enqueueNotifications(rows: NewNotification[]): Promise<NotificationRecord[]> {
    if (this.closed) throw new Error('the store is closed');
    try {
      const prepared = prepareNotifications(rows);
      return await this.transaction((client) => insertNotifications(client, prepared));
    } catch (err) {
      throw permanentOrNot(err);
    }
  }

  /** The claim of the contract in store.ts: one statement, rows locked with SKIP LOCKED, so concurrent claimers (other instances) never take the same row. */
  async claimNotifications(options: { now: number; limit: number; leaseMs: number }): Promise<NotificationRecord[]> {
    const rows = await this.rows<NotificationRow>(`WITH due AS (
        SELECT o.n FROM notifications o
        WHERE ((o.status = 'pending' AND o.next_attempt_at <= $1) OR (o.status = 'delivering' AND o.lease_until <= $1))
          AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.channel_id = o.channel_id AND p.order_key = o.order_key AND p.n < o.n
            AND p.status IN ('pending', 'delivering'))
        ORDER BY o.n LIMIT $2 FOR UPDATE SKIP LOCKED)
      UPDATE notifications SET status = 'delivering', attempts = attempts + 1, lease_until = $3, updated_at = $1
      FROM due WHERE notifications.n = due.n RETURNING notifications.*`, [options.now, options.limit, options.now + options.leaseMs]);
    return rows.map(notificationFromRow).sort((a, b) => a.n - b.n);
  }

  async completeNotification(n: number, attempt: number, outcome: DeliveryOutcomeRecord): Promise<boolean> {
    const current = 'WHERE n = $1 AND status = \'delivering\' AND attempts = $2';
    let result: pg.QueryResult;
    if (outcome.status === 'delivered') {
      result = await this.query(`UPDATE notifications SET status = 'delivered', delivered_at = $3, updated_at = $3, lease_until = NULL ${current}`, [n, attempt, outcome.at]);
    } else if (outcome.status === 'retry') {
      result = await this.query(`UPDATE notifications SET status = 'pending', next_attempt_at = $4, last_error = $5, updated_at = $3, lease_until = NULL ${current}`,
        [n, attempt, outcome.at, outcome.nextAttemptAt, filterText(outcome.error)]);
    } else {
      result = await this.query(`UPDATE notifications SET status = 'failed', last_error = $4, updated_at = $3, lease_until = NULL ${current}`,
        [n, attempt, outcome.at, filterText(outcome.error)]);
    }
    return result.rowCount === 1;
  }

  async expireNotifications(createdBefore: number, at: number): Promise<number> {
    return (await this.query(`UPDATE notifications SET status = 'expired', lease_until = NULL, updated_at = $2,
      last_error = 'expired: not delivered within the maximum age' || COALESCE(' (last error: ' || last_error || ')', '')
      WHERE status IN ('pending', 'delivering') AND created_at < $1`, [createdBefore, at])).rowCount ?? 0;
  }

  async pruneNotifications(before: number): Promise<number> {
    return this.transaction(async (client) => {
      await client.query('DELETE FROM notification_windows WHERE ends_at < $1', [before]);
      return (await client.query(`DELETE FROM notifications WHERE status IN ('delivered', 'failed', 'expired', 'suppressed') AND updated_at < $1`, [before])).rowCount ?? 0;
    });
  }

  async listNotifications(query: NotificationQuery): Promise<NotificationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => { params.push(value); return `$${params.length}`; };
    if (query.status !== undefined) where.push(`status = ${param(query.status)}`);
    if (query.channelId !== undefined) where.push(`channel_id = ${param(filterText(query.channelId))}`);
    if (query.signalId !== undefined) where.push(`signal_id = ${param(filterText(query.signalId))}`);
    if (query.ruleId !== undefined) where.push(`rule_id = ${param(filterText(query.ruleId))}`);
    if (query.kind !== undefined) where.push(`kind = ${param(query.kind)}`);
    if (query.beforeN !== undefined) where.push(`n < ${param(query.beforeN)}`);
    const sql = `SELECT * FROM notifications ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY n DESC LIMIT ${param(query.limit)}`;
    return (await this.rows<NotificationRow>(sql, params)).map(notificationFromRow);
  }

  async getNotification(n: number): Promise<NotificationRecord | null> {
    const [row] = await this.rows<NotificationRow>('SELECT * FROM notifications WHERE n = $1', [n]);
    return row ? notificationFromRow(row) : null;
  }

  async listChannels(): Promise<ChannelRecord[]> {
    return (await this.rows<ChannelRow>('SELECT * FROM channels ORDER BY id')).map(channelFromRow);
  }

  async getChannel(id: string): Promise<ChannelRecord | null> {
    const [row] = await this.rows<ChannelRow>('SELECT * FROM channels WHERE id = $1', [filterText(id)]);
    return row ? channelFromRow(row) : null;
  }

  async createChannel(channel: ChannelRecord): Promise<void> {
    let inserted: number;
    try {
      inserted = (await this.query(`INSERT INTO channels (id, type, name, enabled, settings, match, throttle, version, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`, channelParams(channel))).rowCount ?? 0;
    } catch (err) {
      throw invalidInput(err, `channel '${channel.id}' cannot be stored`);
    }
    if (inserted === 0) throw new FluoError('CONFLICT', `a channel with id '${channel.id}' exists already`, { details: { id: channel.id } });
  }

  async updateChannel(channel: ChannelRecord, expectedVersion: number): Promise<void> {
    let updated: number;
    try {
      updated = (await this.query(`UPDATE channels SET type = $2, name = $3, enabled = $4, settings = $5, match = $6, throttle = $7, version = $8,
        created_at = $9, updated_at = $10 WHERE id = $1 AND version = $11`, [...channelParams(channel), expectedVersion])).rowCount ?? 0;
    } catch (err) {
      throw invalidInput(err, `channel '${channel.id}' cannot be stored`);
    }
    if (updated === 1) return;
    const current = await this.getChannel(channel.id);
    if (!current) throw new FluoError('NOT_FOUND', `no channel with id '${channel.id}'`);
    throw new FluoError('CONFLICT', `channel '${channel.id}' is at version ${current.version}, not ${expectedVersion}: it was changed meanwhile`, { details: { id: channel.id, version: current.version } });
  }

  async deleteChannel(id: string): Promise<boolean> {
    return ((await this.query('DELETE FROM channels WHERE id = $1', [filterText(id)])).rowCount ?? 0) > 0;
  }

  private async traceQuery(query: TraceQuery, withSpans: boolean): Promise<TraceRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => { params.push(value); return `$${params.length}`; };
    if (query.service !== undefined) where.push(`services @> ARRAY[${param(filterText(query.service))}]::text[]`);
    if (query.name !== undefined) where.push(`root_name = ${param(filterText(query.name))}`);
    if (query.spanName !== undefined) where.push(`span_names @> ARRAY[${param(filterText(query.spanName))}]::text[]`);
    if (query.since !== undefined) where.push(`start_time >= ${param(query.since)}`);
    if (query.until !== undefined) where.push(`start_time < ${param(query.until)}`);
    if (query.after !== undefined) {
      const start = param(query.after.startTime);
      where.push(`(start_time < ${start} OR (start_time = ${start} AND trace_id < ${param(filterText(query.after.traceId))}))`);
    }
    const sql = `SELECT ${TRACE_COLUMNS}${withSpans ? ', spans, spans_otlp' : ''} FROM traces ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY start_time DESC, trace_id DESC LIMIT ${param(query.limit)}`;
    return this.rows<TraceRow>(sql, params);
  }

  async listTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return (await this.traceQuery(query, false)).map(summaryFromRow);
  }

  async scanTraces(query: TraceQuery): Promise<KeptTrace[]> {
    return (await this.traceQuery(query, true)).map(traceFromRow);
  }

  async getTrace(traceId: string): Promise<KeptTrace | null> {
    const [row] = await this.rows<TraceRow>(`SELECT ${TRACE_COLUMNS}, spans, spans_otlp FROM traces WHERE trace_id = $1`, [filterText(traceId)]);
    return row ? traceFromRow(row) : null;
  }

  /**
   * One instance prunes at a time (an advisory lock): instances pruning at
   * once would each delete the same excess. An instance that finds the lock
   * taken does nothing this round.
   */
  async pruneTraces(options: { completedBefore: number; maxSpans: number }): Promise<PruneResult> {
    return this.transaction(async (client) => {
      const [lock] = await this.rows<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS locked', [LOCK_NAMESPACE, LOCK_PRUNE], client);
      if (!lock.locked) return { traces: 0, spans: 0 };
      const [aged] = await this.rows<{ traces: number; spans: number }>(`WITH gone AS (DELETE FROM traces WHERE completed_at < $1 RETURNING span_count)
        SELECT count(*) AS traces, COALESCE(sum(span_count), 0)::bigint AS spans FROM gone`, [options.completedBefore], client);
      const result = { traces: aged.traces, spans: aged.spans };
      const [total] = await this.rows<{ spans: number }>('SELECT COALESCE(sum(span_count), 0)::bigint AS spans FROM traces', [], client);
      const excess = total.spans - options.maxSpans;
      if (excess <= 0) return result;
      // Oldest first, as many as it takes: a trace goes when the spans before it in that order do not cover the excess yet.
      const [bounded] = await this.rows<{ traces: number; spans: number }>(`WITH ordered AS (
          SELECT trace_id, span_count, sum(span_count) OVER (ORDER BY completed_at, trace_id ROWS UNBOUNDED PRECEDING) - span_count AS before
          FROM traces),
        gone AS (DELETE FROM traces t USING ordered o WHERE t.trace_id = o.trace_id AND o.before < $1 RETURNING t.span_count)
        SELECT count(*) AS traces, COALESCE(sum(span_count), 0)::bigint AS spans FROM gone`, [excess], client);
      result.traces += bounded.traces;
      result.spans += bounded.spans;
      return result;
    });
  }

  async stats(): Promise<StoreStats> {
    const [row] = await this.rows<StoreStats>(`SELECT (SELECT count(*) FROM rules) AS rules, (SELECT count(*) FROM signals) AS signals,
      (SELECT count(*) FROM traces) AS traces, (SELECT COALESCE(sum(span_count), 0)::bigint FROM traces) AS spans`);
    return { ...row };
  }

  watchRules(onChange: () => void): () => void {
    if (this.closed) throw new Error('the store is closed');
    return this.feed.add({ rules: onChange });
  }

  watchSignals(onStored: (lastSeq: number) => void): () => void {
    if (this.closed) throw new Error('the store is closed');
    return this.feed.add({ signals: onStored });
  }

  watchChannels(onChange: () => void): () => void {
    if (this.closed) throw new Error('the store is closed');
    return this.feed.add({ channels: onChange });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      await this.feed.close();
      await this.pool.end();
    })();
    return this.closing;
  }
}

interface PreparedSignal {
  notifications: PreparedNotification[];
  id: string;
  ruleId: string;
  severity: string;
  services: string[];
  detectedAt: number;
  json: string;
  /** Index into the batch's evidence texts (signals of one evaluation share one). */
  evidence: number;
  signal: Signal;
}

/** Serializes first (outside the transaction), merges repeats of one trace and drops repeats of one signal id within the batch. */
function prepareBatch(batch: WriteBatch): { signals: PreparedSignal[]; evidence: string[]; traces: NewTrace[] } {
  const signals = new Map<string, PreparedSignal>();
  const evidence = evidenceTexts();
  for (const { signal, evidence: spans, notifications } of batch.signals as NewSignal[]) {
    if (signals.has(signal.id)) continue;
    signals.set(signal.id, {
      notifications: prepareNotifications(notifications ?? []), id: signal.id, ruleId: filterText(signal.ruleId), severity: signal.severity, services: signal.services.map(filterText),
      detectedAt: signal.detectedAt, json: JSON.stringify(signal), evidence: evidence.indexOf(spans), signal,
    });
  }
  const traces = new Map<string, NewTrace>();
  for (const trace of batch.traces) {
    const earlier = traces.get(trace.traceId);
    traces.set(trace.traceId, earlier ? mergeNewTraces(earlier, trace) : trace);
  }
  return { signals: [...signals.values()], evidence: evidence.texts, traces: [...traces.values()].sort((a, b) => (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0)) };
}

/**
 * Rows as one multi-row VALUES list with one parameter per value. Not
 * unnest() over array parameters: node-postgres builds array literals by
 * escaping every element, which for the JSON of spans cost ten times the
 * JSON serialization itself (measured: 1.8 s against 0.18 s for 20 000
 * spans); separate parameters are sent as they are.
 */
function values(rows: readonly unknown[][], casts: readonly string[], params: unknown[]): string {
  return rows.map((row) => `(${row.map((value, i) => { params.push(value); return `$${params.length}::${casts[i]}`; }).join(', ')})`).join(', ');
}

/** At most this many parameters per statement (PostgreSQL's protocol allows 65 535). */
const MAX_PARAMETERS = 60_000;

function chunks<T>(items: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / columns));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const TRACE_COLUMN_LIST = 'trace_id, root_name, services, span_count, error_count, start_time, end_time, completed_at, spans_otlp, span_names';
const TRACE_CASTS = ['text', 'text', 'text[]', 'int', 'int', 'float8', 'float8', 'float8', 'bytea', 'text[]'];

function traceRow(t: NewTrace): unknown[] {
  const spanNames = [...new Set(t.spanNames.map(filterText))];
  const otlp = Buffer.from(t.otlp.buffer, t.otlp.byteOffset, t.otlp.byteLength);
  return [t.traceId, filterText(t.rootName), t.services.map(filterText), t.spanCount, t.errorCount, t.startTime, t.endTime, t.completedAt, otlp, spanNames];
}

/**
 * New traces are inserted; a trace stored already (late spans completed it
 * again, or another instance got part of it) is locked, merged and updated.
 * A trace inserted by another transaction between our read and our insert
 * is caught by ON CONFLICT DO NOTHING and merged on a second pass.
 */
async function writeTraces(client: pg.PoolClient, traces: readonly NewTrace[]): Promise<void> {
  const existing = await lockedTraces(client, traces.map((t) => t.traceId));
  const fresh = traces.filter((t) => !existing.has(t.traceId));
  const merged = traces.filter((t) => existing.has(t.traceId)).map((t) => mergeNewTraces(existing.get(t.traceId)!, t));
  const inserted = new Set<string>();
  for (const chunk of chunks(fresh, TRACE_CASTS.length)) {
    const params: unknown[] = [];
    const list = values(chunk.map(traceRow), TRACE_CASTS, params);
    const rows = (await client.query<{ trace_id: string }>(`INSERT INTO traces (${TRACE_COLUMN_LIST}) VALUES ${list}
      ON CONFLICT (trace_id) DO NOTHING RETURNING trace_id`, params)).rows;
    for (const r of rows) inserted.add(r.trace_id);
  }
  const raced = fresh.filter((t) => !inserted.has(t.traceId));
  if (raced.length > 0) {
    const now = await lockedTraces(client, raced.map((t) => t.traceId));
    for (const t of raced) merged.push(now.has(t.traceId) ? mergeNewTraces(now.get(t.traceId)!, t) : t);
  }
  for (const chunk of chunks(merged, TRACE_CASTS.length)) {
    const params: unknown[] = [];
    const list = values(chunk.map(traceRow), TRACE_CASTS, params);
    await client.query(`UPDATE traces SET root_name = u.root_name, services = u.services, span_count = u.span_count, error_count = u.error_count,
      start_time = u.start_time, end_time = u.end_time, completed_at = u.completed_at, spans = NULL, spans_otlp = u.spans_otlp, span_names = u.span_names
      FROM (VALUES ${list}) AS u(${TRACE_COLUMN_LIST}) WHERE traces.trace_id = u.trace_id`, params);
  }
}

/** The stored spans (as OTLP bytes) and completion time of the traces of `ids` that are kept, locked for this transaction. */
async function lockedTraces(client: pg.PoolClient, ids: readonly string[]): Promise<Map<string, { otlp: Uint8Array; completedAt: number }>> {
  const rows = (await client.query<TraceRow>('SELECT trace_id, completed_at, spans, spans_otlp FROM traces WHERE trace_id = ANY($1::text[]) ORDER BY trace_id FOR UPDATE', [ids])).rows;
  return new Map(rows.map((r) => [r.trace_id, { otlp: storedSpansOtlp(r), completedAt: r.completed_at }]));
}

const SIGNAL_CASTS = ['bigint', 'text', 'text', 'text', 'text[]', 'float8', 'text', 'float8', 'text', 'text'];
const EVIDENCE_CASTS = ['text', 'text'];

/**
 * Numbers and inserts the batch's new signals under the counter's row lock
 * (see the module comment). Evidence several of them share is stored once,
 * under the id of the first of them (signal ids are unique and signals are
 * never deleted, so that id names no other evidence).
 */
async function writeSignals(client: pg.PoolClient, signals: readonly PreparedSignal[], evidence: readonly string[]): Promise<SignalRecord[]> {
  const [counter] = (await client.query<{ last: number }>('SELECT last FROM fluo_signal_counter FOR UPDATE')).rows;
  const known = new Set((await client.query<{ id: string }>('SELECT id FROM signals WHERE id = ANY($1::text[])', [signals.map((s) => s.id)])).rows.map((r) => r.id));
  const fresh = signals.filter((s) => !known.has(s.id));
  if (fresh.length === 0) return [];
  const seqs = fresh.map((_, i) => counter.last + i + 1);
  const evidenceIds = new Map<number, string>();
  for (const s of fresh) if (!evidenceIds.has(s.evidence)) evidenceIds.set(s.evidence, s.id);
  for (const chunk of chunks([...evidenceIds].map(([index, id]) => [id, evidence[index]]), EVIDENCE_CASTS.length)) {
    const params: unknown[] = [];
    await client.query(`INSERT INTO evidence (id, spans) VALUES ${values(chunk, EVIDENCE_CASTS, params)}
      ON CONFLICT (id) DO UPDATE SET spans = excluded.spans`, params);
  }
  const rows = fresh.map((s, i) => [seqs[i], s.id, s.ruleId, s.severity, s.services, s.detectedAt, 'open', s.detectedAt, s.json, evidenceIds.get(s.evidence)]);
  for (const chunk of chunks(rows, SIGNAL_CASTS.length)) {
    const params: unknown[] = [];
    await client.query(`INSERT INTO signals (seq, id, rule_id, severity, services, detected_at, status, status_updated_at, signal, evidence_id)
      VALUES ${values(chunk, SIGNAL_CASTS, params)}`, params);
  }
  await client.query('UPDATE fluo_signal_counter SET last = $1', [seqs[seqs.length - 1]]);
  // Outbox rows of new signals only, in this transaction: a signal is notified if and only if it is stored.
  await insertNotifications(client, fresh.flatMap((s) => s.notifications));
  return fresh.map((s, i) => ({ ...s.signal, seq: seqs[i], status: 'open', statusUpdatedAt: s.detectedAt }));
}

/** Records the version a rule is saved at, in the caller's transaction. */
async function saveVersion(client: pg.PoolClient, rule: RuleRecord): Promise<void> {
  await client.query(`INSERT INTO rule_versions (rule_id, version, name, description, severity, dsl, enabled, mode, tags, saved_at)
    VALUES ($1, $9, $2, $3, $4, $5, $6, $7, $8, $10)
    ON CONFLICT (rule_id, version) DO UPDATE SET name = excluded.name, description = excluded.description, severity = excluded.severity,
      dsl = excluded.dsl, enabled = excluded.enabled, mode = excluded.mode, tags = excluded.tags, saved_at = excluded.saved_at`,
  [rule.id, rule.name, rule.description, rule.severity, rule.dsl, rule.enabled, rule.mode, JSON.stringify(rule.tags), rule.version, rule.updatedAt]);
}

/**
 * Inserts outbox rows in the caller's transaction, applying the throttle
 * (contract in store.ts). Each row is inserted first with ON CONFLICT (key)
 * DO NOTHING, so a known key counts nothing; a throttled row then takes its
 * window's row lock (INSERT ... ON CONFLICT DO UPDATE), which makes writers
 * on other instances wait, so the cap holds across instances. The windows a
 * call touches are locked up front in one order (channel, group), so two
 * transactions writing to the same groups in different orders do not
 * deadlock. Resolves to the rows inserted, as stored.
 */
async function insertNotifications(client: pg.PoolClient, rows: readonly PreparedNotification[]): Promise<NotificationRecord[]> {
  if (rows.length === 0) return [];
  const groups = new Map<string, [string, string]>();
  for (const { row } of rows) if (row.throttle) groups.set(JSON.stringify([row.channelId, row.throttle.groupKey]), [row.channelId, row.throttle.groupKey]);
  if (groups.size > 0) {
    const list = [...groups.values()];
    await client.query(`SELECT 1 FROM notification_windows w JOIN unnest($1::text[], $2::text[]) AS g(channel_id, group_key)
      ON w.channel_id = g.channel_id AND w.group_key = g.group_key ORDER BY w.channel_id, w.group_key FOR UPDATE OF w`,
    [list.map((g) => g[0]), list.map((g) => g[1])]);
  }
  const inserted: NotificationRecord[] = [];
  for (const { row, payload } of rows) {
    const [stored] = (await client.query<NotificationRow>(`INSERT INTO notifications (key, channel_id, kind, signal_id, rule_id, order_key, group_key, payload,
        status, next_attempt_at, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $10) ON CONFLICT (key) DO NOTHING RETURNING *`,
    [row.key, row.channelId, row.kind, row.signalId, row.ruleId, row.orderKey, row.throttle?.groupKey ?? null, payload,
      row.nextAttemptAt ?? row.createdAt, row.createdAt])).rows;
    if (!stored) continue;
    if (!row.throttle) { inserted.push(notificationFromRow(stored)); continue; }
    const t = row.throttle;
    // A new or ended window restarts at this row; otherwise the row is sent while the cap allows, and suppressed after.
    // Within a window, `suppressed` stays 0 until `sent` reached the cap, so suppressed > 0 after this statement means this row was suppressed.
    const [window] = (await client.query<{ started_at: number; ends_at: number; suppressed: number }>(`INSERT INTO notification_windows AS w
        (channel_id, group_key, started_at, ends_at, sent, suppressed) VALUES ($1, $2, $3, $4, 1, 0)
      ON CONFLICT (channel_id, group_key) DO UPDATE SET
        started_at = CASE WHEN excluded.started_at >= w.ends_at THEN excluded.started_at ELSE w.started_at END,
        ends_at = CASE WHEN excluded.started_at >= w.ends_at THEN excluded.ends_at ELSE w.ends_at END,
        sent = CASE WHEN excluded.started_at >= w.ends_at THEN 1 WHEN w.sent < $5 THEN w.sent + 1 ELSE w.sent END,
        suppressed = CASE WHEN excluded.started_at >= w.ends_at THEN 0 WHEN w.sent < $5 THEN w.suppressed ELSE w.suppressed + 1 END
      RETURNING started_at, ends_at, suppressed`, [row.channelId, t.groupKey, row.createdAt, row.createdAt + t.windowMs, t.cap])).rows;
    if (window.suppressed === 0) { inserted.push(notificationFromRow(stored)); continue; }
    const [suppressed] = (await client.query<NotificationRow>(`UPDATE notifications SET status = 'suppressed' WHERE n = $1 RETURNING *`, [stored.n])).rows;
    await client.query(`INSERT INTO notifications (key, channel_id, kind, signal_id, rule_id, order_key, group_key, payload, status, next_attempt_at,
        created_at, updated_at, suppressed_count)
      VALUES ($1, $2, 'summary', NULL, $3, $4, $5, $6, 'pending', $7, $8, $8, 1)
      ON CONFLICT (key) DO UPDATE SET suppressed_count = notifications.suppressed_count + 1, updated_at = excluded.updated_at`,
    [`summary:${row.channelId}:${t.groupKey}:${window.started_at}`, row.channelId, row.ruleId, `summary:${row.orderKey}`, t.groupKey, payload,
      window.ends_at, row.createdAt]);
    inserted.push(notificationFromRow(suppressed));
  }
  return inserted;
}

function ruleParams(rule: RuleRecord): unknown[] {
  return [rule.id, rule.name, rule.description, rule.severity, rule.dsl, rule.enabled, rule.mode, JSON.stringify(rule.tags), rule.version, rule.createdAt, rule.updatedAt];
}

function clientConfig(config: PostgresStoreConfig): pg.ClientConfig {
  return {
    connectionString: config.connectionString,
    connectionTimeoutMillis: config.connectTimeout,
    statement_timeout: config.statementTimeout,
    keepAlive: true,
    application_name: 'fluo',
    types,
  };
}

async function currentVersion(db: Queryable): Promise<number> {
  const [row] = (await db.query<{ version: number | null }>(`SELECT max(version) AS version FROM fluo_schema_migrations`)).rows;
  return row?.version ?? 0;
}

/** See the module comment: one transaction under an advisory lock, so concurrent starts are safe. */
async function migrate(pool: pg.Pool, where: string): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_MIGRATIONS]);
    await client.query(`CREATE TABLE IF NOT EXISTS fluo_schema_migrations (
      version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const version = await currentVersion(client);
    if (version > MIGRATIONS.length) {
      throw new Error(`the PostgreSQL store ${where} has schema version ${version}, newer than this FLUO knows (${MIGRATIONS.length}): upgrade FLUO or use another database`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]);
      await client.query('INSERT INTO fluo_schema_migrations (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
    throw err;
  } finally {
    client.release(broken);
  }
}

interface FeedListener {
  rules?: () => void;
  signals?: (lastSeq: number) => void;
  channels?: () => void;
}

/**
 * The LISTEN connection behind watchRules/watchSignals: started with the
 * first watcher, reconnected with backoff (0.5 s doubling to 30 s) when lost,
 * and reconciled every `reconcileInterval` (watchers called as if notified).
 */
class ChangeFeed {
  private readonly listeners = new Set<FeedListener>();
  private client: pg.Client | null = null;
  private started = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private connecting: Promise<void> | null = null;

  constructor(private readonly config: PostgresStoreConfig, private readonly lastSeq: () => Promise<number>) {}

  add(listener: FeedListener): () => void {
    this.listeners.add(listener);
    if (!this.started) {
      this.started = true;
      this.connecting = this.connect();
      this.reconcileTimer = setInterval(() => this.reconcile(), this.config.reconcileInterval);
      this.reconcileTimer.unref();
    }
    return () => { this.listeners.delete(listener); };
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ ...clientConfig(this.config), application_name: FEED_APPLICATION_NAME });
    let lost = false;
    const onLost = (err?: Error): void => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      if (this.client === client) this.client = null;
      client.end().catch(() => {});
      if (!this.closed) {
        this.config.onError?.(`PostgreSQL change feed lost${err ? `: ${err.message}` : ''}; reconnecting`);
        this.scheduleReconnect();
      }
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (n) => this.notify(n.channel, n.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${RULES_CHANNEL}; LISTEN ${SIGNALS_CHANNEL}; LISTEN ${CHANNELS_CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (this.closed) { await client.end().catch(() => {}); return; }
    this.client = client;
    this.backoffMs = 0;
    // Whatever changed before we listened (a watcher's first load raced with it, or the connection was lost) was not notified: catch up.
    this.reconcile();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.backoffMs = Math.min(30_000, this.backoffMs === 0 ? 500 : this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connecting = this.connect();
    }, this.backoffMs);
    this.retryTimer.unref();
  }

  private notify(channel: string, payload: string | undefined): void {
    if (channel === RULES_CHANNEL) {
      for (const l of [...this.listeners]) l.rules?.();
    } else if (channel === CHANNELS_CHANNEL) {
      for (const l of [...this.listeners]) l.channels?.();
    } else if (channel === SIGNALS_CHANNEL) {
      const seq = Number(payload);
      if (Number.isSafeInteger(seq)) for (const l of [...this.listeners]) l.signals?.(seq);
    }
  }

  private reconcile(): void {
    if (this.closed) return;
    for (const l of [...this.listeners]) { l.rules?.(); l.channels?.(); }
    if ([...this.listeners].some((l) => l.signals)) {
      this.lastSeq().then((seq) => { if (!this.closed) for (const l of [...this.listeners]) l.signals?.(seq); }, () => { /* the next round tries again */ });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.listeners.clear();
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => {});
  }
}

/** Query parameters passed on to the PostgreSQL client as they are. */
const CLIENT_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'application_name', 'host'];
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
/** FLUO's own query parameters, with their defaults. */
const FLUO_PARAMETERS = { pool_size: 10, connect_timeout: 10, statement_timeout: 30 } as const;

/**
 * The URL with any password replaced by `***`, for messages and logs. Works
 * on strings that are not valid URLs too (everything between `//` and the
 * last `@` of the authority part is treated as user info).
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('//');
  if (start < 0) return url;
  const queryAt = url.indexOf('?', start);
  const authorityEnd = queryAt < 0 ? url.length : queryAt;
  const at = url.lastIndexOf('@', authorityEnd);
  if (at < start) return url;
  const userInfo = url.slice(start + 2, at);
  const colon = userInfo.indexOf(':');
  if (colon < 0) return url;
  return `${url.slice(0, start + 2)}${userInfo.slice(0, colon)}:***${url.slice(at)}`;
}

/**
 * Parses `postgres://[user[:password]@]host[:port]/database[?params]`
 * (scheme `postgres:` or `postgresql:`). Params: libpq's sslmode,
 * sslrootcert, sslcert, sslkey, application_name and host (a Unix socket
 * folder), and FLUO's pool_size (connections, default 10), connect_timeout
 * (seconds, default 10) and statement_timeout (seconds, default 30). A
 * password can also come from the PGPASSWORD environment variable. Throws
 * Error saying what is wrong, never echoing the password.
 */
export function parsePostgresUrl(url: string, reconcileInterval = 10_000): PostgresStoreConfig {
  const redactedUrl = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`'${redactedUrl}' is not a valid PostgreSQL URL: expected postgres://user:password@host:5432/database`);
  }
  if (!url.slice(parsed.protocol.length).startsWith('//')) {
    throw new Error(`'${redactedUrl}' is not a valid PostgreSQL URL: expected postgres://user:password@host:5432/database`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new Error(`'${redactedUrl}' names no database: expected postgres://user:password@host:5432/database`);
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw new Error(`'${redactedUrl}' names no host: expected postgres://user:password@host:5432/database (or ?host=/socket/folder)`);
  }
  const numbers: Record<string, number> = { ...FLUO_PARAMETERS };
  const forwarded = new URLSearchParams();
  for (const [key, value] of parsed.searchParams) {
    if (Object.hasOwn(FLUO_PARAMETERS, key)) {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      const max = key === 'pool_size' ? 1000 : 86_400;
      if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new Error(`'${redactedUrl}': ${key} must be a whole number from 1 to ${max}, got '${value}'`);
      numbers[key] = n;
    } else if (CLIENT_PARAMETERS.includes(key)) {
      if (key === 'sslmode' && !SSL_MODES.includes(value)) throw new Error(`'${redactedUrl}': sslmode must be one of ${SSL_MODES.join(', ')}, got '${value}'`);
      forwarded.append(key, value);
    } else {
      throw new Error(`'${redactedUrl}': unknown parameter '${key}' (known: ${[...Object.keys(FLUO_PARAMETERS), ...CLIENT_PARAMETERS].join(', ')})`);
    }
  }
  parsed.search = forwarded.toString();
  return {
    connectionString: parsed.toString(),
    redactedUrl,
    poolSize: numbers.pool_size,
    connectTimeout: numbers.connect_timeout * 1000,
    statementTimeout: numbers.statement_timeout * 1000,
    reconcileInterval,
  };
}
