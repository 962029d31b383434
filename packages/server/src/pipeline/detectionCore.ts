/**
 * DetectionCore: everything between an OTLP request's bytes and what the
 * write queue stores, in one synchronous object that can run on the ingest
 * thread or on a detection thread of its own (detectionHost.ts).
 *
 * It owns the decoder's output, the Detector (trace assembly, per-trace
 * rules), the Correlator (traces.by rules), the encoding of completed traces
 * as OTLP bytes and the serialization of signal evidence: the CPU-heavy part
 * of ingestion. What it returns is plain data (structured-clone safe: no
 * functions, no span objects), so a thread boundary changes nothing.
 *
 * Contract:
 * - `decode(id, format, body)` decodes a request and holds its spans under
 *   `id` until `ingest(id)` or `drop(id)`; a malformed request throws
 *   OtlpDecodeError and holds nothing. The caller bounds how many requests
 *   are held (the pipeline's bound on requests in flight). The core owns
 *   `body` from then on: spans decoded from OTLP/protobuf refer to it until
 *   their trace completes (Span.source), and completed traces are kept as
 *   those bytes (encodeTracesDataAsReceived). The span log's bound on the
 *   bytes of unfinished requests (`--wal-max-bytes`) bounds them too. Buffered
 *   spans keep little on the heap (their details are decoded again from
 *   those bytes when read, engine trace/span.ts); completed traces the
 *   detector remembers for late spans are copies of their bytes, bounded by
 *   its maxCompletedSpans.
 * - Every call that may complete traces or raise signals returns a
 *   CoreOutput: completed traces first (in completion order), then signals
 *   (detector's, then correlator's), as the write queue must take them.
 * - Signals of one call share the serialized objects of their common
 *   evidence spans, and signals of one evaluation of a trace share one
 *   evidence array (the store writes it once).
 * - After `close()` the detector refuses spans (`ingest` throws
 *   DetectorClosedError); held requests are dropped.
 */
import {
  Correlator, Detector, DetectorClosedError, compileRule, decodeJsonTraces, decodeProtobufTraces, releaseAttributes,
  type CompiledRule, type CorrelatorStats, type Detection, type DetectorStats, type RejectedSpan, type RuleDefinition, type Signal, type Span,
} from '@fluohq/engine';
import { getHeapStatistics } from 'node:v8';
import { describeError } from '../errors.js';
import { newTrace } from '../store/keptTrace.js';
import { serializeSpan, toSpans, type SerializedSpan } from '../store/serializedSpan.js';
import type { NewTrace } from '../store/store.js';

export type RequestFormat = 'protobuf' | 'json';

export interface DetectionCoreOptions {
  detector: {
    idleTimeoutMs: number;
    maxTraceLifetimeMs: number;
    maxBufferedSpans: number;
    maxBufferedTraces: number;
    maxSpansPerTrace: number;
    ruleBudget: number;
  };
  correlator: { allowedLatenessMs: number; maxKeys: number; maxSpansPerKey: number };
}

/** What the pipeline reads synchronously between calls (admission, metrics, deadlines). */
export interface DetectionStats {
  detector: DetectorStats;
  correlator: CorrelatorStats;
  /** Detector.nextDeadline(): Infinity when nothing is buffered or remembered. */
  nextDeadline: number;
  longestCorrelationWindowMs: number;
  closed: boolean;
  /** The V8 heap of the thread the core runs on (bytes): buffered traces live there. */
  heap: { used: number; limit: number };
}

export interface CoreSignal {
  signal: Signal;
  evidence: SerializedSpan[];
  /** Raised by a correlated rule (traces.by): decided as spans arrive, never at a trace's completion. */
  correlated?: true;
}

export interface CoreCompletion {
  traceId: string;
  /** Arrival (ms) of the trace's last span: the start of a completion-phase detection latency. */
  lastReceivedAt: number;
  /** Null when the trace could not be encoded (a bug, reported in `problems`). */
  kept: NewTrace | null;
}

export interface CoreOutput {
  completed: CoreCompletion[];
  signals: CoreSignal[];
  /** Rules that exceeded their evaluation budget on a trace, in order. */
  budgetExceeded: Array<{ ruleId: string; traceId: string }>;
  /** Failures the caller logs as errors (a failed correlator call, an unencodable trace). */
  problems: string[];
  stats: DetectionStats;
}

export interface DecodedRequest {
  spans: number;
  /** Distinct trace ids, in first-seen order. */
  traceIds: string[];
  /** Spans the decoder refused (OTLP partial success). */
  rejected: Array<{ path: string; message: string }>;
}

export interface IngestOutput extends CoreOutput {
  /** Spans the detector refused (OTLP partial success). */
  rejected: RejectedSpan[];
  /** Of the request's traces, those buffered (open) after the call. */
  openTraceIds: string[];
}

/** Distinct trace ids of the spans, in first-seen order. */
function traceIdsOf(spans: readonly Span[]): string[] {
  const traceIds = new Set<string>();
  for (const span of spans) traceIds.add(span.traceId);
  return [...traceIds];
}

function heapOfThisThread(): { used: number; limit: number } {
  const h = getHeapStatistics();
  return { used: h.used_heap_size, limit: h.heap_size_limit };
}

export class DetectionCore {
  private readonly detector: Detector;
  private readonly correlator: Correlator;
  /** Decoded requests by id, with their distinct trace ids. */
  private readonly held = new Map<number, { spans: Span[]; traceIds: string[] }>();
  /** Filled by the detector's listener during one call. */
  private completed: CoreCompletion[] = [];
  private budgetExceeded: Array<{ ruleId: string; traceId: string }> = [];
  private problems: string[] = [];
  /** The attributes decode() decodes: those the detector and the correlator read of every span they are given (DecodeOptions.attributeKeys). */
  private arrivalKeys: ReadonlySet<string> = new Set();

  constructor(options: DetectionCoreOptions) {
    this.detector = new Detector(options.detector, {
      onBudgetExceeded: (ruleId, traceId) => { this.budgetExceeded.push({ ruleId, traceId }); },
      onTraceCompleted: (trace) => {
        let kept: NewTrace | null = null;
        try {
          // The detector's bytes stay its own (it remembers the trace by them); a copy can move to another thread.
          kept = newTrace(trace.traceId, trace.spans, trace.completedAt, trace.otlp?.slice());
        } catch (err) {
          // Decoded spans always encode; a span that does not is a bug, reported rather than lost without a word.
          this.problems.push(`trace ${trace.traceId} (${trace.spans.length} spans) cannot be kept: ${describeError(err)}`);
        }
        this.completed.push({ traceId: trace.traceId, lastReceivedAt: trace.lastReceivedAt, kept });
      },
    });
    this.correlator = new Correlator(options.correlator);
  }

  /** Rules for the detector (per trace) and the correlator (traces.by): each takes its own kind. */
  setRules(rules: readonly CompiledRule[]): void {
    this.detector.setRules(rules);
    this.correlator.setRules(rules);
    this.arrivalKeys = new Set([...this.detector.arrivalAttributeKeys(), ...this.correlator.arrivalAttributeKeys()]);
  }

  /** setRules from definitions that compiled before (on the other side of a thread boundary). */
  setRuleDefinitions(definitions: readonly RuleDefinition[]): void {
    this.setRules(definitions.map(compileRule));
  }

  decode(id: number, format: RequestFormat, body: Uint8Array): DecodedRequest {
    // Only the attributes the rules read by name are decoded now; the spans' maps are released after ingest() anyway.
    const decoded = format === 'protobuf'
      ? decodeProtobufTraces(body, { attributeKeys: this.arrivalKeys })
      : decodeJsonTraces(new TextDecoder().decode(body));
    const traceIds = traceIdsOf(decoded.spans);
    if (decoded.spans.length > 0) this.held.set(id, { spans: decoded.spans, traceIds });
    return { spans: decoded.spans.length, traceIds, rejected: decoded.rejected };
  }

  drop(id: number): void {
    this.held.delete(id);
  }

  /** Ingests a decoded request (see decode). Throws DetectorClosedError after close(). */
  ingest(id: number, now: number): IngestOutput {
    if (this.detector.isClosed) throw new DetectorClosedError();
    const request = this.held.get(id);
    this.held.delete(id);
    return request === undefined ? this.ingestSpans([], [], now) : this.ingestSpans(request.spans, request.traceIds, now);
  }

  /** Ingests stored spans (a kept trace reopened by spans the span log recovered). */
  ingestStored(stored: readonly SerializedSpan[], now: number): IngestOutput {
    const spans = toSpans(stored);
    return this.ingestSpans(spans, traceIdsOf(spans), now);
  }

  private ingestSpans(spans: readonly Span[], traceIds: readonly string[], now: number): IngestOutput {
    if (spans.length === 0) return { ...this.output([], []), rejected: [], openTraceIds: [] };
    const { detections, rejected } = this.detector.ingest(spans, now);
    let correlated: Detection[] = [];
    if (this.correlator.ruleCount > 0) {
      const refused = rejected.length === 0 ? null : new Set(rejected.map((r) => `${r.traceId}:${r.spanId}`));
      const taken = refused === null ? spans : spans.filter((s) => !refused.has(`${s.traceId}:${s.spanId}`));
      try {
        correlated = this.correlator.ingest(taken, now);
      } catch (err) {
        this.problems.push(`correlator ingest failed: ${describeError(err)}`);
      }
    }
    const openTraceIds = traceIds.filter((traceId) => this.detector.isBuffered(traceId));
    return { ...this.output(detections, correlated), rejected, openTraceIds };
  }

  /** Completes idle and expired traces and decides due correlation windows. */
  tick(now: number): CoreOutput {
    let detections: Detection[] = [];
    let correlated: Detection[] = [];
    if (!this.detector.isClosed) {
      try {
        detections = this.detector.tick(now);
      } catch (err) {
        this.problems.push(`detector tick failed: ${describeError(err)}`);
      }
    }
    if (!this.correlator.isClosed) {
      try {
        correlated = this.correlator.tick(now);
      } catch (err) {
        this.problems.push(`correlator tick failed: ${describeError(err)}`);
      }
    }
    return this.output(detections, correlated);
  }

  /**
   * Rebuilds open correlation windows from kept spans (any order): the newest
   * `maxSpans` by start time are replayed in start-time order. Returns how
   * many were replayed with what they decided.
   */
  restoreCorrelation(stored: readonly SerializedSpan[], maxSpans: number, now: number): CoreOutput & { replayed: number } {
    const spans = toSpans(stored);
    spans.sort((a, b) => a.startTime - b.startTime);
    const replayed = spans.slice(Math.max(0, spans.length - maxSpans));
    return { ...this.output([], this.correlator.ingest(replayed, now)), replayed: replayed.length };
  }

  /** The buffered spans of a trace still being assembled, serialized; null when it is not buffered. */
  openTrace(traceId: string): SerializedSpan[] | null {
    return this.detector.bufferedTrace(traceId)?.map(serializeSpan) ?? null;
  }

  /** Completes every buffered trace (deciding absence rules) and refuses further spans; drops open correlation windows. Idempotent. */
  close(now: number): CoreOutput {
    this.held.clear();
    let detections: Detection[] = [];
    try {
      detections = this.detector.close(now);
    } catch (err) {
      this.problems.push(`detector close failed: ${describeError(err)}`);
    }
    this.correlator.close();
    return this.output(detections, []);
  }

  stats(): DetectionStats {
    return {
      detector: this.detector.stats(),
      correlator: this.correlator.stats(),
      nextDeadline: this.detector.nextDeadline(),
      longestCorrelationWindowMs: this.correlator.longestWindowMs,
      closed: this.detector.isClosed,
      heap: heapOfThisThread(),
    };
  }

  private output(detections: readonly Detection[], correlated: readonly Detection[]): CoreOutput {
    const out: CoreOutput = {
      completed: this.completed,
      signals: [],
      budgetExceeded: this.budgetExceeded,
      problems: this.problems,
      stats: this.stats(),
    };
    this.completed = [];
    this.budgetExceeded = [];
    this.problems = [];
    const count = detections.length + correlated.length;
    if (count === 0) return out;
    // Signals of one call share the serialized objects of their common evidence spans (read-only from here on).
    const serialized = count > 1 ? new Map<Span, SerializedSpan>() : undefined;
    const serialize = (span: Span): SerializedSpan => {
      if (serialized === undefined) return serializeSpan(span);
      let s = serialized.get(span);
      if (s === undefined) {
        s = serializeSpan(span);
        serialized.set(span, s);
      }
      return s;
    };
    // Detections of one evaluation share their snapshot (Detection.spans); their signals share one evidence array, which
    // the store writes once (NewSignal.evidence) and a structured clone keeps shared.
    const evidenceOf = new Map<Span[], SerializedSpan[]>();
    const evidence = (spans: Span[]): SerializedSpan[] => {
      let e = evidenceOf.get(spans);
      if (e === undefined) {
        e = spans.map(serialize);
        evidenceOf.set(spans, e);
      }
      return e;
    };
    for (const d of detections) out.signals.push({ signal: d.signal, evidence: evidence(d.spans) });
    for (const d of correlated) out.signals.push({ signal: d.signal, evidence: evidence(d.spans), correlated: true });
    // The evidence is serialized: the spans' details decoded again for it (and for rules) can go now.
    releaseAttributes();
    return out;
  }
}
