import type { Span } from '../trace/span.js';

/** A span left out of a decode result, and why (OTLP partial success). */
export interface RejectedOtlpSpan {
  /**
   * Where the problem is, e.g. `resourceSpans[0].scopeSpans[0].spans[2].spanId`.
   * For a problem in a resource or scope shared by several spans, the path of
   * that field (each span under it is reported). JSON Lines paths start with
   * the line, e.g. `line 3: resourceSpans[0]...`.
   */
  path: string;
  message: string;
}

/** The result of decoding one OTLP trace request. */
export interface DecodedTraces {
  /** Decoded spans, in request order. */
  spans: Span[];
  rejected: RejectedOtlpSpan[];
}
