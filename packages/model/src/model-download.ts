/**
 * Remote model URIs → a folder in the download cache. `runs:/` and `models:/` are resolved through
 * the tracking store (`open-tracking-store.ts`) with MLflow's rules (`model-resolution.ts`), then
 * downloaded from the artifact location they resolve to (`artifact-download.ts`).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { findModelRoot } from './archive-extraction.js';
import {
  type ArtifactContext,
  downloadArtifactTree,
  NO_TRACKING_STORE,
  writeRegisteredModelMeta,
} from './artifact-download.js';
import { cachedModel } from './download-cache.js';
import { redact } from './mlflow-http.js';
import { findRunLoggedModel, resolveRegisteredVersion, runModelNotFoundError } from './model-resolution.js';
import { joinArtifactUri, type ModelsUri, parseModelsUri, parseRunsUri, uriScheme } from './model-uri-grammar.js';
import { TrackingStores } from './open-tracking-store.js';

/** `uri` has one of the remote schemes (`runs`, `models`, `mlflow-artifacts`, `s3`, `http(s)`). */
export async function downloadModel(uri: string, scheme: string, cacheDir: string): Promise<string> {
  if (scheme !== 'runs' && scheme !== 'models' && scheme !== 'mlflow-artifacts') {
    // No tracking store involved: s3:// and http(s):// are keyed by their URI.
    return cachedModel(cacheDir, uri, redact(uri), (directory) =>
      downloadArtifactTree(uri, directory, NO_TRACKING_STORE),
    );
  }
  const stores = new TrackingStores();
  try {
    if (scheme === 'mlflow-artifacts') {
      const tracking = await stores.tracking();
      return await cachedModel(cacheDir, `${tracking.uri}|${uri}`, uri, (directory) =>
        downloadArtifactTree(uri, directory, () => artifactContext(stores)),
      );
    }
    if (scheme === 'runs') return await downloadRunModel(stores, uri, cacheDir);
    return await downloadRegisteredModel(stores, uri, parseModelsUri(uri), cacheDir);
  } finally {
    await stores.close();
  }
}

/**
 * `mlflow-artifacts:` resolves through the tracking server (as in MLflow); when only the registry
 * is a server (MLFLOW_REGISTRY_URI), through that one.
 */
async function artifactContext(stores: TrackingStores): Promise<ArtifactContext> {
  const tracking = await stores.tracking().catch((error: unknown) => error as Error);
  if (!(tracking instanceof Error) && tracking.server !== undefined)
    return { server: tracking.server, storeUri: tracking.uri };
  const registry = await stores.registry().catch(() => undefined);
  if (registry?.server !== undefined) return { server: registry.server, storeUri: registry.uri };
  if (tracking instanceof Error) throw tracking;
  return { server: undefined, storeUri: tracking.uri };
}

/**
 * `runs:/<run>/<path>`: the run's own artifacts (how MLflow 2 logs models); when they hold no
 * model there, the logged model of that run named by the path's first segment (MLflow 3).
 */
async function downloadRunModel(stores: TrackingStores, uri: string, cacheDir: string): Promise<string> {
  const { runId, artifactPath } = parseRunsUri(uri);
  const tracking = await stores.tracking();
  return cachedModel(cacheDir, `${tracking.uri}|runs:/${runId}/${artifactPath}`, uri, (directory) =>
    downloadResolved(stores, uri, directory),
  );
}

/** Downloads into `directory`; false (and `directory` emptied) when nothing there holds an MLmodel. */
async function tryDownload(uri: string, directory: string, stores: TrackingStores): Promise<boolean> {
  try {
    await downloadArtifactTree(uri, directory, () => artifactContext(stores));
  } catch (error) {
    if (!(BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST')) throw error;
  }
  if ((await findModelRoot(directory)) !== undefined) return true;
  for (const entry of await readdir(directory)) await rm(path.join(directory, entry), { recursive: true, force: true });
  return false;
}

async function downloadRegisteredModel(
  stores: TrackingStores,
  uri: string,
  parsed: ModelsUri,
  cacheDir: string,
): Promise<string> {
  if (parsed.kind === 'id') {
    const tracking = await stores.tracking();
    return cachedModel(cacheDir, `${tracking.uri}|logged-model:${parsed.modelId}`, uri, async (directory) => {
      const model = await tracking.getLoggedModel(parsed.modelId);
      await downloadArtifactTree(model.artifactUri, directory, () => artifactContext(stores));
    });
  }
  // Resolve to a concrete version first: `latest`, stages and aliases move, versions do not.
  const registry = await stores.registry();
  const version = await resolveRegisteredVersion(registry, parsed);
  const identity = `${registry.uri}|models:/${parsed.name}/${version.version}`;
  return cachedModel(cacheDir, identity, uri, async (directory) => {
    const source = await registry.getModelVersionDownloadUri(parsed.name, version.version);
    await downloadResolved(stores, source, directory);
    // MLflow writes this into downloads of registered models; the SageMaker container reads it.
    const root = (await findModelRoot(directory)) ?? directory;
    await writeRegisteredModelMeta(root, parsed.name, version.version);
  });
}

/** A version's source may itself be a `runs:/` or `models:/m-…` URI (MLflow 2.x, 3.x): follow it. */
async function downloadResolved(stores: TrackingStores, uri: string, directory: string, depth = 0): Promise<void> {
  const scheme = uriScheme(uri);
  if (depth > 4) throw BerthError.invalidParameterValue(`Model source ${uri} refers to itself.`);
  if (scheme === 'models') {
    const parsed = parseModelsUri(uri);
    let next: string;
    if (parsed.kind === 'id') next = (await (await stores.tracking()).getLoggedModel(parsed.modelId)).artifactUri;
    else {
      const registry = await stores.registry();
      next = await registry.getModelVersionDownloadUri(
        parsed.name,
        (await resolveRegisteredVersion(registry, parsed)).version,
      );
    }
    return downloadResolved(stores, next, directory, depth + 1);
  }
  if (scheme === 'runs') {
    const tracking = await stores.tracking();
    const { runId, artifactPath } = parseRunsUri(uri);
    const run = await tracking.getRun(runId);
    const runArtifactUri = joinArtifactUri(run.artifactUri, artifactPath);
    if (await tryDownload(runArtifactUri, directory, stores)) return;
    const logged = await findRunLoggedModel(tracking, run, artifactPath);
    if (logged === undefined) throw await runModelNotFoundError(tracking, uri, run, artifactPath, runArtifactUri);
    return downloadResolved(stores, joinArtifactUri(logged.model.artifactUri, logged.rest), directory, depth + 1);
  }
  await downloadArtifactTree(uri, directory, () => artifactContext(stores));
}
