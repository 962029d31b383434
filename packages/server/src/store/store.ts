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
 * - A signal's optional correlated fields (`traceIds`, `correlationKey`,
 *   `windowStart`, `windowEnd`, set by rules across traces) are stored and
 *   read back exactly; absent fields stay absent.
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
 * - Several FLUO instances may share one store (PostgreSQL). Then seq order
 *   is commit order: once a reader sees a signal with some seq, no signal
 *   with a lower seq can appear later, so `signalsAfter(last)` misses
 *   nothing. `watchRules`/`watchSignals` tell an instance about changes made
 *   by the others.
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

/**
 * One saved version of an API rule. Every createRule and updateRule records
 * the version it saves (in the same transaction), so the previous versions of
 * a rule stay readable after an edit; signals name the version that raised
 * them (`Signal.ruleVersion`).
 */
export interface RuleVersionRecord {
  ruleId: string;
  version: number;
  name: string;
  description: string;
  severity: Severity;
  dsl: string;
  enabled: boolean;
  mode: RuleMode;
  tags: string[];
  /** When this version was saved (the rule's updatedAt then). */
  savedAt: number;
}

/** Counts per time bucket for rate baselines; buckets start at multiples of bucketMs since the epoch. */
export interface ActivityQuery {
  /** Inclusive. */
  since: number;
  /** Exclusive. */
  until: number;
  bucketMs: number;
}

export interface ActivityCounts {
  /** Kept traces by completedAt, ascending bucket start; empty buckets left out. */
  traces: Array<{ start: number; count: number }>;
  /** Signals by detectedAt, per rule, ordered by ruleId then bucket start; empty buckets left out. */
  signals: Array<{ ruleId: string; start: number; count: number }>;
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
  /** The trace's spans as they were when the signal fired (correlated signals: the window's spans, from several traces). */
  evidence: SerializedSpan[];
  /** Oldest first. */
  history: StatusChange[];
}

export interface NewSignal {
  signal: Signal;
  /**
   * The signals of one batch that share one array (by identity: those one
   * evaluation of a trace raised) share the stored copy: with many rules a
   * trace raises several signals, each with the whole trace as evidence.
   */
  evidence: SerializedSpan[];
  /** Outbox rows for this signal, stored in the same transaction if and only if the signal is new (see the outbox contract below). */
  notifications?: NewNotification[];
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

/**
 * A completed trace as the write side takes it: the summary (computed from
 * the span model on the ingest thread) and the spans as OTLP/protobuf
 * `TracesData` bytes (`encodeTracesData`). Reads decode the bytes back into
 * the same `SerializedSpan[]` (KeptTrace.spans).
 */
export interface NewTrace extends TraceSummary {
  /** Distinct span names, for TraceQuery.spanName. */
  spanNames: string[];
  /**
   * The spans as one TracesData message. Readers also accept several
   * messages concatenated (again a valid TracesData: repeated fields append);
   * where a span id occurs more than once, the later copy wins.
   */
  otlp: Uint8Array;
}

export interface WriteBatch {
  signals: NewSignal[];
  traces: NewTrace[];
}

/*
 * The notification outbox. Contract for every store:
 * - Rows are written in the transaction that stores their cause: with a new
 *   signal (`NewSignal.notifications`, dropped with the signal when its id is
 *   known already), with a status change (`updateSignalStatus`'s
 *   `notifications` callback), or alone (`enqueueNotifications`).
 * - `key` is the idempotency key: a row whose key exists is not inserted
 *   again (and the call does not fail).
 * - `n` is a positive integer increasing with insertion order (never reused):
 *   the order of delivery within one (channelId, orderKey), and the page key.
 * - Throttling (`throttle` set): per (channelId, throttle.groupKey) the store
 *   keeps a window. A row arriving when no window is open, or after the open
 *   one ended (createdAt >= endsAt), opens one [createdAt, createdAt +
 *   windowMs). While a window is open, the first `cap` rows are stored
 *   'pending'; every further row is stored 'suppressed', and counted into the
 *   window's one summary row: key `summary:<channelId>:<groupKey>:<window
 *   start>`, kind 'summary', status 'pending', nextAttemptAt = the window's
 *   end, orderKey `summary:<orderKey>`, suppressedCount = rows suppressed so far
 *   in this window, payload and ruleId from the first suppressed row. Deciding
 *   and counting happen in the writing transaction, so concurrent writers (two
 *   FLUO processes on one PostgreSQL) never exceed the cap.
 * - `claimNotifications({now, limit, leaseMs})` takes up to `limit` rows, in n
 *   order, that are due (status 'pending' and nextAttemptAt <= now, or status
 *   'delivering' whose lease ended: leaseUntil <= now) and that have no earlier
 *   row (smaller n) with the same (channelId, orderKey) in status 'pending' or
 *   'delivering' (so a retrying notification holds back the later ones of its
 *   rule on its channel). It sets status 'delivering', attempts + 1 and
 *   leaseUntil = now + leaseMs, and returns the rows as updated. Two concurrent
 *   claims never return the same row (PostgreSQL: SELECT ... FOR UPDATE SKIP
 *   LOCKED in one transaction with the UPDATE).
 *   A PostgreSQL claim, in one statement:
 *     WITH due AS (SELECT n FROM notifications o
 *       WHERE ((status = 'pending' AND next_attempt_at <= $now) OR (status = 'delivering' AND lease_until <= $now))
 *         AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.channel_id = o.channel_id AND p.order_key = o.order_key
 *                         AND p.n < o.n AND p.status IN ('pending', 'delivering'))
 *       ORDER BY n LIMIT $limit FOR UPDATE SKIP LOCKED)
 *     UPDATE notifications SET status = 'delivering', attempts = attempts + 1, lease_until = $now + $lease, updated_at = $now
 *     FROM due WHERE notifications.n = due.n RETURNING notifications.*
 *   (a head row locked by another claimer is skipped, and the rows behind it
 *   still see it pending, so order holds). Throttling windows: lock the
 *   window row (SELECT ... FOR UPDATE, or INSERT ... ON CONFLICT DO UPDATE
 *   RETURNING) in the writing transaction, after inserting the row itself
 *   with ON CONFLICT (key) DO NOTHING so a known key counts nothing.
 * - `completeNotification(n, attempt, outcome)` records an attempt's outcome
 *   only when the row is 'delivering' with `attempts === attempt` (the claim
 *   it answers has not been taken over after its lease ended); it resolves to
 *   whether it did. 'delivered' sets deliveredAt; 'retry' sets status
 *   'pending', nextAttemptAt and lastError; 'failed' sets lastError. All clear
 *   leaseUntil.
 * - `expireNotifications(createdBefore, at)` sets status 'expired' (lastError
 *   says why) on rows still 'pending' or 'delivering' that were created before
 *   `createdBefore`; resolves to how many.
 * - `pruneNotifications(before)` deletes rows that are done (status
 *   'delivered', 'failed', 'expired' or 'suppressed') and were last updated
 *   before `before`, and throttling windows that ended before it; resolves to
 *   how many rows. Rows still 'pending' or 'delivering' are never deleted.
 * - `listNotifications` is newest first (n descending); filters combine with AND.
 */
export const NOTIFICATION_KINDS = ['trigger', 'resolve', 'summary', 'test'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export const NOTIFICATION_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'expired', 'suppressed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface NotificationThrottle {
  groupKey: string;
  windowMs: number;
  cap: number;
}

export interface NewNotification {
  /** Idempotency key, unique over the outbox, e.g. `<signal id>:<channel id>:trigger`. */
  key: string;
  channelId: string;
  kind: NotificationKind;
  signalId: string | null;
  ruleId: string | null;
  /** Rows with the same channelId and orderKey are delivered one at a time, in n order. */
  orderKey: string;
  /** What the notifier renders (a signal snapshot, a summary, a test message); JSON. */
  payload: unknown;
  createdAt: number;
  /** First attempt not before; default createdAt. */
  nextAttemptAt?: number;
  throttle?: NotificationThrottle;
}

export interface NotificationRecord {
  n: number;
  key: string;
  channelId: string;
  kind: NotificationKind;
  signalId: string | null;
  ruleId: string | null;
  orderKey: string;
  groupKey: string | null;
  payload: unknown;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  /** Summary rows: how many notifications the window suppressed. 0 otherwise. */
  suppressedCount: number;
}

export type DeliveryOutcomeRecord =
  | { status: 'delivered'; at: number }
  | { status: 'retry'; at: number; nextAttemptAt: number; error: string }
  | { status: 'failed'; at: number; error: string };

export interface NotificationQuery {
  status?: NotificationStatus;
  channelId?: string;
  signalId?: string;
  ruleId?: string;
  kind?: NotificationKind;
  /** Only rows with n < beforeN (pagination). */
  beforeN?: number;
  limit: number;
}

/** A notification channel kept by the store (channels of the config file are not stored). */
export interface ChannelRecord {
  id: string;
  /** A key of `notifiers` (notify/notifiers.ts). */
  type: string;
  name: string;
  enabled: boolean;
  /** The notifier's settings as validated by its factory, secrets included. */
  settings: Record<string, unknown>;
  /** Which signals the channel receives; null: only what config routes send it. */
  match: { rules?: string[]; severities?: string[]; tags?: string[] } | null;
  throttle: { window: number; cap: number; groupBy: string | null } | null;
  version: number;
  createdAt: number;
  updatedAt: number;
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
  /** false when there was no such rule. Deletes the rule's versions too (a rule created again with the id starts at version 1). */
  deleteRule(id: string): Promise<boolean>;
  /** Every saved version of an API rule, the current one included, newest first; empty for an unknown id. */
  listRuleVersions(ruleId: string): Promise<RuleVersionRecord[]>;
  getRuleVersion(ruleId: string, version: number): Promise<RuleVersionRecord | null>;

  /** Stores signals (idempotent by id) and traces atomically; resolves to the newly stored signals, with their seq, in seq order. */
  write(batch: WriteBatch): Promise<SignalRecord[]>;
  /**
   * Optional: readies the write path before the first `write` (the server
   * calls it once it serves), so the first signal does not wait for it, e.g.
   * for a writer thread to start. Idempotent; a store that needs nothing
   * omits it.
   */
  prepareWrites?(): void;
  getSignal(id: string): Promise<SignalDetail | null>;
  listSignals(query: SignalQuery): Promise<SignalRecord[]>;
  /** Signals with seq > afterSeq, oldest first (SSE replay). */
  signalsAfter(afterSeq: number, limit: number): Promise<SignalRecord[]>;
  /** Highest seq handed out, 0 when none. */
  lastSignalSeq(): Promise<number>;
  /**
   * Records a status change in the history. Resolves to null when there is no such signal.
   * `notifications`, when given, is called inside the transaction with the status before the change; the rows it returns
   * are stored in that same transaction (how a resolve reaches Alertmanager and PagerDuty).
   */
  updateSignalStatus(
    id: string,
    change: { to: SignalStatus; by: string; note: string | null; at: number },
    notifications?: (from: SignalStatus) => NewNotification[],
  ): Promise<SignalDetail | null>;

  /** Outbox (contract above). Resolves to the rows inserted (known keys are skipped). */
  enqueueNotifications(rows: NewNotification[]): Promise<NotificationRecord[]>;
  claimNotifications(options: { now: number; limit: number; leaseMs: number }): Promise<NotificationRecord[]>;
  completeNotification(n: number, attempt: number, outcome: DeliveryOutcomeRecord): Promise<boolean>;
  expireNotifications(createdBefore: number, at: number): Promise<number>;
  pruneNotifications(before: number): Promise<number>;
  listNotifications(query: NotificationQuery): Promise<NotificationRecord[]>;
  getNotification(n: number): Promise<NotificationRecord | null>;

  /** Channels made through the API, ordered by id. */
  listChannels(): Promise<ChannelRecord[]>;
  getChannel(id: string): Promise<ChannelRecord | null>;
  /** Rejects with FluoError CONFLICT when the id exists. */
  createChannel(channel: ChannelRecord): Promise<void>;
  /** Replaces a channel whose stored version is `expectedVersion`. Rejects with FluoError NOT_FOUND or CONFLICT. */
  updateChannel(channel: ChannelRecord, expectedVersion: number): Promise<void>;
  /** false when there was no such channel. */
  deleteChannel(id: string): Promise<boolean>;
  /**
   * Signals counted per time bucket, rule and severity (for charts and
   * sparklines). Bucket i starts at `since + i * bucketMs`; only non-empty
   * buckets are returned, ordered by bucketStart, then ruleId, then severity.
   */
  countSignals(query: SignalCountQuery): Promise<SignalCount[]>;

  listTraces(query: TraceQuery): Promise<TraceSummary[]>;
  getTrace(traceId: string): Promise<KeptTrace | null>;
  /** Like listTraces, with the spans. */
  scanTraces(query: TraceQuery): Promise<KeptTrace[]>;
  /** Deletes traces completed before `completedBefore`, then the oldest until at most `maxSpans` spans remain. */
  pruneTraces(options: { completedBefore: number; maxSpans: number }): Promise<PruneResult>;

  /** Kept traces and signals counted per time bucket (rate baselines). */
  countActivity(query: ActivityQuery): Promise<ActivityCounts>;

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

  /**
   * Change feed for rules. Calls `onChange` (no arguments; reload with
   * listRules) soon after rules were changed through another instance
   * sharing this store: within a second while the store is reachable, and at
   * the latest at the next periodic reconciliation after a lost connection.
   * Calls may be spurious or coalesced, and may also follow this instance's
   * own changes. Stores that one process owns (SQLite) never call it: every
   * change goes through that process. Returns a function that stops the calls.
   */
  watchRules(onChange: () => void): () => void;
  /**
   * Change feed for signals: calls `onStored(lastSeq)` soon after signals
   * were stored by another instance sharing this store (same timing and
   * caveats as watchRules), with a seq at which every lower one is readable
   * through signalsAfter. Never called by single-process stores (SQLite).
   */
  watchSignals(onStored: (lastSeq: number) => void): () => void;
  /**
   * Change feed for channels made through the API: calls `onChange` (reload
   * with listChannels) soon after channels were changed through another
   * instance (same timing and caveats as watchRules). Never called by
   * single-process stores (SQLite).
   */
  watchChannels(onChange: () => void): () => void;

  close(): Promise<void>;
}
