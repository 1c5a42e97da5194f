/**
 * The slice of MLflow's tracking and registry REST API (`/api/2.0/mlflow/…`) that model URIs need:
 * a `TrackingStore` over an http(s) tracking server. Answers are checked with zod; MLflow's own
 * error answers keep their code and message (see `mlflow-http.ts`).
 */
import { BerthError } from '@berth/core';
import { z } from 'zod';
import { type MlflowEndpoint, mlflowApiRequest, redact } from './mlflow-http.js';
import type {
  LoggedModelFilter,
  LoggedModelInfo,
  ModelVersionInfo,
  RegisteredModelInfo,
  RunInfo,
  TrackingStore,
} from './tracking-store.js';

const modelVersionJson = z.object({
  name: z.string(),
  version: z.union([z.string(), z.number()]).transform(String),
  current_stage: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
});

const loggedModelJson = z.object({
  info: z.object({
    model_id: z.string(),
    experiment_id: z.string(),
    name: z.string(),
    artifact_uri: z.string(),
    source_run_id: z.string().optional(),
  }),
});

const answers = {
  run: z.object({
    run: z.object({ info: z.object({ run_id: z.string(), experiment_id: z.string(), artifact_uri: z.string() }) }),
  }),
  loggedModel: z.object({ model: loggedModelJson }),
  loggedModels: z.object({ models: z.array(loggedModelJson).optional(), next_page_token: z.string().optional() }),
  registeredModel: z.object({
    registered_model: z.object({
      name: z.string(),
      aliases: z
        .array(z.object({ alias: z.string(), version: z.union([z.string(), z.number()]).transform(String) }))
        .optional(),
    }),
  }),
  modelVersion: z.object({ model_version: modelVersionJson }),
  modelVersions: z.object({ model_versions: z.array(modelVersionJson).optional() }),
  downloadUri: z.object({ artifact_uri: z.string() }),
};

/** Bounds the logged-model search: 100 pages of 100 is more models of one name than a run makes. */
const MAX_SEARCH_PAGES = 100;

export class TrackingClient implements TrackingStore {
  readonly uri: string;
  readonly server: string;
  private readonly endpoint: MlflowEndpoint;

  /** `baseUri`: the server's address (`MLFLOW_TRACKING_URI`), with or without a trailing slash. */
  constructor(baseUri: string, source = 'MLFLOW_TRACKING_URI') {
    this.server = baseUri.replace(/\/+$/, '');
    this.uri = redact(this.server).replace(/\/+$/, '');
    this.endpoint = { server: this.server, source };
  }

  private async call<S extends z.ZodType>(
    route: string,
    schema: S,
    request: { query?: Record<string, string>; body?: unknown },
  ): Promise<z.output<S>> {
    const query = request.query ? `?${new URLSearchParams(request.query)}` : '';
    const url = `${this.server}/api/2.0/mlflow/${route}${query}`;
    const init: RequestInit =
      request.body === undefined
        ? {}
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request.body) };
    const json = await mlflowApiRequest<unknown>(url, init, this.endpoint);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new BerthError(
        `The MLflow tracking server at ${this.uri} answered ${request.body === undefined ? 'GET' : 'POST'} /api/2.0/mlflow/${route} with an unexpected body: ${z.prettifyError(parsed.error)}`,
        { code: 'INTERNAL_ERROR' },
      );
    }
    return parsed.data;
  }

  async getRun(runId: string): Promise<RunInfo> {
    const { run } = await this.call('runs/get', answers.run, { query: { run_id: runId } });
    return { runId: run.info.run_id, experimentId: run.info.experiment_id, artifactUri: run.info.artifact_uri };
  }

  async searchLoggedModels(experimentId: string, filter: LoggedModelFilter): Promise<LoggedModelInfo[]> {
    const clauses = [
      ...(filter.name === undefined ? [] : [`name = ${quoteFilterValue(filter.name)}`]),
      ...(filter.sourceRunId === undefined ? [] : [`source_run_id = ${quoteFilterValue(filter.sourceRunId)}`]),
    ];
    const found: LoggedModelInfo[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_SEARCH_PAGES; page++) {
      let answer: z.output<typeof answers.loggedModels>;
      try {
        answer = await this.call('logged-models/search', answers.loggedModels, {
          body: {
            experiment_ids: [experimentId],
            ...(clauses.length > 0 ? { filter: clauses.join(' AND ') } : {}),
            max_results: 100,
            ...(pageToken ? { page_token: pageToken } : {}),
          },
        });
      } catch (error) {
        // An MLflow 2 server has no logged models: the route is missing (Flask's HTML 404).
        if (isMissingRoute(error)) return [];
        throw error;
      }
      found.push(...(answer.models ?? []).map(toLoggedModel));
      pageToken = answer.next_page_token;
      if (!pageToken) break;
    }
    return found;
  }

  async getLoggedModel(modelId: string): Promise<LoggedModelInfo> {
    try {
      const { model } = await this.call(`logged-models/${encodeURIComponent(modelId)}`, answers.loggedModel, {});
      return toLoggedModel(model);
    } catch (error) {
      if (isMissingRoute(error)) {
        throw new BerthError(
          `The MLflow tracking server at ${this.uri} has no logged models (models:/${modelId} needs MLflow 3 or later).`,
          { code: 'RESOURCE_DOES_NOT_EXIST', cause: error },
        );
      }
      throw error;
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModelInfo> {
    const { registered_model: model } = await this.call('registered-models/get', answers.registeredModel, {
      query: { name },
    });
    return { name: model.name, aliases: model.aliases ?? [] };
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionInfo> {
    const { model_version } = await this.call('model-versions/get', answers.modelVersion, {
      query: { name, version },
    });
    return toModelVersion(model_version);
  }

  async getLatestVersions(name: string, stage?: string): Promise<ModelVersionInfo[]> {
    const { model_versions } = await this.call('registered-models/get-latest-versions', answers.modelVersions, {
      body: { name, ...(stage === undefined ? {} : { stages: [stage] }) },
    });
    return (model_versions ?? []).map(toModelVersion);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionInfo> {
    const { model_version } = await this.call('registered-models/alias', answers.modelVersion, {
      query: { name, alias },
    });
    return toModelVersion(model_version);
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const { artifact_uri } = await this.call('model-versions/get-download-uri', answers.downloadUri, {
      query: { name, version },
    });
    return artifact_uri;
  }

  async close(): Promise<void> {
    // Nothing held open: each request is its own fetch.
  }
}

function toLoggedModel(model: z.output<typeof loggedModelJson>): LoggedModelInfo {
  const { info } = model;
  return {
    modelId: info.model_id,
    experimentId: info.experiment_id,
    name: info.name,
    artifactUri: info.artifact_uri,
    sourceRunId: info.source_run_id,
  };
}

function toModelVersion(version: z.output<typeof modelVersionJson>): ModelVersionInfo {
  return {
    name: version.name,
    version: version.version,
    currentStage: version.current_stage ?? 'None',
    source: version.source,
    runId: version.run_id,
  };
}

/** MLflow's search grammar takes 'single' or "double" quoted strings. */
function quoteFilterValue(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

function isMissingRoute(error: unknown): boolean {
  return BerthError.isInstance(error) && error.details?.notMlflowServer === true && error.details.status === 404;
}
