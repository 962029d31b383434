import type { Span } from '../trace/span.js';
import type { Signal } from './signal.js';

/** A signal together with the trace's spans as they were when it fired (the evidence). */
export interface Detection {
  signal: Signal;
  /** Snapshot of the trace's spans at detection time, in start-time order (correlated rules: the key's spans in the window, from several traces). */
  spans: Span[];
}

/** A trace the assembler considers complete (idle, too old, forced out by a memory bound, or flushed). */
export interface CompletedTrace {
  traceId: string;
  /**
   * In start-time order, linked (parent/children set). Their `source` (the
   * requests' bytes) is readable during the onTraceCompleted call only: the
   * detector sets it to null afterwards.
   */
  spans: Span[];
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
