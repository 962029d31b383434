import type { Span } from '../trace/span.js';
import type { Signal } from './signal.js';

/** A signal together with the trace's spans as they were when it fired (the evidence). */
export interface Detection {
  signal: Signal;
  /**
   * Snapshot of the trace's spans at detection time, in start-time order
   * (correlated rules: the key's spans in the window, from several traces).
   * Like CompletedTrace.spans, they hold their requests' bytes. Read-only:
   * the detections one evaluation of a trace raises share one array, so a
   * listener can store their common evidence once (by identity).
   */
  spans: Span[];
}

/** A trace the assembler considers complete (idle, too old, forced out by a memory bound, or flushed). */
export interface CompletedTrace {
  traceId: string;
  /**
   * In start-time order, linked (parent/children set). They hold their
   * requests' bytes (`source`), from which a span whose details were
   * released decodes them again when read (trace/span.ts): a listener
   * keeping spans long keeps copies without a source or links
   * (`copySpan(span, { parent: null, children: [], source: null })`) so as
   * not to keep whole requests.
   */
  spans: Span[];
  /**
   * The spans as OTLP bytes (`encodeTracesDataAsReceived`), when the detector
   * made them to remember the trace for late spans: a listener storing the
   * trace reuses them instead of encoding it again. They stay the detector's
   * (it decodes them if a late span reopens the trace): read-only, and
   * copied before a transfer to another thread.
   */
  otlp?: Uint8Array;
  reason: 'idle' | 'lifetime' | 'memory' | 'flush';
  /** ms, detector clock */
  firstReceivedAt: number;
  lastReceivedAt: number;
  completedAt: number;
}

/** A span the detector refused, with the reason (reported to senders as OTLP partial success). */
export interface RejectedSpan {
  traceId: string;
  spanId: string;
  reason: string;
}

export interface IngestResult {
  detections: Detection[];
  rejected: RejectedSpan[];
}
