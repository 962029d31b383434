/** The REST API's shapes, as the UI uses them (see GET /api/v1/openapi.json). */
export type Severity = 'info' | 'warning' | 'critical';
export type RuleMode = 'alert' | 'shadow';
export type SignalStatus = 'open' | 'acknowledged' | 'resolved' | 'false_positive';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export const SIGNAL_STATUSES: readonly SignalStatus[] = ['open', 'acknowledged', 'resolved', 'false_positive'];

export interface RuleErrorInfo { code: string; message: string; line: number; column: number }

export interface Rule {
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
  source: 'api' | 'file';
  file?: string;
  compileError?: RuleErrorInfo;
}

export interface RuleInput {
  id?: string;
  name: string;
  description?: string;
  severity: Severity;
  dsl: string;
  enabled?: boolean;
  mode?: RuleMode;
  tags?: string[];
  version?: number;
}

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface SpanEvent { name: string; time: number; timeUnixNano?: string; attributes: Record<string, AttributeValue> }
export interface SpanLink { traceId: string; spanId: string; traceState?: string; attributes: Record<string, AttributeValue> }

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: string;
  status: 'UNSET' | 'OK' | 'ERROR' | string;
  statusMessage: string;
  startTime: number;
  endTime: number;
  duration: number;
  service: string | null;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  scope: { name: string; version: string };
  events: SpanEvent[];
  links: SpanLink[];
}

export interface Signal {
  id: string;
  seq: number;
  ruleId: string;
  ruleName: string;
  ruleVersion: number;
  severity: Severity;
  mode: RuleMode;
  traceId: string;
  spanIds: string[];
  message: string;
  detectedAt: number;
  firstSpanTime: number;
  lastSpanTime: number;
  services: string[];
  status: SignalStatus;
  statusUpdatedAt: number;
}

export interface StatusChange { at: number; by: string; from: SignalStatus; to: SignalStatus; note: string | null }

export interface SignalDetail extends Signal {
  evidence: { spans: Span[] };
  history: StatusChange[];
}

export interface TraceSummary {
  traceId: string;
  rootName: string;
  services: string[];
  spanCount: number;
  errorCount: number;
  startTime: number;
  endTime: number;
  duration: number;
  completedAt: number | null;
}

export interface TraceDetail extends TraceSummary {
  state: 'open' | 'complete';
  spans: Span[];
}

export interface SignalCount { bucketStart: number; ruleId: string; severity: Severity; count: number }
export interface SignalCounts { since: number; until: number; bucketMs: number; counts: SignalCount[] }

export interface LatencySummary { count: number; meanMs: number | null; p50Ms: number | null; p95Ms: number | null }

export interface Overview {
  now: number;
  uptimeMs: number;
  spansPerSecond: number;
  spansIngested: number;
  spansRejected: number;
  bufferedSpans: number;
  bufferedTraces: number;
  tracesCompleted: number;
  writeQueueSpans: number;
  detectionLatency: { ingest: LatencySummary; completion: LatencySummary };
  rules: { total: number; enabled: number; failing: number };
  stored: { rules: number; signals: number; traces: number; spans: number };
}

export interface UiConfig { traceLinkTemplate: string | null; otlpHttpPort: number; otlpGrpcPort: number; host: string }

export interface TraceKeys { tracesScanned: number; spanAttributes: string[]; resourceAttributes: string[]; spanNames: string[]; services: string[] }

export interface RuleTestResult {
  tracesScanned: number;
  matched: number;
  truncated: boolean;
  traces: Array<{ traceId: string; witnesses: string[]; rootName: string; startTime: number }>;
}

export interface BulkStatusResult {
  changed: number;
  failed: number;
  results: Array<{ id: string; ok: boolean; status?: SignalStatus; error?: { code: string; message: string } }>;
}

export interface SignalFilter {
  ruleId?: string;
  severity?: Severity;
  status?: SignalStatus;
  service?: string;
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
}

export interface TraceFilter {
  service?: string;
  /** Root span name. */
  name?: string;
  /** Any span's name. */
  spanName?: string;
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
}

// ---- Notifications (docs/notifications.md) ----
export const NOTIFICATION_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'expired', 'suppressed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
export type NotificationKind = 'trigger' | 'resolve' | 'summary' | 'test';

export interface NotificationRow {
  n: number;
  key: string;
  channelId: string;
  kind: NotificationKind;
  signalId: string | null;
  ruleId: string | null;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  suppressedCount: number;
}

export interface ChannelType { type: string; description: string; secretFields: string[]; sendResolvedByDefault: boolean }

export interface ChannelMatch { rules?: string[]; severities?: string[]; tags?: string[] }

export interface Channel {
  id: string;
  type: string;
  name: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  match: ChannelMatch | null;
  throttle: { window: number; cap: number; groupBy: string | null } | null;
  version: number;
  createdAt: number;
  updatedAt: number;
  source: 'config' | 'api';
  secretsSet: string[];
}

export interface ChannelInput {
  id?: string;
  type: string;
  name?: string;
  enabled?: boolean;
  settings: Record<string, unknown>;
  match?: ChannelMatch | null;
  throttle?: { window: string | number; cap: number | string; groupBy?: string } | null;
  version?: number;
}

export interface ChannelTestResult { channelId: string; outcome: 'delivered' | 'retry' | 'failed'; reason?: string }

// ---- Learning (docs/learning.md) ----
export interface PrecisionCounts { truePositives: number; falsePositives: number; precision: number | null; interval: [number, number] | null }

export interface RulePrecision extends PrecisionCounts {
  ruleId: string;
  ruleVersion: number;
  byVersion: Array<PrecisionCounts & { version: number }>;
  trend: Array<PrecisionCounts & { start: number }>;
  bucketMs: number;
  falsePositiveReasons: Array<{ reason: string; count: number }>;
  truncated: boolean;
}

export interface RuleVersion {
  ruleId: string; version: number; name: string; description: string; severity: Severity; dsl: string;
  enabled: boolean; mode: RuleMode; tags: string[]; savedAt: number;
}

export interface ShadowReport {
  ruleId: string; mode: RuleMode; ruleVersion: number;
  wouldHaveNotified: number;
  byVersion: Array<{ version: number; signals: number }>;
  signals: Signal[];
  truncated: boolean;
}

export interface RefinementMetrics {
  truePositives: number; falsePositives: number; lostTruePositives: number; excludedFalsePositives: number;
  precision: number | null; recall: number | null;
}

export interface RefinementProposal {
  dsl: string;
  conditions: Array<{ source: 'attributes' | 'resource'; key: string; op: string; value: string | number | boolean; text: string }>;
  predicate: { text: string; line: number; column: number };
  history: { before: RefinementMetrics; after: RefinementMetrics };
  heldOut: { folds: number; before: RefinementMetrics; after: RefinementMetrics } | null;
  recommended: boolean;
}

export interface RefinementReport {
  ruleId: string; ruleVersion: number; dsl: string;
  signals: { truePositives: number; falsePositives: number; notFiringNow: number; truncated: boolean };
  baseline: RefinementMetrics;
  proposals: RefinementProposal[];
  reason: string | null;
}

export type InvariantKind = 'co-occurrence' | 'ordering' | 'duration' | 'attribute-values';

export interface InvariantCandidate {
  id: string;
  kind: InvariantKind;
  description: string;
  unit: 'traces' | 'spans';
  support: number;
  holding: number;
  confidence: number;
  lift: number | null;
  examples: string[];
  counterExamples: string[];
  dsl: string;
}

export interface InvariantReport {
  tracesScanned: number;
  truncated: boolean;
  stats: { traces: number; spans: number; spanKinds: number; droppedSpans: number; qualified: number };
  candidates: InvariantCandidate[];
}

export interface RulePrecisionSummary extends PrecisionCounts { ruleId: string; name: string; mode: RuleMode; version: number; truncated: boolean }

export type RateStatus = 'learning' | 'normal' | 'jump' | 'collapse';

export interface RateAssessment {
  ruleId: string; ruleName: string; mode: RuleMode;
  status: RateStatus;
  window: { start: number; end: number; traces: number; signals: number; rate: number | null };
  expected: { rate: number; signals: number; historyTraces: number; historySignals: number };
  ratio: number | null;
  pValue: number;
  message: string;
}

export interface RateReport { at: number; ruleId: string; windowMs: number; historyMs: number; intervalMs: number; assessments: RateAssessment[]; lastCheck: { at: number } | null }

// ---- Access control (SECURITY.md) ----
export const TOKEN_ROLES = ['viewer', 'editor', 'admin', 'ingest'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface ApiToken { id: string; name: string; role: TokenRole; prefix: string; createdAt: number; createdBy: string; revokedAt: number | null }

export interface AuditEntry { seq: number; at: number; actor: string; action: string; target: string; before: unknown; after: unknown }
