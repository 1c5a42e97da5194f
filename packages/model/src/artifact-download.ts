/**
 * Artifact URIs → files in a folder, by scheme, as MLflow's artifact repositories do: local paths
 * and `file:`, `mlflow-artifacts:` (the tracking server's artifact proxy, with listings), `s3://`
 * (AWS SDK, loaded only here), `http(s)://` folders (no listing: `MLmodel`, then the files it
 * names) and `.tar.gz` archives. `runs:/` and `models:/` are resolved before this (`model-download.ts`).
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { stringify } from 'yaml';
import { checkArchiveEntry, extractTarGz } from './archive-extraction.js';
import { downloadToFile, type MlflowEndpoint, mlflowApiRequest, redact } from './mlflow-http.js';
import { missingMLmodelError, parseMLmodel } from './mlmodel.js';
import { joinArtifactUri, localPathOf, unknownSchemeError, uriScheme } from './model-uri-grammar.js';
import { externalDataLocations } from './onnx-external-data.js';

const ARCHIVE = /\.(tar\.gz|tgz)$/i;

/** Where `mlflow-artifacts:` URIs resolve: the tracking server, if the store is one. */
export interface ArtifactContext {
  /** The tracking server's base URL; undefined when the tracking store is a database or a folder. */
  server: string | undefined;
  /** The tracking store, for the message when `mlflow-artifacts:` cannot be resolved. */
  storeUri: string;
}

/** Asked only for an `mlflow-artifacts:` URI (it may have to open the tracking store). */
export type ArtifactContextSource = () => Promise<ArtifactContext>;

/** No tracking store: s3:// and http(s):// URIs given directly. */
export const NO_TRACKING_STORE: ArtifactContextSource = async () => ({ server: undefined, storeUri: 'none' });

/** Downloads everything under an artifact URI into `directory` (which exists and is empty). */
export async function downloadArtifactTree(
  uri: string,
  directory: string,
  contextSource: ArtifactContextSource,
): Promise<void> {
  const scheme = uriScheme(uri);
  if (scheme === '' || scheme === 'file') {
    const source = localPathOf(uri);
    const info = await stat(source).catch(() => undefined);
    if (info === undefined) throw missingMLmodelError(source);
    if (info.isFile() && ARCHIVE.test(source)) return extractTarGz(source, directory);
    await cp(source, directory, { recursive: true, dereference: false, verbatimSymlinks: true });
    return;
  }
  if (scheme === 'mlflow-artifacts') {
    const { base, artifactPath } = mlflowArtifactsLocation(uri, await contextSource());
    return downloadProxiedArtifacts(base, artifactPath, directory, { server: base, source: 'MLFLOW_TRACKING_URI' });
  }
  if (scheme === 's3') {
    const { downloadS3 } = await import('./s3-download.js');
    return downloadS3(uri, directory);
  }
  if (scheme === 'http' || scheme === 'https') {
    if (ARCHIVE.test(new URL(uri).pathname)) return downloadArchive(uri, directory);
    // MLflow's HTTP artifact repository pointed at a server's artifact proxy: it has listings.
    const proxied = new URL(uri).pathname.indexOf(MLFLOW_ARTIFACTS_ROUTE);
    if (proxied >= 0) {
      const parsed = new URL(uri);
      const base = `${parsed.origin}${parsed.pathname.slice(0, proxied)}`;
      const artifactPath = decodeURIComponent(parsed.pathname.slice(proxied + MLFLOW_ARTIFACTS_ROUTE.length));
      return downloadProxiedArtifacts(base, artifactPath.replace(/^\/+/, ''), directory, {});
    }
    return downloadKnownFiles(uri, directory);
  }
  throw unknownSchemeError(uri);
}

// ---------------------------------------------------------------------------------------------
// MLflow's artifact proxy: mlflow-artifacts:/path → <server>/api/2.0/mlflow-artifacts/artifacts/path

const MLFLOW_ARTIFACTS_ROUTE = '/api/2.0/mlflow-artifacts/artifacts';

function mlflowArtifactsLocation(uri: string, context: ArtifactContext): { base: string; artifactPath: string } {
  const match = /^mlflow-artifacts:(\/\/([^/]*))?(\/.*)?$/i.exec(uri);
  const host = match?.[2];
  const artifactPath = (match?.[3] ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (context.server === undefined) {
    throw BerthError.invalidParameterValue(
      `${uri} is an mlflow-artifacts: URI, which only an MLflow tracking server can resolve, but the tracking store is ${context.storeUri}.`,
      {
        suggestions: [
          'Set MLFLOW_TRACKING_URI to the http(s) address of the tracking server that stores these artifacts (the server that wrote this database).',
        ],
      },
    );
  }
  const base = host ? `${new URL(context.server).protocol}//${host}` : context.server;
  return { base, artifactPath };
}

interface ArtifactFile {
  path: string;
  is_dir?: boolean;
}

async function downloadProxiedArtifacts(
  base: string,
  root: string,
  directory: string,
  endpoint: MlflowEndpoint,
): Promise<void> {
  const files = await listProxiedArtifacts(base, root, '', endpoint);
  const fileUrl = (relative: string) =>
    `${base}${MLFLOW_ARTIFACTS_ROUTE}/${encodePath(joinArtifactUri(root, relative))}`;
  if (files.length === 0) {
    // A listing of a single file is empty: maybe the URI names an archive (model.tar.gz).
    if (ARCHIVE.test(root)) return downloadArchive(fileUrl(''), directory);
    throw missingMLmodelError(`mlflow-artifacts:/${root}`);
  }
  await inParallel(files, DOWNLOADS_AT_ONCE, (relative) =>
    downloadFile(fileUrl(relative), directory, relative, endpoint),
  );
}

/** Files of one model fetched at once from the artifact proxy (MLflow's client uses a thread pool too). */
const DOWNLOADS_AT_ONCE = 4;

/** Runs `task` over `items`, at most `limit` at a time; the first failure rejects (the rest finish first). */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const item = items[next++] as T;
      await task(item).catch((error: unknown) => {
        failures.push(error);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

const MAX_TREE_DEPTH = 32;

async function listProxiedArtifacts(
  base: string,
  root: string,
  relative: string,
  endpoint: MlflowEndpoint,
  depth = 0,
): Promise<string[]> {
  if (depth > MAX_TREE_DEPTH) throw BerthError.invalidParameterValue(`Artifact tree under ${root} is too deep.`);
  const listed = joinArtifactUri(root, relative);
  const body = await mlflowApiRequest<{ files?: ArtifactFile[] }>(
    `${base}${MLFLOW_ARTIFACTS_ROUTE}?${new URLSearchParams({ path: listed })}`,
    {},
    endpoint.server ? endpoint : { server: base },
  );
  const out: string[] = [];
  for (const file of body.files ?? []) {
    // The server answers paths relative to the listed folder (or to the root, in older versions).
    const child = relative === '' ? file.path : `${relative}/${path.posix.basename(file.path)}`;
    if (file.is_dir) out.push(...(await listProxiedArtifacts(base, root, child, endpoint, depth + 1)));
    else out.push(child);
  }
  return out;
}

function encodePath(relative: string): string {
  return relative.split('/').map(encodeURIComponent).join('/');
}

function safeTarget(directory: string, relative: string): string {
  checkArchiveEntry({ path: relative, type: 'File' });
  const target = path.resolve(directory, relative);
  if (!target.startsWith(path.resolve(directory) + path.sep)) {
    throw BerthError.invalidParameterValue(`Refusing to write "${relative}" outside the model folder.`);
  }
  return target;
}

async function downloadFile(url: string, directory: string, relative: string, endpoint: MlflowEndpoint = {}) {
  const target = safeTarget(directory, relative);
  await mkdir(path.dirname(target), { recursive: true });
  await downloadToFile(url, target, endpoint);
}

async function downloadArchive(url: string, directory: string): Promise<void> {
  const archive = path.join(directory, '..', `${path.basename(directory)}.archive.tar.gz`);
  try {
    await downloadToFile(url, archive);
    await extractTarGz(archive, directory);
  } finally {
    await rm(archive, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP folders have no listing: fetch MLmodel, then the files it names.

const OPTIONAL_FILES = ['conda.yaml', 'python_env.yaml', 'requirements.txt', 'registered_model_meta'];

function isNotFound(error: unknown): boolean {
  return BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST';
}

async function downloadKnownFiles(url: string, directory: string): Promise<void> {
  const base = url.replace(/\/+$/, '').replace(/\/MLmodel$/, '');
  await downloadFile(`${base}/MLmodel`, directory, 'MLmodel').catch((error: unknown) => {
    if (isNotFound(error)) throw missingMLmodelError(redact(url));
    throw error;
  });
  const model = parseMLmodel(await readFile(path.join(directory, 'MLmodel'), 'utf8'), `${redact(base)}/MLmodel`);
  const required = new Set<string>();
  for (const [name, flavor] of Object.entries(model.flavors)) {
    if (name === 'js') {
      required.add(typeof flavor.module === 'string' ? flavor.module : 'model.mjs');
      if (Array.isArray(flavor.files))
        for (const file of flavor.files) if (typeof file === 'string') required.add(file);
    } else if (name === 'onnx') required.add(typeof flavor.data === 'string' ? flavor.data : 'model.onnx');
  }
  const optional = new Set(OPTIONAL_FILES);
  const example = model.savedInputExampleInfo;
  if (example) {
    optional.add(example.artifactPath);
    if (example.servingInputPath) optional.add(example.servingInputPath);
  }
  for (const relative of required) {
    await downloadFile(`${base}/${encodePath(relative)}`, directory, relative);
    if (relative.endsWith('.onnx')) {
      const bytes = new Uint8Array(await readFile(path.join(directory, relative)));
      for (const side of externalDataLocations(bytes)) {
        const sideRelative = path.posix.join(path.posix.dirname(relative), side);
        await downloadFile(`${base}/${encodePath(sideRelative)}`, directory, sideRelative);
      }
    }
  }
  for (const relative of optional) {
    await downloadFile(`${base}/${encodePath(relative)}`, directory, relative).catch(async (error: unknown) => {
      if (!isNotFound(error)) throw error;
      await rm(safeTarget(directory, relative), { force: true });
    });
  }
}

/** Writes MLflow's `registered_model_meta` into a downloaded registry version (the SageMaker container reads it). */
export async function writeRegisteredModelMeta(root: string, name: string, version: string): Promise<void> {
  await writeFile(path.join(root, 'registered_model_meta'), stringify({ model_name: name, model_version: version }));
}
