/**
 * The slice of MLflow's tracking/registry REST API that model URIs need, over `fetch`.
 * `MLFLOW_TRACKING_URI` (http/https), `MLFLOW_TRACKING_TOKEN` (bearer) or
 * `MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD` (basic). MLflow's error JSON keeps its code.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '@berth/core';

export interface ModelVersion {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  current_stage?: string;
}

export interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number | string;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export function trackingAuthHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.MLFLOW_TRACKING_TOKEN) return { authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}` };
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD) {
    const credentials = Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString(
      'base64',
    );
    return { authorization: `Basic ${credentials}` };
  }
  return {};
}

export function trackingUri(env: NodeJS.ProcessEnv = process.env): string {
  const uri = env.MLFLOW_TRACKING_URI;
  if (!uri || !/^https?:\/\//i.test(uri)) {
    throw BerthError.invalidParameterValue(
      uri
        ? `MLFLOW_TRACKING_URI "${uri}" is not an http(s) tracking server; runs:/ and models:/ URIs are resolved through the tracking server's REST API.`
        : 'MLFLOW_TRACKING_URI is not set; runs:/ and models:/ URIs are resolved through an MLflow tracking server.',
      { suggestions: ['Set MLFLOW_TRACKING_URI, e.g. MLFLOW_TRACKING_URI=http://127.0.0.1:5000'] },
    );
  }
  return uri.replace(/\/+$/, '');
}

/**
 * GET/POST with a few retries on 429/5xx and network errors; MLflow error JSON → BerthError.
 * `timeoutMs` covers reading the body too, so file downloads pass a long one.
 */
export async function fetchTracking(
  url: string,
  init: RequestInit = {},
  timeoutMs = 120_000,
  attempts = 3,
): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    try {
      const { plainUrl, userInfoAuth } = splitUserInfo(url);
      const response = await fetch(plainUrl, {
        ...init,
        headers: { ...trackingAuthHeaders(), ...userInfoAuth, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.ok) return response;
      if (RETRYABLE.has(response.status) && attempt < attempts - 1) {
        lastError = new Error(`HTTP ${response.status}`);
        continue;
      }
      throw await responseError(url, response);
    } catch (error) {
      if (BerthError.isInstance(error)) throw error;
      lastError = error;
    }
  }
  throw new BerthError(`Request to ${redact(url)} failed: ${(lastError as Error)?.message ?? lastError}`, {
    code: 'TEMPORARILY_UNAVAILABLE',
    cause: lastError,
  });
}

/** fetch refuses `https://user:pass@host/…`; send those credentials as basic auth instead. */
function splitUserInfo(url: string): { plainUrl: string; userInfoAuth: Record<string, string> } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { plainUrl: url, userInfoAuth: {} };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return {
    plainUrl: parsed.toString(),
    userInfoAuth: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  };
}

/** The URL without user:password, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

async function responseError(url: string, response: Response): Promise<BerthError> {
  const text = await response.text().catch(() => '');
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === 'string') code = body.error_code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not MLflow's error JSON
  }
  const fallback =
    response.status === 404
      ? 'RESOURCE_DOES_NOT_EXIST'
      : response.status === 401
        ? 'UNAUTHENTICATED'
        : response.status === 403
          ? 'PERMISSION_DENIED'
          : response.status >= 500
            ? 'TEMPORARILY_UNAVAILABLE'
            : 'INVALID_PARAMETER_VALUE';
  return new BerthError(
    message ?? `${response.status} ${response.statusText} from ${redact(url)}${text ? `: ${text.slice(0, 300)}` : ''}`,
    {
      code: code ?? fallback,
      details: { status: response.status },
    },
  );
}

/** What model URIs need from a tracking store (REST server or local file store). */
export interface Tracking {
  readonly baseUri: string;
  runArtifactUri(runId: string): Promise<string>;
  latestVersion(name: string, stage?: string): Promise<ModelVersion>;
  modelVersion(name: string, version: string): Promise<ModelVersion>;
  versionByAlias(name: string, alias: string): Promise<ModelVersion>;
  downloadUri(name: string, version: string): Promise<string>;
  loggedModelArtifactUri(modelId: string): Promise<string>;
}

/**
 * The tracking store for runs:/ and models:/ URIs: the REST API for an http(s) MLFLOW_TRACKING_URI;
 * MLflow's file store for `file:`/path URIs, or `./mlruns` when the variable is unset (MLflow's default).
 */
export async function trackingStore(env: NodeJS.ProcessEnv = process.env): Promise<Tracking> {
  const uri = env.MLFLOW_TRACKING_URI;
  if (uri && /^https?:\/\//i.test(uri)) return new TrackingClient(trackingUri(env));
  const root = fileStoreRoot(uri);
  if (await stat(root).catch(() => undefined)) {
    const { FileTrackingStore } = await import('./file-tracking-store.js');
    return new FileTrackingStore(root);
  }
  return new TrackingClient(trackingUri(env));
}

function fileStoreRoot(uri: string | undefined): string {
  if (!uri) return path.resolve('mlruns');
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (uri.startsWith('file:')) return path.resolve(uri.slice('file:'.length));
  return path.resolve(uri);
}

export class TrackingClient implements Tracking {
  constructor(readonly baseUri: string = trackingUri()) {}

  private async getJson<T>(route: string, query: Record<string, string>): Promise<T> {
    const url = `${this.baseUri}/api/2.0/mlflow/${route}?${new URLSearchParams(query)}`;
    return (await (await fetchTracking(url)).json()) as T;
  }

  private async postJson<T>(route: string, body: unknown): Promise<T> {
    const url = `${this.baseUri}/api/2.0/mlflow/${route}`;
    const response = await fetchTracking(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as T;
  }

  async runArtifactUri(runId: string): Promise<string> {
    const body = await this.getJson<{ run?: { info?: { artifact_uri?: string } } }>('runs/get', { run_id: runId });
    const uri = body.run?.info?.artifact_uri;
    if (!uri) throw new BerthError(`Run '${runId}' has no artifact location.`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    return uri;
  }

  async latestVersion(name: string, stage?: string): Promise<ModelVersion> {
    const body = await this.postJson<{ model_versions?: ModelVersion[] }>('registered-models/get-latest-versions', {
      name,
      ...(stage === undefined ? {} : { stages: [stage] }),
    });
    const versions = body.model_versions ?? [];
    if (versions.length === 0) {
      throw new BerthError(
        `No versions of model with name '${name}'${stage === undefined ? '' : ` and stage '${stage}'`} found`,
        {
          code: 'RESOURCE_DOES_NOT_EXIST',
        },
      );
    }
    return versions.reduce((best, candidate) => (Number(candidate.version) > Number(best.version) ? candidate : best));
  }

  async modelVersion(name: string, version: string): Promise<ModelVersion> {
    const body = await this.getJson<{ model_version?: ModelVersion }>('model-versions/get', { name, version });
    if (!body.model_version)
      throw new BerthError(`Model version ${name}/${version} not found`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    return body.model_version;
  }

  async versionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const body = await this.getJson<{ model_version?: ModelVersion }>('registered-models/alias', { name, alias });
    if (!body.model_version) {
      throw new BerthError(`Registered model alias ${alias} not found.`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    }
    return body.model_version;
  }

  async downloadUri(name: string, version: string): Promise<string> {
    const body = await this.getJson<{ artifact_uri?: string }>('model-versions/get-download-uri', { name, version });
    if (!body.artifact_uri)
      throw new BerthError(`No download URI for model ${name} version ${version}`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    return body.artifact_uri;
  }

  async loggedModelArtifactUri(modelId: string): Promise<string> {
    const body = await this.getJson<{ model?: { info?: { artifact_uri?: string } } }>(
      `logged-models/${encodeURIComponent(modelId)}`,
      {},
    );
    const uri = body.model?.info?.artifact_uri;
    if (!uri)
      throw new BerthError(`Logged model '${modelId}' has no artifact location.`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    return uri;
  }
}
