import { availableParallelism } from 'node:os';
import { BerthError } from '@berth/core';
import { type LoadedModel, ModelEvaluationError, type ModelInput, type ModelOutput } from '@berth/model';
import type { Piscina } from 'piscina';
import type { SerializedError, WorkerData, WorkerResult, WorkerTask } from './worker-protocol.js';

export interface RunOutcome {
  output: ModelOutput;
  ms: number;
  mode: 'inline' | 'worker';
}

export type ScoreOutcome =
  | { ok: true; json: Uint8Array; ms: number }
  | { ok: false; error: Error; phase: 'parse' | 'predict'; inputDescription: string };

export interface ModelRunnerOptions {
  /** Worker threads; 0 runs every prediction on the event loop. */
  workers: number;
  allowCode: boolean;
  /**
   * Predictions whose measured cost is at most this many milliseconds run inline on the event loop:
   * for iris-size requests a worker round trip costs more main-thread time than the run itself.
   * 0 sends everything to the pool.
   */
  inlineBudgetMs: number;
  /** Request bodies at least this large are parsed, run and serialized in a worker. */
  workerBodyBytes: number;
}

/** A cheap cancellation token; an AbortSignal is made from it only when work goes to a worker. */
export class Cancellation {
  private listener: (() => void) | undefined;
  cancelled = false;

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.listener?.();
  }

  toSignal(): AbortSignal {
    const controller = new AbortController();
    if (this.cancelled) controller.abort();
    else this.listener = () => controller.abort();
    return controller.signal;
  }
}

/** The pool failed (worker crashed, task aborted), as opposed to the model rejecting the input. */
export class RunnerFailure extends Error {
  override readonly name = 'RunnerFailure';
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export function rowCountOf(input: ModelInput): number {
  if (input.kind === 'columns') return input.rowCount;
  for (const tensor of Object.values(input.tensors)) return tensor.shape[0] ?? 1;
  return 0;
}

/**
 * Cost model for the inline/worker choice: a fixed part learnt from small runs and a per-row part
 * learnt from larger ones. The fixed part is the minimum of the last few small-run samples: a run's
 * true cost is the lower envelope of what the workers measure, and preemption on a busy machine
 * only ever adds time. (An average let one preempted sample push iris runs over the budget, and a
 * burst of ~1.3 ms-of-CPU worker round trips followed: measured at ~1 in 40 iris requests under
 * c=32 on a shared machine, instead of 1 in 128.)
 */
class CostModel {
  private readonly recent: number[] = [];
  private fixedMs: number | undefined;
  private perRowMs: number | undefined;
  private static readonly smallRows = 8;
  private static readonly window = 8;

  constructor(private readonly clampMs: number) {}

  record(rows: number, measuredMs: number): void {
    const ms = Math.min(measuredMs, this.clampMs);
    if (rows <= CostModel.smallRows) {
      this.recent.push(ms);
      if (this.recent.length > CostModel.window) this.recent.shift();
      this.fixedMs = Math.min(...this.recent);
    } else if (measuredMs < this.clampMs) {
      const perRow = Math.max(0, measuredMs - (this.fixedMs ?? 0)) / rows;
      this.perRowMs = this.perRowMs === undefined ? perRow : this.perRowMs * 0.8 + perRow * 0.2;
    } else {
      // Too slow to learn a slope from; make sure this size is not tried inline again soon.
      this.perRowMs = Math.max(this.perRowMs ?? 0, measuredMs / rows);
    }
  }

  estimate(rows: number): number | undefined {
    if (this.fixedMs === undefined) return undefined;
    if (rows <= CostModel.smallRows) return this.fixedMs;
    if (this.perRowMs === undefined) return undefined;
    return this.fixedMs + this.perRowMs * rows;
  }
}

export class ModelRunner {
  /**
   * Measured inside the workers, where nothing else shares the thread: the model's own time for a
   * run of a given size, i.e. how long the same run would block the event loop. (An inline run's
   * wall time is no measure: onnxruntime-node defers `run` with setImmediate, so it includes other
   * requests' callbacks.)
   */
  private readonly workerCost: CostModel;
  private warmupRuns = 0;
  private sinceRefresh = 0;
  private lastRefresh = 0;

  private constructor(
    readonly model: LoadedModel,
    private readonly pool: Piscina | undefined,
    private readonly options: ModelRunnerOptions,
  ) {
    this.workerCost = new CostModel(Math.max(options.inlineBudgetMs * 4, 2));
  }

  static async create(model: LoadedModel, options: ModelRunnerOptions): Promise<ModelRunner> {
    if (options.workers <= 0) return new ModelRunner(model, undefined, options);
    const { Piscina } = await import('piscina');
    const workerData: WorkerData = { directory: model.directory, flavor: model.flavor, allowCode: options.allowCode };
    const pool = new Piscina({
      filename: new URL('./inference-worker.js', import.meta.url).href,
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      workerData,
    });
    return new ModelRunner(model, pool, options);
  }

  get workers(): number {
    return this.pool ? this.options.workers : 0;
  }

  /** Loads the model in every worker (one concurrent task per worker) and surfaces load errors. */
  async warmWorkers(): Promise<void> {
    await this.readinessInWorkers(undefined, undefined);
  }

  /** Runs the readiness example in every worker: a pool that cannot predict is not ready. */
  async readinessInWorkers(input: ModelInput | undefined, params: Record<string, unknown> | undefined): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    const task: WorkerTask = input === undefined ? { kind: 'ready' } : { kind: 'ready', input, params };
    const results = await Promise.all(Array.from({ length: this.options.workers }, () => pool.run(task)));
    for (const result of results as WorkerResult[]) if (!result.ok) throw reviveError(result.error);
  }

  // Not async: on the inline path an async wrapper around the model's promise costs extra microtask
  // turns per request.
  run(
    input: ModelInput,
    params: Record<string, unknown> | undefined,
    cancellation?: Cancellation,
  ): Promise<RunOutcome> {
    const rows = rowCountOf(input);
    if (this.shouldRunInline(rows)) {
      const start = performance.now();
      let running: Promise<ModelOutput>;
      try {
        running = this.model.predict(input, params);
      } catch (error) {
        return Promise.reject(error);
      }
      return running.then((output) => ({ output, ms: performance.now() - start, mode: 'inline' as const }));
    }
    return this.runInWorker(input, params, rows, cancellation?.toSignal());
  }

  /**
   * Inline when the workers' measurements put a run of this size within the budget (a model runs a
   * few times in the pool before anything runs inline). One eligible request in 128, but at most
   * one every 250 ms, still goes to the pool so the estimate follows a model whose cost changes: a
   * pool round trip costs an iris request ~1.3 ms of CPU, so under load a fixed 1-in-128 share was
   * ~10 µs of CPU on every request.
   */
  private shouldRunInline(rows: number): boolean {
    if (!this.pool) return true;
    const budget = this.options.inlineBudgetMs;
    if (budget <= 0 || this.warmupRuns < 3) return false;
    const estimate = this.workerCost.estimate(rows);
    if (estimate === undefined || estimate > budget) return false;
    if (++this.sinceRefresh >= 128) {
      const now = performance.now();
      if (now - this.lastRefresh >= 250) {
        this.sinceRefresh = 0;
        this.lastRefresh = now;
        return false;
      }
    }
    return true;
  }

  private async runInWorker(
    input: ModelInput,
    params: Record<string, unknown> | undefined,
    rows: number,
    signal: AbortSignal | undefined,
  ): Promise<RunOutcome> {
    const pool = this.pool as Piscina;
    let result: WorkerResult;
    try {
      const task: WorkerTask = { kind: 'predict', input, params };
      result = (await pool.run(task, {
        transferList: transferablesOf(input),
        ...(signal ? { signal } : {}),
      })) as WorkerResult;
    } catch (error) {
      if (signal?.aborted) throw new RunnerFailure('The prediction was cancelled', { cause: error });
      throw new RunnerFailure(`The inference worker failed: ${(error as Error).message}`, { cause: error });
    }
    if (!result.ok) throw reviveError(result.error);
    this.warmupRuns++;
    this.workerCost.record(rows, result.ms);
    return { output: result.output as ModelOutput, ms: result.ms, mode: 'worker' };
  }

  /** True when a whole request should be parsed, run and serialized in a worker. */
  prefersWorkerFor(bodyBytes: number): boolean {
    return this.pool !== undefined && bodyBytes >= this.options.workerBodyBytes;
  }

  /**
   * A whole /invocations request in a worker: for large bodies, JSON parsing and serialization
   * cost far more event-loop time than the model run, so they leave the event loop too.
   */
  async scoreInWorker(body: Uint8Array, format: 'json' | 'csv', cancellation?: Cancellation): Promise<ScoreOutcome> {
    const pool = this.pool as Piscina;
    const signal = cancellation?.toSignal();
    let result: WorkerResult;
    try {
      const task: WorkerTask = { kind: 'score', body, format };
      const owned =
        body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
      result = (await pool.run(task, {
        ...(owned ? { transferList: [body.buffer as ArrayBuffer] } : {}),
        ...(signal ? { signal } : {}),
      })) as WorkerResult;
    } catch (error) {
      if (signal?.aborted) throw new RunnerFailure('The prediction was cancelled', { cause: error });
      throw new RunnerFailure(`The inference worker failed: ${(error as Error).message}`, { cause: error });
    }
    if (result.ok) return { ok: true, json: result.json as Uint8Array, ms: result.ms };
    return {
      ok: false,
      error: reviveError(result.error),
      phase: result.phase ?? 'predict',
      inputDescription: result.inputDescription ?? 'input',
    };
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    await this.model.close();
  }
}

/**
 * Large typed arrays that own their whole buffer move to the worker instead of being copied.
 * Small ones are copied: they may live in Node's shared Buffer pool, and copying them is cheap.
 */
function transferablesOf(input: ModelInput): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  const consider = (values: unknown) => {
    if (!ArrayBuffer.isView(values)) return;
    const buffer = values.buffer;
    if (!(buffer instanceof ArrayBuffer) || values.byteLength < 65_536) return;
    if (values.byteOffset !== 0 || values.byteLength !== buffer.byteLength || buffers.includes(buffer)) return;
    buffers.push(buffer);
  };
  if (input.kind === 'columns') for (const column of input.columns) consider(column.values);
  else for (const tensor of Object.values(input.tensors)) consider(tensor.data);
  return buffers;
}

function reviveError(serialized: SerializedError): Error {
  if (serialized.evaluation) {
    const error = new ModelEvaluationError(String(serialized.details?.stack_trace ?? serialized.stack ?? ''));
    if (serialized.stack) error.stack = serialized.stack;
    return error;
  }
  if (serialized.berth) {
    const error = new BerthError(serialized.message, {
      code: serialized.code ?? 'INTERNAL_ERROR',
      ...(serialized.details ? { details: serialized.details } : {}),
    });
    if (serialized.stack) error.stack = serialized.stack;
    return error;
  }
  const error = new Error(serialized.message);
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}
