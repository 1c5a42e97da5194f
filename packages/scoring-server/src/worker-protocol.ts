import type { ModelInput, ModelOutput } from '@berth/model';

/** Messages between the main thread and inference workers (all structured-cloneable). */
export interface WorkerData {
  directory: string;
  flavor: string;
  allowCode: boolean;
}

export type WorkerTask =
  | { kind: 'ready'; input?: ModelInput; params?: Record<string, unknown> | undefined }
  | { kind: 'predict'; input: ModelInput; params?: Record<string, unknown> | undefined }
  /** A whole /invocations request: parse, predict and serialize off the event loop. */
  | { kind: 'score'; body: Uint8Array; format: 'json' | 'csv' };

export interface SerializedError {
  berth: boolean;
  /** A ModelEvaluationError (what the model itself raised, wrapped as MLflow answers it). */
  evaluation?: boolean | undefined;
  code?: string | undefined;
  message: string;
  stack?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

export type WorkerResult =
  | { ok: true; output?: ModelOutput; json?: Uint8Array; ms: number }
  | { ok: false; error: SerializedError; phase?: 'parse' | 'predict'; inputDescription?: string };
