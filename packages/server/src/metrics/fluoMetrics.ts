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
import { getHeapStatistics } from 'node:v8';
import type { SpanLogStats } from '../wal/spanLog.js';
import { NOT_READY_CODES } from '../pipeline/pipeline.js';

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

export interface CorrelatorStatsSource {
  keys: number;
  spansHeld: number;
  spansCorrelated: number;
  spansLate: number;
  spansInDecidedWindows: number;
  spansEvicted: number;
  keysEvicted: number;
  keysExpired: number;
  windowsDecided: number;
  signals: number;
}

export interface MetricsSources {
  detector: () => DetectorStatsSource;
  /** Correlated rules (traces.by); absent in tools without a correlator. */
  correlator?: () => CorrelatorStatsSource;
  writeQueueSpans: () => number;
  sseClients: () => number;
  /** Notification deliveries in flight (0 when there is no worker). */
  notificationsInFlight?: () => number;
  /** The span log (wal/spanLog.ts). */
  spanLog?: () => SpanLogStats;
  /** OTLP requests being processed (bounded by --max-concurrent-requests). */
  requestsInFlight?: () => number;
  /** Codes of the reasons spans are refused now (pipeline.notReadyReasons). */
  notReady?: () => string[];
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
  /** Notification delivery attempts by channel id, channel type and outcome (delivered, retry, failed). */
  notificationAttempts: Counter<'channel' | 'type' | 'outcome'>;
  notificationDuration: Histogram<'type'>;
  /** Outbox rows expired undelivered. */
  notificationsExpired: Counter;
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
    notificationAttempts: registry.counter('fluo_notification_attempts_total', 'Notification delivery attempts, by channel, channel type and outcome (delivered, retry, failed).', ['channel', 'type', 'outcome']),
    notificationDuration: registry.histogram('fluo_notification_delivery_duration_seconds', 'Duration of notification delivery attempts.', HTTP_BUCKETS, ['type']),
    notificationsExpired: registry.counter('fluo_notifications_expired_total', 'Notifications expired undelivered after the maximum age.'),
  };
  registry.gauge('fluo_buffered_spans', 'Spans in open traces held by the detector.', () => d().bufferedSpans);
  registry.gauge('fluo_buffered_traces', 'Open traces held by the detector.', () => d().bufferedTraces);
  registry.observedCounter('fluo_detector_spans_ingested_total', 'Spans accepted by the detector.', () => d().spansIngested);
  registry.observedCounter('fluo_detector_spans_rejected_total', 'Spans refused by the detector.', () => d().spansRejected);
  registry.observedCounter('fluo_traces_completed_total', 'Traces completed by the detector.', () => d().tracesCompleted);
  registry.observedCounter('fluo_traces_forced_total', 'Traces completed early because a buffer bound was reached.', () => d().tracesForced);
  registry.observedCounter('fluo_rule_evaluations_total', 'Rule evaluations by the detector.', () => d().ruleEvaluations);
  const c = sources.correlator;
  if (c !== undefined) {
    registry.gauge('fluo_correlation_keys', 'Keys held by correlated rules (traces.by), across rules.', () => c().keys);
    registry.gauge('fluo_correlation_spans', 'Spans held by correlated rules for their open windows.', () => c().spansHeld);
    registry.observedCounter('fluo_correlation_spans_total', 'Spans taken by a correlated rule and key.', () => c().spansCorrelated);
    registry.observedCounter('fluo_correlation_spans_late_total', 'Spans dropped because they started behind their key\'s watermark (later than the allowed lateness).', () => c().spansLate);
    registry.observedCounter('fluo_correlation_spans_in_decided_windows_total', 'Spans not kept because their window had already raised its signal.', () => c().spansInDecidedWindows);
    registry.observedCounter('fluo_correlation_spans_evicted_total', 'Spans evicted because a key reached --correlation-max-spans-per-key.', () => c().spansEvicted);
    registry.observedCounter('fluo_correlation_keys_evicted_total', 'Keys decided early and dropped because --correlation-max-keys was reached.', () => c().keysEvicted);
    registry.observedCounter('fluo_correlation_keys_expired_total', 'Keys whose windows were all decided and whose state was dropped.', () => c().keysExpired);
    registry.observedCounter('fluo_correlation_windows_decided_total', 'Correlation windows decided (fired or not).', () => c().windowsDecided);
  }
  registry.gauge('fluo_write_queue_spans', 'Spans (evidence and completed traces) waiting to be stored.', sources.writeQueueSpans);
  registry.gauge('fluo_sse_clients', 'Open SSE streams.', sources.sseClients);
  if (sources.spanLog) {
    const w = sources.spanLog;
    registry.gauge('fluo_wal_bytes', 'Bytes of the span log: accepted spans not yet evaluated and stored.', () => w().bytes);
    registry.gauge('fluo_wal_max_bytes', 'The bound of fluo_wal_bytes (--wal-max-bytes); at it senders are asked to retry.', () => w().maxBytes);
    registry.gauge('fluo_wal_segments', 'Segment files of the span log.', () => w().segments);
    registry.observedCounter('fluo_wal_appends_total', 'Requests appended to the span log.', () => w().appends);
    registry.observedCounter('fluo_wal_append_errors_total', 'Failed span log writes or fsyncs (each request refused with 503).', () => w().appendErrors);
    registry.observedCounter('fluo_wal_fsyncs_total', 'Fsyncs of the span log (one serves many requests).', () => w().fsyncs);
    registry.observedCounter('fluo_wal_segments_deleted_total', 'Span log segments deleted after their traces were evaluated and stored.', () => w().segmentsDeleted);
    registry.observedCounter('fluo_wal_recovered_requests_total', 'Requests read back from the span log at start.', () => w().recoveredRecords);
    registry.observedCounter('fluo_wal_discarded_bytes_total', 'Bytes of torn or corrupt span log records skipped at start.', () => w().discardedBytes);
  }
  if (sources.notReady) {
    const reasons = sources.notReady;
    for (const code of NOT_READY_CODES) {
      registry.gauge(`fluo_not_ready_${code.toLowerCase()}`, `1 while spans are refused because of ${code} (see /readyz).`, () => (reasons().includes(code) ? 1 : 0));
    }
  }
  if (sources.requestsInFlight) registry.gauge('fluo_otlp_requests_in_flight', 'OTLP requests being read, decoded or made durable (bounded by --max-concurrent-requests).', sources.requestsInFlight);
  registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
  registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes.', () => process.memoryUsage().heapUsed);
  registry.gauge('nodejs_heap_total_bytes', 'V8 heap allocated, bytes.', () => process.memoryUsage().heapTotal);
  registry.gauge('nodejs_heap_size_limit_bytes', 'V8 heap limit (--max-old-space-size), bytes.', () => getHeapStatistics().heap_size_limit);
  registry.gauge('fluo_notifications_in_flight', 'Notification deliveries in flight.', sources.notificationsInFlight ?? (() => 0));
  return metrics;
}
