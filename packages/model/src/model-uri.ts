/**
 * Model URIs → a local model directory. Local paths and `file:` URIs are used in place; remote
 * URIs are downloaded into the cache (`model-download.ts`, loaded only for them).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProgressEvent } from '@berth/core';
import { defaultModelCacheDir, extractArchiveToCache } from './download-cache.js';
import { missingMLmodelError } from './mlmodel.js';
import { localPathOf, REGISTERED_SCHEMES, unknownSchemeError, uriScheme } from './model-uri-grammar.js';

export interface ResolveModelUriOptions {
  /** Where downloads are cached; default `<BERTH_HOME>/cache/models`. */
  cacheDir?: string;
  /**
   * Told what a download waits for: a server that does not answer is retried for up to about
   * four minutes under MLflow's default policy, and each retry is reported here, with why.
   */
  onProgress?: (event: ProgressEvent) => void;
}

export async function resolveModelUri(uri: string, options: ResolveModelUriOptions = {}): Promise<string> {
  const scheme = uriScheme(uri);
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  if (scheme === '' || scheme === 'file') {
    const directory = localPathOf(uri);
    const info = await stat(directory).catch(() => undefined);
    if (info === undefined) {
      const error = missingMLmodelError(directory);
      // MLflow 3 logged-model ids look like paths when the scheme is forgotten.
      if (/^m-[0-9a-f]+$/i.test(uri)) error.suggestions.push(`Maybe you meant 'models:/${uri}'?`);
      throw error;
    }
    if (info.isFile() && /\.(tar\.gz|tgz)$/i.test(directory)) return extractArchiveToCache(directory, cacheDir);
    return info.isFile() ? path.dirname(directory) : directory;
  }
  if (!REGISTERED_SCHEMES.includes(scheme)) throw unknownSchemeError(uri);
  const [{ downloadModel }, { withProgressSink }] = await Promise.all([
    import('./model-download.js'),
    import('./retry-notices.js'),
  ]);
  return withProgressSink(options.onProgress, () => downloadModel(uri, scheme, cacheDir));
}
