import { describe, expect, it } from 'vitest';
import { layoutWaterfall, timeTicks, type WaterfallSpan } from './waterfallLayout';

const span = (spanId: string, parentSpanId: string | null, startTime: number, endTime: number): WaterfallSpan => ({ spanId, parentSpanId, startTime, endTime });

describe('layoutWaterfall', () => {
  it('orders depth first from the root, children by start time, with offsets and widths to scale', () => {
    const layout = layoutWaterfall([
      span('db2', 'pay', 160, 180),
      span('pay', 'root', 150, 200),
      span('root', null, 100, 300),
      span('cart', 'root', 110, 140),
      span('db1', 'pay', 155, 158),
    ]);
    expect(layout.rows.map((r) => [r.span.spanId, r.depth])).toEqual([['root', 0], ['cart', 1], ['pay', 1], ['db1', 2], ['db2', 2]]);
    expect(layout).toMatchObject({ start: 100, end: 300, duration: 200 });
    const pay = layout.rows[2];
    expect(pay.offset).toBeCloseTo(0.25);
    expect(pay.width).toBeCloseTo(0.25);
    expect(pay.childCount).toBe(2);
    expect(layout.rows[0]).toMatchObject({ offset: 0, width: 1, orphan: false });
  });

  it('keeps spans whose parent is missing as roots marked orphan, in start order', () => {
    const layout = layoutWaterfall([span('late', 'gone', 50, 60), span('root', null, 0, 100), span('kid', 'late', 55, 58)]);
    expect(layout.rows.map((r) => [r.span.spanId, r.depth, r.orphan])).toEqual([['root', 0, false], ['late', 0, true], ['kid', 1, false]]);
  });

  it('lays out every span once, even with a parent cycle, duplicates, or a span that is its own parent', () => {
    const layout = layoutWaterfall([span('a', 'b', 0, 10), span('b', 'a', 1, 5), span('self', 'self', 2, 3), span('a', 'b', 0, 10)]);
    expect(layout.rows.map((r) => r.span.spanId).sort()).toEqual(['a', 'b', 'self']);
  });

  it('handles an empty trace and instant spans without dividing by zero', () => {
    expect(layoutWaterfall([])).toEqual({ rows: [], start: 0, end: 0, duration: 0 });
    const instant = layoutWaterfall([span('x', null, 5, 5)]);
    expect(instant.rows[0]).toMatchObject({ offset: 0, width: 0 });
  });

  it('places spans on a shared time axis (one trace of several), widening it to hold every span, never narrowing it', () => {
    const second = layoutWaterfall([span('retry', null, 150, 200)], { start: 0, end: 200 });
    expect(second).toMatchObject({ start: 0, end: 200, duration: 200 });
    expect(second.rows[0].offset).toBeCloseTo(0.75);
    expect(second.rows[0].width).toBeCloseTo(0.25);
    const wider = layoutWaterfall([span('late', null, 150, 300)], { start: 100, end: 200 });
    expect(wider).toMatchObject({ start: 100, end: 300, duration: 200 });
    expect(layoutWaterfall([], { start: 10, end: 30 })).toEqual({ rows: [], start: 10, end: 30, duration: 20 });
  });

  it('lays out a very deep trace without overflowing the stack', () => {
    const spans = Array.from({ length: 20_000 }, (_, i) => span(`s${i}`, i === 0 ? null : `s${i - 1}`, i, i + 1));
    const layout = layoutWaterfall(spans);
    expect(layout.rows.at(-1)!.depth).toBe(19_999);
  });
});

describe('timeTicks', () => {
  it('picks round steps', () => {
    expect(timeTicks(1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(timeTicks(8.19)).toEqual([0, 2, 4, 6, 8]);
    expect(timeTicks(0)).toEqual([0]);
  });
});
