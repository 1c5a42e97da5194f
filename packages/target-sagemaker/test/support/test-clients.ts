/** SDK clients for tests, pointed at moto_server and the loopback SageMaker with dummy credentials. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { TEST_CREDENTIALS } from './loopback-sagemaker/loopback-sagemaker-server.js';

export const REGION = 'us-west-2';
export const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
export const irisModel = path.join(repoRoot, 'examples/models/iris');
export const BERTH_IMAGE = `123456789012.dkr.ecr.${REGION}.amazonaws.com/berth-scoring-server:0.1.0`;
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/berth-test-execution';

export interface TestClients {
  s3: S3Client;
  cloudWatch: CloudWatchClient;
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  destroy(): void;
}

export function testClients(motoUrl: string, sagemakerUrl: string): TestClients {
  const common = { region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  const clients = {
    s3: new S3Client({ ...common, endpoint: motoUrl, forcePathStyle: true }),
    cloudWatch: new CloudWatchClient({ ...common, endpoint: motoUrl }),
    sagemaker: new SageMakerClient({ ...common, endpoint: sagemakerUrl }),
    runtime: new SageMakerRuntimeClient({ ...common, endpoint: sagemakerUrl }),
  };
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

/** `model.tar.gz` of a model directory (entries relative to its root), uploaded to moto's S3. */
export async function uploadModelTarball(
  s3: S3Client,
  bucket: string,
  key: string,
  directory: string,
): Promise<string> {
  const tar = await import('tar');
  await s3
    .send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }))
    .catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
  const chunks: Buffer[] = [];
  for await (const chunk of tar.c({ gzip: true, cwd: directory, portable: true }, await readdir(directory))) {
    chunks.push(chunk as Buffer);
  }
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.concat(chunks) }));
  return `s3://${bucket}/${key}`;
}

/** Polls `check` until it returns a value (not undefined), bounded in time. */
export async function until<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
