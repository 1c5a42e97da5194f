import { readdir } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { BerthError } from '@berth/core';
import type { Pack } from 'tar';
import type { AwsClients } from './aws-clients.js';
import { awsError } from './aws-errors.js';

/**
 * The model directory as `model.tar.gz` in S3, streamed: tar → gzip → a multipart upload
 * (`@aws-sdk/lib-storage`), no temporary file, so memory stays near `queueSize × partSize` whatever
 * the model's size. Entries are named relative to the directory's root, as MLflow's
 * `_make_tarfile` writes them and SageMaker extracts them into `/opt/ml/model`.
 */

/** Left in a downloaded model's folder by `@berth/model`'s cache; not part of the model. */
const EXCLUDED_ENTRIES = new Set(['.berth-download.json']);
/** SageMaker reads the object only when this tag says so (MLflow sets it too). */
export const SAGEMAKER_OBJECT_TAGGING = 'SageMaker=true';
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;

export interface UploadedModel {
  /** `s3://bucket/key`, the ModelDataUrl of CreateModel. */
  url: string;
  bucket: string;
  key: string;
  /** Size of model.tar.gz. */
  bytes: number;
}

export interface UploadOptions {
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * The model directory as the `model.tar.gz` stream that create uploads and run-local extracts
 * (one packer for both, so run-local serves exactly what SageMaker gets).
 */
export async function createModelArchive(directory: string): Promise<Pack> {
  const entries = (await readdir(directory)).filter((entry) => !EXCLUDED_ENTRIES.has(entry)).sort();
  if (entries.length === 0) {
    throw BerthError.invalidParameterValue(`The model directory ${directory} is empty; there is nothing to upload.`);
  }
  const { create } = await import('tar');
  // tar reads files in blocks of up to 16 MiB by default, and several can wait for gzip at once;
  // 1 MiB blocks keep the pipeline's memory near the upload's own part buffers (bench/sagemaker).
  return create({ gzip: true, cwd: directory, portable: true, maxReadSize: 1024 * 1024 }, entries);
}

export async function uploadModelArchive(
  clients: AwsClients,
  directory: string,
  bucket: string,
  key: string,
  options: UploadOptions = {},
): Promise<UploadedModel> {
  const [archive, { Upload }, { client }] = await Promise.all([
    createModelArchive(directory),
    import('@aws-sdk/lib-storage'),
    clients.s3(),
  ]);
  // lib-storage takes Node Readables; tar's minipass stream is piped into one (with backpressure).
  let bytes = 0;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  let packError: unknown;
  archive.on('error', (error: unknown) => {
    packError = error;
    body.destroy(error as Error);
  });
  archive.pipe(body);

  const upload = new Upload({
    client,
    params: {
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: 'application/gzip',
      Tagging: SAGEMAKER_OBJECT_TAGGING,
    },
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  upload.on('httpUploadProgress', (progress) => options.onProgress?.(progress.loaded ?? bytes));
  const abort = () => {
    void upload.abort();
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    await upload.done();
  } catch (error) {
    if (options.signal?.aborted) {
      throw new BerthError(`The upload of s3://${bucket}/${key} was stopped; nothing was created in SageMaker.`, {
        code: 'CANCELLED',
        cause: error,
      });
    }
    if (packError !== undefined) {
      throw new BerthError(`Could not pack the model directory ${directory}: ${(packError as Error).message}`, {
        code: 'INVALID_PARAMETER_VALUE',
        cause: packError,
      });
    }
    throw awsError(error, `Could not upload the model to s3://${bucket}/${key}`);
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  return { url: `s3://${bucket}/${key}`, bucket, key, bytes };
}

/** `s3://bucket/a/b` → `{bucket, key}`; SageMaker's ModelDataUrl may also be an https S3 URL. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (s3) return { bucket: s3[1] as string, key: s3[2] as string };
  const https = /^https:\/\/([^./]+)\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com(\.cn)?\/(.+)$/.exec(url);
  if (https) return { bucket: https[1] as string, key: decodeURIComponent(https[4] as string) };
  return undefined;
}
