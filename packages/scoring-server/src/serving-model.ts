import type { LoadedModel, ModelInput, ModelSignature } from '@berth/model';
import type { Logger } from 'pino';
import { DynamicBatcher } from './dynamic-batcher.js';
import type { ServerMetrics } from './metrics.js';
import { type Cancellation, ModelRunner, type RunOutcome, rowCountOf } from './model-runner.js';

export interface ServingModelOptions {
  flavor?: string | undefined;
  allowCode: boolean;
  workers: number;
  inlineBudgetMs: number;
  workerBodyBytes: number;
  maxBatchSize: number;
  maxBatchDelayMs: number;
  cacheDir?: string | undefined;
}

/**
 * One loaded model with its worker pool and batcher: the unit that a swap replaces. Requests hold a
 * lease while they use it, so a retired model is closed only after its last request finished.
 */
export class ServingModel {
  private leases = 0;
  private drained: (() => void) | undefined;
  private retired = false;
  private readonly batcher: DynamicBatcher | undefined;

  private constructor(
    readonly modelUri: string,
    readonly runner: ModelRunner,
    readonly loadedAt: Date,
    readonly loadSeconds: number,
    private readonly metrics: ServerMetrics,
    options: ServingModelOptions,
    modelModule: typeof import('@berth/model'),
  ) {
    if (options.maxBatchSize > 1) {
      this.batcher = new DynamicBatcher(
        runner,
        {
          concatInputs: modelModule.concatInputs,
          splitOutput: modelModule.splitOutput,
          onBatch: (requests, rows) => this.recordBatch(requests, rows),
        },
        options.maxBatchSize,
        options.maxBatchDelayMs,
      );
    }
  }

  get model(): LoadedModel {
    return this.runner.model;
  }
  get flavor(): string {
    return this.runner.model.flavor;
  }
  get signature(): ModelSignature | undefined {
    return this.runner.model.signature;
  }

  /**
   * Resolves and loads the model, starts its workers and runs a readiness inference on the model's
   * input example (main thread and every worker). Anything that fails closes what was opened.
   */
  static async load(
    modelUri: string,
    options: ServingModelOptions,
    metrics: ServerMetrics,
    logger: Logger,
  ): Promise<ServingModel> {
    const started = performance.now();
    const modelModule = await import('@berth/model');
    const directory = await modelModule.resolveModelUri(
      modelUri,
      options.cacheDir ? { cacheDir: options.cacheDir } : {},
    );
    const model = await modelModule.loadModel(directory, {
      ...(options.flavor ? { flavor: options.flavor } : {}),
      allowCode: options.allowCode,
    });
    let runner: ModelRunner | undefined;
    try {
      runner = await ModelRunner.create(model, {
        workers: options.workers,
        allowCode: options.allowCode,
        inlineBudgetMs: options.inlineBudgetMs,
        workerBodyBytes: options.workerBodyBytes,
      });
      await runner.warmWorkers();
      const example = await model.servingInputExample();
      if (example === undefined) {
        logger.info({ flavor: model.flavor }, 'model has no input example; readiness check is the load alone');
      } else {
        const request = modelModule.parseScoringRequest(example, 'json', model.signature);
        await runner.model.predict(request.input, request.params);
        await runner.readinessInWorkers(request.input, request.params);
      }
    } catch (error) {
      if (runner) await runner.close().catch(() => undefined);
      else await model.close().catch(() => undefined);
      throw error;
    }
    const loadSeconds = (performance.now() - started) / 1000;
    metrics.modelLoadSeconds.set({ flavor: model.flavor }, loadSeconds);
    return new ServingModel(modelUri, runner, new Date(), loadSeconds, metrics, options, modelModule);
  }

  acquire(): void {
    this.leases++;
  }

  release(): void {
    this.leases--;
    if (this.leases === 0 && this.drained) this.drained();
  }

  get inFlight(): number {
    return this.leases;
  }

  predict(
    input: ModelInput,
    params: Record<string, unknown> | undefined,
    cancellation?: Cancellation,
  ): Promise<RunOutcome> {
    if (this.batcher) return this.batcher.submit(input, params, cancellation);
    this.recordBatch(1, rowCountOf(input));
    return this.runner.run(input, params, cancellation);
  }

  private recordBatch(requests: number, rows: number): void {
    this.metrics.batchRequests.observe(requests);
    this.metrics.batchRows.observe(rows);
  }

  /** Waits for every lease to end, then closes the pool and the model. Idempotent. */
  async retire(): Promise<void> {
    if (this.retired) return;
    this.retired = true;
    this.batcher?.flushAll();
    if (this.leases > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.runner.close();
  }
}
