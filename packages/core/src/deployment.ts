/** What a target returns for a deployment. `name` is always present; the rest where the target knows it. */
export interface Deployment {
  name: string;
  flavor?: string | null;
  modelUri?: string;
  state?: string;
  url?: string;
  /** Target-specific fields (version, pid, region, …). */
  [key: string]: unknown;
}

/** What a target returns for an endpoint. `name` is always present. */
export interface Endpoint {
  name: string;
  url?: string;
  /** Deployment name → weight, where the target splits traffic. */
  traffic?: Record<string, number>;
  [key: string]: unknown;
}

/** Target config after parsing: `-C key=value` strings, or typed values from code. */
export type TargetConfig = Record<string, unknown>;

/**
 * What a long operation reports while it waits (spec 1.1): hosts show it (the CLI as a progress line,
 * the deployments server on its operation resource). Targets call `onProgress` as often as they
 * learn something; hosts throttle.
 */
export interface ProgressEvent {
  /** What is happening now, for a person: "Endpoint iris is Creating (SageMaker: …)". */
  message: string;
  /** The backend's own state word, where it has one (`Creating`, `InService`, `starting`). */
  state?: string;
  /** Time since the operation started. */
  elapsedMs?: number;
  /**
   * What happens if the user stops waiting now, and how to check on it later ("SageMaker goes on
   * creating 'iris'; check it with `berth get -t sagemaker --name iris`"). The CLI prints the latest
   * one on Ctrl-C.
   */
  interruptHint?: string;
}

/** Options every long operation takes (spec 1.1). Targets built against 1.0 never see them. */
export interface OperationOptions {
  onProgress?: (event: ProgressEvent) => void;
  /** Aborted when the caller stops waiting; the target may stop waiting too (not undo the operation). */
  signal?: AbortSignal;
}

export interface CreateDeploymentOptions extends OperationOptions {
  flavor?: string;
  config?: TargetConfig;
  endpoint?: string;
}

export interface UpdateDeploymentOptions extends OperationOptions {
  modelUri?: string;
  flavor?: string;
  config?: TargetConfig;
  endpoint?: string;
}

export interface DeleteDeploymentOptions extends OperationOptions {
  config?: TargetConfig;
  endpoint?: string;
}

export interface EndpointOption {
  endpoint?: string;
}

export interface PredictOptions {
  endpoint?: string;
  params?: Record<string, unknown>;
}

/**
 * Inputs to `predict`: any body of MLflow's scoring protocol (`{dataframe_split: …}`,
 * `{dataframe_records: …}`, `{instances: …}`, `{inputs: …}`, optional `params`), or CSV text.
 */
export type PredictionInput = Record<string, unknown> | { csv: string };
