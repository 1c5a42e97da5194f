/**
 * The model upload on the wire, against moto's S3: a model bigger than one part goes up as a real
 * multipart upload (CreateMultipartUpload with the SageMaker tag and CRC32, UploadPart ×3,
 * CompleteMultipartUpload with each part's checksum — moto checks the parts' sizes and ETags), and
 * comes back byte for byte; a stopped upload leaves no multipart upload behind; a missing bucket is
 * S3's own error, said once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { BerthError } from '@berth/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../src/aws-clients.js';
import { tarFiles } from '../src/fake-aws.js';
import { uploadModelArchive } from '../src/model-upload.js';
import { type MotoServer, skipWithoutMoto, startMotoServer } from './support/moto-server.js';
import { REGION, type TestClients, testClients } from './support/test-clients.js';

const BUCKET = 'berth-models';
const KEY = 'big-model-1/model.tar.gz';

describe.skipIf(skipWithoutMoto('model upload against moto S3'))('model upload → moto S3 (wire format)', () => {
  let moto: MotoServer;
  let clients: TestClients;
  let aws: AwsClients;
  let scratch: string;
  let model: string;
  const saved: Record<string, string | undefined> = {};
  const environment = (motoUrl: string): Record<string, string> => ({
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL_S3: motoUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(tmpdir(), 'berth-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'berth-no-aws-credentials'),
  });

  beforeAll(async () => {
    moto = await startMotoServer();
    clients = testClients(moto.url, moto.url);
    for (const [name, value] of Object.entries(environment(moto.url))) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    scratch = await mkdtemp(path.join(tmpdir(), 'berth-upload-moto-'));
    model = path.join(scratch, 'model');
    await mkdir(path.join(model, 'weights'), { recursive: true });
    await writeFile(path.join(model, 'MLmodel'), 'flavors:\n  onnx:\n    onnx_model_data: model.onnx\n');
    // 20 MiB of random bytes: gzip cannot shrink them, so the archive is three 8 MiB parts.
    await writeFile(path.join(model, 'weights', 'weights.bin'), randomBytes(20 * 1024 * 1024));
  }, 60_000);

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    clients?.destroy();
    await moto?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await moto.reset();
    aws = new AwsClients(REGION);
    await clients.s3.send(
      new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );
    return () => aws.destroy();
  });

  it('uploads a three-part archive that S3 stores byte for byte, tagged for SageMaker', async () => {
    const progress: number[] = [];
    const uploaded = await uploadModelArchive(aws, model, BUCKET, KEY, { onProgress: (bytes) => progress.push(bytes) });
    expect(uploaded.url).toBe(`s3://${BUCKET}/${KEY}`);
    // Three progress reports, one per part, the last the whole archive.
    expect(progress).toHaveLength(3);
    expect(progress.at(-1)).toBe(uploaded.bytes);

    const whole = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    // A multipart object's ETag is the MD5 of its parts' MD5s and the number of parts.
    expect(whole.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(whole.ContentType).toBe('application/gzip');
    const body = Buffer.from(
      await (whole.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(body.length).toBe(uploaded.bytes);
    const files = tarFiles(gunzipSync(body));
    expect([...files.keys()].sort()).toEqual(['MLmodel', 'weights/weights.bin']);
    expect(files.get('weights/weights.bin')?.equals(await readFile(path.join(model, 'weights', 'weights.bin')))).toBe(
      true,
    );
    const tags = await clients.s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: KEY }));
    expect(tags.TagSet).toEqual([{ Key: 'SageMaker', Value: 'true' }]);
    const pending = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(pending.Uploads ?? []).toEqual([]);
  }, 60_000);

  it('a stopped upload is CANCELLED and leaves neither an object nor a multipart upload in S3', async () => {
    const controller = new AbortController();
    const error = await uploadModelArchive(aws, model, BUCKET, KEY, {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('CANCELLED');
    const pending = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(pending.Uploads ?? []).toEqual([]);
    const objects = await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(objects.Contents ?? []).toEqual([]);
  }, 60_000);

  it("a missing bucket is S3's NoSuchBucket, with the bucket named", async () => {
    const error = await uploadModelArchive(aws, model, 'no-such-bucket', KEY).catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`Could not upload the model to s3://no-such-bucket/${KEY}`);
    expect(message).toContain('NoSuchBucket');
  }, 60_000);
});
