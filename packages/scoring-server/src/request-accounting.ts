import type { ServerMetrics } from './metrics.js';

/**
 * One request from its headers to its answer. It leaves the in-flight gauge exactly once: when it
 * is answered (`answered`, which also counts it by route and status and times it), or when its
 * client went away before the request was complete and no answer will follow (`abandoned`).
 */
export interface RequestRecord {
  readonly started: number;
  answered(status: number): void;
  abandoned(): void;
}

interface Series {
  counters: Map<number, { inc(): void }>;
  duration: { observe(value: number): void };
}

/**
 * The server's request accounting, used by every route: `berth_http_requests_in_flight`,
 * `berth_http_requests_total` and `berth_http_request_duration_seconds` labelled with the route
 * template (`unmatched` for a path no route has), and the answered count of `/-/berth/status`.
 */
export class RequestAccounting {
  private served = 0;
  private open = 0;
  // Series bound once per route, method and status: an observation on them does no label work.
  private readonly series = new Map<string, Series>();

  constructor(private readonly metrics: ServerMetrics) {}

  /** Requests between their headers and their answer (or their client leaving). */
  get inFlight(): number {
    return this.open;
  }

  /** Requests answered since the start. */
  get answeredCount(): number {
    return this.served;
  }

  begin(route: string, method: string): RequestRecord {
    const { metrics } = this;
    metrics.inFlight.inc();
    this.open++;
    const started = performance.now();
    let pending = true;
    return {
      started,
      answered: (status) => {
        if (!pending) return;
        pending = false;
        metrics.inFlight.dec();
        this.open--;
        this.served++;
        const series = this.seriesOf(route, method);
        let counter = series.counters.get(status);
        if (counter === undefined) {
          counter = metrics.requests.labels({ route, method, status: String(status) });
          series.counters.set(status, counter);
        }
        counter.inc();
        series.duration.observe((performance.now() - started) / 1000);
      },
      abandoned: () => {
        if (!pending) return;
        pending = false;
        metrics.inFlight.dec();
        this.open--;
      },
    };
  }

  private seriesOf(route: string, method: string): Series {
    const key = `${method} ${route}`;
    let found = this.series.get(key);
    if (found === undefined) {
      found = { counters: new Map(), duration: this.metrics.requestDuration.labels({ route, method }) };
      this.series.set(key, found);
    }
    return found;
  }
}
