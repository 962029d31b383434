/**
 * Lays a trace's spans out as waterfall rows: depth-first from the roots,
 * children in start-time order, each row with its offset and width as
 * fractions of the trace's time span.
 *
 * Spans whose parent is not in the trace (it was never received, or the
 * trace is still arriving) become roots marked `orphan`, so no span is ever
 * hidden. Parent cycles (malformed data) cannot loop: each span is laid out
 * once.
 */
export interface WaterfallSpan {
  spanId: string;
  parentSpanId: string | null;
  startTime: number;
  endTime: number;
}

export interface WaterfallRow<S extends WaterfallSpan> {
  span: S;
  depth: number;
  /** Start relative to the trace start, 0..1. */
  offset: number;
  /** Duration relative to the whole trace, 0..1 (0 for an instant span). */
  width: number;
  /** The parent id is set but no such span is in the trace. */
  orphan: boolean;
  childCount: number;
}

export interface WaterfallLayout<S extends WaterfallSpan> {
  rows: WaterfallRow<S>[];
  start: number;
  end: number;
  /** end - start, ms. */
  duration: number;
}

const byStart = (a: WaterfallSpan, b: WaterfallSpan) => a.startTime - b.startTime || a.endTime - b.endTime || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);

/**
 * `range`, when given, is the time axis (e.g. one shared by several traces of
 * a correlated signal); it is widened to hold every span, never narrowed.
 */
export function layoutWaterfall<S extends WaterfallSpan>(spans: readonly S[], range?: { start: number; end: number }): WaterfallLayout<S> {
  if (spans.length === 0) return { rows: [], start: range?.start ?? 0, end: range?.end ?? 0, duration: range ? Math.max(0, range.end - range.start) : 0 };
  const byId = new Map<string, S>();
  for (const s of spans) if (!byId.has(s.spanId)) byId.set(s.spanId, s);
  const children = new Map<string, S[]>();
  const roots: S[] = [];
  for (const s of byId.values()) {
    if (s.parentSpanId !== null && s.parentSpanId !== s.spanId && byId.has(s.parentSpanId)) {
      let list = children.get(s.parentSpanId);
      if (!list) children.set(s.parentSpanId, (list = []));
      list.push(s);
    } else {
      roots.push(s);
    }
  }
  let start = range?.start ?? Infinity;
  let end = range?.end ?? -Infinity;
  for (const s of byId.values()) {
    start = Math.min(start, s.startTime);
    end = Math.max(end, s.endTime, s.startTime);
  }
  const duration = end - start;
  const rows: WaterfallRow<S>[] = [];
  const placed = new Set<string>();
  // Iterative depth-first walk: deep traces must not overflow the stack.
  const visit = (root: S) => {
    const stack: Array<{ span: S; depth: number }> = [{ span: root, depth: 0 }];
    while (stack.length > 0) {
      const { span, depth } = stack.pop()!;
      if (placed.has(span.spanId)) continue;
      placed.add(span.spanId);
      const kids = (children.get(span.spanId) ?? []).slice().sort(byStart);
      rows.push({
        span,
        depth,
        offset: duration > 0 ? (span.startTime - start) / duration : 0,
        width: duration > 0 ? Math.max(0, span.endTime - span.startTime) / duration : 0,
        orphan: span.parentSpanId !== null && !byId.has(span.parentSpanId),
        childCount: kids.length,
      });
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i], depth: depth + 1 });
    }
  };
  for (const root of roots.sort(byStart)) visit(root);
  // Spans only reachable through a cycle have no root: lay them out at the top level.
  for (const s of [...byId.values()].sort(byStart)) if (!placed.has(s.spanId)) visit(s);
  return { rows, start, end, duration };
}

/** Tick marks for the time axis: about `target` round steps over `duration` ms. */
export function timeTicks(duration: number, target = 5): number[] {
  if (!(duration > 0)) return [0];
  const raw = duration / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  for (let t = 0; t <= duration + 1e-9; t += step) ticks.push(Number(t.toFixed(6)));
  return ticks;
}
