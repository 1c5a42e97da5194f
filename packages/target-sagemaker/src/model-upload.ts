import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type {
  CompletedPart,
  CompleteMultipartUploadCommandInput,
  S3Client,
  UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { BerthError } from '@berth/core';
import type { AwsClients, S3Sdk } from './aws-clients.js';
import { awsError } from './aws-errors.js';

/**
 * The model directory as `model.tar.gz` in S3, streamed: tar → gzip → S3 multipart upload, no
 * temporary file. The parts are written into a small pool of part buffers that is reused for the
 * whole upload (`PARTS_IN_FLIGHT` uploading, one filling), so the memory it takes is fixed —
 * about (PARTS_IN_FLIGHT + 1) × part size — whatever the model's size; an archive smaller than
 * one part is one PutObject. Entries are named relative to the directory's root, as MLflow's
 * `_make_tarfile` writes them and SageMaker extracts them into `/opt/ml/model`.
 *
 * Why not `@aws-sdk/lib-storage`'s Upload: it concatenates each part out of the stream's chunks
 * into a new buffer and keeps `queueSize` of them in flight, so a 300 MB upload peaked 60–90 MB of
 * buffers above the CLI's baseline and the CLI at 180–200 MB (bench/sagemaker). The S3 client
 * still sends every request: endpoints, credentials, retries and checksums are the SDK's.
 */

/** Left in a downloaded model's folder by `@berth/model`'s cache; not part of the model. */
const EXCLUDED_ENTRIES = new Set(['.berth-download.json']);
/** SageMaker reads the object only when this tag says so (MLflow sets it too). */
export const SAGEMAKER_OBJECT_TAGGING = 'SageMaker=true';
/** S3's limits: parts of at least 5 MiB (but the last; 8 MiB here), at most 10,000 of them. */
export const MAX_PARTS = 10_000;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Parts sent at once; gzip, not the network, is the upload's limit (bench/sagemaker). */
const PARTS_IN_FLIGHT = 2;
/** Output buffer of gzip; each is sliced into chunks and copied into a part. */
const GZIP_CHUNK = 256 * 1024;

export interface UploadedModel {
  /** `s3://bucket/key`, the ModelDataUrl of CreateModel. */
  url: string;
  bucket: string;
  key: string;
  /** Size of model.tar.gz. */
  bytes: number;
}

export interface UploadOptions {
  /** Bytes of model.tar.gz stored in S3 so far, after each part. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
  /** Part size in bytes (default 8 MiB, more when the model needs more than 10,000 of them). */
  partSize?: number;
}

/**
 * The model directory as the `model.tar.gz` stream that create uploads and run-local extracts
 * (one packer for both, so run-local serves exactly what SageMaker gets).
 */
export async function createModelArchive(directory: string): Promise<Readable> {
  return packEntries(directory, await archiveEntries(directory));
}

async function packEntries(directory: string, entries: string[]): Promise<Readable> {
  const [{ create }, { createGzip }] = await Promise.all([import('tar'), import('node:zlib')]);
  // tar reads files in blocks of up to 16 MiB by default, and several can wait for gzip at once;
  // 1 MiB blocks keep the pipeline's memory near the upload's own part buffers (bench/sagemaker).
  const pack = create({ cwd: directory, portable: true, maxReadSize: 1024 * 1024 }, entries);
  // node:zlib's stream, not tar's own gzip: it deflates on libuv's thread pool, beside tar's reads
  // and the upload, and its output is slices of one buffer, not a copy concatenated per write.
  const gzip = createGzip({ chunkSize: GZIP_CHUNK });
  pack.on('error', (error: unknown) => gzip.destroy(error as Error));
  pack.pipe(gzip);
  return gzip;
}

async function archiveEntries(directory: string): Promise<string[]> {
  const entries = (await readdir(directory)).filter((entry) => !EXCLUDED_ENTRIES.has(entry)).sort();
  if (entries.length === 0) {
    throw BerthError.invalidParameterValue(`The model directory ${directory} is empty; there is nothing to upload.`);
  }
  return entries;
}

/**
 * A part size that fits the archive in S3's 10,000 parts: 8 MiB up to ~78 GiB of model, then the
 * next whole MiB that fits (gzip never grows a file by more than a fraction of a percent; tar adds
 * a header and padding per file).
 */
export function partSizeFor(estimatedBytes: number): number {
  const needed = Math.ceil((estimatedBytes * 1.01 + 64 * 1024) / MAX_PARTS);
  const mib = 1024 * 1024;
  return Math.max(DEFAULT_PART_SIZE, Math.ceil(needed / mib) * mib);
}

/** Bytes of the files under a directory plus tar's 1.5 KiB of header and padding per entry. */
async function estimatedArchiveBytes(directory: string, entries: string[]): Promise<number> {
  let total = 0;
  const visit = async (relative: string): Promise<void> => {
    const full = path.join(directory, relative);
    const info = await lstat(full);
    total += 1536;
    if (info.isDirectory()) {
      const children: Dirent[] = await readdir(full, { withFileTypes: true });
      for (const child of children) await visit(path.join(relative, child.name));
    } else {
      total += info.size;
    }
  };
  for (const entry of entries) await visit(entry);
  return total;
}

export async function uploadModelArchive(
  clients: AwsClients,
  directory: string,
  bucket: string,
  key: string,
  options: UploadOptions = {},
): Promise<UploadedModel> {
  const entries = await archiveEntries(directory);
  const partSize = options.partSize ?? partSizeFor(await estimatedArchiveBytes(directory, entries));
  const [archive, s3] = await Promise.all([packEntries(directory, entries), clients.s3()]);
  const upload = new PartUpload(s3.client, s3.sdk, {
    bucket,
    key,
    partSize,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  // Whatever the upload's own calls threw; any other failure of the loop is the packer's.
  let uploadError: unknown;
  const sending = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      uploadError ??= error;
      throw error;
    }
  };
  try {
    for await (const chunk of archive as AsyncIterable<Buffer>) await sending(() => upload.write(chunk));
    const bytes = await sending(() => upload.end());
    return { url: `s3://${bucket}/${key}`, bucket, key, bytes };
  } catch (error) {
    archive.destroy(); // stop packing: nothing more will be read
    const abortError = await upload.abort();
    const leftover =
      abortError === undefined || upload.uploadId === undefined
        ? []
        : [
            `An incomplete multipart upload may be left in S3 (it could not be aborted: ${(abortError as Error).message}); remove it with: aws s3api abort-multipart-upload --bucket ${bucket} --key ${key} --upload-id ${upload.uploadId}`,
          ];
    if (options.signal?.aborted) {
      throw new BerthError(`The upload of s3://${bucket}/${key} was stopped; nothing was created in SageMaker.`, {
        code: 'CANCELLED',
        cause: error,
        suggestions: leftover,
      });
    }
    if (uploadError === undefined && upload.failure === undefined) {
      const file = (error as { path?: string }).path;
      const what = `${(error as Error).message}${file ? ` (${file})` : ''}`;
      throw new BerthError(`Could not pack the model directory ${directory}: ${what}`, {
        code: 'INVALID_PARAMETER_VALUE',
        cause: error,
        suggestions: leftover,
      });
    }
    const wrapped = awsError(upload.failure ?? uploadError, `Could not upload the model to s3://${bucket}/${key}`);
    wrapped.suggestions.push(...leftover);
    throw wrapped;
  }
}

interface PartUploadOptions {
  bucket: string;
  key: string;
  partSize: number;
  signal: AbortSignal | undefined;
  onProgress: ((bytes: number) => void) | undefined;
}

/**
 * One object written part by part. `write` copies the stream's chunks into the part being filled
 * and, when it is full, sends it — first waiting, while `PARTS_IN_FLIGHT` parts are still being
 * sent, for one of them to answer. A buffer goes back to the pool only when its UploadPart has
 * answered (the SDK's retries included), so no byte is overwritten while it may still be sent.
 */
class PartUpload {
  uploadId: string | undefined;
  failure: unknown;
  readonly #client: S3Client;
  readonly #sdk: S3Sdk;
  readonly #options: PartUploadOptions;
  readonly #free: Buffer[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #parts: CompletedPart[] = [];
  #buffers = 0;
  #current: Buffer | undefined;
  #filled = 0;
  #partNumber = 0;
  #stored = 0;

  constructor(client: S3Client, sdk: S3Sdk, options: PartUploadOptions) {
    this.#client = client;
    this.#sdk = sdk;
    this.#options = options;
  }

  async write(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.#throwIfStopped();
      this.#current ??= await this.#takeBuffer();
      const copied = chunk.copy(this.#current, this.#filled, offset);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === this.#options.partSize) await this.#sendPart();
    }
  }

  /** Sends what is left and completes the object; the archive's size in bytes. */
  async end(): Promise<number> {
    this.#throwIfStopped();
    if (this.uploadId === undefined) {
      // Never filled a part: one PutObject, as lib-storage does for small bodies.
      const body = (this.#current ?? Buffer.alloc(0)).subarray(0, this.#filled);
      await this.#client.send(
        new this.#sdk.PutObjectCommand({
          Bucket: this.#options.bucket,
          Key: this.#options.key,
          Body: body,
          ContentLength: body.length,
          ContentType: 'application/gzip',
          Tagging: SAGEMAKER_OBJECT_TAGGING,
        }),
        this.#sendOptions(),
      );
      this.#stored = body.length;
      this.#options.onProgress?.(this.#stored);
      return this.#stored;
    }
    if (this.#filled > 0) await this.#sendPart();
    await this.#settle();
    this.#throwIfStopped();
    const input: CompleteMultipartUploadCommandInput = {
      Bucket: this.#options.bucket,
      Key: this.#options.key,
      UploadId: this.uploadId,
      MultipartUpload: { Parts: [...this.#parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0)) },
    };
    await this.#client.send(new this.#sdk.CompleteMultipartUploadCommand(input), this.#sendOptions());
    return this.#stored;
  }

  /** After a failure: waits for the parts in flight, then aborts the multipart upload; its error, if any. */
  async abort(): Promise<unknown> {
    await this.#settle();
    if (this.uploadId === undefined) return undefined;
    try {
      // Not with the caller's signal: it may be the one that stopped the upload.
      await this.#client.send(
        new this.#sdk.AbortMultipartUploadCommand({
          Bucket: this.#options.bucket,
          Key: this.#options.key,
          UploadId: this.uploadId,
        }),
      );
      return undefined;
    } catch (error) {
      return error;
    }
  }

  async #sendPart(): Promise<void> {
    if (this.uploadId === undefined) await this.#create();
    while (this.#inFlight.size >= PARTS_IN_FLIGHT) {
      await Promise.race(this.#inFlight);
      this.#throwIfStopped();
    }
    const buffer = this.#current as Buffer;
    const body = buffer.subarray(0, this.#filled);
    const partNumber = ++this.#partNumber;
    this.#current = undefined;
    this.#filled = 0;
    if (partNumber > MAX_PARTS) {
      throw new Error(`the archive needs more than ${MAX_PARTS} parts of ${this.#options.partSize} bytes`);
    }
    const sending: Promise<void> = this.#client
      .send(
        new this.#sdk.UploadPartCommand({
          Bucket: this.#options.bucket,
          Key: this.#options.key,
          UploadId: this.uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
        }),
        this.#sendOptions(),
      )
      .then((answer) => this.#partStored(partNumber, body.length, answer))
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.#inFlight.delete(sending);
        this.#free.push(buffer);
      });
    this.#inFlight.add(sending);
  }

  #partStored(partNumber: number, bytes: number, answer: UploadPartCommandOutput): void {
    if (!answer.ETag) throw new Error(`S3 answered part ${partNumber} without an ETag`);
    this.#parts.push({
      PartNumber: partNumber,
      ETag: answer.ETag,
      ...(answer.ChecksumCRC32 ? { ChecksumCRC32: answer.ChecksumCRC32 } : {}),
      ...(answer.ChecksumCRC32C ? { ChecksumCRC32C: answer.ChecksumCRC32C } : {}),
      ...(answer.ChecksumCRC64NVME ? { ChecksumCRC64NVME: answer.ChecksumCRC64NVME } : {}),
      ...(answer.ChecksumSHA1 ? { ChecksumSHA1: answer.ChecksumSHA1 } : {}),
      ...(answer.ChecksumSHA256 ? { ChecksumSHA256: answer.ChecksumSHA256 } : {}),
    });
    this.#stored += bytes;
    this.#options.onProgress?.(this.#stored);
  }

  async #create(): Promise<void> {
    // As lib-storage: when the client computes checksums (the SDK's default), the upload declares
    // CRC32 and every part carries its own, which CompleteMultipartUpload repeats.
    const checksummed = (await this.#client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED';
    const answer = await this.#client.send(
      new this.#sdk.CreateMultipartUploadCommand({
        Bucket: this.#options.bucket,
        Key: this.#options.key,
        ContentType: 'application/gzip',
        Tagging: SAGEMAKER_OBJECT_TAGGING,
        ...(checksummed ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
      }),
      this.#sendOptions(),
    );
    if (!answer.UploadId) throw new Error('CreateMultipartUpload answered without an UploadId');
    this.uploadId = answer.UploadId;
  }

  /** A free buffer of the pool; a new one while the pool has fewer than one per part in flight plus one. */
  async #takeBuffer(): Promise<Buffer> {
    while (this.#free.length === 0) {
      if (this.#buffers < PARTS_IN_FLIGHT + 1) {
        this.#buffers++;
        // Not zeroed: every byte sent is written first. Pages are touched only as they fill.
        return Buffer.allocUnsafeSlow(this.#options.partSize);
      }
      await Promise.race(this.#inFlight);
      this.#throwIfStopped();
    }
    return this.#free.pop() as Buffer;
  }

  async #settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
  }

  #throwIfStopped(): void {
    if (this.failure !== undefined) throw this.failure;
    this.#options.signal?.throwIfAborted();
  }

  #sendOptions(): { abortSignal?: AbortSignal } {
    return this.#options.signal ? { abortSignal: this.#options.signal } : {};
  }
}

/** `s3://bucket/a/b` → `{bucket, key}`; SageMaker's ModelDataUrl may also be an https S3 URL. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (s3) return { bucket: s3[1] as string, key: s3[2] as string };
  const https = /^https:\/\/([^./]+)\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com(\.cn)?\/(.+)$/.exec(url);
  if (https) return { bucket: https[1] as string, key: decodeURIComponent(https[4] as string) };
  return undefined;
}
