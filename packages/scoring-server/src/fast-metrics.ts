import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request path, exposed through a prom-client Registry.
 *
 * prom-client hashes the label object on every call, bound children included (`labels()` only
 * saves the caller from building the object). Here a series is looked up once, when a child is
 * made, and an observation is a bucket search plus three additions. The text exposition is the
 * same as prom-client's: the registry formats what `get()` returns.
 */

type LabelValues<L extends string> = Record<L, string>;

/** What a prom-client Registry reads from a metric when it writes the exposition. */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
  aggregator: 'sum';
}

interface HistogramSeries {
  labels: Record<string, string>;
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

function seriesKey(labels: Record<string, string>, names: readonly string[]): string {
  let key = '';
  for (const name of names) key += `${labels[name] ?? ''}\u0000`;
  return key;
}

function checkLabels(metric: string, labels: Record<string, string>, names: readonly string[]): void {
  for (const name of Object.keys(labels)) {
    if (!names.includes(name))
      throw new Error(`Added label "${name}" is not included in initial labelset of ${metric}`);
  }
}

export class FastHistogram<L extends string = never> {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    registry.registerMetric(this as unknown as Metric);
  }

  /** A series bound to `labels`: `observe` on it does no label work at all. */
  labels(labels: LabelValues<L>): { observe(value: number): void } {
    const series = this.seriesFor(labels);
    return { observe: (value) => this.record(series, value) };
  }

  observe(...args: [L] extends [never] ? [value: number] : [labels: LabelValues<L>, value: number]): void {
    const [labels, value] = args.length === 1 ? [{}, args[0]] : [args[0], args[1]];
    this.record(this.seriesFor(labels as Record<string, string>), value as number);
  }

  private seriesFor(labels: Record<string, string>): HistogramSeries {
    const key = seriesKey(labels, this.labelNames);
    let series = this.series.get(key);
    if (series === undefined) {
      checkLabels(this.name, labels, this.labelNames);
      series = { labels: { ...labels }, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    return series;
  }

  private record(series: HistogramSeries, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > (bounds[index] as number)) index++;
    (series.counts[index] as number)++;
    series.sum += value;
    series.count++;
  }

  get(): MetricSnapshot {
    const values: MetricSnapshot['values'] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (let index = 0; index <= this.bounds.length; index++) {
        cumulative += series.counts[index] as number;
        const le = index < this.bounds.length ? (this.bounds[index] as number) : '+Inf';
        values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

export class FastCounter<L extends string> {
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  labels(labels: LabelValues<L>): { inc(amount?: number): void } {
    const series = this.seriesFor(labels);
    return {
      inc: (amount = 1) => {
        series.value += amount;
      },
    };
  }

  inc(labels: LabelValues<L>, amount = 1): void {
    this.seriesFor(labels).value += amount;
  }

  private seriesFor(labels: Record<string, string>) {
    const key = seriesKey(labels, this.labelNames);
    let series = this.series.get(key);
    if (series === undefined) {
      checkLabels(this.name, labels, this.labelNames);
      series = { labels: { ...labels }, value: 0 };
      this.series.set(key, series);
    }
    return series;
  }

  get(): MetricSnapshot {
    const values = [...this.series.values()].map((series) => ({ labels: series.labels, value: series.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}
