/** Signals over time as stacked bars, one series per key (rule or severity), drawn with uPlot. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { useTheme } from '../lib/theme';

const PALETTE = ['#2563eb', '#dc2626', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#ea580c', '#4f46e5'];
export const SEVERITY_COLOURS: Record<string, string> = { critical: '#dc2626', warning: '#d97706', info: '#2563eb' };

export function SignalsChart({ times, series, colours, title }: { times: number[]; series: Map<string, number[]>; colours?: Record<string, string>; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useTheme();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const keys = [...series.keys()];
    // Stack: each series is drawn as the running total so bars pile up.
    const stacked: number[][] = [];
    let running = times.map(() => 0);
    for (const k of keys) {
      running = running.map((v, i) => v + (series.get(k)![i] ?? 0));
      stacked.push(running);
    }
    const styles = getComputedStyle(document.documentElement);
    const axisColour = styles.getPropertyValue('--muted').trim() || '#666';
    const gridColour = styles.getPropertyValue('--border').trim() || '#ddd';
    const bucketMs = times.length > 1 ? times[1] - times[0] : 60_000;
    const bars = uPlot.paths.bars!({ size: [0.9, 60], align: 1 });
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 240,
      title: undefined,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      // The x range covers whole buckets: bars start at their bucket and span it (align 1).
      scales: { x: { time: true, range: () => [times[0] / 1000, (times[times.length - 1] + bucketMs) / 1000] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        { stroke: axisColour, grid: { stroke: gridColour, width: 1 }, ticks: { stroke: gridColour } },
        { stroke: axisColour, grid: { stroke: gridColour, width: 1 }, ticks: { stroke: gridColour }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
      ],
      series: [
        {},
        // Drawn last-to-first so the tallest (cumulative) bar sits behind.
        ...keys.map((k, i) => ({
          label: k,
          stroke: colours?.[k] ?? PALETTE[i % PALETTE.length],
          fill: colours?.[k] ?? PALETTE[i % PALETTE.length],
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number, _s: number, idx: number | null) => (idx === null ? '–' : String(series.get(k)![idx] ?? 0)),
        })),
      ],
    };
    const data: uPlot.AlignedData = [times.map((t) => t / 1000), ...stacked];
    // Reverse draw order: uPlot draws series in order; put the largest stack first.
    const order = keys.map((_, i) => keys.length - 1 - i);
    const plot = new uPlot({ ...opts, series: [opts.series[0], ...order.map((i) => opts.series[i + 1])] }, [data[0], ...order.map((i) => data[i + 1])] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: 240 }));
    resize.observe(el);
    return () => { resize.disconnect(); plot.destroy(); };
  }, [times, series, colours, theme]);

  return <div className="chart" ref={box} role="img" aria-label={title} />;
}
