import type { ModelInput, ModelOutput } from '@berth/model';
import { type Cancellation, type RunOutcome, rowCountOf } from './model-runner.js';

export interface BatchRunner {
  run(input: ModelInput, params: Record<string, unknown> | undefined, cancellation?: Cancellation): Promise<RunOutcome>;
}

export interface BatchHooks {
  concatInputs(inputs: ModelInput[]): ModelInput;
  splitOutput(output: ModelOutput, rowCounts: number[]): ModelOutput[];
  onBatch?(requests: number, rows: number): void;
}

interface Pending {
  input: ModelInput;
  params: Record<string, unknown> | undefined;
  rows: number;
  resolve(outcome: RunOutcome): void;
  reject(error: unknown): void;
}

interface Queue {
  items: Pending[];
  rows: number;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
}

/**
 * Dynamic batching: requests whose inputs have the same columns/tensor names, dtypes and trailing
 * dimensions (and equal params) that arrive within `maxDelayMs` of each other are concatenated
 * row-wise, run once, and the output is split back by row counts. A failed batch is re-run request
 * by request so that one bad input only fails its own request, with its own error.
 */
export class DynamicBatcher {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly runner: BatchRunner,
    private readonly hooks: BatchHooks,
    private readonly maxRows: number,
    private readonly maxDelayMs: number,
  ) {}

  submit(
    input: ModelInput,
    params: Record<string, unknown> | undefined,
    cancellation?: Cancellation,
  ): Promise<RunOutcome> {
    const rows = rowCountOf(input);
    const key = rows >= this.maxRows ? undefined : batchKey(input, params);
    if (key === undefined) {
      this.hooks.onBatch?.(1, rows);
      return this.runner.run(input, params, cancellation);
    }
    return new Promise<RunOutcome>((resolve, reject) => {
      let queue = this.queues.get(key);
      if (queue && queue.rows + rows > this.maxRows) {
        this.flush(key, queue);
        queue = undefined;
      }
      if (!queue) {
        queue = { items: [], rows: 0, timer: undefined };
        this.queues.set(key, queue);
        const created = queue;
        // Delay 0: batch whatever arrives in the same event-loop turn (no added latency).
        created.timer =
          this.maxDelayMs <= 0
            ? setImmediate(() => this.flush(key, created))
            : setTimeout(() => this.flush(key, created), this.maxDelayMs);
      }
      queue.items.push({ input, params, rows, resolve, reject });
      queue.rows += rows;
      if (queue.rows >= this.maxRows) this.flush(key, queue);
    });
  }

  private flush(key: string, queue: Queue): void {
    if (this.queues.get(key) === queue) this.queues.delete(key);
    if (queue.timer) {
      clearTimeout(queue.timer as NodeJS.Timeout);
      clearImmediate(queue.timer as NodeJS.Immediate);
    }
    queue.timer = undefined;
    const items = queue.items;
    if (items.length === 0) return;
    void this.runBatch(items, queue.rows);
  }

  private async runBatch(items: Pending[], rows: number): Promise<void> {
    if (items.length === 1) {
      const [only] = items as [Pending];
      this.hooks.onBatch?.(1, rows);
      this.runner.run(only.input, only.params).then(only.resolve, only.reject);
      return;
    }
    let outputs: ModelOutput[] | undefined;
    let outcome: RunOutcome | undefined;
    try {
      const merged = this.hooks.concatInputs(items.map((item) => item.input));
      this.hooks.onBatch?.(items.length, rows);
      outcome = await this.runner.run(merged, items[0]?.params);
      outputs = this.hooks.splitOutput(
        outcome.output,
        items.map((item) => item.rows),
      );
    } catch {
      outputs = undefined;
    }
    if (outcome && outputs && outputs.length === items.length) {
      const share = outcome.ms / items.length;
      items.forEach((item, index) => {
        item.resolve({ output: outputs[index] as ModelOutput, ms: share, mode: outcome.mode });
      });
      return;
    }
    for (const item of items) {
      this.hooks.onBatch?.(1, item.rows);
      this.runner.run(item.input, item.params).then(item.resolve, item.reject);
    }
  }

  /** Runs whatever is queued now (used when draining). */
  flushAll(): void {
    for (const [key, queue] of [...this.queues]) this.flush(key, queue);
  }
}

function batchKey(input: ModelInput, params: Record<string, unknown> | undefined): string | undefined {
  let key = params === undefined ? '' : JSON.stringify(params);
  if (input.kind === 'columns') {
    key += '|c';
    for (const column of input.columns) key += `|${column.name}:${column.dtype ?? kindOf(column.values)}`;
    return key;
  }
  const names = Object.keys(input.tensors).sort();
  if (names.length === 0) return undefined;
  key += '|t';
  for (const name of names) {
    const tensor = input.tensors[name];
    if (!tensor || tensor.shape.length === 0) return undefined;
    key += `|${name}:${tensor.dtype}:${tensor.shape.slice(1).join('x')}`;
  }
  return key;
}

function kindOf(values: unknown): string {
  return Array.isArray(values) ? 'array' : ((values as object).constructor?.name ?? 'typed');
}
