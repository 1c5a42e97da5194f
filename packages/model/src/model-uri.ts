/**
 * Model URIs → a local model directory. Local paths and `file:` URIs are used in place; remote
 * URIs are downloaded into the cache (see `model-download.ts`).
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '@berth/core';
import { missingMLmodelError } from './mlmodel.js';

export interface ResolveModelUriOptions {
  /** Where downloads are cached; default `<BERTH_HOME>/cache/models`. */
  cacheDir?: string;
}

export const REGISTERED_SCHEMES = ['', 'file', 'runs', 'models', 'mlflow-artifacts', 's3', 'http', 'https'];

/** `scheme` per Python's urllib: a letter, then letters, digits, `+`, `-`, `.`; one letter is a drive. */
export function uriScheme(uri: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (match === null || (match[1] as string).length === 1) return '';
  return (match[1] as string).toLowerCase();
}

export function unknownSchemeError(uri: string): BerthError {
  return BerthError.invalidParameterValue(
    `Could not find a registered artifact repository for: ${uri}. Currently registered schemes are: [${REGISTERED_SCHEMES.map((scheme) => `'${scheme}'`).join(', ')}]`,
  );
}

export function localPathOf(uri: string): string {
  if (uriScheme(uri) !== 'file') return path.resolve(uri);
  // file:relative/path and file:///abs/path both occur in MLflow.
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  return path.resolve(decodeURIComponent(uri.slice('file:'.length)));
}

/** `<BERTH_HOME>/cache/models` (BERTH_HOME defaults to ~/.berth): where remote models are cached. */
export function defaultModelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.BERTH_HOME && env.BERTH_HOME !== '' ? env.BERTH_HOME : path.join(os.homedir(), '.berth');
  return path.join(home, 'cache', 'models');
}

export async function resolveModelUri(uri: string, options: ResolveModelUriOptions = {}): Promise<string> {
  const scheme = uriScheme(uri);
  if (scheme === '' || scheme === 'file') {
    const directory = localPathOf(uri);
    const info = await stat(directory).catch(() => undefined);
    if (info === undefined) {
      const error = missingMLmodelError(directory);
      // MLflow 3 logged-model ids look like paths when the scheme is forgotten.
      if (/^m-[0-9a-f]+$/i.test(uri)) error.suggestions.push(`Maybe you meant 'models:/${uri}'?`);
      throw error;
    }
    if (info.isFile() && /\.(tar\.gz|tgz)$/i.test(directory)) {
      const { extractArchiveToCache } = await import('./model-download.js');
      return extractArchiveToCache(directory, options.cacheDir);
    }
    return info.isFile() ? path.dirname(directory) : directory;
  }
  if (!REGISTERED_SCHEMES.includes(scheme)) throw unknownSchemeError(uri);
  const { downloadModel } = await import('./model-download.js');
  return downloadModel(uri, scheme, options.cacheDir);
}
