/** Where a dataset comes from (MLflow's `mlflow.data` DatasetSource): enough to read it again later. */
export interface DatasetSource {
  /** The registered type that reads it: `local`, `http`, `stdin`, or a package's own. */
  readonly sourceType: string;
  /** The raw bytes; callers decode them (JSON, CSV, …). */
  load(): Promise<Uint8Array>;
  /** A JSON-safe description `sourceFromJSON` turns back into a source; includes `sourceType`. */
  toJSON(): DatasetSourceJSON;
}

export interface DatasetSourceJSON {
  sourceType: string;
  [key: string]: unknown;
}

/** What a source type registers: how to recognise a raw input and how to build a source. */
export interface DatasetSourceFactory {
  /** True when this type can read `raw` (a path, a URI, `-`). */
  canResolve(raw: string): boolean;
  fromRaw(raw: string): DatasetSource | Promise<DatasetSource>;
  fromJSON(json: DatasetSourceJSON): DatasetSource | Promise<DatasetSource>;
}
