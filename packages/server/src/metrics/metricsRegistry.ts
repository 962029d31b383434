/**
 * A small Prometheus registry: counters, gauges and histograms with labels,
 * rendered in the text exposition format 0.0.4. Small enough to own rather
 * than depend on prom-client; label values are escaped as the format says.
 *
 * Label sets are bounded by the caller: only use labels with few values
 * (rule ids, severities, routes), never ids of traces or spans.
 */
type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function renderLabels(labels: Labels, extra?: [string, string]): string {
  const parts = Object.keys(labels).map((k) => `${k}="${escapeLabel(labels[k])}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatNumber(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

function key(labelNames: readonly string[], labels: Labels): string {
  return labelNames.map((n) => labels[n] ?? '').join('\u0000');
}

interface Metric {
  render(): string;
}

export class Counter<L extends string = never> implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string, private readonly labelNames: readonly L[] = []) {}

  inc(labels: Record<L, string> = {} as Record<L, string>, by = 1): void {
    const k = key(this.labelNames, labels);
    const entry = this.values.get(k);
    if (entry) entry.value += by;
    else this.values.set(k, { labels: { ...labels }, value: by });
  }

  get(labels: Record<L, string> = {} as Record<L, string>): number {
    return this.values.get(key(this.labelNames, labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.labelNames.length === 0 && this.values.size === 0) lines.push(`${this.name} 0`);
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${renderLabels(labels)} ${formatNumber(value)}`);
    return lines.join('\n');
  }
}

/** A gauge, or a counter kept elsewhere (e.g. by the detector), whose value is read when rendered. */
export class Observed implements Metric {
  constructor(readonly name: string, readonly help: string, private readonly type: 'gauge' | 'counter', private readonly read: () => number) {}

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, `${this.name} ${formatNumber(this.read())}`].join('\n');
  }
}

export class Histogram<L extends string = never> implements Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[], private readonly labelNames: readonly L[] = []) {}

  observe(value: number, labels: Record<L, string> = {} as Record<L, string>): void {
    const k = key(this.labelNames, labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Cumulative counts per upper bound (ascending), sum and count of one label set. */
  snapshot(labels: Record<L, string> = {} as Record<L, string>): { bounds: readonly number[]; cumulative: number[]; sum: number; count: number } {
    const s = this.series.get(key(this.labelNames, labels));
    return { bounds: this.buckets, cumulative: s ? [...s.counts] : this.buckets.map(() => 0), sum: s?.sum ?? 0, count: s?.count ?? 0 };
  }

  /** Observations so far for a label set. */
  count(labels: Record<L, string> = {} as Record<L, string>): number {
    return this.series.get(key(this.labelNames, labels))?.count ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      for (let i = 0; i < this.buckets.length; i++) lines.push(`${this.name}_bucket${renderLabels(s.labels, ['le', formatNumber(this.buckets[i])])} ${s.counts[i]}`);
      lines.push(`${this.name}_bucket${renderLabels(s.labels, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(s.labels)} ${formatNumber(s.sum)}`);
      lines.push(`${this.name}_count${renderLabels(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.add(new Counter<L>(name, help, labelNames));
  }

  gauge(name: string, help: string, read: () => number): Observed {
    return this.add(new Observed(name, help, 'gauge', read));
  }

  observedCounter(name: string, help: string, read: () => number): Observed {
    return this.add(new Observed(name, help, 'counter', read));
  }

  histogram<L extends string = never>(name: string, help: string, buckets: readonly number[], labelNames: readonly L[] = []): Histogram<L> {
    return this.add(new Histogram<L>(name, help, buckets, labelNames));
  }

  private add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  /** The text exposition format. */
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
