/**
 * Test support for the request-sequence tests beside the code (never part of the package's build:
 * nothing in index.ts reaches it). aws-sdk-client-mock stubs every SDK client's `send`; the
 * SageMaker stubs keep a small state (models, configs, endpoints with Creating → InService /
 * Failed, Updating → InService on the new or, when told, the old config, Deleting → gone) so a
 * flow's whole sequence of calls runs, and each test asserts on the calls and the state.
 */
import { gunzipSync } from 'node:zlib';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  type CreateEndpointConfigCommandInput,
  CreateModelCommand,
  type CreateModelCommandInput,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  SageMakerClient,
  type Tag,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';

export const ACCOUNT = '123456789012';
export const REGION = 'us-west-2';
export const CALLER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/deployer`;
export const ECR_BERTH = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/berth-scoring-server`;
export const ECR_MLFLOW = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/mlflow-pyfunc`;

function sageMakerError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

const notFound = (what: string) => sageMakerError('ValidationException', `Could not find ${what}.`);

interface FakeEndpoint {
  name: string;
  arn: string;
  config: string;
  status: string;
  tags: Tag[];
  /** Describe calls left before the current transition ends. */
  pending: number;
  next?: { status: string; config: string; failureReason?: string };
  failureReason?: string;
  weights: Record<string, number>;
  counts: Record<string, number>;
  created: Date;
}

export interface FakeOptions {
  /** DescribeEndpoint calls an operation stays in Creating/Updating/Deleting. */
  latency?: number;
  /** The next create ends Failed with this reason. */
  failCreate?: string;
  /** The next update ends InService on the old config (SageMaker's rollback). */
  rollBackUpdate?: string;
  /** The next update ends Failed. */
  failUpdate?: string;
  /** Page size of ListEndpoints. */
  pageSize?: number;
}

export class FakeSageMaker {
  readonly models = new Map<string, CreateModelCommandInput>();
  readonly configs = new Map<string, CreateEndpointConfigCommandInput>();
  readonly endpoints = new Map<string, FakeEndpoint>();
  options: FakeOptions;

  constructor(
    readonly stub: AwsClientStub<SageMakerClient>,
    options: FakeOptions = {},
  ) {
    this.options = { latency: 2, pageSize: 2, ...options };
    this.#install();
  }

  #install(): void {
    const stub = this.stub;
    stub.on(CreateModelCommand).callsFake((input: CreateModelCommandInput) => {
      if (this.models.has(input.ModelName as string)) throw sageMakerError('ValidationException', 'model exists');
      this.models.set(input.ModelName as string, input);
      return { ModelArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${input.ModelName}` };
    });
    stub.on(DescribeModelCommand).callsFake(({ ModelName }) => {
      const model = this.models.get(ModelName);
      if (!model) throw notFound(`model "${ModelName}"`);
      return { ...model };
    });
    stub.on(DeleteModelCommand).callsFake(({ ModelName }) => {
      if (!this.models.delete(ModelName)) throw notFound(`model "${ModelName}"`);
      return {};
    });
    stub.on(CreateEndpointConfigCommand).callsFake((input: CreateEndpointConfigCommandInput) => {
      const name = input.EndpointConfigName as string;
      if (this.configs.has(name)) throw sageMakerError('ValidationException', 'config exists');
      for (const variant of input.ProductionVariants ?? []) {
        if (!this.models.has(variant.ModelName as string)) throw notFound(`model "${variant.ModelName}"`);
      }
      this.configs.set(name, input);
      return { EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${name}` };
    });
    stub.on(DescribeEndpointConfigCommand).callsFake(({ EndpointConfigName }) => {
      const config = this.configs.get(EndpointConfigName);
      if (!config) throw notFound(`endpoint configuration "${EndpointConfigName}"`);
      return structuredClone({ ...config, Tags: undefined });
    });
    stub.on(DeleteEndpointConfigCommand).callsFake(({ EndpointConfigName }) => {
      if (!this.configs.delete(EndpointConfigName)) throw notFound(`endpoint configuration "${EndpointConfigName}"`);
      return {};
    });
    stub.on(CreateEndpointCommand).callsFake(({ EndpointName, EndpointConfigName, Tags }) => {
      if (this.endpoints.has(EndpointName)) {
        throw sageMakerError('ValidationException', `Cannot create already existing endpoint "${EndpointName}".`);
      }
      const config = this.configs.get(EndpointConfigName);
      if (!config) throw notFound(`endpoint configuration "${EndpointConfigName}"`);
      const failure = this.options.failCreate;
      this.options.failCreate = undefined;
      const endpoint: FakeEndpoint = {
        name: EndpointName,
        arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${EndpointName.toLowerCase()}`,
        config: EndpointConfigName,
        status: 'Creating',
        tags: [...(Tags ?? [])],
        pending: this.options.latency ?? 0,
        next: failure
          ? { status: 'Failed', config: EndpointConfigName, failureReason: failure }
          : { status: 'InService', config: EndpointConfigName },
        weights: {},
        counts: {},
        created: new Date(Date.UTC(2026, 10, 1, 0, 0, this.endpoints.size)),
      };
      this.#applyVariants(endpoint, config);
      this.endpoints.set(EndpointName, endpoint);
      return { EndpointArn: endpoint.arn };
    });
    stub.on(UpdateEndpointCommand).callsFake(({ EndpointName, EndpointConfigName }) => {
      const endpoint = this.endpoints.get(EndpointName);
      if (!endpoint) throw notFound(`endpoint "${EndpointName}"`);
      if (endpoint.status !== 'InService' && endpoint.status !== 'Failed') {
        throw sageMakerError('ValidationException', `Cannot update in-progress endpoint "${EndpointName}".`);
      }
      if (!this.configs.has(EndpointConfigName)) throw notFound(`endpoint configuration "${EndpointConfigName}"`);
      const rollBack = this.options.rollBackUpdate;
      const fail = this.options.failUpdate;
      this.options.rollBackUpdate = undefined;
      this.options.failUpdate = undefined;
      endpoint.status = 'Updating';
      endpoint.pending = this.options.latency ?? 0;
      endpoint.next = rollBack
        ? { status: 'InService', config: endpoint.config, failureReason: rollBack }
        : fail
          ? { status: 'Failed', config: endpoint.config, failureReason: fail }
          : { status: 'InService', config: EndpointConfigName };
      return { EndpointArn: endpoint.arn };
    });
    stub.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake(({ EndpointName, DesiredWeightsAndCapacities }) => {
      const endpoint = this.endpoints.get(EndpointName);
      if (!endpoint) throw notFound(`endpoint "${EndpointName}"`);
      for (const desired of DesiredWeightsAndCapacities ?? []) {
        if (desired.DesiredWeight !== undefined) endpoint.weights[desired.VariantName] = desired.DesiredWeight;
        if (desired.DesiredInstanceCount !== undefined)
          endpoint.counts[desired.VariantName] = desired.DesiredInstanceCount;
      }
      endpoint.status = 'Updating';
      endpoint.pending = this.options.latency ?? 0;
      endpoint.next = { status: 'InService', config: endpoint.config };
      return { EndpointArn: endpoint.arn };
    });
    stub.on(DescribeEndpointCommand).callsFake(({ EndpointName }) => {
      const endpoint = this.endpoints.get(EndpointName);
      if (!endpoint) throw notFound(`endpoint "${EndpointName}"`);
      this.#advance(endpoint);
      if (!this.endpoints.has(EndpointName)) throw notFound(`endpoint "${EndpointName}"`);
      const config = this.configs.get(endpoint.config);
      return {
        EndpointName: endpoint.name,
        EndpointArn: endpoint.arn,
        EndpointConfigName: endpoint.config,
        EndpointStatus: endpoint.status,
        CreationTime: endpoint.created,
        LastModifiedTime: endpoint.created,
        ...(endpoint.failureReason ? { FailureReason: endpoint.failureReason } : {}),
        ...(config?.DataCaptureConfig ? { DataCaptureConfig: { EnableCapture: true } } : {}),
        ProductionVariants: (config?.ProductionVariants ?? []).map((variant) => ({
          VariantName: variant.VariantName,
          CurrentWeight: endpoint.weights[variant.VariantName as string],
          DesiredWeight: endpoint.weights[variant.VariantName as string],
          ...(variant.ServerlessConfig
            ? { CurrentServerlessConfig: variant.ServerlessConfig }
            : {
                CurrentInstanceCount: endpoint.counts[variant.VariantName as string],
                DesiredInstanceCount: endpoint.counts[variant.VariantName as string],
              }),
        })),
      };
    });
    stub.on(DeleteEndpointCommand).callsFake(({ EndpointName }) => {
      const endpoint = this.endpoints.get(EndpointName);
      if (!endpoint) throw notFound(`endpoint "${EndpointName}"`);
      endpoint.status = 'Deleting';
      endpoint.pending = this.options.latency ?? 0;
      endpoint.next = { status: 'gone', config: endpoint.config };
      return {};
    });
    stub.on(ListEndpointsCommand).callsFake(({ NextToken, MaxResults, NameContains }) => {
      const all = [...this.endpoints.values()].filter(
        (endpoint) => !NameContains || endpoint.name.includes(NameContains),
      );
      const size = Math.min(this.options.pageSize ?? 100, MaxResults ?? 100);
      const start = NextToken ? Number(NextToken) : 0;
      const page = all.slice(start, start + size);
      return {
        Endpoints: page.map((endpoint) => ({
          EndpointName: endpoint.name,
          EndpointArn: endpoint.arn,
          EndpointStatus: endpoint.status,
          CreationTime: endpoint.created,
          LastModifiedTime: endpoint.created,
        })),
        ...(start + size < all.length ? { NextToken: String(start + size) } : {}),
      };
    });
    stub.on(ListTagsCommand).callsFake(({ ResourceArn }) => {
      const endpoint = [...this.endpoints.values()].find((candidate) => candidate.arn === ResourceArn);
      return { Tags: endpoint?.tags ?? [] };
    });
    stub.on(AddTagsCommand).callsFake(({ ResourceArn, Tags }) => {
      const endpoint = [...this.endpoints.values()].find((candidate) => candidate.arn === ResourceArn);
      if (!endpoint) throw notFound(`resource "${ResourceArn}"`);
      for (const tag of Tags ?? []) {
        endpoint.tags = [...endpoint.tags.filter((old) => old.Key !== tag.Key), tag];
      }
      return { Tags };
    });
  }

  #applyVariants(endpoint: FakeEndpoint, config: CreateEndpointConfigCommandInput): void {
    endpoint.weights = {};
    endpoint.counts = {};
    for (const variant of config.ProductionVariants ?? []) {
      endpoint.weights[variant.VariantName as string] = variant.InitialVariantWeight ?? 1;
      if (variant.InitialInstanceCount !== undefined) {
        endpoint.counts[variant.VariantName as string] = variant.InitialInstanceCount;
      }
    }
  }

  #advance(endpoint: FakeEndpoint): void {
    if (endpoint.next === undefined) return;
    if (endpoint.pending > 0) {
      endpoint.pending--;
      return;
    }
    const next = endpoint.next;
    endpoint.next = undefined;
    if (next.status === 'gone') {
      this.endpoints.delete(endpoint.name);
      return;
    }
    const configChanged = next.config !== endpoint.config;
    endpoint.status = next.status;
    endpoint.config = next.config;
    if (next.failureReason) endpoint.failureReason = next.failureReason;
    const config = this.configs.get(endpoint.config);
    if (configChanged && config) this.#applyVariants(endpoint, config);
  }

  /** Runs every pending transition to its end (what SageMaker does while nobody looks). */
  settle(): void {
    for (const endpoint of this.endpoints.values()) {
      endpoint.pending = 0;
      this.#advance(endpoint);
    }
  }
}

export interface StoredObject {
  body: Uint8Array;
  tagging?: string;
  contentType?: string;
}

/** A multipart upload in progress: its parts by number, each copied (the uploader reuses its buffers). */
export interface PendingUpload {
  bucket: string;
  key: string;
  tagging?: string;
  contentType?: string;
  parts: Map<number, Uint8Array>;
}

const noSuchUpload = () =>
  Object.assign(new Error('NoSuchUpload'), { name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });

export class FakeS3 {
  readonly buckets = new Set<string>();
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, PendingUpload>();
  #uploadIds = 0;

  constructor(readonly stub: AwsClientStub<S3Client>) {
    stub.on(HeadBucketCommand).callsFake(({ Bucket }) => {
      if (this.buckets.has(Bucket)) return {};
      throw Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    });
    stub.on(CreateBucketCommand).callsFake(({ Bucket }) => {
      this.buckets.add(Bucket);
      return { Location: `/${Bucket}` };
    });
    stub.on(PutObjectCommand).callsFake(async ({ Bucket, Key, Body, Tagging, ContentType }) => {
      this.objects.set(`${Bucket}/${Key}`, {
        body: new Uint8Array(await bytesOf(Body)),
        tagging: Tagging,
        contentType: ContentType,
      });
      return { ETag: '"etag"' };
    });
    stub.on(CreateMultipartUploadCommand).callsFake(({ Bucket, Key, Tagging, ContentType }) => {
      const uploadId = `upload-${++this.#uploadIds}`;
      this.uploads.set(uploadId, {
        bucket: Bucket,
        key: Key,
        tagging: Tagging,
        contentType: ContentType,
        parts: new Map(),
      });
      return { Bucket, Key, UploadId: uploadId };
    });
    stub.on(UploadPartCommand).callsFake(async ({ UploadId, PartNumber, Body }) => {
      const upload = this.uploads.get(UploadId);
      if (!upload) throw noSuchUpload();
      upload.parts.set(PartNumber, new Uint8Array(await bytesOf(Body)));
      return { ETag: `"etag-${PartNumber}"` };
    });
    stub.on(CompleteMultipartUploadCommand).callsFake(({ UploadId, MultipartUpload }) => {
      const upload = this.uploads.get(UploadId);
      if (!upload) throw noSuchUpload();
      const numbers = (MultipartUpload?.Parts ?? []).map((part: { PartNumber?: number }) => part.PartNumber as number);
      const body = Buffer.concat(numbers.map((number: number) => upload.parts.get(number) as Uint8Array));
      this.objects.set(`${upload.bucket}/${upload.key}`, {
        body,
        tagging: upload.tagging,
        contentType: upload.contentType,
      });
      this.uploads.delete(UploadId);
      return { Bucket: upload.bucket, Key: upload.key };
    });
    stub.on(AbortMultipartUploadCommand).callsFake(({ UploadId }) => {
      this.uploads.delete(UploadId);
      return {};
    });
    stub.on(CopyObjectCommand).callsFake(({ Bucket, Key, CopySource, Tagging }) => {
      const source = this.objects.get(decodeURIComponent(CopySource));
      if (!source) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      this.objects.set(`${Bucket}/${Key}`, { ...source, tagging: Tagging ?? source.tagging });
      return {};
    });
    stub.on(DeleteObjectCommand).callsFake(({ Bucket, Key }) => {
      this.objects.delete(`${Bucket}/${Key}`);
      return {};
    });
    stub.on(GetObjectCommand).callsFake(({ Bucket, Key }) => {
      const object = this.objects.get(`${Bucket}/${Key}`);
      if (!object)
        throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
      const text = new TextDecoder().decode(object.body);
      return { Body: { transformToString: async () => text } };
    });
  }

  /** Names of the entries in a stored model.tar.gz. */
  archiveEntries(bucketAndKey: string): string[] {
    const object = this.objects.get(bucketAndKey);
    if (!object) throw new Error(`no object ${bucketAndKey}`);
    return tarEntryNames(gunzipSync(object.body));
  }
}

async function bytesOf(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
  throw new Error(`unexpected body ${typeof body}`);
}

/** One entry of a ustar archive: its name (prefix joined), type flag and contents. */
export interface TarEntry {
  name: string;
  /** `0` (or empty) a file, `5` a directory, `x`/`g` pax headers, … */
  type: string;
  body: Buffer;
}

/** The entries of a ustar archive (512-byte headers; the name is the first 100 bytes, prefix at 345). */
export function tarEntries(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = field(0, 100);
    const prefix = field(345, 155);
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    entries.push({
      name: prefix ? `${prefix}/${name}` : name,
      type: field(156, 1),
      body: tar.subarray(offset + 512, offset + 512 + size),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** The regular files of a ustar archive, by name. */
export function tarFiles(tar: Buffer): Map<string, Buffer> {
  return new Map(
    tarEntries(tar)
      .filter((entry) => entry.type === '0' || entry.type === '')
      .map((entry) => [entry.name, entry.body]),
  );
}

function tarEntryNames(tar: Buffer): string[] {
  return tarEntries(tar)
    .filter((entry) => entry.type !== 'x' && entry.type !== 'g')
    .map((entry) => entry.name);
}

export interface FakeAws {
  sagemaker: FakeSageMaker;
  s3: FakeS3;
  runtime: AwsClientStub<SageMakerRuntimeClient>;
  sts: AwsClientStub<STSClient>;
  iam: AwsClientStub<IAMClient>;
  ecr: AwsClientStub<ECRClient>;
  cloudwatch: AwsClientStub<CloudWatchClient>;
  alarms: MetricAlarm[];
  restore(): void;
}

/** Every client stubbed: the caller is the role `deployer`, both images are in ECR. */
export function fakeAws(options: FakeOptions = {}): FakeAws {
  const sts = mockClient(STSClient);
  sts.on(GetCallerIdentityCommand).resolves({
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/session-1`,
    UserId: 'AROAEXAMPLE:session-1',
  });
  sts.on(AssumeRoleCommand).callsFake(({ RoleArn }) => ({
    Credentials: {
      AccessKeyId: 'ASIAASSUMED',
      SecretAccessKey: 'assumed-secret',
      SessionToken: 'assumed-token',
      Expiration: new Date(Date.now() + 3600_000),
    },
    AssumedRoleUser: { Arn: `${RoleArn}/berth-sagemaker`, AssumedRoleId: 'AROA:berth-sagemaker' },
  }));
  const iam = mockClient(IAMClient);
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => {
    if (RoleName !== 'deployer') {
      throw Object.assign(new Error(`The role with name ${RoleName} cannot be found.`), {
        name: 'NoSuchEntityException',
      });
    }
    return { Role: { Arn: CALLER_ROLE_ARN, RoleName, Path: '/', RoleId: 'AROA', CreateDate: new Date() } };
  });
  const ecr = mockClient(ECRClient);
  ecr.on(DescribeRepositoriesCommand).callsFake(({ repositoryNames }) => {
    const name = repositoryNames?.[0];
    if (name === 'berth-scoring-server') return { repositories: [{ repositoryName: name, repositoryUri: ECR_BERTH }] };
    if (name === 'mlflow-pyfunc') return { repositories: [{ repositoryName: name, repositoryUri: ECR_MLFLOW }] };
    throw Object.assign(new Error(`The repository with name '${name}' does not exist`), {
      name: 'RepositoryNotFoundException',
    });
  });
  const alarms: MetricAlarm[] = [];
  const cloudwatch = mockClient(CloudWatchClient);
  cloudwatch.on(DescribeAlarmsCommand).callsFake(({ AlarmNames }) => ({
    MetricAlarms: alarms.filter((alarm) => !AlarmNames || AlarmNames.includes(alarm.AlarmName as string)),
  }));
  const sagemaker = new FakeSageMaker(mockClient(SageMakerClient), options);
  const s3 = new FakeS3(mockClient(S3Client));
  const runtime = mockClient(SageMakerRuntimeClient);
  return {
    sagemaker,
    s3,
    runtime,
    sts,
    iam,
    ecr,
    cloudwatch,
    alarms,
    restore() {
      for (const stub of [sts, iam, ecr, cloudwatch, sagemaker.stub, s3.stub, runtime]) stub.restore();
    },
  };
}
