/**
 * The storage contract. Every method is async so that stores over a network
 * (PostgreSQL) implement the same interface as the embedded SQLite store; the
 * conformance suite (storeConformance.testkit.ts) pins the behaviour every
 * store must share.
 *
 * Contract for all stores:
 * - Times are milliseconds since the epoch.
 * - Rules kept here are the API's rules; rules from files live in their files.
 * - `write` is atomic: a batch's signals and traces are all stored or none.
 *   Signals are idempotent by id (the engine derives it from rule and trace):
 *   writing a known id again changes nothing and is not returned.
 * - Every new signal gets `seq`, a positive integer greater than every seq
 *   handed out before by this store (never reused, even after deletes); it is
 *   the SSE event id and the pagination key.
 * - A trace written again (late spans completed it twice) is merged: spans
 *   are united by span id and the summary recomputed.
 * - Query results are ordered newest first unless stated otherwise.
 * - `close()` is idempotent; other methods reject after it.
 * - Tokens are stored by hash only; `findTokenByHash` is an exact lookup.
 *   The audit log is append-only: entries are never changed or deleted.
 * - `write` rejects with PermanentWriteError when the batch holds data the
 *   store can never take (not serializable, over a size limit); any other
 *   rejection is taken as transient (busy, disk full, connection lost) and the
 *   write is retried.
 */
import type { RuleMode, Severity, Signal } from '@fluohq/engine';
import type { SerializedSpan } from './serializedSpan.js';

export type RuleSource = 'api' | 'file';

/** A write that can never succeed, whatever the retries: the caller isolates and drops the item at fault. */
export class PermanentWriteError extends Error {
  readonly code = 'PERMANENT_WRITE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentWriteError';
  }
}

export interface RuleRecord {
  id: string;
  name: string;
  description: string;
  severity: Severity;
  dsl: string;
  enabled: boolean;
  mode: RuleMode;
  tags: string[];
  version: number;
  createdAt: number;
  updatedAt: number;
  source: RuleSource;
}

export const SIGNAL_STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export type SignalStatus = (typeof SIGNAL_STATUSES)[number];

export interface SignalRecord extends Signal {
  seq: number;
  status: SignalStatus;
  statusUpdatedAt: number;
}

export interface StatusChange {
  at: number;
  by: string;
  from: SignalStatus;
  to: SignalStatus;
  note: string | null;
}

export interface SignalDetail extends SignalRecord {
  /** The trace's spans as they were when the signal fired. */
  evidence: SerializedSpan[];
  /** Oldest first. */
  history: StatusChange[];
}

export interface NewSignal {
  signal: Signal;
  evidence: SerializedSpan[];
}

export interface SignalQuery {
  ruleId?: string;
  severity?: Severity;
  status?: SignalStatus;
  /** Signals whose services include this one. */
  service?: string;
  /** detectedAt >= since */
  since?: number;
  /** detectedAt < until */
  until?: number;
  /** Only signals with seq < beforeSeq (pagination). */
  beforeSeq?: number;
  limit: number;
}

export interface TraceSummary {
  traceId: string;
  /** Name of the earliest root span, or of the earliest span when no root arrived. */
  rootName: string;
  services: string[];
  spanCount: number;
  errorCount: number;
  startTime: number;
  endTime: number;
  duration: number;
  completedAt: number;
}

export interface KeptTrace extends TraceSummary {
  /** Start-time order. */
  spans: SerializedSpan[];
}

export interface TraceCursor {
  startTime: number;
  traceId: string;
}

export interface TraceQuery {
  service?: string;
  /** Root span name, exact. */
  name?: string;
  /** startTime >= since */
  since?: number;
  /** startTime < until */
  until?: number;
  /** Only traces ordered after this one (pagination; order is startTime desc, traceId desc). */
  after?: TraceCursor;
  limit: number;
}

export interface WriteBatch {
  signals: NewSignal[];
  traces: KeptTrace[];
}

export interface PruneResult {
  traces: number;
  spans: number;
}

export interface StoreStats {
  rules: number;
  signals: number;
  traces: number;
  spans: number;
}

/** API token roles; see auth/apiToken.ts for what each may do. */
export const TOKEN_ROLES = ['viewer', 'editor', 'admin', 'ingest'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** An API token as stored: never the token itself, only its SHA-256 hash. */
export interface TokenRecord {
  /** Stable public id, e.g. `tok_3f2a...`; used to revoke. */
  id: string;
  /** Who or what holds it, e.g. 'ci' or 'alice'; recorded as the actor in the audit log. */
  name: string;
  role: TokenRole;
  /** Lowercase hex SHA-256 of the whole token text. */
  hash: string;
  /** The token's first characters (e.g. `fluo_AbCd`), to recognise it in lists. */
  prefix: string;
  createdAt: number;
  /** Name of the creator ('cli' for tokens made offline). */
  createdBy: string;
  /** null while the token is valid. */
  revokedAt: number | null;
}

/** One audited change: who (a token name), when, what, and the state before and after. */
export interface AuditEntry {
  /** Increasing, never reused; the pagination key. */
  seq: number;
  at: number;
  actor: string;
  /** e.g. 'rule.create', 'rule.update', 'rule.delete', 'signal.status', 'token.create', 'token.revoke' */
  action: string;
  /** What was changed, e.g. 'rule:checkout-errors', 'signal:abc', 'token:tok_1'. */
  target: string;
  /** JSON-serialisable states; null where there is none (before a create, after a delete). */
  before: unknown;
  after: unknown;
}

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

export interface AuditQuery {
  /** Only entries with seq < beforeSeq (pagination). */
  beforeSeq?: number;
  /** Exact target, e.g. 'rule:checkout-errors'. */
  target?: string;
  /** Exact action, or a prefix ending in '.' ('rule.' for every rule change). */
  action?: string;
  limit: number;
}

export interface Store {
  /** The scheme it was created from, e.g. 'sqlite'. */
  readonly kind: string;

  listRules(): Promise<RuleRecord[]>;
  getRule(id: string): Promise<RuleRecord | null>;
  /** Rejects with FluoError CONFLICT when the id exists. */
  createRule(rule: RuleRecord): Promise<void>;
  /** Replaces a rule whose stored version is `expectedVersion`. Rejects with FluoError NOT_FOUND or CONFLICT. */
  updateRule(rule: RuleRecord, expectedVersion: number): Promise<void>;
  /** false when there was no such rule. */
  deleteRule(id: string): Promise<boolean>;

  /** Stores signals (idempotent by id) and traces atomically; resolves to the newly stored signals, with their seq, in seq order. */
  write(batch: WriteBatch): Promise<SignalRecord[]>;
  getSignal(id: string): Promise<SignalDetail | null>;
  listSignals(query: SignalQuery): Promise<SignalRecord[]>;
  /** Signals with seq > afterSeq, oldest first (SSE replay). */
  signalsAfter(afterSeq: number, limit: number): Promise<SignalRecord[]>;
  /** Highest seq handed out, 0 when none. */
  lastSignalSeq(): Promise<number>;
  /** Records a status change in the history. Resolves to null when there is no such signal. */
  updateSignalStatus(id: string, change: { to: SignalStatus; by: string; note: string | null; at: number }): Promise<SignalDetail | null>;

  listTraces(query: TraceQuery): Promise<TraceSummary[]>;
  getTrace(traceId: string): Promise<KeptTrace | null>;
  /** Like listTraces, with the spans. */
  scanTraces(query: TraceQuery): Promise<KeptTrace[]>;
  /** Deletes traces completed before `completedBefore`, then the oldest until at most `maxSpans` spans remain. */
  pruneTraces(options: { completedBefore: number; maxSpans: number }): Promise<PruneResult>;

  /** Rejects with FluoError CONFLICT when the id or the hash exists. */
  createToken(token: TokenRecord): Promise<void>;
  /** Every token, revoked ones included, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** The token with this hash (revoked or not), or null. */
  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  /** Sets revokedAt (keeping an earlier one: idempotent). Resolves to the token, or null when there is no such id. */
  revokeToken(id: string, at: number): Promise<TokenRecord | null>;

  /** Appends to the audit log; resolves to the entry with its seq (greater than every earlier one). */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;

  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
