/**
 * SpanIdIndex: which span ids a buffered trace holds, for telling a sender's
 * retries from new spans.
 *
 * A Set of a trace's span ids takes about 32 B of heap per buffered span
 * (docs/performance.md), and most of a buffered trace's life is spent idle,
 * waiting for its idle timeout. So a small trace (up to LINEAR_MAX spans,
 * most traces) holds its Set only while it receives spans: `shrink()`, called
 * when a batch is in, lets it go, and a later batch builds it again (or, for
 * very few spans, searches linearly). Larger traces keep theirs. (A linear
 * search for every span of a 32-span trace cost the detector about 20% at one
 * rule; an open-addressing Int32Array per trace tripled it: allocating typed
 * arrays is slow in V8.)
 *
 * Contract: `spans` is the trace's span array, which only grows, at its end;
 * call `added()` after each push. `has(id)` is true exactly for the ids of
 * the spans in the array.
 */
import type { Span } from '../trace/span.js';

/** Traces up to this many spans drop their Set between batches. */
const LINEAR_MAX = 32;
/** Up to this many spans, has() searches the array instead of building a Set. */
const SCAN_MAX = 8;

export class SpanIdIndex {
  private set: Set<string> | null = null;

  constructor(private readonly spans: readonly Span[]) {}

  has(spanId: string): boolean {
    const spans = this.spans;
    if (this.set === null) {
      if (spans.length <= SCAN_MAX) {
        for (let i = 0; i < spans.length; i++) if (spans[i].spanId === spanId) return true;
        return false;
      }
      this.set = new Set();
      for (let i = 0; i < spans.length; i++) this.set.add(spans[i].spanId);
    }
    return this.set.has(spanId);
  }

  /** Takes note of the span pushed last. */
  added(): void {
    if (this.set !== null) this.set.add(this.spans[this.spans.length - 1].spanId);
  }

  /** Lets go of the Set of a small trace (see the module comment); has() builds it again when needed. */
  shrink(): void {
    if (this.spans.length <= LINEAR_MAX) this.set = null;
  }
}
