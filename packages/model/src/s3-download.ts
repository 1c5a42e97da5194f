/**
 * `s3://bucket/prefix` downloads with the AWS SDK v3 (imported only here). S3-compatible stores
 * (MinIO, s3rver, R2…) via `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` or MLflow's
 * `MLFLOW_S3_ENDPOINT_URL`, with path-style addressing.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { checkArchiveEntry, extractTarGz } from './archive-extraction.js';

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (match === null)
    throw BerthError.invalidParameterValue(`Not a valid S3 URI: ${uri}. Expected s3://<bucket>/<key>.`);
  return { bucket: match[1] as string, key: (match[2] as string).replace(/\/+$/, '') };
}

export function s3Endpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || env.MLFLOW_S3_ENDPOINT_URL || undefined;
}

export async function downloadS3(uri: string, directory: string): Promise<void> {
  const { S3Client, ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { bucket, key } = parseS3Uri(uri);
  const endpoint = s3Endpoint();
  const client = new S3Client({
    region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
  const getBytes = async (objectKey: string): Promise<Uint8Array> => {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
    if (!response.Body)
      throw new BerthError(`Empty object s3://${bucket}/${objectKey}`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    return response.Body.transformToByteArray();
  };
  try {
    if (/\.(tar\.gz|tgz)$/i.test(key)) {
      const archive = path.join(directory, '..', `${path.basename(directory)}.archive.tar.gz`);
      await writeFile(archive, await getBytes(key));
      try {
        await extractTarGz(archive, directory);
      } finally {
        await rm(archive, { force: true });
      }
      return;
    }
    const prefix = key === '' ? '' : `${key}/`;
    let token: string | undefined;
    let count = 0;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        const relative = object.Key.slice(prefix.length);
        checkArchiveEntry({ path: relative, type: 'File' });
        const target = path.join(directory, relative);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, await getBytes(object.Key));
        count++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (count === 0) {
      throw new BerthError(`No objects found under ${uri}`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    }
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    const name = (error as { name?: string }).name ?? 'Error';
    const code =
      name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound'
        ? 'RESOURCE_DOES_NOT_EXIST'
        : 'INTERNAL_ERROR';
    throw new BerthError(`Failed to download ${uri}: ${name}: ${(error as Error).message}`, { code, cause: error });
  } finally {
    client.destroy();
  }
}
