import { BerthError } from '@berth/core';

export async function extractArchiveToCache(_archive: string, _cacheDir?: string): Promise<string> {
  throw new BerthError('Archive models are not supported yet.', { code: 'NOT_IMPLEMENTED' });
}

export async function downloadModel(uri: string, _scheme: string, _cacheDir?: string): Promise<string> {
  throw new BerthError(`Downloading ${uri} is not supported yet.`, { code: 'NOT_IMPLEMENTED' });
}
