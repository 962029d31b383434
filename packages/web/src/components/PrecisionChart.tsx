/** A rule's precision over time (one point per bucket with triaged signals) with its 95 % Wilson band, drawn with uPlot. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { RulePrecision } from '../api/types';
import { useTheme } from '../lib/theme';

/** `since` and `until` (ms) fix the time axis, so a single point sits in its period rather than in an auto-scaled one. */
export function PrecisionChart({ trend, since, until, title }: { trend: RulePrecision['trend']; since: number; until: number; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useTheme();

  useEffect(() => {
    const el = box.current;
    if (!el || trend.length === 0) return;
    const styles = getComputedStyle(document.documentElement);
    const axisColour = styles.getPropertyValue('--muted').trim() || '#666';
    const gridColour = styles.getPropertyValue('--border').trim() || '#ddd';
    const accent = styles.getPropertyValue('--accent').trim() || '#2563eb';
    const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(0)} %`);
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 200,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => [since / 1000, until / 1000] }, y: { range: [0, 1] } },
      axes: [
        { stroke: axisColour, grid: { stroke: gridColour, width: 1 }, ticks: { stroke: gridColour } },
        { stroke: axisColour, grid: { stroke: gridColour, width: 1 }, ticks: { stroke: gridColour }, values: (_u, vals) => vals.map((v) => `${Math.round(v * 100)} %`) },
      ],
      series: [
        {},
        { label: 'precision', stroke: accent, width: 2, points: { show: true, size: 6 }, value: (_u, v) => pct(v) },
        { label: '95 % low', stroke: axisColour, width: 1, dash: [4, 4], points: { show: false }, value: (_u, v) => pct(v) },
        { label: '95 % high', stroke: axisColour, width: 1, dash: [4, 4], points: { show: false }, value: (_u, v) => pct(v) },
      ],
    };
    const data: uPlot.AlignedData = [
      trend.map((b) => b.start / 1000),
      trend.map((b) => b.precision),
      trend.map((b) => b.interval?.[0] ?? null),
      trend.map((b) => b.interval?.[1] ?? null),
    ];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: 200 }));
    resize.observe(el);
    return () => { resize.disconnect(); plot.destroy(); };
  }, [trend, since, until, theme]);

  return <div className="chart precision-chart" ref={box} role="img" aria-label={title} />;
}
