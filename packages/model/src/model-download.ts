/**
 * Remote model URIs → a folder in the download cache. `runs:/` and `models:/` are resolved through
 * the tracking store (`open-tracking-store.ts`) with MLflow's rules (`model-resolution.ts`), then
 * downloaded from the artifact location they resolve to (`artifact-download.ts`).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { findModelRoot } from './archive-extraction.js';
import { type ArtifactContext, downloadArtifactTree, writeRegisteredModelMeta } from './artifact-download.js';
import { cachedModel } from './download-cache.js';
import { redact } from './mlflow-http.js';
import { findRunLoggedModel, resolveRegisteredVersion, runModelNotFoundError } from './model-resolution.js';
import { joinArtifactUri, type ModelsUri, parseModelsUri, parseRunsUri, uriScheme } from './model-uri-grammar.js';
import { openTrackingStore } from './open-tracking-store.js';
import type { TrackingStore } from './tracking-store.js';

/** `uri` has one of the remote schemes (`runs`, `models`, `mlflow-artifacts`, `s3`, `http(s)`). */
export async function downloadModel(uri: string, scheme: string, cacheDir: string): Promise<string> {
  if (scheme !== 'runs' && scheme !== 'models' && scheme !== 'mlflow-artifacts') {
    // No tracking store involved: s3:// and http(s):// are keyed by their URI.
    return cachedModel(cacheDir, uri, redact(uri), (directory) =>
      downloadArtifactTree(uri, directory, { server: undefined, storeUri: 'none' }),
    );
  }
  const store = await openTrackingStore();
  try {
    const context: ArtifactContext = { server: store.server, storeUri: store.uri };
    if (scheme === 'mlflow-artifacts') {
      return await cachedModel(cacheDir, `${store.uri}|${uri}`, uri, (directory) =>
        downloadArtifactTree(uri, directory, context),
      );
    }
    if (scheme === 'runs') return await downloadRunModel(store, uri, cacheDir, context);
    return await downloadRegisteredModel(store, uri, parseModelsUri(uri), cacheDir, context);
  } finally {
    await store.close();
  }
}

/**
 * `runs:/<run>/<path>`: the run's own artifacts (how MLflow 2 logs models); when they hold no
 * model there, the logged model of that run named by the path's first segment (MLflow 3).
 */
async function downloadRunModel(
  store: TrackingStore,
  uri: string,
  cacheDir: string,
  context: ArtifactContext,
): Promise<string> {
  const { runId, artifactPath } = parseRunsUri(uri);
  return cachedModel(cacheDir, `${store.uri}|runs:/${runId}/${artifactPath}`, uri, (directory) =>
    downloadResolved(store, uri, directory, context),
  );
}

/** Downloads into `directory`; false (and `directory` emptied) when nothing there holds an MLmodel. */
async function tryDownload(uri: string, directory: string, context: ArtifactContext): Promise<boolean> {
  try {
    await downloadArtifactTree(uri, directory, context);
  } catch (error) {
    if (!(BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST')) throw error;
  }
  if ((await findModelRoot(directory)) !== undefined) return true;
  for (const entry of await readdir(directory)) await rm(path.join(directory, entry), { recursive: true, force: true });
  return false;
}

async function downloadRegisteredModel(
  store: TrackingStore,
  uri: string,
  parsed: ModelsUri,
  cacheDir: string,
  context: ArtifactContext,
): Promise<string> {
  if (parsed.kind === 'id') {
    return cachedModel(cacheDir, `${store.uri}|logged-model:${parsed.modelId}`, uri, async (directory) => {
      const model = await store.getLoggedModel(parsed.modelId);
      await downloadArtifactTree(model.artifactUri, directory, context);
    });
  }
  // Resolve to a concrete version first: `latest`, stages and aliases move, versions do not.
  const version = await resolveRegisteredVersion(store, parsed);
  const identity = `${store.uri}|models:/${parsed.name}/${version.version}`;
  return cachedModel(cacheDir, identity, uri, async (directory) => {
    const source = await store.getModelVersionDownloadUri(parsed.name, version.version);
    await downloadResolved(store, source, directory, context);
    // MLflow writes this into downloads of registered models; the SageMaker container reads it.
    const root = (await findModelRoot(directory)) ?? directory;
    await writeRegisteredModelMeta(root, parsed.name, version.version);
  });
}

/** A version's source may itself be a `runs:/` or `models:/m-…` URI (MLflow 2.x, 3.x): follow it. */
async function downloadResolved(
  store: TrackingStore,
  uri: string,
  directory: string,
  context: ArtifactContext,
  depth = 0,
): Promise<void> {
  const scheme = uriScheme(uri);
  if (depth > 4) throw BerthError.invalidParameterValue(`Model source ${uri} refers to itself.`);
  if (scheme === 'models') {
    const parsed = parseModelsUri(uri);
    const next =
      parsed.kind === 'id'
        ? (await store.getLoggedModel(parsed.modelId)).artifactUri
        : await store.getModelVersionDownloadUri(parsed.name, (await resolveRegisteredVersion(store, parsed)).version);
    return downloadResolved(store, next, directory, context, depth + 1);
  }
  if (scheme === 'runs') {
    const { runId, artifactPath } = parseRunsUri(uri);
    const run = await store.getRun(runId);
    const runArtifactUri = joinArtifactUri(run.artifactUri, artifactPath);
    if (await tryDownload(runArtifactUri, directory, context)) return;
    const logged = await findRunLoggedModel(store, run, artifactPath);
    if (logged === undefined) throw await runModelNotFoundError(store, uri, run, artifactPath, runArtifactUri);
    return downloadResolved(
      store,
      joinArtifactUri(logged.model.artifactUri, logged.rest),
      directory,
      context,
      depth + 1,
    );
  }
  await downloadArtifactTree(uri, directory, context);
}
