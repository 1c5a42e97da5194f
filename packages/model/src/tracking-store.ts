/**
 * What `runs:/` and `models:/` URIs need from an MLflow tracking store, whichever kind it is: the
 * REST API of a tracking server (`tracking-client.ts`), an MLflow SQLite database
 * (`sqlite-tracking-store.ts`) or a local `mlruns` file store (`file-tracking-store.ts`).
 * `open-tracking-store.ts` picks one; `model-resolution.ts` applies MLflow's rules on top.
 *
 * Lookups of something that does not exist reject with RESOURCE_DOES_NOT_EXIST and MLflow's wording
 * (`Run with id=… not found`, `Registered Model with name=… not found`, …).
 */

export interface RunInfo {
  runId: string;
  experimentId: string;
  /** The run's artifact root, e.g. `mlflow-artifacts:/1/<run>/artifacts` or `/srv/mlruns/1/<run>/artifacts`. */
  artifactUri: string;
}

/** An MLflow 3 logged model (`m-…`): its artifacts live under its own location, not the run's. */
export interface LoggedModelInfo {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  sourceRunId: string | undefined;
}

export interface LoggedModelFilter {
  name?: string;
  sourceRunId?: string;
}

export interface ModelVersionInfo {
  name: string;
  version: string;
  currentStage: string;
  source: string | undefined;
  runId: string | undefined;
}

export interface RegisteredModelInfo {
  name: string;
  aliases: Array<{ alias: string; version: string }>;
}

export interface TrackingStore {
  /** Where the store is, without credentials: names it in messages and keys the download cache. */
  readonly uri: string;
  /**
   * The http(s) base URL of a tracking server, which also serves `mlflow-artifacts:` URIs;
   * undefined for a database or a file store (which cannot resolve them).
   */
  readonly server: string | undefined;
  getRun(runId: string): Promise<RunInfo>;
  /** Logged models of an experiment (not deleted), filtered by name and/or source run. */
  searchLoggedModels(experimentId: string, filter: LoggedModelFilter): Promise<LoggedModelInfo[]>;
  getLoggedModel(modelId: string): Promise<LoggedModelInfo>;
  getRegisteredModel(name: string): Promise<RegisteredModelInfo>;
  getModelVersion(name: string, version: string): Promise<ModelVersionInfo>;
  /** The latest version per stage (MLflow's `get_latest_versions`), optionally of one stage only. */
  getLatestVersions(name: string, stage?: string): Promise<ModelVersionInfo[]>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionInfo>;
  /** Where the version's files are: its storage location (MLflow 3), else its source. */
  getModelVersionDownloadUri(name: string, version: string): Promise<string>;
  /** Releases what the store holds open (a database handle). */
  close(): Promise<void>;
}
