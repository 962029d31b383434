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

/** Options of decodeProtobufTraces. */
export interface DecodeOptions {
  /**
   * Arrival mode: decode only the attributes with these keys (those the
   * rules read by name, Detector.arrivalAttributeKeys) and check the others
   * where they are, in the request's bytes. A span's attribute map is then
   * partial (SpanOrigin.arrivalKeys): reading another key reads it from the
   * bytes, reading the whole map decodes it, and that map is held until the
   * next releaseAttributes() (trace/span.ts), so only callers that release
   * (the Detector does on each call) should ask for it. What is accepted or
   * rejected, and every value read, is the same as without it. Why: most
   * attributes are read by no rule, and building their maps was most of
   * decoding (docs/performance.md).
   */
  attributeKeys?: ReadonlySet<string> | null;
}
