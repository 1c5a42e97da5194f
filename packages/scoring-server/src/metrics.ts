import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The server's Prometheus metrics, in a Registry of its own so that two servers in one process
 * (tests, an embedding app) never share or clash over the global registry.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly requestDuration: Histogram<'route' | 'method'>;
  readonly inferenceDuration: Histogram<'mode'>;
  readonly batchRequests: Histogram;
  readonly batchRows: Histogram;
  readonly modelLoadSeconds: Gauge<'flavor'>;
  readonly inFlight: Gauge;
  readonly swaps: Counter<'result'>;
  /** inferenceDuration through label-bound children (no label hashing per request). */
  observeInference(mode: 'inline' | 'worker', seconds: number): void;
}

const latencyBuckets = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export async function createServerMetrics(): Promise<ServerMetrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const inferenceDuration = new prom.Histogram({
    name: 'berth_inference_duration_seconds',
    help: 'Time in model.predict per model run; mode "inline" is the wall time of the call on the event loop (queueing included), "worker" the time inside the worker.',
    labelNames: ['mode'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const inline = inferenceDuration.labels({ mode: 'inline' });
  const worker = inferenceDuration.labels({ mode: 'worker' });
  return {
    observeInference: (mode, seconds) => (mode === 'inline' ? inline : worker).observe(seconds),
    inferenceDuration,
    registry,
    requests: new prom.Counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    requestDuration: new prom.Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response, by route template.',
      labelNames: ['route', 'method'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    batchRequests: new prom.Histogram({
      name: 'berth_batch_size_requests',
      help: 'Requests merged into one model run (1 when dynamic batching is off or found nothing to merge).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    batchRows: new prom.Histogram({
      name: 'berth_batch_size_rows',
      help: 'Rows (first dimension) per model run.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384, 65536, 262144],
      registers,
    }),
    modelLoadSeconds: new prom.Gauge({
      name: 'berth_model_load_seconds',
      help: 'Time the serving model took to load (resolve, load, readiness inference).',
      labelNames: ['flavor'] as const,
      registers,
    }),
    inFlight: new prom.Gauge({
      name: 'berth_http_requests_in_flight',
      help: 'Requests being processed right now.',
      registers,
    }),
    swaps: new prom.Counter({
      name: 'berth_model_swaps_total',
      help: 'Model swaps through the control channel, by result (ok or failed).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}
