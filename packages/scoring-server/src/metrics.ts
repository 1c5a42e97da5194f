import type { Counter, Gauge, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.js';

/**
 * The server's Prometheus metrics, in a Registry of its own so that two servers in one process
 * (tests, an embedding app) never share or clash over the global registry.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  // The per-request ones are FastCounter/FastHistogram: prom-client hashes labels on every call.
  readonly requests: FastCounter<'route' | 'method' | 'status'>;
  readonly requestDuration: FastHistogram<'route' | 'method'>;
  readonly inferenceDuration: FastHistogram<'mode'>;
  readonly batchRequests: FastHistogram;
  readonly batchRows: FastHistogram;
  readonly modelLoadSeconds: Gauge<'flavor'>;
  /** A plain count, read by the gauge when /metrics is scraped. */
  readonly inFlight: { inc(): void; dec(): void };
  readonly swaps: Counter<'result'>;
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
  const inferenceDuration = new FastHistogram(
    'berth_inference_duration_seconds',
    'Time in model.predict per model run; mode "inline" is the wall time of the call on the event loop (queueing included), "worker" the time inside the worker.',
    ['mode'],
    latencyBuckets,
    registry,
  );
  const inline = inferenceDuration.labels({ mode: 'inline' });
  const worker = inferenceDuration.labels({ mode: 'worker' });
  let inFlight = 0;
  new prom.Gauge({
    name: 'berth_http_requests_in_flight',
    help: 'Requests being processed right now.',
    registers,
    collect() {
      this.set(inFlight);
    },
  });
  return {
    observeInference: (mode, seconds) => (mode === 'inline' ? inline : worker).observe(seconds),
    inferenceDuration,
    registry,
    requests: new FastCounter(
      'berth_http_requests_total',
      'HTTP requests answered, by route template, method and status code.',
      ['route', 'method', 'status'],
      registry,
    ),
    requestDuration: new FastHistogram(
      'berth_http_request_duration_seconds',
      'Time from receiving a request to sending its response, by route template.',
      ['route', 'method'],
      latencyBuckets,
      registry,
    ),
    batchRequests: new FastHistogram(
      'berth_batch_size_requests',
      'Requests merged into one model run (1 when dynamic batching is off or found nothing to merge).',
      [],
      [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registry,
    ),
    batchRows: new FastHistogram(
      'berth_batch_size_rows',
      'Rows (first dimension) per model run.',
      [],
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384, 65536, 262144],
      registry,
    ),
    modelLoadSeconds: new prom.Gauge({
      name: 'berth_model_load_seconds',
      help: 'Time the serving model took to load (resolve, load, readiness inference).',
      labelNames: ['flavor'] as const,
      registers,
    }),
    inFlight: {
      inc: () => {
        inFlight++;
      },
      dec: () => {
        inFlight--;
      },
    },
    swaps: new prom.Counter({
      name: 'berth_model_swaps_total',
      help: 'Model swaps through the control channel, by result (ok or failed).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}
