import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from './berth-error.js';
import type { DatasetSource, DatasetSourceFactory, DatasetSourceJSON } from './dataset-source.js';

/** A URI scheme of two or more characters; one letter before `:` is a Windows drive, i.e. a path. */
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;

/** A file on this machine, from a path or a `file:` URI. */
export class LocalDatasetSource implements DatasetSource {
  readonly sourceType = 'local';
  /** Absolute, so the JSON form still points at the same file from another working directory. */
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  async load(): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new BerthError(`Could not read the dataset file ${this.path}: ${(error as Error).message}`, {
        code: code === 'ENOENT' ? 'RESOURCE_DOES_NOT_EXIST' : 'INVALID_PARAMETER_VALUE',
        cause: error,
      });
    }
  }

  toJSON(): DatasetSourceJSON {
    return { sourceType: this.sourceType, path: this.path };
  }
}

export const localDatasetSourceFactory: DatasetSourceFactory = {
  canResolve: (raw) => raw !== '-' && raw !== '' && (/^file:/i.test(raw) || !URI_SCHEME.test(raw)),
  fromRaw: (raw) => new LocalDatasetSource(/^file:/i.test(raw) ? filePath(raw) : raw),
  fromJSON: (json) => new LocalDatasetSource(stringField(json, 'path')),
};

function filePath(uri: string): string {
  // `file:///abs` and `file://localhost/abs` are URLs; `file:relative/x` (as MLflow accepts) is a path.
  return uri.startsWith('file://') ? fileURLToPath(uri) : uri.slice('file:'.length);
}

/** A file behind an http(s) URL, fetched with the retrying helper. */
export class HttpDatasetSource implements DatasetSource {
  readonly sourceType = 'http';
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async load(): Promise<Uint8Array> {
    // Loaded on use so that `@berth/core` alone does not pull the HTTP helper in.
    const { fetchWithRetry } = await import('./http/fetch-with-retry.js');
    const response = await fetchWithRetry(this.url);
    return new Uint8Array(await response.arrayBuffer());
  }

  toJSON(): DatasetSourceJSON {
    return { sourceType: this.sourceType, url: this.url };
  }
}

export const httpDatasetSourceFactory: DatasetSourceFactory = {
  canResolve: (raw) => /^https?:\/\//i.test(raw),
  fromRaw: (raw) => new HttpDatasetSource(raw),
  fromJSON: (json) => new HttpDatasetSource(stringField(json, 'url')),
};

/** Standard input, named `-`. Read once; later loads return the same bytes. */
export class StdinDatasetSource implements DatasetSource {
  readonly sourceType = 'stdin';
  readonly #stream: NodeJS.ReadableStream;
  #bytes: Promise<Uint8Array> | undefined;

  constructor(stream: NodeJS.ReadableStream = process.stdin) {
    this.#stream = stream;
  }

  load(): Promise<Uint8Array> {
    this.#bytes ??= readAll(this.#stream);
    return this.#bytes;
  }

  toJSON(): DatasetSourceJSON {
    return { sourceType: this.sourceType };
  }
}

export const stdinDatasetSourceFactory: DatasetSourceFactory = {
  canResolve: (raw) => raw === '-',
  fromRaw: () => new StdinDatasetSource(),
  fromJSON: () => new StdinDatasetSource(),
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function stringField(json: DatasetSourceJSON, field: string): string {
  const value = json[field];
  if (typeof value !== 'string' || value === '') {
    throw BerthError.invalidParameterValue(
      `Invalid ${json.sourceType} dataset source JSON: "${field}" must be a non-empty string, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}
