/**
 * The server's Prometheus metrics, written in the text exposition format by hand: a handful of
 * series with bounded labels (route templates, never raw URLs), each bound once so that recording
 * on the invocation path is a map hit and a few additions.
 */

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

class Counter {
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** A series to add to, looked up once per label set. */
  bind(labels: Record<string, string>): { inc(by?: number): void } {
    const key = labelText(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, value: 0 };
      this.series.set(key, entry);
    }
    const bound = entry;
    return {
      inc: (by = 1) => {
        bound.value += by;
      },
    };
  }

  inc(labels: Record<string, string>, by = 1): void {
    this.bind(labels).inc(by);
  }

  exposition(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const entry of this.series.values()) lines.push(`${this.name}${labelText(entry.labels)} ${entry.value}`);
    return lines.join('\n');
  }
}

interface HistogramSeries {
  labels: Record<string, string>;
  counts: Float64Array;
  sum: number;
  count: number;
}

class Histogram {
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  bind(labels: Record<string, string>): { observe(value: number): void } {
    const key = labelText(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    const bound = entry;
    const buckets = this.buckets;
    return {
      observe: (value) => {
        let index = 0;
        while (index < buckets.length && value > (buckets[index] as number)) index++;
        (bound.counts as Float64Array)[index] = ((bound.counts[index] as number) ?? 0) + 1;
        bound.sum += value;
        bound.count += 1;
      },
    };
  }

  exposition(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const entry of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += entry.counts[index] as number;
        lines.push(`${this.name}_bucket${labelText({ ...entry.labels, le: String(bound) })} ${cumulative}`);
      });
      cumulative += entry.counts[this.buckets.length] as number;
      lines.push(`${this.name}_bucket${labelText({ ...entry.labels, le: '+Inf' })} ${cumulative}`);
      lines.push(`${this.name}_sum${labelText(entry.labels)} ${entry.sum}`);
      lines.push(`${this.name}_count${labelText(entry.labels)} ${entry.count}`);
    }
    return lines.join('\n');
  }
}

export type InvocationMode = 'proxy' | 'predict' | 'stream';

export class ServerMetrics {
  readonly requests = new Counter(
    'berth_server_requests_total',
    'HTTP requests answered, by route template and status',
  );
  readonly duration = new Histogram(
    'berth_server_request_duration_seconds',
    'Time from request to the end of the answer, by route template',
    DURATION_BUCKETS,
  );
  readonly operations = new Counter('berth_server_operations_total', 'Operations finished, by kind and outcome');
  readonly invocations = new Counter(
    'berth_server_invocations_total',
    'MLflow invocations by how they were served: proxied to the deployment, through predict, or streamed',
  );
  private readonly bound = new Map<
    string,
    { duration: { observe(value: number): void }; statuses: Map<number, { inc(): void }> }
  >();

  constructor(private readonly operationsInFlight: () => number) {}

  /** Records one answered request; `route` must be a template (bounded), never a raw URL. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.recorder(route, method)(status, seconds);
  }

  /** A recorder bound to one route and method, for a path that records on every request. */
  recorder(route: string, method: string): (status: number, seconds: number) => void {
    const key = `${method} ${route}`;
    let entry = this.bound.get(key);
    if (!entry) {
      entry = { duration: this.duration.bind({ route }), statuses: new Map() };
      this.bound.set(key, entry);
    }
    const { duration, statuses } = entry;
    return (status, seconds) => {
      let counter = statuses.get(status);
      if (!counter) {
        counter = this.requests.bind({ route, method, status: String(status) });
        statuses.set(status, counter);
      }
      counter.inc();
      duration.observe(seconds);
    };
  }

  exposition(): string {
    const inFlight = [
      '# HELP berth_server_operations_in_flight Operations running now',
      '# TYPE berth_server_operations_in_flight gauge',
      `berth_server_operations_in_flight ${this.operationsInFlight()}`,
    ].join('\n');
    return `${[this.requests, this.duration, inFlight, this.operations, this.invocations]
      .map((metric) => (typeof metric === 'string' ? metric : metric.exposition()))
      .join('\n')}\n`;
  }
}
