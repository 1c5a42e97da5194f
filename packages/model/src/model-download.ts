/**
 * Remote model URIs → a directory in the download cache (`<BERTH_HOME>/cache/models/<key>`).
 * Every download lands in a temporary folder that is renamed into place once complete, so a
 * crashed or concurrent download never leaves a half-written model behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '@berth/core';
import { stringify } from 'yaml';
import { checkArchiveEntry, extractTarGz, findModelRoot } from './archive-extraction.js';
import { missingMLmodelError, parseMLmodel } from './mlmodel.js';
import { defaultModelCacheDir, localPathOf, unknownSchemeError, uriScheme } from './model-uri.js';
import { externalDataLocations } from './onnx-external-data.js';
import { type ArtifactFile, fetchTracking, redact, trackingStore, trackingUri } from './tracking-client.js';

const MARKER = '.berth-download.json';
const DOWNLOAD_TIMEOUT_MS = 30 * 60_000;
const ARCHIVE = /\.(tar\.gz|tgz)$/i;

function cacheKey(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

/** A model folder for `identity`, filled by `fill` into a temp folder the first time. */
async function cached(
  cacheDir: string,
  identity: string,
  source: string,
  fill: (directory: string) => Promise<void>,
): Promise<string> {
  const final = path.join(cacheDir, cacheKey(identity));
  const existing = await readMarker(final);
  if (existing !== undefined) return existing;
  await mkdir(cacheDir, { recursive: true });
  const temp = path.join(cacheDir, `.tmp-${cacheKey(identity)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  try {
    await fill(temp);
    const root = await findModelRoot(temp);
    if (root === undefined) throw missingMLmodelError(source);
    await writeFile(
      path.join(temp, MARKER),
      JSON.stringify({ source, root: path.relative(temp, root), downloadedAt: new Date().toISOString() }),
    );
    try {
      await rename(temp, final);
    } catch (error) {
      // Another process finished the same download first: use theirs.
      const theirs = await readMarker(final);
      if (theirs !== undefined) {
        await rm(temp, { recursive: true, force: true });
        return theirs;
      }
      // The marker is written before the atomic rename, so a folder without one is debris: replace it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw error;
      await rm(final, { recursive: true, force: true });
      await rename(temp, final);
    }
    return path.join(final, path.relative(temp, root));
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

async function readMarker(directory: string): Promise<string | undefined> {
  const text = await readFile(path.join(directory, MARKER), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const marker = JSON.parse(text) as { root?: string };
    return path.join(directory, marker.root ?? '');
  } catch {
    return undefined;
  }
}

/** A local `.tar.gz` model: extracted once per (path, size, mtime). */
export async function extractArchiveToCache(archive: string, cacheDir = defaultModelCacheDir()): Promise<string> {
  const info = await stat(archive);
  const identity = `archive:${path.resolve(archive)}:${info.size}:${info.mtimeMs}`;
  return cached(cacheDir, identity, archive, (directory) => extractTarGz(archive, directory));
}

// ---------------------------------------------------------------------------------------------
// URI grammar (MLflow's messages)

export function parseRunsUri(uri: string): { runId: string; artifactPath: string } {
  const match = /^runs:(\/\/[^/]*)?(\/.*)?$/i.exec(uri);
  const rest = match?.[2] ?? '';
  const [runId = '', ...parts] = rest.replace(/^\//, '').split('/');
  if (match === null || !rest.startsWith('/') || runId === '') {
    throw BerthError.invalidParameterValue(
      `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
    );
  }
  return { runId, artifactPath: parts.filter((part) => part !== '').join('/') };
}

export type ModelsUri =
  | { kind: 'version'; name: string; version: string }
  | { kind: 'latest'; name: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'id'; modelId: string };

export function parseModelsUri(uri: string): ModelsUri {
  const invalid = () =>
    BerthError.invalidParameterValue(
      `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`,
    );
  const match = /^models:(\/\/[^/]*)?(\/.*)?$/i.exec(uri);
  const rest = match?.[2] ?? '';
  if (match === null || !rest.startsWith('/') || rest.length <= 1) throw invalid();
  const parts = rest.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || (parts[0] ?? '').trim() === '') throw invalid();
  const name = decodeURIComponent(parts[0] as string);
  if (parts.length === 2) {
    const suffix = decodeURIComponent(parts[1] as string);
    if (suffix.trim() === '') throw invalid();
    if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
    return { kind: 'stage', name, stage: suffix };
  }
  if (name.includes('@')) {
    const at = name.lastIndexOf('@');
    const modelName = name.slice(0, at);
    const alias = name.slice(at + 1);
    if (modelName.trim() === '' || alias.trim() === '') throw invalid();
    return { kind: 'alias', name: modelName, alias };
  }
  return { kind: 'id', modelId: name };
}

// ---------------------------------------------------------------------------------------------

export interface DownloadOptions {
  cacheDir?: string;
}

export async function downloadModel(uri: string, scheme: string, cacheDir = defaultModelCacheDir()): Promise<string> {
  if (scheme === 'models') return downloadRegisteredModel(uri, cacheDir);
  if (scheme === 'runs') {
    const { runId, artifactPath } = parseRunsUri(uri);
    const client = await trackingStore();
    const identity = `${client.baseUri}|runs:/${runId}/${artifactPath}`;
    return cached(cacheDir, identity, uri, async (directory) => {
      const artifactRoot = await client.runArtifactUri(runId);
      await downloadArtifactTree(joinUri(artifactRoot, artifactPath), directory);
    });
  }
  return cached(cacheDir, uri, redact(uri), (directory) => downloadArtifactTree(uri, directory));
}

async function downloadRegisteredModel(uri: string, cacheDir: string): Promise<string> {
  const parsed = parseModelsUri(uri);
  const client = await trackingStore();
  if (parsed.kind === 'id') {
    const identity = `${client.baseUri}|logged-model:${parsed.modelId}`;
    return cached(cacheDir, identity, uri, async (directory) => {
      await downloadArtifactTree(await client.loggedModelArtifactUri(parsed.modelId), directory);
    });
  }
  // Resolve to a concrete version first: `latest`, stages and aliases move, versions do not.
  const version =
    parsed.kind === 'version'
      ? await client.modelVersion(parsed.name, parsed.version)
      : parsed.kind === 'latest'
        ? await client.latestVersion(parsed.name)
        : parsed.kind === 'stage'
          ? await client.latestVersion(parsed.name, parsed.stage)
          : await client.versionByAlias(parsed.name, parsed.alias);
  const identity = `${client.baseUri}|models:/${parsed.name}/${version.version}`;
  return cached(cacheDir, identity, uri, async (directory) => {
    const source = await client.downloadUri(parsed.name, version.version).catch((error: unknown) => {
      if (version.source) return version.source;
      throw error;
    });
    await downloadArtifactTree(source, directory);
    const root = (await findModelRoot(directory)) ?? directory;
    // MLflow writes this into downloads of registered models; the SageMaker container reads it.
    await writeFile(
      path.join(root, 'registered_model_meta'),
      stringify({ model_name: parsed.name, model_version: version.version }),
    );
  });
}

function joinUri(base: string, relative: string): string {
  if (relative === '') return base;
  return `${base.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`;
}

/** Downloads everything under an artifact URI into `directory`. */
export async function downloadArtifactTree(uri: string, directory: string): Promise<void> {
  const scheme = uriScheme(uri);
  if (scheme === '' || scheme === 'file') {
    const source = localPathOf(uri);
    const info = await stat(source).catch(() => undefined);
    if (info === undefined) throw missingMLmodelError(source);
    if (info.isFile() && ARCHIVE.test(source)) return extractTarGz(source, directory);
    await cp(source, directory, { recursive: true, dereference: false, verbatimSymlinks: true });
    return;
  }
  if (scheme === 'runs' || scheme === 'models') {
    const resolved = await downloadModel(uri, scheme, path.join(directory, '..', '.nested'));
    await cp(resolved, directory, { recursive: true });
    return;
  }
  if (scheme === 'mlflow-artifacts') return downloadMlflowArtifacts(mlflowArtifactsHttpUri(uri), directory);
  if (scheme === 's3') {
    const { downloadS3 } = await import('./s3-download.js');
    return downloadS3(uri, directory);
  }
  if (scheme === 'http' || scheme === 'https') {
    if (ARCHIVE.test(new URL(uri).pathname)) return downloadArchive(uri, directory);
    if (uri.includes(MLFLOW_ARTIFACTS_ROUTE)) return downloadMlflowArtifacts(uri, directory);
    return downloadKnownFiles(uri, directory);
  }
  throw unknownSchemeError(uri);
}

// ---------------------------------------------------------------------------------------------
// MLflow artifact proxy: mlflow-artifacts:/path → <tracking>/api/2.0/mlflow-artifacts/artifacts/path

const MLFLOW_ARTIFACTS_ROUTE = '/api/2.0/mlflow-artifacts/artifacts';

export function mlflowArtifactsHttpUri(uri: string): string {
  const match = /^mlflow-artifacts:(\/\/([^/]*))?(\/.*)?$/i.exec(uri);
  const host = match?.[2];
  const artifactPath = (match?.[3] ?? '').replace(/^\/+/, '');
  const tracking = trackingUri();
  const base = host ? `${new URL(tracking).protocol}//${host}` : tracking;
  return `${base}${MLFLOW_ARTIFACTS_ROUTE}/${artifactPath}`;
}

async function downloadMlflowArtifacts(httpUri: string, directory: string): Promise<void> {
  const [base = '', tail = ''] = httpUri.split(MLFLOW_ARTIFACTS_ROUTE);
  const root = tail.replace(/^\/+/, '').replace(/\/+$/, '');
  const files = await listMlflowArtifacts(base, root, '');
  if (files.length === 0) {
    // Maybe the URI names a single file (e.g. model.tar.gz).
    if (ARCHIVE.test(root)) return downloadArchive(httpUri, directory);
    throw missingMLmodelError(redact(httpUri));
  }
  for (const relative of files) {
    await downloadFile(`${base}${MLFLOW_ARTIFACTS_ROUTE}/${encodePath(joinUri(root, relative))}`, directory, relative);
  }
}

async function listMlflowArtifacts(base: string, root: string, relative: string, depth = 0): Promise<string[]> {
  if (depth > 32) throw BerthError.invalidParameterValue(`Artifact tree under ${root} is too deep.`);
  const listed = joinUri(root, relative);
  const response = await fetchTracking(`${base}${MLFLOW_ARTIFACTS_ROUTE}?${new URLSearchParams({ path: listed })}`);
  const body = (await response.json()) as { files?: ArtifactFile[] };
  const out: string[] = [];
  for (const file of body.files ?? []) {
    // The server answers paths relative to the listed folder.
    const child = relative === '' ? file.path : `${relative}/${path.posix.basename(file.path)}`;
    if (file.is_dir) out.push(...(await listMlflowArtifacts(base, root, child, depth + 1)));
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

async function downloadFile(url: string, directory: string, relative: string): Promise<void> {
  const target = safeTarget(directory, relative);
  const response = await fetchTracking(url, {}, DOWNLOAD_TIMEOUT_MS);
  await mkdir(path.dirname(target), { recursive: true });
  await streamToFile(response, target);
}

/** Streams a response body to disk (model files can be large). */
async function streamToFile(response: Response, target: string): Promise<void> {
  if (response.body === null) {
    await writeFile(target, new Uint8Array(await response.arrayBuffer()));
    return;
  }
  await pipeline(
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
    createWriteStream(target),
  );
}

async function downloadArchive(url: string, directory: string): Promise<void> {
  const response = await fetchTracking(url, {}, DOWNLOAD_TIMEOUT_MS);
  const archive = path.join(directory, '..', `${path.basename(directory)}.archive.tar.gz`);
  await streamToFile(response, archive);
  try {
    await extractTarGz(archive, directory);
  } finally {
    await rm(archive, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP folders have no listing: fetch MLmodel, then the files it names.

const OPTIONAL_FILES = ['conda.yaml', 'python_env.yaml', 'requirements.txt', 'registered_model_meta'];

async function downloadKnownFiles(url: string, directory: string): Promise<void> {
  const base = url.replace(/\/+$/, '').replace(/\/MLmodel$/, '');
  const mlmodelResponse = await fetchTracking(`${base}/MLmodel`).catch((error: unknown) => {
    if (BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST')
      throw missingMLmodelError(redact(url));
    throw error;
  });
  const text = await mlmodelResponse.text();
  await writeFile(path.join(directory, 'MLmodel'), text);
  const model = parseMLmodel(text, `${base}/MLmodel`);
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
    await downloadFile(`${base}/${encodePath(relative)}`, directory, relative).catch((error: unknown) => {
      if (!(BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST')) throw error;
    });
  }
}
