import { randomUUID } from 'node:crypto';
import { BerthError } from '@berth/core';
import type { OperationJSON, OperationKind, ProgressEventJSON } from './api-schemas.js';
import { type ErrorBody, errorReply } from './error-reply.js';

export type ResourceType = 'deployment' | 'endpoint';

/** What a target method receives to report progress and hear a cancel (spec 1.1 `OperationOptions`). */
export interface OperationControls {
  onProgress: (event: ProgressEventJSON) => void;
  signal: AbortSignal;
}

export interface OperationRequest {
  kind: OperationKind;
  resource: { type: ResourceType; name: string };
  idempotencyKey?: string | undefined;
  run: (controls: OperationControls) => Promise<unknown>;
}

export interface OperationStoreOptions {
  /** How long a finished operation stays readable. */
  retentionMs: number;
  /** At most this many finished operations are kept (oldest dropped first). */
  maxFinished: number;
  onStart?: (operation: Operation) => void;
  onFinish?: (operation: Operation, error: unknown) => void;
}

const MAX_EVENTS = 50;
const MAX_MESSAGE = 2_000;

/** One long-running call of the target, readable and waitable while it runs and after. */
export class Operation {
  readonly id = randomUUID();
  readonly createdAt = new Date();
  readonly controller = new AbortController();
  state: 'running' | 'succeeded' | 'failed' = 'running';
  revision = 0;
  updatedAt = this.createdAt;
  finishedAt: Date | undefined;
  result: unknown = null;
  error: ErrorBody | null = null;
  /** The promise of the target call; settles when the operation finishes (never rejects). */
  done: Promise<void> = Promise.resolve();
  private readonly events: (ProgressEventJSON & { seq: number; at: string })[] = [];
  private seq = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly kind: OperationKind,
    readonly resource: { type: ResourceType; name: string },
  ) {}

  get running(): boolean {
    return this.state === 'running';
  }

  progress(event: ProgressEventJSON): void {
    if (!this.running) return;
    const clean: ProgressEventJSON = { message: String(event.message ?? '').slice(0, MAX_MESSAGE) };
    if (typeof event.state === 'string') clean.state = event.state.slice(0, 200);
    if (typeof event.elapsedMs === 'number' && Number.isFinite(event.elapsedMs)) clean.elapsedMs = event.elapsedMs;
    if (typeof event.interruptHint === 'string') clean.interruptHint = event.interruptHint.slice(0, MAX_MESSAGE);
    this.seq += 1;
    this.events.push({ ...clean, seq: this.seq, at: new Date().toISOString() });
    if (this.events.length > MAX_EVENTS) this.events.shift();
    this.touch();
  }

  /** The last progress event's interrupt hint: what stopping now would leave behind. */
  get interruptHint(): string | undefined {
    for (let index = this.events.length - 1; index >= 0; index--) {
      const hint = this.events[index]?.interruptHint;
      if (hint) return hint;
    }
    return undefined;
  }

  succeed(result: unknown): void {
    this.result = result ?? null;
    this.state = 'succeeded';
    this.finishedAt = new Date();
    this.touch();
  }

  fail(error: unknown): void {
    this.error = errorReply(error).body;
    this.state = 'failed';
    this.finishedAt = new Date();
    this.touch();
  }

  requestCancel(): void {
    if (!this.running || this.controller.signal.aborted) return;
    this.controller.abort(
      new BerthError(`Operation ${this.id} was cancelled through the server.`, { code: 'CANCELLED' }),
    );
    this.touch();
  }

  /**
   * Resolves when the operation finishes, when its revision is no longer `revision` (if given), after
   * `timeoutMs`, or when `signal` aborts (the asking client went away) — whichever comes first.
   */
  wait(timeoutMs: number, revision?: number, signal?: AbortSignal): Promise<void> {
    if (!this.running || (revision !== undefined && revision !== this.revision) || timeoutMs <= 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const check = () => {
        if (!this.running || revision !== undefined) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.waiters.add(check);
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  toJSON(): OperationJSON {
    const last = this.events[this.events.length - 1];
    return {
      id: this.id,
      kind: this.kind,
      resource: { ...this.resource },
      state: this.state,
      revision: this.revision,
      createdAt: this.createdAt.toISOString(),
      updatedAt: this.updatedAt.toISOString(),
      finishedAt: this.finishedAt?.toISOString() ?? null,
      progress: last ? progressOnly(last) : null,
      events: this.events.map((event) => ({ ...event })),
      cancelRequested: this.controller.signal.aborted,
      result: this.result,
      error: this.error,
    };
  }

  private touch(): void {
    this.revision += 1;
    this.updatedAt = new Date();
    for (const waiter of [...this.waiters]) waiter();
  }
}

function progressOnly(event: ProgressEventJSON & { seq: number; at: string }): ProgressEventJSON {
  const { seq: _seq, at: _at, ...rest } = event;
  return rest;
}

/**
 * Every operation the server runs: at most one per resource at a time, each independent of the HTTP
 * request that started it (a client that goes away does not cancel it), kept readable after it
 * finishes for the retention period.
 */
export class OperationStore {
  private readonly byId = new Map<string, Operation>();
  private readonly byResource = new Map<string, Operation>();
  private readonly byIdempotencyKey = new Map<string, Operation>();
  private readonly keyOf = new Map<Operation, string>();

  constructor(private readonly options: OperationStoreOptions) {}

  get inFlight(): number {
    return this.byResource.size;
  }

  running(): Operation[] {
    return [...this.byResource.values()];
  }

  /**
   * Starts an operation, or answers the one an earlier request with the same idempotency key started.
   * A resource with an operation still running refuses a second one (create → RESOURCE_ALREADY_EXISTS,
   * anything else → RESOURCE_CONFLICT), naming the running one.
   */
  start(request: OperationRequest): { operation: Operation; replayed: boolean } {
    this.prune();
    if (request.idempotencyKey !== undefined) {
      const earlier = this.byIdempotencyKey.get(request.idempotencyKey);
      if (earlier) return { operation: earlier, replayed: true };
    }
    const key = `${request.resource.type}\0${request.resource.name}`;
    const busy = this.byResource.get(key);
    if (busy) throw conflictError(request, busy);

    const operation = new Operation(request.kind, request.resource);
    this.byId.set(operation.id, operation);
    this.byResource.set(key, operation);
    if (request.idempotencyKey !== undefined) {
      this.byIdempotencyKey.set(request.idempotencyKey, operation);
      this.keyOf.set(operation, request.idempotencyKey);
    }
    this.options.onStart?.(operation);
    const controls: OperationControls = {
      onProgress: (event) => operation.progress(event),
      signal: operation.controller.signal,
    };
    operation.done = (async () => {
      let failure: unknown;
      try {
        // Run outside the request's own promise chain: nothing the request does can cancel it.
        const result = await Promise.resolve().then(() => request.run(controls));
        operation.succeed(result);
      } catch (error) {
        failure = error;
        operation.fail(error);
      } finally {
        this.byResource.delete(key);
        this.options.onFinish?.(operation, failure);
      }
    })();
    return { operation, replayed: false };
  }

  get(id: string): Operation | undefined {
    this.prune();
    return this.byId.get(id);
  }

  /** Newest first. */
  list(): Operation[] {
    this.prune();
    return [...this.byId.values()].reverse();
  }

  /** Resolves when every running operation finished, or after `timeoutMs`; answers those still running. */
  async settle(timeoutMs: number): Promise<Operation[]> {
    const running = this.running();
    if (running.length === 0) return [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(running.map((operation) => operation.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return this.running();
  }

  private prune(): void {
    const oldest = Date.now() - this.options.retentionMs;
    const finished = [...this.byId.values()].filter((operation) => !operation.running);
    const excess = finished.length - this.options.maxFinished;
    finished.forEach((operation, index) => {
      if (index < excess || (operation.finishedAt?.getTime() ?? 0) < oldest) this.drop(operation);
    });
  }

  private drop(operation: Operation): void {
    this.byId.delete(operation.id);
    const key = this.keyOf.get(operation);
    if (key !== undefined) {
      this.byIdempotencyKey.delete(key);
      this.keyOf.delete(operation);
    }
  }
}

function conflictError(request: OperationRequest, busy: Operation): BerthError {
  const what = `${request.resource.type} '${request.resource.name}'`;
  const poll = `GET /api/berth/v1/operations/${busy.id}`;
  const details = { operationId: busy.id, operationKind: busy.kind };
  if (request.kind === 'createDeployment' || request.kind === 'createEndpoint') {
    return new BerthError(
      `A ${busy.kind} of ${what} is already in progress (operation ${busy.id}); this create would make it twice.`,
      {
        code: 'RESOURCE_ALREADY_EXISTS',
        details,
        suggestions: [`Wait for the running operation (${poll}), then get the ${request.resource.type}.`],
      },
    );
  }
  return new BerthError(
    `${what[0]?.toUpperCase()}${what.slice(1)} is busy: operation ${busy.id} (${busy.kind}) is still running.`,
    { code: 'RESOURCE_CONFLICT', details, suggestions: [`Wait for it to finish (${poll}) and try again.`] },
  );
}
