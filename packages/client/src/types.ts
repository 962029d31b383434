/**
 * The shapes of FLUO's REST API (/api/v1), as the server sends them. They
 * mirror the server's store and API modules (packages/server/src/store/store.ts,
 * api/*.ts) and are declared here so the client depends on no FLUO package.
 * Times are milliseconds since the epoch.
 */

export type Severity = 'info' | 'warning' | 'critical';
export type RuleMode = 'alert' | 'shadow';
export type RuleSource = 'api' | 'file';
export type SignalStatus = 'open' | 'acknowledged' | 'resolved' | 'false_positive';
export type SpanKind = 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type SpanStatus = 'UNSET' | 'OK' | 'ERROR';

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type AttributeMap = Record<string, AttributeValue>;

/** A DSL error with its place in the rule text (1-based line and column). */
export interface RuleErrorInfo {
  code: string;
  message: string;
  line: number;
  column: number;
}

export interface Rule {
  id: string;
  name: string;
  description: string;
  severity: Severity;
  dsl: string;
  enabled: boolean;
  mode: RuleMode;
  tags: string[];
  /** Incremented by every change; send it back in an update to detect concurrent edits (409 CONFLICT). */
  version: number;
  createdAt: number;
  updatedAt: number;
  source: RuleSource;
  /** Rule file it comes from, for file rules (read only through the API). */
  file?: string;
  /** Set when a stored rule no longer compiles; such a rule is not applied. */
  compileError?: RuleErrorInfo;
}

export interface RuleList {
  rules: Rule[];
  /** Problems of the last rule file reload ("file:line:column: message"). */
  fileErrors: string[];
}

/** A new rule. `id` defaults to a slug of the name. */
export interface RuleInput {
  id?: string;
  name: string;
  description?: string;
  severity: Severity;
  dsl: string;
  enabled?: boolean;
  mode?: RuleMode;
  tags?: string[];
}

/** Fields to change; `version`, when given, must be the rule's current version. */
export type RuleChange = Partial<Omit<RuleInput, 'id'>> & { version?: number };

export interface RuleValidation {
  ok: boolean;
  errors: RuleErrorInfo[];
}

/** A dry run of a rule (DSL text or a saved rule) over the kept traces. */
export type RuleTestRequest = ({ dsl: string; ruleId?: never } | { ruleId: string; dsl?: never }) & {
  since?: number | string;
  until?: number | string;
  /** Most matching traces listed (1–1000, default 50). */
  limit?: number;
  /** Most traces read (default 10000). */
  maxTraces?: number;
};

export interface RuleTestResult {
  tracesScanned: number;
  matched: number;
  /** true when maxTraces stopped the scan. */
  truncated: boolean;
  traces: Array<{ traceId: string; witnesses: string[]; rootName: string; startTime: number }>;
}

/** A signal as listed and streamed. */
export interface Signal {
  /** Derived from rule and trace: the same rule on the same trace is one signal. */
  id: string;
  /** Store order; the SSE event id. */
  seq: number;
  ruleId: string;
  ruleName: string;
  ruleVersion: number;
  severity: Severity;
  mode: RuleMode;
  traceId: string;
  /** Witness span ids, in start-time order. */
  spanIds: string[];
  message: string;
  detectedAt: number;
  firstSpanTime: number;
  lastSpanTime: number;
  /** Services of the witness spans. */
  services: string[];
  status: SignalStatus;
  statusUpdatedAt: number;
  /** Correlated rules (`traces.by`): every trace involved, `traceId` first; absent for per-trace rules. */
  traceIds?: string[];
  /** Correlated rules: the key value the traces share (e.g. the user id). */
  correlationKey?: string;
  /** Correlated rules: the window (ms, span start times). */
  windowStart?: number;
  windowEnd?: number;
}

export interface StatusChange {
  at: number;
  by: string;
  from: SignalStatus;
  to: SignalStatus;
  note: string | null;
}

/** A signal with its evidence: the trace's spans when it fired, and its status history. */
export interface SignalDetail extends Signal {
  evidence: { spans: Span[] };
  /** Oldest first. */
  history: StatusChange[];
}

export interface SignalQuery {
  ruleId?: string;
  severity?: Severity;
  status?: SignalStatus;
  service?: string;
  /** detectedAt >= since: ms, or an ISO time. */
  since?: number | string;
  /** detectedAt < until. */
  until?: number | string;
  /** 1–1000, default 50. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface SignalPage {
  signals: Signal[];
  nextCursor: string | null;
}

export interface SignalStatusChange {
  status: SignalStatus;
  note?: string | null;
  by?: string;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState: string;
  name: string;
  kind: SpanKind;
  status: SpanStatus;
  statusMessage: string;
  /** Fractional milliseconds since the epoch. */
  startTime: number;
  endTime: number;
  /** ms */
  duration: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  service: string | null;
  /** The span's own attributes (the resource's are in `resource`). */
  attributes: AttributeMap;
  resource: AttributeMap;
  scope: { name: string; version: string };
  events: Array<{ name: string; time: number; timeUnixNano: string; attributes: AttributeMap }>;
  links: Array<{ traceId: string; spanId: string; traceState: string; attributes: AttributeMap }>;
}

export interface Trace {
  traceId: string;
  rootName: string;
  services: string[];
  spanCount: number;
  errorCount: number;
  startTime: number;
  endTime: number;
  duration: number;
  /** 'open' while FLUO is still assembling it (more spans may come). */
  state: 'open' | 'complete';
  completedAt: number | null;
  /** Start-time order. */
  spans: Span[];
}

/** A kept trace as listed (GET /traces): the trace without its spans and state. */
export type TraceSummary = Omit<Trace, 'state' | 'spans'>;

export interface TraceQuery {
  service?: string;
  /** Root span name. */
  name?: string;
  /** Any span's name. */
  spanName?: string;
  /** Trace start >= since: ms, or an ISO time. */
  since?: number | string;
  /** Trace start < until. */
  until?: number | string;
  /** 1–1000, default 50. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface TracePage {
  /** Newest first. */
  traces: TraceSummary[];
  nextCursor: string | null;
}

/** What a `data` event carries: the new signal and its witness spans. */
export interface SignalData {
  signal: Signal;
  /** The first witness span (undefined only if the evidence lacks it). */
  span: Span | undefined;
  /** Every witness span, in the signal's `spanIds` order. */
  spans: Span[];
  /** The signal with its whole evidence (all spans of the trace when it fired). */
  detail: SignalDetail;
}

/** One saved version of a rule (GET /rules/{id}/versions); signals name the version that raised them. */
export interface RuleVersion {
  ruleId: string;
  version: number;
  name: string;
  description: string;
  severity: Severity;
  dsl: string;
  enabled: boolean;
  mode: RuleMode;
  tags: string[];
  savedAt: number;
}

export interface RuleVersionList {
  ruleId: string;
  /** Newest first; a file rule lists only its current version. */
  versions: RuleVersion[];
}

/** Triage counts: resolved signals are true positives, false_positive ones false; open and acknowledged ones do not count. */
export interface PrecisionCounts {
  truePositives: number;
  falsePositives: number;
  /** true / (true + false); null before any triage. */
  precision: number | null;
  /** 95 % Wilson score interval; null before any triage. */
  interval: [number, number] | null;
}

export interface PrecisionQuery {
  /** detectedAt >= since: ms, or an ISO time. */
  since?: number | string;
  /** detectedAt < until. */
  until?: number | string;
  /** Trend bucket, a duration such as '1h' or '7d' (default 1d). */
  bucket?: string;
  /** Newest triaged signals read per status (default 10000). */
  maxSignals?: number;
}

/** A rule's precision from triage (GET /rules/{id}/precision), per version and over time. */
export interface RulePrecision extends PrecisionCounts {
  ruleId: string;
  /** The rule's current version. */
  ruleVersion: number;
  bucketMs: number;
  /** More triaged signals than `maxSignals`: the newest were read. */
  truncated: boolean;
  byVersion: Array<PrecisionCounts & { version: number }>;
  trend: Array<PrecisionCounts & { start: number }>;
  /** The notes given when signals were marked false_positive, most frequent first. */
  falsePositiveReasons: Array<{ reason: string; count: number }>;
}

/** The answer of a bulk status change (POST /signals/status): each signal is changed on its own. */
export interface BulkStatusResult {
  changed: number;
  failed: number;
  /** One per distinct id, in request order. */
  results: Array<{ id: string; ok: boolean; status?: SignalStatus; error?: { code: string; message: string } }>;
}

export type NotificationStatus = 'pending' | 'delivering' | 'delivered' | 'failed' | 'expired' | 'suppressed';
export type NotificationKind = 'trigger' | 'resolve' | 'summary' | 'test';

/** A row of the notification outbox: one message to one channel, with its delivery state. */
export interface Notification {
  /** Outbox order (and cursor). */
  n: number;
  /** Idempotency key, e.g. `<signal id>:<channel id>:trigger`. */
  key: string;
  channelId: string;
  kind: NotificationKind;
  signalId: string | null;
  ruleId: string | null;
  /** Rows with the same channel and order key are delivered one at a time, in order. */
  orderKey: string;
  /** Throttling group. */
  groupKey: string | null;
  /** The signal snapshot the message is made from. */
  payload: Record<string, unknown>;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  /** Summaries: signals not sent one by one. */
  suppressedCount: number;
}

export interface NotificationQuery {
  status?: NotificationStatus;
  kind?: NotificationKind;
  channelId?: string;
  signalId?: string;
  ruleId?: string;
  /** 1–1000, default 50. */
  limit?: number;
  cursor?: string;
}

export interface NotificationPage {
  /** Newest first. */
  notifications: Notification[];
  nextCursor: string | null;
}

/** A notifier type the server offers (GET /notifications/channel-types). */
export interface ChannelType {
  type: string;
  description: string;
  /** Settings kept secret: never sent back, listed in a channel's `secretsSet` when set. */
  secretFields: string[];
  sendResolvedByDefault: boolean;
}

/** Which signals a channel receives: each list given must contain the signal's value (`tags`: any of the rule's tags); `{}` accepts every signal. */
export interface ChannelMatch {
  rules?: string[];
  severities?: string[];
  tags?: string[];
}

/** A notification channel (docs/notifications.md), secrets left out. */
export interface Channel {
  id: string;
  type: string;
  name: string;
  enabled: boolean;
  /** The notifier's settings, without the secret ones. */
  settings: Record<string, unknown>;
  /** null: the channel receives only what config routes send it (and test messages). */
  match: ChannelMatch | null;
  /** window in ms. */
  throttle: { window: number; cap: number; groupBy: string | null } | null;
  /** Incremented by every change; send it back in a replace to detect concurrent edits (409 CONFLICT). */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** 'config' channels come from the server's configuration and are read only through the API. */
  source: 'config' | 'api';
  /** Secret settings that have a value. */
  secretsSet: string[];
}

/** A new channel, or the whole of a replaced one. */
export interface ChannelInput {
  id?: string;
  type: string;
  name?: string;
  enabled?: boolean;
  settings: Record<string, unknown>;
  match?: ChannelMatch | null;
  /** window as ms or a duration such as '5m'. */
  throttle?: { window: string | number; cap: number | string; groupBy?: string } | null;
  version?: number;
}

/** The outcome of a test message sent to a channel. */
export interface ChannelTestResult {
  channelId: string;
  outcome: 'delivered' | 'retry' | 'failed';
  reason?: string;
}
