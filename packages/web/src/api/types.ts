/**
 * The REST API's shapes as the UI uses them. Every shape the server's public
 * API shares with Node users comes from the client library (@fluohq/fluo,
 * packages/client/src/types.ts), and the learning results from the engine
 * that computes them (@fluohq/engine) — type-only imports, so none of the
 * client's Node runtime is bundled. Declared here are only the shapes of
 * endpoints the client does not wrap yet (overview, UI config, learning
 * reports, invariants, rates, access control) and the UI's filter
 * state.
 */
import type { InvariantCandidate, InvariantMiningStats, RateAssessment, RefinementResult } from '@fluohq/engine';
import type { NotificationStatus, PrecisionCounts, RuleMode, Severity, Signal, SignalQuery, SignalStatus, TraceQuery } from '@fluohq/fluo';

export type {
  AttributeValue, BulkStatusResult, NotificationKind, NotificationStatus, PrecisionCounts, Rule, RuleChange, RuleErrorInfo, RuleInput,
  RuleMode, RulePrecision, RuleTestResult, RuleVersion, Severity, Signal, SignalDetail, SignalStatus, Span, StatusChange,
  Channel, ChannelInput, ChannelMatch, ChannelTestResult, ChannelType, Notification as NotificationRow, Trace as TraceDetail, TracePage, TraceSummary,
} from '@fluohq/fluo';
export type { InvariantCandidate, InvariantKind, InvariantMiningStats, RateStatus, RefinementMetrics, RefinementProposal } from '@fluohq/engine';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export const SIGNAL_STATUSES: readonly SignalStatus[] = ['open', 'acknowledged', 'resolved', 'false_positive'];
export const NOTIFICATION_STATUSES: readonly NotificationStatus[] = ['pending', 'delivering', 'delivered', 'failed', 'expired', 'suppressed'];

/** The Signals screen's filter (times as ms, as the UI keeps them in the URL). */
export type SignalFilter = Omit<SignalQuery, 'since' | 'until'> & { since?: number; until?: number };

/** The Traces screen's filter (times as ms). */
export type TraceFilter = Omit<TraceQuery, 'since' | 'until'> & { since?: number; until?: number };

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

// ---- Learning (docs/learning.md) ----
export interface ShadowReport {
  ruleId: string; mode: RuleMode; ruleVersion: number;
  wouldHaveNotified: number;
  byVersion: Array<{ version: number; signals: number }>;
  signals: Signal[];
  truncated: boolean;
}

/** GET /rules/{id}/refinements: the engine's learnRefinements result on the rule's triaged signals. */
export interface RefinementReport extends RefinementResult {
  ruleId: string; ruleVersion: number; dsl: string;
  signals: { truePositives: number; falsePositives: number; notFiringNow: number; truncated: boolean };
}

export interface InvariantReport {
  tracesScanned: number;
  truncated: boolean;
  stats: InvariantMiningStats;
  candidates: InvariantCandidate[];
}

export interface RulePrecisionSummary extends PrecisionCounts { ruleId: string; name: string; mode: RuleMode; version: number; truncated: boolean }

/** One rule's rate against its baseline (the engine's assessRate), named. */
export interface RuleRateAssessment extends RateAssessment { ruleId: string; ruleName: string; mode: RuleMode }

export interface RateReport { at: number; ruleId: string; windowMs: number; historyMs: number; intervalMs: number; assessments: RuleRateAssessment[]; lastCheck: { at: number } | null }

// ---- Access control (SECURITY.md) ----
export const TOKEN_ROLES = ['viewer', 'editor', 'admin', 'ingest'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface ApiToken { id: string; name: string; role: TokenRole; prefix: string; createdAt: number; createdBy: string; revokedAt: number | null }

export interface AuditEntry { seq: number; at: number; actor: string; action: string; target: string; before: unknown; after: unknown }
