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
  /** Traces with at least one span of this exact name (any span, not only the root). */
  spanName?: string;
  /** startTime >= since */
  since?: number;
  /** startTime < until */
  until?: number;
  /** Only traces ordered after this one (pagination; order is startTime desc, traceId desc). */
  after?: TraceCursor;
  limit: number;
}

export interface SignalCountQuery {
  /** detectedAt >= since; also the start of the first bucket. */
  since: number;
  /** detectedAt < until */
  until: number;
  /** Bucket width in ms (> 0). */
  bucketMs: number;
  status?: SignalStatus;
  ruleId?: string;
}

/** Signals of one rule and severity detected in [bucketStart, bucketStart + bucketMs). */
export interface SignalCount {
  bucketStart: number;
  ruleId: string;
  severity: Severity;
  count: number;
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
  /**
   * Signals counted per time bucket, rule and severity (for charts and
   * sparklines). Bucket i starts at `since + i * bucketMs`; only non-empty
   * buckets are returned, ordered by bucketStart, then ruleId, then severity.
   */
  countSignals(query: SignalCountQuery): Promise<SignalCount[]>;
  /** Records a status change in the history. Resolves to null when there is no such signal. */
  updateSignalStatus(id: string, change: { to: SignalStatus; by: string; note: string | null; at: number }): Promise<SignalDetail | null>;

  listTraces(query: TraceQuery): Promise<TraceSummary[]>;
  getTrace(traceId: string): Promise<KeptTrace | null>;
  /** Like listTraces, with the spans. */
  scanTraces(query: TraceQuery): Promise<KeptTrace[]>;
  /** Deletes traces completed before `completedBefore`, then the oldest until at most `maxSpans` spans remain. */
  pruneTraces(options: { completedBefore: number; maxSpans: number }): Promise<PruneResult>;

  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
