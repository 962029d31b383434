/**
 * The metrics FLUO exposes at GET /metrics. Names follow Prometheus
 * conventions (base units, `_total` for counters).
 *
 * Detection latency (`fluo_detection_latency_seconds`) is measured from the
 * arrival of the span that completed the match to the moment the signal is
 * stored and published:
 * - phase="ingest": positive patterns, decided when a span arrives; the
 *   clock starts when the OTLP request carrying that span was received.
 * - phase="completion": patterns decided when the trace completes (absence,
 *   e.g. "no audit.log"); the clock starts at the arrival of the trace's last
 *   span, so this includes the idle timeout by design.
 */
import { MetricsRegistry, type Counter, type Histogram } from './metricsRegistry.js';

export interface DetectorStatsSource {
  bufferedSpans: number;
  bufferedTraces: number;
  spansIngested: number;
  spansRejected: number;
  tracesCompleted: number;
  tracesForced: number;
  ruleEvaluations: number;
  signals: number;
}

export interface MetricsSources {
  detector: () => DetectorStatsSource;
  writeQueueSpans: () => number;
  sseClients: () => number;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface FluoMetrics {
  registry: MetricsRegistry;
  /** Rule evaluations stopped by the evaluation budget, by rule. */
  ruleBudgetExceeded: Counter<'rule_id'>;
  /** Spans in OTLP requests taken (valid or not), by protocol (http, grpc). */
  spansReceived: Counter<'protocol'>;
  /** Spans refused, by stage: decode (malformed span) or detector (e.g. too many spans in the trace). */
  spansRejected: Counter<'stage'>;
  /** Whole OTLP requests refused, by error code (OTLP_DECODE, BUFFER_FULL, ...). */
  requestsRefused: Counter<'protocol' | 'code'>;
  /** Signals stored, by rule, severity and mode. */
  signals: Counter<'rule_id' | 'severity' | 'mode'>;
  detectionLatency: Histogram<'phase'>;
  httpDuration: Histogram<'server' | 'method' | 'route' | 'status'>;
  storeWriteErrors: Counter;
  /** Signals or traces dropped because the store can never take them (each logged). */
  storeItemsDropped: Counter<'kind'>;
  tracesKept: Counter;
  tracesPruned: Counter;
}

export function createFluoMetrics(sources: MetricsSources): FluoMetrics {
  const registry = new MetricsRegistry();
  const d = sources.detector;
  const metrics: FluoMetrics = {
    registry,
    spansReceived: registry.counter('fluo_spans_received_total', 'Spans in OTLP requests taken (including spans rejected as invalid).', ['protocol']),
    spansRejected: registry.counter('fluo_spans_rejected_total', 'Spans refused and reported to the sender as partial success.', ['stage']),
    requestsRefused: registry.counter('fluo_otlp_requests_refused_total', 'OTLP requests refused as a whole, by error code.', ['protocol', 'code']),
    signals: registry.counter('fluo_signals_total', 'Signals stored.', ['rule_id', 'severity', 'mode']),
    detectionLatency: registry.histogram('fluo_detection_latency_seconds', 'From arrival of the span that completed a match to the signal being stored and published.', LATENCY_BUCKETS, ['phase']),
    httpDuration: registry.histogram('fluo_http_request_duration_seconds', 'HTTP request durations.', HTTP_BUCKETS, ['server', 'method', 'route', 'status']),
    storeWriteErrors: registry.counter('fluo_store_write_errors_total', 'Failed store writes.'),
    storeItemsDropped: registry.counter('fluo_store_items_dropped_total', 'Signals or traces the store could never take (each logged).', ['kind']),
    ruleBudgetExceeded: registry.counter('fluo_rule_budget_exceeded_total', 'Rule evaluations stopped by the per-trace evaluation budget (--rule-budget).', ['rule_id']),
    tracesKept: registry.counter('fluo_traces_kept_total', 'Completed traces written to the store.'),
    tracesPruned: registry.counter('fluo_traces_pruned_total', 'Kept traces deleted by the retention limits.'),
  };
  registry.gauge('fluo_buffered_spans', 'Spans in open traces held by the detector.', () => d().bufferedSpans);
  registry.gauge('fluo_buffered_traces', 'Open traces held by the detector.', () => d().bufferedTraces);
  registry.observedCounter('fluo_detector_spans_ingested_total', 'Spans accepted by the detector.', () => d().spansIngested);
  registry.observedCounter('fluo_detector_spans_rejected_total', 'Spans refused by the detector.', () => d().spansRejected);
  registry.observedCounter('fluo_traces_completed_total', 'Traces completed by the detector.', () => d().tracesCompleted);
  registry.observedCounter('fluo_traces_forced_total', 'Traces completed early because a buffer bound was reached.', () => d().tracesForced);
  registry.observedCounter('fluo_rule_evaluations_total', 'Rule evaluations by the detector.', () => d().ruleEvaluations);
  registry.gauge('fluo_write_queue_spans', 'Spans (evidence and completed traces) waiting to be stored.', sources.writeQueueSpans);
  registry.gauge('fluo_sse_clients', 'Open SSE streams.', sources.sseClients);
  return metrics;
}
