/**
 * MLflow's SQLite tracking database (`MLFLOW_TRACKING_URI=sqlite:///mlflow.db`, MLflow 3.6's default
 * store), read-only, with MLflow's table layout at every schema revision it has had
 * (`mlflow-schema-revisions.ts`). Artifacts are read from the locations the database records.
 * better-sqlite3 is an optional peer dependency, loaded here only.
 */

import { BerthError } from '@berth/core';
import type BetterSqlite3 from 'better-sqlite3';
import { MLFLOW_SCHEMA_REVISIONS, type SchemaFeatures, schemaFeatures } from './mlflow-schema-revisions.js';
import type {
  LoggedModelFilter,
  LoggedModelInfo,
  ModelVersionInfo,
  RegisteredModelInfo,
  RunInfo,
  TrackingStore,
} from './tracking-store.js';

/** MLflow's stages (`get_canonical_stage`); versions marked deleted are never answered. */
const STAGES = ['None', 'Staging', 'Production', 'Archived'];
const DELETED_STAGE = 'Deleted_Internal';

interface VersionRow {
  name: string;
  version: number;
  current_stage: string | null;
  source: string | null;
  run_id: string | null;
}

interface LoggedModelRow {
  model_id: string;
  experiment_id: number | string;
  name: string;
  artifact_location: string;
  source_run_id: string | null;
}

export class SqliteTrackingStore implements TrackingStore {
  readonly server = undefined;

  private constructor(
    readonly uri: string,
    private readonly file: string,
    private readonly database: BetterSqlite3.Database,
    private readonly schema: SchemaFeatures,
  ) {}

  /** Opens `file` read-only and checks that it is an MLflow database of a known schema revision. */
  static async open(file: string, uri: string): Promise<SqliteTrackingStore> {
    const Database = await loadDriver();
    let database: BetterSqlite3.Database;
    try {
      database = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    } catch (error) {
      throw new BerthError(`Cannot open the MLflow database ${file} (${uri}): ${(error as Error).message}`, {
        code:
          (error as { code?: string }).code === 'SQLITE_CANTOPEN'
            ? 'RESOURCE_DOES_NOT_EXIST'
            : 'INVALID_PARAMETER_VALUE',
        cause: error,
      });
    }
    try {
      const schema = readSchema(database, file);
      return new SqliteTrackingStore(`sqlite:///${file}`, file, database, schema);
    } catch (error) {
      database.close();
      throw error;
    }
  }

  private all<T>(sql: string, ...parameters: unknown[]): T[] {
    try {
      return this.database.prepare(sql).all(...parameters) as T[];
    } catch (error) {
      throw new BerthError(`Reading the MLflow database ${this.file} failed: ${(error as Error).message}`, {
        code: 'INTERNAL_ERROR',
        cause: error,
      });
    }
  }

  async getRun(runId: string): Promise<RunInfo> {
    const [row] = this.all<{ run_uuid: string; experiment_id: number | string; artifact_uri: string | null }>(
      'SELECT run_uuid, experiment_id, artifact_uri FROM runs WHERE run_uuid = ?',
      runId,
    );
    if (row === undefined) throw notFound(`Run with id=${runId} not found`);
    if (!row.artifact_uri) throw notFound(`Run '${runId}' has no artifact location.`);
    return { runId: row.run_uuid, experimentId: String(row.experiment_id), artifactUri: row.artifact_uri };
  }

  async searchLoggedModels(experimentId: string, filter: LoggedModelFilter): Promise<LoggedModelInfo[]> {
    if (!this.schema.loggedModels) return [];
    const clauses = ['experiment_id = ?', "lifecycle_stage != 'deleted'"];
    const parameters: unknown[] = [Number(experimentId)];
    if (filter.name !== undefined) {
      clauses.push('name = ?');
      parameters.push(filter.name);
    }
    if (filter.sourceRunId !== undefined) {
      clauses.push('source_run_id = ?');
      parameters.push(filter.sourceRunId);
    }
    return this.all<LoggedModelRow>(
      `SELECT model_id, experiment_id, name, artifact_location, source_run_id FROM logged_models WHERE ${clauses.join(' AND ')} ORDER BY creation_timestamp_ms DESC`,
      ...parameters,
    ).map(toLoggedModel);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModelInfo> {
    if (!this.schema.loggedModels) {
      throw notFound(
        `Logged model with ID '${modelId}' not found: the MLflow database ${this.file} (schema revision ${this.schema.revision}) is from before MLflow 3.0, which added logged models.`,
      );
    }
    const [row] = this.all<LoggedModelRow>(
      "SELECT model_id, experiment_id, name, artifact_location, source_run_id FROM logged_models WHERE model_id = ? AND lifecycle_stage != 'deleted'",
      modelId,
    );
    if (row === undefined) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return toLoggedModel(row);
  }

  private requireRegistry(): void {
    if (!this.schema.registry) {
      throw notFound(
        `The MLflow database ${this.file} (schema revision ${this.schema.revision}) has no model registry tables.`,
      );
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModelInfo> {
    this.requireRegistry();
    const [row] = this.all<{ name: string }>('SELECT name FROM registered_models WHERE name = ?', name);
    if (row === undefined) throw notFound(`Registered Model with name=${name} not found`);
    const aliases = this.schema.aliases
      ? this.all<{ alias: string; version: number }>(
          'SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias',
          name,
        ).map((alias) => ({ alias: alias.alias, version: String(alias.version) }))
      : [];
    return { name: row.name, aliases };
  }

  private versionRows(where: string, ...parameters: unknown[]): VersionRow[] {
    return this.all<VersionRow>(
      `SELECT name, version, current_stage, source, run_id FROM model_versions WHERE ${where} AND (current_stage IS NULL OR current_stage != '${DELETED_STAGE}')`,
      ...parameters,
    );
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionInfo> {
    this.requireRegistry();
    const [row] = this.versionRows('name = ? AND version = ?', name, Number(version));
    if (row === undefined) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return toModelVersion(row);
  }

  async getLatestVersions(name: string, stage?: string): Promise<ModelVersionInfo[]> {
    await this.getRegisteredModel(name);
    const wanted = stage === undefined ? undefined : canonicalStage(stage);
    const latest = new Map<string, VersionRow>();
    for (const row of this.versionRows('name = ?', name)) {
      const rowStage = row.current_stage ?? 'None';
      const best = latest.get(rowStage);
      if (best === undefined || row.version > best.version) latest.set(rowStage, row);
    }
    return [...latest.values()]
      .filter((row) => wanted === undefined || (row.current_stage ?? 'None') === wanted)
      .map(toModelVersion);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionInfo> {
    await this.getRegisteredModel(name);
    if (alias.toLowerCase() === 'latest') {
      // MLflow reserves the alias "latest" for the latest version.
      const versions = await this.getLatestVersions(name);
      const best = versions.reduce<ModelVersionInfo | undefined>(
        (current, candidate) =>
          current === undefined || Number(candidate.version) > Number(current.version) ? candidate : current,
        undefined,
      );
      if (best === undefined) throw notFound(`Latest version not found for model ${name}.`);
      return best;
    }
    const [row] = this.schema.aliases
      ? this.all<{ version: number }>(
          'SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?',
          name,
          alias,
        )
      : [];
    if (row === undefined) throw notFound(`Registered model alias ${alias} not found.`);
    return this.getModelVersion(name, String(row.version));
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    this.requireRegistry();
    const column = this.schema.storageLocation ? 'storage_location' : 'NULL';
    const [row] = this.all<{ storage_location: string | null; source: string | null }>(
      `SELECT ${column} AS storage_location, source FROM model_versions WHERE name = ? AND version = ? AND (current_stage IS NULL OR current_stage != '${DELETED_STAGE}')`,
      name,
      Number(version),
    );
    if (row === undefined) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    const uri = row.storage_location || row.source;
    if (!uri) throw notFound(`Model Version (name=${name}, version=${version}) has no source.`);
    return uri;
  }

  async close(): Promise<void> {
    this.database.close();
  }
}

async function loadDriver(): Promise<typeof BetterSqlite3> {
  try {
    return (await import('better-sqlite3')).default;
  } catch (error) {
    throw new BerthError(
      'Reading an MLflow SQLite database (sqlite:///…) needs the package better-sqlite3, which is not installed.',
      {
        code: 'NOT_IMPLEMENTED',
        cause: error,
        suggestions: [
          'Install it beside Berth: npm install better-sqlite3@12 (it comes with @berth/target-local).',
          'Or point MLFLOW_TRACKING_URI at a tracking server (`mlflow server --backend-store-uri sqlite:///mlflow.db`).',
        ],
      },
    );
  }
}

function readSchema(database: BetterSqlite3.Database, file: string): SchemaFeatures {
  let revision: string | undefined;
  try {
    const row = database.prepare('SELECT version_num FROM alembic_version').get() as
      | { version_num?: unknown }
      | undefined;
    revision = typeof row?.version_num === 'string' ? row.version_num : undefined;
  } catch (error) {
    const message = (error as Error).message;
    throw BerthError.invalidParameterValue(
      /no such table/i.test(message)
        ? `${file} is not an MLflow tracking database: it has no alembic_version table.`
        : `${file} is not an MLflow tracking database: ${message}`,
      { cause: error },
    );
  }
  if (revision === undefined) {
    throw BerthError.invalidParameterValue(`${file} is not an MLflow tracking database: alembic_version is empty.`);
  }
  const features = schemaFeatures(revision);
  if (features === undefined) {
    throw BerthError.invalidParameterValue(
      `The MLflow database ${file} has schema revision ${revision}, which Berth does not know: it reads MLflow's layouts from ${MLFLOW_SCHEMA_REVISIONS[0]} to ${MLFLOW_SCHEMA_REVISIONS.at(-1)} (MLflow 3.6). The database is probably from a newer MLflow.`,
      {
        suggestions: [
          'Serve it with that MLflow (`mlflow server --backend-store-uri sqlite:///…`) and set MLFLOW_TRACKING_URI to the server, or upgrade Berth.',
        ],
      },
    );
  }
  return features;
}

function canonicalStage(stage: string): string {
  const found = STAGES.find((candidate) => candidate.toLowerCase() === stage.toLowerCase());
  if (found === undefined) {
    throw BerthError.invalidParameterValue(
      `Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`,
    );
  }
  return found;
}

function notFound(message: string): BerthError {
  return new BerthError(message, { code: 'RESOURCE_DOES_NOT_EXIST' });
}

function toLoggedModel(row: LoggedModelRow): LoggedModelInfo {
  return {
    modelId: row.model_id,
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactUri: row.artifact_location,
    sourceRunId: row.source_run_id ?? undefined,
  };
}

function toModelVersion(row: VersionRow): ModelVersionInfo {
  return {
    name: row.name,
    version: String(row.version),
    currentStage: row.current_stage ?? 'None',
    source: row.source ?? undefined,
    runId: row.run_id ?? undefined,
  };
}
