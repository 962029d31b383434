/**
 * The REST API's shapes as the UI uses them. Every shape the server's public
 * API shares with Node users comes from the client library (@fluohq/fluo,
 * packages/client/src/types.ts) — type-only imports, so none of the client's
 * Node runtime is bundled. Declared here are only the shapes of endpoints the
 * client does not wrap yet (overview, UI config, channels, learning,
 * invariants, rates, access control) and the UI's filter state.
 */
import type { NotificationStatus, PrecisionCounts, RuleMode, Severity, Signal, SignalQuery, SignalStatus, Trace } from '@fluohq/fluo';

export type {
  AttributeValue, BulkStatusResult, NotificationKind, NotificationStatus, PrecisionCounts, Rule, RuleChange, RuleErrorInfo, RuleInput,
  RuleMode, RulePrecision, RuleTestResult, RuleVersion, Severity, Signal, SignalDetail, SignalStatus, Span, StatusChange,
  Notification as NotificationRow, Trace as TraceDetail,
} from '@fluohq/fluo';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export const SIGNAL_STATUSES: readonly SignalStatus[] = ['open', 'acknowledged', 'resolved', 'false_positive'];
export const NOTIFICATION_STATUSES: readonly NotificationStatus[] = ['pending', 'delivering', 'delivered', 'failed', 'expired', 'suppressed'];

/** A row of GET /traces: a kept trace without its spans. */
export type TraceSummary = Omit<Trace, 'state' | 'spans'>;

/** The Signals screen's filter (times as ms, as the UI keeps them in the URL). */
export type SignalFilter = Omit<SignalQuery, 'since' | 'until'> & { since?: number; until?: number };

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

// ---- Notifications (docs/notifications.md) ----

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
