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
