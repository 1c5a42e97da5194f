import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { BerthError } from '@berth/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from './aws-clients.js';
import { type FakeAws, fakeAws, tarFiles } from './fake-aws.js';
import { MAX_PARTS, partSizeFor, uploadModelArchive } from './model-upload.js';

const BUCKET = 'models';
const KEY = 'iris-1/model.tar.gz';
const PART = 64 * 1024;
let scratch: string;
let small: string;
let large: string;
let aws: FakeAws;

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      if (!BerthError.isInstance(error)) throw error;
      return error;
    },
  );

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'berth-sagemaker-upload-'));
  small = path.join(scratch, 'small');
  await mkdir(small);
  await writeFile(path.join(small, 'MLmodel'), 'flavors:\n  onnx:\n    onnx_model_data: model.onnx\n');
  await writeFile(path.join(small, 'model.onnx'), 'onnx');
  await writeFile(path.join(small, '.berth-download.json'), '{}');
  large = path.join(scratch, 'large');
  await mkdir(path.join(large, 'weights'), { recursive: true });
  await writeFile(path.join(large, 'MLmodel'), 'flavors:\n  onnx:\n    onnx_model_data: model.onnx\n');
  // Random bytes: gzip cannot shrink them, so the archive is ~10 parts of 64 KiB.
  await writeFile(path.join(large, 'model.onnx'), randomBytes(400 * 1024));
  await writeFile(path.join(large, 'weights', 'extra.bin'), randomBytes(250 * 1024 + 17));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));
beforeEach(() => {
  aws = fakeAws();
  vi.stubEnv('AWS_REGION', 'us-west-2');
});
afterEach(() => {
  aws.restore();
  vi.unstubAllEnvs();
});

describe('uploadModelArchive', () => {
  it('sends an archive smaller than one part as one tagged PutObject, entries relative to the root', async () => {
    const progress: number[] = [];
    const uploaded = await uploadModelArchive(new AwsClients('us-west-2'), small, BUCKET, KEY, {
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(aws.s3.stub.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    const put = aws.s3.stub.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, Key: KEY, Tagging: 'SageMaker=true', ContentType: 'application/gzip' });
    const stored = aws.s3.objects.get(`${BUCKET}/${KEY}`);
    expect(uploaded).toEqual({ url: `s3://${BUCKET}/${KEY}`, bucket: BUCKET, key: KEY, bytes: stored?.body.length });
    expect(progress).toEqual([stored?.body.length]);
    const files = tarFiles(gunzipSync(stored?.body as Uint8Array));
    expect([...files.keys()].sort()).toEqual(['MLmodel', 'model.onnx']);
    expect(files.get('model.onnx')?.toString()).toBe('onnx');
  });

  it('streams a larger archive as a multipart upload whose parts, put together, are the model', async () => {
    const progress: number[] = [];
    const uploaded = await uploadModelArchive(new AwsClients('us-west-2'), large, BUCKET, KEY, {
      partSize: PART,
      onProgress: (bytes) => progress.push(bytes),
    });
    const create = aws.s3.stub.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      Bucket: BUCKET,
      Key: KEY,
      Tagging: 'SageMaker=true',
      ContentType: 'application/gzip',
    });
    const parts = aws.s3.stub.commandCalls(UploadPartCommand).map((call) => call.args[0].input);
    expect(parts.length).toBeGreaterThanOrEqual(10);
    expect(parts.map((part) => part.PartNumber)).toEqual(parts.map((_, index) => index + 1));
    // Every part but the last is exactly one part size (S3 refuses smaller ones).
    for (const part of parts.slice(0, -1)) expect(part.ContentLength).toBe(PART);
    expect(parts.at(-1)?.ContentLength).toBeGreaterThan(0);
    expect(parts.at(-1)?.ContentLength).toBeLessThanOrEqual(PART);
    const complete = aws.s3.stub.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input;
    expect(complete?.MultipartUpload?.Parts?.map((part) => [part.PartNumber, part.ETag])).toEqual(
      parts.map((part) => [part.PartNumber, `"etag-${part.PartNumber}"`]),
    );
    expect(aws.s3.stub.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(aws.s3.stub.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);

    // The part buffers are reused: the object is right only if no part was overwritten in flight.
    const stored = aws.s3.objects.get(`${BUCKET}/${KEY}`);
    expect(stored?.tagging).toBe('SageMaker=true');
    expect(uploaded.bytes).toBe(stored?.body.length);
    const files = tarFiles(gunzipSync(stored?.body as Uint8Array));
    expect([...files.keys()].sort()).toEqual(['MLmodel', 'model.onnx', 'weights/extra.bin']);
    expect(files.get('model.onnx')?.equals(await readFile(path.join(large, 'model.onnx')))).toBe(true);
    expect(files.get('weights/extra.bin')?.equals(await readFile(path.join(large, 'weights', 'extra.bin')))).toBe(true);
    expect(progress.at(-1)).toBe(uploaded.bytes);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('keeps at most two parts in flight, whatever the model size (the memory bound)', async () => {
    let inFlight = 0;
    let most = 0;
    aws.s3.stub.on(UploadPartCommand).callsFake(async ({ PartNumber }) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight--;
      return { ETag: `"etag-${PartNumber}"` };
    });
    aws.s3.stub.on(CompleteMultipartUploadCommand).resolves({});
    await uploadModelArchive(new AwsClients('us-west-2'), large, BUCKET, KEY, { partSize: PART });
    expect(aws.s3.stub.commandCalls(UploadPartCommand).length).toBeGreaterThanOrEqual(10);
    expect(most).toBe(2);
  });

  it('aborts the multipart upload when a part is refused, and says what S3 said', async () => {
    aws.s3.stub
      .on(UploadPartCommand, { PartNumber: 3 })
      .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const error = await rejection(
      uploadModelArchive(new AwsClients('us-west-2'), large, BUCKET, KEY, { partSize: PART }),
    );
    expect(error.message).toContain(`Could not upload the model to s3://${BUCKET}/${KEY}`);
    expect(error.message).toContain('AccessDenied');
    const uploadId = aws.s3.stub.commandCalls(CreateMultipartUploadCommand).length ? 'upload-1' : undefined;
    expect(aws.s3.stub.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      UploadId: uploadId,
    });
    expect(aws.s3.stub.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(aws.s3.objects.size).toBe(0);
    expect(aws.s3.uploads.size).toBe(0);
    // It stopped at the refusal: not every part of the archive was sent.
    expect(aws.s3.stub.commandCalls(UploadPartCommand).length).toBeLessThan(6);
  });

  it('says S3 refused the upload, not that packing failed, when CreateMultipartUpload is refused', async () => {
    aws.s3.stub.on(CreateMultipartUploadCommand).rejects(
      Object.assign(new Error('The specified bucket does not exist'), {
        name: 'NoSuchBucket',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    const error = await rejection(
      uploadModelArchive(new AwsClients('us-west-2'), large, BUCKET, KEY, { partSize: PART }),
    );
    expect(error.message).toContain(`Could not upload the model to s3://${BUCKET}/${KEY}: NoSuchBucket`);
    expect(error.message).not.toContain('Could not pack');
    expect(aws.s3.stub.commandCalls(UploadPartCommand)).toHaveLength(0);
    expect(aws.s3.stub.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('names the command that removes the leftover upload when the abort fails too', async () => {
    aws.s3.stub
      .on(UploadPartCommand, { PartNumber: 2 })
      .rejects(Object.assign(new Error('boom'), { name: 'InternalError' }));
    aws.s3.stub
      .on(AbortMultipartUploadCommand)
      .rejects(Object.assign(new Error('no network'), { name: 'TimeoutError' }));
    const error = await rejection(
      uploadModelArchive(new AwsClients('us-west-2'), large, BUCKET, KEY, { partSize: PART }),
    );
    expect(error.suggestions.join('\n')).toContain(
      `aws s3api abort-multipart-upload --bucket ${BUCKET} --key ${KEY} --upload-id upload-1`,
    );
  });

  it('stops on the signal: CANCELLED, the multipart upload aborted, nothing stored', async () => {
    const controller = new AbortController();
    const error = await rejection(
      uploadModelArchive(new AwsClients('us-west-2'), large, BUCKET, KEY, {
        partSize: PART,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toContain('nothing was created in SageMaker');
    expect(aws.s3.stub.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(aws.s3.stub.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(aws.s3.objects.size).toBe(0);
  });

  it('says the model directory could not be packed when a file changes under it, and aborts', async () => {
    const shrinking = path.join(scratch, 'shrinking');
    await mkdir(shrinking);
    await writeFile(path.join(shrinking, 'MLmodel'), 'flavors: {}\n');
    await writeFile(path.join(shrinking, 'weights.bin'), randomBytes(16 * 1024 * 1024));
    let truncated = false;
    const error = await rejection(
      uploadModelArchive(new AwsClients('us-west-2'), shrinking, BUCKET, KEY, {
        partSize: PART,
        onProgress: () => {
          if (truncated) return;
          truncated = true;
          void truncate(path.join(shrinking, 'weights.bin'), 0);
        },
      }),
    );
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain(`Could not pack the model directory ${shrinking}`);
    expect(error.message).toContain('weights.bin');
    expect(aws.s3.stub.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(aws.s3.objects.size).toBe(0);
  });

  it('refuses an empty model directory before anything is sent', async () => {
    const empty = path.join(scratch, 'empty');
    await mkdir(empty);
    const error = await rejection(uploadModelArchive(new AwsClients('us-west-2'), empty, BUCKET, KEY));
    expect(error.message).toContain('is empty; there is nothing to upload');
    expect(aws.s3.stub.calls()).toHaveLength(0);
  });
});

describe('partSizeFor', () => {
  it('is 8 MiB up to what 10,000 parts of 8 MiB hold, then grows so the archive fits', () => {
    const mib = 1024 * 1024;
    expect(partSizeFor(300 * mib)).toBe(8 * mib);
    expect(partSizeFor(70 * 1024 * mib)).toBe(8 * mib);
    for (const bytes of [100 * 1024 * mib, 500 * 1024 * mib, 4.8 * 1024 * 1024 * mib]) {
      const size = partSizeFor(bytes);
      expect(size % mib).toBe(0);
      expect(size * MAX_PARTS).toBeGreaterThanOrEqual(bytes * 1.01);
      expect(size).toBeLessThan((bytes * 1.02) / MAX_PARTS + 2 * mib);
    }
  });
});
