/**
 * The one-way flow of spans: request bytes → decoded spans → detector →
 * write queue → store → signal hub (SSE). Receivers call `admitRequest`,
 * `decode`, `admit` with the decoded counts, then `accept`; everything after
 * that is asynchronous and bounded.
 *
 * Decoding, the detector and the correlator run in a DetectionCore, on a
 * detection thread of their own by default (detectionHost.ts): this thread
 * keeps the listeners, the span log, the write queue and the API, so that
 * ingestion and evaluation use two cores. What the core produces is applied
 * here in the order it was produced.
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
 *   may hold up to `maxBodySize` bytes), or the V8 heap (this thread's or
 *   the detection thread's) is above HEAP_LIMIT_FRACTION of its limit
 *   (--max-old-space-size).
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
import { OtlpDecodeError, type CompiledRule, type RejectedSpan, type Signal } from '@fluohq/engine';
import type { ServerConfig } from '../config/config.js';
import { FluoError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FluoMetrics } from '../metrics/fluoMetrics.js';
import type { SerializedSpan } from '../store/serializedSpan.js';
import type { NewNotification, SignalRecord, Store } from '../store/store.js';
import { PermanentWriteError } from '../store/store.js';
import type { SpanLog, SpanLogFormat } from '../wal/spanLog.js';
import type { SignalHub } from './signalHub.js';
import type { CoreOutput, DecodedRequest, DetectionCoreOptions, DetectionStats, IngestOutput, RequestFormat } from './detectionCore.js';
import { InlineDetection, ThreadDetection, type DetectionHost } from './detectionHost.js';
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

/** The old generation's limit within a heap_size_limit: --max-old-space-size, or V8's default for the machine. */
function oldGenerationLimit(heapSizeLimit: number): number {
  return Math.max(heapSizeLimit - YOUNG_GENERATION_BYTES, heapSizeLimit / 2);
}

/** Throws OVERLOADED when `used` is above HEAP_LIMIT_FRACTION of a heap's old-generation limit; `whose` names the heap. */
function refuseNearHeapLimit(used: number, oldGeneration: number, whose: 'a' | "the detection thread's"): void {
  if (used <= oldGeneration * HEAP_LIMIT_FRACTION) return;
  throw new FluoError('OVERLOADED', `memory use is near its limit (${Math.round(used / 2 ** 20)} MiB of ${whose} ${Math.round(oldGeneration / 2 ** 20)} MiB heap): retry later`, { retryAfterSeconds: 1 });
}

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

/** Every code of NotReadyReason (metrics have one gauge each; the OpenAPI document lists them). */
export const NOT_READY_CODES = ['STARTING', 'STOPPING', 'STORE_UNAVAILABLE', 'WAL_FAILED', 'WAL_FULL', 'DETECTION_FAILED'] as const;

/** Why FLUO does not take spans now, for /readyz, logs and metrics. */
export interface NotReadyReason {
  code: typeof NOT_READY_CODES[number];
  message: string;
  since?: number;
}

/** Least time between two ticks armed at a detector deadline (see armDeadline). */
const MIN_DEADLINE_TICK_GAP_MS = 10;

/** Most stored spans replayed into the correlator on start. */
export const MAX_RESTORED_SPANS = 1_000_000;

/** A decoded request held by the detection core until `accept` (or `release`). */
export interface DecodedOtlpRequest extends DecodedRequest {
  readonly id: number;
  readonly format: RequestFormat;
  readonly body: Uint8Array;
}

export class Pipeline {
  readonly queue: WriteQueue;
  private readonly detection: DetectionHost;
  private stateValue: PipelineState = 'starting';
  private tickTimer: NodeJS.Timeout | null = null;
  /** A one-shot tick at the detector's next deadline, when that comes before the next regular tick. */
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineArmedFor = Infinity;
  private lastTickAt = 0;
  /** A tick is in flight (with the detection thread, ticks do not queue up behind a busy core). */
  private ticking: Promise<void> | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private pruning: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  /** Items pushed to / taken from the write queue: a queue position, for releasing span log records. */
  private queued = 0;
  private committed = 0;
  private inflightRequests = 0;
  /** Decoded requests held by the core, not yet ingested or released: counted by admission with the buffered ones. */
  private heldSpans = 0;
  private heldTraces = 0;
  /** Requests no longer counted as held (ingested or released). */
  private readonly unheld = new WeakSet<DecodedOtlpRequest>();
  /** The detection core holds decoded requests by id. */
  private nextRequestId = 1;
  /** The old generation's limit: --max-old-space-size, or V8's default for the machine. */
  private readonly heapLimit = oldGenerationLimit(getHeapStatistics().heap_size_limit);
  /** The last store write failure, until a write succeeds. */
  private storeFailure: { at: number; message: string } | null = null;

  /** Rules whose budget overrun has been logged. */
  private readonly budgetLogged = new Set<string>();

  constructor(private readonly options: PipelineOptions) {
    const { config } = options;
    const coreOptions: DetectionCoreOptions = {
      detector: {
        idleTimeoutMs: config.idleTimeout,
        maxTraceLifetimeMs: config.maxTraceLifetime,
        maxBufferedSpans: config.maxBufferedSpans,
        maxBufferedTraces: config.maxBufferedTraces,
        maxSpansPerTrace: config.maxSpansPerTrace,
        ruleBudget: config.ruleBudget,
      },
      correlator: {
        allowedLatenessMs: config.correlationLateness,
        maxKeys: config.correlationMaxKeys,
        maxSpansPerKey: config.correlationMaxSpansPerKey,
      },
    };
    this.detection = config.detectionThread
      ? new ThreadDetection(coreOptions, (err) => {
        options.log.error(`${err.message}. Spans are refused (503) and /healthz and /readyz answer 503 until FLUO is restarted; the span log keeps every accepted request for the restart.`);
      })
      : new InlineDetection(coreOptions);
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

  /** Why spans can no longer be evaluated (the detection thread ended); null while they can. */
  get detectionFailure(): Error | null {
    return this.detection.failure;
  }

  /** The detector's and correlator's counters as of the last call that returned (for metrics and the overview). */
  detectionStats(): DetectionStats {
    return this.detection.stats();
  }

  /** Rules for the detector (per trace) and the correlator (traces.by): each takes its own kind. */
  setRules(rules: readonly CompiledRule[]): void {
    this.detection.setRules(rules);
  }

  /**
   * Rebuilds open correlation windows from kept traces (call once, after the
   * rules are set, before start). Replays, in start-time order, the traces
   * that started within twice (longest correlated window + lateness) + max
   * trace lifetime before the newest kept trace, at most MAX_RESTORED_SPANS
   * spans. Resolves to the number of spans replayed.
   */
  async restoreCorrelation(now: number = Date.now()): Promise<number> {
    if (this.stateValue !== 'starting') return 0;
    const { store, config, log } = this.options;
    try {
      // Asked, not read from the last answer: the rules set just before must have reached the core.
      const { correlator, longestCorrelationWindowMs } = await this.detection.call('stats', []);
      if (correlator.rules === 0) return 0;
      const [newest] = await store.listTraces({ limit: 1 });
      if (newest === undefined) return 0;
      // An open window's key received a span within window + lateness (clock) before the shutdown, and the
      // window started up to window + lateness before that span; its traces started up to a trace lifetime earlier.
      const since = newest.startTime - (2 * (longestCorrelationWindowMs + config.correlationLateness) + config.maxTraceLifetime);
      const spans: SerializedSpan[] = [];
      let after: { startTime: number; traceId: string } | undefined;
      for (;;) {
        const page = await store.scanTraces({ since, limit: 200, ...(after ? { after } : {}) });
        for (const trace of page) for (const span of trace.spans) spans.push(span);
        if (page.length < 200 || spans.length >= MAX_RESTORED_SPANS) break;
        const last = page[page.length - 1];
        after = { startTime: last.startTime, traceId: last.traceId };
      }
      if (spans.length > MAX_RESTORED_SPANS) {
        log.warn(`correlation: replaying only the newest ${MAX_RESTORED_SPANS} of ${spans.length} kept spans`);
      }
      const { replayed } = await this.detection.call('restoreCorrelation', [spans, MAX_RESTORED_SPANS, now], (out) => this.apply(out, undefined));
      log.info(`correlation: rebuilt open windows from ${replayed} kept spans`);
      return replayed;
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
      void this.tick();
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
    refuseNearHeapLimit(getHeapStatistics().used_heap_size, this.heapLimit, 'a');
    if (this.detection.threaded) {
      // The detection thread has a heap of its own (same --max-old-space-size), where buffered traces live.
      const { used, limit } = this.detection.stats().heap;
      refuseNearHeapLimit(used, oldGenerationLimit(limit), "the detection thread's");
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
   * reading a request (no argument) and again with the decoded request, whose
   * spans count against the buffer bounds together with the buffered spans and
   * those of requests decoded and not yet ingested.
   */
  admit(incoming?: DecodedOtlpRequest): void {
    if (this.stateValue !== 'ready') {
      throw new FluoError('UNAVAILABLE', this.stateValue === 'starting' ? 'FLUO is starting' : 'FLUO is shutting down', { retryAfterSeconds: this.stateValue === 'starting' ? 1 : 5 });
    }
    if (this.detection.failure !== null) throw this.unavailableIfFailed(this.detection.failure);
    const { config } = this.options;
    const stats = this.detection.stats().detector;
    const spans = incoming?.spans ?? 0;
    const traces = incoming?.traceIds.length ?? 0;
    // The incoming request is held already: counted once, as incoming.
    const incomingHeld = incoming !== undefined && incoming.spans > 0 && !this.unheld.has(incoming);
    const bufferedSpans = stats.bufferedSpans + this.heldSpans - (incomingHeld ? spans : 0);
    const bufferedTraces = stats.bufferedTraces + this.heldTraces - (incomingHeld ? traces : 0);
    const retryAfterSeconds = Math.min(30, Math.max(1, Math.ceil(config.idleTimeout / 1000)));
    if (bufferedSpans > 0 && bufferedSpans + spans > config.maxBufferedSpans) {
      throw new FluoError('BUFFER_FULL', `the span buffer is full (${bufferedSpans} of ${config.maxBufferedSpans} spans): retry later`, { retryAfterSeconds });
    }
    if (bufferedTraces > 0 && bufferedTraces + traces > config.maxBufferedTraces) {
      throw new FluoError('BUFFER_FULL', `the trace buffer is full (${bufferedTraces} of ${config.maxBufferedTraces} traces): retry later`, { retryAfterSeconds });
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
    if (this.detection.failure !== null) reasons.push({ code: 'DETECTION_FAILED', message: `${this.detection.failure.message}: restart FLUO (the span log keeps what was accepted)` });
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
   * Decodes a request (on the detection thread when there is one). The
   * decoded spans are held until `accept`, or `release` when the request is
   * refused. Rejects with the engine's OtlpDecodeError for a malformed
   * request (nothing is held then).
   */
  async decode(format: RequestFormat, body: Uint8Array): Promise<DecodedOtlpRequest> {
    const id = this.nextRequestId++;
    const decoded = await this.detection.call('decode', [id, format, body]).catch((err: unknown) => { throw this.unavailableIfFailed(err); });
    if (decoded.spans > 0) {
      this.heldSpans += decoded.spans;
      this.heldTraces += decoded.traceIds.length;
    }
    return { ...decoded, id, format, body };
  }

  /** Frees a decoded request that will not be accepted. Idempotent. */
  release(request: DecodedOtlpRequest): void {
    if (!this.unhold(request)) return;
    this.detection.call('drop', [request.id]).catch(() => { /* the core is gone: nothing is held */ });
  }

  /**
   * Takes an admitted, decoded request: writes it to the span log, waits
   * until it is durable, then ingests it. Resolves to the spans the detector
   * refused; rejects with a retryable FluoError when the log cannot take it
   * (the sender retries; nothing was ingested).
   */
  async accept(request: DecodedOtlpRequest, receivedAt: number): Promise<RejectedSpan[]> {
    const log = this.options.spanLog;
    if (log === undefined || request.spans === 0) return this.ingest(request, receivedAt);
    let segment: number;
    try {
      log.admit(request.body.length);
      const appended = log.append(request.format, receivedAt, request.body);
      segment = appended.segment;
      try {
        await appended.durable;
      } catch (err) {
        log.abandon(segment);
        throw err;
      }
      if (this.closing !== null) {
        log.abandon(segment);
        throw new FluoError('UNAVAILABLE', 'FLUO is shutting down', { retryAfterSeconds: 5 });
      }
    } catch (err) {
      this.release(request);
      throw err;
    }
    return this.ingestDecoded(request, receivedAt, segment);
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
    const records: Array<{ record: ReturnType<SpanLog['takeRecovered']>[number]; request: DecodedOtlpRequest }> = [];
    for (const record of log.takeRecovered()) {
      try {
        records.push({ record, request: await this.decode(record.format, record.body) });
      } catch (err) {
        // Only a request that no longer decodes is given up; any other failure (the detection thread ended)
        // must leave the log as it is for the next start: rethrown, so that this start fails.
        if (!(err instanceof OtlpDecodeError)) throw err;
        this.options.log.error(`span log: a recovered request no longer decodes, skipping it: ${describeError(err)}`);
        log.abandon(record.segment);
      }
    }
    const traceIds = new Set<string>();
    for (const r of records) for (const traceId of r.request.traceIds) traceIds.add(traceId);
    const stored: SerializedSpan[] = [];
    for (const traceId of traceIds) {
      const kept = await this.options.store.getTrace(traceId);
      if (kept !== null) stored.push(...kept.spans);
    }
    if (stored.length > 0) await this.detection.call('ingestStored', [stored, Date.now()], (out) => this.apply(out, Date.now()));
    let spans = 0;
    for (const { record, request } of records) {
      await this.ingestDecoded(request, record.receivedAt, record.segment);
      spans += request.spans;
    }
    log.sweep();
    return spans;
  }

  /**
   * Hands a decoded request to the detector without the span log. Returns
   * the spans it refused (for OTLP partial success). `receivedAt` is when the
   * request arrived (ms).
   */
  ingest(request: DecodedOtlpRequest, receivedAt: number): Promise<RejectedSpan[]> {
    return this.ingestDecoded(request, receivedAt, undefined);
  }

  /**
   * Ingests a held request. With `segment` (its span log record, appended and
   * durable), the record is registered for the request's traces in the same
   * step as the result is applied, or abandoned when nothing was ingested.
   */
  private async ingestDecoded(request: DecodedOtlpRequest, receivedAt: number, segment: number | undefined): Promise<RejectedSpan[]> {
    const log = segment === undefined ? undefined : this.options.spanLog!;
    if (log === undefined && request.spans === 0) return [];
    let registered = false;
    try {
      const out = await this.detection.call('ingest', [request.id, Date.now()], (result) => {
        // Held until the core's state (this result's stats) counts its spans: admission sees them all along.
        this.unhold(request);
        if (log !== undefined) {
          log.register(segment!, request.traceIds);
          registered = true;
        }
        this.apply(result, receivedAt);
        if (log === undefined) return;
        // Traces that did not open (every span a duplicate of a completed trace, or refused) produce nothing more.
        const open = new Set(result.openTraceIds);
        for (const traceId of request.traceIds) if (!open.has(traceId)) log.traceDone(traceId, this.queued);
        // Nothing queued for them may be left to write: release at once rather than at the next write.
        log.written(this.committed);
      });
      return out.rejected;
    } catch (err) {
      this.unhold(request);
      // Registered: the segment is the traces' now (abandoning it too would release it twice). After the detection
      // thread's end: kept (not abandoned), so that the next start replays the request.
      if (log !== undefined && !registered && err !== this.detection.failure) log.abandon(segment!);
      throw this.unavailableIfFailed(err);
    }
  }

  /** A call that failed because the detection thread ended: retryable for the sender. */
  private unavailableIfFailed(err: unknown): unknown {
    const failure = this.detection.failure;
    if (failure === null || err !== failure) return err;
    return new FluoError('UNAVAILABLE', `FLUO cannot evaluate spans (${failure.message}); restart it: the span log keeps what was accepted`, { retryAfterSeconds: 5, cause: failure });
  }

  /** Takes a request out of the held counts; false when it was not held (no spans, or released before). */
  private unhold(request: DecodedOtlpRequest): boolean {
    if (request.spans === 0 || this.unheld.has(request)) return false;
    this.unheld.add(request);
    this.heldSpans -= request.spans;
    this.heldTraces -= request.traceIds.length;
    return true;
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
    if (this.stateValue !== 'ready') return;
    const { nextDeadline: deadline, closed } = this.detection.stats();
    // A tick at lastTickAt did everything due by then: an earlier deadline is a stale lower bound.
    if (closed || !Number.isFinite(deadline) || deadline <= this.lastTickAt || deadline >= this.deadlineArmedFor) return;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineArmedFor = deadline;
    const now = Date.now();
    const at = Math.max(deadline + 1, this.lastTickAt + MIN_DEADLINE_TICK_GAP_MS);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      this.deadlineArmedFor = Infinity;
      void this.tick();
    }, Math.max(0, at - now));
  }

  /** The buffered spans of a trace still being assembled, or null when it is not buffered. */
  async openTrace(traceId: string): Promise<SerializedSpan[] | null> {
    // Closed or failed: nothing is being assembled (the store has what was kept).
    if (this.detection.failure !== null || this.closing !== null) return null;
    return this.detection.call('openTrace', [traceId]).catch(() => null);
  }

  /**
   * Completes idle traces and decides due correlation windows (called by the
   * timers; public for tests). A tick called while one is in flight joins it.
   */
  tick(now: number = Date.now()): Promise<void> {
    if (this.ticking !== null) return this.ticking;
    if (this.closing !== null || this.detection.failure !== null) return Promise.resolve();
    this.lastTickAt = now;
    // apply() arms the next deadline tick.
    this.ticking = this.detection.call('tick', [now], (out) => this.apply(out, undefined)).then(
      () => undefined,
      (err: unknown) => {
        // The thread's end is logged once, where it is noticed.
        if (err !== this.detection.failure) this.options.log.error(`detection tick failed: ${describeError(err)}`);
      },
    ).finally(() => { this.ticking = null; });
    return this.ticking;
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

  /**
   * Pushes what one core call produced to the write queue, in the order it
   * was produced: completed traces, then signals. `receivedAt` is the arrival
   * of the request the call ingested (undefined for ticks and shutdown): a
   * signal of a trace still open, or of a correlated rule, was raised by that
   * request (phase 'ingest'); one of a trace the call completed, at completion
   * (its last span's arrival).
   */
  private apply(out: CoreOutput | IngestOutput, receivedAt: number | undefined): void {
    const { log, metrics, config } = this.options;
    for (const problem of out.problems) log.error(problem);
    for (const { ruleId, traceId } of out.budgetExceeded) {
      metrics().ruleBudgetExceeded.inc({ rule_id: ruleId });
      // Once per rule: a rule that is too expensive is usually so on every large trace.
      if (this.budgetLogged.has(ruleId) || this.budgetLogged.size >= 10_000) continue;
      this.budgetLogged.add(ruleId);
      log.warn(`rule '${ruleId}' exceeded its evaluation budget (--rule-budget ${config.ruleBudget} work units) on trace ${traceId}: it was not evaluated further on that trace. Simplify the rule, or raise the budget. (Logged once per rule; see the metric fluo_rule_budget_exceeded_total.)`);
    }
    const completedArrival = out.completed.length > 0 ? new Map<string, number>() : undefined;
    for (const completion of out.completed) {
      completedArrival!.set(completion.traceId, completion.lastReceivedAt);
      if (completion.kept === null) continue;
      this.queued++;
      this.queue.push({ kind: 'trace', trace: completion.kept });
    }
    for (const { signal, evidence, correlated } of out.signals) {
      const arrival = correlated ? undefined : completedArrival?.get(signal.traceId);
      const phase = arrival !== undefined || receivedAt === undefined ? 'completion' : 'ingest';
      const arrivedAt = phase === 'ingest' ? receivedAt! : arrival ?? signal.detectedAt;
      const notifications = this.options.notifications?.route(signal, evidence) ?? [];
      this.queued++;
      this.queue.push({ kind: 'signal', signal: { signal, evidence, ...(notifications.length > 0 ? { notifications } : {}) }, phase, arrivedAt });
    }
    const spanLog = this.options.spanLog;
    if (spanLog && completedArrival) for (const traceId of completedArrival.keys()) spanLog.traceDone(traceId, this.queued);
    this.armDeadline();
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
      if (this.ticking) await this.ticking;
      try {
        await this.detection.close(Date.now(), (out) => this.apply(out, undefined));
      } catch (err) {
        // After the thread's end (logged then), the buffered traces are in the span log only: say so.
        if (err === this.detection.failure) this.options.log.error('buffered traces were not completed (the detection thread had ended): the span log feeds them to the next start');
        else this.options.log.error(`detection close failed: ${describeError(err)}`);
      }
      await this.queue.close(this.options.closeTimeout ?? 10_000);
      await this.options.spanLog?.close();
      if (this.pruning) await this.pruning;
      this.stateValue = 'stopped';
    })();
    return this.closing;
  }
}
