/**
 * The one-way flow of spans: decoded spans → detector → write queue → store
 * → signal hub (SSE). Receivers call `admit` then `ingest`; everything after
 * that is asynchronous and bounded.
 *
 * Back-pressure (`admit` throws a retryable FluoError, receivers answer HTTP
 * 429/503 or gRPC RESOURCE_EXHAUSTED/UNAVAILABLE):
 * - BUFFER_FULL: the detector holds `maxBufferedSpans` spans or
 *   `maxBufferedTraces` traces. Refusing here, rather than letting the
 *   detector force traces out early, keeps absence rules correct; the buffer
 *   drains as traces go idle.
 * - STORE_BEHIND: the write queue holds `writeQueueMaxSpans` spans.
 * - STORE_UNAVAILABLE: the last store write failed (locked, read-only, disk
 *   full); cleared by the next successful write (the queue keeps retrying).
 * - WAL_FULL / WAL_FAILED: the span log is at `walMaxBytes`, or cannot be
 *   written (see wal/spanLog.ts).
 * - OVERLOADED: `maxConcurrentRequests` OTLP requests are in flight (each
 *   may hold up to `maxBodySize` bytes), or the V8 heap is above
 *   HEAP_LIMIT_FRACTION of its limit (--max-old-space-size).
 * - UNAVAILABLE: starting or stopping.
 * A request whose spans were admitted is never dropped: `accept` resolves
 * only once the request is in the span log, and the log keeps it until the
 * signals and kept traces of its traces are committed; after a crash
 * `recover` feeds what the log still holds to the detector again.
 *
 * Correlated rules (traces.by) run in the Correlator beside the detector: it
 * takes every admitted span as it arrives, is ticked with the detector, and
 * its signals go through the same write queue. On shutdown its open windows
 * are dropped, not decided (deciding an absence early would be wrong); on
 * start `restoreCorrelation` rebuilds them by replaying the kept traces of the
 * last `2 × (longest window + lateness) + max trace lifetime` of event time (the
 * detector completes and keeps every buffered trace on shutdown). Windows that
 * fired before the restart fire again with the same deterministic id, which
 * the store ignores: no duplicate, no lost window.
 */
import { getHeapStatistics } from 'node:v8';
import { Correlator, Detector, decodeJsonTraces, decodeProtobufTraces, type CompiledRule, type Detection, type RejectedSpan, type Signal, type Span } from '@fluohq/engine';
import type { ServerConfig } from '../config/config.js';
import { FluoError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FluoMetrics } from '../metrics/fluoMetrics.js';
import { newTrace } from '../store/keptTrace.js';
import { serializeSpan, toSpans, type SerializedSpan } from '../store/serializedSpan.js';
import type { NewNotification, SignalRecord, Store } from '../store/store.js';
import { PermanentWriteError } from '../store/store.js';
import type { SpanLog, SpanLogFormat } from '../wal/spanLog.js';
import type { SignalHub } from './signalHub.js';
import { WriteQueue, type WriteItem } from './writeQueue.js';

/**
 * Above this share of the old-generation limit (--max-old-space-size), OTLP
 * requests are refused until traces complete and garbage collection brings
 * the heap down. The rest is headroom for decoding requests in flight and for
 * the shutdown, which completes every buffered trace at once.
 */
export const HEAP_LIMIT_FRACTION = 0.75;
/** What V8 reserves for the young generation within heap_size_limit (64-bit defaults). */
const YOUNG_GENERATION_BYTES = 48 * 2 ** 20;

export type PipelineState = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface PipelineOptions {
  config: ServerConfig;
  store: Store;
  hub: SignalHub;
  /** Read lazily: metrics read the pipeline too. */
  metrics: () => FluoMetrics;
  log: Logger;
  /** ms the shutdown waits for the store to take queued signals and traces. */
  closeTimeout?: number;
  /** Notifications: the outbox rows of a new signal (written in its transaction), and a call after signals were stored. */
  notifications?: {
    route(signal: Signal, evidence: readonly SerializedSpan[]): NewNotification[];
    stored(): void;
  };
  /** The write-ahead span log (durable or accounting only); none in unit tests of the pipeline alone. */
  spanLog?: SpanLog;
}

/** Why FLUO does not take spans now, for /readyz, logs and metrics. */
export interface NotReadyReason {
  code: 'STARTING' | 'STOPPING' | 'STORE_UNAVAILABLE' | 'WAL_FAILED' | 'WAL_FULL';
  message: string;
  since?: number;
}

/** Least time between two ticks armed at a detector deadline (see armDeadline). */
const MIN_DEADLINE_TICK_GAP_MS = 10;

/** Most stored spans replayed into the correlator on start. */
export const MAX_RESTORED_SPANS = 1_000_000;

export class Pipeline {
  readonly detector: Detector;
  readonly correlator: Correlator;
  readonly queue: WriteQueue;
  private stateValue: PipelineState = 'starting';
  private tickTimer: NodeJS.Timeout | null = null;
  /** A one-shot tick at the detector's next deadline, when that comes before the next regular tick. */
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineArmedFor = Infinity;
  private lastTickAt = 0;
  private pruneTimer: NodeJS.Timeout | null = null;
  private pruning: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  /** Traces completed during the current detector call, with the arrival time of their last span. */
  private completedInCall = new Map<string, number>();
  /** Items pushed to / taken from the write queue: a queue position, for releasing span log records. */
  private queued = 0;
  private committed = 0;
  private inflightRequests = 0;
  /** The old generation's limit: --max-old-space-size, or V8's default for the machine. */
  private readonly heapLimit = Math.max(getHeapStatistics().heap_size_limit - YOUNG_GENERATION_BYTES, getHeapStatistics().heap_size_limit / 2);
  /** The last store write failure, until a write succeeds. */
  private storeFailure: { at: number; message: string } | null = null;

  /** Rules whose budget overrun has been logged. */
  private readonly budgetLogged = new Set<string>();

  constructor(private readonly options: PipelineOptions) {
    const { config } = options;
    this.detector = new Detector({
      idleTimeoutMs: config.idleTimeout,
      maxTraceLifetimeMs: config.maxTraceLifetime,
      maxBufferedSpans: config.maxBufferedSpans,
      maxBufferedTraces: config.maxBufferedTraces,
      maxSpansPerTrace: config.maxSpansPerTrace,
      ruleBudget: config.ruleBudget,
    }, {
      onBudgetExceeded: (ruleId, traceId) => {
        options.metrics().ruleBudgetExceeded.inc({ rule_id: ruleId });
        // Once per rule: a rule that is too expensive is usually so on every large trace.
        if (this.budgetLogged.has(ruleId) || this.budgetLogged.size >= 10_000) return;
        this.budgetLogged.add(ruleId);
        options.log.warn(`rule '${ruleId}' exceeded its evaluation budget (--rule-budget ${config.ruleBudget} work units) on trace ${traceId}: it was not evaluated further on that trace. Simplify the rule, or raise the budget. (Logged once per rule; see the metric fluo_rule_budget_exceeded_total.)`);
      },
      onTraceCompleted: (trace) => {
        this.completedInCall.set(trace.traceId, trace.lastReceivedAt);
        let kept;
        try {
          kept = newTrace(trace.traceId, trace.spans, trace.completedAt);
        } catch (err) {
          // Decoded spans always encode; a span that does not is a bug, reported rather than lost without a word.
          options.log.error(`trace ${trace.traceId} (${trace.spans.length} spans) cannot be kept: ${describeError(err)}`);
          return;
        }
        this.queued++;
        this.queue.push({ kind: 'trace', trace: kept });
      },
    });
    this.correlator = new Correlator({
      allowedLatenessMs: config.correlationLateness,
      maxKeys: config.correlationMaxKeys,
      maxSpansPerKey: config.correlationMaxSpansPerKey,
    });
    this.queue = new WriteQueue(options.store, {
      maxSpans: config.writeQueueMaxSpans,
      log: options.log,
      onWritten: (stored, items) => this.written(stored, items),
      onWriteError: (err) => {
        options.metrics().storeWriteErrors.inc();
        if (!(err instanceof PermanentWriteError)) this.storeFailure = { at: this.storeFailure?.at ?? Date.now(), message: err instanceof Error ? err.message : String(err) };
      },
      onDropped: (item) => {
        options.metrics().storeItemsDropped.inc({ kind: item.kind });
        // The store answered (for good): it is reachable.
        this.storeFailure = null;
        this.committed++;
        options.spanLog?.written(this.committed);
      },
    });
  }

  get state(): PipelineState {
    return this.stateValue;
  }

  /** Rules for the detector (per trace) and the correlator (traces.by): each takes its own kind. */
  setRules(rules: readonly CompiledRule[]): void {
    this.detector.setRules(rules);
    this.correlator.setRules(rules);
  }

  /**
   * Rebuilds open correlation windows from kept traces (call once, before
   * start). Replays, in start-time order, the traces that started within
   * twice (longest correlated window + lateness) + max trace lifetime before
   * the newest kept trace, at most MAX_RESTORED_SPANS spans. Resolves to the
   * number of spans replayed.
   */
  async restoreCorrelation(now: number = Date.now()): Promise<number> {
    if (this.correlator.ruleCount === 0 || this.stateValue !== 'starting') return 0;
    const { store, config, log } = this.options;
    try {
      const [newest] = await store.listTraces({ limit: 1 });
      if (newest === undefined) return 0;
      // An open window's key received a span within window + lateness (clock) before the shutdown, and the
      // window started up to window + lateness before that span; its traces started up to a trace lifetime earlier.
      const since = newest.startTime - (2 * (this.correlator.longestWindowMs + config.correlationLateness) + config.maxTraceLifetime);
      const spans: Span[] = [];
      let after: { startTime: number; traceId: string } | undefined;
      for (;;) {
        const page = await store.scanTraces({ since, limit: 200, ...(after ? { after } : {}) });
        for (const trace of page) for (const span of toSpans(trace.spans)) spans.push(span);
        if (page.length < 200 || spans.length >= MAX_RESTORED_SPANS) break;
        const last = page[page.length - 1];
        after = { startTime: last.startTime, traceId: last.traceId };
      }
      if (spans.length > MAX_RESTORED_SPANS) {
        log.warn(`correlation: replaying only the newest ${MAX_RESTORED_SPANS} of ${spans.length} kept spans`);
      }
      spans.sort((a, b) => a.startTime - b.startTime);
      const replayed = spans.slice(Math.max(0, spans.length - MAX_RESTORED_SPANS));
      this.enqueue(this.correlator.ingest(replayed, now), undefined);
      log.info(`correlation: rebuilt open windows from ${replayed.length} kept spans`);
      return replayed.length;
    } catch (err) {
      log.error(`correlation: rebuilding windows from the store failed: ${describeError(err)}`);
      return 0;
    }
  }

  /** Starts the detector's clock (idle traces complete) and trace retention. */
  start(): void {
    if (this.stateValue !== 'starting') return;
    this.stateValue = 'ready';
    const { tickInterval, traceRetention } = this.options.config;
    this.tickTimer = setInterval(() => {
      this.options.spanLog?.recheck();
      this.tick();
    }, tickInterval);
    const pruneEvery = Math.min(60_000, Math.max(1000, Math.floor(traceRetention / 10)));
    this.pruneTimer = setInterval(() => { void this.prune(); }, pruneEvery);
  }

  /**
   * Admits one OTLP request before its body is read: `admit()` plus the bound
   * on requests in flight and on the heap. Returns the function to call when
   * the request is answered.
   */
  admitRequest(): () => void {
    this.admit();
    const { maxConcurrentRequests } = this.options.config;
    if (this.inflightRequests >= maxConcurrentRequests) {
      throw new FluoError('OVERLOADED', `${this.inflightRequests} OTLP requests are being processed (the most is ${maxConcurrentRequests}): retry later`, { retryAfterSeconds: 1 });
    }
    const heapUsed = getHeapStatistics().used_heap_size;
    if (heapUsed > this.heapLimit * HEAP_LIMIT_FRACTION) {
      throw new FluoError('OVERLOADED', `memory use is near its limit (${Math.round(heapUsed / 2 ** 20)} MiB of a ${Math.round(this.heapLimit / 2 ** 20)} MiB heap): retry later`, { retryAfterSeconds: 1 });
    }
    this.inflightRequests++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflightRequests--;
    };
  }

  /** OTLP requests being processed now. */
  get requestsInFlight(): number {
    return this.inflightRequests;
  }

  /**
   * Throws a retryable FluoError when spans cannot be taken now. Call it before
   * reading a request (incoming 0) and again with the decoded spans.
   */
  admit(incoming: readonly Span[] = []): void {
    if (this.stateValue !== 'ready') {
      throw new FluoError('UNAVAILABLE', this.stateValue === 'starting' ? 'FLUO is starting' : 'FLUO is shutting down', { retryAfterSeconds: this.stateValue === 'starting' ? 1 : 5 });
    }
    const { config } = this.options;
    const stats = this.detector.stats();
    let traces = 0;
    if (incoming.length > 0) {
      const ids = new Set<string>();
      for (const s of incoming) ids.add(s.traceId);
      traces = ids.size;
    }
    const retryAfterSeconds = Math.min(30, Math.max(1, Math.ceil(config.idleTimeout / 1000)));
    if (stats.bufferedSpans > 0 && stats.bufferedSpans + incoming.length > config.maxBufferedSpans) {
      throw new FluoError('BUFFER_FULL', `the span buffer is full (${stats.bufferedSpans} of ${config.maxBufferedSpans} spans): retry later`, { retryAfterSeconds });
    }
    if (stats.bufferedTraces > 0 && stats.bufferedTraces + traces > config.maxBufferedTraces) {
      throw new FluoError('BUFFER_FULL', `the trace buffer is full (${stats.bufferedTraces} of ${config.maxBufferedTraces} traces): retry later`, { retryAfterSeconds });
    }
    if (this.queue.behind) {
      throw new FluoError('STORE_BEHIND', `the store is behind (${this.queue.stats().spans} spans waiting to be written): retry later`, { retryAfterSeconds: 1 });
    }
    if (this.storeFailure !== null) {
      throw new FluoError('STORE_UNAVAILABLE', `the store cannot be written (${this.storeFailure.message}): retry later`, { retryAfterSeconds: 5 });
    }
  }

  /** Why spans are refused now (empty when ready), for /readyz. */
  notReadyReasons(): NotReadyReason[] {
    const reasons: NotReadyReason[] = [];
    if (this.stateValue === 'starting') reasons.push({ code: 'STARTING', message: 'FLUO is starting' });
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') reasons.push({ code: 'STOPPING', message: 'FLUO is shutting down' });
    if (this.storeFailure !== null) reasons.push({ code: 'STORE_UNAVAILABLE', message: `the store cannot be written: ${this.storeFailure.message}`, since: this.storeFailure.at });
    const log = this.options.spanLog;
    if (log?.failure) reasons.push({ code: 'WAL_FAILED', message: log.failure.message, since: log.failure.at });
    if (log) {
      const { bytes, maxBytes } = log.stats();
      if (bytes >= maxBytes * 0.98) reasons.push({ code: 'WAL_FULL', message: `the span log is full (${bytes} of ${maxBytes} bytes)` });
    }
    return reasons;
  }

  /**
   * Takes an admitted, decoded request: writes it to the span log, waits
   * until it is durable, then ingests it. Resolves to the spans the detector
   * refused; rejects with a retryable FluoError when the log cannot take it
   * (the sender retries; nothing was ingested).
   */
  async accept(spans: readonly Span[], receivedAt: number, request: { format: SpanLogFormat; body: Uint8Array }): Promise<RejectedSpan[]> {
    const log = this.options.spanLog;
    if (log === undefined || spans.length === 0) return this.ingest(spans, receivedAt);
    log.admit(request.body.length);
    const { segment, durable } = log.append(request.format, receivedAt, request.body);
    try {
      await durable;
    } catch (err) {
      log.abandon(segment);
      throw err;
    }
    if (this.detector.isClosed) {
      log.abandon(segment);
      throw new FluoError('UNAVAILABLE', 'FLUO is shutting down', { retryAfterSeconds: 5 });
    }
    return this.ingestLogged(spans, receivedAt, segment);
  }

  /**
   * Feeds the requests the span log kept from a previous run to the detector
   * (call after the rules are loaded, before start). Returns how many spans.
   *
   * A trace that was completed and stored before, then reopened by late
   * spans, has only those late spans in the log: its stored spans are fed
   * first, so that rules are decided on the whole trace as they would have
   * been without the crash. Signals raised again have the ids of the stored
   * ones and are ignored by the store.
   */
  async recover(): Promise<number> {
    const log = this.options.spanLog;
    if (log === undefined) return 0;
    const records = log.takeRecovered().map((record) => {
      try {
        const spans = record.format === 'json' ? decodeJsonTraces(new TextDecoder().decode(record.body)).spans : decodeProtobufTraces(record.body).spans;
        return { record, spans };
      } catch (err) {
        this.options.log.error(`span log: a recovered request no longer decodes, skipping it: ${describeError(err)}`);
        log.abandon(record.segment);
        return null;
      }
    }).filter((r) => r !== null);
    const traceIds = new Set<string>();
    for (const r of records) for (const s of r.spans) traceIds.add(s.traceId);
    const stored: Span[] = [];
    for (const traceId of traceIds) {
      const kept = await this.options.store.getTrace(traceId);
      if (kept !== null) stored.push(...toSpans(kept.spans));
    }
    if (stored.length > 0) this.ingest(stored, Date.now());
    let spans = 0;
    for (const { record, spans: decoded } of records) {
      this.ingestLogged(decoded, record.receivedAt, record.segment);
      spans += decoded.length;
    }
    log.sweep();
    return spans;
  }

  private ingestLogged(spans: readonly Span[], receivedAt: number, segment: number): RejectedSpan[] {
    const log = this.options.spanLog!;
    const traceIds = new Set<string>();
    for (const s of spans) traceIds.add(s.traceId);
    let rejected: RejectedSpan[];
    try {
      rejected = this.ingest(spans, receivedAt, () => log.register(segment, traceIds));
    } catch (err) {
      log.abandon(segment);
      throw err;
    }
    // Traces that did not open (every span a duplicate of a completed trace, or refused) produce nothing more.
    for (const traceId of traceIds) if (!this.detector.isBuffered(traceId)) log.traceDone(traceId, this.queued);
    // Nothing queued for them may be left to write: release at once rather than at the next write.
    log.written(this.committed);
    return rejected;
  }

  /**
   * Hands admitted spans to the detector. Returns the spans it refused (for
   * OTLP partial success). `receivedAt` is when the request arrived (ms).
   */
  ingest(spans: readonly Span[], receivedAt: number, ingested?: () => void): RejectedSpan[] {
    if (spans.length === 0) return [];
    this.completedInCall.clear();
    const now = Date.now();
    const { detections, rejected } = this.detector.ingest(spans, now);
    ingested?.();
    this.enqueue(detections, receivedAt);
    if (this.correlator.ruleCount > 0) {
      const refused = rejected.length === 0 ? null : new Set(rejected.map((r) => `${r.traceId}:${r.spanId}`));
      const taken = refused === null ? spans : spans.filter((s) => !refused.has(`${s.traceId}:${s.spanId}`));
      try {
        this.enqueue(this.correlator.ingest(taken, now), receivedAt);
      } catch (err) {
        this.options.log.error(`correlator ingest failed: ${describeError(err)}`);
      }
    }
    this.armDeadline();
    return rejected;
  }

  /**
   * Idle traces complete, and absence rules decide, right after their idle
   * timeout rather than up to a tick interval later: a one-shot timer is armed
   * at the detector's next deadline (O(1) to read) when it comes before the
   * next regular tick. Deadline ticks are at least MIN_DEADLINE_TICK_GAP_MS
   * apart, so a stream of traces with staggered deadlines costs at most that
   * many ticks per second.
   */
  private armDeadline(): void {
    if (this.stateValue !== 'ready' || this.detector.isClosed) return;
    const deadline = this.detector.nextDeadline();
    // A tick at lastTickAt did everything due by then: an earlier deadline is a stale lower bound.
    if (!Number.isFinite(deadline) || deadline <= this.lastTickAt || deadline >= this.deadlineArmedFor) return;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineArmedFor = deadline;
    const now = Date.now();
    const at = Math.max(deadline + 1, this.lastTickAt + MIN_DEADLINE_TICK_GAP_MS);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      this.deadlineArmedFor = Infinity;
      this.tick();
    }, Math.max(0, at - now));
  }

  /** The buffered spans of a trace still being assembled. */
  openTrace(traceId: string): Span[] | undefined {
    return this.detector.bufferedTrace(traceId);
  }

  /** Completes idle traces (called by the timer; public for tests). */
  tick(now: number = Date.now()): void {
    if (this.detector.isClosed) return;
    this.lastTickAt = now;
    try {
      this.completedInCall.clear();
      this.enqueue(this.detector.tick(now), undefined);
    } catch (err) {
      this.options.log.error(`detector tick failed: ${describeError(err)}`);
    }
    try {
      if (!this.correlator.isClosed) this.enqueue(this.correlator.tick(now), undefined);
    } catch (err) {
      this.options.log.error(`correlator tick failed: ${describeError(err)}`);
    }
    this.armDeadline();
  }

  /** Applies trace retention now. */
  prune(): Promise<void> {
    if (this.pruning) return this.pruning;
    const { config, store } = this.options;
    this.pruning = (async () => {
      try {
        const result = await store.pruneTraces({ completedBefore: Date.now() - config.traceRetention, maxSpans: config.traceRetentionMaxSpans });
        if (result.traces > 0) this.options.metrics().tracesPruned.inc({}, result.traces);
      } catch (err) {
        this.options.log.error(`trace retention failed: ${describeError(err)}`);
      } finally {
        this.pruning = null;
      }
    })();
    return this.pruning;
  }

  private enqueue(detections: readonly Detection[], receivedAt: number | undefined): void {
    // Signals of one call share the serialized objects of their common evidence spans (read-only from here on).
    const serialized = detections.length > 1 ? new Map<Span, SerializedSpan>() : undefined;
    const serialize = (span: Span): SerializedSpan => {
      if (serialized === undefined) return serializeSpan(span);
      let s = serialized.get(span);
      if (s === undefined) {
        s = serializeSpan(span);
        serialized.set(span, s);
      }
      return s;
    };
    for (const d of detections) {
      const completedArrival = this.completedInCall.get(d.signal.traceId);
      const phase = completedArrival !== undefined || receivedAt === undefined ? 'completion' : 'ingest';
      const arrivedAt = phase === 'ingest' ? receivedAt! : completedArrival ?? d.signal.detectedAt;
      const evidence = d.spans.map(serialize);
      const notifications = this.options.notifications?.route(d.signal, evidence) ?? [];
      this.queued++;
      this.queue.push({ kind: 'signal', signal: { signal: d.signal, evidence, ...(notifications.length > 0 ? { notifications } : {}) }, phase, arrivedAt });
    }
    const log = this.options.spanLog;
    if (log) for (const traceId of this.completedInCall.keys()) log.traceDone(traceId, this.queued);
    this.completedInCall.clear();
  }

  private written(stored: readonly SignalRecord[], items: readonly WriteItem[]): void {
    this.committed += items.length;
    if (this.storeFailure !== null) {
      this.options.log.info(`store writes succeed again after ${Math.round((Date.now() - this.storeFailure.at) / 1000)} s: taking spans`);
      this.storeFailure = null;
    }
    this.options.spanLog?.written(this.committed);
    const metrics = this.options.metrics();
    const now = Date.now();
    const newIds = new Set(stored.map((s) => s.id));
    for (const item of items) {
      if (item.kind === 'trace') { metrics.tracesKept.inc(); continue; }
      const s = item.signal.signal;
      if (!newIds.has(s.id)) continue;
      metrics.signals.inc({ rule_id: s.ruleId, severity: s.severity, mode: s.mode });
      metrics.detectionLatency.observe(Math.max(0, now - item.arrivedAt) / 1000, { phase: item.phase });
    }
    this.options.hub.publish(stored);
    if (stored.length > 0) this.options.notifications?.stored();
  }

  /**
   * Stops taking spans, completes every buffered trace (deciding absence
   * rules), and waits for the store to take the results. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = 'stopping';
    this.closing = (async () => {
      if (this.tickTimer) clearInterval(this.tickTimer);
      if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
      if (this.pruneTimer) clearInterval(this.pruneTimer);
      try {
        this.completedInCall.clear();
        this.enqueue(this.detector.close(Date.now()), undefined);
      } catch (err) {
        this.options.log.error(`detector close failed: ${describeError(err)}`);
      }
      this.correlator.close();
      await this.queue.close(this.options.closeTimeout ?? 10_000);
      await this.options.spanLog?.close();
      if (this.pruning) await this.pruning;
      this.stateValue = 'stopped';
    })();
    return this.closing;
  }
}
