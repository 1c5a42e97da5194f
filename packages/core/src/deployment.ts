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

export interface CreateDeploymentOptions {
  flavor?: string;
  config?: TargetConfig;
  endpoint?: string;
}

export interface UpdateDeploymentOptions {
  modelUri?: string;
  flavor?: string;
  config?: TargetConfig;
  endpoint?: string;
}

export interface DeleteDeploymentOptions {
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
