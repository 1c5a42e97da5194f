import { basename, resolve } from 'node:path';
import { BerthError } from '@berth/core';
import type { Logger } from 'pino';
import { z } from 'zod';
import { defaultWorkerCount } from './model-runner.js';

/** 64 MiB: a 100k-row iris frame is ~3 MB of JSON; SageMaker itself stops at 6 MB (real-time) and 1 GB (async). */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TIMEOUT_SECONDS = 60;
export const DEFAULT_MAX_BATCH_DELAY_MS = 2;
export const DEFAULT_INLINE_BUDGET_MS = 0.5;
/** 256 KiB of JSON is a few thousand rows: parsing it alone takes about a millisecond. */
export const DEFAULT_WORKER_BODY_BYTES = 256 * 1024;
/** A client gets this long to send a request's headers (Node's own default is 60 s). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A client gets this long to send a whole request, headers and body (Node's own default is 300 s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Open connections beyond this are refused at once (Node's own default: unbounded). */
export const DEFAULT_MAX_CONNECTIONS = 1024;

export interface ScoringServerOptions {
  /** Model URI or local model directory (anything `@berth/model`'s resolveModelUri takes). */
  modelUri: string;
  flavor?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Inference worker threads; 0 runs predictions on the event loop. Default: cores - 1, 1 to 4. */
  workers?: number;
  /** Per-request processing limit → 504. Default MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT or 60. */
  timeoutSeconds?: number;
  /** Rows per merged model run; 1 or unset turns dynamic batching off. */
  maxBatchSize?: number;
  /** How long the first request of a batch waits for others. Default 2 ms. */
  maxBatchDelayMs?: number;
  /** Allow `js` flavor models (they execute code from the model directory). */
  allowCode?: boolean;
  /** Enables the control routes (`/-/berth/*`); they need `Authorization: Bearer <token>`. */
  controlToken?: string;
  /**
   * Requires `Authorization: Bearer <token>` on every route but `/ping`, `/health` and
   * `/v2/health/live|ready` (401 otherwise). At least 16 characters, no whitespace.
   */
  authToken?: string;
  /** Like `authToken`, read from this file at start (one trailing newline is ignored). */
  authTokenFile?: string;
  /**
   * Listen on a non-loopback host without a token. Off by default: such a host is refused without
   * `authToken`/`authTokenFile`, unless something in front of the server authenticates requests.
   */
  allowUnauthenticated?: boolean;
  /** Largest accepted request body → 413. Default 64 MiB. */
  bodyLimitBytes?: number;
  /**
   * Against slow clients: a request whose headers have not all arrived after this many milliseconds
   * is answered 408 and its connection closed. Default 10 000.
   */
  headersTimeoutMs?: number;
  /** Against slow clients: the whole request (headers and body) must arrive within this. Default 60 000. */
  requestTimeoutMs?: number;
  /** Connections open at once; further ones are closed as they arrive. Default 1024. */
  maxConnections?: number;
  /** A pino logger, pino options (`{ level }`), or false for silence. Default: warn level on stderr. */
  logger?: Logger | { level?: string } | false;
  /** Name in OIP routes. Default: the model directory's name. */
  modelName?: string;
  /** Version in OIP routes; when set, other versions are 404. */
  modelVersion?: string;
  /** Predictions measured to cost at most this (ms) run inline instead of in a worker. 0 = never. Default 0.5. */
  inlineBudgetMs?: number;
  /** /invocations bodies at least this large are parsed, run and serialized in a worker (with workers > 0). Default 256 KiB. */
  workerBodyBytes?: number;
  /** Download cache for remote model URIs. */
  cacheDir?: string;
  /**
   * Error answers carry MLflow's `stack_trace` (it names this machine's files). Default off:
   * `error_code` and `message` only.
   */
  debug?: boolean;
  /** SageMaker container mode: `/invocations` also answers streaming requests (`Accept: application/jsonlines`). */
  sagemaker?: boolean;
}

const optionsSchema = z.object({
  modelUri: z.string().min(1, 'modelUri is required'),
  flavor: z.string().min(1).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  workers: z.number().int().min(0).max(256).optional(),
  timeoutSeconds: z.number().positive().optional(),
  maxBatchSize: z.number().int().min(1).default(1),
  maxBatchDelayMs: z.number().min(0).max(10_000).default(DEFAULT_MAX_BATCH_DELAY_MS),
  allowCode: z.boolean().default(false),
  controlToken: z.string().min(16, 'controlToken must have at least 16 characters').optional(),
  authToken: z.string().optional(),
  authTokenFile: z.string().min(1).optional(),
  allowUnauthenticated: z.boolean().default(false),
  bodyLimitBytes: z.number().int().positive().default(DEFAULT_BODY_LIMIT_BYTES),
  headersTimeoutMs: z.number().int().positive().default(DEFAULT_HEADERS_TIMEOUT_MS),
  requestTimeoutMs: z.number().int().positive().default(DEFAULT_REQUEST_TIMEOUT_MS),
  maxConnections: z.number().int().positive().default(DEFAULT_MAX_CONNECTIONS),
  logger: z.unknown().optional(),
  modelName: z.string().min(1).optional(),
  modelVersion: z.string().min(1).optional(),
  inlineBudgetMs: z.number().min(0).default(DEFAULT_INLINE_BUDGET_MS),
  workerBodyBytes: z.number().int().min(0).default(DEFAULT_WORKER_BODY_BYTES),
  cacheDir: z.string().optional(),
  sagemaker: z.boolean().default(false),
  debug: z.boolean().default(false),
});

export type ResolvedOptions = Omit<z.infer<typeof optionsSchema>, 'logger'> & {
  workers: number;
  timeoutSeconds: number;
  modelName: string;
  logger: ScoringServerOptions['logger'];
};

export function timeoutFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_TIMEOUT_SECONDS;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw BerthError.invalidParameterValue(
      `MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT must be a positive number of seconds; got '${raw}'`,
    );
  }
  return value;
}

/** A name for OIP routes from a model URI: its last path segment, or "model". */
export function defaultModelName(modelUri: string): string {
  const withoutQuery = modelUri.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const looksLocal = !/^[a-z][a-z0-9+.-]*:/i.test(withoutQuery) || withoutQuery.startsWith('file:');
  const path = looksLocal ? resolve(withoutQuery.replace(/^file:(\/\/)?/, '')) : withoutQuery;
  const name = basename(path).replace(/\.tar\.gz$|\.tgz$/, '');
  return name === '' ? 'model' : name;
}

export function resolveOptions(options: ScoringServerOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw BerthError.invalidParameterValue(
      `Invalid scoring server option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const value = parsed.data;
  if (value.requestTimeoutMs < value.headersTimeoutMs) {
    throw BerthError.invalidParameterValue(
      `Invalid scoring server options: requestTimeoutMs (${value.requestTimeoutMs}) must be at least headersTimeoutMs (${value.headersTimeoutMs}), since the headers are part of the request`,
    );
  }
  return {
    ...value,
    workers: value.workers ?? defaultWorkerCount(),
    timeoutSeconds: value.timeoutSeconds ?? timeoutFromEnvironment(),
    modelName: value.modelName ?? defaultModelName(value.modelUri),
    logger: options.logger,
  };
}
